package benchkit

import (
	"github.com/scarcitylabs/scarcity/events"
)

// CheckAllocationsPaid returns nil or an error joining a *Violation named
// "allocations_paid" for every resources_allocated that is not paid: whose
// payment id names no hold_captured or credits_transferred of the ledger
// (or names several), whose amount differs from the payment's, whose payment
// already paid another allocation, or whose amount is more than its bid.
// Amounts compare as numbers: "2.50" equals "2.5". A payment may come before
// or after its allocation on the stream.
func CheckAllocationsPaid(evs []events.Event) error { return join(inOrder(allocations(evs))) }

// paymentKey names a payment within one run.
type paymentKey struct {
	correlation string
	transferID  string
}

// payment is what the ledger moved under one transfer id.
type payment struct {
	amount events.Decimal
	count  int    // ledger events with this transfer id
	paid   string // the id of the allocation it paid, once one did
}

func allocations(evs []events.Event) []finding {
	pays := payments(evs)
	r := newRecorder(AllocationsPaid)
	for i, e := range evs {
		a, ok := payload(e.Data).(events.ResourcesAllocated)
		if !ok {
			continue
		}
		r.at(i, e)
		checkAllocation(r, a, pays[paymentKey{e.Correlation, a.PaymentID}])
	}
	return r.found
}

// payments indexes the ledger's hold captures and transfers by transfer id.
func payments(evs []events.Event) map[paymentKey]*payment {
	pays := make(map[paymentKey]*payment)
	add := func(e events.Event, id string, amount events.Decimal) {
		k := paymentKey{e.Correlation, id}
		if p, ok := pays[k]; ok {
			p.count++
			return
		}
		pays[k] = &payment{amount: amount, count: 1}
	}
	for _, e := range evs {
		if e.Source != events.SourceLedger {
			continue
		}
		switch p := payload(e.Data).(type) {
		case events.HoldCaptured:
			add(e, p.TransferID, p.Amount)
		case events.CreditsTransferred:
			add(e, p.TransferID, p.Amount)
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
	if pay.paid != "" {
		r.flag("payment %q of order %q already paid allocation %s", a.PaymentID, a.OrderID, pay.paid)
	} else {
		pay.paid = r.event.ID
	}
	if !okAmount {
		return
	}
	if paid, err := pay.amount.Apd(); err != nil || pay.amount == "" || paid.Cmp(amount) != 0 {
		r.flag("order %q pays %s but payment %q moved %q", a.OrderID, a.Amount, a.PaymentID, pay.amount)
	}
}
