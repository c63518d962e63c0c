package agentapi

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/benbjohnson/clock"
	"github.com/google/go-cmp/cmp"
	"github.com/scarcitylabs/scarcity"
	"github.com/scarcitylabs/scarcity/bundle"
	"github.com/scarcitylabs/scarcity/events"
)

// script trades as alice and bob through as, with the operator's actions
// on m directly, and returns what each call returned.
func script(t *testing.T, m *scarcity.Market, clk *clock.Mock, as func(string) scarcity.AgentAPI) []string {
	ctx := context.Background()
	var out []string
	note := func(what string, err error, v ...any) {
		out = append(out, fmt.Sprintf("%s: %s %v", what, codeOf(err), v))
	}
	alice, bob := as("alice"), as("bob")
	note("open alice", alice.OpenAccount(ctx, "alice"))
	note("open bob", bob.OpenAccount(ctx, "bob"))
	note("open alice again", alice.OpenAccount(ctx, "alice"))
	for _, a := range []string{"alice", "bob"} {
		if err := m.Mint(ctx, "grant-"+a, a, dec("100"), "grant"); err != nil {
			t.Fatal(err)
		}
	}
	ten := func(q bundle.Quantities) bundle.Bundle {
		return bundle.Bundle{Quantities: q, Window: bundle.Window{Duration: 10 * time.Minute}}
	}
	note("bid a1", alice.Bid(ctx, scarcity.Bid{ID: "a1", Agent: "alice", Bundle: ten(bundle.Quantities{"cpu": 60, "tokens": 50}), Limit: dec("80")}))
	note("bid b1", bob.Bid(ctx, scarcity.Bid{ID: "b1", Agent: "bob", Bundle: ten(bundle.Quantities{"cpu": 60}), Limit: dec("45.5")}))
	note("bid b2", bob.Bid(ctx, scarcity.Bid{ID: "b2", Agent: "bob", Bundle: ten(bundle.Quantities{"cpu": 10}), Limit: dec("5")}))
	note("cancel b2", bob.Cancel(ctx, "bob", "b2"))
	note("cancel unknown", bob.Cancel(ctx, "bob", "nope"))
	note("cancel a1 as bob", bob.Cancel(ctx, "bob", "a1"))
	err := alice.Bid(ctx, scarcity.Bid{ID: "a2", Agent: "alice", Bundle: ten(bundle.Quantities{"cpu": 1}), Limit: dec("1000")})
	var rej *scarcity.RejectedError
	note("bid a2 too dear", err, errors.As(err, &rej) && rej.Reason == events.ReasonInsufficientBalance)
	note("bid a3 bad bundle", alice.Bid(ctx, scarcity.Bid{ID: "a3", Agent: "alice", Bundle: ten(bundle.Quantities{"gpu": 1}), Limit: dec("1")}))
	bal, err := alice.Balance(ctx, "alice")
	note("balance alice", err, bal.Posted, bal.Pending, bal.Available, bal.Kind)
	prices, err := alice.QueryPrices(ctx)
	note("prices", err, prices)

	clk.Add(time.Minute)
	if err := m.Tick(ctx); err != nil {
		t.Fatal(err)
	}
	prices, err = bob.QueryPrices(ctx)
	note("prices after round", err, prices)
	note("use 10", alice.Use(ctx, "alice", "tokens", 10))
	err = alice.Use(ctx, "alice", "tokens", 1000)
	var denied interface{ Error() string }
	note("use too much", err, errors.As(err, &denied))
	note("bob use", bob.Use(ctx, "bob", "tokens", 1))
	note("report cpu", alice.Report(ctx, "alice", "cpu", 50))
	note("report tokens", alice.Report(ctx, "alice", "tokens", 1))
	note("use gpu", alice.Use(ctx, "alice", "gpu", 1))

	id, err := alice.Reserve(ctx, "alice", "tokens", 20, time.Minute)
	note("reserve", err, id)
	note("commit over", alice.Commit(ctx, "alice", id, 21))
	note("commit", alice.Commit(ctx, "alice", id, 5))
	id2, err := alice.Reserve(ctx, "alice", "tokens", 5, time.Minute)
	note("reserve 2", err, id2)
	note("cancel reservation", alice.CancelReservation(ctx, "alice", id2))
	note("commit cancelled", alice.Commit(ctx, "alice", id2, 1))

	note("transfer", alice.Transfer(ctx, "t1", "alice", "bob", dec("5.25")))
	note("transfer again", alice.Transfer(ctx, "t1", "alice", "bob", dec("5.25")))
	note("transfer other fields", alice.Transfer(ctx, "t1", "alice", "bob", dec("6")))
	note("transfer too much", alice.Transfer(ctx, "t2", "alice", "bob", dec("1000")))
	note("transfer to nobody", alice.Transfer(ctx, "t3", "alice", "carol", dec("1")))
	note("transfer to self", alice.Transfer(ctx, "t4", "alice", "alice", dec("1")))
	note("transfer too fine", alice.Transfer(ctx, "t5", "alice", "bob", dec("0.0000001")))

	clk.Add(2 * time.Minute)
	if err := m.Tick(ctx); err != nil {
		t.Fatal(err)
	}
	note("bob releases a1", func() error { _, _, err := bob.Release(ctx, "bob", "bundle/a1"); return err }())
	unused, total, err := alice.Release(ctx, "alice", "bundle/a1")
	note("release a1", err, unused, total)
	for _, a := range []string{"alice", "bob"} {
		bal, err := as(a).Balance(ctx, a)
		note("balance "+a, err, bal.Posted, bal.Pending, bal.Available)
	}
	return out
}

// A remote agent's calls have the same results, state and events as the
// same calls in process.
func TestRemoteMatchesInProcess(t *testing.T) {
	local, lclk, llog := newMarket(t)
	want := script(t, local, lclk, func(string) scarcity.AgentAPI { return local })

	r := serveMarket(t, "alice", "bob")
	got := script(t, r.m, r.clk, func(a string) scarcity.AgentAPI { return r.clients[a] })

	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("outcomes (-in process +remote):\n%s", diff)
	}
	if diff := cmp.Diff(llog.Events(0), r.log.Events(0)); diff != "" {
		t.Errorf("events (-in process +remote):\n%s", diff)
	}
	if diff := cmp.Diff(local.Ledger().Balances(), r.m.Ledger().Balances(), cmp.Comparer(decimalEqual)); diff != "" {
		t.Errorf("balances (-in process +remote):\n%s", diff)
	}
	if testing.Verbose() {
		for _, line := range got {
			t.Log(line)
		}
	}
}
