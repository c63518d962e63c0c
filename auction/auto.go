package auction

import "fmt"

// DefaultExactUpTo is the largest round, in bids, that Auto clears with
// Exact when Auto.ExactUpTo is zero: each of BenchmarkExactClear's 1,000
// seeded 32-bid rounds is solved to proven optimality, VCG payments
// included, in about 3 ms at the median and 15–30 ms in the worst case on
// 2 cores, while most 64-bid rounds exhaust the node budget (see
// BENCHMARKS.md).
const DefaultExactUpTo = 32

// Auto clears each round with the mechanism that suits its size: Exact
// (optimal allocation, VCG payments: truthful when the search finishes)
// up to ExactUpTo bids, and Greedy by density with critical-value payments
// (truthful for single-minded bidders, not optimal) beyond. The name of
// the mechanism a round used is its Result.Mechanism, which a market
// records in the round's market_cleared event. Its zero value is ready to
// use.
type Auto struct {
	// ExactUpTo is the largest round, counting every bid offered, that
	// Exact clears; 0 means DefaultExactUpTo, a negative value never.
	ExactUpTo int
	// Exact configures the exact mechanism (its node budget).
	Exact Exact
}

var _ Mechanism = Auto{}

// fallback is what Auto clears larger rounds with.
var fallback = Greedy{Order: ByDensity, Payment: PayCriticalValue}

// Name returns "auto".
func (a Auto) Name() string { return "auto" }

// Validate reports whether a's Exact is valid. Errors wrap
// ErrInvalidMechanism.
func (a Auto) Validate() error {
	if err := a.Exact.Validate(); err != nil {
		return fmt.Errorf("auto: %w", err)
	}
	return nil
}

// Clear clears r with Exact if it has at most ExactUpTo bids, else with
// Greedy by density paying critical values.
func (a Auto) Clear(r Round) (Result, error) {
	if err := a.Validate(); err != nil {
		return Result{}, err
	}
	if a.exact(len(r.Bids)) {
		return a.Exact.Clear(r)
	}
	return fallback.Clear(r)
}

// exact reports whether a round of n bids is Exact's.
func (a Auto) exact(n int) bool {
	upTo := a.ExactUpTo
	if upTo == 0 {
		upTo = DefaultExactUpTo
	}
	return n <= upTo
}
