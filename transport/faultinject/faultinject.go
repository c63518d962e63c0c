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
	// to more than Scale, or Late faults without a LateWriter.
	ErrInvalidFaults = errors.New("faultinject: invalid faults")
	// ErrNotReader reports a ReadAll through a Publisher whose wrapped
	// publisher cannot read its stream back.
	ErrNotReader = errors.New("faultinject: the wrapped publisher is not an events.Reader")
	// ErrNotTailReader reports a ReadFrom or LastSequence through a
	// Publisher whose wrapped publisher is not an events.TailReader.
	ErrNotTailReader = errors.New("faultinject: the wrapped publisher is not an events.TailReader")
)

// Faults are the rates of the faults a Publisher injects, each in calls per
// Scale (ten thousand) calls. The zero value injects nothing. The rates of
// the publishing faults (all but FailRead) add up to at most Scale.
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
	// Full refuses a call as a full stream does: nothing is published and
	// the error wraps events.ErrFull (not events.ErrInDoubt).
	Full int
	// Late fails a call in doubt and stores its events later, through the
	// wrapped publisher's LateWriter, exactly as the call would have stored
	// them: around one of the calls that follow. It needs a LateWriter.
	Late int
	// FailRead fails a read (ReadAll, ReadFrom, LastSequence), per Scale
	// reads.
	FailRead int
}

// validate reports rates that are negative or add up to more than Scale.
func (f Faults) validate() error {
	if f.FailBefore < 0 || f.FailAfter < 0 || f.FailPartway < 0 || f.Duplicate < 0 || f.Full < 0 || f.Late < 0 || f.FailRead < 0 {
		return fmt.Errorf("%w: negative rate in %+v", ErrInvalidFaults, f)
	}
	if sum := f.publishing(); sum > Scale {
		return fmt.Errorf("%w: rates add up to %d, more than %d", ErrInvalidFaults, sum, Scale)
	}
	if f.FailRead > Scale {
		return fmt.Errorf("%w: FailRead %d is more than %d", ErrInvalidFaults, f.FailRead, Scale)
	}
	return nil
}

// publishing returns the sum of the rates of the faults of a publish.
func (f Faults) publishing() int {
	return f.FailBefore + f.FailAfter + f.FailPartway + f.Duplicate + f.Full + f.Late
}

// Kind is what a Publisher did with one call.
type Kind int

// The kinds of call, in the order their rates are laid out, then the kinds
// no rate draws: a read that failed, and an asynchronous call refused
// because an earlier one was cut short.
const (
	Passed Kind = iota
	FailedBefore
	FailedAfter
	FailedPartway
	Duplicated
	RefusedFull
	DeliveredLate
	FailedRead
	RefusedBehind
)

var kindNames = [...]string{"passed", "failed before publishing", "failed after publishing",
	"failed part-way", "duplicated", "refused: stream full", "failed, delivered late",
	"read failed", "refused behind a call cut short"}

func (k Kind) String() string {
	if k < 0 || int(k) >= len(kindNames) {
		return fmt.Sprintf("Kind(%d)", int(k))
	}
	return kindNames[k]
}

// InDoubt reports whether a call of kind k may have stored events although
// it failed (or may store them yet): the caller cannot know whether its
// change was accepted.
func (k Kind) InDoubt() bool { return k == FailedAfter || k == FailedPartway || k == DeliveredLate }

// Error is the error of an injected failure.
type Error struct {
	// Call is the number of the call, from 1 (reads and publishes are
	// numbered apart).
	Call uint64
	// Kind is the fault.
	Kind Kind
	// Stored is the number of the call's events that were published
	// before the call returned.
	Stored int
}

func (e *Error) Error() string {
	return fmt.Sprintf("faultinject: call %d %s (%d events stored)", e.Call, e.Kind, e.Stored)
}

// Is reports whether target is ErrInjected, events.ErrInDoubt for a
// failure whose events may be stored (after, part-way, late), or
// events.ErrFull for a full-stream refusal.
func (e *Error) Is(target error) bool {
	return target == ErrInjected || target == events.ErrInDoubt && e.Kind.InDoubt() ||
		target == events.ErrFull && e.Kind == RefusedFull
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
	Full          uint64
	Late          uint64
	// LateStored and LateRefused count late deliveries (and the copies
	// Duplicate sends late) that the stream stored, or refused, in whole
	// or in part; LatePending those not delivered yet.
	LateStored, LateRefused, LatePending uint64
	// RefusedBehind counts asynchronous calls refused because an earlier
	// call in flight was cut short.
	RefusedBehind uint64
	// Reads and FailedReads count reads: ReadAll, ReadFrom and
	// LastSequence calls.
	Reads, FailedReads uint64
	// NextFailed counts calls the wrapped publisher failed itself.
	NextFailed uint64
}

