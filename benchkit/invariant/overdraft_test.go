package invariant_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/scarcitylabs/scarcity/benchkit/internal/streamtest"
	"github.com/scarcitylabs/scarcity/benchkit/invariant"
	"github.com/scarcitylabs/scarcity/events"
)

// overdrawn builds a stream in which vendor v, opened with an overdraft
// limit of 50.00, transfers spend from nothing.
func overdrawn(tb testing.TB, spend int64, limit events.Decimal) []events.Event {
	b := streamtest.NewLedger(tb)
	b.Publish(b.Ledger, "v", events.AccountOpened{AccountID: "v", Kind: "vendor", OverdraftLimit: limit})
	b.Open("w", "agent", false)
	b.Transfer("v", "w", spend)
	return b.Events()
}

func TestOverdraftLimit(t *testing.T) {
	tests := []struct {
		name   string
		evs    []events.Event
		detail string // "" for a valid stream
	}{
		{"within the limit", overdrawn(t, 5000, "50"), ""},
		{"beyond the limit", overdrawn(t, 5001, "50"), `balance of "v" is -50.01, below its overdraft limit -50`},
		{"no limit", overdrawn(t, 1, ""), `balance of "v" is -0.01, below zero`},
		{"old stream without a limit field", overdrawn(t, 1, ""), "below zero"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := invariant.CheckConservation(tt.evs)
			if tt.detail == "" {
				if err != nil {
					t.Fatalf("CheckConservation = %v, want nil", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.detail) {
				t.Fatalf("CheckConservation = %v, want a violation with %q", err, tt.detail)
			}
			var v *invariant.Violation
			if !errors.As(err, &v) || v.Check != invariant.CreditsConserved {
				t.Errorf("violation = %+v, want %s", v, invariant.CreditsConserved)
			}
		})
	}
}

func TestAccountClosed(t *testing.T) {
	closing := func(tb testing.TB, then func(b *streamtest.Builder)) []events.Event {
		b := streamtest.NewLedger(tb, "alice", "bob")
		b.Mint("alice", 100)
		b.Publish(b.Ledger, "bob", events.AccountClosed{AccountID: "bob", Kind: "agent"})
		then(b)
		return b.Events()
	}
	tests := []struct {
		name   string
		evs    []events.Event
		detail []string
	}{
		{"empty account closed", closing(t, func(*streamtest.Builder) {}), nil},
		{"closed twice", closing(t, func(b *streamtest.Builder) {
			b.Publish(b.Ledger, "bob", events.AccountClosed{AccountID: "bob", Kind: "agent"})
		}), []string{`account "bob" closed twice`}},
		{"used after closing", closing(t, func(b *streamtest.Builder) { b.Transfer("alice", "bob", 10) }),
			[]string{`to account "bob" is closed`}},
		{"closed with a balance", closing(t, func(b *streamtest.Builder) {
			b.Publish(b.Ledger, "alice", events.AccountClosed{AccountID: "alice", Kind: "agent"})
		}), []string{`account "alice" closed with balance 1.00 and pending 0`}},
		{"closed but never opened", closing(t, func(b *streamtest.Builder) {
			b.Publish(b.Ledger, "carol", events.AccountClosed{AccountID: "carol", Kind: "agent"})
		}), []string{`account "carol" closed but never opened`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := invariant.CheckConservation(tt.evs)
			var got []string
			for _, d := range tt.detail {
				if err != nil && strings.Contains(err.Error(), d) {
					got = append(got, d)
				}
			}
			if diff := cmp.Diff(tt.detail, got); diff != "" || (tt.detail == nil) != (err == nil) {
				t.Errorf("CheckConservation = %v; missing details (-want +got):\n%s", err, diff)
			}
		})
	}
}
