package events

import "time"

// TypeAccountClosed is the type of an AccountClosed event (source ledger).
const TypeAccountClosed Type = "account_closed"

// AccountOpened records a new ledger account. OverdraftLimit, when not
// empty, is how far below zero the account's available balance may go; it is
// absent for accounts without one and in events written before overdraft
// limits existed. AllowNegative marks an account without any floor (the
// mint).
type AccountOpened struct {
	AccountID      string  `json:"account_id"`
	Kind           string  `json:"kind"`
	AllowNegative  bool    `json:"allow_negative"`
	OverdraftLimit Decimal `json:"overdraft_limit,omitempty"`
}

// AccountClosed records a ledger account closed: its posted and pending
// balances were zero, and it takes part in no movement from then on.
type AccountClosed struct {
	AccountID string `json:"account_id"`
	Kind      string `json:"kind"`
}

// Movement is the common body of the events that move posted credits from
// one account to another. FromBalance and ToBalance are the posted balances
// after the movement.
type Movement struct {
	TransferID  string  `json:"transfer_id"`
	From        string  `json:"from"`
	To          string  `json:"to"`
	Amount      Decimal `json:"amount"`
	Reason      string  `json:"reason,omitempty"`
	FromBalance Decimal `json:"from_balance"`
	ToBalance   Decimal `json:"to_balance"`
}

// CreditsTransferred records credits moved between two accounts.
type CreditsTransferred struct{ Movement }

// CreditsMinted records credits issued from the mint account (whose balance
// goes negative as credits are issued), for example a human reward.
type CreditsMinted struct{ Movement }

// CreditsBurned records credits moved into the burn account.
type CreditsBurned struct{ Movement }

// HoldPlaced records credits of an account set aside for a later capture.
// Pending is the account's total held amount after the hold. ExpiresAt, when
// not zero, is the deadline after which the hold is released with reason
// "expired".
type HoldPlaced struct {
	HoldID    string    `json:"hold_id"`
	AccountID string    `json:"account_id"`
	Amount    Decimal   `json:"amount"`
	Balance   Decimal   `json:"balance"`
	Pending   Decimal   `json:"pending"`
	ExpiresAt time.Time `json:"expires_at,omitzero"`
}

// HoldCaptured records a capture of part or all of a hold: Amount moves from
// the held account to To as the transfer TransferID, Released returns to the
// account's available balance, and Remaining stays held. A final capture
// closes the hold (Remaining "0", Released the rest); a partial capture
// keeps it open (Released "0", Remaining what is still held), so a hold may
// be captured in several parts. Remaining is empty in events written before
// partial captures existed, which were all final.
type HoldCaptured struct {
	HoldID      string  `json:"hold_id"`
	TransferID  string  `json:"transfer_id"`
	AccountID   string  `json:"account_id"`
	To          string  `json:"to"`
	Amount      Decimal `json:"amount"`
	Released    Decimal `json:"released"`
	Remaining   Decimal `json:"remaining"`
	Reason      string  `json:"reason,omitempty"`
	FromBalance Decimal `json:"from_balance"`
	ToBalance   Decimal `json:"to_balance"`
	Pending     Decimal `json:"pending"`
}

// HoldReleased records a hold returned whole to its account's available
// balance.
type HoldReleased struct {
	HoldID    string  `json:"hold_id"`
	AccountID string  `json:"account_id"`
	Amount    Decimal `json:"amount"`
	Reason    string  `json:"reason,omitempty"`
	Pending   Decimal `json:"pending"`
}

// BalanceQueried records a caller asking for an account's balance.
type BalanceQueried struct {
	AccountID string  `json:"account_id"`
	Balance   Decimal `json:"balance"`
	Pending   Decimal `json:"pending"`
	Available Decimal `json:"available"`
}

// EventType implements Payload.
func (AccountOpened) EventType() Type { return TypeAccountOpened }

// EventType implements Payload.
func (AccountClosed) EventType() Type { return TypeAccountClosed }

// EventType implements Payload.
func (CreditsTransferred) EventType() Type { return TypeCreditsTransferred }

// EventType implements Payload.
func (CreditsMinted) EventType() Type { return TypeCreditsMinted }

// EventType implements Payload.
func (CreditsBurned) EventType() Type { return TypeCreditsBurned }

// EventType implements Payload.
func (HoldPlaced) EventType() Type { return TypeHoldPlaced }

// EventType implements Payload.
func (HoldCaptured) EventType() Type { return TypeHoldCaptured }

// EventType implements Payload.
func (HoldReleased) EventType() Type { return TypeHoldReleased }

// EventType implements Payload.
func (BalanceQueried) EventType() Type { return TypeBalanceQueried }
