package auction

// match trades t against the other side, best level first, and reports
// whether it stopped at an order of t's own agent. t.Qty is left at what
// remains of it.
func (b *Book) match(dst []Fill, t *Order) ([]Fill, bool) {
	contra := b.contra(t.Side)
	limit := contra.key(t.Price)
	for i := len(contra.keys) - 1; i >= 0 && t.Qty > 0 && contra.keys[i] >= limit; i-- {
		li := contra.levels[i]
		var self bool
		dst, self = b.matchLevel(dst, t, li)
		if b.levels[li].count == 0 {
			b.dropLevel(contra, i, li)
		}
		if self {
			return dst, true
		}
	}
	return dst, false
}

// matchLevel trades t against the FIFO of level li.
func (b *Book) matchLevel(dst []Fill, t *Order, li int32) ([]Fill, bool) {
	for n := b.levels[li].head; n != none && t.Qty > 0; {
		m := &b.nodes[n]
		next := m.next
		if m.tif == AON && m.order.Qty > t.Qty {
			n = next
			continue
		}
		if selfTrade(m.order.Agent, t.Agent) {
			return dst, true
		}
		q := min(t.Qty, m.order.Qty)
		dst = append(dst, Fill{
			MakerID: m.order.ID, MakerAgent: m.order.Agent,
			TakerID: t.ID, TakerAgent: t.Agent, TakerSide: t.Side,
			Price: m.order.Price, Qty: q,
		})
		t.Qty -= q
		m.order.Qty -= q
		b.levels[li].qty -= q
		if m.order.Qty == 0 {
			b.unlink(n)
		}
		n = next
	}
	return dst, false
}

// fillable returns how much of t would trade now, and whether matching
// would stop at an order of t's own agent first. It changes nothing: it is
// match run dry.
func (b *Book) fillable(t *Order) (int64, bool) {
	contra := b.contra(t.Side)
	limit := contra.key(t.Price)
	want := t.Qty
	for i := len(contra.keys) - 1; i >= 0 && want > 0 && contra.keys[i] >= limit; i-- {
		for n := b.levels[contra.levels[i]].head; n != none && want > 0; n = b.nodes[n].next {
			m := &b.nodes[n].order
			if b.nodes[n].tif == AON && m.Qty > want {
				continue
			}
			if selfTrade(m.Agent, t.Agent) {
				return t.Qty - want, true
			}
			want -= min(want, m.Qty)
		}
	}
	return t.Qty - want, false
}

// selfTrade reports whether orders of agents a and b may not trade: they
// are the same agent, named.
func selfTrade(a, b string) bool { return a != "" && a == b }
