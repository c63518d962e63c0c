package scarcity_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/cockroachdb/apd/v3"
	"github.com/google/go-cmp/cmp"
	"pgregory.net/rapid"

	"github.com/scarcitylabs/scarcity"
	"github.com/scarcitylabs/scarcity/benchkit"
	"github.com/scarcitylabs/scarcity/benchkit/invariant"
	"github.com/scarcitylabs/scarcity/events"
	"github.com/scarcitylabs/scarcity/ledger"
)

// rewardConfig is a market whose humans may each give 100 credits an hour.
func rewardConfig() scarcity.Config {
	return scarcity.Config{RewardBudget: "100", RewardPeriod: time.Hour}
}

func TestRewardMintsAndPublishesInOneUnit(t *testing.T) {
	f := newFixture(t, rewardConfig())
	f.open(t, "alice", 10)
	before := f.log.Len()
	if err := f.m.Reward(f.ctx, "r1", "carol", "alice", dec("25.50"), "a useful summary"); err != nil {
		t.Fatal(err)
	}
	if got := f.balance(t, "alice").Posted; got.Cmp(dec("35.5")) != 0 {
		t.Errorf("alice has %s, want 35.5", got)
	}
	evs := f.log.Events(0)
	unit := evs[before:]
	var types []events.Type
	for _, e := range unit {
		types = append(types, e.Type)
	}
	if diff := cmp.Diff([]events.Type{events.TypeCreditsMinted, events.TypeHumanRewardIssued}, types); diff != "" {
		t.Fatalf("events of the reward (-want +got):\n%s", diff)
	}
	mint, reward := unit[0], unit[1]
	if mint.Seal || !reward.Seal {
		t.Errorf("mint sealed %v, reward sealed %v: want one group ending with the reward", mint.Seal, reward.Seal)
	}
	wantMint := events.CreditsMinted{Movement: events.Movement{TransferID: "reward/carol/r1", From: ledger.MintAccount, To: "alice",
		Amount: "25.5", Reason: "a useful summary", FromBalance: mint.Data.(events.CreditsMinted).FromBalance, ToBalance: "35.5"}}
	if diff := cmp.Diff(wantMint, mint.Data); diff != "" {
		t.Errorf("credits_minted (-want +got):\n%s", diff)
	}
	want := events.HumanRewardIssued{AgentID: "alice", Human: "carol", Amount: "25.5", Reason: "a useful summary", TransferID: "reward/carol/r1"}
	if diff := cmp.Diff(want, reward.Data); diff != "" {
		t.Errorf("human_reward_issued (-want +got):\n%s", diff)
	}
	if reward.Source != events.SourceMarket || reward.Subject != "alice" || !reward.Time.Equal(f.clk.Now()) {
		t.Errorf("reward event %v: want source market, subject alice, time %v", reward, f.clk.Now())
	}
	if got := events.Counterparty(reward); got != "carol" {
		t.Errorf("counterparty %q, want the human", got)
	}
	benchkit.AssertInvariants(t, evs)
	left, renews := f.m.RewardAllowance("carol")
	if left.Cmp(dec("74.5")) != 0 || !renews.Equal(f.clk.Now().Truncate(time.Hour).Add(time.Hour)) {
		t.Errorf("allowance %s until %v", left, renews)
	}
}

