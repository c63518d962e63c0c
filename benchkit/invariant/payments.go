package invariant

import (
	"fmt"
	"strings"
	"time"

	"github.com/scarcitylabs/scarcity/benchkit/internal/stream"
	"github.com/scarcitylabs/scarcity/events"
)

// CheckAllocationsPaid returns nil or an error joining a *Violation named
// "allocations_paid" for every resources_allocated that is not paid: whose
// payment id names no hold_captured or credits_transferred of the ledger
// (or names several), whose payment did not come from the allocated agent's
// account, whose amount differs from the payment's, whose payment already
// paid another allocation, or whose amount is more than its bid as the
// allocation states it. Where a run's stream carries bids, it also flags an
// allocation whose order has no bid_placed by the same agent, that pays
// more than that bid's total_cost, or whose bid_placed was already
// allocated: an allocation is of its order's last bid_placed before it (of
// the first after it if there is none before), and each bid is allocated
// at most once. Whether that bid was backed by a hold is bids_held's
// concern ([CheckBidsHeld]).
// Amounts compare as numbers: "2.50" equals "2.5". A payment may come before
// or after its allocation on the stream.
//
// A leased allocation (one with a lease_id) is paid as its time passes: its
// lease hold must be on the stream, placed on the agent's account for
// exactly the allocation's amount, and its payment, once on the stream,
// must come from the agent and be at most that amount (a bundle that ended
// early pays pro rata). A stream that ends while the bundle still runs, or
// one released before it started, carries no payment: that is not a
// violation. The lease must stay held while its bundle runs: a
// hold_released, or a hold_captured that closes it, of the lease hold of a
// bundle on the stream (an allocation's lease_id, or a bundle_scheduled's
// lease_hold) is flagged unless the bundle's bundle_expired or
// bundle_released comes before it, or follows it in the same command (at
// the same time, with only ledger events of the run between them), or the
// order was refused in settlement (a bid_rejected with reason
// settlement_failed after the same bid_placed).
//
// A bundle must be paid for: in a run whose stream carries market events
// (a bid_placed or a resources_allocated), every bundle_scheduled of the
// scheduler must be allocated to its agent by a resources_allocated of the
// same bundle_id, before or after it. A stream of a scheduler used alone is
// not checked so.
func CheckAllocationsPaid(evs []events.Event) error { return join(inOrder(allocations(evs))) }

// paymentKey names a payment within one run.
type paymentKey struct {
	correlation string
	transferID  string
}

// payment is what the ledger moved under one transfer id.
type payment struct {
	amount events.Decimal
	from   string // the account it was taken from
	count  int    // ledger events with this transfer id
	paid   string // the id of the allocation it paid, once one did
}

func allocations(evs []events.Event) []finding {
	pays, ix := payments(evs), indexMarket(evs)
	r := newRecorder(AllocationsPaid)
	for i, e := range evs {
		switch p := stream.Payload(e.Data).(type) {
		case events.BidPlaced:
			if o := ix.run(e.Correlation).orders[orderOf(p.AgentID, p.OrderID)]; o != nil {
				o.latest, o.latestBy = i, ""
			}
		case events.ResourcesAllocated:
			r.at(i, e)
			run := ix.run(e.Correlation)
			if p.LeaseID != "" {
				checkLease(r, p, run.holdAt(evs, p.LeaseID), pays[paymentKey{e.Correlation, p.PaymentID}])
			} else {
				checkAllocation(r, p, pays[paymentKey{e.Correlation, p.PaymentID}])
			}
			if run.bids {
				checkOrder(r, evs, p, run.orders[orderOf(p.AgentID, p.OrderID)])
			}
		case events.BundleScheduled:
			if run := ix.run(e.Correlation); e.Source == events.SourceScheduler && run.market {
				r.at(i, e)
				checkScheduled(r, p, run.bundles[p.BundleID])
			}
		case events.HoldReleased:
			if e.Source == events.SourceLedger {
				ix.run(e.Correlation).checkLeaseHeld(r, i, e, p.HoldID, "")
			}
		case events.HoldCaptured:
			if e.Source == events.SourceLedger {
				ix.run(e.Correlation).checkLeaseHeld(r, i, e, p.HoldID, p.Remaining)
			}
		}
	}
	return r.found
}

