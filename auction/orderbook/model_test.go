package orderbook

import (
	"cmp"
	"fmt"
	"slices"
	"time"

	"github.com/scarcitylabs/scarcity/auction"
)

// modelOrder is an order resting in a bookModel.
type modelOrder struct {
	o   auction.Order
	tif TimeInForce
}

// bookModel is an obviously correct order book: a slice of the resting
// orders, sorted into priority on every match, and a naive matcher.
type bookModel struct {
	max  int
	live []modelOrder
	seq  uint64
}

func (m *bookModel) find(id string) int {
	return slices.IndexFunc(m.live, func(r modelOrder) bool { return r.o.ID == id })
}

// priority returns the resting orders o may trade with, best first.
func (m *bookModel) priority(o auction.Order) []modelOrder {
	var out []modelOrder
	for _, r := range m.live {
		if r.o.Side != o.Side && (o.Side == auction.Buy && r.o.Price <= o.Price || o.Side == auction.Sell && r.o.Price >= o.Price) {
			out = append(out, r)
		}
	}
	slices.SortFunc(out, func(x, y modelOrder) int {
		if c := cmp.Compare(x.o.Price, y.o.Price); c != 0 {
			if o.Side == auction.Buy {
				return c
			}
			return -c
		}
		return cmp.Compare(x.o.Seq, y.o.Seq)
	})
	return out
}

// walk returns the fills o would make and whether it meets its own agent.
func (m *bookModel) walk(o auction.Order) ([]Fill, bool) {
	var fills []Fill
	want := o.Qty
	for _, r := range m.priority(o) {
		if want == 0 {
			break
		}
		if r.tif == AON && r.o.Qty > want {
			continue
		}
		if r.o.Agent != "" && r.o.Agent == o.Agent {
			return fills, true
		}
		q := min(want, r.o.Qty)
		want -= q
		fills = append(fills, Fill{MakerID: r.o.ID, MakerAgent: r.o.Agent, TakerID: o.ID, TakerAgent: o.Agent, TakerSide: o.Side, Price: r.o.Price, Qty: q})
	}
	return fills, false
}

// apply takes fills out of the resting orders.
func (m *bookModel) apply(fills []Fill) {
	for _, f := range fills {
		i := m.find(f.MakerID)
		m.live[i].o.Qty -= f.Qty
		if m.live[i].o.Qty == 0 {
			m.live = slices.Delete(m.live, i, i+1)
		}
	}
}

func (m *bookModel) submit(o auction.Order, kind Kind, tif TimeInForce) ([]Fill, error) {
	if kind == Market {
		o.Price = map[auction.Side]int64{auction.Buy: auction.MaxTicks, auction.Sell: 1}[o.Side]
	}
	if kind != Limit && kind != Market || tif < GTC || tif > AON {
		return nil, auction.ErrInvalidOrder
	}
	if o.Validate() != nil {
		return nil, auction.ErrInvalidOrder
	}
	if m.find(o.ID) >= 0 {
		return nil, ErrDuplicateOrder
	}
	return m.execute(o, tif, kind == Limit && (tif == GTC || tif == AON))
}

func (m *bookModel) execute(o auction.Order, tif TimeInForce, rests bool) ([]Fill, error) {
	fills, self := m.walk(o)
	var traded int64
	for _, f := range fills {
		traded += f.Qty
	}
	whole := traded == o.Qty
	if rests && !whole && !self && len(m.live) >= m.max {
		return nil, ErrBookFull
	}
	m.seq++
	o.Seq = m.seq
	if (tif == FOK || tif == AON) && !whole {
		fills = nil
	}
	m.apply(fills)
	o.Qty -= sumQty(fills)
	if o.Qty > 0 && rests && !self {
		m.live = append(m.live, modelOrder{o, tif})
	}
	return fills, nil
}

func (m *bookModel) cancel(id string) (auction.Order, error) {
	i := m.find(id)
	if i < 0 {
		return auction.Order{}, ErrUnknownOrder
	}
	o := m.live[i].o
	m.live = slices.Delete(m.live, i, i+1)
	return o, nil
}

