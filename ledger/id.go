package ledger

import (
	"fmt"
	"unicode"
	"unicode/utf8"
)

// Limits on identifiers and reasons.
const (
	// MaxIDLen is the longest account, transfer or hold id, in bytes: room
	// for a service's prefixes around two ids of its own callers.
	MaxIDLen = 256
	// MaxReasonLen is the longest reason of a movement or release, in bytes.
	MaxReasonLen = 256
)

// validID checks an id: non-empty, at most MaxIDLen bytes, valid UTF-8,
// printable and without spaces. what names the id in the error.
func validID(what, id string) error {
	if len(id) > 0 && len(id) <= MaxIDLen && plainID(id) {
		return nil
	}
	switch {
	case id == "":
		return fmt.Errorf("%w: empty %s id", ErrInvalidID, what)
	case len(id) > MaxIDLen:
		return fmt.Errorf("%w: %s id of %d bytes exceeds %d", ErrInvalidID, what, len(id), MaxIDLen)
	case !utf8.ValidString(id):
		return fmt.Errorf("%w: %s id %q is not valid UTF-8", ErrInvalidID, what, id)
	}
	for _, r := range id {
		if r == ' ' || !unicode.IsPrint(r) {
			return fmt.Errorf("%w: %s id %q holds %q", ErrInvalidID, what, id, r)
		}
	}
	return nil
}

// plainID reports whether id is all printable ASCII other than space,
// which validID accepts without decoding runes: the common id.
func plainID(id string) bool {
	for i := 0; i < len(id); i++ {
		if c := id[i]; c <= ' ' || c >= 0x7f {
			return false
		}
	}
	return true
}

// validIDs checks pairs of (what, id) in order.
func validIDs(pairs ...string) error {
	for i := 0; i+1 < len(pairs); i += 2 {
		if err := validID(pairs[i], pairs[i+1]); err != nil {
			return err
		}
	}
	return nil
}

// validReason checks a free-text reason: at most MaxReasonLen bytes of
// valid UTF-8 (it travels in JSON events and must replay unchanged).
func validReason(reason string) error {
	switch {
	case len(reason) > MaxReasonLen:
		return fmt.Errorf("%w: %d bytes exceeds %d", ErrInvalidReason, len(reason), MaxReasonLen)
	case !utf8.ValidString(reason):
		return fmt.Errorf("%w: %q is not valid UTF-8", ErrInvalidReason, reason)
	}
	return nil
}
