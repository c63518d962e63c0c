package ledger

import (
	"context"
	"strconv"
	"sync"
	"testing"

	"github.com/cockroachdb/apd/v3"
)

// BenchmarkTransfer measures one Transfer: validation, idempotency record,
// balance check, event stamping and publishing (to events.Discard), apply.
// Transfers alternate direction so balances stay bounded.
func BenchmarkTransfer(b *testing.B) {
	ctx := context.Background()
	l, err := New(ctx, Options{})
	if err != nil {
		b.Fatal(err)
	}
	must(b, l.Open(ctx, "a", KindAgent))
	must(b, l.Open(ctx, "b", KindAgent))
	must(b, l.Mint(ctx, "grant", "a", dec(b, "1000"), ""))
	amount := dec(b, "1.25")
	ends := [2]string{"a", "b"}
	i := 0
	b.ReportAllocs()
	for b.Loop() {
		from, to := ends[i&1], ends[(i+1)&1]
		if err := l.Transfer(ctx, "t"+strconv.Itoa(i), from, to, amount, ""); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// BenchmarkTransferBaseline is the same unit of work, moving an amount
// between two accounts of a map under a mutex with the same apd arithmetic,
// without validation, idempotency or events.
func BenchmarkTransferBaseline(b *testing.B) {
	var mu sync.Mutex
	dc := newContext()
	balances := map[string]*apd.Decimal{"a": dec(b, "1000"), "b": new(apd.Decimal)}
	amount := dec(b, "1.25")
	ends := [2]string{"a", "b"}
	move := func(from, to string) error {
		mu.Lock()
		defer mu.Unlock()
		fromPosted, toPosted := new(apd.Decimal), new(apd.Decimal)
		if _, err := dc.Sub(fromPosted, balances[from], amount); err != nil {
			return err
		}
		if _, err := dc.Add(toPosted, balances[to], amount); err != nil {
			return err
		}
		balances[from], balances[to] = fromPosted, toPosted
		return nil
	}
	i := 0
	b.ReportAllocs()
	for b.Loop() {
		if err := move(ends[i&1], ends[(i+1)&1]); err != nil {
			b.Fatal(err)
		}
		i++
	}
}
