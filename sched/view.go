package sched

import (
	"time"

	"github.com/scarcitylabs/scarcity/bundle"
)

// View is a read-only view of a Scheduler: its queries, none of its
// commands. A service that owns a scheduler hands out a View so that
// callers can see bundles, meters and the spend window but never book,
// meter or release; a View publishes nothing. Its methods are those of the
// Scheduler of the same names; it is safe for concurrent use, as the
// Scheduler is.
type View struct{ s *Scheduler }

// View returns a read-only view of s.
func (s *Scheduler) View() View { return View{s: s} }

// Active returns the ids of agent's bundles whose window contains now; see
// Scheduler.Active.
func (v View) Active(agent string) []string { return v.s.Active(agent) }

// Bundle returns bundle id, held or finished; see Scheduler.Bundle.
func (v View) Bundle(id string) (Info, bool) { return v.s.Bundle(id) }

// Bundles returns agent's bundles, held and remembered finished ones; see
// Scheduler.Bundles.
func (v View) Bundles(agent string) []Info { return v.s.Bundles(agent) }

// Remaining returns what is left of a service-level resource in agent's
// current bundles; see Scheduler.Remaining.
func (v View) Remaining(agent, resource string) int64 { return v.s.Remaining(agent, resource) }

// ReservationAgent returns the agent of an outstanding reservation; see
// Scheduler.ReservationAgent.
func (v View) ReservationAgent(id string) (string, bool) { return v.s.ReservationAgent(id) }

// Snapshot returns a clone of the calendar; changing it changes nothing
// else. See Scheduler.Snapshot.
func (v View) Snapshot() *bundle.Calendar { return v.s.Snapshot() }

// Check reports whether a bundle would be admitted now, booking nothing;
// see Scheduler.Check.
func (v View) Check(b bundle.Bundle) error { return v.s.Check(b) }

// Spend returns the state of the spend window; see Scheduler.Spend.
func (v View) Spend() (SpendStatus, bool) { return v.s.Spend() }

// Unsettled returns the number of payments waiting to be retried; see
// Scheduler.Unsettled.
func (v View) Unsettled() int { return v.s.Unsettled() }

// Next returns the next pending activation, expiry or lapse; see
// Scheduler.Next.
func (v View) Next() (time.Time, bool) { return v.s.Next() }

// Fenced reports whether the scheduler refuses changes after a publish in
// doubt; see Scheduler.Fenced.
func (v View) Fenced() bool { return v.s.Fenced() }