// checkOrder checks an allocation against its order's bid_placed: the last
// one before it, or the first after it if there is none before.
func checkOrder(r *recorder, evs []events.Event, a events.ResourcesAllocated, o *orderBids) {
	if o == nil {
		checkBid(r, a, events.BidPlaced{})
		return
	}
	at, by := o.latest, &o.latestBy
	if at < 0 {
		at, by = o.first, &o.firstBy
	}
	b, _ := stream.Payload(evs[at].Data).(events.BidPlaced)
	checkBid(r, a, b)
	if *by != "" {
		r.flag("bid_placed %s of order %q was already allocated by %s", evs[at].ID, a.OrderID, *by)
		return
	}
	*by = r.event.ID
}

// marketIndex is what allocations_paid looks up across a stream, by run.
type marketIndex struct {
	runs    map[string]*runIndex
	lastRun string // the run of last
	last    *runIndex
}

// runIndex is what allocations_paid looks up across one run's events:
// the ledger's holds, the market's bids, allocations and refusals, and the
// scheduler's bundles.
type runIndex struct {
	// bids is whether the run's stream carries bids; market, whether it
	// carries bids or allocations.
	bids, market bool
	// holds are the ledger's holds, and the bundles leases pay for.
	holds map[string]holdUse
	// orders are the orders bid for.
	orders map[string]*orderBids
	// bundles are the bundles scheduled or allocated.
	bundles map[string]*bundleLife
	// refused are the placements refused in settlement.
	refused map[placement]bool
	// lastOther is the position of the last event not of the ledger so
	// far, -1 before any.
	lastOther int
}

// holdUse is what a stream says of a hold id: where it was placed, and
// the bundle it pays for if it is a lease (an allocation's lease_id or a
// bundle_scheduled's lease_hold).
type holdUse struct {
	placed        int    // the position of its last hold_placed, plus one; 0 for none
	bundle, order string // the bundle it pays for, and its order; "" for none
	placement     int    // of the order
}

// orderBids are the bid_placed events of one order id in one run.
type orderBids struct {
	first, latest     int    // positions of its first bid and, in the replay, of its last so far (-1 before it)
	firstBy, latestBy string // the allocations of those bids, once allocated
	placements        int    // in the index: its bids so far
}

// bundleLife is what a stream says of one bundle.
type bundleLife struct {
	scheduled   bool   // by a bundle_scheduled of the scheduler
	allocated   bool   // by a resources_allocated
	allocatedTo string // its agent
	ended       bool   // by a bundle_expired or bundle_released of the scheduler
	end         int    // the position of its first end
	endAt       time.Time
	afterOther  int // the position of the last event of its run before its end whose source is not the ledger
}

// orderOf returns the key of agent's order id: order ids are each agent's
// own, so two agents may use the same one.
func orderOf(agent, order string) string { return agent + "/" + order }

// placement names one placement of an order: the order's life from its
// n-th bid_placed (n from 0, for events before any) to the next.
type placement struct {
	order string
	n     int
}

// run returns the index of run correlation, adding it.
func (ix *marketIndex) run(correlation string) *runIndex {
	if ix.last != nil && ix.lastRun == correlation {
		return ix.last
	}
	run := ix.runs[correlation]
	if run == nil {
		run = &runIndex{
			holds: make(map[string]holdUse), orders: make(map[string]*orderBids),
			bundles: make(map[string]*bundleLife), lastOther: -1,
		}
		ix.runs[correlation] = run
	}
	ix.lastRun, ix.last = correlation, run
	return run
}

