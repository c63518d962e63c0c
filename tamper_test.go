package scarcity_test

import (
	"bytes"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cockroachdb/apd/v3"

	"github.com/scarcitylabs/scarcity"
	"github.com/scarcitylabs/scarcity/benchkit/invariant"
	"github.com/scarcitylabs/scarcity/events"
)

// tamperStream returns a market's signed stream holding events of every
// source — market, ledger, scheduler, agent and judge — and its public key.
func tamperStream(t *testing.T) ([]events.Event, scarcity.Config) {
	t.Helper()
	f := simulate(t, 3, 3)
	steps := []error{
		f.m.Emit(f.ctx, agentPool[0], events.Reflection{AgentID: agentPool[0], Content: "cpu is cheap now"}),
		f.m.Emit(f.ctx, agentPool[1], events.ToolCallInitiated{AgentID: agentPool[1], CallID: "c1", ToolName: "search"}),
		f.m.EmitJudgement(f.ctx, "judge", events.JudgeEvaluation{
			Judge: "judge", AgentID: agentPool[0], Scenario: "s1",
			Criteria: map[string]events.Decimal{"quality": "0.8"}, Overall: "0.8", Passed: true,
		}),
		f.m.Transfer(f.ctx, "t1", agentPool[0], agentPool[1], apd.New(1, 0)),
		f.m.Mint(f.ctx, "m1", agentPool[2], apd.New(5, 0), "grant"),
	}
	if err := errors.Join(steps...); err != nil {
		t.Fatal(err)
	}
	_, _ = f.m.Reserve(f.ctx, agentPool[0], "tokens", 10, time.Minute) // a usage_reserved, or a service_denied
	f.tick(t, time.Minute)
	cfg := f.cfg
	cfg.PublicKey = cfg.SigningKey.Public().(ed25519.PublicKey)
	return f.log.Events(0), cfg
}

// TestTamperingIsNamed edits every field of events of every type in a
// signed stream, and drops, duplicates and swaps them: Restore refuses the
// stream as tampered and benchkit's chain_intact names the first bad event.
func TestTamperingIsNamed(t *testing.T) {
	evs, cfg := tamperStream(t)
	if err := invariant.CheckChain(evs, invariant.Options{PublicKey: cfg.PublicKey}); err != nil {
		t.Fatalf("untampered stream: %v", err)
	}
	types := map[events.Type]bool{}
	for _, i := range sampled(evs) {
		types[evs[i].Type] = true
		for _, tc := range tamperings(t, evs, i) {
			t.Run(fmt.Sprintf("%s/%d/%s", evs[i].Type, i, tc.name), func(t *testing.T) {
				checkTampered(t, cfg, tc)
			})
		}
	}
	for _, want := range []events.Type{
		events.TypeBidPlaced, events.TypeHoldPlaced, events.TypeBundleScheduled, events.TypeMarketCleared,
		events.TypeCreditsMinted, events.TypeReflection, events.TypeToolCallInitiated, events.TypeJudgeEvaluation,
		events.TypeSigningKeyAnnounced, events.TypeResourcesAllocated, events.TypeCreditsTransferred,
	} {
		if !types[want] {
			t.Errorf("the stream has no %s to tamper with", want)
		}
	}
}

// tampering is one changed stream and the event its chain first breaks at.
type tampering struct {
	name   string
	evs    []events.Event
	at     int      // where the chain breaks
	naming []string // the ids Restore may name: the market reads its own correlation
	// truncates is set when the market's own events end in a group cut
	// short: to Restore, which reads only its correlation, the stream is
	// then one whose last group was stored in part, its tail void.
	truncates bool
}

// sampled returns the positions of the first and the last event of each
// type in evs.
func sampled(evs []events.Event) []int {
	first, last := map[events.Type]int{}, map[events.Type]int{}
	for i, e := range evs {
		if _, ok := first[e.Type]; !ok {
			first[e.Type] = i
		}
		last[e.Type] = i
	}
	var out []int
	for typ, i := range first {
		out = append(out, i)
		if last[typ] != i {
			out = append(out, last[typ])
		}
	}
	slices.Sort(out)
	return out
}

