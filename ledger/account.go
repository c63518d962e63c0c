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

// MaxKindLen is the longest account kind, in bytes.
const MaxKindLen = 32

// system reports whether k is the kind of a system account.
func (k Kind) system() bool { return k == KindMint || k == KindBurn }

// valid reports whether k is a well-formed kind: a lower-case ASCII letter
// followed by at most MaxKindLen-1 lower-case letters, digits or
// underscores ([a-z][a-z0-9_]{0,31}). Any such kind names a user-defined
// kind, except mint and burn, which belong to the system accounts.
func (k Kind) valid() bool {
	if len(k) == 0 || len(k) > MaxKindLen || k[0] < 'a' || k[0] > 'z' {
		return false
	}
	for i := 1; i < len(k); i++ {
		c := k[i]
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '_' {
			return false
		}
	}
	return true
}

// account is the state of one account. Its decimals are never modified in
// place: a change replaces them, so a value read under the lock stays valid.
type account struct {
	kind    Kind
	limit   *apd.Decimal // overdraft limit, >= 0; never nil
	closed  bool
	posted  *apd.Decimal
	pending *apd.Decimal
	history history
}

func newAccount(kind Kind, limit *apd.Decimal) *account {
	if limit == nil {
		limit = new(apd.Decimal)
	}
	return &account{kind: kind, limit: limit, posted: new(apd.Decimal), pending: new(apd.Decimal)}
}

// allowNegative reports whether the account has no floor at all.
func (a *account) allowNegative() bool { return a.kind == KindMint }
