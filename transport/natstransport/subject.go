package natstransport

import (
	"fmt"

	"github.com/scarcitylabs/scarcity/events"
	"github.com/scarcitylabs/scarcity/transport/internal/subject"
)

// Token returns s as a single NATS subject token. Bytes in [A-Za-z0-9_-]
// stand for themselves; every other byte (the separator '.', the wildcards
// '*' and '>', whitespace, '%', non-ASCII bytes, ...) is written as '%'
// followed by two upper-case hex digits. The empty string is "_", and the
// string "_" is "%5F" so that the two stay apart. The mapping is injective:
// distinct strings have distinct tokens.
func Token(s string) string { return subject.Token(s) }

// Subject returns the NATS subject of e under prefix:
// <prefix>.<source>.<type>.<subject>.<counterparty>, each of the last four a
// Token, the counterparty events.Counterparty(e) ("_" if none).
func Subject(prefix string, e events.Event) string { return subject.Event(prefix, e) }

// StreamSubjects returns the subjects of the stream under prefix, one
// "<prefix>.<source>.*.*.*" per source of the events package's taxonomy
// (market, ledger, scheduler, agent, …): an event of another source cannot
// be published.
func StreamSubjects(prefix string) []string { return subject.Stream(prefix) }

// AgentSubjects returns the subjects of the events about agent under prefix:
// per source, the events whose subject is the agent
// ("<prefix>.<source>.*.<agent>.*") and those whose counterparty is
// ("<prefix>.<source>.*.*.<agent>"), agent written as a Token. No event
// matches two of them. They are what a NATS server lets an agent subscribe
// to (see package natsauth).
func AgentSubjects(prefix, agent string) []string { return subject.Agent(prefix, agent) }

// eventSubject returns the subject of e under prefix, or an error wrapping
// events.ErrInvalid if the stream has no subject for e's source or the
// subject is too long.
func eventSubject(prefix string, e events.Event) (string, error) {
	if !subject.Known(e.Source) {
		return "", fmt.Errorf("%w: %s: source %q is not one of the stream's %q", events.ErrInvalid, e.ID, e.Source, subject.Sources())
	}
	subj := subject.Event(prefix, e)
	if len(subj) > MaxSubjectLen {
		return "", fmt.Errorf("%w: %w: %s: subject of %d bytes exceeds %d", events.ErrInvalid, ErrTooLarge, e.ID, len(subj), MaxSubjectLen)
	}
	return subj, nil
}

// maxFilterSubjects bounds the number of server-side filter subjects of one
// subscription; beyond it the widest dimension becomes a wildcard and the
// filter is applied in the client.
const maxFilterSubjects = 256

// filterSubjects returns the server-side filter subjects selecting what f
// selects by source, type and subject (the cross product of its lists, a
// wildcard for an empty list, any counterparty), or nil when that selects
// the whole stream. Sources the stream has no subject for are left out (no
// event of theirs is stored). The result may select more than f; the client
// applies f.Match as well.
func filterSubjects(prefix string, f events.Filter) []string {
	var srcs []events.Source
	for _, s := range f.Sources {
		if subject.Known(s) {
			srcs = append(srcs, s)
		}
	}
	dims := [3][]string{
		tokens(srcs), tokens(f.Types), tokens(f.Subjects),
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
	return cross(out, nil) // any counterparty
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
