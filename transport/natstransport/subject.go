package natstransport

import (
	"strings"

	"github.com/scarcitylabs/scarcity/events"
)

// emptyToken is the token of an empty value.
const emptyToken = "_"

// Token returns s as a single NATS subject token. Bytes in [A-Za-z0-9_-]
// stand for themselves; every other byte (the separator '.', the wildcards
// '*' and '>', whitespace, '%', non-ASCII bytes, ...) is written as '%'
// followed by two upper-case hex digits. The empty string is "_", and the
// string "_" is "%5F" so that the two stay apart. The mapping is injective:
// distinct strings have distinct tokens.
func Token(s string) string {
	switch s {
	case "":
		return emptyToken
	case emptyToken:
		return "%5F"
	}
	if plain(s) {
		return s
	}
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if plainByte(c) {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&0xF])
	}
	return b.String()
}

func plain(s string) bool {
	for i := 0; i < len(s); i++ {
		if !plainByte(s[i]) {
			return false
		}
	}
	return true
}

func plainByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-'
}

// Subject returns the NATS subject of e under prefix:
// <prefix>.<source>.<type>.<subject>, each of the last three a Token.
func Subject(prefix string, e events.Event) string {
	return prefix + "." + Token(string(e.Source)) + "." + Token(string(e.Type)) + "." + Token(e.Subject)
}

// maxFilterSubjects bounds the number of server-side filter subjects of one
// subscription; beyond it the widest dimension becomes a wildcard and the
// filter is applied in the client.
const maxFilterSubjects = 256

// filterSubjects returns the server-side filter subjects selecting what f
// selects by source, type and subject (the cross product of its lists, a
// wildcard for an empty list), or nil when that selects the whole stream.
// The result may select more than f; the client applies f.Match as well.
func filterSubjects(prefix string, f events.Filter) []string {
	dims := [3][]string{
		tokens(f.Sources), tokens(f.Types), tokens(f.Subjects),
	}
	for product(dims) > maxFilterSubjects {
		widest := 0
		for i := range dims {
			if len(dims[i]) > len(dims[widest]) {
				widest = i
			}
		}
		dims[widest] = nil
	}
	if dims[0] == nil && dims[1] == nil && dims[2] == nil {
		return nil
	}
	out := []string{prefix}
	for _, d := range dims {
		out = cross(out, d)
	}
	return out
}

// tokens returns the distinct tokens of vs in order, or nil for no values.
func tokens[S ~string](vs []S) []string {
	if len(vs) == 0 {
		return nil
	}
	seen := make(map[string]bool, len(vs))
	out := make([]string, 0, len(vs))
	for _, v := range vs {
		t := Token(string(v))
		if !seen[t] {
			seen[t] = true
			out = append(out, t)
		}
	}
	return out
}

func product(dims [3][]string) int {
	n := 1
	for _, d := range dims {
		n *= max(len(d), 1)
	}
	return n
}

// cross appends each token of d (or the wildcard "*" if d is empty) to each
// subject of heads.
func cross(heads, d []string) []string {
	if len(d) == 0 {
		d = []string{"*"}
	}
	out := make([]string, 0, len(heads)*len(d))
	for _, h := range heads {
		for _, t := range d {
			out = append(out, h+"."+t)
		}
	}
	return out
}
