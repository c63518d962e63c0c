package auction_test

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/scarcitylabs/scarcity/auction"
	"pgregory.net/rapid"
)

// buy and sell return single-lot orders whose Seq is their position in the
// test's list, given by n.
func callBuy(id string, price int64, n uint64) auction.Order {
	return auction.Order{ID: id, Agent: "agent-" + id, Side: auction.Buy, Price: price, Qty: 1, Seq: n}
}

func callSell(id string, price int64, n uint64) auction.Order {
	return auction.Order{ID: id, Agent: "agent-" + id, Side: auction.Sell, Price: price, Qty: 1, Seq: n}
}

// lots returns o with quantity q.
func lots(o auction.Order, q int64) auction.Order {
	o.Qty = q
	return o
}

// callOutcome is a Call in plain terms, for table tests.
type callOutcome struct {
	Trades                  []string // "id side lots@price"
	BuyPrice, SellPrice     int64
	Volume, OptimalVolume   int64
	Welfare, OptimalWelfare int64
}

func callOutcomeOf(c auction.Call) callOutcome {
	o := callOutcome{
		BuyPrice: c.BuyPrice, SellPrice: c.SellPrice, Volume: c.Volume, OptimalVolume: c.OptimalVolume,
		Welfare: c.Welfare, OptimalWelfare: c.OptimalWelfare,
	}
	for _, t := range c.Trades {
		o.Trades = append(o.Trades, fmt.Sprintf("%s %v %d@%d", t.ID, t.Side, t.Lots, t.Price))
	}
	return o
}

// fixed returns a Rand that always draws n.
func fixed(n int64) func(int64) int64 { return func(int64) int64 { return n } }

// The common book: buys 10, 8, 6, 3 and sells 2, 4, 7, 9, one lot each.
// The efficient volume is 2 (6 < 7), with welfare (10−2) + (8−4) = 12;
// b_q = 8, s_q = 4, b_{q+1} = 6, s_{q+1} = 7.
func commonBook() []auction.Order {
	return []auction.Order{
		callBuy("b1", 10, 1), callBuy("b2", 8, 2), callBuy("b3", 6, 3), callBuy("b4", 3, 4),
		callSell("s1", 2, 5), callSell("s2", 4, 6), callSell("s3", 7, 7), callSell("s4", 9, 8),
	}
}

