package auction

import (
	"errors"
	"fmt"
	"maps"
	"math/bits"

	"github.com/scarcitylabs/scarcity/internal/exact"

	"github.com/cockroachdb/apd/v3"
	"github.com/scarcitylabs/scarcity/bundle"
	"github.com/scarcitylabs/scarcity/events"
)

// candidate is a bid that passed screening: its bundle with the window
// start fixed (sharing the bid's quantities, which nothing modifies), its
// cost at the reserve prices, and the figures clearing needs of it,
// computed once.
type candidate struct {
	bid     *Bid // the round's bid, which nothing modifies
	bundle  bundle.Bundle
	reserve *apd.Decimal // its reserve cost; nil until needed where cost holds it
	limit   word         // the bid's limit, as a word
	cost    word         // its reserve cost, as a word
	need    []need       // the quantities by resource index, in name order
	lo, hi  int          // the run of occupancy cells its window covers
	rank    rank         // its key in the clearing order
	blocks  []blockingOf // for an outbid candidate, where it was over capacity
	index   int32        // position in Round.Bids
	pos     int32        // its position in the clearing order
	won     bool
}

// reserveCost returns c's reserve cost as a decimal.
func (c *candidate) reserveCost() *apd.Decimal {
	if c.reserve == nil {
		c.reserve = c.cost.decimal()
	}
	return c.reserve
}

// need is a quantity of the resource at index res of the catalog.
type need struct {
	res int
	n   int64
}

// screenAll screens r's bids: it returns, by bid index, the verdict on
// each bid that fails screening (the zero verdict for the others), and the
// candidates, in bid order.
func screenAll(r Round) ([]verdict, []candidate) {
	s := newScreener(r)
	verdicts := make([]verdict, len(r.Bids))
	cs := make([]candidate, 0, len(r.Bids))
	for i := range r.Bids {
		c, v := s.screen(i, &r.Bids[i])
		if v.reason != "" {
			verdicts[i] = v
			continue
		}
		cs = append(cs, c)
	}
	return verdicts, cs
}

// verdict is why a bid lost, reason empty if it did not, with the detail.
type verdict struct {
	reason events.RejectReason
	detail string
}

// screener screens the bids of a round, computing each candidate's needs
// and reserve cost on integers where it can.
type screener struct {
	r        Round
	names    []string       // the catalog's
	index    map[string]int // resource index by name
	capacity []int64        // by resource index
	ticks    tickPrices     // the reserve prices
	needs    []need         // the current chunk of the candidates' needs
}

// newScreener returns a screener of r's bids.
func newScreener(r Round) *screener {
	names := r.Calendar.Catalog().Names()
	s := &screener{
		r: r, names: names, index: resourceIndex(r.Calendar.Catalog()), capacity: make([]int64, len(names)),
		ticks: newTickPrices(names, r.Reserve),
	}
	for i, res := range r.Calendar.Catalog().Resources() {
		s.capacity[i] = res.Capacity
	}
	return s
}

// needChunk is the most needs the screener allocates at once, unless a
// bid has more.
const needChunk = 4096

// room makes room for n more needs in s.needs, in a new chunk if need be,
// so that appending them never moves those of earlier candidates.
func (s *screener) room(n int) {
	if cap(s.needs)-len(s.needs) < n {
		s.needs = make([]need, 0, max(n, min(needChunk, 4*len(s.r.Bids))))
	}
}

// screen screens b, the bid at index of the round, as the function screen
// does, and appends its needs if it passes: on integers if b is plainly
// valid, else by screen itself, which words the verdict.
func (s *screener) screen(index int, b *Bid) (candidate, verdict) {
	s.room(len(b.Bundle.Quantities))
	from := len(s.needs)
	c, v, ok := s.quick(index, b)
	if !ok {
		s.needs = s.needs[:from]
		return s.slow(index, b)
	}
	if v.reason != "" {
		s.needs = s.needs[:from]
		return candidate{}, v
	}
	c.need = s.needs[from:len(s.needs):len(s.needs)]
	return c, verdict{}
}

