package auction

import (
	"fmt"

	"github.com/cockroachdb/apd/v3"
	"github.com/scarcitylabs/scarcity/events"
	"github.com/scarcitylabs/scarcity/internal/exact"
)

// DefaultMaxNodes is the node budget of an Exact round when
// Exact.MaxNodes is zero. A node costs about 1 µs for 32 bids and up to
// 10 µs for 128 (BenchmarkExactClear); each of the benchmark's 1,000
// seeded 32-bid rounds is proven within 70,000 nodes, so 100,000 proves
// them while capping a hard round at a few hundred milliseconds.
const DefaultMaxNodes = 100_000

// MaxExactNodes is the largest Exact.MaxNodes.
const MaxExactNodes = 1 << 30

// Exact clears a round of all-or-nothing bundle bids by exact winner
// determination, and charges every winner its VCG payment. Its zero value
// is ready to use.
//
// The algorithm, for a round r:
//
//  1. Screen each bid exactly as [Greedy] does (expired, invalid bundle,
//     exceeds capacity, below reserve). A candidate's value is its limit
//     less its reserve cost R: the reserve prices are the operator's asks,
//     and the round's welfare, as [Result.Welfare] defines it, is the sum
//     of its winners' values.
//  2. Seed the incumbent with the better of the allocations Greedy admits
//     by value and by density, so that Exact's welfare is never below
//     either's, then search, depth first, the include/exclude decisions on
//     the candidates by value descending, then Seq, then ID, including
//     first. A node is pruned when its welfare plus an upper bound on what
//     the undecided candidates can add is at most the incumbent's. The
//     bound relaxes the capacity constraint of each resource at each
//     instant where a candidate's window starts (the rows): it is the least
//     of the sum of the values of the undecided candidates that still fit;
//     their Lagrangian bound, each row priced by an integer multiplier
//     (tuned, once a search has run 256 nodes without finishing, by
//     coordinate sweeps then subgradient steps at the root), which costs a
//     sum over the candidates; and, per row, the fractional knapsack of
//     the candidates covering it into it (its linear relaxation), computed
//     only when the others do not prune. A candidate fits as Greedy's
//     does: at every instant of its window, against the capacity the
//     calendar has left ([bundle.Calendar]). Only a strictly
//     better allocation replaces the incumbent, so among optimal
//     allocations the first in that order wins: the result depends on the
//     bids, not on their order in Round.Bids.
//  3. Admit, after the optimal allocation, every remaining candidate that
//     still fits, in the same order: those of zero value, or, when the
//     budget ran out, any the search left out. The others are rejected
//     with [events.ReasonOutbid].
//  4. Charge each winner w its VCG payment: R_w plus the welfare its
//     presence displaces, OPT(−w) − (W − v_w), where W is the welfare of
//     the allocation, v_w the winner's value and OPT(−w) the optimal
//     welfare of the round without w. One search finds every OPT(−w): it
//     starts each from the allocation less w plus whatever then fits, and
//     takes each allocation it reaches as a candidate for every winner the
//     allocation leaves out, pruning a subtree only when it cannot beat
//     any of theirs (where w is undecided, the cheap bounds for w leave
//     w's share out; the per-row knapsack bounds are all computed only
//     when the cheap ones come within 1/80 of what they must reach, else
//     just the last tight row's), with the multipliers tuned again for
//     it. The payment
//     is clamped to [R_w, limit] and rounded down to r.Scale places, so it
//     is never above the limit nor below R_w (R_w has at most r.Scale
//     places): the operator never receives less than its reserve.
//  5. Report as the round's prices the uniform price level Greedy
//     reports, λ × Reserve_x with λ from the allocation's winners and
//     outbid bids (Greedy's step 3): VCG has no uniform price, and winners
//     pay their VCG payments, not these, but the prices still tell agents
//     where demand met supply. Report the totals as Greedy does;
//     OptimalWelfare is the welfare when the search proved the allocation
//     optimal, nil when it did not; GreedyWelfare is the welfare of the
//     seed of step 2.
//
// The two searches of a round — the winner determination, then the
// winners' OPT(−w) — visit at most MaxNodes nodes together: the winner
// determination may use them all, and the VCG search has what is left.
// When one runs out, the best allocation
// found stands: the allocation is then at least as good as Greedy's but
// not proven optimal, and VCG computed on non-optimal solutions is not
// truthful. [Exact.ClearStats] reports whether every search finished.
//
// Values are computed on 64-bit integers, in units of the smallest
// exponent of the round's values. A round whose values do not fit (their
// sum at or above 2^62, which takes limits of many digits) is cleared as
// Greedy{Order: ByValue, Payment: PayCriticalValue} would, under Exact's
// name, and reported not proven.
type Exact struct {
	// MaxNodes is the node budget of a round, over all its searches: 0
	// means DefaultMaxNodes; otherwise from 1 to MaxExactNodes.
	MaxNodes int
}

var _ Mechanism = Exact{}

// ExactStats reports how Exact cleared a round.
type ExactStats struct {
	// Nodes is the number of search nodes visited, over every search.
	Nodes int
	// Optimal is whether the allocation is proven optimal.
	Optimal bool
	// Proven is whether every search finished within its budget: the
	// allocation is optimal and every VCG payment exact, so the round was
	// truthful for single-minded bidders.
	Proven bool
	// Fallback is whether the round's values did not fit 64-bit integers,
	// so that Greedy cleared it.
	Fallback bool
	// Bound is an upper bound on the round's welfare: no allocation of the
	// round has more welfare than Bound. It is the optimal welfare when
	// Optimal, else the bound the search computed at its root node (the
	// least of the bounds described in step 2), so Welfare / Bound is a
	// lower bound on the allocation's efficiency. It is nil when Fallback.
	Bound *apd.Decimal
}

