package orderbook

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/scarcitylabs/scarcity/auction"
	"pgregory.net/rapid"
)

// fataler is what the checks need of *rapid.T or *testing.T.
type fataler interface {
	Helper()
	Fatalf(format string, args ...any)
}

// bookMachine runs a Book and a bookModel side by side.
type bookMachine struct {
	book  *Book
	model bookModel
	now   time.Time
	next  int
	// Quantities per order id: in is submitted (net of replacements), out
	// is filled or removed; in - out must be what rests.
	in, out map[string]int64
	// aon holds the quantity each resting AON order rested with.
	aon map[string]int64
}

var propertyStart = time.Date(2025, 3, 14, 12, 0, 0, 0, time.UTC)

func newBookMachine(t *rapid.T) *bookMachine {
	max := rapid.SampledFrom([]int{0, 3, 8}).Draw(t, "max orders")
	b, err := New(Options{MaxOrders: max})
	if err != nil {
		t.Fatal(err)
	}
	if max == 0 {
		max = DefaultMaxOrders
	}
	return &bookMachine{book: b, model: bookModel{max: max}, now: propertyStart,
		in: map[string]int64{}, out: map[string]int64{}, aon: map[string]int64{}}
}

// liveID draws the id of a resting order, or an unknown one.
func (m *bookMachine) liveID(t *rapid.T) string {
	if len(m.model.live) == 0 || rapid.IntRange(0, 9).Draw(t, "unknown id") == 0 {
		return "unknown"
	}
	return rapid.SampledFrom(m.model.live).Draw(t, "live").o.ID
}

func (m *bookMachine) submit(t *rapid.T) {
	id := fmt.Sprintf("o%d", m.next)
	if len(m.model.live) > 0 && rapid.IntRange(0, 19).Draw(t, "duplicate") == 0 {
		id = m.liveID(t)
	} else {
		m.next++
	}
	o := auction.Order{
		ID:    id,
		Agent: rapid.SampledFrom([]string{"", "a", "b", "c"}).Draw(t, "agent"),
		Side:  auction.Side(rapid.IntRange(0, 20).Draw(t, "side")%2 + 1),
		Price: rapid.Int64Range(95, 105).Draw(t, "price"),
		Qty:   rapid.Int64Range(0, 12).Draw(t, "qty"),
		Seq:   rapid.Uint64().Draw(t, "seq"),
	}
	if rapid.Bool().Draw(t, "expires") {
		o.Expires = m.now.Add(time.Duration(rapid.IntRange(0, 30).Draw(t, "ttl")) * time.Second)
	}
	kind := Kind(rapid.IntRange(1, 2).Draw(t, "kind"))
	if rapid.IntRange(0, 3).Draw(t, "market") > 0 {
		kind = Limit
	}
	if rapid.IntRange(0, 49).Draw(t, "bad kind") == 0 {
		kind = 0
	}
	tif := TimeInForce(rapid.IntRange(0, 4).Draw(t, "tif"))
	if tif == 0 && rapid.Bool().Draw(t, "valid tif") {
		tif = GTC
	}
	before := m.snapshot()
	want, wantErr := m.model.submit(o, kind, tif)
	got, err := m.book.Submit(o, kind, tif)
	m.compare(t, "Submit", want, wantErr, got, err)
	if err != nil {
		return
	}
	limit := o.Price
	if kind == Market {
		limit = map[auction.Side]int64{auction.Buy: auction.MaxTicks, auction.Sell: 1}[o.Side]
	}
	m.checkFills(t, before, auction.Order{ID: o.ID, Agent: o.Agent, Side: o.Side, Price: limit}, got)
	m.in[o.ID] += o.Qty
	m.settleTaker(o.ID, o.Qty, got)
}