func (m *bookModel) replace(id string, price, qty int64) ([]Fill, error) {
	i := m.find(id)
	if i < 0 {
		return nil, ErrUnknownOrder
	}
	r := m.live[i]
	o := r.o
	o.Price, o.Qty = price, qty
	if o.Validate() != nil {
		return nil, auction.ErrInvalidOrder
	}
	if price == r.o.Price && qty <= r.o.Qty {
		m.live[i].o.Qty = qty
		return nil, nil
	}
	m.live = slices.Delete(m.live, i, i+1)
	return m.execute(o, r.tif, true)
}

func (m *bookModel) expire(now time.Time) []auction.Order {
	var out []auction.Order
	for _, r := range m.live {
		if !r.o.Expires.IsZero() && !r.o.Expires.After(now) {
			out = append(out, r.o)
		}
	}
	slices.SortFunc(out, func(x, y auction.Order) int {
		if c := x.Expires.Compare(y.Expires); c != 0 {
			return c
		}
		return cmp.Compare(x.Seq, y.Seq)
	})
	for _, o := range out {
		m.cancel(o.ID)
	}
	return out
}

// depth returns the levels of side, best first.
func (m *bookModel) depth(side auction.Side) []Level {
	var out []Level
	for _, r := range m.live {
		if r.o.Side != side {
			continue
		}
		i := slices.IndexFunc(out, func(l Level) bool { return l.Price == r.o.Price })
		if i < 0 {
			out = append(out, Level{Price: r.o.Price})
			i = len(out) - 1
		}
		out[i].Qty += r.o.Qty
		out[i].Orders++
	}
	slices.SortFunc(out, func(x, y Level) int {
		if side == auction.Buy {
			return cmp.Compare(y.Price, x.Price)
		}
		return cmp.Compare(x.Price, y.Price)
	})
	return out
}

func sumQty(fills []Fill) int64 {
	var n int64
	for _, f := range fills {
		n += f.Qty
	}
	return n
}

// checkStructure checks the book's internal links and totals against its
// contents; it returns the first inconsistency found.
func (b *Book) checkStructure() error {
	seen := 0
	for _, s := range []*bookSide{&b.bids, &b.asks} {
		if !slices.IsSorted(s.keys) || len(s.keys) != len(s.levels) {
			return fmt.Errorf("side keys %v not sorted or not matching %d levels", s.keys, len(s.levels))
		}
		for i, li := range s.levels {
			lv := &b.levels[li]
			if s.key(lv.price) != s.keys[i] || i > 0 && s.keys[i-1] == s.keys[i] {
				return fmt.Errorf("level %d at price %d under key %d", li, lv.price, s.keys[i])
			}
			var qty int64
			var count int32
			prev := none
			for n := lv.head; n != none; n = b.nodes[n].next {
				nd := &b.nodes[n]
				if nd.prev != prev || nd.level != li || nd.order.Price != lv.price || nd.order.Qty <= 0 || b.index.find(b.nodes, nd.order.ID) != n {
					return fmt.Errorf("node %d (%+v) badly linked in level %d", n, nd.order, li)
				}
				if prev != none && b.nodes[prev].order.Seq >= nd.order.Seq {
					return fmt.Errorf("level %d out of arrival order", li)
				}
				qty += nd.order.Qty
				count++
				prev = n
			}
			if prev != lv.tail || qty != lv.qty || count != lv.count || count == 0 {
				return fmt.Errorf("level %d: tail %d qty %d count %d, walked %d %d %d", li, lv.tail, lv.qty, lv.count, prev, qty, count)
			}
			seen += int(count)
		}
	}
	if seen != b.index.n {
		return fmt.Errorf("%d orders linked, %d indexed", seen, b.index.n)
	}
	for i, n := range b.expiry.items {
		if b.nodes[n].heap != int32(i) || i > 0 && (byExpiry{b}).Compare(n, b.expiry.items[(i-1)/2]) < 0 {
			return fmt.Errorf("expiry heap broken at %d", i)
		}
	}
	return nil
}
