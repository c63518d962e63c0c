package events

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"slices"
)

// VerifyOptions says what Verify requires beyond an intact chain.
type VerifyOptions struct {
	// PublicKey, if set, is the key the writers are known by: the first
	// signing key each chain announces must be it, every later key must be
	// announced in a group signed by the key before it, and every chain
	// must be signed. Nil trusts the keys the chains announce.
	PublicKey ed25519.PublicKey
	// Heads gives, by correlation, the Hash that the first event of evs
	// links to, for a stream read from the middle (a tail after a
	// snapshot); a correlation not in Heads must start its chain in evs.
	Heads map[string]string
	// Keys gives, by correlation, the signing key in force at the head
	// Heads gives: the key a tail's seals are signed with until it
	// announces another. A correlation with a head but no key must
	// announce one before its first signed seal.
	Keys map[string]ed25519.PublicKey
	// AllSignatures verifies the signature of every seal. By default only
	// the last seal of each key is verified, and the groups announcing a
	// key: the hash chain ties every earlier event to it. Every signature
	// is checked for its form either way.
	AllSignatures bool
}

// Verification is what Verify found in a stream.
type Verification struct {
	// Trusted are the events to rebuild state from, in stream order: the
	// events of sealed groups, and every event of an unchained correlation.
	Trusted []Event
	// Void are the events of groups cut short, never to be applied: those
	// after a chain's last seal, and those a writer restored from the
	// stream went on without.
	Void []Event
	// Unchained names the correlations whose events carry no chain: a
	// stream written by another system.
	Unchained []string
	// Heads is the Hash of each chained correlation's last trusted event:
	// the head a writer restored from the stream links to.
	Heads map[string]string
	// Keys is each chained correlation's signing key at its last trusted
	// event, if it announced one.
	Keys map[string]ed25519.PublicKey
	// Unanchored are the ids of the seals of groups announcing a key that
	// the key before did not sign: a writer that made its key itself and
	// lost it in a restart. Only a Verify without PublicKey accepts them.
	Unanchored []string
}

// Verify checks the hash chain of each correlation of evs, a stream in
// stream order, and sorts its events into trusted and void. It fails with a
// *ChainError (ErrTampered) naming the first event at which a chain breaks:
// an event whose hash does not follow the one before it (changed, inserted,
// removed, moved), an unchained event in a chained correlation, a seal whose
// signature is not its key's, or a key that was not announced as
// VerifyOptions.PublicKey requires.
//
// A group cut short is not an error: its events are Void. A writer rebuilt
// from the stream links its next event to its last seal, so the unsealed
// events before are void too. A stream cut short after a seal cannot be
// told from a shorter stream; compare Heads with a head kept elsewhere.
func Verify(evs []Event, opts VerifyOptions) (Verification, error) {
	v := Verification{Heads: map[string]string{}, Keys: map[string]ed25519.PublicKey{}}
	chains := map[string]*chainCheck{}
	unchained := map[string]bool{}
	trusted := make([]bool, len(evs))
	for i := range evs {
		e := &evs[i]
		c, chained := chains[e.Correlation]
		switch {
		case e.Hash == "" && opts.Heads[e.Correlation] != "":
			return v, chainError(e, i, "an unchained event after a chain")
		case e.Hash == "" && !chained:
			if !unchained[e.Correlation] {
				unchained[e.Correlation] = true
				v.Unchained = append(v.Unchained, e.Correlation)
			}
			trusted[i] = true
			continue
		case e.Hash == "":
			return v, chainError(e, i, "an unchained event in a chained stream")
		case unchained[e.Correlation]:
			return v, chainError(e, i, "a chained event in a stream that began unchained")
		case !chained:
			c = &chainCheck{opts: opts, evs: evs, trusted: trusted, unanchored: &v.Unanchored}
			if h, ok := opts.Heads[e.Correlation]; ok && h != "" {
				head, err := hex.DecodeString(h)
				if err != nil || len(head) != sha256.Size {
					return v, fmt.Errorf("%w: head %q of %q", ErrMalformed, h, e.Correlation)
				}
				c.head, c.sealed = head, slices.Clone(head)
				if k := opts.Keys[e.Correlation]; k != nil {
					c.key, c.signed = k, true
				}
			}
			chains[e.Correlation] = c
		}
		if err := c.add(e, i); err != nil {
			return v, err
		}
	}
	for corr, c := range chains {
		if err := c.finish(&v, corr); err != nil {
			return v, err
		}
	}
	v.Trusted = make([]Event, 0, count(trusted))
	for i, ok := range trusted {
		if ok {
			v.Trusted = append(v.Trusted, evs[i])
		} else {
			v.Void = append(v.Void, evs[i])
		}
	}
	return v, nil
}

// count returns how many of bs are set.
func count(bs []bool) int {
	n := 0
	for _, b := range bs {
		if b {
			n++
		}
	}
	return n
}

// chainCheck follows one correlation's chain.
type chainCheck struct {
	opts       VerifyOptions
	evs        []Event
	trusted    []bool            // by index in evs: set for the events of sealed groups
	unanchored *[]string         // Verification.Unanchored
	head       []byte            // the hash of the last event, nil before the first
	sealed     []byte            // the hash of the last sealed event, nil before
	open       []int             // indexes of the events since the last seal
	key        ed25519.PublicKey // the key in force
	next       ed25519.PublicKey // a key announced in the open group
	lastSeal   *Event            // the last sealed event, its signature unverified
	lastAt     int
	signed     bool // a key has been announced
	buf        []byte
	scratch    []byte
}

