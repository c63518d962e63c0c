package scarcity

import (
	"context"

	"github.com/cockroachdb/apd/v3"
	"github.com/scarcitylabs/scarcity/ledger"
)

// settler pays for leased bundles in the market's ledger: a payment is
// captured to the operator and, under SettleBurn, burned from there in the
// same breath.
type settler struct {
	ledger *ledger.Ledger
	burn   bool
}

// Capture captures amount of the lease hold to the operator, then burns it
// if the market burns its revenue. Both steps are idempotent by their ids,
// so a retry after a failure between them completes the burn.
func (s settler) Capture(ctx context.Context, holdID, transferID, to string, amount *apd.Decimal, reason string) error {
	err := s.ledger.Capture(ctx, holdID, transferID, to, amount, reason)
	if err != nil || !s.burn {
		return err
	}
	return s.ledger.Burn(ctx, "burn/"+transferID, to, amount, reason)
}

// Release returns the whole lease hold to the agent.
func (s settler) Release(ctx context.Context, holdID, reason string) error {
	return s.ledger.Release(ctx, holdID, reason)
}
