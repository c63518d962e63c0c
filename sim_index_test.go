package scarcity_test

import (
	"fmt"
	"strings"

	"github.com/cockroachdb/apd/v3"

	"github.com/scarcitylabs/scarcity/events"
)

// streamIndex is what the simulation knows of its stream, built
// incrementally as the stream grows. It follows the market's hash chain
// itself, event by event (an oracle apart from events.Verify, which the
// full checks run and compare with it): an event must link to the one
// before it, or — after a group cut short — to the last seal, which makes
// the events since void. The events of a group become trusted when its
// seal arrives; only trusted events are indexed.
type streamIndex struct {
	read   uint64         // events read so far
	head   string         // the Hash of the last event read
	sealed string         // the Hash of the last seal
	open   []events.Event // the events since the last seal
	// trusted and void count the events sorted so far.
	trusted, void int

	transfers map[string]simMovement  // credits_minted and credits_transferred, by transfer id
	counts    map[string]int          // occurrences of each transfer id
	opened    map[string]bool         // accounts opened
	captured  map[string]*apd.Decimal // credits captured from each account's holds
	// credits is what each account holds by the movements and captures
	// above (the mint's and the operator's aside); minted all that was
	// minted.
	credits   map[string]*apd.Decimal
	minted    *apd.Decimal
	placed    map[string]int  // order ids of bid_placed, and how often
	rejected  map[string]bool // order ids of bid_rejected
	cancelled map[string]bool // order ids of order_cancelled
	emitted   map[string]bool // the contents of agent events
	judged    map[string]bool // the comments of judge evaluations
	// Pairs that one command publishes together, by hold id: a bid's hold
	// and its bid_placed; a cancel's hold release and its order_cancelled.
	bidHolds, placedHolds     map[string]bool
	cancelHolds, cancelOrders map[string]bool
	// An allocation's lease hold, its resources_allocated and its
	// bundle_scheduled, by lease hold id.
	leaseHolds, allocLeases, schedLeases map[string]bool
	holdOrder                            map[string]string // bid hold id → its order id, from hold_placed
	types                                map[events.Type]int
	halvesAt                             int // trusted when halves last looked

	// fresh collects the keys of effects that became trusted since the
	// last take, for the model to check.
	fresh []simKey
}

// simMovement is a credit movement in the stream.
type simMovement struct {
	mint     bool
	from, to string
	amount   *apd.Decimal
}

func newStreamIndex() *streamIndex {
	return &streamIndex{transfers: map[string]simMovement{}, counts: map[string]int{}, opened: map[string]bool{},
		captured: map[string]*apd.Decimal{}, credits: map[string]*apd.Decimal{}, minted: new(apd.Decimal), placed: map[string]int{}, rejected: map[string]bool{},
		cancelled: map[string]bool{}, emitted: map[string]bool{}, judged: map[string]bool{},
		bidHolds: map[string]bool{}, placedHolds: map[string]bool{}, cancelHolds: map[string]bool{},
		cancelOrders: map[string]bool{}, leaseHolds: map[string]bool{}, allocLeases: map[string]bool{}, schedLeases: map[string]bool{}, holdOrder: map[string]string{}, types: map[events.Type]int{}}
}

// add indexes evs, the events after those read. It returns an error if
// the chain breaks.
func (ix *streamIndex) add(evs []events.Event) error {
	for _, e := range evs {
		ix.read++
		if e.Hash == "" {
			return fmt.Errorf("event %d (%s) carries no hash", ix.read, e.ID)
		}
		switch {
		case links(ix.head, e):
		case len(ix.open) > 0 && links(ix.sealed, e):
			// The market rebuilt itself and went on from its last seal:
			// the group cut short is void. Its sequences go on after the
			// void events: ids are never reused.
			for _, o := range ix.open {
				if o.Source == e.Source && o.Sequence >= e.Sequence {
					return fmt.Errorf("event %d (%s) repeats sequence %d of void event %s", ix.read, e.ID, e.Sequence, o.ID)
				}
			}
			ix.void += len(ix.open)
			ix.open = ix.open[:0]
		default:
			return fmt.Errorf("the chain breaks at event %d (%s %s): it links neither to the event before nor to the last seal", ix.read, e.ID, e.Type)
		}
		ix.head = e.Hash
		ix.open = append(ix.open, e)
		if e.Seal {
			for _, o := range ix.open {
				ix.trust(o)
			}
			ix.trusted += len(ix.open)
			ix.open = ix.open[:0]
			ix.sealed = e.Hash
		}
	}
	return nil
}

// links reports whether e's hash follows head.
func links(head string, e events.Event) bool {
	c, err := events.NewChain(head, nil)
	if err != nil {
		return false
	}
	cp := []events.Event{e}
	if e.Seal {
		c.Link(cp)
	} else {
		c.Extend(cp)
	}
	return cp[0].Hash == e.Hash
}