func indexMarket(evs []events.Event) *marketIndex {
	ix := &marketIndex{runs: make(map[string]*runIndex)}
	for i, e := range evs {
		run := ix.run(e.Correlation)
		switch p := stream.Payload(e.Data).(type) {
		case events.HoldPlaced:
			if e.Source == events.SourceLedger {
				h := run.holds[p.HoldID]
				h.placed = i + 1
				run.holds[p.HoldID] = h
			}
		case events.BidPlaced:
			o := run.orders[orderOf(p.AgentID, p.OrderID)]
			if o == nil {
				o = &orderBids{first: i, latest: -1}
				run.orders[orderOf(p.AgentID, p.OrderID)] = o
			}
			o.placements++
			run.bids, run.market = true, true
		case events.ResourcesAllocated:
			run.market = true
			b := run.bundle(p.BundleID)
			b.allocated, b.allocatedTo = true, p.AgentID
			if p.LeaseID != "" {
				run.lease(p.LeaseID, p.BundleID, orderOf(p.AgentID, p.OrderID))
			}
		case events.BidRejected:
			if p.Reason == events.ReasonSettlementFailed {
				if run.refused == nil {
					run.refused = make(map[placement]bool)
				}
				order := orderOf(p.AgentID, p.OrderID)
				run.refused[placement{order, run.placement(order)}] = true
			}
		case events.BundleScheduled:
			if e.Source == events.SourceScheduler {
				run.bundle(p.BundleID).scheduled = true
				if p.LeaseHold != "" {
					run.lease(p.LeaseHold, p.BundleID, orderOf(p.AgentID, p.OrderID))
				}
			}
		case events.BundleExpired:
			run.end(i, e, p.BundleID)
		case events.BundleReleased:
			run.end(i, e, p.BundleID)
		}
		if e.Source != events.SourceLedger {
			run.lastOther = i
		}
	}
	return ix
}

// bundle returns the life of bundle id, adding it.
func (run *runIndex) bundle(id string) *bundleLife {
	b := run.bundles[id]
	if b == nil {
		b = &bundleLife{}
		run.bundles[id] = b
	}
	return b
}

// placement returns the number of bid_placed of order so far.
func (run *runIndex) placement(order string) int {
	if o := run.orders[order]; o != nil {
		return o.placements
	}
	return 0
}

// lease records that hold pays for bundle, of order's current placement.
func (run *runIndex) lease(hold, bundle, order string) {
	h := run.holds[hold]
	if n := run.placement(order); h.bundle != bundle || h.order != order || h.placement != n {
		h.bundle, h.order, h.placement = bundle, order, n
		run.holds[hold] = h
	}
}

// holdAt returns the last hold_placed of hold id, or the zero HoldPlaced.
func (run *runIndex) holdAt(evs []events.Event, id string) events.HoldPlaced {
	if h := run.holds[id]; h.placed > 0 {
		p, _ := stream.Payload(evs[h.placed-1].Data).(events.HoldPlaced)
		return p
	}
	return events.HoldPlaced{}
}

// end records the end of bundle id at e, position i, if it is the
// scheduler's and the bundle's first.
func (run *runIndex) end(i int, e events.Event, id string) {
	if e.Source != events.SourceScheduler {
		return
	}
	if b := run.bundle(id); !b.ended {
		b.ended, b.end, b.endAt, b.afterOther = true, i, e.Time, run.lastOther
	}
}

