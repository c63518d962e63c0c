package ledger_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/benbjohnson/clock"

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

// A metered lease: hold the most a time bundle can cost, pay for each tick
// with a partial capture, then release what was not used.
func ExampleLedger_CapturePartial() {
	ctx := context.Background()
	stream := events.NewLog(events.LogOptions{})
	l, err := ledger.New(ctx, ledger.Options{Publisher: stream})
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
		l.Hold(ctx, "lease-1", "agent-1", amount("30")),
		l.CapturePartial(ctx, "lease-1", "tick-1", "operator", amount("7.5"), "cpu minute 1"),
		l.CapturePartial(ctx, "lease-1", "tick-2", "operator", amount("7.5"), "cpu minute 2"),
		l.CapturePartial(ctx, "lease-1", "tick-3", "operator", amount("4.25"), "cpu minute 3, partly idle"),
		l.Release(ctx, "lease-1", "lease ended"),
	}
	for _, err := range steps {
		if err != nil {
			log.Fatal(err)
		}
	}
	for _, e := range stream.Events(0) {
		switch p := e.Data.(type) {
		case events.HoldCaptured:
			fmt.Printf("%s: paid %s, still held %s\n", p.TransferID, p.Amount, p.Remaining)
		case events.HoldReleased:
			fmt.Printf("released %s (%s)\n", p.Amount, p.Reason)
		}
	}
	for _, id := range []string{"agent-1", "operator"} {
		b, _ := l.Balance(id)
		fmt.Printf("%-8s posted %s pending %s\n", id, b.Posted.Text('f'), b.Pending.Text('f'))
	}
	// Output:
	// tick-1: paid 7.5, still held 22.5
	// tick-2: paid 7.5, still held 15
	// tick-3: paid 4.25, still held 10.75
	// released 10.75 (lease ended)
	// agent-1  posted 80.75 pending 0
	// operator posted 19.25 pending 0
}

// A hold with a timeout is released by Expire once the clock reaches its
// deadline.
func ExampleLedger_Expire() {
	ctx := context.Background()
	mock := clock.NewMock()
	l, err := ledger.New(ctx, ledger.Options{Clock: mock})
	if err != nil {
		log.Fatal(err)
	}
	amount, _ := l.ParseAmount("40")
	steps := []error{
		l.Open(ctx, "agent-1", ledger.KindAgent),
		l.Mint(ctx, "grant-1", "agent-1", amount, ""),
		l.HoldWithTimeout(ctx, "bid-1", "agent-1", amount, 5*time.Minute),
	}
	for _, err := range steps {
		if err != nil {
			log.Fatal(err)
		}
	}
	next, _ := l.NextExpiry()
	fmt.Println("expires after", next.Sub(mock.Now()))
	mock.Add(5 * time.Minute)
	if err := l.Expire(ctx); err != nil {
		log.Fatal(err)
	}
	b, _ := l.Balance("agent-1")
	_, open := l.HoldAmount("bid-1")
	fmt.Println("open", open, "available", b.Available.Text('f'))
	// Output:
	// expires after 5m0s
	// open false available 40
}
