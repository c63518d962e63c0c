package ledger

import (
	"context"
	"strings"
	"testing"
)

// TestMovementStagedOverStaleBalancesPanics breaks the ledger's sum the only
// way a bug could: a movement staged against one balance and applied over
// another. The assertion in applyMove must stop it rather than let credits
// appear or vanish.
func TestMovementStagedOverStaleBalancesPanics(t *testing.T) {
	f := newFixture(t, Options{})
	ctx := context.Background()
	must(t, f.l.Open(ctx, "alice", KindAgent))
	must(t, f.l.Open(ctx, "bob", KindAgent))
	must(t, f.l.Mint(ctx, "m1", "alice", dec(t, "10"), "seed"))

	f.l.mu.Lock()
	defer f.l.mu.Unlock()
	mv, err := f.l.prepareMove(f.l.stage(), movement{op: opTransfer, id: "t1", from: "alice", to: "bob"}, dec(t, "3"))
	if err != nil {
		t.Fatal(err)
	}
	mv.from.posted = dec(t, "9") // another write changed alice's balance in between
	defer func() {
		if r, _ := recover().(string); !strings.Contains(r, "would not sum to zero") {
			t.Fatalf("recovered %q, want the ledger-sum assertion", r)
		}
	}()
	f.l.applyMove(&mv)
	t.Fatal("applyMove over a stale balance did not panic")
}
