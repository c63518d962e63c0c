package auction

import (
	"fmt"

	"github.com/scarcitylabs/scarcity/internal/exact"

	"github.com/cockroachdb/apd/v3"
	"github.com/scarcitylabs/scarcity/bundle"
	"github.com/scarcitylabs/scarcity/events"
)

// CallMarket clears a round as one single-resource call market per
// resource, with a [CallRule] deciding each. Its zero value uses [KDA] with
// K = 1/2.
//
// The algorithm, for a round r:
//
//  1. Screen each bid as [Greedy] does (expired, invalid bundle, exceeds
//     capacity, below reserve), then reject with
//     [events.ReasonInvalidBundle] a bid that asks for more than one
//     resource, or for more than [MaxTicks] units.
//  2. For each resource x of the catalog, in name order, make a buy order
//     of every remaining bid for x: Qty is its quantity (one lot is one
//     unit), Price is its limit per unit per second,
//     Limit / (quantity × seconds), rounded down to a tick of 10^-r.Scale
//     credits and capped at MaxTicks ticks, so that no winner pays above its
//     limit; Seq is the bid's. The operator sells, at the reserve price of
//     x, the capacity of x free at the busiest instant of the span from the
//     earliest start to the latest end of those bids' windows (capped at
//     MaxTicks lots), so that any set of winners fits.
//  3. Clear the orders with the rule. A bid wins if its order trades all its
//     lots, since a bundle is all or nothing; a bid that trades fewer lots,
//     or none, is rejected with [events.ReasonOutbid], and its lots stay
//     unsold.
//  4. The clearing price of x is the call's BuyPrice when lots traded, else
//     the reserve price; either is at least the reserve price. Each winner
//     is booked, its window starting at r.At if it had no start, and pays
//     the price × quantity × seconds, exactly.
//  5. Report volume, utilisation, revenue and surplus as [Greedy] does, and
//     the welfare: the winners' limits less the cost of their bundles at
//     the reserve prices. OptimalWelfare is nil: with all-or-nothing bundles
//     over different windows the efficient allocation is a knapsack problem
//     the call market does not solve.
//
// Limitations: bids for one resource compete as if their windows
// overlapped, so capacity free at different times is not sold to different
// bids; a partly filled bid loses and its lots stay unsold, where a smaller
// bid might have used them; and the rule's truthfulness holds for the
// rounded, per-unit-second prices, not for the bundles' limits. Allocations
// are reported by resource name, then in the rule's priority order;
// rejections in bid order.
type CallMarket struct {
	// Rule clears each resource; nil means KDA{}.
	Rule CallRule
}

var _ Mechanism = CallMarket{}

// operatorAgent is the Agent of the operator's sell orders.
const operatorAgent = "operator"

// rule returns m.Rule, or KDA{} if it is nil.
func (m CallMarket) rule() CallRule {
	if m.Rule == nil {
		return KDA{}
	}
	return m.Rule
}

// Name returns "call-" followed by the rule's name, such as "call-kda".
func (m CallMarket) Name() string { return "call-" + m.rule().Name() }

// Clear clears r as the type's documentation describes, booking the winners
// into r.Calendar. It returns an error wrapping ErrInvalidRound, and books
// nothing, if r is malformed or a reserve price is more than MaxTicks ticks
// at r.Scale; an error of the rule (such as an SBBA without Rand) is
// returned as it is.
func (m CallMarket) Clear(r Round) (Result, error) {
	if err := r.Validate(); err != nil {
		return Result{}, err
	}
	rejections := make([]*Rejection, len(r.Bids))
	byResource := make(map[string][]candidate)
	resources := resourceIndex(r.Calendar.Catalog())
	for i := range r.Bids {
		c, rej := screenCall(r, i, &r.Bids[i], resources)
		if rej != nil {
			rejections[i] = rej
			continue
		}
		name := c.bundle.Quantities.Names()[0]
		byResource[name] = append(byResource[name], c)
	}
	names := r.Calendar.Catalog().Names()
	prices := make(bundle.Prices, len(names))
	var winners []candidate
	for _, name := range names {
		cl, err := clearResource(r, m.rule(), name, byResource[name])
		if err != nil {
			return Result{}, err
		}
		prices[name] = cl.price
		winners = append(winners, cl.winners...)
		for _, rej := range cl.outbid {
			rejections[rej.index] = rej.rejection
		}
	}
	return m.settle(r, prices, winners, rejections)
}