// checkLeaseHeld flags the hold holdID closed at e, position i (released,
// or captured with remaining left, remaining "" for a release), if it is
// the lease of a bundle on the stream that still runs: the bundle's end is
// neither before e nor in the same command (after e, at the same time,
// with only ledger events of the run between them), and its order was not
// refused in settlement (a bid_rejected with reason settlement_failed of
// the same placement).
func (run *runIndex) checkLeaseHeld(r *recorder, i int, e events.Event, holdID string, remaining events.Decimal) {
	l := run.holds[holdID]
	if l.bundle == "" || run.refused[placement{l.order, l.placement}] {
		return
	}
	b := run.bundles[l.bundle]
	if b == nil || !b.scheduled || b.ended && (b.end < i || b.afterOther < i && b.endAt.Equal(e.Time)) {
		return
	}
	how := "released"
	if _, capture := stream.Payload(e.Data).(events.HoldCaptured); capture {
		if rest, err := r.parse(remaining); remaining != "" && err == nil && rest.Sign() > 0 {
			return // a partial capture: the lease stays held
		}
		how = "captured in full"
	}
	r.at(i, e)
	agent, order, _ := strings.Cut(l.order, "/")
	r.flag("lease %q of order %q of %q %s while its bundle %q runs", holdID, order, agent, how, l.bundle)
}

// checkScheduled flags a bundle the scheduler booked in a market run that
// no resources_allocated of the run allocates to its agent.
func checkScheduled(r *recorder, s events.BundleScheduled, b *bundleLife) {
	switch {
	case b == nil || !b.allocated:
		r.flag("bundle %q of %q was scheduled but no resources_allocated allocates it", s.BundleID, s.AgentID)
	case b.allocatedTo != s.AgentID:
		r.flag("bundle %q was scheduled for %q but allocated to %q", s.BundleID, s.AgentID, b.allocatedTo)
	}
}

// checkBid flags an allocation whose order was not placed by its agent or
// that pays more than the bid placed.
func checkBid(r *recorder, a events.ResourcesAllocated, bid events.BidPlaced) {
	if bid.OrderID == "" || bid.AgentID != a.AgentID {
		r.flag("order %q of %q has no bid_placed by that agent", a.OrderID, a.AgentID)
		return
	}
	amount, err := r.parse(a.Amount)
	limit, lerr := r.parse(bid.TotalCost)
	if err == nil && lerr == nil && amount.Cmp(limit) > 0 {
		r.flag("order %q pays %s, more than the %s it placed", a.OrderID, a.Amount, bid.TotalCost)
	}
}

// payments indexes the ledger's hold captures and transfers by transfer id.
func payments(evs []events.Event) map[paymentKey]*payment {
	pays := make(map[paymentKey]*payment)
	add := func(e events.Event, id, from string, amount events.Decimal) {
		k := paymentKey{e.Correlation, id}
		if p, ok := pays[k]; ok {
			p.count++
			return
		}
		pays[k] = &payment{amount: amount, from: from, count: 1}
	}
	for _, e := range evs {
		if e.Source != events.SourceLedger {
			continue
		}
		switch p := stream.Payload(e.Data).(type) {
		case events.HoldCaptured:
			add(e, p.TransferID, p.AccountID, p.Amount)
		case events.CreditsTransferred:
			add(e, p.TransferID, p.From, p.Amount)
		}
	}
	return pays
}

func checkAllocation(r *recorder, a events.ResourcesAllocated, pay *payment) {
	amount, okAmount := r.nonNegative("amount", a.Amount)
	if bid, ok := r.decimal("bid", a.Bid); ok && okAmount && amount.Cmp(bid) > 0 {
		r.flag("order %q pays %s, more than its bid %s", a.OrderID, a.Amount, a.Bid)
	}
	switch {
	case a.PaymentID == "":
		r.flag("order %q has no payment_id", a.OrderID)
		return
	case pay == nil:
		r.flag("payment %q of order %q is not on the stream", a.PaymentID, a.OrderID)
		return
	case pay.count > 1:
		r.flag("payment %q of order %q is ambiguous: %d ledger events carry it", a.PaymentID, a.OrderID, pay.count)
	}
	if pay.from != a.AgentID {
		r.flag("payment %q of order %q came from %q, not from %q", a.PaymentID, a.OrderID, pay.from, a.AgentID)
	}
	if pay.paid != "" {
		r.flag("payment %q of order %q already paid allocation %s", a.PaymentID, a.OrderID, pay.paid)
	} else {
		pay.paid = r.event.ID
	}
	if !okAmount {
		return
	}
	if paid, err := r.parse(pay.amount); err != nil || pay.amount == "" || paid.Cmp(amount) != 0 {
		r.flag("order %q pays %s but payment %q moved %q", a.OrderID, a.Amount, a.PaymentID, pay.amount)
	}
}

