package benchkit

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/cockroachdb/apd/v3"

	"github.com/scarcitylabs/scarcity/benchkit/internal/stream"
	"github.com/scarcitylabs/scarcity/events"
)

// CreditsSpent is the name, in resource_consumption, of the credits the
// agent paid for bundles: the sum of the amounts of the resources_allocated
// events about it.
const CreditsSpent = "credits_spent"

// ResourceConsumption limits what the agent consumed. Each limit is a
// constraint whose Field is a resource name, compared with the sum of the
// quantities of the usage_recorded events of that resource about the
// agent, or CreditsSpent. In JSON: {"tokens": "<=1000", "credits_spent":
// "<=50%initial_state.agent_balance"}; a bare number n means "<=n".
//
// Keys name a resource as authors write it: <resource>_used,
// <resource>_consumed and <resource>_spent mean <resource>
// ("tokens_used" is tokens); credits, cost, spend and spent (and those
// with the same endings, credits_used say) mean credits_spent. A limit on a resource the market does not have is
// never summed as 0: unless EvalOptions.Resources names it or an event of
// the stream mentions it (a usage, a price, a bundle's quantities), the
// rule is NotEvaluated and says so.
type ResourceConsumption struct {
	// Limits are the constraints, one per resource.
	Limits []Constraint
}

// Kind returns "resource_consumption".
func (*ResourceConsumption) Kind() string { return KindResourceConsumption }

// creditAliases are the names authors use for credits_spent, besides
// credits_used and credits_consumed.
var creditAliases = []string{"credits", "cost", "spend", "spent"}

// resourceAlias returns the resource a resource_consumption key means.
func resourceAlias(key string) string {
	for _, suffix := range []string{"_used", "_consumed", "_spent"} {
		if r, ok := strings.CutSuffix(key, suffix); ok && r != "" {
			key = r
			break
		}
	}
	if slices.Contains(creditAliases, key) {
		return CreditsSpent
	}
	return key
}

// Evaluate sums the consumption of each limited resource and compares it.
func (rc *ResourceConsumption) Evaluate(_ context.Context, run *Run) RuleResult {
	res := RuleResult{Kind: KindResourceConsumption, Verdict: Pass, Values: map[string]Ratio{}}
	known := run.resources()
	var bad, ok, unknown []string
	for _, c := range rc.Limits {
		if c.Field != CreditsSpent && !known[c.Field] {
			unknown = append(unknown, c.Field)
			continue
		}
		total, used, err := consumed(run, c.Field)
		if err != "" {
			res.Verdict, res.Events = Fail, append(res.Events, used...)
			bad = append(bad, err)
			continue
		}
		res.Values["consumed."+c.Field] = RatioOf(total)
		view := fieldView{data: map[string]any{c.Field: total.Text('f')}}
		if why := c.check(view, run.resolve); why != "" {
			res.Verdict, res.Events = Fail, append(res.Events, used...)
			bad = append(bad, fmt.Sprintf("%s over %d events", why, len(used)))
			continue
		}
		ok = append(ok, fmt.Sprintf("%s %s", c.Field, total.Text('f')))
	}
	switch {
	case res.Verdict == Fail:
		res.Reason = strings.Join(bad, "; ")
	case len(unknown) > 0:
		res.Verdict = NotEvaluated
		res.Reason = fmt.Sprintf("no resource %s in this market: none is named by EvalOptions.Resources or mentioned by an event", strings.Join(unknown, ", "))
	default:
		res.Reason = "within limits: " + strings.Join(ok, ", ")
	}
	return res
}

// consumed returns the total consumed of resource by the agent and the
// events summed, or why it cannot be summed.
func consumed(run *Run, resource string) (*apd.Decimal, []events.Event, string) {
	typ, field := events.TypeUsageRecorded, "quantity"
	if resource == CreditsSpent {
		typ, field = events.TypeResourcesAllocated, "amount"
	}
	total := new(apd.Decimal)
	var used []events.Event
	ctx := exactRatioContext()
	for _, v := range run.agent {
		if v.event.Type != typ || (typ == events.TypeUsageRecorded && v.dataString("resource") != resource) {
			continue
		}
		used = append(used, v.event)
		x, _ := v.lookup(field)
		d, ok := numeric(x)
		if !ok {
			return nil, used, fmt.Sprintf("%s: %s is not a number", stream.EventName(v.event), field)
		}
		if _, err := ctx.Add(total, total, d); err != nil {
			return nil, used, fmt.Sprintf("%s: sum of %s: %v", stream.EventName(v.event), field, err)
		}
	}
	return total, used, ""
}

// resources returns the resources the run knows: those of
// EvalOptions.Resources and those an event of the stream mentions — the
// resource of a usage, reservation or price, the quantities of a bid or a
// bundle.
func (r *Run) resources() map[string]bool {
	out := map[string]bool{}
	for _, name := range r.opts.Resources {
		out[name] = true
	}
	for _, v := range r.all {
		if name := v.dataString("resource"); name != "" {
			out[name] = true
		}
		for _, path := range []string{"quantities", "bundle.quantities"} {
			if q, ok := v.lookup(path); ok {
				if m, ok := q.(map[string]any); ok {
					for name := range m {
						out[name] = true
					}
				}
			}
		}
	}
	return out
}
