package events

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
)

// A Chain links the events of one writer into a hash chain, in the order
// they are published: each event's Hash is the SHA-256 of the previous
// event's Hash and of the event's canonical encoding (every envelope
// attribute but Hash and Signature, and the data: see appendCanonical).
// The last event of each group the writer publishes as a whole is sealed
// (Seal, inside the hash) and, if the chain has a key, signed (Signature:
// Ed25519 over its Hash). An edit, insertion, deletion or reordering of any event breaks the
// chain at the first event concerned (see Verify); the seals tell a reader
// which events were published whole; the signatures that the writer, and
// nobody who can merely write to the stream, wrote them.
//
// A Chain is not safe for concurrent use: it belongs to the single writer
// of a stream (a Market's committer, or a Ledger or Scheduler used alone).
type Chain struct {
	head [sha256.Size]byte
	set  bool // head holds a hash; false before the first event
	key  ed25519.PrivateKey
	buf  []byte // scratch for canonical encodings
}

// NewChain returns a chain whose next event links to head, the Hash of the
// writer's last event ("" for a new chain), signing its seals with key if
// key is not nil. Errors wrap ErrMalformed for a head that is not a hash.
func NewChain(head string, key ed25519.PrivateKey) (*Chain, error) {
	c := &Chain{key: key}
	if head == "" {
		return c, nil
	}
	if err := c.setHead(head); err != nil {
		return nil, err
	}
	return c, nil
}

func (c *Chain) setHead(head string) error {
	b, err := hex.DecodeString(head)
	if err != nil || len(b) != sha256.Size {
		return fmt.Errorf("%w: chain hash %q", ErrMalformed, head)
	}
	copy(c.head[:], b)
	c.set = true
	return nil
}

// Head returns the Hash of the last event linked, or "" before the first.
func (c *Chain) Head() string {
	if !c.set {
		return ""
	}
	return hex.EncodeToString(c.head[:])
}

// Key returns the chain's signing key, or nil.
func (c *Chain) Key() ed25519.PrivateKey { return c.key }

// Link stamps evs, in order, with their hashes, sealing the last one (and
// signing it if the chain has a key): evs is one group, published whole.
// It changes evs in place and returns the mark to Rewind to if the group
// is then not published.
func (c *Chain) Link(evs []Event) Mark { return c.link(evs, true) }

// Extend stamps evs, in order, with their hashes, sealing none: a part of
// a group too large to publish by one call, whose last part Link seals.
func (c *Chain) Extend(evs []Event) Mark { return c.link(evs, false) }

func (c *Chain) link(evs []Event, seal bool) Mark {
	mark := Mark{head: c.head, set: c.set}
	for i := range evs {
		e := &evs[i]
		e.Seal, e.Hash, e.Signature = seal && i == len(evs)-1, "", ""
		c.head = c.next(e)
		c.set = true
		e.Hash = hashText(&c.head)
	}
	if n := len(evs); n > 0 && seal && c.key != nil {
		evs[n-1].Signature = base64.StdEncoding.EncodeToString(ed25519.Sign(c.key, c.head[:]))
	}
	return mark
}

// hashText returns h in lower-case hex, in one allocation (where
// hex.EncodeToString makes two).
func hashText(h *[sha256.Size]byte) string {
	var buf [2 * sha256.Size]byte
	hex.Encode(buf[:], h[:])
	return string(buf[:])
}

// SetKey makes key the key that signs the chain's seals from now on.
func (c *Chain) SetKey(key ed25519.PrivateKey) { c.key = key }

// Mark is a chain's position, to go back to.
type Mark struct {
	head [sha256.Size]byte
	set  bool
}

// Rewind moves the chain back to mark, taken before a group that was not
// published: the next group links where that one did.
func (c *Chain) Rewind(mark Mark) { c.head, c.set = mark.head, mark.set }

// next returns the hash of e after the chain's head.
func (c *Chain) next(e *Event) [sha256.Size]byte {
	c.buf = c.buf[:0]
	if c.set {
		c.buf = append(c.buf, c.head[:]...)
	}
	c.buf = appendCanonical(c.buf, e)
	return sha256.Sum256(c.buf)
}

// canonicalVersion starts every canonical encoding, so that a later change
// of the encoding cannot be confused with this one.
const canonicalVersion = "scarcity.event.v1"