// checkLease checks a leased allocation: its hold, and its payment if it
// is on the stream.
func checkLease(r *recorder, a events.ResourcesAllocated, hold events.HoldPlaced, pay *payment) {
	amount, okAmount := r.nonNegative("amount", a.Amount)
	if bid, ok := r.decimal("bid", a.Bid); ok && okAmount && amount.Cmp(bid) > 0 {
		r.flag("order %q pays %s, more than its bid %s", a.OrderID, a.Amount, a.Bid)
	}
	switch held, err := r.parse(hold.Amount); {
	case hold.HoldID == "":
		r.flag("lease %q of order %q is not on the stream", a.LeaseID, a.OrderID)
	case hold.AccountID != a.AgentID:
		r.flag("lease %q of order %q holds credits of %q, not of %q", a.LeaseID, a.OrderID, hold.AccountID, a.AgentID)
	case okAmount && (err != nil || held.Cmp(amount) != 0):
		r.flag("lease %q of order %q holds %q for an amount of %s", a.LeaseID, a.OrderID, hold.Amount, a.Amount)
	}
	if pay == nil {
		return
	}
	if pay.count > 1 || pay.paid != "" || pay.from != a.AgentID {
		r.flag("payment %q of order %q is ambiguous, reused or not from %q", a.PaymentID, a.OrderID, a.AgentID)
	}
	pay.paid = r.event.ID
	if paid, err := r.parse(pay.amount); okAmount && (err != nil || paid.Cmp(amount) > 0) {
		r.flag("order %q leased for %s but payment %q moved %q", a.OrderID, a.Amount, a.PaymentID, pay.amount)
	}
}

// CheckBidsHeld returns nil or an error joining a *Violation named
// "bids_held" for every bid_placed that is not backed by a hold of its
// own: whose hold_id is empty or names no ledger hold_placed of its run,
// whose hold is closed (captured in full or released) or already backs an
// earlier bid, or whose hold is on another account than the bid's agent or
// holds another amount than the bid's total_cost (amounts compare as
// numbers: "2.50" equals "2.5").
//
// Which hold_placed backs a bid: the last placement of its hold id at or
// before the bid, if that hold is open and backs no other bid; else the
// first placement of that id after the bid and before the next event of the
// bid's source in its run (the market's next event). The ledger's event may
// so come before the market's, as when each service publishes its own, or
// after it within the same command. A hold placed later than that does not
// back the bid. Each placement backs at most one bid.
//
// A hold placed again while it is open is flagged by credits_conserved
// ([CheckConservation]), which flags any hold id placed twice in a run.
func CheckBidsHeld(evs []events.Event) error { return join(inOrder(bidsHeld(evs))) }

// placedHold is one placement of a hold, open, as bids_held follows it.
type placedHold struct {
	account string
	amount  events.Decimal
	backs   string // the id of the bid it backs, once one does
}

// waitingBid is a bid whose hold is not on the stream yet: it may be
// placed before the next event of the bid's source.
type waitingBid struct {
	index int
	event events.Event
	bid   events.BidPlaced
	why   string // what was wrong at the bid, if its hold never comes
}

