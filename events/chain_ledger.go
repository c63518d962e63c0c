package events

import (
	"encoding/binary"
	"time"
)

// Tags of the binary canonical encodings of the ledger's payloads (see
// appendLedgerData). Each is below 0x20, so that no encoding starts like a
// JSON text or an encoding error.
const (
	tagAccountOpened byte = iota + 1
	tagAccountClosed
	tagCreditsMinted
	tagCreditsTransferred
	tagCreditsBurned
	tagHoldPlaced
	tagHoldCaptured
	tagHoldReleased
	tagBalanceQueried
)

// appendLedgerData appends the binary canonical encoding of p if p is a
// ledger payload, the most numerous events of a stream, so that chaining
// them costs no JSON marshalling: a tag byte naming the type, then the
// fields in their declaration order (a Movement's for the three movement
// types), each string and decimal (its text, as is) as its length, 4 bytes
// big-endian, and its bytes; a bool as one byte 0 or 1; a time as one byte
// 0 for the zero time, else 1, its Unix seconds (8 bytes) and nanoseconds
// (4 bytes), big-endian. It returns false, appending nothing, for another
// payload.
func appendLedgerData(dst []byte, p Payload) ([]byte, bool) {
	switch p := p.(type) {
	case AccountOpened:
		dst = appendLenStrings(append(dst, tagAccountOpened), p.AccountID, p.Kind)
		dst = appendBool(dst, p.AllowNegative)
		return appendLenString(dst, string(p.OverdraftLimit)), true
	case AccountClosed:
		return appendLenStrings(append(dst, tagAccountClosed), p.AccountID, p.Kind), true
	case CreditsMinted:
		return appendMovement(append(dst, tagCreditsMinted), &p.Movement), true
	case CreditsTransferred:
		return appendMovement(append(dst, tagCreditsTransferred), &p.Movement), true
	case CreditsBurned:
		return appendMovement(append(dst, tagCreditsBurned), &p.Movement), true
	case HoldPlaced:
		dst = appendLenStrings(append(dst, tagHoldPlaced), p.HoldID, p.AccountID, string(p.Amount),
			string(p.Balance), string(p.Pending))
		return appendTime(dst, p.ExpiresAt), true
	case HoldCaptured:
		return appendLenStrings(append(dst, tagHoldCaptured), p.HoldID, p.TransferID, p.AccountID, p.To,
			string(p.Amount), string(p.Released), string(p.Remaining), p.Reason, string(p.FromBalance),
			string(p.ToBalance), string(p.Pending)), true
	case HoldReleased:
		return appendLenStrings(append(dst, tagHoldReleased), p.HoldID, p.AccountID, string(p.Amount),
			p.Reason, string(p.Pending)), true
	case BalanceQueried:
		return appendLenStrings(append(dst, tagBalanceQueried), p.AccountID, string(p.Balance),
			string(p.Pending), string(p.Available)), true
	}
	return dst, false
}

func appendMovement(dst []byte, m *Movement) []byte {
	return appendLenStrings(dst, m.TransferID, m.From, m.To, string(m.Amount), m.Reason,
		string(m.FromBalance), string(m.ToBalance))
}

func appendLenStrings(dst []byte, ss ...string) []byte {
	for _, s := range ss {
		dst = appendLenString(dst, s)
	}
	return dst
}

func appendBool(dst []byte, b bool) []byte {
	if b {
		return append(dst, 1)
	}
	return append(dst, 0)
}

func appendTime(dst []byte, t time.Time) []byte {
	if t.IsZero() {
		return append(dst, 0)
	}
	dst = binary.BigEndian.AppendUint64(append(dst, 1), uint64(t.Unix()))
	return binary.BigEndian.AppendUint32(dst, uint32(t.Nanosecond()))
}