// add checks e, the event at index i, and trusts the events of a group it
// seals.
func (c *chainCheck) add(e *Event, i int) error {
	var got [sha256.Size]byte
	if len(e.Hash) != 2*sha256.Size {
		return chainError(e, i, "hash is not a SHA-256")
	}
	if _, err := hex.Decode(got[:], []byte(e.Hash)); err != nil {
		return chainError(e, i, "hash is not a SHA-256")
	}
	c.buf = appendCanonical(c.buf[:0], e)
	enc := c.buf
	switch {
	case c.sum(c.head, enc) == got:
	case len(c.open) > 0 && c.sum(c.sealed, enc) == got:
		// A writer rebuilt from the stream went on from its last seal:
		// the group it had cut short is void. It numbers on after the void
		// events, so an event that does not is a copy.
		if !c.after(e) {
			return chainError(e, i, "it repeats the sequence of an event before it")
		}
		c.open, c.next = c.open[:0], nil
	default:
		return chainError(e, i, "its hash does not follow the event before it")
	}
	c.head = append(c.head[:0], got[:]...)
	if k, ok := e.Data.(SigningKeyAnnounced); ok {
		key, err := k.Key()
		if err != nil {
			return chainError(e, i, err.Error())
		}
		if err := c.announce(key); err != nil {
			return chainError(e, i, err.Error())
		}
	}
	c.open = append(c.open, i)
	if !e.Seal {
		if e.Signature != "" {
			return chainError(e, i, "a signature on an unsealed event")
		}
		return nil
	}
	return c.seal(e, i)
}

// after reports whether e's sequence follows those of the open events of
// its source.
func (c *chainCheck) after(e *Event) bool {
	for _, j := range c.open {
		if o := &c.evs[j]; o.Source == e.Source && o.Sequence >= e.Sequence {
			return false
		}
	}
	return true
}

// announce takes key as the key of the group being read.
func (c *chainCheck) announce(key ed25519.PublicKey) error {
	if !c.signed && c.opts.PublicKey != nil && !key.Equal(c.opts.PublicKey) {
		return fmt.Errorf("the first signing key is not the writer's")
	}
	c.next = key
	return nil
}

// seal checks the seal e at index i and trusts its group.
func (c *chainCheck) seal(e *Event, i int) error {
	signer := c.key
	if signer == nil {
		signer = c.next // the first key signs its own announcement
	}
	rotates := c.next != nil
	switch {
	case signer == nil && e.Signature != "":
		return chainError(e, i, "a signature before any signing key")
	case signer == nil && c.opts.PublicKey != nil:
		return chainError(e, i, "an unsigned seal; the writer signs its chain")
	case signer != nil && e.Signature == "":
		return chainError(e, i, "an unsigned seal after a signing key was announced")
	case signer != nil && !wellFormed(e.Signature):
		return chainError(e, i, "its signature is not a base64 Ed25519 signature")
	case signer != nil && (rotates || c.opts.AllSignatures):
		err := verifySignature(signer, e)
		if err != nil && rotates && c.opts.PublicKey == nil && verifySignature(c.next, e) == nil {
			// A writer that lost its key (one it made for itself) announces
			// a new one signed by the new one: a reader that requires the
			// writer's key refuses it; one that trusts announcements notes
			// it.
			*c.unanchored = append(*c.unanchored, e.ID)
			err = nil
		}
		if err != nil {
			return chainError(e, i, err.Error())
		}
		c.lastSeal = nil
	case signer != nil:
		c.lastSeal, c.lastAt = e, i // verified if it stays the key's last
	}
	if rotates {
		c.key, c.next, c.signed = c.next, nil, true
	}
	for _, j := range c.open {
		c.trusted[j] = true
	}
	c.open = c.open[:0]
	c.sealed = append(c.sealed[:0], c.head...)
	return nil
}

// finish verifies the chain's last seal and records its head and key. Its
// last open group stays untrusted: void.
func (c *chainCheck) finish(v *Verification, corr string) error {
	if c.lastSeal != nil {
		if err := verifySignature(c.key, c.lastSeal); err != nil {
			return chainError(c.lastSeal, c.lastAt, err.Error())
		}
	}
	if c.sealed != nil {
		v.Heads[corr] = hex.EncodeToString(c.sealed)
	}
	if c.key != nil {
		v.Keys[corr] = c.key
	}
	return nil
}

// verifySignature checks that e's signature is key's over its hash.
// wellFormed reports whether sig is the standard base64 encoding of an
// Ed25519 signature.
func wellFormed(sig string) bool {
	var buf [ed25519.SignatureSize + 2]byte
	if base64.StdEncoding.EncodedLen(ed25519.SignatureSize) != len(sig) {
		return false
	}
	n, err := base64.StdEncoding.Decode(buf[:], []byte(sig))
	return err == nil && n == ed25519.SignatureSize
}

func verifySignature(key ed25519.PublicKey, e *Event) error {
	sig, err := base64.StdEncoding.DecodeString(e.Signature)
	if err != nil {
		return fmt.Errorf("its signature is not base64")
	}
	h, _ := hex.DecodeString(e.Hash)
	if !ed25519.Verify(key, h, sig) {
		return fmt.Errorf("its signature is not the writer's")
	}
	return nil
}

// sum returns SHA-256(prev ‖ enc), using c's scratch space.
func (c *chainCheck) sum(prev, enc []byte) [sha256.Size]byte {
	c.scratch = append(append(c.scratch[:0], prev...), enc...)
	return sha256.Sum256(c.scratch)
}

func chainError(e *Event, i int, reason string) error {
	return &ChainError{EventID: e.ID, Index: i, Reason: reason}
}
