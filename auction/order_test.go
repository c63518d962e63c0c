package auction_test

import (
	"errors"
	"testing"

	"github.com/cockroachdb/apd/v3"

	"github.com/scarcitylabs/scarcity/auction"
)

func TestGridConvertsExactly(t *testing.T) {
	g := auction.Grid{Tick: apd.New(1, -3), Lot: apd.New(5, -1)} // 0.001 credits, 0.5 units
	n, err := g.Ticks(apd.New(1250, -3))
	if err != nil || n != 1250 {
		t.Fatalf("Ticks(1.250) = %d, %v; want 1250", n, err)
	}
	if got := g.Price(n); got.Cmp(apd.New(125, -2)) != 0 {
		t.Errorf("Price(1250) = %s, want 1.25", got.Text('f'))
	}
	lots, err := g.Lots(apd.New(3, 0))
	if err != nil || lots != 6 {
		t.Fatalf("Lots(3) = %d, %v; want 6", lots, err)
	}
	if got := g.Quantity(lots); got.Cmp(apd.New(3, 0)) != 0 {
		t.Errorf("Quantity(6) = %s, want 3", got.Text('f'))
	}
}

func TestGridRejectsOffGrid(t *testing.T) {
	g := auction.Grid{Tick: apd.New(1, -3), Lot: apd.New(5, -1)}
	for name, x := range map[string]*apd.Decimal{
		"finer than a tick": apd.New(12345, -4),
		"zero":              apd.New(0, 0),
		"negative":          apd.New(-1, 0),
		"nil":               nil,
		"too many ticks":    apd.New(1, 10),
		"NaN":               {Form: apd.NaN},
	} {
		if _, err := g.Ticks(x); !errors.Is(err, auction.ErrOffGrid) {
			t.Errorf("%s: Ticks = %v, want ErrOffGrid", name, err)
		}
	}
	if _, err := (auction.Grid{Tick: apd.New(0, 0), Lot: apd.New(1, 0)}).Ticks(apd.New(1, 0)); !errors.Is(err, auction.ErrInvalidArgument) {
		t.Errorf("zero tick: %v, want ErrInvalidArgument", err)
	}
}

func TestOrderValidate(t *testing.T) {
	ok := auction.Order{ID: "o1", Agent: "a", Side: auction.Buy, Price: 10, Qty: 2}
	if err := ok.Validate(); err != nil {
		t.Fatalf("Validate(%+v) = %v", ok, err)
	}
	for name, change := range map[string]func(*auction.Order){
		"empty id":     func(o *auction.Order) { o.ID = "" },
		"no side":      func(o *auction.Order) { o.Side = 0 },
		"zero price":   func(o *auction.Order) { o.Price = 0 },
		"huge price":   func(o *auction.Order) { o.Price = auction.MaxTicks + 1 },
		"negative qty": func(o *auction.Order) { o.Qty = -1 },
	} {
		o := ok
		change(&o)
		if err := o.Validate(); !errors.Is(err, auction.ErrInvalidOrder) {
			t.Errorf("%s: Validate = %v, want ErrInvalidOrder", name, err)
		}
	}
}

func TestOrderBefore(t *testing.T) {
	a := auction.Order{ID: "b", Seq: 1}
	b := auction.Order{ID: "a", Seq: 2}
	c := auction.Order{ID: "c", Seq: 1}
	if !a.Before(&b) || b.Before(&a) || !a.Before(&c) || c.Before(&a) {
		t.Error("Before does not order by Seq, then ID")
	}
}