// settleTaker accounts for what an incoming order of qty lots did not
// trade and does not rest: it was cancelled.
func (m *bookMachine) settleTaker(id string, qty int64, fills []Fill) {
	for _, f := range fills {
		m.out[f.MakerID] += f.Qty
		m.out[f.TakerID] += f.Qty
	}
	left := qty - sumQty(fills)
	if r, ok := m.book.Order(id); ok {
		left -= r.Qty
		if i := m.model.find(id); i >= 0 && m.model.live[i].tif == AON {
			m.aon[id] = r.Qty
		}
	}
	m.out[id] += left
}

func (m *bookMachine) cancel(t *rapid.T) {
	id := m.liveID(t)
	want, wantErr := m.model.cancel(id)
	got, err := m.book.Cancel(id)
	if !errors.Is(err, wantErr) || want != got {
		t.Fatalf("Cancel(%s) = %+v, %v; model %+v, %v", id, got, err, want, wantErr)
	}
	m.out[id] += got.Qty
}

func (m *bookMachine) replace(t *rapid.T) {
	id := m.liveID(t)
	price := rapid.Int64Range(94, 106).Draw(t, "new price")
	qty := rapid.Int64Range(0, 12).Draw(t, "new qty")
	old, _ := m.book.Order(id)
	before := m.snapshot()
	want, wantErr := m.model.replace(id, price, qty)
	got, err := m.book.Replace(id, price, qty)
	m.compare(t, "Replace", want, wantErr, got, err)
	if err != nil {
		return
	}
	m.checkFills(t, before, auction.Order{ID: id, Agent: old.Agent, Side: old.Side, Price: price}, got)
	m.in[id] += qty - old.Qty
	m.settleTaker(id, qty, got)
}

func (m *bookMachine) expire(t *rapid.T) {
	m.now = m.now.Add(time.Duration(rapid.IntRange(0, 10).Draw(t, "advance")) * time.Second)
	want := m.model.expire(m.now)
	got := m.book.Expire(m.now)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("Expire(%v) (-model +book):\n%s", m.now, diff)
	}
	for _, o := range got {
		m.out[o.ID] += o.Qty
	}
}

// snapshot returns the resting orders by id.
func (m *bookMachine) snapshot() map[string]auction.Order {
	s := map[string]auction.Order{}
	for _, r := range m.model.live {
		s[r.o.ID] = r.o
	}
	return s
}

func (m *bookMachine) compare(t fataler, op string, want []Fill, wantErr error, got []Fill, err error) {
	t.Helper()
	if wantErr != nil || err != nil {
		if !errors.Is(err, wantErr) || wantErr == nil {
			t.Fatalf("%s error %v, model %v", op, err, wantErr)
		}
		if len(got) != 0 {
			t.Fatalf("%s failed with fills %v", op, got)
		}
		return
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("%s fills (-model +book):\n%s", op, diff)
	}
}

// checkFills checks each fill against the orders resting before it: at the
// maker's price, within the taker's limit, between sides and agents that
// may trade, best prices first.
func (m *bookMachine) checkFills(t fataler, before map[string]auction.Order, taker auction.Order, fills []Fill) {
	t.Helper()
	for i, f := range fills {
		maker, ok := before[f.MakerID]
		switch {
		case !ok:
			t.Fatalf("fill %+v: maker was not resting", f)
		case f.Price != maker.Price || f.Qty <= 0 || f.Qty > maker.Qty:
			t.Fatalf("fill %+v: maker %+v", f, maker)
		case maker.Side == taker.Side || f.TakerSide != taker.Side || f.TakerID != taker.ID:
			t.Fatalf("fill %+v: taker %+v, maker %+v", f, taker, maker)
		case taker.Side == auction.Buy && f.Price > taker.Price, taker.Side == auction.Sell && f.Price < taker.Price:
			t.Fatalf("fill %+v outside the taker's limit %d", f, taker.Price)
		case f.MakerAgent != "" && f.MakerAgent == f.TakerAgent:
			t.Fatalf("fill %+v is a self-trade", f)
		case i > 0 && (taker.Side == auction.Buy && f.Price < fills[i-1].Price || taker.Side == auction.Sell && f.Price > fills[i-1].Price):
			t.Fatalf("fill %+v at a better price than the one before", f)
		}
		if _, ok := m.aon[f.MakerID]; ok && f.Qty != maker.Qty {
			t.Fatalf("resting AON order %s partially filled: %d of %d", f.MakerID, f.Qty, maker.Qty)
		}
	}
}

