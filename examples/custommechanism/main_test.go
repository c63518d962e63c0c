package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/benbjohnson/clock"
	"github.com/cockroachdb/apd/v3"
	"github.com/scarcitylabs/scarcity/auction"
	"github.com/scarcitylabs/scarcity/bundle"
	"github.com/scarcitylabs/scarcity/events"
)

func TestCustomMechanismRunsInTheMarket(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), &out, options{Rounds: 30, Agents: 10, Seed: 1}); err != nil {
		t.Fatalf("run: %v\n%s", err, out.String())
	}
	text := out.String()
	for _, want := range []string{"mechanism: proportional_share", "every round verified by auction.Verify", "benchkit: PASS"} {
		if !strings.Contains(text, want) {
			t.Errorf("output lacks %q:\n%s", want, text)
		}
	}
	rounds, winners := roundLines(t, text)
	if len(rounds) != 30 {
		t.Fatalf("printed %d rounds, want 30:\n%s", len(rounds), text)
	}
	if len(winners) < 5 {
		t.Errorf("only %d distinct winners over 30 rounds: the lottery should spread the wins:\n%s", len(winners), text)
	}
}

// roundLines returns the round lines of the output and the distinct
// winners they name.
func roundLines(t *testing.T, text string) ([]string, map[string]bool) {
	t.Helper()
	var rounds []string
	winners := map[string]bool{}
	in := false
	for _, l := range strings.Split(text, "\n") {
		switch {
		case strings.HasPrefix(l, "round "):
			in = true
		case in && l == "":
			return rounds, winners
		case in:
			f := strings.Fields(l)
			if len(f) < 6 || len(f)-6 > 2 {
				t.Fatalf("round line %q: want at most two winners", l)
			}
			for _, w := range f[6:] {
				winners[w] = true
			}
			rounds = append(rounds, l)
		}
	}
	return rounds, winners
}

func TestCustomMechanismIsDeterministic(t *testing.T) {
	var a, b bytes.Buffer
	for _, w := range []*bytes.Buffer{&a, &b} {
		if err := run(context.Background(), w, options{Rounds: 5, Agents: 6, Seed: 7}); err != nil {
			t.Fatalf("run: %v", err)
		}
	}
	if a.String() != b.String() {
		t.Errorf("two runs with the same seed differ:\n%s\n---\n%s", a.String(), b.String())
	}
}

func TestProportionalShareKeepsTheContract(t *testing.T) {
	cat, err := bundle.NewCatalog(resources...)
	if err != nil {
		t.Fatal(err)
	}
	bid := func(id string, cpu int64, limit int64) auction.Bid {
		return auction.Bid{ID: id, Agent: id, Limit: apd.New(limit, 0), Bundle: bundle.Bundle{
			Quantities: bundle.Quantities{"cpu": cpu, "memory": 1}, Window: bundle.Window{Duration: time.Minute}}}
	}
	r := auction.Round{
		Number:   3,
		At:       clock.NewMock().Now(),
		Bids:     []auction.Bid{bid("a", 60, 5), bid("b", 60, 9), bid("c", 40, 2), bid("d", 10, 0)},
		Calendar: bundle.NewCalendar(cat),
		Reserve:  bundle.Prices{"cpu": apd.New(1, -4), "memory": apd.New(1, -4)},
		Scale:    6,
	}
	res, err := proportionalShare{Seed: 1}.Clear(r)
	if err != nil {
		t.Fatal(err)
	}
	if err := auction.Verify(r, res); err != nil {
		t.Fatalf("Verify: %v", err)
	}
	reasons := map[string]events.RejectReason{}
	for _, rej := range res.Rejections {
		reasons[rej.Bid.ID] = rej.Reason
	}
	if reasons["d"] != events.ReasonBelowReserve {
		t.Errorf("bid d below its reserve cost: got reason %q", reasons["d"])
	}
	if len(res.Allocations) != 2 || reasons["a"] != events.ReasonExceedsCapacity && reasons["b"] != events.ReasonExceedsCapacity {
		t.Errorf("want one of a and b admitted with c, the other out of capacity; got %d winners, rejections %v", len(res.Allocations), reasons)
	}
	for _, a := range res.Allocations {
		if a.Payment.Cmp(a.Bid.Limit) != 0 {
			t.Errorf("%s pays %s, want its bid %s", a.Bid.ID, a.Payment.Text('f'), a.Bid.Limit.Text('f'))
		}
	}
}
