package transporttest

import (
	"context"
	"fmt"
	"time"

	"github.com/scarcitylabs/scarcity/events"
)

// epoch is the time of the first event of every Generator, and step the
// time between two of its events.
var epoch = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

const step = time.Second

// subjects are the agents a Generator's events are about, in turn.
var subjects = [...]string{"agent-1", "agent-2", "agent-3"}

// kinds are the event types a Generator's events carry, in turn.
var kinds = [...]events.Type{events.TypeAgentAwake, events.TypeAgentDormant, events.TypeBundleActivated}

// Generator builds valid events of one source and correlation, stamped by an
// [events.Sequencer]: unique ids, per-source sequences from 1, and times one
// second apart from 2025-01-01T00:00:00Z. Event i (from 0) is about subject
// "agent-1", "agent-2" or "agent-3" (i mod 3) and has type agent_awake,
// agent_dormant or bundle_activated (i/3 mod 3), so nine events cover every
// pair. Its ids are unique among generators with different (source,
// correlation) pairs. A Generator is not safe for concurrent use.
type Generator struct {
	seq *events.Sequencer
	now time.Time
	n   int
}

// NewGenerator returns a generator of events from source in the run
// correlation.
func NewGenerator(source events.Source, correlation string) *Generator {
	return &Generator{seq: events.NewSequencer(source, correlation, 0), now: epoch}
}

// Next returns the generator's next n events.
func (g *Generator) Next(n int) []events.Event {
	out := make([]events.Event, 0, n)
	for range n {
		subject := subjects[g.n%len(subjects)]
		typ := kinds[g.n/len(subjects)%len(kinds)]
		b := g.seq.Batch(g.now)
		out = append(out, b.Add(subject, payloadOf(typ, subject)))
		if err := b.Publish(context.Background(), events.Discard); err != nil {
			panic(err) // Discard accepts everything
		}
		g.now = g.now.Add(step)
		g.n++
	}
	return out
}

// Events returns n valid events from one generator, of source agent and
// correlation "transporttest". Two calls return the same events: use a
// [Generator] for more events in the same stream.
func Events(n int) []events.Event {
	return NewGenerator(events.SourceAgent, "transporttest").Next(n)
}

// payloadOf returns a payload of type typ about agent, for the types the
// suite uses.
func payloadOf(typ events.Type, agent string) events.Payload {
	switch typ {
	case events.TypeAgentAwake:
		return events.AgentAwake{AgentID: agent}
	case events.TypeAgentDormant:
		return events.AgentDormant{AgentID: agent}
	case events.TypeBundleActivated:
		return events.BundleActivated{BundleID: "bundle-of-" + agent, AgentID: agent}
	}
	panic(fmt.Sprintf("transporttest: no payload for type %q", typ))
}
