package benchkit

import (
	"github.com/scarcitylabs/scarcity/events"
)

// CheckAllocationsPaid returns nil or an error joining a *Violation named
// "allocations_paid" for every resources_allocated that is not paid: whose
// payment id names no hold_captured or credits_transferred of the ledger
// (or names several), whose payment did not come from the allocated agent's
// account, whose amount differs from the payment's, whose payment already
// paid another allocation, or whose amount is more than its bid as the
// allocation states it. Where a run's stream carries bids, it also flags an
// allocation whose order has no bid_placed by the same agent or that pays
// more than that bid's total_cost.
// Amounts compare as numbers: "2.50" equals "2.5". A payment may come before
// or after its allocation on the stream.
//
// A leased allocation (one with a lease_id) is paid as its time passes: its
// lease hold must be on the stream, placed on the agent's account for
// exactly the allocation's amount, and its payment, once on the stream,
// must come from the agent and be at most that amount (a bundle that ended
// early pays pro rata). A stream that ends while the bundle still runs, or
// one released before it started, carries no payment: that is not a
// violation.
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
	pays, leases := payments(evs), leaseHolds(evs)
	bids := placedBids(evs)
	r := newRecorder(AllocationsPaid)
	for i, e := range evs {
		a, ok := payload(e.Data).(events.ResourcesAllocated)
		if !ok {
			continue
		}
		r.at(i, e)
		if a.LeaseID != "" {
			checkLease(r, a, holdAt(evs, leases, paymentKey{e.Correlation, a.LeaseID}), pays[paymentKey{e.Correlation, a.PaymentID}])
		} else {
			checkAllocation(r, a, pays[paymentKey{e.Correlation, a.PaymentID}])
		}
		if _, ok := bids[paymentKey{e.Correlation, ""}]; ok {
			checkBid(r, a, bidAt(evs, bids, paymentKey{e.Correlation, a.OrderID}))
		}
	}
	return r.found
}

// placedBids indexes the positions of the market's bid_placed events by
// order id. The key with an empty order id holds a run's first bid, marking
// that the run's stream carries its bids.
func placedBids(evs []events.Event) map[paymentKey]int {
	bids := make(map[paymentKey]int)
	for i, e := range evs {
		if b, ok := payload(e.Data).(events.BidPlaced); ok {
			bids[paymentKey{e.Correlation, b.OrderID}] = i
			if _, seen := bids[paymentKey{e.Correlation, ""}]; !seen {
				bids[paymentKey{e.Correlation, ""}] = i
			}
		}
	}
	return bids
}

// bidAt returns the bid_placed indexed under k, or the zero BidPlaced.
func bidAt(evs []events.Event, bids map[paymentKey]int, k paymentKey) events.BidPlaced {
	if i, ok := bids[k]; ok {
		b, _ := payload(evs[i].Data).(events.BidPlaced)
		return b
	}
	return events.BidPlaced{}
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
		switch p := payload(e.Data).(type) {
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

// leaseHolds indexes the positions of the ledger's hold_placed events by
// hold id.
func leaseHolds(evs []events.Event) map[paymentKey]int {
	holds := make(map[paymentKey]int)
	for i, e := range evs {
		if h, ok := payload(e.Data).(events.HoldPlaced); ok && e.Source == events.SourceLedger {
			holds[paymentKey{e.Correlation, h.HoldID}] = i
		}
	}
	return holds
}

// holdAt returns the hold_placed indexed under k, or the zero HoldPlaced.
func holdAt(evs []events.Event, holds map[paymentKey]int, k paymentKey) events.HoldPlaced {
	if i, ok := holds[k]; ok {
		h, _ := payload(evs[i].Data).(events.HoldPlaced)
		return h
	}
	return events.HoldPlaced{}
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