// check is the invariant after every step.
func (m *bookMachine) check(t *rapid.T) {
	if err := m.book.checkStructure(); err != nil {
		t.Fatal(err)
	}
	if m.book.Len() != len(m.model.live) {
		t.Fatalf("book holds %d orders, model %d", m.book.Len(), len(m.model.live))
	}
	for _, r := range m.model.live {
		got, ok := m.book.Order(r.o.ID)
		if !ok || got != r.o {
			t.Fatalf("Order(%s) = %+v, %v; model %+v", r.o.ID, got, ok, r.o)
		}
	}
	for _, side := range []auction.Side{auction.Buy, auction.Sell} {
		if diff := cmp.Diff(m.model.depth(side), m.book.Depth(side, 1000)); diff != "" {
			t.Fatalf("%v depth (-model +book):\n%s", side, diff)
		}
	}
	m.checkUncrossed(t)
	m.checkConservation(t)
}

// checkUncrossed checks that no bid that is not AON reaches an ask that is
// not AON, and that the quotes are the model's.
func (m *bookMachine) checkUncrossed(t *rapid.T) {
	var bid, ask int64 = 0, auction.MaxTicks + 1
	for _, r := range m.model.live {
		switch {
		case r.tif == AON:
		case r.o.Side == auction.Buy:
			bid = max(bid, r.o.Price)
		default:
			ask = min(ask, r.o.Price)
		}
	}
	if bid >= ask {
		t.Fatalf("book crossed: bid %d, ask %d", bid, ask)
	}
	quote := func(side auction.Side) (int64, bool) {
		d := m.model.depth(side)
		if len(d) == 0 {
			return 0, false
		}
		return d[0].Price, true
	}
	for _, q := range []struct {
		side auction.Side
		get  func() (int64, bool)
	}{{auction.Buy, m.book.BestBid}, {auction.Sell, m.book.BestAsk}} {
		wp, wok := quote(q.side)
		if gp, gok := q.get(); gp != wp || gok != wok {
			t.Fatalf("best %v = %d, %v; model %d, %v", q.side, gp, gok, wp, wok)
		}
	}
}

// checkConservation checks that every order's submitted quantity is what
// it traded, what rests and what was cancelled or expired, and that a
// resting AON order still holds all it rested with.
func (m *bookMachine) checkConservation(t *rapid.T) {
	ids := slices.Sorted(func(yield func(string) bool) {
		for id := range m.in {
			if !yield(id) {
				return
			}
		}
	})
	for _, id := range ids {
		var resting int64
		if o, ok := m.book.Order(id); ok {
			resting = o.Qty
		}
		if m.in[id] != m.out[id]+resting {
			t.Fatalf("order %s: %d submitted, %d traded or removed, %d resting", id, m.in[id], m.out[id], resting)
		}
	}
	for id, qty := range m.aon {
		o, ok := m.book.Order(id)
		if !ok {
			delete(m.aon, id)
			continue
		}
		if o.Qty != qty {
			t.Fatalf("AON order %s rests with %d lots, rested with %d", id, o.Qty, qty)
		}
	}
}

func TestBookMatchesModel(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		m := newBookMachine(t)
		t.Repeat(map[string]func(*rapid.T){
			"submit":  m.submit,
			"cancel":  m.cancel,
			"replace": m.replace,
			"expire":  m.expire,
			"":        m.check,
		})
	})
}
