package ledger_test

import (
	"context"
	"fmt"
	"log"

	"github.com/cockroachdb/apd/v3"
	"github.com/scarcitylabs/scarcity/events"
	"github.com/scarcitylabs/scarcity/ledger"
)

func Example() {
	ctx := context.Background()
	stream := events.NewLog(events.LogOptions{})
	l, err := ledger.New(ctx, ledger.Options{Publisher: stream, Correlation: "demo"})
	if err != nil {
		log.Fatal(err)
	}
	amount := func(s string) *apd.Decimal {
		d, err := l.ParseAmount(s)
		if err != nil {
			log.Fatal(err)
		}
		return d
	}
	steps := []error{
		l.Open(ctx, "agent-1", ledger.KindAgent),
		l.Open(ctx, "operator", ledger.KindOperator),
		l.Mint(ctx, "grant-1", "agent-1", amount("100"), "welcome grant"),
		// Set 40 credits aside for a bid, then pay 32.5 of them when it clears.
		l.Hold(ctx, "bid-1", "agent-1", amount("40")),
		l.Capture(ctx, "bid-1", "pay-1", "operator", amount("32.5"), "cpu for 10 minutes"),
	}
	for _, err := range steps {
		if err != nil {
			log.Fatal(err)
		}
	}
	for _, id := range []string{"agent-1", "operator", ledger.MintAccount} {
		b, _ := l.Balance(id)
		fmt.Printf("%-8s posted %6s pending %s available %s\n", id, b.Posted.Text('f'), b.Pending.Text('f'), b.Available.Text('f'))
	}
	fmt.Println("sum", l.Sum().Text('f'))
	for _, e := range stream.Events(0) {
		fmt.Println(e)
	}
	last := stream.Events(stream.Len())[0].Data.(events.HoldCaptured)
	fmt.Printf("captured %s to %s, released %s\n", last.Amount, last.To, last.Released)
	// Output:
	// agent-1  posted   67.5 pending 0 available 67.5
	// operator posted   32.5 pending 0 available 32.5
	// mint     posted   -100 pending 0 available -100
	// sum 0
	// ledger#1 account_opened mint
	// ledger#2 account_opened burn
	// ledger#3 account_opened agent-1
	// ledger#4 account_opened operator
	// ledger#5 credits_minted agent-1
	// ledger#6 hold_placed agent-1
	// ledger#7 hold_captured agent-1
	// captured 32.5 to operator, released 7.5
}
