package ledger

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"slices"
	"time"

	"github.com/scarcitylabs/scarcity/events"
)

// HashLen is the length of an event hash or a state hash in hex digits.
const HashLen = 2 * sha256.Size

// link is the hash of the last event of a chain; unset before the first.
type link struct {
	sum [sha256.Size]byte
	set bool
}

// appendHex appends l in lower-case hex to dst; nothing if l is unset.
func (k link) appendHex(dst []byte) []byte {
	if !k.set {
		return dst
	}
	n := len(dst)
	dst = slices.Grow(dst, HashLen)[:n+HashLen]
	out := (*[HashLen]byte)(dst[n:])
	for i, c := range k.sum {
		pair := hexPairs[c]
		out[2*i], out[2*i+1] = pair[0], pair[1]
	}
	return dst
}

// hexPairs holds the two lower-case hex digits of every byte.
var hexPairs = func() (t [256][2]byte) {
	const digits = "0123456789abcdef"
	for i := range t {
		t[i] = [2]byte{digits[i>>4], digits[i&0xf]}
	}
	return t
}()

// String returns k in lower-case hex, or "" if k is unset: the form of a
// PrevHash.
func (k link) String() string { return string(k.appendHex(nil)) }

// parseLink parses the String form of a link.
func parseLink(s string) (link, error) {
	if s == "" {
		return link{}, nil
	}
	var k link
	if len(s) != HashLen {
		return k, fmt.Errorf("hash %q is not %d hex digits", s, HashLen)
	}
	if _, err := hex.Decode(k.sum[:], []byte(s)); err != nil {
		return k, fmt.Errorf("hash %q: %w", s, err)
	}
	k.set = true
	return k, nil
}

// chainBatch is a batch of events whose payloads carry the hash chain: each
// event's PrevHash is the hash of the ledger event before it. The ledger
// keeps one and resets it for every write.
type chainBatch struct {
	*events.Batch
	last link         // hash of the last event added, or of the ledger's last
	text []byte       // scratch for the texts of one event
	enc  []byte       // scratch for the hash encoding of one event
	want *expectation // the stream being replayed, if any
}

// batch starts the events of a change at now, chained after the ledger's
// last event. It reuses the ledger's batch, so it runs with l.mu held and
// one change at a time.
func (l *Ledger) batch(now time.Time) *chainBatch {
	if l.cb == nil {
		l.cb = &chainBatch{Batch: l.seq.Batch(now)}
	}
	l.cb.Reset(now)
	l.cb.last, l.cb.want = l.lastHash, l.want
	l.at = now
	return l.cb
}

// add sets p's PrevHash to the hash of the event before it, appends it and
// returns the event.
func (b *chainBatch) add(subject string, p events.Payload) events.Event {
	return b.chain(b.Add(subject, withPrev(p, b.last.String())))
}

// chain makes e, just added, the last event of b's chain, and returns it.
// It encodes e in b's scratch buffer, unless a replaying ledger has the hash
// of the stream's identical event already.
func (b *chainBatch) chain(e events.Event) events.Event {
	if sum, ok := b.want.streamSum(b.Len()-1, &e); ok {
		b.last = link{sum: sum, set: true}
		return e
	}
	b.enc = appendEvent(b.enc[:0], &e)
	b.last = link{sum: sha256.Sum256(b.enc), set: true}
	return e
}

// withPrev returns the ledger payload p with PrevHash set to prev.
func withPrev(p events.Payload, prev string) events.Payload {
	switch p := p.(type) {
	case events.AccountOpened:
		p.PrevHash = prev
		return p
	case events.AccountClosed:
		p.PrevHash = prev
		return p
	case events.CreditsMinted:
		p.PrevHash = prev
		return p
	case events.CreditsTransferred:
		p.PrevHash = prev
		return p
	case events.CreditsBurned:
		p.PrevHash = prev
		return p
	case events.HoldPlaced:
		p.PrevHash = prev
		return p
	case events.HoldCaptured:
		p.PrevHash = prev
		return p
	case events.HoldReleased:
		p.PrevHash = prev
		return p
	case events.BalanceQueried:
		p.PrevHash = prev
		return p
	}
	return p
}

// prevHash returns the PrevHash of a ledger payload, and false for another
// payload.
func prevHash(p events.Payload) (string, bool) {
	switch p := p.(type) {
	case events.AccountOpened:
		return p.PrevHash, true
	case events.AccountClosed:
		return p.PrevHash, true
	case events.CreditsMinted:
		return p.PrevHash, true
	case events.CreditsTransferred:
		return p.PrevHash, true
	case events.CreditsBurned:
		return p.PrevHash, true
	case events.HoldPlaced:
		return p.PrevHash, true
	case events.HoldCaptured:
		return p.PrevHash, true
	case events.HoldReleased:
		return p.PrevHash, true
	case events.BalanceQueried:
		return p.PrevHash, true
	}
	return "", false
}

