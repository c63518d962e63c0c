package orderbook_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/scarcitylabs/scarcity/auction"
	"github.com/scarcitylabs/scarcity/auction/orderbook"
)

// entry is one order submitted to a book in a test.
type entry struct {
	o    auction.Order
	kind orderbook.Kind
	tif  orderbook.TimeInForce
}

// buy and sell return a GTC limit order of agent "agent-"+id.
func buy(id string, price, qty int64) entry { return limitOrder(id, auction.Buy, price, qty) }

func sell(id string, price, qty int64) entry { return limitOrder(id, auction.Sell, price, qty) }

func limitOrder(id string, side auction.Side, price, qty int64) entry {
	return entry{o: auction.Order{ID: id, Agent: "agent-" + id, Side: side, Price: price, Qty: qty}, kind: orderbook.Limit, tif: orderbook.GTC}
}

// as returns e with time in force tif.
func (e entry) as(tif orderbook.TimeInForce) entry { e.tif = tif; return e }

// market returns e as a market order.
func (e entry) market() entry { e.kind = orderbook.Market; e.o.Price = 0; return e }

// by returns e submitted by agent.
func (e entry) by(agent string) entry { e.o.Agent = agent; return e }

// newTestBook returns a book holding the entries, or fails the test.
func newTestBook(tb testing.TB, opts orderbook.Options, entries ...entry) *orderbook.Book {
	tb.Helper()
	b, err := orderbook.New(opts)
	if err != nil {
		tb.Fatalf("New: %v", err)
	}
	for _, e := range entries {
		if _, err := b.Submit(e.o, e.kind, e.tif); err != nil {
			tb.Fatalf("Submit(%s): %v", e.o.ID, err)
		}
	}
	return b
}

// fillTexts returns each fill as "maker>taker qty@price".
func fillTexts(fills []orderbook.Fill) []string {
	var out []string
	for _, f := range fills {
		out = append(out, fmt.Sprintf("%s>%s %d@%d", f.MakerID, f.TakerID, f.Qty, f.Price))
	}
	return out
}

// depthTexts returns every level of side as "qty@price/orders", best first.
func depthTexts(b *orderbook.Book, side auction.Side) []string {
	var out []string
	for _, l := range b.Depth(side, b.Len()) {
		out = append(out, fmt.Sprintf("%d@%d/%d", l.Qty, l.Price, l.Orders))
	}
	return out
}

// t0 is the instant from which the tests' expiries count.
var t0 = time.Date(2025, 3, 14, 12, 0, 0, 0, time.UTC)

// at returns the instant s seconds after t0.
func at(s int64) time.Time { return t0.Add(time.Duration(s) * time.Second) }

