package auction_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/scarcitylabs/scarcity/auction"
	"pgregory.net/rapid"
)

// fataler is what the call tests' helpers need of a *testing.T or a
// *rapid.T.
type fataler interface {
	Helper()
	Fatalf(format string, args ...any)
}

// drawOrders draws up to 12 orders with prices in a narrow range (so that
// ties are common), sometimes near MaxTicks, and Qty 1 if singleLot, else 1
// to 4.
func drawOrders(t *rapid.T, singleLot bool) []auction.Order {
	n := rapid.IntRange(0, 12).Draw(t, "orders")
	base := int64(0)
	if rapid.IntRange(0, 9).Draw(t, "near MaxTicks") == 0 {
		base = auction.MaxTicks - 20
	}
	orders := make([]auction.Order, n)
	for i := range orders {
		side := auction.Buy
		if rapid.Bool().Draw(t, "sell") {
			side = auction.Sell
		}
		qty := int64(1)
		if !singleLot {
			qty = rapid.Int64Range(1, 4).Draw(t, "qty")
		}
		orders[i] = auction.Order{
			ID: fmt.Sprintf("o%d", i), Agent: fmt.Sprintf("a%d", i), Side: side,
			Price: base + rapid.Int64Range(1, 20).Draw(t, "price"), Qty: qty,
			Seq: rapid.Uint64Range(0, 3).Draw(t, "seq"),
		}
	}
	return orders
}

// ruleKind names the rules under test; newRule builds one, an SBBA drawing
// from a PCG seeded with seed.
type ruleKind int

const (
	kindKDA ruleKind = iota
	kindMcAfee
	kindSBBA
)

func newRule(kind ruleKind, k auction.Fraction, seed uint64) auction.CallRule {
	switch kind {
	case kindKDA:
		return auction.KDA{K: k}
	case kindMcAfee:
		return auction.McAfee{}
	}
	return auction.SBBA{Rand: rand.New(rand.NewPCG(seed, 0)).Int64N}
}

// reference returns the efficient volume and welfare by expanding every
// order into lots.
func reference(orders []auction.Order) (volume, welfare int64) {
	var bids, asks []int64
	for _, o := range orders {
		for range o.Qty {
			if o.Side == auction.Buy {
				bids = append(bids, o.Price)
			} else {
				asks = append(asks, o.Price)
			}
		}
	}
	slices.Sort(bids)
	slices.Reverse(bids)
	slices.Sort(asks)
	for i := 0; i < len(bids) && i < len(asks) && bids[i] >= asks[i]; i++ {
		volume++
		welfare += bids[i] - asks[i]
	}
	return volume, welfare
}

// priorityLess reports whether a has priority over b on their (common)
// side.
func priorityLess(a, b *auction.Order) bool {
	if a.Price != b.Price {
		return (a.Side == auction.Buy) == (a.Price > b.Price)
	}
	return a.Before(b)
}

