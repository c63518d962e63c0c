package ledger

import (
	"github.com/cockroachdb/apd/v3"
)

// Kind is the kind of an account.
type Kind string

// The kinds of accounts.
const (
	// KindAgent is an agent's account; it never goes negative.
	KindAgent Kind = "agent"
	// KindOperator is the market operator's account; it never goes negative.
	KindOperator Kind = "operator"
	// KindMint is the kind of the mint account, the only account allowed to
	// go negative.
	KindMint Kind = "mint"
	// KindBurn is the kind of the burn account, which receives burned
	// credits.
	KindBurn Kind = "burn"
	// KindEscrow is an account holding credits on behalf of others; it never
	// goes negative.
	KindEscrow Kind = "escrow"
)

// The ids of the system accounts every ledger opens.
const (
	MintAccount = "mint"
	BurnAccount = "burn"
)

// system reports whether k is the kind of a system account.
func (k Kind) system() bool { return k == KindMint || k == KindBurn }

// userKind reports whether k is a kind that Open accepts.
func (k Kind) userKind() bool { return k == KindAgent || k == KindOperator || k == KindEscrow }

// account is the state of one account. Its decimals are never modified in
// place: a change replaces them, so a value read under the lock stays valid.
type account struct {
	kind    Kind
	posted  *apd.Decimal
	pending *apd.Decimal
	history history
}

func newAccount(kind Kind) *account {
	return &account{kind: kind, posted: new(apd.Decimal), pending: new(apd.Decimal)}
}

// allowNegative reports whether the account may go below zero.
func (a *account) allowNegative() bool { return a.kind == KindMint }