func TestBookMatching(t *testing.T) {
	asks := []entry{sell("s1", 101, 5), sell("s2", 102, 5), sell("s3", 103, 5)}
	tests := []struct {
		name       string
		book       []entry
		in         entry
		wantFills  []string
		wantBids   []string
		wantAsks   []string
		wantResult string // the incoming order's fate: "rests N" or "gone"
	}{
		{"rests when nothing crosses", asks, buy("b", 100, 4), nil, []string{"4@100/1"}, []string{"5@101/1", "5@102/1", "5@103/1"}, "rests 4"},
		{"partial fills across levels, remainder rests", asks, buy("b", 102, 12),
			[]string{"s1>b 5@101", "s2>b 5@102"}, []string{"2@102/1"}, []string{"5@103/1"}, "rests 2"},
		{"fills at the maker's price", []entry{buy("b1", 105, 3)}, sell("s", 90, 3),
			[]string{"b1>s 3@105"}, nil, nil, "gone"},
		{"FIFO within a level", []entry{sell("s1", 100, 3), sell("s2", 100, 3), sell("s3", 100, 3)}, buy("b", 100, 4),
			[]string{"s1>b 3@100", "s2>b 1@100"}, nil, []string{"5@100/2"}, "gone"},
		{"market order sweeps and never rests", asks, buy("b", 0, 100).market(),
			[]string{"s1>b 5@101", "s2>b 5@102", "s3>b 5@103"}, nil, nil, "gone"},
		{"market sell on an empty side does nothing", asks, sell("s", 0, 1).market(), nil, nil, []string{"5@101/1", "5@102/1", "5@103/1"}, "gone"},
		{"IOC remainder cancelled", asks, buy("b", 101, 8).as(orderbook.IOC),
			[]string{"s1>b 5@101"}, nil, []string{"5@102/1", "5@103/1"}, "gone"},
		{"FOK short of quantity does nothing", asks, buy("b", 103, 16).as(orderbook.FOK),
			nil, nil, []string{"5@101/1", "5@102/1", "5@103/1"}, "gone"},
		{"FOK short within its limit does nothing", asks, buy("b", 102, 11).as(orderbook.FOK),
			nil, nil, []string{"5@101/1", "5@102/1", "5@103/1"}, "gone"},
		{"FOK fills in full", asks, buy("b", 102, 10).as(orderbook.FOK),
			[]string{"s1>b 5@101", "s2>b 5@102"}, nil, []string{"5@103/1"}, "gone"},
		{"market AON is fill or kill", asks, buy("b", 0, 16).market().as(orderbook.AON),
			nil, nil, []string{"5@101/1", "5@102/1", "5@103/1"}, "gone"},
		{"AON taker short rests whole", asks, buy("b", 102, 11).as(orderbook.AON),
			nil, []string{"11@102/1"}, []string{"5@101/1", "5@102/1", "5@103/1"}, "rests 11"},
		{"AON taker fills in full", asks, buy("b", 102, 7).as(orderbook.AON),
			[]string{"s1>b 5@101", "s2>b 2@102"}, nil, []string{"3@102/1", "5@103/1"}, "gone"},
		{"resting AON skipped by a smaller taker, keeping its place",
			[]entry{buy("a", 100, 10).as(orderbook.AON), buy("b1", 100, 5), buy("b2", 99, 5)}, sell("s", 99, 8),
			[]string{"b1>s 5@100", "b2>s 3@99"}, []string{"10@100/1", "2@99/1"}, nil, "gone"},
		{"resting AON filled in full by a larger taker",
			[]entry{buy("a", 100, 10).as(orderbook.AON), buy("b1", 100, 5)}, sell("s", 100, 12),
			[]string{"a>s 10@100", "b1>s 2@100"}, []string{"3@100/1"}, nil, "gone"},
		{"resting AON may cross a smaller order",
			[]entry{buy("a", 100, 10).as(orderbook.AON)}, sell("s", 99, 5),
			nil, []string{"10@100/1"}, []string{"5@99/1"}, "rests 5"},
		{"self-trade cancels the taker",
			[]entry{sell("s1", 100, 5).by("alice"), sell("s2", 101, 5).by("bob")}, buy("b", 101, 10).by("alice"),
			nil, nil, []string{"5@100/1", "5@101/1"}, "gone"},
		{"self-trade keeps the fills before it",
			[]entry{sell("s1", 100, 5).by("bob"), sell("s2", 101, 5).by("alice")}, buy("b", 101, 10).by("alice"),
			[]string{"s1>b 5@100"}, nil, []string{"5@101/1"}, "gone"},
		{"self-trade stops an AON order from resting",
			[]entry{sell("s1", 100, 5).by("alice")}, buy("b", 101, 10).by("alice").as(orderbook.AON),
			nil, nil, []string{"5@100/1"}, "gone"},
		{"a skipped AON order of the same agent is no self-trade",
			[]entry{sell("s1", 100, 20).by("alice").as(orderbook.AON), sell("s2", 100, 5).by("bob")}, buy("b", 100, 5).by("alice"),
			[]string{"s2>b 5@100"}, nil, []string{"20@100/1"}, "gone"},
		{"anonymous orders trade with one another",
			[]entry{sell("s1", 100, 5).by("")}, buy("b", 100, 5).by(""),
			[]string{"s1>b 5@100"}, nil, nil, "gone"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := newTestBook(t, orderbook.Options{}, tt.book...)
			fills, err := b.Submit(tt.in.o, tt.in.kind, tt.in.tif)
			if err != nil {
				t.Fatalf("Submit: %v", err)
			}
			if diff := cmp.Diff(tt.wantFills, fillTexts(fills)); diff != "" {
				t.Errorf("fills (-want +got):\n%s", diff)
			}
			for _, f := range fills {
				if f.TakerAgent != tt.in.o.Agent || f.TakerSide != tt.in.o.Side || f.MakerAgent == "" && tt.in.o.Agent != "" {
					t.Errorf("fill %+v: wrong taker or maker agent", f)
				}
			}
			if diff := cmp.Diff(tt.wantBids, depthTexts(b, auction.Buy)); diff != "" {
				t.Errorf("bids (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantAsks, depthTexts(b, auction.Sell)); diff != "" {
				t.Errorf("asks (-want +got):\n%s", diff)
			}
			got := "gone"
			if o, ok := b.Order(tt.in.o.ID); ok {
				got = fmt.Sprintf("rests %d", o.Qty)
			}
			if got != tt.wantResult {
				t.Errorf("incoming order %s, want %s", got, tt.wantResult)
			}
		})
	}
}

