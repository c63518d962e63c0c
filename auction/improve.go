package auction

import (
	"fmt"

	"github.com/cockroachdb/apd/v3"
	"github.com/scarcitylabs/scarcity/events"
	"github.com/scarcitylabs/scarcity/internal/exact"
)

// DefaultMaxMoves is the move budget of an Improved round when
// Improved.MaxMoves is zero. A move is an accepted exchange, each of which
// strictly raises the welfare; a pass over the losers costs, for 128 bids,
// some thousands of capacity checks, so the budget caps a round at a few
// hundred milliseconds while the seeded rounds of BenchmarkImprovedClear
// stop at a local optimum long before it.
const DefaultMaxMoves = 1000

// MaxImprovedMoves is the largest Improved.MaxMoves.
const MaxImprovedMoves = 1 << 20

// Improved clears a round of all-or-nothing bundle bids too large for
// [Exact]: it starts from Greedy's allocation and improves it by local
// search, and charges every winner its bid. Its zero value is ready to use.
//
// The algorithm, for a round r:
//
//  1. Screen each bid exactly as [Greedy] does. A candidate's value is its
//     limit less its reserve cost R, and the round's welfare, as
//     [Result.Welfare] defines it, is the sum of its winners' values.
//  2. Start from the better, by welfare, of the allocations Greedy admits
//     by value and by density (the incumbent [Exact] starts from), so that
//     Improved's welfare is never below either's.
//  3. Take the candidates in a fixed order: value descending, then Seq,
//     then ID. First add every loser that fits. Then, in passes, try each
//     loser of positive value in that order: remove the winners that
//     conflict with it (share a resource over an overlapping run of
//     cells), cheapest first (the last in the order first), until it
//     fits; book it; put back the removed winners that still fit, dearest
//     first; then add every loser that fits. The exchange is kept only if
//     the welfare strictly rises, else undone. A candidate fits as
//     Greedy's does: at every instant of its window, against the capacity
//     the calendar has left. The search stops after a pass that keeps no
//     exchange (a local optimum for these moves) or after MaxMoves kept
//     exchanges. Every step depends on the bids only, not on their order in
//     Round.Bids.
//  4. Admit every remaining candidate that fits (those of zero value); the
//     others are rejected with [events.ReasonOutbid].
//  5. Charge each winner its limit, rounded down to r.Scale places: at
//     least R, which has at most r.Scale places, and at most the limit.
//     Report as the round's prices Greedy's uniform price level, λ ×
//     Reserve_x with λ from the winners and outbid bids (Greedy's step
//     3), and the totals as Greedy does; OptimalWelfare is nil, since
//     nothing proves the allocation optimal; GreedyWelfare is the welfare
//     of the Greedy allocation of step 2.
//
// Improved is NOT truthful. Payments are the bids themselves (pay as bid),
// so a winner gains by shading its limit towards its reserve cost; and the
// allocation is a local optimum of a heuristic, not monotone in a bid's
// value, so no critical-value or VCG payment computed on it would be
// truthful either. Use it where welfare matters more than incentives, or
// where bidders are not strategic; [Exact] is the truthful choice when the
// round is small enough to prove.
//
// Values are compared on 64-bit integers, in units of the smallest
// exponent of the round's values. A round whose values do not fit (their
// sum at or above 2^62) keeps the Greedy allocation of step 2, unimproved.
type Improved struct {
	// MaxMoves is the number of exchanges a round may keep: 0 means
	// DefaultMaxMoves; otherwise from 1 to MaxImprovedMoves.
	MaxMoves int
}

var _ Mechanism = Improved{}

// ImprovedStats reports how Improved cleared a round.
type ImprovedStats struct {
	// GreedyWelfare is the welfare of the Greedy allocation the search
	// started from.
	GreedyWelfare *apd.Decimal
	// Welfare is the round's welfare, Result.Welfare.
	Welfare *apd.Decimal
	// Moves is the number of exchanges kept.
	Moves int
}

// Name returns "improved".
func (Improved) Name() string { return "improved" }

