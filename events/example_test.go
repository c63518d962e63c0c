package events_test

import (
	"context"
	"fmt"
	"time"

	"github.com/scarcitylabs/scarcity/events"
)

func ExampleSequencer() {
	ctx := context.Background()
	log := events.NewLog(events.LogOptions{})
	defer log.Close()

	ledger := events.NewSequencer(events.SourceLedger, "run-1", 0)
	now := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)

	b := ledger.Batch(now)
	b.Add("mint", events.AccountOpened{AccountID: "mint", Kind: "mint", AllowNegative: true})
	b.Add("alice", events.AccountOpened{AccountID: "alice", Kind: "agent"})
	if err := b.Publish(ctx, log); err != nil {
		fmt.Println(err)
		return
	}

	b = ledger.Batch(now.Add(time.Second))
	b.Add("alice", events.CreditsMinted{Movement: events.Movement{
		TransferID: "t1", From: "mint", To: "alice", Amount: "100",
		FromBalance: "-100", ToBalance: "100",
	}})
	if err := b.Publish(ctx, log); err != nil {
		fmt.Println(err)
		return
	}

	for _, e := range log.Events(1) {
		fmt.Println(e)
	}
	fmt.Println("last sequence:", ledger.Last())
	// Output:
	// ledger#1 account_opened mint
	// ledger#2 account_opened alice
	// ledger#3 credits_minted alice
	// last sequence: 3
}

func ExampleEncode() {
	s := events.NewSequencer(events.SourceMarket, "run-1", 0)
	b := s.Batch(time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC))
	e := b.Add("agent-7", events.BidRejected{OrderID: "o-1", AgentID: "agent-7", Reason: events.ReasonInsufficientBalance})

	data, err := events.Encode(e)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(string(data))

	back, err := events.Decode(data)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(back.Data.(events.BidRejected).Reason)
	// Output:
	// {"specversion":"1.0","id":"1735787045000000000-run-1-market-000000000001","source":"market","type":"bid_rejected","subject":"agent-7","time":"2025-01-02T03:04:05Z","datacontenttype":"application/json","dataschema":"https://github.com/scarcitylabs/scarcity/raw/main/contract/schemas/v1/events/bid_rejected.json","sequence":"1","correlationid":"run-1","schemaversion":1,"data":{"order_id":"o-1","agent_id":"agent-7","reason":"insufficient_balance"}}
	// insufficient_balance
}
