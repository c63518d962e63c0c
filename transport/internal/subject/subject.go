// Package subject holds the NATS subject layout of scarcity's events, shared
// by natstransport (which publishes and stores them), agentapi (whose agents
// receive their own) and natsauth (whose permissions and imports name them).
// It depends on no NATS package, so that clients importing it stay free of
// the server.
//
// An event travels on
//
//	<prefix>.<source>.<type>.<subject>.<counterparty>
//
// each of the last four one Token; <counterparty> is the party other than
// the subject that the event is about (events.Counterparty), "_" when there
// is none. The stream captures one subject per source of Sources,
// "<prefix>.<source>.*.*.*", never a wildcard in the source position, so that
// the command subjects of package agentapi, "<prefix>.cmd.v1.<agent>.<verb>"
// (as many tokens), are never stored and no agent's event filter matches
// another agent's commands.
package subject

import (
	"slices"
	"strings"

	"github.com/scarcitylabs/scarcity/events"
)

// emptyToken is the token of an empty value.
const emptyToken = "_"

// Token returns s as a single NATS subject token. Bytes in [A-Za-z0-9_-]
// stand for themselves; every other byte is written as '%' followed by two
// upper-case hex digits. The empty string is "_", and the string "_" is
// "%5F" so that the two stay apart. The mapping is injective.
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

// sources are the event sources the stream captures, in the order of its
// subjects.
var sources = []events.Source{
	events.SourceMarket, events.SourceLedger, events.SourceScheduler,
	events.SourceAgent, events.SourceJudge, events.SourceBenchmark,
}

// Sources returns the event sources the stream captures, in the order of
// Stream's subjects.
func Sources() []events.Source { return slices.Clone(sources) }

// Known reports whether the stream captures events of src.
func Known(src events.Source) bool { return slices.Contains(sources, src) }

// Event returns the subject of e under prefix.
func Event(prefix string, e events.Event) string {
	return prefix + "." + Token(string(e.Source)) + "." + Token(string(e.Type)) + "." +
		Token(e.Subject) + "." + Token(events.Counterparty(e))
}

// Wildcards follows "<prefix>.<source>" in the stream's subjects.
const Wildcards = ".*.*.*"

// Stream returns the subjects of the stream under prefix: one
// "<prefix>.<source>.*.*.*" per source, in the order of Sources.
func Stream(prefix string) []string {
	out := make([]string, len(sources))
	for i, src := range sources {
		out[i] = prefix + "." + Token(string(src)) + Wildcards
	}
	return out
}

// StreamPrefix returns the prefix of a stream whose subjects are those of
// Stream(prefix), in any order, or false for any other subjects.
func StreamPrefix(subjects []string) (string, bool) {
	if len(subjects) != len(sources) {
		return "", false
	}
	head, ok := strings.CutSuffix(subjects[0], Wildcards)
	if !ok {
		return "", false
	}
	i := strings.LastIndexByte(head, '.')
	if i <= 0 {
		return "", false
	}
	prefix := head[:i]
	want := Stream(prefix)
	got := slices.Clone(subjects)
	slices.Sort(want)
	slices.Sort(got)
	return prefix, slices.Equal(want, got)
}

// Agent returns the subjects of the events about agent under prefix: for
// each source, those whose subject is the agent,
// "<prefix>.<source>.*.<agent>.*", and those whose counterparty is,
// "<prefix>.<source>.*.*.<agent>" (agent as a Token). No event matches two
// of them: an event's counterparty is never its subject.
func Agent(prefix, agent string) []string {
	tok := Token(agent)
	out := make([]string, 0, 2*len(sources))
	for _, src := range sources {
		s := prefix + "." + Token(string(src))
		out = append(out, s+".*."+tok+".*", s+".*.*."+tok)
	}
	return out
}