func TestBookQueries(t *testing.T) {
	b := newTestBook(t, orderbook.Options{}, buy("b1", 99, 1), buy("b2", 98, 2), buy("b3", 99, 3), sell("s1", 101, 4))
	if p, ok := b.BestBid(); !ok || p != 99 {
		t.Errorf("BestBid = %d, %v; want 99", p, ok)
	}
	if p, ok := b.BestAsk(); !ok || p != 101 {
		t.Errorf("BestAsk = %d, %v; want 101", p, ok)
	}
	if diff := cmp.Diff([]orderbook.Level{{Price: 99, Qty: 4, Orders: 2}}, b.Depth(auction.Buy, 1)); diff != "" {
		t.Errorf("Depth(buy, 1) (-want +got):\n%s", diff)
	}
	if got := b.Depth(auction.Side(9), 3); got != nil {
		t.Errorf("Depth of a bad side = %v", got)
	}
	o, ok := b.Order("b3")
	want := auction.Order{ID: "b3", Agent: "agent-b3", Side: auction.Buy, Price: 99, Qty: 3, Seq: 3}
	if !ok || o != want {
		t.Errorf("Order(b3) = %+v, %v; want %+v", o, ok, want)
	}
	if b.Len() != 4 {
		t.Errorf("Len = %d, want 4", b.Len())
	}
	b.Reset()
	if _, ok := b.BestBid(); ok || b.Len() != 0 {
		t.Errorf("after Reset: Len %d, has a bid %v", b.Len(), ok)
	}
	if _, ok := b.BestAsk(); ok {
		t.Error("after Reset: has an ask")
	}
}

func TestBookCancel(t *testing.T) {
	b := newTestBook(t, orderbook.Options{}, buy("b1", 99, 1), buy("b2", 99, 2), buy("b3", 98, 3))
	o, err := b.Cancel("b1")
	if err != nil || o.ID != "b1" || o.Qty != 1 {
		t.Fatalf("Cancel(b1) = %+v, %v", o, err)
	}
	if _, err := b.Cancel("b3"); err != nil {
		t.Fatalf("Cancel(b3): %v", err)
	}
	if diff := cmp.Diff([]string{"2@99/1"}, depthTexts(b, auction.Buy)); diff != "" {
		t.Errorf("bids (-want +got):\n%s", diff)
	}
	if _, err := b.Cancel("b1"); !errors.Is(err, orderbook.ErrUnknownOrder) {
		t.Errorf("second Cancel(b1) = %v, want ErrUnknownOrder", err)
	}
	// An id may be used again once its order has left the book.
	if _, err := b.Submit(buy("b1", 97, 1).o, orderbook.Limit, orderbook.GTC); err != nil {
		t.Errorf("Submit(b1) again: %v", err)
	}
}

