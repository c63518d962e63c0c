package report

import (
	"strconv"
	"time"

	"github.com/cockroachdb/apd/v3"

	"github.com/scarcitylabs/scarcity/internal/exact"
)

// steps are the mantissas of a tick step: the ticks of an axis are 1, 2
// or 5 times a power of ten apart.
var steps = [...]int64{1, 2, 5}

// inverses are 1/steps[i], exact in decimal.
var inverses = [...]*apd.Decimal{apd.New(1, 0), apd.New(5, -1), apd.New(2, -1)}

// niceTicks returns the ticks of an axis that covers lo to hi: equally
// spaced, a step of 1, 2 or 5 times a power of ten apart (at least 1 if
// integer), from a multiple of the step at or below lo to one at or above
// hi, at most most of them (most ≥ 3: an axis across zero needs three).
// It picks the smallest such step. The arithmetic is exact. lo must not
// exceed hi; if they are equal, the one tick is lo.
func niceTicks(lo, hi *apd.Decimal, most int, integer bool) []*apd.Decimal {
	span := new(apd.Decimal)
	exact.Context.Sub(span, hi, lo)
	if span.Sign() <= 0 {
		return []*apd.Decimal{new(apd.Decimal).Set(lo)}
	}
	most = max(most, 3)
	// A step below span/(most-1) gives too many ticks: start one decade
	// under its order of magnitude.
	k := span.Exponent + int32(span.NumDigits()) - 1 - int32(len(strconv.Itoa(most-1))) - 1
	if integer {
		k = max(k, 0)
	}
	for ; ; k++ {
		for i, m := range steps {
			first, n := tickRange(lo, hi, i, k)
			if n > int64(most) {
				continue
			}
			step := apd.New(m, k)
			out := make([]*apd.Decimal, n)
			for j := range out {
				t := new(apd.Decimal)
				exact.Context.Add(t, first, apd.New(int64(j), 0))
				exact.Context.Mul(t, t, step)
				t.Reduce(t)
				out[j] = t
			}
			return out
		}
	}
}

// tickRange returns, for the step steps[i]×10^k, the first tick (in
// steps) at or below lo and the number of ticks to one at or above hi.
func tickRange(lo, hi *apd.Decimal, i int, k int32) (*apd.Decimal, int64) {
	first, last := new(apd.Decimal), new(apd.Decimal)
	exact.Context.Floor(first, inSteps(lo, i, k)) // Floor and Ceil must not work in place
	exact.Context.Ceil(last, inSteps(hi, i, k))
	n := new(apd.Decimal)
	exact.Context.Sub(n, last, first)
	count, err := n.Int64()
	if err != nil || count > 1<<20 {
		return first, 1 << 20
	}
	return first, count + 1
}

// inSteps returns x / (steps[i]×10^k), exactly.
func inSteps(x *apd.Decimal, i int, k int32) *apd.Decimal {
	d := new(apd.Decimal).Set(x)
	d.Exponent -= k
	exact.Context.Mul(d, d, inverses[i])
	return d
}

// timeSteps are the steps of a time axis, shortest first; longer spans
// use days in 1-2-5 steps.
var timeSteps = []time.Duration{
	time.Millisecond, 2 * time.Millisecond, 5 * time.Millisecond,
	10 * time.Millisecond, 20 * time.Millisecond, 50 * time.Millisecond,
	100 * time.Millisecond, 200 * time.Millisecond, 500 * time.Millisecond,
	time.Second, 2 * time.Second, 5 * time.Second, 10 * time.Second, 15 * time.Second, 30 * time.Second,
	time.Minute, 2 * time.Minute, 5 * time.Minute, 10 * time.Minute, 15 * time.Minute, 30 * time.Minute,
	time.Hour, 2 * time.Hour, 3 * time.Hour, 6 * time.Hour, 12 * time.Hour,
}

// niceTimes returns the ticks of a time axis from first to last: the
// instants within it that are multiples of the shortest step of
// timeSteps (or of a 1-2-5 number of days) that gives at most most, and
// the step. A span under a millisecond has the one tick first.
func niceTimes(first, last time.Time, most int) ([]time.Time, time.Duration) {
	span := last.Sub(first)
	if span < time.Millisecond {
		return []time.Time{first}, 0
	}
	most = max(most, 2)
	step := time.Duration(0)
	for _, s := range timeSteps {
		if int(span/s)+1 <= most {
			step = s
			break
		}
	}
	for d := 24 * time.Hour; step == 0; d *= 10 {
		for _, m := range steps {
			if s := time.Duration(m) * d; int(span/s)+1 <= most {
				step = s
				break
			}
		}
	}
	var out []time.Time
	for t := first.Truncate(step); !t.After(last); t = t.Add(step) {
		if !t.Before(first) {
			out = append(out, t)
		}
	}
	return out, step
}

// timeLabel is the layout of the labels of a time axis of step over span.
func timeLabel(step, span time.Duration) string {
	switch {
	case step == 0: // one instant
		return "15:04:05"
	case step >= 24*time.Hour:
		return "2006-01-02"
	case span >= 24*time.Hour:
		return "01-02 15:04"
	case step < time.Second:
		return "15:04:05.000"
	case step < time.Minute:
		return "15:04:05"
	default:
		return "15:04"
	}
}
