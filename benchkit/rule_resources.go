package benchkit

import (
	"context"
	"fmt"
	"strings"

	"github.com/cockroachdb/apd/v3"

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
type ResourceConsumption struct {
	// Limits are the constraints, one per resource.
	Limits []Constraint
}

// Kind returns "resource_consumption".
func (*ResourceConsumption) Kind() string { return KindResourceConsumption }

// Evaluate sums the consumption of each limited resource and compares it.
func (rc *ResourceConsumption) Evaluate(_ context.Context, run *Run) RuleResult {
	res := RuleResult{Kind: KindResourceConsumption, Verdict: Pass, Values: map[string]Ratio{}}
	var bad, ok []string
	for _, c := range rc.Limits {
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
	if res.Verdict == Fail {
		res.Reason = strings.Join(bad, "; ")
	} else {
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
			return nil, used, fmt.Sprintf("%s: %s is not a number", eventName(v.event), field)
		}
		if _, err := ctx.Add(total, total, d); err != nil {
			return nil, used, fmt.Sprintf("%s: sum of %s: %v", eventName(v.event), field, err)
		}
	}
	return total, used, ""
}
