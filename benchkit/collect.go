package benchkit

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/scarcitylabs/scarcity/benchkit/internal/stream"
	"github.com/scarcitylabs/scarcity/events"
)

// DefaultMaxCollect bounds the events one Collect reads when
// CollectOptions.Max is zero.
const DefaultMaxCollect = 1 << 22

// CollectOptions says which events Collect reads and where it stops. At
// least one of Until, To, Max and Idle must be set; Collect stops at the
// first of them reached.
type CollectOptions struct {
	// From is the stream sequence of the first event read; 0 means 1.
	From uint64
	// Since, if not zero, starts at the first event at or after it.
	Since time.Time
	// Correlation, if not empty, reads only the events of that run.
	Correlation string
	// Until stops after the first event for which it returns true; that
	// event is included.
	Until func(events.Event) bool
	// To stops after the event whose stream sequence is To or more.
	To uint64
	// Max stops after Max events; zero means no limit of the caller's, but
	// Collect still fails with ErrCollectLimit at DefaultMaxCollect.
	Max int
	// Idle stops when no event arrives for Idle: the stream is taken to be
	// quiet. Zero waits as long as ctx allows.
	Idle time.Duration
}

// Collect reads events from sub as opts says and returns them in stream
// order. It only subscribes: it never publishes and never configures a
// stream. To read a live market's JetStream stream, open sub with
// natstransport.Options.ReadOnly, which learns the stream's subjects and
// never changes them. It returns a nil error when it reaches an end of opts, or when the
// subscription ends without error; otherwise it returns the events read so
// far with the subscription's error or ctx's.
func Collect(ctx context.Context, sub events.Subscriber, opts CollectOptions) ([]events.Event, error) {
	if opts.Until == nil && opts.To == 0 && opts.Max <= 0 && opts.Idle <= 0 {
		return nil, ErrCollectUnbounded
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	s, err := sub.Subscribe(ctx, events.SubscribeOptions{
		From: opts.From, Since: opts.Since, Filter: events.Filter{Correlation: opts.Correlation},
	})
	if err != nil {
		return nil, err
	}
	defer s.Close()
	c := collector{opts: opts, max: opts.Max}
	if c.max <= 0 {
		c.max = DefaultMaxCollect
	}
	return c.run(ctx, s)
}

// collector is the state of one Collect.
type collector struct {
	opts CollectOptions
	max  int
	evs  []events.Event
}

// run reads s until an end.
func (c *collector) run(ctx context.Context, s events.Subscription) ([]events.Event, error) {
	idle := c.idleTimer()
	defer idle.stop()
	for {
		select {
		case d, ok := <-s.C():
			if !ok {
				return c.evs, subscriptionErr(ctx, s)
			}
			if done, err := c.add(d); done {
				return c.evs, err
			}
			idle.reset()
		case <-idle.c:
			return c.evs, nil
		case <-ctx.Done():
			return c.evs, ctx.Err()
		}
	}
}

// add keeps d and reports whether the collection is over.
func (c *collector) add(d events.Delivery) (bool, error) {
	c.evs = append(c.evs, d.Event)
	switch {
	case c.opts.Until != nil && c.opts.Until(d.Event):
	case c.opts.To != 0 && d.Seq >= c.opts.To:
	case len(c.evs) >= c.max && c.opts.Max <= 0:
		return true, fmt.Errorf("%w: %d events", ErrCollectLimit, len(c.evs))
	case len(c.evs) >= c.max:
	default:
		return false, nil
	}
	return true, nil
}

// subscriptionErr is the error of an ended subscription.
func subscriptionErr(ctx context.Context, s events.Subscription) error {
	if err := s.Err(); err != nil {
		return err
	}
	return ctx.Err()
}

// idleTimer fires when no event has arrived for the idle time; its channel
// is nil (never ready) when there is none.
type idleTimer struct {
	t *time.Timer
	d time.Duration
	c <-chan time.Time
}

func (c *collector) idleTimer() idleTimer {
	if c.opts.Idle <= 0 {
		return idleTimer{}
	}
	t := time.NewTimer(c.opts.Idle)
	return idleTimer{t: t, d: c.opts.Idle, c: t.C}
}

// reset restarts the timer after an event.
func (t idleTimer) reset() {
	if t.t != nil {
		t.t.Reset(t.d)
	}
}

// stop releases the timer.
func (t idleTimer) stop() {
	if t.t != nil {
		t.t.Stop()
	}
}

// Filter returns the events of evs that belong to correlation, in order, in
// a new slice; an empty correlation keeps them all.
func Filter(evs []events.Event, correlation string) []events.Event {
	out := make([]events.Event, 0, len(evs))
	for _, e := range evs {
		if correlation == "" || e.Correlation == correlation {
			out = append(out, e)
		}
	}
	return out
}

// MaxLineErrors bounds the malformed lines ReadJSONL reports; it stops
// reading after that many.
const MaxLineErrors = 100

// LineError is a line of a JSONL stream that does not hold one event.
type LineError struct {
	// Line is the 1-based line number.
	Line int
	// Err says what is wrong; it wraps events.ErrMalformed or
	// events.ErrInvalid for a line that is not a valid event.
	Err error
}

// Error returns "benchkit: line <n>: <what is wrong>".
func (e *LineError) Error() string { return fmt.Sprintf("benchkit: line %d: %v", e.Line, e.Err) }

// Unwrap returns the cause.
func (e *LineError) Unwrap() error { return e.Err }

// WriteJSONL writes evs to w as JSON Lines: each event's CloudEvents JSON
// encoding (events.Encode) on a line of its own.
func WriteJSONL(w io.Writer, evs []events.Event) error {
	bw := bufio.NewWriter(w)
	for _, e := range evs {
		b, err := events.Encode(e)
		if err != nil {
			return fmt.Errorf("benchkit: write %s: %w", e.ID, err)
		}
		bw.Write(b)
		bw.WriteByte('\n')
	}
	return bw.Flush()
}

// ReadJSONL reads JSON Lines of CloudEvents-encoded events (WriteJSONL's
// format) and returns the events in order. Blank lines are skipped. Each
// line that is not one valid event is reported as a *LineError, up to
// MaxLineErrors, joined in the error; the events of the good lines are
// returned all the same, so a non-nil error means the stream is incomplete.
// A line longer than events.MaxEncodedSize ends the reading.
//
// Every field of every event's data is kept: an event whose data has
// fields its type's payload does not declare (a tool_call_completed with a
// test_results field, say) keeps them, so that a rule decides the same on
// the stream read back as on the stream in memory. The invariant checks
// see the typed payload all the same.
func ReadJSONL(r io.Reader) ([]events.Event, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), events.MaxEncodedSize+1)
	var evs []events.Event
	var errs []error
	line := 0
	for sc.Scan() {
		line++
		b := bytes.TrimSpace(sc.Bytes())
		if len(b) == 0 {
			continue
		}
		e, err := decodeLine(b)
		if err != nil {
			errs = append(errs, &LineError{Line: line, Err: err})
			if len(errs) == MaxLineErrors {
				errs = append(errs, fmt.Errorf("benchkit: stopped after %d malformed lines", MaxLineErrors))
				break
			}
			continue
		}
		evs = append(evs, e)
	}
	if err := sc.Err(); err != nil {
		errs = append(errs, &LineError{Line: line + 1, Err: err})
	}
	return evs, errors.Join(errs...)
}

// decodeLine decodes one event, keeping the fields of its data that its
// typed payload may not declare, at any depth (stream.FullData): a line
// whose data Encode would not write as it is keeps its data as read. Only
// the data is compared: the envelope's attributes are parsed into the
// event, whatever their order or spacing, and Encode adds some (dataschema)
// that lines written before them lack.
func decodeLine(b []byte) (events.Event, error) {
	e, err := events.Decode(b)
	if err != nil {
		return e, err
	}
	if _, raw := e.Data.(events.Raw); raw {
		return e, nil
	}
	again, err := events.Encode(e)
	if err == nil && bytes.Equal(again, b) {
		return e, nil // as written by Encode: nothing was dropped
	}
	var line, written struct {
		Data json.RawMessage `json:"data"`
	}
	if json.Unmarshal(b, &line) != nil {
		return e, nil
	}
	if err == nil && json.Unmarshal(again, &written) == nil && bytes.Equal(line.Data, written.Data) {
		return e, nil // the data as Encode writes it: nothing was dropped
	}
	e.Data = stream.FullData{Payload: e.Data, Raw: bytes.Clone(line.Data)}
	return e, nil
}