func TestBookReplace(t *testing.T) {
	tests := []struct {
		name        string
		id          string
		price, qty  int64
		wantReplace []string // fills of Replace
		wantFills   []string // fills of a sell of 3 at 99 afterwards
	}{
		{"quantity decrease keeps priority", "b1", 100, 4, nil, []string{"b1>s 3@100"}},
		{"same price and quantity keeps priority", "b1", 100, 5, nil, []string{"b1>s 3@100"}},
		{"quantity increase loses priority", "b1", 100, 6, nil, []string{"b2>s 3@100"}},
		{"price change loses priority", "b2", 99, 5, nil, []string{"b1>s 3@100"}},
		{"better price wins priority", "b2", 101, 5, nil, []string{"b2>s 3@101"}},
		{"crossing price trades at once", "b2", 102, 7, []string{"a1>b2 5@102"}, []string{"b2>s 2@102", "b1>s 1@100"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := newTestBook(t, orderbook.Options{}, buy("b1", 100, 5), buy("b2", 100, 5), sell("a1", 102, 5))
			fills, err := b.Replace(tt.id, tt.price, tt.qty)
			if err != nil {
				t.Fatalf("Replace: %v", err)
			}
			if diff := cmp.Diff(tt.wantReplace, fillTexts(fills)); diff != "" {
				t.Errorf("Replace fills (-want +got):\n%s", diff)
			}
			fills, err = b.Submit(sell("s", 99, 3).o, orderbook.Limit, orderbook.IOC)
			if err != nil {
				t.Fatalf("Submit: %v", err)
			}
			if diff := cmp.Diff(tt.wantFills, fillTexts(fills)); diff != "" {
				t.Errorf("fills (-want +got):\n%s", diff)
			}
		})
	}
}

func TestBookReplaceKeepsAONAndExpiry(t *testing.T) {
	e := buy("a", 100, 10).as(orderbook.AON)
	e.o.Expires = at(30)
	b := newTestBook(t, orderbook.Options{}, e)
	if _, err := b.Replace("a", 101, 8); err != nil {
		t.Fatal(err)
	}
	fills, err := b.Submit(sell("s", 101, 5).o, orderbook.Limit, orderbook.IOC)
	if err != nil || len(fills) != 0 {
		t.Fatalf("a small sell traded with the replaced AON order: %v, %v", fillTexts(fills), err)
	}
	if got := b.Expire(at(30)); len(got) != 1 || got[0].ID != "a" || got[0].Qty != 8 || got[0].Price != 101 {
		t.Errorf("Expire = %+v, want a for 8 at 101", got)
	}
}

