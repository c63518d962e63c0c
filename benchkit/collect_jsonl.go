package benchkit

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/scarcitylabs/scarcity/events"
)

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
// typed payload may not declare, at any depth (fullData): a line that
// Encode would not write as it is keeps its data as read.
func decodeLine(b []byte) (events.Event, error) {
	e, err := events.Decode(b)
	if err != nil {
		return e, err
	}
	if _, raw := e.Data.(events.Raw); raw {
		return e, nil
	}
	if again, err := events.Encode(e); err == nil && bytes.Equal(again, b) {
		return e, nil // as written by Encode: nothing was dropped
	}
	var line struct {
		Data json.RawMessage `json:"data"`
	}
	if json.Unmarshal(b, &line) == nil {
		e.Data = fullData{Payload: e.Data, raw: bytes.Clone(line.Data)}
	}
	return e, nil
}

// fullData is a typed payload read together with the data it was read
// from, which may have fields the type does not declare: the invariant checks
// see the typed payload (payload unwraps it), rules and WriteJSONL every
// field.
type fullData struct {
	events.Payload
	raw json.RawMessage
}

// MarshalJSON returns the data as read.
func (f fullData) MarshalJSON() ([]byte, error) { return f.raw, nil }