// quick screens b on integers, appending its needs, if b is plainly valid
// and its reserve cost fits 64 bits; ok is false if not.
func (s *screener) quick(index int, b *Bid) (c candidate, v verdict, ok bool) {
	fixed := b.Bundle
	fixed.Window = fixed.Window.At(s.r.At)
	from := len(s.needs)
	if fixed.Window.Start.Before(s.r.At) || !s.valid(fixed) || checkBounded(b.Limit) != nil {
		return c, v, false
	}
	sum, exp, ok := s.ticks.cost(s.needs[from:], fixed.Window.Seconds())
	if !ok {
		return c, v, false
	}
	var cost apd.Decimal
	cost.Coeff.SetUint64(sum)
	cost.Exponent = exp
	if b.Limit.Cmp(&cost) < 0 {
		return c, belowReserve(b, &cost), true
	}
	c = candidate{index: int32(index), bid: b, bundle: fixed, limit: wordOf(b.Limit), cost: word{sum, exp, true}}
	return c, v, true
}

// slow screens b with screen, the reserve cost computed by bundle.Cost.
func (s *screener) slow(index int, b *Bid) (candidate, verdict) {
	c, v := screen(s.r, index, b, func(b bundle.Bundle) (*apd.Decimal, error) { return bundle.Cost(exact.Context, b, s.r.Reserve) })
	if v.reason == "" {
		from := len(s.needs)
		s.needs = needsOf(s.needs, c.bundle.Quantities, s.index)
		c.need = s.needs[from:len(s.needs):len(s.needs)]
	}
	return c, v
}

// valid reports whether b is valid for the catalog, as Bundle.Validate
// would, and appends its needs if it is.
func (s *screener) valid(b bundle.Bundle) bool {
	if len(b.Quantities) == 0 || b.Window.Validate() != nil {
		return false
	}
	if len(s.names) <= smallCatalog {
		return s.validByName(b.Quantities)
	}
	from := len(s.needs)
	for name, n := range b.Quantities {
		i, ok := s.index[name]
		if !ok || n <= 0 || n > s.capacity[i] {
			return false
		}
		s.needs = append(s.needs, need{res: i, n: n})
	}
	sortNeeds(s.needs[from:])
	return true
}

// smallCatalog is the most resources for which the screener looks each of
// them up in a bundle rather than walking the bundle's map.
const smallCatalog = 8

// validByName is valid for a small catalog: it looks up each resource,
// in name order, and so appends the needs in order.
func (s *screener) validByName(q bundle.Quantities) bool {
	found := 0
	for i, name := range s.names {
		if n, ok := q[name]; ok {
			if n <= 0 || n > s.capacity[i] {
				return false
			}
			s.needs = append(s.needs, need{res: i, n: n})
			found++
		}
	}
	return found == len(q)
}

// sortNeeds sorts the few needs of one bundle by resource index.
func sortNeeds(ns []need) {
	for i := 1; i < len(ns); i++ {
		for j := i; j > 0 && ns[j].res < ns[j-1].res; j-- {
			ns[j], ns[j-1] = ns[j-1], ns[j]
		}
	}
}

// needsOf returns q by resource index, in name order, appended to dst.
func needsOf(dst []need, q bundle.Quantities, index map[string]int) []need {
	start := len(dst)
	for name, n := range q {
		dst = append(dst, need{res: index[name], n: n})
	}
	sortNeeds(dst[start:])
	return dst
}

// belowReserve is the verdict on b, whose limit is below its reserve cost.
func belowReserve(b *Bid, cost *apd.Decimal) verdict {
	return verdict{events.ReasonBelowReserve, fmt.Sprintf("limit %s is below the reserve cost %s", b.Limit.Text('f'), cost.Text('f'))}
}

// screen fixes the start of b's window and checks b against r, in this
// order: expired (starts before r.At), invalid bundle (Bundle.Validate fails
// other than for capacity, or the limit is missing, not positive or beyond
// MaxDigits), exceeds capacity (a quantity above its resource's capacity,
// which can never fit), below reserve (limit under the bundle's cost at the
// reserve prices). It returns the candidate, or the verdict on b.
func screen(r Round, index int, b *Bid, reserveCost func(bundle.Bundle) (*apd.Decimal, error)) (candidate, verdict) {
	fixed := b.Bundle
	fixed.Window = fixed.Window.At(r.At)
	reject := func(reason events.RejectReason, format string, args ...any) (candidate, verdict) {
		return candidate{}, verdict{reason, fmt.Sprintf(format, args...)}
	}
	if fixed.Window.Start.Before(r.At) {
		return reject(events.ReasonExpired, "window starts at %s, before the clearing instant %s",
			fixed.Window.Start.UTC().Format(timeFormat), r.At.UTC().Format(timeFormat))
	}
	cat := r.Calendar.Catalog()
	tooBig, err := validateShape(fixed, cat)
	if err != nil {
		return reject(events.ReasonInvalidBundle, "%v", err)
	}
	if err := checkBounded(b.Limit); err != nil {
		return reject(events.ReasonInvalidBundle, "limit: %v", err)
	}
	if tooBig != nil {
		return reject(events.ReasonExceedsCapacity, "%v", tooBig)
	}
	cost, err := reserveCost(fixed)
	if err != nil {
		return reject(events.ReasonInvalidBundle, "reserve cost: %v", err)
	}
	if b.Limit.Cmp(cost) < 0 {
		return candidate{}, belowReserve(b, cost)
	}
	return candidate{index: int32(index), bid: b, bundle: fixed, reserve: cost, limit: wordOf(b.Limit), cost: wordOf(cost)}, verdict{}
}