func TestRewardRefusesBadInputAndChangesNothing(t *testing.T) {
	long := strings.Repeat("x", scarcity.MaxRewardReasonLen+1)
	nan := new(apd.Decimal)
	nan.Form = apd.NaN
	for _, c := range []struct {
		name                 string
		id, human, agent     string
		amount               *apd.Decimal
		reason               string
		want, alsoWant       error
		cfgBudget, cfgPeriod string
	}{
		{name: "unknown agent", id: "r", human: "carol", agent: "nobody", amount: dec("1"), want: scarcity.ErrUnknownAgent},
		{name: "system account", id: "r", human: "carol", agent: scarcity.OperatorAccount, amount: dec("1"), want: scarcity.ErrUnknownAgent},
		{name: "zero", id: "r", human: "carol", agent: "alice", amount: dec("0"), want: scarcity.ErrInvalidReward, alsoWant: ledger.ErrInvalidAmount},
		{name: "negative", id: "r", human: "carol", agent: "alice", amount: dec("-5"), want: scarcity.ErrInvalidReward, alsoWant: ledger.ErrInvalidAmount},
		{name: "nil", id: "r", human: "carol", agent: "alice", want: scarcity.ErrInvalidReward, alsoWant: ledger.ErrInvalidAmount},
		{name: "NaN", id: "r", human: "carol", agent: "alice", amount: nan, want: scarcity.ErrInvalidReward, alsoWant: ledger.ErrInvalidAmount},
		{name: "too fine", id: "r", human: "carol", agent: "alice", amount: dec("0.0000001"), want: scarcity.ErrInvalidReward, alsoWant: ledger.ErrInvalidAmount},
		{name: "absurd", id: "r", human: "carol", agent: "alice", amount: dec("1e30"), want: scarcity.ErrInvalidReward, alsoWant: ledger.ErrInvalidAmount},
		{name: "empty human", id: "r", human: "", agent: "alice", amount: dec("1"), want: scarcity.ErrInvalidReward, alsoWant: scarcity.ErrInvalidID},
		{name: "human not an id", id: "r", human: "ca rol", agent: "alice", amount: dec("1"), want: scarcity.ErrInvalidReward, alsoWant: scarcity.ErrInvalidID},
		{name: "empty id", id: "", human: "carol", agent: "alice", amount: dec("1"), want: scarcity.ErrInvalidReward, alsoWant: scarcity.ErrInvalidID},
		{name: "self", id: "r", human: "alice", agent: "alice", amount: dec("1"), want: scarcity.ErrInvalidReward},
		{name: "long reason", id: "r", human: "carol", agent: "alice", amount: dec("1"), reason: long, want: scarcity.ErrInvalidReward},
		{name: "reason not UTF-8", id: "r", human: "carol", agent: "alice", amount: dec("1"), reason: "\xff", want: scarcity.ErrInvalidReward},
		{name: "beyond budget", id: "r", human: "carol", agent: "alice", amount: dec("100.000001"), want: scarcity.ErrRewardBudget},
		{name: "disabled by default", id: "r", human: "carol", agent: "alice", amount: dec("1"), want: scarcity.ErrRewardBudget, cfgBudget: "-"},
		{name: "disabled by zero", id: "r", human: "carol", agent: "alice", amount: dec("1"), want: scarcity.ErrRewardBudget, cfgBudget: "0.00"},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg := rewardConfig()
			switch c.cfgBudget {
			case "":
			case "-":
				cfg = scarcity.Config{}
			default:
				cfg.RewardBudget = c.cfgBudget
			}
			f := newFixture(t, cfg)
			f.open(t, "alice", 10)
			before, hash := f.log.Len(), f.m.Ledger().StateHash()
			err := f.m.Reward(f.ctx, c.id, c.human, c.agent, c.amount, c.reason)
			if !errors.Is(err, c.want) || c.alsoWant != nil && !errors.Is(err, c.alsoWant) {
				t.Fatalf("Reward: %v, want %v and %v", err, c.want, c.alsoWant)
			}
			if f.log.Len() != before || f.m.Ledger().StateHash() != hash {
				t.Errorf("a refused reward published %d events or changed the ledger", f.log.Len()-before)
			}
			if left, _ := f.m.RewardAllowance("carol"); cfg.RewardBudget == "100" && left.Cmp(dec("100")) != 0 {
				t.Errorf("a refused reward spent the budget: %s left", left)
			}
		})
	}
}

func TestRewardConfig(t *testing.T) {
	for _, c := range []struct {
		budget string
		period time.Duration
		ok     bool
	}{
		{"", 0, true}, {"0", 0, true}, {"100", 0, true}, {"0.000001", time.Second, true},
		{"1000000000000000", 0, true},
		{"-1", 0, false}, {"abc", 0, false}, {"1e3", 0, false}, {"NaN", 0, false},
		{"0.0000001", 0, false}, {"1000000000000000.1", 0, false}, {"10", -time.Hour, false},
	} {
		cfg := scarcity.Config{Resources: testResources, RewardBudget: c.budget, RewardPeriod: c.period}
		_, err := scarcity.New(t.Context(), cfg)
		if ok := err == nil; ok != c.ok || !ok && !errors.Is(err, scarcity.ErrInvalidOptions) {
			t.Errorf("RewardBudget %q per %v: %v", c.budget, c.period, err)
		}
	}
}