// settle books the winners and fills the result.
func (m CallMarket) settle(r Round, prices bundle.Prices, winners []candidate, rejections []*Rejection) (Result, error) {
	for _, w := range winners {
		if err := r.Calendar.Book(w.bid.ID, w.bundle); err != nil {
			return Result{}, fmt.Errorf("auction: booking bid %q: %w", w.bid.ID, err)
		}
	}
	res := Result{Round: r.Number, Mechanism: m.Name(), Prices: prices}
	won := make([]*candidate, len(winners))
	payments := make([]*apd.Decimal, len(winners))
	for i := range winners {
		pay, err := bundle.Cost(exact.Context, winners[i].bundle, prices)
		if err != nil {
			return Result{}, fmt.Errorf("auction: payment of bid %q: %w", winners[i].bid.ID, err)
		}
		won[i], payments[i] = &winners[i], pay
	}
	if err := settle(&res, r, won, payments); err != nil {
		return Result{}, err
	}
	for _, rej := range rejections {
		if rej != nil {
			res.Rejections = append(res.Rejections, *rej)
		}
	}
	return res, nil
}

// settle fills res with the winners' allocations and payments, and the
// round's volume, utilisation, revenue, surplus and welfare; the winners
// are already booked.
func settle(res *Result, r Round, winners []*candidate, payments []*apd.Decimal) error {
	res.Allocations = make([]Allocation, 0, len(winners))
	cl := newCloner(len(winners))
	for i, w := range winners {
		bid := cl.clone(*w.bid)
		b := w.bundle
		b.Quantities = bid.Bundle.Quantities // the result's own copy, shared within the allocation
		res.Allocations = append(res.Allocations, Allocation{Bid: bid, Bundle: b, Payment: payments[i]})
	}
	return summarize(res, r, winners, payments)
}

// screenCall screens b as Greedy does, then rejects a bundle of more than
// one resource or of more than MaxTicks units.
func screenCall(r Round, index int, b *Bid, resources map[string]int) (candidate, *Rejection) {
	reserveCost := func(b bundle.Bundle) (*apd.Decimal, error) { return bundle.Cost(exact.Context, b, r.Reserve) }
	c, v := screen(r, index, b, reserveCost)
	if v.reason != "" {
		return c, &Rejection{Bid: b.clone(), Reason: v.reason, Detail: v.detail}
	}
	reject := func(detail string) (candidate, *Rejection) {
		return candidate{}, &Rejection{Bid: b.clone(), Reason: events.ReasonInvalidBundle, Detail: detail}
	}
	if n := len(c.bundle.Quantities); n != 1 {
		return reject(fmt.Sprintf("a call market bid asks for exactly one resource, not %d", n))
	}
	for name, q := range c.bundle.Quantities {
		if q > MaxTicks {
			return reject(fmt.Sprintf("%q quantity %d is more than %d lots", name, q, int64(MaxTicks)))
		}
	}
	c.need = needsOf(nil, c.bundle.Quantities, resources)
	return c, nil
}

// outbidBid is the rejection of the candidate at index of the round's
// bids.
type outbidBid struct {
	index     int
	rejection *Rejection
}

// cleared is the outcome of one resource's call.
type cleared struct {
	price   *apd.Decimal
	winners []candidate
	outbid  []outbidBid
}

