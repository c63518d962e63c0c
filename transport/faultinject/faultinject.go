package faultinject

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"

	"github.com/scarcitylabs/scarcity/events"
)

// Scale is the denominator of the rates of Faults: a rate of Scale means
// every call.
const Scale = 10_000

// Sentinel errors of this package. Test for them with errors.Is.
var (
	// ErrInjected reports a failure the Publisher injected; the error is an
	// *Error.
	ErrInjected = errors.New("faultinject: injected failure")
	// ErrInvalidFaults reports Faults whose rates are negative or add up
	// to more than Scale.
	ErrInvalidFaults = errors.New("faultinject: invalid faults")
)

// Faults are the rates of the faults a Publisher injects, each in calls per
// Scale (ten thousand) Publish calls. The zero value injects nothing.
type Faults struct {
	// FailBefore fails a call before anything is published.
	FailBefore int
	// FailAfter publishes every event of a call, then fails it: a lost
	// acknowledgement.
	FailAfter int
	// FailPartway publishes a non-empty proper prefix of a call's events,
	// then fails it.
	FailPartway int
	// Duplicate publishes a call's events twice.
	Duplicate int
}

// validate reports rates that are negative or add up to more than Scale.
func (f Faults) validate() error {
	if f.FailBefore < 0 || f.FailAfter < 0 || f.FailPartway < 0 || f.Duplicate < 0 {
		return fmt.Errorf("%w: negative rate in %+v", ErrInvalidFaults, f)
	}
	if sum := f.FailBefore + f.FailAfter + f.FailPartway + f.Duplicate; sum > Scale {
		return fmt.Errorf("%w: rates add up to %d, more than %d", ErrInvalidFaults, sum, Scale)
	}
	return nil
}

// Kind is what a Publisher did with one Publish call.
type Kind int

// The kinds of call, in the order their rates are laid out.
const (
	Passed Kind = iota
	FailedBefore
	FailedAfter
	FailedPartway
	Duplicated
)

var kindNames = [...]string{"passed", "failed before publishing", "failed after publishing",
	"failed part-way", "duplicated"}

func (k Kind) String() string {
	if k < 0 || int(k) >= len(kindNames) {
		return fmt.Sprintf("Kind(%d)", int(k))
	}
	return kindNames[k]
}

// InDoubt reports whether a call of kind k may have stored events although
// it failed: the caller cannot know whether its change was accepted.
func (k Kind) InDoubt() bool { return k == FailedAfter || k == FailedPartway }

// Error is the error of an injected failure.
type Error struct {
	// Call is the number of the Publish call, from 1.
	Call uint64
	// Kind is the fault: FailedBefore, FailedAfter or FailedPartway.
	Kind Kind
	// Stored is the number of the call's events that were published.
	Stored int
}

func (e *Error) Error() string {
	return fmt.Sprintf("faultinject: call %d %s (%d events stored)", e.Call, e.Kind, e.Stored)
}

// Is reports whether target is ErrInjected, or events.ErrInDoubt for a
// failure after or part-way (the caller cannot know what was stored).
func (e *Error) Is(target error) bool {
	return target == ErrInjected || target == events.ErrInDoubt && e.Kind.InDoubt()
}

// Stats counts what a Publisher did, by kind of call. Calls with no events
// count as Passed and inject nothing.
type Stats struct {
	Calls         uint64
	Passed        uint64
	FailedBefore  uint64
	FailedAfter   uint64
	FailedPartway uint64
	Duplicated    uint64
	// NextFailed counts calls the wrapped publisher failed itself.
	NextFailed uint64
}

// InDoubt returns the number of failed calls that stored events.
func (s Stats) InDoubt() uint64 { return s.FailedAfter + s.FailedPartway }

// Publisher wraps an events.Publisher and injects faults into its calls.
type Publisher struct {
	next events.Publisher

	mu     sync.Mutex
	rng    *rand.Rand
	faults Faults
	stats  Stats
}

var _ events.Publisher = (*Publisher)(nil)

// New returns a Publisher over next that injects faults at the rates f,
// its random choices drawn from a PCG source seeded with seed.
func New(next events.Publisher, seed uint64, f Faults) (*Publisher, error) {
	if next == nil {
		return nil, fmt.Errorf("%w: no publisher to wrap", ErrInvalidFaults)
	}
	if err := f.validate(); err != nil {
		return nil, err
	}
	return &Publisher{next: next, rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), faults: f}, nil
}

// SetFaults changes the rates of the faults injected from the next call on.
// The random source goes on where it was.
func (p *Publisher) SetFaults(f Faults) error {
	if err := f.validate(); err != nil {
		return err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.faults = f
	return nil
}

// Faults returns the rates in force.
func (p *Publisher) Faults() Faults {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.faults
}

// Stats returns the counts of what the Publisher did so far.
func (p *Publisher) Stats() Stats {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stats
}

// Publish publishes evs through the wrapped publisher, or injects the fault
// that this call draws. It keeps no reference to evs.
func (p *Publisher) Publish(ctx context.Context, evs ...events.Event) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.stats.Calls++
	call := p.stats.Calls
	if len(evs) == 0 {
		p.stats.Passed++
		return p.pass(ctx, evs)
	}
	kind, cut := p.draw(len(evs))
	switch kind {
	case FailedBefore:
		p.stats.FailedBefore++
		return &Error{Call: call, Kind: kind}
	case FailedAfter, FailedPartway:
		if err := p.pass(ctx, evs[:cut]); err != nil {
			return err
		}
		if kind == FailedAfter {
			p.stats.FailedAfter++
		} else {
			p.stats.FailedPartway++
		}
		return &Error{Call: call, Kind: kind, Stored: cut}
	case Duplicated:
		if err := p.pass(ctx, evs); err != nil {
			return err
		}
		p.stats.Duplicated++
		return p.pass(ctx, evs)
	}
	p.stats.Passed++
	return p.pass(ctx, evs)
}

// pass publishes evs through the wrapped publisher and counts its failures.
func (p *Publisher) pass(ctx context.Context, evs []events.Event) error {
	err := p.next.Publish(ctx, evs...)
	if err != nil {
		p.stats.NextFailed++
	}
	return err
}

// draw returns the kind of the next call of n events and, for a failure
// after or part-way, how many of them to publish. It runs with p.mu held.
// A call draws one number, and a part-way failure of more than one event a
// second one, so the draws of a run depend only on the calls' sizes.
func (p *Publisher) draw(n int) (Kind, int) {
	r := p.rng.IntN(Scale)
	f := p.faults
	switch {
	case r < f.FailBefore:
		return FailedBefore, 0
	case r < f.FailBefore+f.FailAfter:
		return FailedAfter, n
	case r < f.FailBefore+f.FailAfter+f.FailPartway:
		if n == 1 {
			return FailedAfter, 1
		}
		return FailedPartway, 1 + p.rng.IntN(n-1)
	case r < f.FailBefore+f.FailAfter+f.FailPartway+f.Duplicate:
		return Duplicated, n
	}
	return Passed, n
}
