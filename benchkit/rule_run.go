package benchkit

import (
	"fmt"
	"strings"

	"github.com/cockroachdb/apd/v3"

	"github.com/scarcitylabs/scarcity/events"
)

// Run is the part of a stream one evaluation of a scenario looks at, as
// rules see it. Events of other correlations are never in it.
//
// With EvalOptions.Agent set, an event is about the agent when its subject,
// or its data's agent_id, account_id, from or to, is the agent; it is about
// another agent when it is not about the agent but names an agent_id, or
// comes from the agent source. Events about no agent (market_cleared,
// price_update, a judge's events, …) are shared.
type Run struct {
	opts     EvalOptions
	scenario *Scenario
	all      []fieldView // every event of the run's correlation
	seen     []fieldView // about the agent or shared
	agent    []fieldView // about the agent
	labels   map[string]int
	bad      []error
}

// newRun selects the events of the scenario's run from evs.
func newRun(s *Scenario, evs []events.Event, opts EvalOptions) *Run {
	r := &Run{opts: opts, scenario: s, labels: map[string]int{}}
	for _, e := range evs {
		if opts.Correlation != "" && e.Correlation != opts.Correlation {
			continue
		}
		v := viewOf(e)
		if v.err != nil {
			r.bad = append(r.bad, v.err)
		}
		r.all = append(r.all, v)
		switch {
		case opts.Agent == "" || v.about(opts.Agent):
			r.seen = append(r.seen, v)
			r.agent = append(r.agent, v)
		case !v.aboutOther(opts.Agent):
			r.seen = append(r.seen, v)
		}
	}
	return r
}

// about reports whether the event is about agent.
func (v fieldView) about(agent string) bool {
	if v.event.Subject == agent {
		return true
	}
	for _, k := range []string{"agent_id", "account_id", "from", "to"} {
		if v.dataString(k) == agent {
			return true
		}
	}
	return false
}

// aboutOther reports whether the event, not about agent, is about another.
func (v fieldView) aboutOther(agent string) bool {
	return !v.about(agent) && (v.dataString("agent_id") != "" || v.event.Source == events.SourceAgent)
}

// Options returns the options of the evaluation.
func (r *Run) Options() EvalOptions { return r.opts }

// Events returns the events the run's rules see, in stream order: those of
// the correlation about the agent or about no agent in particular.
func (r *Run) Events() []events.Event { return eventsOf(r.seen) }

// AgentEvents returns the events of the correlation about the agent, in
// stream order; all of the correlation's events if no agent is named.
func (r *Run) AgentEvents() []events.Event { return eventsOf(r.agent) }

// Label returns the event the required sequence matched for a label, once
// the sequence has been evaluated.
func (r *Run) Label(name string) (events.Event, bool) {
	i, ok := r.labels[name]
	if !ok {
		return events.Event{}, false
	}
	return r.seen[i].event, true
}

// eventsOf returns the events of views.
func eventsOf(vs []fieldView) []events.Event {
	out := make([]events.Event, len(vs))
	for i, v := range vs {
		out[i] = v.event
	}
	return out
}

// resolve returns the decimal a constraint reference stands for: a field
// of a labelled event, or a decimal of the initial state.
func (r *Run) resolve(ref string) (*apd.Decimal, error) {
	head, path, _ := strings.Cut(ref, ".")
	if head == "initial_state" {
		return r.scenario.Initial.decimal(path)
	}
	i, ok := r.labels[head]
	if !ok {
		return nil, fmt.Errorf("label %q has matched no event", head)
	}
	x, ok := r.seen[i].lookup(path)
	if !ok {
		return nil, fmt.Errorf("%s has no field %s", eventName(r.seen[i].event), path)
	}
	d, ok := numeric(x)
	if !ok {
		return nil, fmt.Errorf("%s field %s is not a number", eventName(r.seen[i].event), path)
	}
	return d, nil
}