// clearResource runs the call market of the resource called name over its
// candidates cs.
func clearResource(r Round, rule CallRule, name string, cs []candidate) (cleared, error) {
	grid := Grid{Tick: tick(r.Scale), Lot: apd.New(1, 0)}
	reserve, err := grid.Ticks(r.Reserve[name])
	if err != nil {
		return cleared{}, fmt.Errorf("%w: reserve of %q at scale %d: %v", ErrInvalidRound, name, r.Scale, err)
	}
	if len(cs) == 0 {
		return cleared{price: r.Reserve[name]}, nil
	}
	orders, err := callOrders(r, grid, name, reserve, cs)
	if err != nil {
		return cleared{}, err
	}
	call, err := rule.ClearCall(orders)
	if err != nil {
		return cleared{}, fmt.Errorf("auction: %s call for %q: %w", rule.Name(), name, err)
	}
	out := cleared{price: r.Reserve[name]}
	if call.Volume > 0 {
		out.price = grid.Price(call.BuyPrice)
	}
	filled := make([]int64, len(cs))
	for _, t := range call.Trades {
		if t.Side == Buy {
			filled[t.Index] = t.Lots
			if t.Lots == orders[t.Index].Qty {
				out.winners = append(out.winners, cs[t.Index])
			}
		}
	}
	for i, c := range cs {
		if filled[i] < orders[i].Qty {
			out.outbid = append(out.outbid, outbidBid{int(c.index), &Rejection{
				Bid: c.bid.clone(), Reason: events.ReasonOutbid,
				Detail: fmt.Sprintf("%s traded %d of %d units of %q at %s per unit-second",
					rule.Name(), filled[i], orders[i].Qty, name, out.price.Text('f')),
			}})
		}
	}
	return out, nil
}

// callOrders returns a buy order for each candidate, in their order, then
// the operator's sell order if any capacity is free.
func callOrders(r Round, grid Grid, name string, reserve int64, cs []candidate) ([]Order, error) {
	orders := make([]Order, 0, len(cs)+1)
	span := cs[0].bundle.Window
	for _, c := range cs {
		span = cover(span, c.bundle.Window)
		price, err := unitTicks(grid, c, r.Scale)
		if err != nil {
			return nil, fmt.Errorf("auction: price of bid %q: %w", c.bid.ID, err)
		}
		orders = append(orders, Order{
			ID: "bid/" + c.bid.ID, Agent: c.bid.Agent, Side: Buy,
			Price: price, Qty: c.bundle.Quantities[name], Seq: c.bid.Seq,
		})
	}
	if free := min(r.Calendar.Free(span)[name], MaxTicks); free > 0 {
		orders = append(orders, Order{ID: "operator/" + name, Agent: operatorAgent, Side: Sell, Price: reserve, Qty: free})
	}
	return orders, nil
}

// cover returns the smallest window that contains a and b.
func cover(a, b bundle.Window) bundle.Window {
	start, end := a.Start, a.End()
	if b.Start.Before(start) {
		start = b.Start
	}
	if b.End().After(end) {
		end = b.End()
	}
	return bundle.Window{Start: start, Duration: end.Sub(start)}
}

// unitTicks returns c's limit per unit per second in ticks, rounded down
// and capped at MaxTicks. It is at least the reserve price, since screening
// rejects limits below the reserve cost.
func unitTicks(grid Grid, c candidate, scale int32) (int64, error) {
	units := apd.New(c.bundle.Window.Seconds(), 0)
	for _, q := range c.bundle.Quantities {
		if _, err := exact.Context.Mul(units, units, apd.New(q, 0)); err != nil {
			return 0, err
		}
	}
	p, err := quoFloor(c.bid.Limit, units, scale)
	if err != nil {
		return 0, err
	}
	if p.Cmp(grid.Price(MaxTicks)) >= 0 {
		return MaxTicks, nil
	}
	return grid.Ticks(p)
}
