package report

import (
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/scarcitylabs/scarcity/benchkit/invariant"
	"github.com/scarcitylabs/scarcity/bundle"
)

// Settings are how a run was set up, as the program that ran it knows
// them; a report shows them above its summary. Every field is optional:
// the zero value of a field means "not said", and the page leaves it out.
type Settings struct {
	// Mechanism names the clearing mechanism, such as "greedy".
	Mechanism string `json:"mechanism,omitempty"`
	// Reserve names the reserve-price rule, such as "utilisation".
	Reserve string `json:"reserve,omitempty"`
	// Agents is the number of agents the run opened.
	Agents int `json:"agents,omitempty"`
	// Duration is how long the run lasted on its clock. It encodes in
	// JSON as nanoseconds.
	Duration time.Duration `json:"duration,omitempty"`
	// Seed is the seed of the run's random choices.
	Seed uint64 `json:"seed,omitempty"`
	// Transport names where the events went: "memory", "embedded", a
	// NATS URL. [FromRun] drops the user information (credentials) of a
	// URL.
	Transport string `json:"transport,omitempty"`
	// SimulatedClock says that the market ran on a simulated clock: every
	// time in the events, and so in the report, is simulated time.
	SimulatedClock bool `json:"simulated_clock,omitempty"`
	// Resources are the resources the market sells, for their units and
	// capacities ([ResourcesOf] converts a market's catalog).
	Resources []Resource `json:"resources,omitempty"`
	// Spend is the spend limit whose use the summary measures; nil means
	// the limit the stream's first spend_limit_reached states (so a run
	// that never reached its limit shows no spend without it).
	Spend *invariant.SpendLimit `json:"spend,omitempty"`
	// Strategies names the strategy of each agent, by the agent's account
	// id: the summary counts survivors and credits per strategy. No event
	// says what strategy an agent follows, so only the program that ran
	// the agents can; agents it does not name count as "unknown", and
	// without it every agent counts in one group, "all agents".
	Strategies map[string]string `json:"strategies,omitempty"`
}

// Resource is a resource the market sells: its name, the unit of its
// quantities and its capacity.
type Resource struct {
	Name     string `json:"name"`
	Unit     string `json:"unit,omitempty"`
	Capacity int64  `json:"capacity,omitempty"`
}

// ResourcesOf returns the Resources of a market's resources.
func ResourcesOf(rs ...bundle.Resource) []Resource {
	out := make([]Resource, len(rs))
	for i, r := range rs {
		out[i] = Resource{Name: r.Name, Unit: r.Unit, Capacity: r.Capacity}
	}
	return out
}

// unitOf returns the unit of resource, or "" if s does not say.
func (s *Settings) unitOf(resource string) string {
	if s == nil {
		return ""
	}
	for _, r := range s.Resources {
		if r.Name == resource {
			return r.Unit
		}
	}
	return ""
}

// strategies returns the strategies map, or nil.
func (s *Settings) strategies() map[string]string {
	if s == nil {
		return nil
	}
	return s.Strategies
}

// spend returns the spend limit s gives, or nil.
func (s *Settings) spend() *invariant.SpendLimit {
	if s == nil {
		return nil
	}
	return s.Spend
}

// clean returns a copy of s that shares nothing with it, its transport
// stripped of credentials.
func (s Settings) clean() *Settings {
	s.Transport = withoutCredentials(s.Transport)
	s.Resources = slices.Clone(s.Resources)
	if s.Spend != nil {
		spend := *s.Spend
		s.Spend = &spend
	}
	s.Strategies = maps.Clone(s.Strategies)
	return &s
}

// withoutCredentials returns transport without the user information of
// its URLs (nats://user:password@host → nats://host), a comma-separated
// list of URLs too.
func withoutCredentials(transport string) string {
	parts := strings.Split(transport, ",")
	for i, p := range parts {
		scheme, rest, ok := strings.Cut(p, "://")
		if !ok {
			continue
		}
		if at := strings.LastIndex(rest, "@"); at >= 0 && !strings.Contains(rest[:at], "/") {
			parts[i] = scheme + "://" + rest[at+1:]
		}
	}
	return strings.Join(parts, ",")
}