// Validate reports whether m's MaxMoves is in range. Errors wrap
// ErrInvalidMechanism.
func (m Improved) Validate() error {
	if m.MaxMoves < 0 || m.MaxMoves > MaxImprovedMoves {
		return fmt.Errorf("%w: improved max moves %d not in [0, %d]", ErrInvalidMechanism, m.MaxMoves, MaxImprovedMoves)
	}
	return nil
}

// maxMoves returns the move budget of a round.
func (m Improved) maxMoves() int {
	if m.MaxMoves == 0 {
		return DefaultMaxMoves
	}
	return m.MaxMoves
}

// Clear clears r as the type's documentation describes, booking the
// winners into r.Calendar. It returns an error wrapping ErrInvalidRound,
// and books nothing, if r is malformed, and one wrapping
// ErrInvalidMechanism if m is.
func (m Improved) Clear(r Round) (Result, error) {
	res, _, err := m.ClearStats(r)
	return res, err
}

// ClearStats is Clear, and reports the welfare of the Greedy allocation
// the search started from and the exchanges it kept.
func (m Improved) ClearStats(r Round) (Result, ImprovedStats, error) {
	if err := m.Validate(); err != nil {
		return Result{}, ImprovedStats{}, err
	}
	if err := r.Validate(); err != nil {
		return Result{}, ImprovedStats{}, err
	}
	verdicts, cs := screenAll(r)
	occ := newOccupancy(r.Calendar, cs)
	seed := greedySeed(occ, cs)
	stats := ImprovedStats{GreedyWelfare: welfareOf(cs, seed)}
	var winners []*candidate
	if s, ok := newSolver(occ, cs, 1); ok {
		ls := newLocalSearch(s, seed)
		stats.Moves = ls.improve(m.maxMoves())
		winners = ls.winners()
	} else {
		winners = bookSeed(occ, cs, seed)
	}
	won := make([]bool, len(r.Bids))
	for _, w := range winners {
		won[w.index] = true
	}
	explain := newExplainer(occ, r.Calendar.Catalog().Names())
	for i := range cs {
		if !won[cs[i].index] {
			verdicts[cs[i].index] = verdict{events.ReasonOutbid, explain.shortfall(&cs[i])}
		}
	}
	pays, err := payAsBid(r, winners)
	if err != nil {
		return Result{}, ImprovedStats{}, err
	}
	var outbid []*candidate
	for i := range cs {
		if !won[cs[i].index] {
			outbid = append(outbid, &cs[i])
		}
	}
	prices, err := clearingPrices(r, ratioLess, winners, outbid)
	if err != nil {
		return Result{}, ImprovedStats{}, err
	}
	res := Result{Round: r.Number, Mechanism: m.Name(), Prices: prices}
	if err := conclude(&res, r, winners, pays, verdicts); err != nil {
		return Result{}, ImprovedStats{}, err
	}
	stats.Welfare = new(apd.Decimal).Set(res.Welfare)
	res.GreedyWelfare = new(apd.Decimal).Set(stats.GreedyWelfare)
	return res, stats, nil
}

// welfareOf returns Σ (limit − R) over the candidates of cs that set holds,
// by index.
func welfareOf(cs []candidate, set []bool) *apd.Decimal {
	sum := new(apd.Decimal)
	var v apd.Decimal
	for i := range cs {
		if set[i] {
			_, _ = exact.Context.Sub(&v, cs[i].bid.Limit, cs[i].reserveCost())
			exactAdd(sum, sum, &v)
		}
	}
	return sum
}

// bookSeed books on occ the candidates of cs that seed holds, and returns
// them in Greedy's order by value.
func bookSeed(occ *occupancy, cs []candidate, seed []bool) []*candidate {
	var winners []*candidate
	for _, i := range newRanking(ByValue, cs, occ.capacity).sorted(cs) {
		if seed[i] {
			occ.add(&cs[i], 1)
			winners = append(winners, &cs[i])
		}
	}
	return winners
}