// InDoubt returns the number of failed calls that stored events, or may.
func (s Stats) InDoubt() uint64 { return s.FailedAfter + s.FailedPartway + s.Late }

// A LateWriter is a publisher that can store events later exactly as a
// call made now would store them: on a stream that checks each write
// against the stream's last sequence (JetStream's expected last sequence),
// with the sequence expected now, so that the stream refuses them if it
// moved on meanwhile. A Publisher over a LateWriter can inject Late faults.
type LateWriter interface {
	// PrepareLate returns the function that stores evs later as a call
	// made now would. It is called with no call of the Publisher in
	// flight, and must not keep evs, the slice. failed says whether the
	// call is reported failed (a late delivery: a writer that predicts the
	// stream's position loses it, as after any call in doubt) or is
	// published as well (the copy a Duplicate resends).
	PrepareLate(ctx context.Context, evs []events.Event, failed bool) (deliver func(context.Context) error, err error)
}

// Publisher wraps an events.Publisher and injects faults into its calls.
// It is an events.TailReader: ReadAll reads through the wrapped publisher
// if it is an events.Reader (else it fails with ErrNotReader), ReadFrom and
// LastSequence if it is an events.TailReader (else they fail with
// ErrNotTailReader), each with FailRead faults.
type Publisher struct {
	next events.Publisher
	late LateWriter // next, if it is one

	mu      sync.Mutex
	rng     *rand.Rand
	faults  Faults
	stats   Stats
	pending []func(context.Context) error // late deliveries not made yet
}

var (
	_ events.Publisher  = (*Publisher)(nil)
	_ events.TailReader = (*Publisher)(nil)
)

