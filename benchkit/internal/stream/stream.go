// Package stream holds what the packages of benchkit share to read an
// event stream: the typed payload of an event, however it was read, and
// the spend a run records in a sliding window.
package stream

import (
	"encoding/json"
	"fmt"
	"reflect"
	"time"

	"github.com/cockroachdb/apd/v3"

	"github.com/scarcitylabs/scarcity/events"
	"github.com/scarcitylabs/scarcity/internal/exact"
)

// FullData is a typed payload read together with the data it was read
// from, which may have fields the type does not declare (benchkit's
// ReadJSONL keeps them): the invariant checks and the metrics see the
// typed payload (Payload unwraps it), the rules of a scenario and
// WriteJSONL every field.
type FullData struct {
	events.Payload
	Raw json.RawMessage
}

// MarshalJSON returns the data as read.
func (f FullData) MarshalJSON() ([]byte, error) { return f.Raw, nil }

// Payload returns the typed payload of p: the payload p points to if p is
// a non-nil pointer to a payload value, the typed payload of data read with
// every field (FullData), else p: the checks accept every form.
func Payload(p events.Payload) events.Payload {
	if f, ok := p.(FullData); ok {
		p = f.Payload
	}
	v := reflect.ValueOf(p)
	if v.Kind() == reflect.Pointer && !v.IsNil() {
		if d, ok := v.Elem().Interface().(events.Payload); ok {
			return d
		}
	}
	return p
}

// EventName names e in messages: its id, or its short form if it has none.
func EventName(e events.Event) string {
	if e.ID != "" {
		return e.ID
	}
	return e.String()
}

// SpendLimit is a limit on the units of one service-level resource
// consumed in any sliding window: within (t−Window, t], for every t, at
// most Limit units. It has the fields of invariant.SpendLimit, which
// converts to it.
type SpendLimit struct {
	Resource string
	Limit    int64
	Window   time.Duration
}

// Validate reports a limit the checks cannot use.
func (l SpendLimit) Validate() error {
	if l.Resource == "" || l.Limit < 0 || l.Window <= 0 {
		return fmt.Errorf("spend limit %+v needs a resource, a limit of at least 0 and a positive window", l)
	}
	return nil
}

// SpendLimits returns the spend limit each run's first spend_limit_reached
// states, by correlation; nil if no run states one.
func SpendLimits(evs []events.Event) map[string]SpendLimit {
	var limits map[string]SpendLimit
	for _, e := range evs {
		if e.Type != events.TypeSpendLimitReached {
			continue
		}
		p, ok := Payload(e.Data).(events.SpendLimitReached)
		if _, seen := limits[e.Correlation]; !ok || seen {
			continue
		}
		window, err := Seconds(p.WindowSeconds)
		if err != nil || window <= 0 {
			continue // reported by the check of that event
		}
		if limits == nil {
			limits = make(map[string]SpendLimit)
		}
		limits[e.Correlation] = SpendLimit{Resource: p.Resource, Limit: p.Limit, Window: window}
	}
	return limits
}

// Seconds converts a decimal number of seconds to a Duration, refusing
// one that is not a whole number of nanoseconds.
func Seconds(seconds events.Decimal) (time.Duration, error) {
	d, err := seconds.Apd()
	if err != nil {
		return 0, err
	}
	var ns apd.Decimal
	ctx := exact.WithPrecision(exact.MaxDigits)
	if _, err := ctx.Mul(&ns, d, apd.New(1, 9)); err != nil {
		return 0, err
	}
	if _, err := ctx.RoundToIntegralExact(&ns, &ns); err != nil {
		return 0, fmt.Errorf("%s seconds is not a whole number of nanoseconds", seconds)
	}
	n, err := ns.Int64()
	return time.Duration(n), err
}

// Spent is units recorded at a time, in Unix nanoseconds, by the event at
// a stream position.
type Spent struct {
	At, Units int64
	Index     int
}

// Window is the spend of one run in the sliding window of its limit.
type Window struct {
	Limit SpendLimit
	// Sum is the units recorded in the window.
	Sum  int64
	recs []Spent // in the window, from head
	head int
}

// Evict drops the records at or before now−Window.
func (w *Window) Evict(now int64) {
	cut := now - int64(w.Limit.Window)
	for w.head < len(w.recs) && w.recs[w.head].At <= cut {
		w.Sum -= w.recs[w.head].Units
		w.head++
	}
	if w.head > 1024 && w.head*2 > len(w.recs) {
		w.recs = append(w.recs[:0], w.recs[w.head:]...)
		w.head = 0
	}
}

// Add records s, which is not earlier than the records in the window.
func (w *Window) Add(s Spent) {
	w.recs = append(w.recs, s)
	w.Sum += s.Units
}

// Records returns the number of records in the window and the first.
func (w *Window) Records() (int, Spent) {
	if w.head == len(w.recs) {
		return 0, Spent{}
	}
	return len(w.recs) - w.head, w.recs[w.head]
}
