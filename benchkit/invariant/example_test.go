package invariant_test

import (
	"errors"
	"fmt"
	"time"

	"github.com/scarcitylabs/scarcity/benchkit/invariant"
	"github.com/scarcitylabs/scarcity/events"
)

func ExampleCheck() {
	ledger := events.NewSequencer(events.SourceLedger, "run-1", 0)
	b := ledger.Batch(time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC))
	b.Add("mint", events.AccountOpened{AccountID: "mint", Kind: "mint", AllowNegative: true})
	b.Add("alice", events.AccountOpened{AccountID: "alice", Kind: "agent"})
	b.Add("bob", events.AccountOpened{AccountID: "bob", Kind: "agent"})
	b.Add("alice", events.CreditsMinted{Movement: events.Movement{
		TransferID: "t1", From: "mint", To: "alice", Amount: "10", FromBalance: "-10", ToBalance: "10",
	}})
	// alice pays bob more than she has.
	b.Add("alice", events.CreditsTransferred{Movement: events.Movement{
		TransferID: "t2", From: "alice", To: "bob", Amount: "15", FromBalance: "-5", ToBalance: "15",
	}})
	stream := b.Events()

	fmt.Println("first four events:", invariant.Check(stream[:4]))

	err := invariant.Check(stream)
	var v *invariant.Violation
	if errors.As(err, &v) {
		fmt.Println(errors.Is(err, invariant.ErrViolation), v.Check, "at", stream[4], "-", v.Detail)
	}
	// Output:
	// first four events: <nil>
	// true credits_conserved at ledger#5 credits_transferred alice - balance of "alice" is -5, below zero
}