// New returns a Publisher over next that injects faults at the rates f,
// its random choices drawn from a PCG source seeded with seed.
func New(next events.Publisher, seed uint64, f Faults) (*Publisher, error) {
	if next == nil {
		return nil, fmt.Errorf("%w: no publisher to wrap", ErrInvalidFaults)
	}
	p := &Publisher{next: next, rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
	p.late, _ = next.(LateWriter)
	if err := p.check(f); err != nil {
		return nil, err
	}
	p.faults = f
	return p, nil
}

// check validates f for p.
func (p *Publisher) check(f Faults) error {
	if err := f.validate(); err != nil {
		return err
	}
	if f.Late > 0 && p.late == nil {
		return fmt.Errorf("%w: Late faults need a LateWriter; %T is not one", ErrInvalidFaults, p.next)
	}
	return nil
}

// SetFaults changes the rates of the faults injected from the next call on.
// The random source goes on where it was.
func (p *Publisher) SetFaults(f Faults) error {
	if err := p.check(f); err != nil {
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
	st := p.stats
	st.LatePending = uint64(len(p.pending))
	return st
}

// Publish publishes evs through the wrapped publisher, or injects the fault
// that this call draws. It keeps no reference to evs.
func (p *Publisher) Publish(ctx context.Context, evs ...events.Event) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	after := p.lateBefore(ctx)
	defer p.deliver(ctx, after)
	p.stats.Calls++
	call := p.stats.Calls
	if len(evs) == 0 {
		p.stats.Passed++
		return p.pass(ctx, evs)
	}
	kind, cut := p.draw(len(evs))
	switch kind {
	case FailedBefore, RefusedFull:
		p.count(kind)
		return &Error{Call: call, Kind: kind}
	case FailedAfter, FailedPartway:
		if err := p.pass(ctx, evs[:cut]); err != nil {
			return err
		}
		p.count(kind)
		return &Error{Call: call, Kind: kind, Stored: cut}
	case DeliveredLate:
		if err := p.prepareLate(ctx, evs, true); err != nil {
			return err
		}
		p.count(kind)
		return &Error{Call: call, Kind: kind}
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

// count counts a call of kind k. It runs with p.mu held.
func (p *Publisher) count(k Kind) {
	switch k {
	case Passed:
		p.stats.Passed++
	case FailedBefore:
		p.stats.FailedBefore++
	case FailedAfter:
		p.stats.FailedAfter++
	case FailedPartway:
		p.stats.FailedPartway++
	case Duplicated:
		p.stats.Duplicated++
	case RefusedFull:
		p.stats.Full++
	case DeliveredLate:
		p.stats.Late++
	case RefusedBehind:
		p.stats.RefusedBehind++
	}
}

// ReadAll reads the wrapped publisher's stream back, or fails as this read
// draws (FailRead). Late deliveries may be made around it.
func (p *Publisher) ReadAll(ctx context.Context) ([]events.Event, error) {
	r, ok := p.next.(events.Reader)
	if !ok {
		return nil, fmt.Errorf("%w: %T", ErrNotReader, p.next)
	}
	var evs []events.Event
	err := p.read(ctx, func() (err error) {
		evs, err = r.ReadAll(ctx)
		return err
	})
	return evs, err
}

// ReadFrom reads the wrapped publisher's stream from stream sequence from,
// or fails as this read draws (FailRead), as ReadAll does. Late deliveries
// may be made around it.
func (p *Publisher) ReadFrom(ctx context.Context, from uint64) ([]events.Event, uint64, error) {
	r, ok := p.next.(events.TailReader)
	if !ok {
		return nil, 0, fmt.Errorf("%w: %T", ErrNotTailReader, p.next)
	}
	var evs []events.Event
	var last uint64
	err := p.read(ctx, func() (err error) {
		evs, last, err = r.ReadFrom(ctx, from)
		return err
	})
	return evs, last, err
}

// LastSequence returns the wrapped publisher's stream's last sequence, or
// fails as this read draws (FailRead), as ReadAll does. Late deliveries may
// be made around it.
func (p *Publisher) LastSequence(ctx context.Context) (uint64, error) {
	r, ok := p.next.(events.TailReader)
	if !ok {
		return 0, fmt.Errorf("%w: %T", ErrNotTailReader, p.next)
	}
	var last uint64
	err := p.read(ctx, func() (err error) {
		last, err = r.LastSequence(ctx)
		return err
	})
	return last, err
}

// read makes the read f, or fails as this read draws (FailRead), with the
// late deliveries due before and after it.
func (p *Publisher) read(ctx context.Context, f func() error) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	after := p.lateBefore(ctx)
	defer p.deliver(ctx, after)
	p.stats.Reads++
	if p.faults.FailRead > 0 && p.rng.IntN(Scale) < p.faults.FailRead {
		p.stats.FailedReads++
		return &Error{Call: p.stats.Reads, Kind: FailedRead}
	}
	return f()
}

// Flush makes every late delivery still pending, in order, and returns
// how many the stream stored in whole.
func (p *Publisher) Flush(ctx context.Context) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	before := p.stats.LateStored
	all := p.pending
	p.pending = nil
	p.deliver(ctx, all)
	return int(p.stats.LateStored - before)
}

// pass publishes evs through the wrapped publisher and counts its failures.
func (p *Publisher) pass(ctx context.Context, evs []events.Event) error {
	err := p.next.Publish(ctx, evs...)
	if err != nil {
		p.stats.NextFailed++
	}
	return err
}

// prepareLate prepares the late delivery of evs. It runs with p.mu held.
func (p *Publisher) prepareLate(ctx context.Context, evs []events.Event, failed bool) error {
	deliver, err := p.late.PrepareLate(ctx, evs, failed)
	if err != nil {
		p.stats.NextFailed++
		return err
	}
	p.pending = append(p.pending, deliver)
	return nil
}

// lateBefore draws, for each late delivery pending, whether it is made now
// (before the call), after the call (returned, to give to deliver), or
// later still; it makes those due now. It runs with p.mu held, and draws
// nothing if nothing is pending, so that a run without Late faults draws as
// it did before they existed.
func (p *Publisher) lateBefore(ctx context.Context) (after []func(context.Context) error) {
	if len(p.pending) == 0 {
		return nil
	}
	var now, later []func(context.Context) error
	for _, d := range p.pending {
		switch p.rng.IntN(3) {
		case 0:
			now = append(now, d)
		case 1:
			after = append(after, d)
		default:
			later = append(later, d)
		}
	}
	p.pending = later
	p.deliver(ctx, now)
	return after
}

// deliver makes the late deliveries ds, in order. It runs with p.mu held.
func (p *Publisher) deliver(ctx context.Context, ds []func(context.Context) error) {
	for _, d := range ds {
		if err := d(ctx); err != nil {
			p.stats.LateRefused++
		} else {
			p.stats.LateStored++
		}
	}
}

// draw returns the kind of the next call of n events and, for a failure
// after or part-way, how many of them to publish. It runs with p.mu held.
// A call draws one number, and a part-way failure of more than one event a
// second one, so the draws of a run depend only on the calls' sizes.
func (p *Publisher) draw(n int) (Kind, int) {
	r := p.rng.IntN(Scale)
	f := p.faults
	for _, k := range [...]struct {
		kind Kind
		rate int
	}{{FailedBefore, f.FailBefore}, {FailedAfter, f.FailAfter}, {FailedPartway, f.FailPartway},
		{Duplicated, f.Duplicate}, {RefusedFull, f.Full}, {DeliveredLate, f.Late}} {
		if r < k.rate {
			switch k.kind {
			case FailedPartway:
				if n == 1 {
					return FailedAfter, 1
				}
				return FailedPartway, 1 + p.rng.IntN(n-1)
			case FailedBefore, RefusedFull, DeliveredLate:
				return k.kind, 0
			}
			return k.kind, n
		}
		r -= k.rate
	}
	return Passed, n
}
