package ledger_test

import (
	"context"
	"errors"
	"fmt"
	"log"

	"github.com/cockroachdb/apd/v3"
	"github.com/scarcitylabs/scarcity/events"
	"github.com/scarcitylabs/scarcity/ledger"
)

// A transfer between two agents, and one the payer cannot cover: it is
// refused with a typed error and changes nothing.
func ExampleLedger_Transfer() {
	ctx := context.Background()
	l, err := ledger.New(ctx, ledger.Options{})
	if err != nil {
		log.Fatal(err)
	}
	for _, id := range []string{"alice", "bob"} {
		if err := l.Open(ctx, id, ledger.KindAgent); err != nil {
			log.Fatal(err)
		}
	}
	if err := l.Mint(ctx, "grant", "alice", apd.New(50, 0), "grant"); err != nil {
		log.Fatal(err)
	}
	fmt.Println(l.Transfer(ctx, "t1", "alice", "bob", apd.New(1250, -2), "a service"))
	err = l.Transfer(ctx, "t2", "alice", "bob", apd.New(100, 0), "too much")
	fmt.Println(errors.Is(err, ledger.ErrInsufficientCredit))
	for _, id := range []string{"alice", "bob"} {
		b, _ := l.Balance(id)
		fmt.Println(id, b.Posted.Text('f'))
	}
	// Output:
	// <nil>
	// true
	// alice 37.5
	// bob 12.5
}

// Rebuilding a ledger from its events gives the same balances, the same
// state hash and the same head of its hash chain.
func ExampleRestore() {
	ctx := context.Background()
	stream := events.NewLog(events.LogOptions{})
	l, err := ledger.New(ctx, ledger.Options{Publisher: stream})
	if err != nil {
		log.Fatal(err)
	}
	_ = l.Open(ctx, "alice", ledger.KindAgent)
	_ = l.Mint(ctx, "grant", "alice", apd.New(30, 0), "grant")
	_ = l.Burn(ctx, "fee", "alice", apd.New(5, 0), "fee")

	rebuilt, err := ledger.Restore(context.Background(), ledger.Options{}, stream.Events(0))
	if err != nil {
		log.Fatal(err)
	}
	b, _ := rebuilt.Balance("alice")
	fmt.Println("alice", b.Posted.Text('f'))
	fmt.Println("same state:", rebuilt.StateHash() == l.StateHash())
	fmt.Println("same chain:", rebuilt.LastHash() == l.LastHash())
	// Output:
	// alice 25
	// same state: true
	// same chain: true
}
