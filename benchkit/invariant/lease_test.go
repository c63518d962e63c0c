package invariant_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/cockroachdb/apd/v3"

	"github.com/scarcitylabs/scarcity/benchkit/invariant"
	"github.com/scarcitylabs/scarcity/events"
	"github.com/scarcitylabs/scarcity/ledger"
)

// leaseStream is a real ledger's stream of a metered lease: a hold of 30,
// partial captures of 7.5, 7.5 and 4.25, then a release of the rest; and a
// second lease captured twice in part, then finally.
//
//	 0-3  account_opened mint, burn, agent, operator
//	 4    credits_minted    agent 100
//	 5    hold_placed       lease-1 30
//	 6-8  hold_captured     7.5, 7.5, 4.25 (remaining 22.5, 15, 10.75)
//	 9    hold_released     lease-1 10.75
//	10    hold_placed       lease-2 10
//	11-12 hold_captured     1, 2 (remaining 9, 7)
//	13    hold_captured     3, released 4, remaining 0
func leaseStream(tb testing.TB) []events.Event {
	tb.Helper()
	ctx := context.Background()
	log := events.NewLog(events.LogOptions{})
	l, err := ledger.New(ctx, ledger.Options{Publisher: log, Correlation: "lease"})
	if err != nil {
		tb.Fatal(err)
	}
	amount := func(s string) *apd.Decimal {
		d, err := l.ParseAmount(s)
		if err != nil {
			tb.Fatal(err)
		}
		return d
	}
	for i, err := range []error{
		l.Open(ctx, "agent", ledger.KindAgent),
		l.Open(ctx, "operator", ledger.KindOperator),
		l.Mint(ctx, "grant", "agent", amount("100"), ""),
		l.Hold(ctx, "lease-1", "agent", amount("30")),
		l.CapturePartial(ctx, "lease-1", "tick-1", "operator", amount("7.5"), ""),
		l.CapturePartial(ctx, "lease-1", "tick-2", "operator", amount("7.5"), ""),
		l.CapturePartial(ctx, "lease-1", "tick-3", "operator", amount("4.25"), ""),
		l.Release(ctx, "lease-1", "done"),
		l.Hold(ctx, "lease-2", "agent", amount("10")),
		l.CapturePartial(ctx, "lease-2", "tick-4", "operator", amount("1"), ""),
		l.CapturePartial(ctx, "lease-2", "tick-5", "operator", amount("2"), ""),
		l.Capture(ctx, "lease-2", "tick-6", "operator", amount("3"), ""),
	} {
		if err != nil {
			tb.Fatalf("step %d: %v", i, err)
		}
	}
	return log.Events(0)
}

func TestConservationOfPartialCaptures(t *testing.T) {
	valid := leaseStream(t)
	if err := invariant.Check(valid); err != nil {
		t.Fatalf("the lease stream fails: %v", err)
	}
	tests := []struct {
		name   string
		evs    []events.Event
		detail string
	}{
		{
			name: "partial capture beyond what remains",
			evs: edit(valid, 8, func(p *events.HoldCaptured) {
				p.Amount, p.Remaining = "15.01", "0"
			}),
			detail: `hold "lease-1" captures 15.01 but holds only 15`,
		},
		{
			name:   "remaining does not add up",
			evs:    edit(valid, 7, func(p *events.HoldCaptured) { p.Remaining = "16" }),
			detail: `hold "lease-1" held 22.5 but captures 7.5, releases 0 and keeps 16`,
		},
		{
			name:   "release of what was placed, not what remains",
			evs:    edit(valid, 9, func(p *events.HoldReleased) { p.Amount = "30" }),
			detail: `hold "lease-1" held 10.75 but releases 30`,
		},
		{
			name:   "final capture releases too much",
			evs:    edit(valid, 13, func(p *events.HoldCaptured) { p.Released = "5" }),
			detail: `hold "lease-2" held 7 but captures 3 and releases 5`,
		},
		{
			name:   "partial capture after release",
			evs:    append(append([]events.Event(nil), valid[:10]...), valid[7]),
			detail: `hold "lease-1" captured but already released`,
		},
		{
			name:   "negative remaining",
			evs:    edit(valid, 11, func(p *events.HoldCaptured) { p.Remaining = "-1" }),
			detail: `remaining -1 is negative`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := invariant.CheckConservation(tt.evs)
			if !errors.Is(err, invariant.ErrViolation) {
				t.Fatalf("CheckConservation = %v, want a violation", err)
			}
			if !strings.Contains(err.Error(), tt.detail) {
				t.Errorf("CheckConservation = %v, want it to say %q", err, tt.detail)
			}
		})
	}
}