// localSearch is Improved's exchange search over the items of a solver,
// which fixes their order (value descending, then Seq, then ID) and
// their values in units; the solver's occupancy holds the current
// allocation.
type localSearch struct {
	s       *solver
	in      []bool   // by item: a winner
	value   uint64   // the welfare of the winners, in units
	log     []change // the changes since the last kept state, to undo
	removed []int    // scratch: the winners an exchange removed
}

// change is an item booked (in) or unbooked.
type change struct {
	item int
	in   bool
}

// newLocalSearch returns a search from the allocation seed, by candidate
// index, which it books.
func newLocalSearch(s *solver, seed []bool) *localSearch {
	ls := &localSearch{s: s, in: make([]bool, len(s.items))}
	for i, it := range s.items {
		if seed[it.at] {
			ls.set(i, true)
		}
	}
	ls.log = ls.log[:0]
	return ls
}

// set books item i (in) or unbooks it, and logs the change.
func (ls *localSearch) set(i int, in bool) {
	it := ls.s.items[i]
	if in {
		ls.s.occ.add(it.c, 1)
		ls.value += it.v
	} else {
		ls.s.occ.add(it.c, -1)
		ls.value -= it.v
	}
	ls.in[i] = in
	ls.log = append(ls.log, change{item: i, in: in})
}

// undo reverts the changes logged after the first mark.
func (ls *localSearch) undo(mark int) {
	for k := len(ls.log) - 1; k >= mark; k-- {
		ch := ls.log[k]
		ls.set(ch.item, !ch.in)
	}
	ls.log = ls.log[:mark]
}

// fill books, in item order, every item of items[:n] that is not a winner
// and fits.
func (ls *localSearch) fill(n int) {
	for i := range n {
		if !ls.in[i] && ls.s.occ.fits(ls.s.items[i].c) {
			ls.set(i, true)
		}
	}
}

// improve runs passes of exchanges until one keeps none or maxMoves are
// kept, then admits every remaining item that fits; it returns the
// number of exchanges kept.
func (ls *localSearch) improve(maxMoves int) int {
	s := ls.s
	ls.fill(s.search)
	ls.log = ls.log[:0]
	moves := 0
	for kept := true; kept && moves < maxMoves; {
		kept = false
		for j := 0; j < s.search && moves < maxMoves; j++ {
			if !ls.in[j] && ls.exchange(j) {
				moves++
				kept = true
			}
		}
	}
	ls.fill(len(s.items))
	return moves
}

// exchange tries to bring loser j in: it removes the winners that conflict
// with j, cheapest first, until j fits, books j, puts back the removed that
// still fit, dearest first, and adds the losers that fit. It keeps the
// result, and reports true, only if the welfare strictly rose.
func (ls *localSearch) exchange(j int) bool {
	s := ls.s
	c := s.items[j].c
	before := ls.value
	ls.removed = ls.removed[:0]
	for w := len(s.items) - 1; w >= 0 && !s.occ.fits(c); w-- {
		if ls.in[w] && conflict(s.items[w].c, c) {
			ls.set(w, false)
			ls.removed = append(ls.removed, w)
		}
	}
	if !s.occ.fits(c) {
		ls.undo(0)
		return false
	}
	ls.set(j, true)
	for k := len(ls.removed) - 1; k >= 0; k-- {
		if w := ls.removed[k]; s.occ.fits(s.items[w].c) {
			ls.set(w, true)
		}
	}
	ls.fill(s.search)
	if ls.value > before {
		ls.log = ls.log[:0]
		return true
	}
	ls.undo(0)
	return false
}

// conflict reports whether a and b need a common resource over
// overlapping runs of cells.
func conflict(a, b *candidate) bool {
	if a.lo >= b.hi || b.lo >= a.hi {
		return false
	}
	for _, x := range a.need {
		for _, y := range b.need {
			if x.res == y.res {
				return true
			}
		}
	}
	return false
}

// winners returns the winning items' candidates, in item order.
func (ls *localSearch) winners() []*candidate {
	var out []*candidate
	for i, it := range ls.s.items {
		if ls.in[i] {
			out = append(out, it.c)
		}
	}
	return out
}