func TestRewardRetries(t *testing.T) {
	f := newFixture(t, rewardConfig())
	f.open(t, "alice", 0)
	f.open(t, "bob", 0)
	if err := f.m.Reward(f.ctx, "r1", "carol", "alice", dec("100"), "all of it"); err != nil {
		t.Fatal(err)
	}
	published := f.log.Len()
	// The budget is spent, but a retry is the same reward: it succeeds
	// and changes nothing.
	if err := f.m.Reward(f.ctx, "r1", "carol", "alice", dec("100.0"), "all of it"); err != nil {
		t.Errorf("retry: %v", err)
	}
	for _, c := range []struct {
		agent, amount, reason string
	}{{"bob", "100", "all of it"}, {"alice", "99", "all of it"}, {"alice", "100", "another reason"}} {
		if err := f.m.Reward(f.ctx, "r1", "carol", c.agent, dec(c.amount), c.reason); !errors.Is(err, ledger.ErrExistsWithDifferentFields) {
			t.Errorf("r1 again with %v: %v, want ErrExistsWithDifferentFields", c, err)
		}
	}
	if f.log.Len() != published || f.balance(t, "alice").Posted.Cmp(dec("100")) != 0 {
		t.Errorf("retries published %d events; alice has %s", f.log.Len()-published, f.balance(t, "alice").Posted)
	}
	// Ids are each human's own: dave's r1 is another reward.
	if err := f.m.Reward(f.ctx, "r1", "dave", "alice", dec("1"), ""); err != nil {
		t.Errorf("dave's r1: %v", err)
	}
	// After a restore the retry is still recognised, and the budget still spent.
	m, err := scarcity.Restore(f.ctx, f.cfg, f.log.Events(0))
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Reward(f.ctx, "r1", "carol", "alice", dec("100"), "all of it"); err != nil {
		t.Errorf("retry after restore: %v", err)
	}
	if err := m.Reward(f.ctx, "r2", "carol", "alice", dec("0.000001"), ""); !errors.Is(err, scarcity.ErrRewardBudget) {
		t.Errorf("beyond the budget after restore: %v", err)
	}
}