// Name returns "exact/vcg".
func (Exact) Name() string { return "exact/vcg" }

// Validate reports whether e's MaxNodes is in range. Errors wrap
// ErrInvalidMechanism.
func (e Exact) Validate() error {
	if e.MaxNodes < 0 || e.MaxNodes > MaxExactNodes {
		return fmt.Errorf("%w: exact max nodes %d not in [0, %d]", ErrInvalidMechanism, e.MaxNodes, MaxExactNodes)
	}
	return nil
}

// maxNodes returns the node budget of a round.
func (e Exact) maxNodes() int {
	if e.MaxNodes == 0 {
		return DefaultMaxNodes
	}
	return e.MaxNodes
}

// Clear clears r as the type's documentation describes, booking the
// winners into r.Calendar. It returns an error wrapping ErrInvalidRound,
// and books nothing, if r is malformed, and one wrapping
// ErrInvalidMechanism if e is.
func (e Exact) Clear(r Round) (Result, error) {
	res, _, err := e.ClearStats(r)
	return res, err
}

// ClearStats is Clear, and reports how the round was solved.
func (e Exact) ClearStats(r Round) (Result, ExactStats, error) {
	if err := e.Validate(); err != nil {
		return Result{}, ExactStats{}, err
	}
	if err := r.Validate(); err != nil {
		return Result{}, ExactStats{}, err
	}
	verdicts, cs := screenAll(r)
	occ := newOccupancy(r.Calendar, cs)
	seed := greedySeed(occ, cs)
	s, ok := newSolver(occ, cs, e.maxNodes())
	if !ok {
		res, err := Greedy{Order: ByValue, Payment: PayCriticalValue}.Clear(r)
		res.Mechanism = e.Name()
		return res, ExactStats{Fallback: true}, err
	}
	chosen, optimal, bound := s.solve(seed)
	winners := s.fill(chosen)
	explain := newExplainer(occ, r.Calendar.Catalog().Names())
	var outbid []*candidate
	for i := range s.items {
		if !chosen[i] {
			outbid = append(outbid, s.items[i].c)
			verdicts[s.items[i].c.index] = verdict{events.ReasonOutbid, explain.shortfall(s.items[i].c)}
		}
	}
	for _, i := range winners {
		occ.add(s.items[i].c, -1)
	}
	units, proven := s.vcg(chosen, winners, optimal)
	stats := ExactStats{Nodes: s.total, Optimal: optimal, Proven: optimal && proven, Bound: unitsDecimal(bound, s.exp)}
	res, err := e.conclude(r, s, winners, outbid, units, verdicts, optimal)
	if err == nil {
		res.GreedyWelfare = welfareOf(cs, seed)
	}
	return res, stats, err
}

// conclude charges the winners, books them, and fills the result.
func (e Exact) conclude(r Round, s *solver, winners []int, outbid []*candidate, units []uint64, verdicts []verdict, optimal bool) (Result, error) {
	ws := make([]*candidate, len(winners))
	pays := make([]*apd.Decimal, len(winners))
	for k, i := range winners {
		c := s.items[i].c
		ws[k] = c
		pay, err := vcgPayment(r, c, units[k], s.exp)
		if err != nil {
			return Result{}, fmt.Errorf("auction: payment of bid %q: %w", c.bid.ID, err)
		}
		pays[k] = pay
	}
	prices, err := clearingPrices(r, ratioLess, ws, outbid)
	if err != nil {
		return Result{}, err
	}
	res := Result{Round: r.Number, Mechanism: e.Name(), Prices: prices}
	if err := conclude(&res, r, ws, pays, verdicts); err != nil {
		return Result{}, err
	}
	if optimal {
		res.OptimalWelfare = new(apd.Decimal).Set(res.Welfare)
	}
	return res, nil
}

// unitsDecimal returns units × 10^exp.
func unitsDecimal(units uint64, exp int32) *apd.Decimal {
	d := new(apd.Decimal)
	d.Coeff.SetUint64(units)
	d.Exponent = exp
	return d
}

// vcgPayment returns R + units × 10^exp, rounded down to r.Scale places.
func vcgPayment(r Round, c *candidate, units uint64, exp int32) (*apd.Decimal, error) {
	var displaced, exactPay apd.Decimal
	displaced.Coeff.SetUint64(units)
	displaced.Exponent = exp
	if _, err := exact.Context.Add(&exactPay, c.reserveCost(), &displaced); err != nil {
		return nil, err
	}
	return quoFloor(&exactPay, apd.New(1, 0), r.Scale)
}

// greedySeed returns, by index in cs, the better, by Σ (limit − R), of the
// allocations Greedy admits by value and by density: the incumbent Exact
// starts from. occ is left as it was.
func greedySeed(occ *occupancy, cs []candidate) []bool {
	var best []bool
	var bestValue apd.Decimal
	for _, p := range []Priority{ByValue, ByDensity} {
		perm := newRanking(p, cs, occ.capacity).sorted(cs)
		set := make([]bool, len(cs))
		var value, v apd.Decimal
		for _, i := range perm {
			if occ.fits(&cs[i]) {
				occ.add(&cs[i], 1)
				set[i] = true
				_, _ = exact.Context.Sub(&v, cs[i].bid.Limit, cs[i].reserveCost())
				exactAdd(&value, &value, &v)
			}
		}
		for i := range cs {
			if set[i] {
				occ.add(&cs[i], -1)
			}
		}
		if best == nil || value.Cmp(&bestValue) > 0 {
			best = set
			bestValue.Set(&value)
		}
	}
	return best
}