// EventHash returns the hash of a ledger event, in lower-case hex: the
// SHA-256 of its hash encoding, which is, in order,
//
//   - the tag "scarcity.ledger.v1";
//   - the envelope: ID, Type, Source, Subject, Correlation, Causation,
//     each a string; Sequence as 8 bytes big-endian; Time as its Unix
//     nanoseconds, 8 bytes big-endian (two's complement);
//   - the payload's fields in their declaration order (a Movement's for
//     the three movement events), PrevHash last: strings and decimals
//     (their wire text, as is) as strings, a bool as one byte 0 or 1, a
//     time as one byte 0 for the zero time, else 1 and its Unix
//     nanoseconds as above;
//
// where a string is its length as an unsigned varint (encoding/binary)
// followed by its bytes. So a change of any attribute or field, or of the
// previous event's hash, changes the hash. An event with a payload that is
// not a ledger payload hashes its envelope only.
func EventHash(e events.Event) string {
	return link{sum: eventSum(e), set: true}.String()
}

// eventSum returns the SHA-256 of e's hash encoding (see EventHash).
func eventSum(e events.Event) [sha256.Size]byte {
	var buf [512]byte
	return sha256.Sum256(appendEvent(buf[:0], &e))
}

// appendEvent appends the hash encoding of e to w.
func appendEvent(w []byte, e *events.Event) []byte {
	w = appendString(w, "scarcity.ledger.v1")
	w = appendStrings(w, e.ID, string(e.Type), string(e.Source), e.Subject, e.Correlation, e.Causation)
	w = binary.BigEndian.AppendUint64(w, e.Sequence)
	w = binary.BigEndian.AppendUint64(w, uint64(e.Time.UnixNano()))
	return appendPayload(w, e.Data)
}

// appendPayload appends the hash encoding of a ledger payload's fields.
func appendPayload(w []byte, p events.Payload) []byte {
	switch p := p.(type) {
	case events.AccountOpened:
		w = appendStrings(w, p.AccountID, p.Kind)
		w = appendBool(w, p.AllowNegative)
		return appendStrings(w, string(p.OverdraftLimit), p.PrevHash)
	case events.AccountClosed:
		return appendStrings(w, p.AccountID, p.Kind, p.PrevHash)
	case events.CreditsMinted:
		return appendMovement(w, p.Movement)
	case events.CreditsTransferred:
		return appendMovement(w, p.Movement)
	case events.CreditsBurned:
		return appendMovement(w, p.Movement)
	case events.HoldPlaced:
		w = appendStrings(w, p.HoldID, p.AccountID, string(p.Amount), string(p.Balance), string(p.Pending))
		w = appendTime(w, p.ExpiresAt)
		return appendString(w, p.PrevHash)
	case events.HoldCaptured:
		return appendStrings(w, p.HoldID, p.TransferID, p.AccountID, p.To, string(p.Amount), string(p.Released),
			string(p.Remaining), p.Reason, string(p.FromBalance), string(p.ToBalance), string(p.Pending), p.PrevHash)
	case events.HoldReleased:
		return appendStrings(w, p.HoldID, p.AccountID, string(p.Amount), p.Reason, string(p.Pending), p.PrevHash)
	case events.BalanceQueried:
		return appendStrings(w, p.AccountID, string(p.Balance), string(p.Pending), string(p.Available), p.PrevHash)
	}
	return w
}

func appendMovement(w []byte, m events.Movement) []byte {
	return appendStrings(w, m.TransferID, m.From, m.To, string(m.Amount), m.Reason,
		string(m.FromBalance), string(m.ToBalance), m.PrevHash)
}

func appendString(w []byte, s string) []byte {
	if len(s) < 0x80 { // a one-byte varint
		return append(append(w, byte(len(s))), s...)
	}
	w = binary.AppendUvarint(w, uint64(len(s)))
	return append(w, s...)
}

func appendStrings(w []byte, ss ...string) []byte {
	for _, s := range ss {
		w = appendString(w, s)
	}
	return w
}

func appendBool(w []byte, b bool) []byte {
	if b {
		return append(w, 1)
	}
	return append(w, 0)
}

func appendTime(w []byte, t time.Time) []byte {
	if t.IsZero() {
		return append(w, 0)
	}
	return binary.BigEndian.AppendUint64(append(w, 1), uint64(t.UnixNano()))
}

// LastHash returns the hash (EventHash) of the last event the ledger
// published or replayed; the next event carries it as its PrevHash. It is
// empty before the first event.
func (l *Ledger) LastHash() string {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.lastHash.String()
}