// TestRewardBudgetProperty gives random rewards on a mock clock: a reward
// within what its human may still give this period succeeds, one beyond it
// fails with ErrRewardBudget and changes nothing, a period renews every
// budget, and a market restored from its stream, at any point, holds what
// each human gave.
func TestRewardBudgetProperty(t *testing.T) {
	humans := []string{"h0", "h1", "h2"}
	agents := []string{"a0", "a1"}
	rapid.Check(t, func(t *rapid.T) {
		cfg := scarcity.Config{RewardBudget: "50", RewardPeriod: 10 * time.Minute}
		if rapid.Bool().Draw(t, "retention") {
			cfg.Retention = 15 * time.Minute
		}
		f := newFixture(t, cfg)
		for _, a := range agents {
			if err := f.m.Open(f.ctx, a, nil); err != nil {
				t.Fatalf("Open: %v", err)
			}
		}
		budget := dec("50")
		type given struct {
			human, agent, reason string
			amount               *apd.Decimal
			at                   time.Time
		}
		var (
			period  time.Time
			spent   = map[string]*apd.Decimal{}
			done    = map[string]given{} // by human/id
			ids     []string
			balance = map[string]*apd.Decimal{"a0": new(apd.Decimal), "a1": new(apd.Decimal)}
		)
		add := func(x, y *apd.Decimal) *apd.Decimal {
			var z apd.Decimal
			if _, err := apd.BaseContext.WithPrecision(40).Add(&z, x, y); err != nil {
				t.Fatal(err)
			}
			return &z
		}
		sub := func(x, y *apd.Decimal) *apd.Decimal { return add(x, new(apd.Decimal).Neg(y)) }
		roll := func() {
			if p := f.clk.Now().Truncate(cfg.RewardPeriod); !p.Equal(period) {
				period, spent = p, map[string]*apd.Decimal{}
			}
		}
		spentBy := func(h string) *apd.Decimal {
			if s, ok := spent[h]; ok {
				return s
			}
			return new(apd.Decimal)
		}
		checkAllowances := func(m *scarcity.Market, when string) {
			roll()
			for _, h := range humans {
				left, renews := m.RewardAllowance(h)
				if want := sub(budget, spentBy(h)); left.Cmp(want) != 0 {
					t.Fatalf("%s: %s may give %s, want %s", when, h, left, want)
				}
				if !renews.Equal(period.Add(cfg.RewardPeriod)) {
					t.Fatalf("%s: renews %v, want %v", when, renews, period.Add(cfg.RewardPeriod))
				}
			}
		}
		t.Repeat(map[string]func(*rapid.T){
			"reward": func(t *rapid.T) {
				h := rapid.SampledFrom(humans).Draw(t, "human")
				a := rapid.SampledFrom(agents).Draw(t, "agent")
				amount := apd.New(rapid.Int64Range(1, 40_000_000).Draw(t, "micro credits"), -6)
				reason := rapid.SampledFrom([]string{"", "good work"}).Draw(t, "reason")
				id := fmt.Sprintf("r%d", len(ids))
				roll()
				before, hash := f.log.Len(), f.m.Ledger().StateHash()
				err := f.m.Reward(f.ctx, id, h, a, amount, reason)
				within := add(spentBy(h), amount).Cmp(budget) <= 0
				switch {
				case within && err != nil:
					t.Fatalf("%s gives %s within its budget (%s given): %v", h, amount, spentBy(h), err)
				case !within && !errors.Is(err, scarcity.ErrRewardBudget):
					t.Fatalf("%s gives %s beyond its budget (%s given): %v, want ErrRewardBudget", h, amount, spentBy(h), err)
				case !within:
					if f.log.Len() != before || f.m.Ledger().StateHash() != hash {
						t.Fatalf("a refused reward changed the market")
					}
					return
				}
				spent[h] = add(spentBy(h), amount)
				balance[a] = add(balance[a], amount)
				key := h + "/" + id
				done[key] = given{human: h, agent: a, reason: reason, amount: amount, at: f.clk.Now()}
				ids = append(ids, key)
			},
			"retry": func(t *rapid.T) {
				if len(ids) == 0 {
					t.Skip("no reward yet")
				}
				key := rapid.SampledFrom(ids).Draw(t, "reward")
				g := done[key]
				if cfg.Retention > 0 && !f.clk.Now().Before(g.at.Add(cfg.Retention)) {
					t.Skip("forgotten: a new reward")
				}
				_, id, _ := strings.Cut(key, "/")
				before := f.log.Len()
				if err := f.m.Reward(f.ctx, id, g.human, g.agent, g.amount, g.reason); err != nil {
					t.Fatalf("retry of %s: %v", key, err)
				}
				if f.log.Len() != before {
					t.Fatalf("a retry published %d events", f.log.Len()-before)
				}
			},
			"advance": func(t *rapid.T) {
				f.clk.Add(time.Duration(rapid.IntRange(1, 12*60).Draw(t, "seconds")) * time.Second)
			},
			"restore": func(t *rapid.T) {
				m, err := scarcity.Restore(f.ctx, f.cfg, f.log.Events(0))
				if err != nil {
					t.Fatalf("Restore: %v", err)
				}
				f.m = m
				checkAllowances(m, "after restore")
			},
			"": func(t *rapid.T) {
				checkAllowances(f.m, "live")
				for a, want := range balance {
					b, err := f.m.Ledger().Balance(a)
					if err != nil {
						t.Fatal(err)
					}
					if got := b.Posted; got.Cmp(want) != 0 {
						t.Fatalf("%s has %s, want %s", a, got, want)
					}
				}
			},
		})
		if err := invariant.CheckWith(f.log.Events(0), invariant.Options{Retention: cfg.Retention}); err != nil {
			t.Fatalf("invariants: %v", err)
		}
	})
}

// TestRewardPeriodRollsOver spends a budget, is refused, and gives again
// once the mock clock reaches the next period, and not before.
func TestRewardPeriodRollsOver(t *testing.T) {
	f := newFixture(t, rewardConfig()) // the clock is at a whole hour
	f.open(t, "alice", 0)
	f.clk.Add(30 * time.Minute)
	if err := f.m.Reward(f.ctx, "r1", "carol", "alice", dec("60"), ""); err != nil {
		t.Fatal(err)
	}
	if err := f.m.Reward(f.ctx, "r2", "carol", "alice", dec("40.01"), ""); !errors.Is(err, scarcity.ErrRewardBudget) {
		t.Fatalf("beyond the budget: %v", err)
	}
	f.clk.Add(30*time.Minute - time.Nanosecond)
	if err := f.m.Reward(f.ctx, "r2", "carol", "alice", dec("40.01"), ""); !errors.Is(err, scarcity.ErrRewardBudget) {
		t.Fatalf("a nanosecond before the next period: %v", err)
	}
	f.clk.Add(time.Nanosecond)
	if err := f.m.Reward(f.ctx, "r2", "carol", "alice", dec("100"), ""); err != nil {
		t.Fatalf("in the next period: %v", err)
	}
}
