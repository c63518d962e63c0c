package ledger

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/scarcitylabs/scarcity/events"
)

// accepted records the operations a ledger accepted, by the key of the
// first event each emitted.
type accepted struct {
	mu  sync.Mutex
	ops map[string]func(*Ledger) error
}

func (a *accepted) add(key string, op func(*Ledger) error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.ops[key] = op
}

// eventKey returns the key of the operation that emitted e: its transfer
// id, or its hold id for a hold placed or released, or its account for an
// opening or closing.
func eventKey(e events.Event) string {
	switch p := e.Data.(type) {
	case events.CreditsTransferred:
		return p.TransferID
	case events.CreditsMinted:
		return p.TransferID
	case events.CreditsBurned:
		return p.TransferID
	case events.HoldCaptured:
		return p.TransferID
	case events.HoldPlaced:
		return "place " + p.HoldID
	case events.HoldReleased:
		return "release " + p.HoldID
	case events.AccountOpened:
		return "open " + p.AccountID
	case events.AccountClosed:
		return "close " + p.AccountID
	}
	return ""
}

// TestConcurrentEqualsSequential runs random operations from many
// goroutines, then applies the accepted ones, in the order of their events,
// to a fresh ledger: it must end in the same balances and state hash, and
// emit the same events.
func TestConcurrentEqualsSequential(t *testing.T) {
	const workers, perWorker = 8, 120
	ctx := context.Background()
	f := newFixture(t, Options{}) // the mock clock stays put: times match
	setup := func(l *Ledger) {
		for i := range workers {
			id := fmt.Sprintf("acc%d", i)
			if i%2 == 0 {
				must(t, l.OpenWith(ctx, id, AccountOptions{Kind: "vendor", OverdraftLimit: dec(t, "5")}))
			} else {
				must(t, l.Open(ctx, id, KindAgent))
			}
			must(t, l.Mint(ctx, "grant-"+id, id, dec(t, "50"), ""))
		}
	}
	setup(f.l)
	rec := &accepted{ops: map[string]func(*Ledger) error{}}
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			r := rand.New(rand.NewPCG(uint64(w), 7))
			var holds []string
			for i := range perWorker {
				id := fmt.Sprintf("w%d-%d", w, i)
				from := fmt.Sprintf("acc%d", r.IntN(workers))
				to := fmt.Sprintf("acc%d", r.IntN(workers))
				amount := dec(t, fmt.Sprintf("%d.%02d", r.IntN(8), r.IntN(100)+1))
				var key string
				var op func(*Ledger) error
				switch r.IntN(8) {
				case 0, 1:
					key, op = id, func(l *Ledger) error { return l.Transfer(ctx, id, from, to, amount, "") }
				case 2:
					key, op = id, func(l *Ledger) error { return l.Mint(ctx, id, to, amount, "") }
				case 3:
					key, op = id, func(l *Ledger) error { return l.Burn(ctx, id, from, amount, "") }
				case 4:
					key, op = "place "+id, func(l *Ledger) error { return l.Hold(ctx, id, from, amount) }
					holds = append(holds, id)
				case 5:
					if len(holds) == 0 {
						continue
					}
					h := holds[r.IntN(len(holds))]
					part := dec(t, "0.5")
					if r.IntN(2) == 0 {
						key, op = id, func(l *Ledger) error { return l.CapturePartial(ctx, h, id, to, part, "tick") }
					} else {
						key, op = id, func(l *Ledger) error { return l.Capture(ctx, h, id, to, part, "") }
					}
				case 6:
					if len(holds) == 0 {
						continue
					}
					h := holds[r.IntN(len(holds))]
					key, op = "release "+h, func(l *Ledger) error { return l.Release(ctx, h, "done") }
				case 7:
					key = "place b" + id
					op = func(l *Ledger) error {
						return l.Apply(ctx,
							HoldOp{HoldID: "b" + id, Account: from, Amount: amount},
							TransferOp{TransferID: "bt" + id, From: from, To: to, Amount: amount},
						)
					}
				}
				// Rejections (insufficient credit, same account, a closed
				// hold) are part of the mix; only what was accepted counts.
				if op(f.l) == nil {
					rec.add(key, op)
				}
			}
		})
	}
	wg.Wait()

	evs := f.log.Events(0)
	var order []func(*Ledger) error
	seen := map[string]bool{}
	for _, e := range evs {
		key := eventKey(e)
		if op, ok := rec.ops[key]; ok && !seen[key] {
			seen[key] = true
			order = append(order, op)
		}
	}
	if len(order) != len(rec.ops) {
		t.Fatalf("found %d of %d accepted operations in the events", len(order), len(rec.ops))
	}
	if len(order) < workers*perWorker/4 {
		t.Fatalf("only %d operations accepted of %d", len(order), workers*perWorker)
	}

	g := newFixture(t, Options{})
	setup(g.l)
	for i, op := range order {
		if err := op(g.l); err != nil {
			t.Fatalf("sequential operation %d: %v", i, err)
		}
	}
	if diff := cmp.Diff(f.l.Balances(), g.l.Balances(), decimalEqual); diff != "" {
		t.Errorf("balances (-concurrent +sequential):\n%s", diff)
	}
	if f.l.StateHash() != g.l.StateHash() {
		t.Error("state hashes differ")
	}
	if f.l.LastHash() != g.l.LastHash() || f.l.LastSequence() != g.l.LastSequence() {
		t.Errorf("last event differs: %d %s vs %d %s", f.l.LastSequence(), f.l.LastHash(), g.l.LastSequence(), g.l.LastHash())
	}
	if s := f.l.Sum(); !s.IsZero() {
		t.Errorf("Sum() = %s", s.Text('f'))
	}
	t.Logf("%d operations accepted, %d events", len(order), len(evs))
}