// appendCanonical appends the canonical encoding of e to dst: the version,
// every envelope attribute but Hash and Signature (strings length-prefixed,
// integers 8 bytes big-endian, the time as Unix nanoseconds, the seal as one
// byte), and the encoding of the data (appendData: binary for the ledger's
// payloads, else JSON), length-prefixed.
func appendCanonical(dst []byte, e *Event) []byte {
	dst = appendLenString(dst, canonicalVersion)
	for _, s := range [...]string{e.ID, string(e.Type), string(e.Source), e.Subject, e.Correlation, e.Causation, e.TraceParent} {
		dst = appendLenString(dst, s)
	}
	dst = binary.BigEndian.AppendUint64(dst, e.Sequence)
	dst = binary.BigEndian.AppendUint64(dst, uint64(e.Time.UnixNano()))
	dst = binary.BigEndian.AppendUint64(dst, uint64(int64(e.Schema)))
	if e.Seal {
		dst = append(dst, 1)
	} else {
		dst = append(dst, 0)
	}
	mark := len(dst)
	dst = append(dst, 0, 0, 0, 0) // the data's length, set below
	dst = appendData(dst, e.Data)
	binary.BigEndian.PutUint32(dst[mark:], uint32(len(dst)-mark-4))
	return dst
}

func appendLenString(dst []byte, s string) []byte {
	dst = binary.BigEndian.AppendUint32(dst, uint32(len(s)))
	return append(dst, s...)
}

// appendData appends the encoding of p: the binary encoding of a ledger
// payload (appendLedgerData), held by value or by pointer, else the JSON of
// p, as Encode writes it. A payload that cannot be encoded (Encode refuses
// its event) appends its error, so that its hash differs from any
// encodable one.
func appendData(dst []byte, p Payload) []byte {
	if out, ok := appendLedgerData(dst, p); ok {
		return out
	}
	if v := reflect.ValueOf(p); v.Kind() == reflect.Pointer && !v.IsNil() {
		if q, ok := v.Elem().Interface().(Payload); ok {
			if out, ok := appendLedgerData(dst, q); ok {
				return out
			}
		}
	}
	b, err := json.Marshal(p)
	if err != nil {
		return append(dst, "!error: "+err.Error()...)
	}
	return append(dst, b...)
}

// TypeSigningKeyAnnounced is the type of SigningKeyAnnounced.
const TypeSigningKeyAnnounced Type = "signing_key_announced"

// SigningKeyAnnounced announces the Ed25519 public key that signs a chain's
// seals from the group after the one it is in. The first announcement is
// signed by the key itself; a later one (a rotation) by the key before it,
// so that a reader who knows the first key can follow every rotation.
type SigningKeyAnnounced struct {
	// PublicKey is the key, in standard base64.
	PublicKey string `json:"public_key"`
}

// EventType implements Payload.
func (SigningKeyAnnounced) EventType() Type { return TypeSigningKeyAnnounced }

// AnnounceKey returns the announcement of key's public key.
func AnnounceKey(key ed25519.PublicKey) SigningKeyAnnounced {
	return SigningKeyAnnounced{PublicKey: base64.StdEncoding.EncodeToString(key)}
}

// Key returns the announced key, or an error wrapping ErrMalformed.
func (p SigningKeyAnnounced) Key() (ed25519.PublicKey, error) {
	b, err := base64.StdEncoding.DecodeString(p.PublicKey)
	if err != nil || len(b) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("%w: public key %q", ErrMalformed, p.PublicKey)
	}
	return ed25519.PublicKey(b), nil
}

// ErrTampered reports a stream whose hash chain is broken: an event was
// changed, inserted, removed or moved, or a seal's signature is not the
// writer's. The error is a *ChainError naming the first bad event.
var ErrTampered = errors.New("events: hash chain broken")

// ChainError is the error of a broken chain: the first event at which the
// stream stops being the writer's.
type ChainError struct {
	// EventID is the id of the first bad event; Index its position in the
	// events verified.
	EventID string
	Index   int
	// Reason says what is wrong with it.
	Reason string
}

func (e *ChainError) Error() string {
	return fmt.Sprintf("events: hash chain broken at event %s (#%d): %s", e.EventID, e.Index, e.Reason)
}

// Is reports whether target is ErrTampered.
func (e *ChainError) Is(target error) bool { return target == ErrTampered }