func bidsHeld(evs []events.Event) []finding {
	r := newRecorder(BidsHeld)
	// The open holds: a hold leaves when it is closed, so that the map
	// holds no more than the ledger has open.
	open := make(map[paymentKey]placedHold)
	// Bids waiting for their hold, by the stream whose next event ends the
	// wait, and by the hold they wait for.
	var waiting map[streamKey][]waitingBid
	var awaited map[paymentKey]streamKey
	expire := func(k streamKey) {
		for _, w := range waiting[k] {
			if hk := (paymentKey{w.event.Correlation, w.bid.HoldID}); awaited[hk] == k {
				delete(awaited, hk)
				r.at(w.index, w.event)
				r.flag("%s", w.why)
			}
		}
		delete(waiting, k)
	}
	for i, e := range evs {
		if len(waiting) > 0 {
			if k := (streamKey{e.Source, e.Correlation}); waiting[k] != nil {
				expire(k)
			}
		}
		switch p := stream.Payload(e.Data).(type) {
		case events.HoldPlaced:
			if e.Source != events.SourceLedger {
				continue
			}
			hk := paymentKey{e.Correlation, p.HoldID}
			h := placedHold{account: p.AccountID, amount: p.Amount}
			if k, ok := awaited[hk]; ok {
				delete(awaited, hk)
				for _, w := range waiting[k] {
					if w.bid.HoldID == p.HoldID {
						r.at(w.index, w.event)
						backBid(r, &h, w.bid)
					}
				}
			}
			open[hk] = h
		case events.HoldReleased:
			if e.Source == events.SourceLedger {
				delete(open, paymentKey{e.Correlation, p.HoldID})
			}
		case events.HoldCaptured:
			if e.Source == events.SourceLedger && finalCapture(r, p) {
				delete(open, paymentKey{e.Correlation, p.HoldID})
			}
		case events.BidPlaced:
			r.at(i, e)
			if p.HoldID == "" {
				r.flag("bid %q of %q names no hold", p.OrderID, p.AgentID)
				continue
			}
			hk := paymentKey{e.Correlation, p.HoldID}
			h, ok := open[hk]
			if ok && h.backs == "" {
				backBid(r, &h, p)
				open[hk] = h
				continue
			}
			why := fmt.Sprintf("hold %q of bid %q is not open: never placed, or captured or released", p.HoldID, p.OrderID)
			if ok {
				why = fmt.Sprintf("hold %q of bid %q already backs the bid at event %s", p.HoldID, p.OrderID, h.backs)
			}
			if waiting == nil {
				waiting, awaited = make(map[streamKey][]waitingBid), make(map[paymentKey]streamKey)
			}
			if _, dup := awaited[hk]; dup { // another bid of the same command waits for it
				r.flag("%s", why)
				continue
			}
			k := streamKey{e.Source, e.Correlation}
			waiting[k] = append(waiting[k], waitingBid{i, e, p, why})
			awaited[hk] = k
		}
	}
	for k := range waiting {
		expire(k)
	}
	return r.found
}

// backBid makes h back the bid b, the recorder's current event, flagging a
// hold on another account or of another amount.
func backBid(r *recorder, h *placedHold, b events.BidPlaced) {
	h.backs = r.event.ID
	if h.account != b.AgentID {
		r.flag("hold %q of bid %q is on %q, not on %q", b.HoldID, b.OrderID, h.account, b.AgentID)
	}
	cost, ok := r.decimal("total_cost", b.TotalCost)
	if !ok {
		return
	}
	if held, err := r.parse(h.amount); err != nil || held.Cmp(cost) != 0 {
		r.flag("hold %q of bid %q holds %q for a total_cost of %s", b.HoldID, b.OrderID, h.amount, b.TotalCost)
	}
}

// finalCapture reports whether p closes its hold: its remaining is absent,
// zero or unreadable (as credits_conserved takes it).
func finalCapture(r *recorder, p events.HoldCaptured) bool {
	if p.Remaining == "" {
		return true
	}
	rest, err := r.parse(p.Remaining)
	return err != nil || rest.Sign() <= 0
}