func TestBookExpire(t *testing.T) {
	var es []entry
	for i, s := range []int64{30, 10, 0, 20, 10} {
		e := buy(fmt.Sprintf("b%d", i), 100-int64(i), 1)
		if s > 0 {
			e.o.Expires = at(s)
		}
		es = append(es, e)
	}
	b := newTestBook(t, orderbook.Options{}, es...)
	if _, err := b.Cancel("b4"); err != nil {
		t.Fatal(err)
	}
	if got := b.Expire(at(9)); len(got) != 0 {
		t.Errorf("Expire(9s) = %v, want none", got)
	}
	ids := func(os []auction.Order) (out []string) {
		for _, o := range os {
			out = append(out, o.ID)
		}
		return out
	}
	if diff := cmp.Diff([]string{"b1", "b3"}, ids(b.Expire(at(20)))); diff != "" {
		t.Errorf("Expire(20s) (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"b0"}, ids(b.Expire(at(1000)))); diff != "" {
		t.Errorf("Expire(1000s) (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"1@98/1"}, depthTexts(b, auction.Buy)); diff != "" {
		t.Errorf("bids (-want +got):\n%s", diff)
	}
}

func TestBookErrors(t *testing.T) {
	tests := []struct {
		name string
		in   entry
		want error
	}{
		{"empty id", buy("", 100, 1), auction.ErrInvalidOrder},
		{"zero quantity", buy("x", 100, 0), auction.ErrInvalidOrder},
		{"price too high", buy("x", auction.MaxTicks+1, 1), auction.ErrInvalidOrder},
		{"no price", buy("x", 0, 1), auction.ErrInvalidOrder},
		{"bad side", entry{o: auction.Order{ID: "x", Price: 1, Qty: 1}, kind: orderbook.Limit, tif: orderbook.GTC}, auction.ErrInvalidOrder},
		{"bad kind", entry{o: buy("x", 100, 1).o, kind: 0, tif: orderbook.GTC}, auction.ErrInvalidOrder},
		{"bad time in force", buy("x", 100, 1).as(9), auction.ErrInvalidOrder},
		{"duplicate live id", sell("b1", 120, 1), orderbook.ErrDuplicateOrder},
		{"would rest in a full book", buy("x", 98, 1), orderbook.ErrBookFull},
		{"AON would rest in a full book", buy("x", 101, 9).as(orderbook.AON), orderbook.ErrBookFull},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := newTestBook(t, orderbook.Options{MaxOrders: 2}, buy("b1", 99, 1), sell("s1", 101, 5))
			fills, err := b.Submit(tt.in.o, tt.in.kind, tt.in.tif)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Submit = %v, want %v", err, tt.want)
			}
			if len(fills) != 0 || b.Len() != 2 {
				t.Errorf("failed Submit changed the book: %d fills, %d orders", len(fills), b.Len())
			}
		})
	}
	b := newTestBook(t, orderbook.Options{MaxOrders: 2}, buy("b1", 99, 1), sell("s1", 101, 5))
	if _, err := b.Submit(buy("x", 101, 5).o, orderbook.Limit, orderbook.GTC); err != nil {
		t.Errorf("an order that fills in full is refused by a full book: %v", err)
	}
	if _, err := b.Replace("nope", 100, 1); !errors.Is(err, orderbook.ErrUnknownOrder) {
		t.Errorf("Replace(unknown) = %v, want ErrUnknownOrder", err)
	}
	if _, err := b.Replace("b1", 100, 0); !errors.Is(err, auction.ErrInvalidOrder) {
		t.Errorf("Replace to quantity 0 = %v, want ErrInvalidOrder", err)
	}
	if o, _ := b.Order("b1"); o.Qty != 1 || o.Price != 99 {
		t.Errorf("failed Replace changed b1: %+v", o)
	}
	for _, n := range []int{-1, 1<<30 + 1} {
		if _, err := orderbook.New(orderbook.Options{MaxOrders: n}); !errors.Is(err, auction.ErrInvalidArgument) {
			t.Errorf("NewBook(MaxOrders %d) = %v, want ErrInvalidArgument", n, err)
		}
	}
}

func TestBookTermsStrings(t *testing.T) {
	got := []string{orderbook.Limit.String(), orderbook.Market.String(), orderbook.Kind(7).String(),
		orderbook.GTC.String(), orderbook.IOC.String(), orderbook.FOK.String(), orderbook.AON.String(), orderbook.TimeInForce(7).String()}
	want := []string{"limit", "market", "kind(7)", "gtc", "ioc", "fok", "aon", "tif(7)"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// TestBookSubmitDoesNotAllocate replays the same orders, with cancels,
// replacements and expiry, into a warmed book: steady state allocates
// nothing.
func TestBookSubmitDoesNotAllocate(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	orders := bookOrders(5000, 7)
	for i := range orders {
		if i%7 == 0 {
			orders[i].Expires = at(int64(i % 50))
		}
	}
	b, err := orderbook.New(orderbook.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var fills []orderbook.Fill
	var expired []auction.Order
	run := func() {
		b.Reset()
		for i, o := range orders {
			fills, err = b.SubmitAppend(fills[:0], o, orderbook.Limit, orderbook.GTC)
			if err != nil {
				t.Fatal(err)
			}
			switch i % 10 {
			case 3:
				if _, ok := b.Order(orders[i-1].ID); ok {
					if _, err := b.Cancel(orders[i-1].ID); err != nil {
						t.Fatal(err)
					}
				}
			case 5:
				if o, ok := b.Order(orders[i-2].ID); ok {
					fills, err = b.ReplaceAppend(fills[:0], o.ID, o.Price+1, 5)
					if err != nil {
						t.Fatal(err)
					}
				}
			case 9:
				expired = b.ExpireAppend(expired[:0], at(int64(i%50)))
			}
		}
	}
	if n := testing.AllocsPerRun(3, run); n != 0 {
		t.Errorf("%v allocations per %d orders, want 0", n, len(orders))
	}
}
