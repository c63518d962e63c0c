package auction

import (
	"fmt"
	"math/big"
	"math/bits"
	"sort"

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

// criticalValues returns the critical-value payment of each winner, in
// clearing order.
//
// Greedy is monotone: a winner that reports a lower value moves later in
// the clearing order, and the bids before it are admitted as before. Let w
// win at position p. Removing w changes nothing before p; after p, the run
// without w admits the same bids as the real run until the first outbid
// bid j that would have fitted had w not been booked. Up to j, w still
// fits with the bids admitted without it (they are those of the real run,
// less w); from j on it never does (those bids, with j, and w exceed some
// capacity, and admissions only add to them). So w wins exactly when it
// ranks before j, and its critical value is the value at which it ties
// with j: j's limit under ByValue, j's limit × √(size_w / size_j) under
// ByDensity; if there is no such j it is w's reserve cost R_w, below which
// it is rejected. Either way the payment is at least R_w, and the value is
// rounded down to the round's scale. It is at most w's limit since w ranks
// before j.
//
// Whether j would have fitted without w is read from what admission
// recorded when j was outbid (see occupancy.blockings): for each resource
// j was over capacity on, the largest excess and the first and last cells
// where it was. w frees enough exactly when its window covers those cells
// and it holds at least the excess of each resource. Each winner therefore
// scans the outbid bids after it, in clearing order, at O(r) each for r
// resources, and stops at the first j: O(W × L × r) in the worst case for
// W winners and L outbid bids, and in practice far less, since in a
// contended round the first outbid bids after a winner are, for the most
// part, the ones its capacity would let in.
func criticalValues(r Round, k *ranking, order, winners []*candidate) ([]*apd.Decimal, error) {
	var outbid []*candidate
	for _, c := range order {
		if !c.won {
			outbid = append(outbid, c)
		}
	}
	out := make([]*apd.Decimal, len(winners))
	pays := make([]apd.Decimal, len(winners))
	for i, w := range winners {
		from := sort.Search(len(outbid), func(n int) bool { return outbid[n].pos > w.pos })
		var blocker *candidate
		for _, j := range outbid[from:] {
			if frees(w, j) {
				blocker = j
				break
			}
		}
		pay, err := k.critical(r, w, blocker, &pays[i])
		if err != nil {
			return nil, fmt.Errorf("auction: payment of bid %q: %w", w.bid.ID, err)
		}
		out[i] = pay
	}
	return out, nil
}

// frees reports whether outbid j would have fitted had w not been booked.
func frees(w, j *candidate) bool {
	for _, b := range j.blocks {
		if b.first < w.lo || b.last >= w.hi || quantity(w, b.res) < b.excess {
			return false
		}
	}
	return true
}

// quantity returns c's quantity of the resource at index res, 0 if none.
func quantity(c *candidate, res int) int64 {
	for _, q := range c.need {
		if q.res == res {
			return q.n
		}
	}
	return 0
}

// critical returns the critical value of w, first outbid by j (nil if
// none): at least w's reserve cost, rounded down to r.Scale places. It
// sets d to it, or returns a new decimal.
func (k *ranking) critical(r Round, w, j *candidate, d *apd.Decimal) (*apd.Decimal, error) {
	var floor apd.Decimal
	if _, err := floorTo(&floor, w.cost, w.reserve, r.Scale); err != nil || j == nil {
		return d.Set(&floor), err
	}
	var c *apd.Decimal
	var err error
	if k.priority == ByDensity {
		c = k.densityCritical(r.Scale, w, j, d)
	} else if c, err = floorTo(d, j.limit, j.bid.Limit, r.Scale); err != nil {
		return nil, err
	}
	if c.Cmp(&floor) < 0 {
		return d.Set(&floor), nil
	}
	return c, nil
}

// densityCritical returns v × 10^-scale, v the largest integer with
// v × 10^-scale ≤ limit_j × √(size_w / size_j): with limits in units of
// 10^exp, v = ⌊√(value_j² × size_w × 10^(2(exp+scale)) / size_j)⌋, the
// square root of the floor of the quotient, which is exact for integers.
// It computes on 128 bits where the figures fit, into d, else on big
// integers, into a new decimal.
func (k *ranking) densityCritical(scale int32, w, j *candidate, d *apd.Decimal) *apd.Decimal {
	t := 2 * (int64(k.exp) + int64(scale))
	if k.narrow {
		if v, ok := narrowCritical(j.rank.sq64, w.rank.size64, j.rank.size64, t); ok {
			d.Coeff.SetUint64(v)
			d.Exponent, d.Form, d.Negative = -scale, apd.Finite, false
			return d
		}
	}
	sqJ, sizeJ := k.bigDensity(j)
	_, sizeW := k.bigDensity(w)
	num := new(big.Int).Mul(sqJ, sizeW)
	den := new(big.Int).Set(sizeJ)
	pow := new(big.Int).Exp(big.NewInt(10), big.NewInt(max(t, -t)), nil)
	if t >= 0 {
		num.Mul(num, pow)
	} else {
		den.Mul(den, pow)
	}
	v := num.Quo(num, den).Sqrt(num)
	c := new(apd.Decimal)
	c.Coeff.SetMathBigInt(v)
	c.Exponent = -scale
	return c
}

// narrowCritical returns ⌊√(⌊sq × sizeW × 10^t / sizeJ⌋)⌋, computed on
// 128 bits, and whether every figure fits.
func narrowCritical(sq, sizeW, sizeJ uint64, t int64) (uint64, bool) {
	hi, lo := bits.Mul64(sq, sizeW)
	den := sizeJ
	ok := true
	for ; t > 0 && ok; t-- {
		hi, lo, ok = mul128by10(hi, lo)
	}
	for ; t < 0 && ok; t++ {
		den, ok = mul64(den, 10)
	}
	if !ok {
		return 0, false
	}
	qhi, rem := bits.Div64(0, hi, den)
	qlo, _ := bits.Div64(rem, lo, den)
	return sqrt128(qhi, qlo), true
}

// mul128by10 returns 10 × (hi × 2^64 + lo) and whether it fits 128 bits.
func mul128by10(hi, lo uint64) (uint64, uint64, bool) {
	carry, lo := bits.Mul64(lo, 10)
	over, hi := bits.Mul64(hi, 10)
	hi, c := bits.Add64(hi, carry, 0)
	return hi, lo, over == 0 && c == 0
}

// sqrt128 returns ⌊√(hi × 2^64 + lo)⌋, bit by bit from the highest the
// root can have.
func sqrt128(hi, lo uint64) uint64 {
	n := bits.Len64(lo)
	if hi != 0 {
		n = 64 + bits.Len64(hi)
	}
	var r uint64
	for b := min((n+1)/2, 63); b >= 0; b-- {
		c := r | 1<<b
		if ch, cl := bits.Mul64(c, c); ch < hi || ch == hi && cl <= lo {
			r = c
		}
	}
	return r
}
