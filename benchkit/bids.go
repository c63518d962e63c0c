package benchkit

import (
	"fmt"

	"github.com/scarcitylabs/scarcity/events"
)

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
		switch p := payload(e.Data).(type) {
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