// checkCall checks c, a call of orders by a rule of kind: trades against
// orders, individual rationality, budget balance, volume conservation,
// welfare, the efficiency loss, and fills by priority.
func checkCall(t fataler, kind ruleKind, orders []auction.Order, c auction.Call) {
	t.Helper()
	filled := make([]int64, len(orders))
	var bought, sold, value int64
	for i, tr := range c.Trades {
		if tr.Index < 0 || tr.Index >= len(orders) || filled[tr.Index] != 0 {
			t.Fatalf("trade %d: index %d out of range or repeated", i, tr.Index)
		}
		o := orders[tr.Index]
		switch {
		case tr.ID != o.ID || tr.Agent != o.Agent || tr.Side != o.Side:
			t.Fatalf("trade %+v does not match order %+v", tr, o)
		case tr.Lots < 1 || tr.Lots > o.Qty:
			t.Fatalf("trade %+v: lots not in [1, %d]", tr, o.Qty)
		case i > 0 && tr.Side == auction.Buy && c.Trades[i-1].Side == auction.Sell:
			t.Fatalf("trade %d: a buy after a sell", i)
		case i > 0 && tr.Side == c.Trades[i-1].Side && !priorityLess(&orders[c.Trades[i-1].Index], &o):
			t.Fatalf("trade %d (%s) out of priority order", i, o.ID)
		}
		filled[tr.Index] = tr.Lots
		if o.Side == auction.Buy {
			if tr.Price != c.BuyPrice || tr.Price > o.Price {
				t.Fatalf("buy %s pays %d, buy price %d, limit %d", o.ID, tr.Price, c.BuyPrice, o.Price)
			}
			bought += tr.Lots
			value += tr.Lots * o.Price
		} else {
			if tr.Price != c.SellPrice || tr.Price < o.Price {
				t.Fatalf("sell %s receives %d, sell price %d, ask %d", o.ID, tr.Price, c.SellPrice, o.Price)
			}
			sold += tr.Lots
			value -= tr.Lots * o.Price
		}
	}
	q, w := reference(orders)
	switch {
	case bought != c.Volume || sold != c.Volume:
		t.Fatalf("volume %d: %d lots bought, %d sold", c.Volume, bought, sold)
	case c.BuyPrice < c.SellPrice:
		t.Fatalf("buy price %d below sell price %d", c.BuyPrice, c.SellPrice)
	case kind != kindMcAfee && c.BuyPrice != c.SellPrice:
		t.Fatalf("not strongly budget balanced: buy %d, sell %d", c.BuyPrice, c.SellPrice)
	case c.Welfare != value:
		t.Fatalf("welfare %d, trades add up to %d", c.Welfare, value)
	case c.OptimalVolume != q || c.OptimalWelfare != w:
		t.Fatalf("optimum %d lots, welfare %d; want %d, %d", c.OptimalVolume, c.OptimalWelfare, q, w)
	case kind == kindKDA && (c.Volume != q || c.Welfare != w):
		t.Fatalf("kda: %d lots, welfare %d, below the optimum %d, %d", c.Volume, c.Welfare, q, w)
	case c.Volume < q-1 || c.Volume > q:
		t.Fatalf("%d lots traded, efficient %d", c.Volume, q)
	}
	// Fills follow priority: an order trades only if every order ahead of
	// it on its side is filled (sellers under SBBA may lose one lot to the
	// draw).
	for i := range orders {
		for j := range orders {
			a, b := &orders[i], &orders[j]
			if a.Side != b.Side || !priorityLess(a, b) || filled[j] == 0 {
				continue
			}
			short := a.Qty - filled[i]
			if short > 1 || (short == 1 && !(kind == kindSBBA && a.Side == auction.Sell)) {
				t.Fatalf("%s trades %d lots while %s, ahead of it, trades %d of %d", b.ID, filled[j], a.ID, filled[i], a.Qty)
			}
		}
	}
}

// withoutIndex returns c's trades keyed by order ID, without Index, so
// that calls of permuted orders compare equal.
func withoutIndex(c auction.Call) auction.Call {
	c.Trades = slices.Clone(c.Trades)
	for i := range c.Trades {
		c.Trades[i].Index = 0
	}
	return c
}

func TestCallRulesProperties(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		kind := ruleKind(rapid.IntRange(0, 2).Draw(t, "rule"))
		den := rapid.Int64Range(1, 10).Draw(t, "k den")
		k := auction.Fraction{Num: rapid.Int64Range(0, den).Draw(t, "k num"), Den: den}
		seed := rapid.Uint64().Draw(t, "seed")
		orders := drawOrders(t, rapid.Bool().Draw(t, "single lots"))
		input := slices.Clone(orders)

		c, err := newRule(kind, k, seed).ClearCall(orders)
		if err != nil {
			t.Fatalf("ClearCall: %v", err)
		}
		if !slices.Equal(orders, input) {
			t.Fatalf("ClearCall modified its orders")
		}
		checkCall(t, kind, orders, c)

		again, err := newRule(kind, k, seed).ClearCall(orders)
		if err != nil {
			t.Fatalf("second ClearCall: %v", err)
		}
		if diff := cmp.Diff(c, again); diff != "" {
			t.Fatalf("same orders, same seed, different calls (-first +second):\n%s", diff)
		}
		permuted := rapid.Permutation(orders).Draw(t, "permutation")
		other, err := newRule(kind, k, seed).ClearCall(permuted)
		if err != nil {
			t.Fatalf("ClearCall of permuted orders: %v", err)
		}
		if diff := cmp.Diff(withoutIndex(c), withoutIndex(other)); diff != "" {
			t.Fatalf("permuted orders, different calls (-first +permuted):\n%s", diff)
		}
	})
}