// tamperings returns every edit of a field of evs[i] that changes the
// event, and evs with evs[i] dropped, duplicated and swapped with the next.
func tamperings(t *testing.T, evs []events.Event, i int) []tampering {
	t.Helper()
	near := []string{evs[i].ID}
	if i+1 < len(evs) {
		near = append(near, evs[i+1].ID)
	}
	var out []tampering
	for _, edit := range fieldEdits(t, evs[i]) {
		changed := slices.Clone(evs)
		changed[i] = edit.e
		moved := edit.path == "/correlationid" && !slices.ContainsFunc(evs[i+1:], func(e events.Event) bool {
			return e.Correlation == evs[i].Correlation
		})
		out = append(out, tampering{name: edit.path, evs: changed, at: i, naming: append(near, edit.e.ID), truncates: moved})
	}
	if i+1 < len(evs) { // dropping the last event leaves a group cut short: void, not tampered
		out = append(out, tampering{name: "drop", evs: slices.Delete(slices.Clone(evs), i, i+1), at: i, naming: near})
		swapped := slices.Clone(evs)
		swapped[i], swapped[i+1] = swapped[i+1], swapped[i]
		out = append(out, tampering{name: "swap", evs: swapped, at: i, naming: near})
	}
	out = append(out, tampering{name: "duplicate", evs: slices.Insert(slices.Clone(evs), i+1, evs[i]), at: i + 1, naming: near})
	return out
}

// checkTampered checks that Restore and benchkit reject tc.evs, naming
// the event the chain breaks at.
func checkTampered(t *testing.T, cfg scarcity.Config, tc tampering) {
	t.Helper()
	bad := tc.evs[tc.at].ID
	err := invariant.CheckChain(tc.evs, invariant.Options{PublicKey: cfg.PublicKey})
	var v *invariant.Violation
	if !errors.As(err, &v) || v.Check != invariant.ChainIntact || v.EventID != bad {
		t.Errorf("benchkit: %v, want chain_intact violated at %s", err, bad)
	}
	if tc.truncates {
		return
	}
	cfg.Publisher = events.NewLog(events.LogOptions{}) // a refused restore writes nothing; an accepted one not to the original
	_, err = scarcity.Restore(t.Context(), cfg, tc.evs)
	var ce *events.ChainError
	if !errors.Is(err, events.ErrTampered) || !errors.As(err, &ce) || !slices.Contains(tc.naming, ce.EventID) {
		t.Errorf("Restore: %v, want the stream refused as tampered at one of %v", err, tc.naming)
	}
}

// fieldEdit is e with the field at path changed.
type fieldEdit struct {
	path string
	e    events.Event
}

// fieldEdits returns e with each of its encoded fields changed, one at a
// time: every attribute and every value within its data. Edits that the
// decoder refuses, or that decode to the same event, are left out.
func fieldEdits(t *testing.T, e events.Event) []fieldEdit {
	t.Helper()
	raw, err := events.Encode(e)
	if err != nil {
		t.Fatal(err)
	}
	var doc any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&doc); err != nil {
		t.Fatal(err)
	}
	var out []fieldEdit
	for _, path := range leaves(doc, "") {
		edited := editAt(doc, path)
		b, err := json.Marshal(edited)
		if err != nil {
			t.Fatal(err)
		}
		changed, err := events.Decode(b)
		if err != nil || reflect.DeepEqual(changed, e) {
			continue
		}
		out = append(out, fieldEdit{path: path, e: changed})
	}
	return out
}

// leaves returns the paths of the scalar values in v, as slash-joined keys
// and indexes.
func leaves(v any, at string) []string {
	var out []string
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			out = append(out, leaves(x, at+"/"+k)...)
		}
	case []any:
		for i, x := range v {
			out = append(out, leaves(x, fmt.Sprintf("%s/%d", at, i))...)
		}
	case nil:
	default:
		out = append(out, at)
	}
	slices.Sort(out)
	return out
}

// editAt returns a copy of v with the scalar at path changed, keeping its
// kind: a number or a numeric string gains a digit, another string a
// letter, a boolean flips.
func editAt(v any, path string) any {
	if path == "" {
		switch x := v.(type) {
		case json.Number:
			return json.Number(otherNumber(string(x)))
		case string:
			if _, err := json.Number(x).Float64(); err == nil {
				return otherNumber(x)
			}
			return x + "x"
		case bool:
			return !x
		}
		return v
	}
	key, rest, _ := strings.Cut(strings.TrimPrefix(path, "/"), "/")
	if rest != "" {
		rest = "/" + rest
	}
	switch x := v.(type) {
	case map[string]any:
		c := make(map[string]any, len(x))
		for k, y := range x {
			c[k] = y
		}
		c[key] = editAt(x[key], rest)
		return c
	case []any:
		c := slices.Clone(x)
		var i int
		fmt.Sscan(key, &i)
		c[i] = editAt(x[i], rest)
		return c
	}
	return v
}

// otherNumber returns a different valid number than the decimal n.
func otherNumber(n string) string {
	if neg, ok := strings.CutPrefix(n, "-"); ok {
		return neg
	}
	return "1" + n
}
