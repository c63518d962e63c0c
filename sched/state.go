package sched

import (
	"fmt"

	"github.com/scarcitylabs/scarcity/bundle"
)

// State is where a bundle is in its lifecycle.
type State int

// The states of a bundle. Scheduled and Active bundles are held on the
// calendar; the others are finished.
const (
	// Scheduled: booked, not activated yet.
	Scheduled State = iota
	// Active: activated, its window not yet over.
	Active
	// Expired: its window ended.
	Expired
	// Released: ended early by its agent.
	Released
	// Terminated: ended early because its agent was terminated.
	Terminated
)

// String returns the state's lower-case name.
func (s State) String() string {
	switch s {
	case Scheduled:
		return "scheduled"
	case Active:
		return "active"
	case Expired:
		return "expired"
	case Released:
		return "released"
	case Terminated:
		return "terminated"
	}
	return fmt.Sprintf("State(%d)", int(s))
}

// reason returns the reason a bundle that ended in state s gives its
// settlement.
func (s State) reason() string {
	switch s {
	case Released:
		return ReasonReleased
	case Terminated:
		return ReasonTerminated
	}
	return ReasonExpired
}

// held reports whether a bundle in state s is on the calendar.
func (s State) held() bool { return s == Scheduled || s == Active }

// Info describes a bundle the scheduler holds or remembers.
type Info struct {
	ID      string
	Agent   string
	OrderID string
	// Bundle is the bundle as booked; a bundle that ended early keeps its
	// booked window.
	Bundle bundle.Bundle
	State  State
	// Used is the quantity consumed so far of each service-level resource.
	Used bundle.Quantities
	// Lease is how the bundle is paid for, nil if it is not leased.
	Lease *Lease
}
