package benchkit

import (
	"time"

	"github.com/scarcitylabs/scarcity/events"
)

// CheckConservation replays the ledger's events (source "ledger") on a model
// of posted balances and pending holds and returns nil or an error joining a
// *Violation named "credits_conserved" for every event that breaks
// conservation: an account used before it was opened, an amount that is not
// a positive decimal, a reported balance or pending amount the replay does
// not give, balances that do not sum to zero, an account without
// allow_negative below zero or holding more than it has, a hold closed twice,
// a transfer id used twice (or, with [Options.Retention], used again before
// the retention passed; a hold id likewise, counted from the hold's close).
// An account opened with an overdraft_limit may go
// down to minus that limit, and no further; an account_closed needs zero
// posted and pending balances, and a closed account used afterwards is a
// violation.
//
// A hold may be captured in several parts (a metered lease): each
// hold_captured captures at most what the hold still holds, and its amount,
// released and remaining add up to what the hold held before it; a
// remaining above zero keeps the hold open (an event without remaining is a
// final capture). A hold_released releases exactly what the hold still
// holds. So over a hold's life its captures and releases add up to what was
// placed, and what was captured never exceeds it.
func CheckConservation(evs []events.Event) error { return join(inOrder(conservation(evs, 0))) }

func conservation(evs []events.Event, retention time.Duration) []finding {
	r := newRecorder(CreditsConserved)
	ledgers := make(map[string]*ledgerModel)
	for i, e := range evs {
		if e.Source != events.SourceLedger {
			continue
		}
		l, ok := ledgers[e.Correlation]
		if !ok {
			l = newLedgerModel(retention)
			ledgers[e.Correlation] = l
		}
		r.at(i, e)
		l.now = e.Time
		l.apply(r, payload(e.Data))
	}
	return r.found
}
