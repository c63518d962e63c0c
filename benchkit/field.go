package benchkit

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/cockroachdb/apd/v3"

	"github.com/scarcitylabs/scarcity/benchkit/internal/stream"
	"github.com/scarcitylabs/scarcity/events"
)

// maxFieldDepth bounds the nesting of a field path and of the data a
// contains filter searches.
const maxFieldDepth = 64

// envelopeFields are the field names that address the envelope of an event
// rather than its data. The CloudEvents spellings of the extension
// attributes are accepted too.
var envelopeFields = map[string]bool{
	"id": true, "type": true, "source": true, "subject": true, "time": true,
	"sequence": true, "correlation": true, "correlationid": true,
	"causation": true, "causationid": true, "traceparent": true,
	"schema": true, "schemaversion": true,
}

// fieldView is an event in its JSON form: the envelope attributes and the
// data decoded with numbers kept as json.Number, so every payload, typed or
// raw, is read the same way.
type fieldView struct {
	event events.Event
	data  any
	err   error // the data could not be read as JSON
}

// viewOf returns the JSON form of e. A payload that cannot be encoded or
// decoded leaves data nil and records why in err.
func viewOf(e events.Event) fieldView {
	v := fieldView{event: e}
	if e.Data == nil {
		v.err = fmt.Errorf("%w: %s has no data", ErrMalformedEvent, stream.EventName(e))
		return v
	}
	b, err := json.Marshal(e.Data)
	if err != nil {
		v.err = fmt.Errorf("%w: %s data: %v", ErrMalformedEvent, stream.EventName(e), err)
		return v
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(&v.data); err != nil {
		v.err = fmt.Errorf("%w: %s data: %v", ErrMalformedEvent, stream.EventName(e), err)
		v.data = nil
	}
	return v
}

// lookup resolves a field path on the event: an envelope attribute, a
// dotted path under "data." or, for any other name, the path under data.
// Array elements are addressed by index. ok is false if nothing is there.
func (v fieldView) lookup(path string) (any, bool) {
	if envelopeFields[path] {
		return v.envelope(path), true
	}
	if path == "data" {
		return v.data, v.data != nil
	}
	rest, _ := strings.CutPrefix(path, "data.")
	return walk(v.data, strings.Split(rest, "."))
}

// envelope returns the envelope attribute name as a JSON value.
func (v fieldView) envelope(name string) any {
	e := v.event
	switch name {
	case "id":
		return e.ID
	case "type":
		return string(e.Type)
	case "source":
		return string(e.Source)
	case "subject":
		return e.Subject
	case "time":
		return e.Time.UTC().Format(time.RFC3339Nano)
	case "sequence":
		return json.Number(strconv.FormatUint(e.Sequence, 10))
	case "correlation", "correlationid":
		return e.Correlation
	case "causation", "causationid":
		return e.Causation
	case "traceparent":
		return e.TraceParent
	default: // schema, schemaversion
		return json.Number(strconv.Itoa(e.Schema))
	}
}

// walk follows segs from x.
func walk(x any, segs []string) (any, bool) {
	if len(segs) > maxFieldDepth {
		return nil, false
	}
	for _, s := range segs {
		switch n := x.(type) {
		case map[string]any:
			var ok bool
			if x, ok = n[s]; !ok {
				return nil, false
			}
		case []any:
			i, err := strconv.Atoi(s)
			if err != nil || i < 0 || i >= len(n) {
				return nil, false
			}
			x = n[i]
		default:
			return nil, false
		}
	}
	return x, x != nil
}

// text returns the string form of a scalar JSON value, and false for an
// object, an array or null.
func text(x any) (string, bool) {
	switch t := x.(type) {
	case string:
		return t, true
	case json.Number:
		return t.String(), true
	case bool:
		return strconv.FormatBool(t), true
	default:
		return "", false
	}
}

// numeric returns the value of a JSON number, or of a string holding a
// decimal (amounts travel as decimal strings), as an exact decimal.
func numeric(x any) (*apd.Decimal, bool) {
	var s string
	switch t := x.(type) {
	case json.Number:
		s = t.String()
	case string:
		s = t
	default:
		return nil, false
	}
	d, err := parseExact(s)
	return d, err == nil
}

// equalValue reports whether the field value x equals the filter value
// want: as decimals when both are numbers, else as text.
func equalValue(x any, want string) bool {
	got, ok := text(x)
	if !ok {
		return false
	}
	if got == want {
		return true
	}
	a, okA := numeric(x)
	b, errB := parseExact(want)
	return okA && errB == nil && a.Cmp(b) == 0
}

// containsText reports whether any string value in x, at any depth,
// contains sub.
func containsText(x any, sub string, depth int) bool {
	if depth > maxFieldDepth {
		return false
	}
	switch t := x.(type) {
	case string:
		return strings.Contains(t, sub)
	case map[string]any:
		for _, v := range t {
			if containsText(v, sub, depth+1) {
				return true
			}
		}
	case []any:
		for _, v := range t {
			if containsText(v, sub, depth+1) {
				return true
			}
		}
	}
	return false
}

// dataString returns the string at the top-level data key, or "".
func (v fieldView) dataString(key string) string {
	m, _ := v.data.(map[string]any)
	s, _ := m[key].(string)
	return s
}

// maxDecimalText bounds the length of a decimal in a scenario or a field.
const maxDecimalText = 100

// parseExact parses a finite decimal, JSON exponent notation included,
// exactly.
func parseExact(s string) (*apd.Decimal, error) {
	if s == "" || len(s) > maxDecimalText {
		return nil, fmt.Errorf("%q is not a decimal", s)
	}
	d, _, err := apd.NewFromString(s)
	if err != nil || d.Form != apd.Finite || d.Exponent > maxDecimalText || d.Exponent < -maxDecimalText {
		return nil, fmt.Errorf("%q is not a finite decimal", s)
	}
	return d, nil
}
