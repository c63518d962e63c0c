package scarcity_test

import (
	"github.com/cockroachdb/apd/v3"

	"github.com/scarcitylabs/scarcity/events"
)

// streamIndex is what the simulation needs to know of a stream, built
// incrementally as the stream grows.
type streamIndex struct {
	read      uint64                   // events indexed so far
	transfers map[string]bool          // transfer ids of credits_minted and credits_transferred
	minted    map[string]*apd.Decimal  // credits minted to each account
	captured  map[string]*apd.Decimal  // credits captured from each account's holds
	placed    map[string]bool          // order ids of bid_placed
	ended     map[string]events.Type   // order ids of a terminal market event, and its type
	opened    map[string]bool          // accounts opened
	types     map[events.Type]int      // events by type, for the run's summary
	unknown   map[string]*events.Event // payloads the index did not decode (none expected)
}

func newStreamIndex() *streamIndex {
	return &streamIndex{transfers: map[string]bool{}, minted: map[string]*apd.Decimal{},
		captured: map[string]*apd.Decimal{}, placed: map[string]bool{}, ended: map[string]events.Type{},
		opened: map[string]bool{}, types: map[events.Type]int{}, unknown: map[string]*events.Event{}}
}

// update indexes the events of evs, the whole stream, after those already
// read.
func (ix *streamIndex) update(evs []events.Event) {
	for _, e := range evs[ix.read:] {
		ix.read++
		ix.types[e.Type]++
		switch p := e.Data.(type) {
		case events.AccountOpened:
			ix.opened[p.AccountID] = true
		case events.CreditsMinted:
			ix.transfers[p.TransferID] = true
			addTo(ix.minted, p.To, p.Amount)
		case events.CreditsTransferred:
			ix.transfers[p.TransferID] = true
		case events.HoldCaptured:
			addTo(ix.captured, p.AccountID, p.Amount)
		case events.BidPlaced:
			ix.placed[p.OrderID] = true
		case events.ResourcesAllocated:
			ix.ended[p.OrderID] = e.Type
		case events.BidRejected:
			ix.ended[p.OrderID] = e.Type
		case events.OrderCancelled:
			ix.ended[p.OrderID] = e.Type
		}
	}
}

func addTo(m map[string]*apd.Decimal, key string, amount events.Decimal) {
	d, err := amount.Apd()
	if err != nil {
		panic(err)
	}
	if m[key] == nil {
		m[key] = new(apd.Decimal)
	}
	if _, err := apd.BaseContext.WithPrecision(34).Add(m[key], m[key], d); err != nil {
		panic(err)
	}
}
