package ledger

import (
	"time"

	"github.com/cockroachdb/apd/v3"
)

// View is a read-only view of a Ledger: its queries, none of its
// commands. A service that owns a ledger hands out a View so that callers
// can read balances and holds but never move credits; a View does not
// publish, not even balance_queried. Its methods are those of the Ledger
// of the same names; it is safe for concurrent use, as the Ledger is.
type View struct{ l *Ledger }

// View returns a read-only view of l.
func (l *Ledger) View() View { return View{l: l} }

// Balance returns the balance of account id; see Ledger.Balance.
func (v View) Balance(id string) (Balance, error) { return v.l.Balance(id) }

// Balances returns every account's balance; see Ledger.Balances.
func (v View) Balances() map[string]Balance { return v.l.Balances() }

// Sum returns the sum of all posted balances, always zero; see Ledger.Sum.
func (v View) Sum() *apd.Decimal { return v.l.Sum() }

// Totals returns the posted balances per kind; see Ledger.Totals.
func (v View) Totals() map[Kind]*apd.Decimal { return v.l.Totals() }

// History returns an account's entries, newest first; see Ledger.History.
func (v View) History(id, cursor string, limit int) ([]Entry, string, error) {
	return v.l.History(id, cursor, limit)
}

// HoldAmount returns what an open hold still holds; see Ledger.HoldAmount.
func (v View) HoldAmount(holdID string) (*apd.Decimal, bool) { return v.l.HoldAmount(holdID) }

// OpenHolds returns the ids of the open holds, sorted; see
// Ledger.OpenHolds.
func (v View) OpenHolds() []string { return v.l.OpenHolds() }

// NextExpiry returns the earliest deadline of an open hold; see
// Ledger.NextExpiry.
func (v View) NextExpiry() (time.Time, bool) { return v.l.NextExpiry() }

// LastSequence returns the sequence of the ledger's last event; see
// Ledger.LastSequence.
func (v View) LastSequence() uint64 { return v.l.LastSequence() }

// LastHash returns the hash of the ledger's last event; see
// Ledger.LastHash.
func (v View) LastHash() string { return v.l.LastHash() }

// StateHash returns the hash of the ledger's state; see Ledger.StateHash.
func (v View) StateHash() string { return v.l.StateHash() }

// Snapshot returns a copy of the ledger's state; see Ledger.Snapshot.
func (v View) Snapshot() Snapshot { return v.l.Snapshot() }

// ValidateAmount reports whether a is a valid amount; see
// Ledger.ValidateAmount.
func (v View) ValidateAmount(a *apd.Decimal) error { return v.l.ValidateAmount(a) }

// ParseAmount parses an amount strictly; see Ledger.ParseAmount.
func (v View) ParseAmount(s string) (*apd.Decimal, error) { return v.l.ParseAmount(s) }

// Fenced reports whether the ledger refuses changes after a publish in
// doubt; see Ledger.Fenced.
func (v View) Fenced() bool { return v.l.Fenced() }
