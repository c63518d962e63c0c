package ledger

import (
	"errors"
	"fmt"

	"github.com/cockroachdb/apd/v3"
)

// Sentinel errors returned by this package. Test for them with errors.Is.
var (
	// ErrInvalidOptions reports Options out of their bounds.
	ErrInvalidOptions = errors.New("ledger: invalid options")
	// ErrInvalidAmount reports an amount that is missing, not finite, not
	// positive, finer than the ledger's scale or above its maximum.
	ErrInvalidAmount = errors.New("ledger: invalid amount")
	// ErrInvalidID reports an account, transfer or hold id that is empty,
	// longer than MaxIDLen bytes, not valid UTF-8, or holds a space or an
	// unprintable character.
	ErrInvalidID = errors.New("ledger: invalid id")
	// ErrInvalidKind reports an account kind that does not match
	// [a-z][a-z0-9_]{0,31}.
	ErrInvalidKind = errors.New("ledger: invalid account kind")
	// ErrInvalidReason reports a reason longer than MaxReasonLen bytes or not
	// valid UTF-8.
	ErrInvalidReason = errors.New("ledger: invalid reason")
	// ErrUnknownAccount reports an account id the ledger does not hold.
	ErrUnknownAccount = errors.New("ledger: unknown account")
	// ErrAccountExists reports an account opened twice, or a second mint or
	// burn account.
	ErrAccountExists = errors.New("ledger: account exists")
	// ErrSystemAccount reports a system account used where only agent,
	// operator and escrow accounts may be: system accounts take part only in
	// Mint (as the source) and Burn (as the destination).
	ErrSystemAccount = errors.New("ledger: system account")
	// ErrClosedAccount reports a movement or hold that involves a closed
	// account.
	ErrClosedAccount = errors.New("ledger: closed account")
	// ErrAccountNotEmpty reports a Close of an account whose posted or
	// pending balance is not zero.
	ErrAccountNotEmpty = errors.New("ledger: account not empty")
	// ErrSameAccount reports a movement whose source is its destination.
	ErrSameAccount = errors.New("ledger: same account")
	// ErrInsufficientCredit reports an account whose available balance is
	// below the amount asked; the error is an *InsufficientCreditError.
	ErrInsufficientCredit = errors.New("ledger: insufficient credit")
	// ErrInvalidTimeout reports a hold timeout that is not positive.
	ErrInvalidTimeout = errors.New("ledger: invalid timeout")
	// ErrInvalidCursor reports a History cursor that History did not make.
	ErrInvalidCursor = errors.New("ledger: invalid cursor")
	// ErrInvalidLimit reports a History page size out of its bounds.
	ErrInvalidLimit = errors.New("ledger: invalid limit")
	// ErrInvalidBatch reports a batch of more than MaxBatchOps operations
	// or with a nil one.
	ErrInvalidBatch = errors.New("ledger: invalid batch")
	// ErrUnknownHold reports a hold id that is unknown or already closed.
	ErrUnknownHold = errors.New("ledger: unknown hold")
	// ErrCaptureExceedsHold reports a capture of more than the hold holds.
	ErrCaptureExceedsHold = errors.New("ledger: capture exceeds hold")
	// ErrExistsWithDifferentFields reports a transfer or hold id already used
	// by an operation with different fields.
	ErrExistsWithDifferentFields = errors.New("ledger: id exists with different fields")
	// ErrBalanceOverflow reports a balance that would need more digits than
	// the ledger's precision, and so could not be exact.
	ErrBalanceOverflow = errors.New("ledger: balance out of range")
	// ErrRestore reports a stream of ledger events that does not
	// rebuild into a consistent ledger: a sequence gap, an event the ledger
	// would not have emitted, or balances that differ from the rebuilt ones.
	ErrRestore = errors.New("ledger: cannot restore")
)

// InsufficientCreditError reports an operation that needs more credits than
// an account has available. Available is what the account could still
// give: its available balance plus its overdraft limit. It matches
// ErrInsufficientCredit.
type InsufficientCreditError struct {
	Account   string
	Available *apd.Decimal
	Needed    *apd.Decimal
}

// Error implements error.
func (e *InsufficientCreditError) Error() string {
	return fmt.Sprintf("%v: account %q has %s available, needs %s",
		ErrInsufficientCredit, e.Account, e.Available.Text('f'), e.Needed.Text('f'))
}

// Unwrap returns ErrInsufficientCredit.
func (e *InsufficientCreditError) Unwrap() error { return ErrInsufficientCredit }
