package scarcity_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/benbjohnson/clock"
	"github.com/cockroachdb/apd/v3"
	"github.com/scarcitylabs/scarcity"
	"github.com/scarcitylabs/scarcity/benchkit"
	"github.com/scarcitylabs/scarcity/bundle"
	"github.com/scarcitylabs/scarcity/events"
)

// A human rewards an agent twice within its daily budget; a third reward
// would go beyond it and is refused. The mint and the reward are one
// command on the stream, which passes the invariant checks.
func ExampleMarket_Reward() {
	ctx := context.Background()
	log := events.NewLog(events.LogOptions{})
	m, err := scarcity.New(ctx, scarcity.Config{
		Resources:    []bundle.Resource{{Name: "cpu", Unit: "percent", Capacity: 100, Enforcement: bundle.OSLevel}},
		RewardBudget: "50", // per human per day
		RewardPeriod: 24 * time.Hour,
		Clock:        clock.NewMock(),
		Publisher:    log,
	})
	if err != nil {
		panic(err)
	}
	if err := m.Open(ctx, "alice", apd.New(10, 0)); err != nil {
		panic(err)
	}
	fmt.Println(m.Reward(ctx, "r1", "carol", "alice", apd.New(30, 0), "clear summary"))
	fmt.Println(m.Reward(ctx, "r2", "carol", "alice", apd.New(20, 0), "found the bug"))
	err = m.Reward(ctx, "r3", "carol", "alice", apd.New(1, 0), "one more")
	fmt.Println(errors.Is(err, scarcity.ErrRewardBudget))

	for _, e := range log.Events(0) {
		switch d := e.Data.(type) {
		case events.CreditsMinted:
			fmt.Printf("%s: %s to %s as %s\n", e.Type, d.Amount, d.To, d.TransferID)
		case events.HumanRewardIssued:
			fmt.Printf("%s: %s gave %s %s for %q\n", e.Type, d.Human, d.AgentID, d.Amount, d.Reason)
		}
	}
	bal, _ := m.Ledger().Balance("alice")
	left, renews := m.RewardAllowance("carol")
	fmt.Println("alice has", bal.Posted, "; carol may give", left, "more until", renews.UTC().Format(time.DateTime))
	fmt.Println("invariants:", benchkit.Check(log.Events(0)))
	// Output:
	// <nil>
	// <nil>
	// true
	// credits_minted: 10 to alice as open/alice
	// credits_minted: 30 to alice as reward/carol/r1
	// human_reward_issued: carol gave alice 30 for "clear summary"
	// credits_minted: 20 to alice as reward/carol/r2
	// human_reward_issued: carol gave alice 20 for "found the bug"
	// alice has 60 ; carol may give 0 more until 1970-01-02 00:00:00
	// invariants: <nil>
}
