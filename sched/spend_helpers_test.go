package sched

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/cockroachdb/apd/v3"
	"github.com/scarcitylabs/scarcity/bundle"
)

// dec parses s as a decimal and panics if it is malformed.
func dec(s string) *apd.Decimal {
	d, _, err := apd.NewFromString(s)
	if err != nil {
		panic(err)
	}
	return d
}

// spendUnits is the spend limit of the spend fixtures in units.
const spendUnits = 100

// spendWindow is the window of the spend fixtures.
const spendWindow = 10 * time.Second

// testSpendLimit is 0.100 credits per 10 s in units of 0.001 credits.
func testSpendLimit() *SpendLimit {
	return &SpendLimit{Max: dec("0.100"), Window: spendWindow, Unit: dec("0.001")}
}

// spendCatalog returns cpu (OS, 100 %), tokens (service, 10 000),
// llm_spend (service, spendUnits) and attention (service, 1).
func spendCatalog(tb testing.TB) *bundle.Catalog {
	tb.Helper()
	cat, err := bundle.NewCatalog(
		bundle.Resource{Name: "cpu", Unit: "percent", Capacity: 100, Enforcement: bundle.OSLevel},
		bundle.Resource{Name: "tokens", Unit: "token", Capacity: 10_000, Enforcement: bundle.ServiceLevel},
		bundle.Resource{Name: "llm_spend", Unit: "milli-credit", Capacity: spendUnits, Enforcement: bundle.ServiceLevel},
		bundle.Resource{Name: "attention", Unit: "human", Capacity: 1, Enforcement: bundle.ServiceLevel},
	)
	if err != nil {
		tb.Fatal(err)
	}
	return cat
}

// newSpendFixture is newFixture over spendCatalog with opts.Spend set to
// testSpendLimit() unless given.
func newSpendFixture(tb testing.TB, opts Options) *fixture {
	tb.Helper()
	if opts.Spend == nil {
		opts.Spend = testSpendLimit()
	}
	return newCatalogFixture(tb, spendCatalog(tb), opts)
}

// spendSnapshot is the spend and reservation state a failed operation must
// leave unchanged.
type spendSnapshot struct {
	Spent, Reserved int64
	Reservations    []string
	NextLapse       time.Time
}

// spendState returns f's spend snapshot at now.
func (f *fixture) spendState() spendSnapshot {
	st, _ := f.s.Spend()
	f.s.mu.Lock()
	defer f.s.mu.Unlock()
	var ids []string
	for id := range f.s.spend.reservations {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	snap := spendSnapshot{Spent: st.Spent, Reserved: st.Reserved, Reservations: ids}
	if len(f.s.spend.lapses) > 0 {
		snap.NextLapse = f.s.spend.lapses[0].expires
	}
	return snap
}

// context_ returns a background context for helpers without a test.
func context_() context.Context { return context.Background() }

// cmpSeqIgnored compares states without their event sequence, which a
// denial advances.
var cmpSeqIgnored = cmpopts.IgnoreFields(state{}, "Sequence")
