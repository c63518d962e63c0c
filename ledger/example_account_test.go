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

func ExampleLedger_OpenWith() {
	ctx := context.Background()
	l, err := ledger.New(ctx, ledger.Options{})
	if err != nil {
		log.Fatal(err)
	}
	limit, _, _ := apd.NewFromString("50")
	ten, _, _ := apd.NewFromString("10")
	fifty, _, _ := apd.NewFromString("50")
	if err := l.OpenWith(ctx, "vendor-1", ledger.AccountOptions{Kind: "vendor", OverdraftLimit: limit}); err != nil {
		log.Fatal(err)
	}
	if err := l.Open(ctx, "agent-1", ledger.KindAgent); err != nil {
		log.Fatal(err)
	}
	fmt.Println(l.Transfer(ctx, "t1", "vendor-1", "agent-1", fifty, "advance"))
	fmt.Println(errors.Is(l.Transfer(ctx, "t2", "vendor-1", "agent-1", ten, ""), ledger.ErrInsufficientCredit))
	b, _ := l.Balance("vendor-1")
	fmt.Println(b.Available.Text('f'))
	// Pay it back, then close the account.
	fmt.Println(l.Transfer(ctx, "t3", "agent-1", "vendor-1", fifty, "repay"))
	fmt.Println(l.Close(ctx, "vendor-1"))
	fmt.Println(errors.Is(l.Transfer(ctx, "t4", "agent-1", "vendor-1", ten, ""), ledger.ErrClosedAccount))
	// Output:
	// <nil>
	// true
	// -50
	// <nil>
	// <nil>
	// true
}

func ExampleRestoreFrom() {
	ctx := context.Background()
	stream := events.NewLog(events.LogOptions{})
	l, err := ledger.New(ctx, ledger.Options{Publisher: stream})
	if err != nil {
		log.Fatal(err)
	}
	hundred, _, _ := apd.NewFromString("100")
	seven, _, _ := apd.NewFromString("7.25")
	must := func(err error) {
		if err != nil {
			log.Fatal(err)
		}
	}
	must(l.Open(ctx, "a", ledger.KindAgent))
	must(l.Open(ctx, "b", ledger.KindAgent))
	must(l.Mint(ctx, "grant", "a", hundred, ""))
	snap := l.Snapshot()
	must(l.Transfer(ctx, "t1", "a", "b", seven, ""))

	r, err := ledger.RestoreFrom(context.Background(), ledger.Options{}, snap, stream.Events(0))
	must(err)
	b, _ := r.Balance("b")
	fmt.Println(b.Posted.Text('f'), r.LastSequence(), r.StateHash() == l.StateHash())

	// A changed event breaks the chain, which names it.
	evs := stream.Events(0)
	last := evs[len(evs)-1]
	tr := last.Data.(events.CreditsTransferred)
	tr.Amount, tr.ToBalance = "8", "8"
	evs[len(evs)-1].Data = tr
	_, err = ledger.Restore(context.Background(), ledger.Options{}, evs)
	var broken *events.ChainError
	fmt.Println(errors.Is(err, ledger.ErrRestore), errors.Is(err, events.ErrTampered))
	fmt.Println(errors.As(err, &broken) && broken.EventID == last.ID)
	// Output:
	// 7.25 6 true
	// true true
	// true
}