// expectedUtility returns the utility of order i under rule over all the
// random draws, as a sum over draws and the number of draws: the order's
// value is value, its report orders[i].Price. Utility is value − price for
// a buyer and price − value for a seller who trades, 0 otherwise.
func expectedUtility(t fataler, kind ruleKind, orders []auction.Order, i int, value int64) (sum, draws int64) {
	t.Helper()
	utility := func(rule auction.CallRule) int64 {
		c, err := rule.ClearCall(orders)
		if err != nil {
			t.Fatalf("ClearCall: %v", err)
		}
		for _, tr := range c.Trades {
			if tr.Index == i {
				if tr.Side == auction.Buy {
					return (value - tr.Price) * tr.Lots
				}
				return (tr.Price - value) * tr.Lots
			}
		}
		return 0
	}
	if kind != kindSBBA {
		return utility(newRule(kind, auction.Fraction{}, 0)), 1
	}
	// SBBA draws at most once, uniformly from [0, n): enumerate the draws.
	var n int64 = 1
	first := utility(auction.SBBA{Rand: func(m int64) int64 { n = m; return 0 }})
	if n == 1 {
		return first, 1
	}
	sum = first
	for d := int64(1); d < n; d++ {
		sum += utility(auction.SBBA{Rand: fixed(d)})
	}
	return sum, n
}

// TestCallRulesTruthful checks that, with single-lot traders, no trader of
// McAfee or SBBA gains by misreporting its price, whatever the others
// report: for SBBA in expectation over the draw, which is exactly
// enumerated (every draw in [0, n) with equal weight), so that the random
// source plays no part in the comparison.
func TestCallRulesTruthful(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		kind := []ruleKind{kindMcAfee, kindSBBA}[rapid.IntRange(0, 1).Draw(t, "rule")]
		orders := drawOrders(t, true)
		if len(orders) == 0 {
			return
		}
		i := rapid.IntRange(0, len(orders)-1).Draw(t, "trader")
		value := orders[i].Price
		truth, truthDraws := expectedUtility(t, kind, orders, i, value)
		lies := []int64{1, auction.MaxTicks, max(1, value-1), min(auction.MaxTicks, value+1)}
		for d := int64(-21); d <= 21; d++ {
			lies = append(lies, value+d) // every price of the drawn range
		}
		for range 5 {
			lies = append(lies, rapid.Int64Range(1, auction.MaxTicks).Draw(t, "lie"))
		}
		for _, lie := range lies {
			if lie < 1 || lie > auction.MaxTicks {
				continue
			}
			lying := slices.Clone(orders)
			lying[i].Price = lie
			got, draws := expectedUtility(t, kind, lying, i, value)
			// got/draws > truth/truthDraws, exactly.
			if got*truthDraws > truth*draws {
				t.Fatalf("%s reporting %d instead of %d gains: %d/%d > %d/%d",
					orders[i].ID, lie, value, got, draws, truth, truthDraws)
			}
		}
	})
}

// TestCallRulesLargeBooks checks books long enough to be radix sorted, with
// many equal prices and Seqs so that IDs break ties.
func TestCallRulesLargeBooks(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for _, kind := range []ruleKind{kindKDA, kindMcAfee, kindSBBA} {
		orders := make([]auction.Order, 1500)
		for i := range orders {
			side := auction.Buy
			if rng.IntN(2) == 0 {
				side = auction.Sell
			}
			orders[i] = auction.Order{
				ID: fmt.Sprintf("o%d", rng.IntN(1_000_000_000)), Side: side,
				Price: 1 + rng.Int64N(300) + int64(rng.IntN(2))*(1<<20), Qty: 1 + rng.Int64N(3),
				Seq: uint64(rng.IntN(3)) + uint64(rng.IntN(2))<<40,
			}
		}
		c, err := newRule(kind, auction.Fraction{Num: 1, Den: 3}, 9).ClearCall(orders)
		if err != nil {
			t.Fatalf("ClearCall: %v", err)
		}
		if c.Volume < 100 {
			t.Fatalf("only %d lots traded", c.Volume)
		}
		checkCall(t, kind, orders, c)
	}
}
