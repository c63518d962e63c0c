package benchkit

import (
	"fmt"
	"time"

	"github.com/cockroachdb/apd/v3"
	"github.com/google/go-cmp/cmp"

	"github.com/scarcitylabs/scarcity/events"
)

// CheckSpend returns nil or an error joining a *Violation named
// "spend_within_limit" for every usage_recorded of the spend resource that
// takes the units recorded in the window ending at its time, (t−Window, t],
// past the limit, and for every spend_limit_reached that does not agree
// with the stream: whose spent is not the units recorded in the window
// ending at its time, whose reserved is not the units of the spend
// resource reserved (usage_reserved) and not yet released
// (reservation_released), whose limit or window is not the limit's, or
// whose request would have fitted.
//
// The limit is o.Spend, or else the limit and window the run's first
// spend_limit_reached states; a run without either is not checked. The
// check takes each usage_recorded's time as the time of the spend, which
// holds when the scheduler publishes usage as it meters it (no usage
// batching).
func CheckSpend(evs []events.Event, o Options) error {
	if err := o.validate(); err != nil {
		return err
	}
	return join(inOrder(spend(evs, o)))
}

// spendLimits returns the spend limit each run's first spend_limit_reached
// states, by correlation.
func spendLimits(evs []events.Event) map[string]SpendLimit {
	var limits map[string]SpendLimit
	for _, e := range evs {
		if e.Type != events.TypeSpendLimitReached {
			continue
		}
		p, ok := payload(e.Data).(events.SpendLimitReached)
		if _, seen := limits[e.Correlation]; !ok || seen {
			continue
		}
		window, err := durationOf(p.WindowSeconds)
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

// durationOf converts a decimal number of seconds to a Duration, refusing
// one that is not a whole number of nanoseconds.
func durationOf(seconds events.Decimal) (time.Duration, error) {
	d, err := seconds.Apd()
	if err != nil {
		return 0, err
	}
	var ns apd.Decimal
	ctx := newExactContext()
	if _, err := ctx.Mul(&ns, d, apd.New(1, 9)); err != nil {
		return 0, err
	}
	if _, err := ctx.RoundToIntegralExact(&ns, &ns); err != nil {
		return 0, fmt.Errorf("%s seconds is not a whole number of nanoseconds", seconds)
	}
	n, err := ns.Int64()
	return time.Duration(n), err
}

// spent is units recorded at a time, in Unix nanoseconds.
type spent struct {
	at, units int64
	index     int
}

// spendWindow is the replayed spend of one run.
type spendWindow struct {
	limit    SpendLimit
	recs     []spent // in the window, from head
	head     int
	sum      int64
	reserved map[string]int64 // outstanding reservations of the resource
	total    int64            // their units
}

// evict drops the records at or before now−Window.
func (w *spendWindow) evict(now int64) {
	cut := now - int64(w.limit.Window)
	for w.head < len(w.recs) && w.recs[w.head].at <= cut {
		w.sum -= w.recs[w.head].units
		w.head++
	}
	if w.head > 1024 && w.head*2 > len(w.recs) {
		w.recs = append(w.recs[:0], w.recs[w.head:]...)
		w.head = 0
	}
}

func spend(evs []events.Event, o Options) []finding {
	var limits map[string]SpendLimit
	if o.Spend == nil {
		if limits = spendLimits(evs); limits == nil {
			return nil
		}
	}
	r := newRecorder(SpendWithinLimit)
	runs := make(map[string]*spendWindow)
	for i, e := range evs {
		if e.Source != events.SourceScheduler {
			continue
		}
		w := runs[e.Correlation]
		if w == nil {
			limit, ok := limits[e.Correlation]
			if o.Spend != nil {
				limit, ok = *o.Spend, true
			}
			if !ok {
				continue
			}
			w = &spendWindow{limit: limit, reserved: make(map[string]int64)}
			runs[e.Correlation] = w
		}
		r.at(i, e)
		w.apply(r, evs, i, e)
	}
	return r.found
}

// apply replays one scheduler event on the window.
func (w *spendWindow) apply(r *recorder, evs []events.Event, i int, e events.Event) {
	switch p := payload(e.Data).(type) {
	case events.UsageRecorded:
		if p.Resource == w.limit.Resource {
			w.record(r, evs, i, e.Time.UnixNano(), p.Quantity)
		}
	case events.UsageReserved:
		if p.Resource == w.limit.Resource {
			w.reserved[p.ReservationID] = p.Quantity
			w.total += p.Quantity
		}
	case events.ReservationReleased:
		if q, ok := w.reserved[p.ReservationID]; ok {
			w.total -= q
			delete(w.reserved, p.ReservationID)
		}
	case events.SpendLimitReached:
		w.refused(r, e.Time.UnixNano(), p)
	}
}

func (w *spendWindow) record(r *recorder, evs []events.Event, i int, now, units int64) {
	w.evict(now)
	w.recs = append(w.recs, spent{now, units, i})
	w.sum += units
	if w.sum <= w.limit.Limit {
		return
	}
	first := w.recs[w.head]
	r.flag("%d units of %s recorded in the %v ending here, above the limit %d: %d usage_recorded from event %s",
		w.sum, w.limit.Resource, w.limit.Window, w.limit.Limit, len(w.recs)-w.head, evs[first.index].ID)
}

// spendState is what a spend_limit_reached reports, compared with the
// replay.
type spendState struct {
	Resource string
	Limit    int64
	Window   time.Duration
	Spent    int64
	Reserved int64
}

func (w *spendWindow) refused(r *recorder, now int64, p events.SpendLimitReached) {
	w.evict(now)
	window, err := durationOf(p.WindowSeconds)
	if err != nil {
		r.flag("window_seconds %q: %v", p.WindowSeconds, err)
	}
	want := spendState{w.limit.Resource, w.limit.Limit, w.limit.Window, w.sum, w.total}
	got := spendState{p.Resource, p.Limit, window, p.Spent, p.Reserved}
	if diff := cmp.Diff(want, got); diff != "" {
		r.flag("spend_limit_reached of %q disagrees with the stream (-want +got):\n%s", p.AgentID, diff)
	}
	if p.Spent+p.Reserved+p.Requested <= p.Limit {
		r.flag("%q was refused %d units with %d spent and %d reserved of %d", p.AgentID, p.Requested, p.Spent, p.Reserved, p.Limit)
	}
}
