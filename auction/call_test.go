package auction_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/scarcitylabs/scarcity/auction"
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
