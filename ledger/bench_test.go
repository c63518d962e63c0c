package ledger

import (
	"context"
	"strconv"
	"sync"
	"testing"

	"github.com/cockroachdb/apd/v3"
	"github.com/scarcitylabs/scarcity/events"
)

// BenchmarkTransfer measures one Transfer: validation, idempotency record,
// balance check, event stamping, hash chaining (events.Chain: the binary
// canonical encoding, SHA-256, the hex hash) and publishing to an
// in-memory events.Log that keeps every event, apply. Transfers alternate
// direction so balances stay bounded. The transfer ids are made before the
// timer starts: they are the caller's.
func BenchmarkTransfer(b *testing.B) {
	ctx := context.Background()
	ids := make([]string, b.N)
	for i := range ids {
		ids[i] = "t" + strconv.Itoa(i)
	}
	l, err := New(ctx, Options{Publisher: &capture{}})
	if err != nil {
		b.Fatal(err)
	}
	must(b, l.Open(ctx, "a", KindAgent))
	must(b, l.Open(ctx, "b", KindAgent))
	must(b, l.Mint(ctx, "grant", "a", dec(b, "1000"), ""))
	amount := dec(b, "1.25")
	ends := [2]string{"a", "b"}
	b.ReportAllocs()
	b.ResetTimer()
	for i, id := range ids {
		if err := l.Transfer(ctx, id, ends[i&1], ends[(i+1)&1], amount, ""); err != nil {
			b.Fatal(err)
		}
	}
}

// capture is a publisher that keeps every event in memory, in chunks so
// that keeping one more never copies those it has.
type capture struct{ chunks [][]events.Event }

func (c *capture) Publish(_ context.Context, evs ...events.Event) error {
	const chunk = 4096
	for _, e := range evs {
		if n := len(c.chunks); n == 0 || len(c.chunks[n-1]) == chunk {
			c.chunks = append(c.chunks, make([]events.Event, 0, chunk))
		}
		last := &c.chunks[len(c.chunks)-1]
		*last = append(*last, e)
	}
	return nil
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

// transferStream returns the events of a ledger that opened two agents, minted
// to one and then made n transfers back and forth between them.
func transferStream(b *testing.B, n int) (Options, []events.Event) {
	ctx := context.Background()
	log := events.NewLog(events.LogOptions{})
	l, err := New(ctx, Options{Publisher: log})
	if err != nil {
		b.Fatal(err)
	}
	must(b, l.Open(ctx, "a", KindAgent))
	must(b, l.Open(ctx, "b", KindAgent))
	must(b, l.Mint(ctx, "grant", "a", dec(b, "1000"), ""))
	amount := dec(b, "1.25")
	ends := [2]string{"a", "b"}
	for i := range n {
		must(b, l.Transfer(ctx, "t"+strconv.Itoa(i), ends[i&1], ends[(i+1)&1], amount, ""))
	}
	return Options{}, log.Events(0)
}

// BenchmarkReplay measures Restore rebuilding a ledger from a stream of
// 10,000 transfers: per event, verifying its link in the stream's hash
// chain (events.Verify), re-enacting the transfer (validation, idempotency
// record, balance check, history), rebuilding its event and comparing it
// with the stream's. It reports ns/event and events/s.
func BenchmarkReplay(b *testing.B) {
	opts, evs := transferStream(b, 10_000)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Restore(context.Background(), opts, evs); err != nil {
			b.Fatal(err)
		}
	}
	reportPerEvent(b, len(evs))
}

// BenchmarkReplayBaseline is the same unit of work without verification:
// applying the movements of the same stream to a map of apd balances,
// parsing each amount from its event as Restore does.
func BenchmarkReplayBaseline(b *testing.B) {
	_, evs := transferStream(b, 10_000)
	dc := newContext()
	b.ReportAllocs()
	for b.Loop() {
		balances := map[string]*apd.Decimal{}
		for _, e := range evs {
			var m events.Movement
			switch p := e.Data.(type) {
			case events.CreditsTransferred:
				m = p.Movement
			case events.CreditsMinted:
				m = p.Movement
			default:
				continue
			}
			amount, err := m.Amount.Apd()
			if err != nil {
				b.Fatal(err)
			}
			from, to := balances[m.From], balances[m.To]
			if from == nil {
				from = new(apd.Decimal)
			}
			if to == nil {
				to = new(apd.Decimal)
			}
			fromPosted, toPosted := new(apd.Decimal), new(apd.Decimal)
			if _, err := dc.Sub(fromPosted, from, amount); err != nil {
				b.Fatal(err)
			}
			if _, err := dc.Add(toPosted, to, amount); err != nil {
				b.Fatal(err)
			}
			balances[m.From], balances[m.To] = fromPosted, toPosted
		}
	}
	reportPerEvent(b, len(evs))
}

// reportPerEvent reports ns/event and events/s of a benchmark whose every
// op processes n events.
func reportPerEvent(b *testing.B, n int) {
	perEvent := float64(b.Elapsed().Nanoseconds()) / float64(b.N) / float64(n)
	b.ReportMetric(perEvent, "ns/event")
	b.ReportMetric(1e9/perEvent, "events/s")
}