// trust indexes a trusted event.
func (ix *streamIndex) trust(e events.Event) {
	ix.types[e.Type]++
	switch p := e.Data.(type) {
	case events.AccountOpened:
		ix.opened[p.AccountID] = true
		ix.fresh = append(ix.fresh, simKey{kind: keyAccount, id: p.AccountID})
	case events.CreditsMinted:
		ix.movement(p.Movement, true)
	case events.CreditsTransferred:
		ix.movement(p.Movement, false)
	case events.HoldPlaced:
		if strings.HasPrefix(p.HoldID, "bid/") {
			ix.bidHolds[p.HoldID] = true
		}
		if strings.HasPrefix(p.HoldID, "lease/") {
			ix.leaseHolds[p.HoldID] = true
		}
	case events.ResourcesAllocated:
		if p.LeaseID != "" {
			ix.allocLeases[p.LeaseID] = true
		}
	case events.BundleScheduled:
		if p.LeaseHold != "" {
			ix.schedLeases[p.LeaseHold] = true
		}
	case events.HoldCaptured:
		addTo(ix.captured, p.AccountID, p.Amount)
		sub(ix.credits, p.AccountID, p.Amount)
	case events.HoldReleased:
		if strings.HasPrefix(p.HoldID, "bid/") && p.Reason == "cancelled" {
			ix.cancelHolds[p.HoldID] = true
		}
	case events.BidPlaced:
		ix.placed[p.OrderID]++
		ix.placedHolds[p.HoldID] = true
		ix.holdOrder[p.HoldID] = p.OrderID
		ix.fresh = append(ix.fresh, simKey{kind: keyBid, id: p.OrderID})
	case events.BidRejected:
		if !ix.rejected[p.OrderID] && ix.placed[p.OrderID] == 0 {
			ix.fresh = append(ix.fresh, simKey{kind: keyBid, id: p.OrderID})
		}
		ix.rejected[p.OrderID] = true
	case events.OrderCancelled:
		ix.cancelled[p.OrderID] = true
		ix.cancelOrders[p.OrderID] = true
		ix.fresh = append(ix.fresh, simKey{kind: keyCancel, id: p.OrderID})
	case events.ReasoningTrace:
		ix.emitted[p.Content] = true
		ix.fresh = append(ix.fresh, simKey{kind: keyEmit, id: p.Content})
	case events.JudgeEvaluation:
		ix.judged[p.Comment] = true
		ix.fresh = append(ix.fresh, simKey{kind: keyJudge, id: p.Comment})
	}
}

func (ix *streamIndex) movement(m events.Movement, mint bool) {
	amount, err := m.Amount.Apd()
	if err != nil {
		panic(err)
	}
	from := m.From
	if mint {
		from = "" // the mint account
	}
	ix.transfers[m.TransferID] = simMovement{mint: mint, from: from, to: m.To, amount: amount}
	if mint {
		simDec.Add(ix.minted, ix.minted, amount)
	} else {
		sub(ix.credits, m.From, m.Amount)
	}
	addTo(ix.credits, m.To, m.Amount)
	ix.counts[m.TransferID]++
	ix.fresh = append(ix.fresh, simKey{kind: keyTransfer, id: m.TransferID})
}

// take returns the keys of the effects trusted since the last take.
func (ix *streamIndex) take() []simKey {
	f := ix.fresh
	ix.fresh = nil
	return f
}

// halves returns the commands the trusted stream holds only half of: a
// bid's hold without its bid_placed or the reverse, a cancel's release
// without its order_cancelled or the reverse, an allocation's lease hold,
// resources_allocated and bundle_scheduled not all three. A command is one unit: its
// events are trusted together or not at all. It looks only when a group
// was trusted since it last did.
func (ix *streamIndex) halves() []string {
	if ix.trusted == ix.halvesAt {
		return nil
	}
	ix.halvesAt = ix.trusted
	var out []string
	for h := range ix.bidHolds {
		if !ix.placedHolds[h] {
			out = append(out, "hold_placed "+h+" without its bid_placed")
		}
	}
	for h := range ix.placedHolds {
		if !ix.bidHolds[h] {
			out = append(out, "bid_placed with hold "+h+" without its hold_placed")
		}
	}
	for h := range ix.leaseHolds {
		if !ix.allocLeases[h] || !ix.schedLeases[h] {
			out = append(out, fmt.Sprintf("lease %s: hold_placed without its resources_allocated (%t) or bundle_scheduled (%t)", h, ix.allocLeases[h], ix.schedLeases[h]))
		}
	}
	for h := range ix.allocLeases {
		if !ix.leaseHolds[h] || !ix.schedLeases[h] {
			out = append(out, fmt.Sprintf("lease %s: resources_allocated without its hold_placed (%t) or bundle_scheduled (%t)", h, ix.leaseHolds[h], ix.schedLeases[h]))
		}
	}
	cancelled := map[string]bool{}
	for h := range ix.cancelHolds {
		o := ix.holdOrder[h]
		cancelled[o] = true
		if !ix.cancelOrders[o] {
			out = append(out, "hold_released "+h+" (cancelled) without its order_cancelled")
		}
	}
	for o := range ix.cancelOrders {
		if !cancelled[o] {
			out = append(out, "order_cancelled "+o+" without its hold's release")
		}
	}
	return out
}

// simDec computes the model's sums of credits.
var simDec = apd.BaseContext.WithPrecision(34)

func sub(m map[string]*apd.Decimal, key string, amount events.Decimal) {
	d, err := amount.Apd()
	if err != nil {
		panic(err)
	}
	addTo(m, key, events.DecimalOf(d.Neg(d)))
}

func addTo(m map[string]*apd.Decimal, key string, amount events.Decimal) {
	d, err := amount.Apd()
	if err != nil {
		panic(err)
	}
	if m[key] == nil {
		m[key] = new(apd.Decimal)
	}
	if _, err := simDec.Add(m[key], m[key], d); err != nil {
		panic(err)
	}
}
