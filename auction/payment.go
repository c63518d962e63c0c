package auction

import (
	"fmt"

	"github.com/cockroachdb/apd/v3"
	"github.com/scarcitylabs/scarcity/bundle"
)

// PaymentRule says what each winner of a Greedy round pays. Whatever the
// rule, a winner pays at most its limit and at least its reserve cost R,
// the cost of its bundle at the round's reserve prices, and its payment has
// at most the round's scale of decimal places: a rule's exact amount is
// rounded down to the scale, which keeps it within the limit, and R, which
// has at most the scale's places, stays a lower bound.
type PaymentRule int

const (
	// PayUniformPrice charges the cost of the bundle at the round's uniform
	// clearing prices: the default.
	PayUniformPrice PaymentRule = iota
	// PayAsBid charges the limit, rounded down to the round's scale.
	PayAsBid
	// PayCriticalValue charges the critical value: the smallest limit at
	// which the winner would still have won, the other bids unchanged, and
	// at least its reserve cost (a limit below it is rejected). The
	// payment does not depend on the winner's own limit, only on whether
	// it wins, so with ByDensity (or ByValue) a single-minded bidder, who
	// values only its bundle, cannot gain by misreporting its value. See
	// criticalValues for the algorithm.
	PayCriticalValue
)

// String returns "uniform-price", "pay-as-bid" or "critical-value".
func (p PaymentRule) String() string {
	switch p {
	case PayUniformPrice:
		return "uniform-price"
	case PayAsBid:
		return "pay-as-bid"
	case PayCriticalValue:
		return "critical-value"
	}
	return fmt.Sprintf("PaymentRule(%d)", int(p))
}

// payments returns what each winner, in clearing order, pays under g's
// rule.
func (g Greedy) payments(r Round, k *ranking, order, winners []*candidate, prices bundle.Prices) ([]*apd.Decimal, error) {
	switch g.Payment {
	case PayAsBid:
		return payAsBid(r, winners)
	case PayCriticalValue:
		return criticalValues(r, k, order, winners)
	}
	return payUniform(r, winners, prices)
}

// payUniform charges each winner the cost of its bundle at prices, which
// is exact: prices have r.Scale places, quantities and seconds are
// integers.
func payUniform(r Round, winners []*candidate, prices bundle.Prices) ([]*apd.Decimal, error) {
	out := make([]*apd.Decimal, len(winners))
	pays := make([]apd.Decimal, len(winners))
	ticks := newTickPrices(r.Calendar.Catalog().Names(), prices)
	for i, w := range winners {
		pay, err := costOf(ticks, w, prices, &pays[i])
		if err != nil {
			return nil, fmt.Errorf("auction: payment of bid %q: %w", w.bid.ID, err)
		}
		out[i] = pay
	}
	return out, nil
}

// payAsBid charges each winner its limit rounded down to r.Scale places:
// at least R, since the limit is and R has at most r.Scale places.
func payAsBid(r Round, winners []*candidate) ([]*apd.Decimal, error) {
	out := make([]*apd.Decimal, len(winners))
	pays := make([]apd.Decimal, len(winners))
	for i, w := range winners {
		pay, err := floorTo(&pays[i], w.limit, w.bid.Limit, r.Scale)
		if err != nil {
			return nil, fmt.Errorf("auction: payment of bid %q: %w", w.bid.ID, err)
		}
		out[i] = pay
	}
	return out, nil
}
