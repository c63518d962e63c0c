package scarcity

import "fmt"

// MaxIDLen is the longest agent, order or mint id a Market accepts.
const MaxIDLen = 64

// validID checks that id is 1 to MaxIDLen bytes of ASCII letters, digits,
// '-', '_' and ':'. The market derives ledger and scheduler ids from agent
// and order ids with a "prefix/" (hold "bid/<order>", payment "pay/<order>",
// bundle "bundle/<order>"), so user ids never collide with derived ones, and
// an agent id is a single token of a NATS subject.
func validID(kind, id string) error {
	if id == "" || len(id) > MaxIDLen {
		return fmt.Errorf("%w: %s id %q must be 1 to %d bytes", ErrInvalidID, kind, id, MaxIDLen)
	}
	for _, c := range []byte(id) {
		if !idByte(c) {
			return fmt.Errorf("%w: %s id %q: byte %q not allowed", ErrInvalidID, kind, id, c)
		}
	}
	return nil
}

func idByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == ':'
}