// timeFormat prints instants in rejection details.
const timeFormat = "2006-01-02T15:04:05.999999999Z07:00"

// validateShape validates b against c. An error means b is malformed; a
// non-nil tooBig, with a nil error, means b is well formed but asks for more
// of a resource than its capacity.
func validateShape(b bundle.Bundle, c *bundle.Catalog) (tooBig, err error) {
	err = b.Validate(c)
	if !errors.Is(err, bundle.ErrExceedsCapacity) {
		return nil, err
	}
	// Validate stops at the first problem: look for another one with every
	// quantity capped at its capacity.
	capped := b
	capped.Quantities = maps.Clone(b.Quantities)
	for name, q := range capped.Quantities {
		if res, ok := c.Lookup(name); ok {
			capped.Quantities[name] = min(q, res.Capacity)
		}
	}
	if other := capped.Validate(c); other != nil {
		return nil, other
	}
	return err, nil
}

// resourceIndex maps the catalog's resource names to their positions in
// name order, as a candidate's needs count them.
func resourceIndex(cat *bundle.Catalog) map[string]int {
	names := cat.Names()
	index := make(map[string]int, len(names))
	for i, name := range names {
		index[name] = i
	}
	return index
}

// tickPrices holds a set of prices as integers, to compute the cost of a
// bundle without decimal arithmetic where that is exactly equivalent.
// Price x is coeff[x] × 10^exp[x], in catalog order.
type tickPrices struct {
	coeff []uint64
	exp   []int32
	ok    []bool // coeff fits 64 bits and exp is at most 0
}

// newTickPrices returns prices, for the resources names, as integers.
func newTickPrices(names []string, prices bundle.Prices) tickPrices {
	t := tickPrices{coeff: make([]uint64, len(names)), exp: make([]int32, len(names)), ok: make([]bool, len(names))}
	for i, name := range names {
		p := prices[name]
		if p == nil || p.Form != apd.Finite || p.Negative || !p.Coeff.IsUint64() || p.Exponent > 0 {
			continue
		}
		t.coeff[i], t.exp[i], t.ok[i] = p.Coeff.Uint64(), p.Exponent, true
	}
	return t
}

// cost returns the cost of needs held for secs seconds, exactly as
// bundle.Cost computes it in the exact context, coefficient and exponent
// alike: Σ q × seconds × price, at the smallest exponent of its prices and
// 0, as sum × 10^exp. ok is false where a figure does not fit 64 bits (or
// the sum 63); the caller then uses bundle.Cost.
func (t tickPrices) cost(needs []need, secs int64) (sum uint64, exp int32, ok bool) {
	for _, q := range needs {
		if !t.ok[q.res] {
			return 0, 0, false
		}
		exp = min(exp, t.exp[q.res])
	}
	for _, q := range needs {
		term, ok := mul64(uint64(q.n), uint64(secs))
		if ok {
			term, ok = mul64(term, t.coeff[q.res])
		}
		for range t.exp[q.res] - exp {
			if ok {
				term, ok = mul64(term, 10)
			}
		}
		var carry uint64
		sum, carry = bits.Add64(sum, term, 0)
		if !ok || carry != 0 || sum > 1<<63-1 {
			return 0, 0, false
		}
	}
	return sum, exp, true
}

// costOf sets d to the cost of c's bundle at prices, by t where it can,
// and returns it, or a new decimal where it cannot.
func costOf(t tickPrices, c *candidate, prices bundle.Prices, d *apd.Decimal) (*apd.Decimal, error) {
	if sum, exp, ok := t.cost(c.need, c.bundle.Window.Seconds()); ok {
		d.Coeff.SetUint64(sum)
		d.Exponent = exp
		return d, nil
	}
	return bundle.Cost(exact.Context, c.bundle, prices)
}