func TestCallRules(t *testing.T) {
	tests := []struct {
		name   string
		rule   auction.CallRule
		orders []auction.Order
		want   callOutcome
	}{{
		name: "kda: no orders",
		rule: auction.KDA{}, orders: nil,
		want: callOutcome{},
	}, {
		name: "kda: no overlap",
		rule: auction.KDA{}, orders: []auction.Order{callBuy("b", 3, 1), callSell("s", 4, 2)},
		want: callOutcome{},
	}, {
		// [lo, hi] = [max(4, 6), min(8, 7)] = [6, 7]; 6 + ⌊7/2 × ... ⌋.
		name: "kda: k = 1/2 rounds down to 6",
		rule: auction.KDA{}, orders: commonBook(),
		want: callOutcome{
			Trades:   []string{"b1 buy 1@6", "b2 buy 1@6", "s1 sell 1@6", "s2 sell 1@6"},
			BuyPrice: 6, SellPrice: 6, Volume: 2, OptimalVolume: 2, Welfare: 12, OptimalWelfare: 12,
		},
	}, {
		name: "kda: k = 1 prices at the top of the interval",
		rule: auction.KDA{K: auction.Fraction{Num: 1, Den: 1}}, orders: commonBook(),
		want: callOutcome{
			Trades:   []string{"b1 buy 1@7", "b2 buy 1@7", "s1 sell 1@7", "s2 sell 1@7"},
			BuyPrice: 7, SellPrice: 7, Volume: 2, OptimalVolume: 2, Welfare: 12, OptimalWelfare: 12,
		},
	}, {
		name:   "kda: k = 0 prices at the bottom",
		rule:   auction.KDA{K: auction.Fraction{Num: 0, Den: 5}},
		orders: []auction.Order{callBuy("b1", 100, 1), callSell("s1", 10, 2)},
		want: callOutcome{
			Trades:   []string{"b1 buy 1@10", "s1 sell 1@10"},
			BuyPrice: 10, SellPrice: 10, Volume: 1, OptimalVolume: 1, Welfare: 90, OptimalWelfare: 90,
		},
	}, {
		// 10 + ⌊2/3 × 90⌋ = 70.
		name:   "kda: k = 2/3",
		rule:   auction.KDA{K: auction.Fraction{Num: 2, Den: 3}},
		orders: []auction.Order{callBuy("b1", 100, 1), callSell("s1", 10, 2)},
		want: callOutcome{
			Trades:   []string{"b1 buy 1@70", "s1 sell 1@70"},
			BuyPrice: 70, SellPrice: 70, Volume: 1, OptimalVolume: 1, Welfare: 90, OptimalWelfare: 90,
		},
	}, {
		// Units: buys 10×5, 9×3; sells 5×4, 9×6. q = 8: 4 lots at 10/5, 1 at
		// 10/9, 3 at 9/9; welfare 20 + 1 + 0. [lo, hi] = [9, min(9, 9)].
		name: "kda: multi-lot orders fill by priority",
		rule: auction.KDA{},
		orders: []auction.Order{
			lots(callBuy("A", 10, 1), 5), lots(callBuy("B", 9, 2), 3),
			lots(callSell("C", 5, 3), 4), lots(callSell("D", 9, 4), 6),
		},
		want: callOutcome{
			Trades:   []string{"A buy 5@9", "B buy 3@9", "C sell 4@9", "D sell 4@9"},
			BuyPrice: 9, SellPrice: 9, Volume: 8, OptimalVolume: 8, Welfare: 21, OptimalWelfare: 21,
		},
	}, {
		// Y and X bid the same; Y arrived first, so Y fills and X is partly
		// filled. b_{q+1} = 10 (X's second lot) sets lo = hi = 10.
		name: "kda: time priority at the margin",
		rule: auction.KDA{},
		orders: []auction.Order{
			lots(callBuy("X", 10, 2), 2), lots(callBuy("Y", 10, 1), 2), lots(callSell("S", 5, 3), 3),
		},
		want: callOutcome{
			Trades:   []string{"Y buy 2@10", "X buy 1@10", "S sell 3@10"},
			BuyPrice: 10, SellPrice: 10, Volume: 3, OptimalVolume: 3, Welfare: 15, OptimalWelfare: 15,
		},
	}, {
		name: "kda: equal Seq, ID breaks the tie",
		rule: auction.KDA{},
		orders: []auction.Order{
			callBuy("b", 10, 0), callBuy("a", 10, 0), callSell("s", 5, 0),
		},
		want: callOutcome{
			Trades:   []string{"a buy 1@10", "s sell 1@10"},
			BuyPrice: 10, SellPrice: 10, Volume: 1, OptimalVolume: 1, Welfare: 5, OptimalWelfare: 5,
		},
	}, {
		// p = ⌊(6 + 7) / 2⌋ = 6, a half tick rounded down, in [4, 8].
		name: "mcafee: midpoint on a half tick, no reduction",
		rule: auction.McAfee{}, orders: commonBook(),
		want: callOutcome{
			Trades:   []string{"b1 buy 1@6", "b2 buy 1@6", "s1 sell 1@6", "s2 sell 1@6"},
			BuyPrice: 6, SellPrice: 6, Volume: 2, OptimalVolume: 2, Welfare: 12, OptimalWelfare: 12,
		},
	}, {
		// q = 2, p = ⌊(1 + 20) / 2⌋ = 10 > b_q = 5: reduce to one trade,
		// b1 pays 5 and s1 receives 4.
		name: "mcafee: trade reduction",
		rule: auction.McAfee{},
		orders: []auction.Order{
			callBuy("b1", 10, 1), callBuy("b2", 5, 2), callBuy("b3", 1, 3),
			callSell("s1", 2, 4), callSell("s2", 4, 5), callSell("s3", 20, 6),
		},
		want: callOutcome{
			Trades:   []string{"b1 buy 1@5", "s1 sell 1@4"},
			BuyPrice: 5, SellPrice: 4, Volume: 1, OptimalVolume: 2, Welfare: 8, OptimalWelfare: 9,
		},
	}, {
		name: "mcafee: no (q+1)-th unit: reduction",
		rule: auction.McAfee{},
		orders: []auction.Order{
			callBuy("b1", 10, 1), callBuy("b2", 8, 2), callSell("s1", 2, 3), callSell("s2", 4, 4),
		},
		want: callOutcome{
			Trades:   []string{"b1 buy 1@8", "s1 sell 1@4"},
			BuyPrice: 8, SellPrice: 4, Volume: 1, OptimalVolume: 2, Welfare: 8, OptimalWelfare: 12,
		},
	}, {
		name:   "mcafee: a single efficient trade is reduced away",
		rule:   auction.McAfee{},
		orders: []auction.Order{callBuy("b1", 10, 1), callSell("s1", 2, 2)},
		want:   callOutcome{OptimalVolume: 1, OptimalWelfare: 8},
	}, {
		// s_{q+1} = 7 <= b_q = 8: the third seller sets the price.
		name: "sbba: price set by a seller",
		rule: auction.SBBA{Rand: fixed(0)}, orders: commonBook(),
		want: callOutcome{
			Trades:   []string{"b1 buy 1@7", "b2 buy 1@7", "s1 sell 1@7", "s2 sell 1@7"},
			BuyPrice: 7, SellPrice: 7, Volume: 2, OptimalVolume: 2, Welfare: 12, OptimalWelfare: 12,
		},
	}, {
		// s_{q+1} = 9 > b_q = 8: b2 sets the price and does not trade; the
		// draw leaves out s1.
		name: "sbba: price set by a buyer, first seller left out",
		rule: auction.SBBA{Rand: fixed(0)},
		orders: []auction.Order{
			callBuy("b1", 10, 1), callBuy("b2", 8, 2), callBuy("b3", 3, 3),
			callSell("s1", 2, 4), callSell("s2", 4, 5), callSell("s3", 9, 6),
		},
		want: callOutcome{
			Trades:   []string{"b1 buy 1@8", "s2 sell 1@8"},
			BuyPrice: 8, SellPrice: 8, Volume: 1, OptimalVolume: 2, Welfare: 6, OptimalWelfare: 12,
		},
	}, {
		name: "sbba: price set by a buyer, second seller left out",
		rule: auction.SBBA{Rand: fixed(1)},
		orders: []auction.Order{
			callBuy("b1", 10, 1), callBuy("b2", 8, 2), callBuy("b3", 3, 3),
			callSell("s1", 2, 4), callSell("s2", 4, 5), callSell("s3", 9, 6),
		},
		want: callOutcome{
			Trades:   []string{"b1 buy 1@8", "s1 sell 1@8"},
			BuyPrice: 8, SellPrice: 8, Volume: 1, OptimalVolume: 2, Welfare: 8, OptimalWelfare: 12,
		},
	}, {
		// q = 4 lots; s_{q+1} absent, so b_q = 7 sets the price. Lot 2 of the
		// sellers' four (from 0) is C's second lot.
		name: "sbba: a multi-lot seller loses one lot",
		rule: auction.SBBA{Rand: fixed(2)},
		orders: []auction.Order{
			lots(callBuy("A", 9, 1), 3), callBuy("B", 7, 2),
			lots(callSell("C", 1, 3), 3), callSell("D", 2, 4),
		},
		want: callOutcome{
			Trades:   []string{"A buy 3@7", "C sell 2@7", "D sell 1@7"},
			BuyPrice: 7, SellPrice: 7, Volume: 3, OptimalVolume: 4, Welfare: 27 - 4, OptimalWelfare: 27 + 7 - 5,
		},
	}, {
		name:   "sbba: a single trade set by the buyer does not happen",
		rule:   auction.SBBA{Rand: fixed(0)},
		orders: []auction.Order{callBuy("b1", 10, 1), callSell("s1", 2, 2)},
		want:   callOutcome{OptimalVolume: 1, OptimalWelfare: 8},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.rule.ClearCall(tt.orders)
			if err != nil {
				t.Fatalf("ClearCall: %v", err)
			}
			if diff := cmp.Diff(tt.want, callOutcomeOf(got)); diff != "" {
				t.Errorf("ClearCall (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCallRulesReject(t *testing.T) {
	rules := []auction.CallRule{auction.KDA{}, auction.McAfee{}, auction.SBBA{Rand: fixed(0)}}
	tests := []struct {
		name   string
		orders []auction.Order
	}{
		{"duplicate id", []auction.Order{callBuy("x", 5, 1), callSell("y", 3, 2), callSell("x", 4, 3)}},
		{"zero price", []auction.Order{callBuy("x", 0, 1)}},
		{"no side", []auction.Order{{ID: "x", Price: 1, Qty: 1}}},
		{"quantity over MaxTicks", []auction.Order{lots(callBuy("x", 1, 1), auction.MaxTicks+1)}},
		{"both sides over MaxTicks lots", []auction.Order{
			lots(callBuy("b1", 5, 1), auction.MaxTicks), lots(callBuy("b2", 5, 1), 1),
			lots(callSell("s1", 5, 1), auction.MaxTicks), lots(callSell("s2", 5, 1), 1),
		}},
	}
	for _, rule := range rules {
		for _, tt := range tests {
			t.Run(rule.Name()+"/"+tt.name, func(t *testing.T) {
				if got, err := rule.ClearCall(tt.orders); !errors.Is(err, auction.ErrInvalidOrder) {
					t.Errorf("ClearCall = %+v, %v; want ErrInvalidOrder", got, err)
				}
			})
		}
	}
}

func TestCallRulesDuplicateAmongMany(t *testing.T) {
	orders := make([]auction.Order, 5000)
	for i := range orders {
		orders[i] = callBuy(fmt.Sprintf("o%d", i), 1+int64(i%7), uint64(i))
	}
	orders[4321].ID = "o17"
	if _, err := (auction.KDA{}).ClearCall(orders); !errors.Is(err, auction.ErrInvalidOrder) {
		t.Errorf("ClearCall = %v, want ErrInvalidOrder", err)
	}
	orders[4321].ID = "unique"
	if _, err := (auction.KDA{}).ClearCall(orders); err != nil {
		t.Errorf("ClearCall = %v, want nil", err)
	}
}

func TestCallRulesBadArguments(t *testing.T) {
	for _, k := range []auction.Fraction{{Num: 3, Den: 2}, {Num: -1, Den: 2}, {Num: 1, Den: 0}, {Num: 0, Den: -1}} {
		if _, err := (auction.KDA{K: k}).ClearCall(commonBook()); !errors.Is(err, auction.ErrInvalidArgument) {
			t.Errorf("KDA{K: %v}: %v, want ErrInvalidArgument", k, err)
		}
	}
	if _, err := (auction.SBBA{}).ClearCall(commonBook()); !errors.Is(err, auction.ErrInvalidArgument) {
		t.Errorf("SBBA without Rand: %v, want ErrInvalidArgument", err)
	}
	buyerSets := []auction.Order{callBuy("b1", 10, 1), callBuy("b2", 8, 2), callSell("s1", 2, 3), callSell("s2", 4, 4)}
	for _, n := range []int64{-1, 2} {
		if _, err := (auction.SBBA{Rand: fixed(n)}).ClearCall(buyerSets); !errors.Is(err, auction.ErrInvalidArgument) {
			t.Errorf("SBBA with Rand drawing %d of 2: %v, want ErrInvalidArgument", n, err)
		}
	}
}

func TestCallRulesExtremes(t *testing.T) {
	// The largest prices and volumes: sums of price × lots reach 2^62.
	orders := []auction.Order{
		lots(callBuy("b", auction.MaxTicks, 1), auction.MaxTicks),
		lots(callSell("s", 1, 2), auction.MaxTicks),
		lots(callSell("t", auction.MaxTicks, 3), 5),
	}
	got, err := (auction.KDA{}).ClearCall(orders)
	if err != nil {
		t.Fatal(err)
	}
	// [lo, hi] = [max(1, -), min(2^31, 2^31)]: lo = 1, hi = 2^31.
	want := callOutcome{
		Trades:   []string{fmt.Sprintf("b buy %d@%d", auction.MaxTicks, 1+(auction.MaxTicks-1)/2), fmt.Sprintf("s sell %d@%d", auction.MaxTicks, 1+(auction.MaxTicks-1)/2)},
		BuyPrice: 1 + (auction.MaxTicks-1)/2, SellPrice: 1 + (auction.MaxTicks-1)/2,
		Volume: auction.MaxTicks, OptimalVolume: auction.MaxTicks,
		Welfare: (auction.MaxTicks - 1) * auction.MaxTicks, OptimalWelfare: (auction.MaxTicks - 1) * auction.MaxTicks,
	}
	if diff := cmp.Diff(want, callOutcomeOf(got)); diff != "" {
		t.Errorf("ClearCall (-want +got):\n%s", diff)
	}
}

func TestCallRuleNames(t *testing.T) {
	rules := []auction.CallRule{auction.KDA{}, auction.McAfee{}, auction.SBBA{}}
	for i, want := range []string{"kda", "mcafee", "sbba"} {
		if got := rules[i].Name(); got != want {
			t.Errorf("Name() = %q, want %q", got, want)
		}
		if got := (auction.CallMarket{Rule: rules[i]}).Name(); got != "call-"+want {
			t.Errorf("CallMarket Name() = %q, want %q", got, "call-"+want)
		}
	}
	if got := (auction.CallMarket{}).Name(); got != "call-kda" {
		t.Errorf("zero CallMarket Name() = %q, want call-kda", got)
	}
}

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
