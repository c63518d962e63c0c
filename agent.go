package scarcity

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/cockroachdb/apd/v3"
	"github.com/scarcitylabs/scarcity/bundle"
	"github.com/scarcitylabs/scarcity/ledger"
)

// AgentAPI is what an agent can do in a market: open its own account, bid
// and cancel, query its balance and the prices, meter what it uses, release
// bundles, reserve service-level resources for calls of unknown cost, and
// pay other agents. The in-process *Market satisfies it, and so does the
// remote client of the agent command API (transport/agentapi), so an agent
// written against AgentAPI runs in the market's process or in another one
// unchanged.
//
// Operator actions — minting credits, opening an account with credits,
// ticking the market — are not part of it.
type AgentAPI interface {
	Emitter
	// OpenAccount opens agent's account with no credits; see
	// Market.OpenAccount.
	OpenAccount(ctx context.Context, agent string) error
	// Bid places a bid; see Market.Bid.
	Bid(ctx context.Context, b Bid) error
	// Cancel withdraws agent's order; see Market.Cancel.
	Cancel(ctx context.Context, agent, orderID string) error
	// Balance returns agent's balance; see Market.Balance.
	Balance(ctx context.Context, agent string) (ledger.Balance, error)
	// QueryPrices returns the current prices; see Market.QueryPrices.
	QueryPrices(ctx context.Context) (bundle.Prices, error)
	// Use consumes a service-level resource; see Market.Use.
	Use(ctx context.Context, agent, resource string, qty int64) error
	// Report records an OS-level usage sample; see Market.Report.
	Report(ctx context.Context, agent, resource string, level int64) error
	// Release ends a bundle early; see Market.Release.
	Release(ctx context.Context, agent, bundleID string) (unused, total int64, err error)
	// Reserve sets a service-level resource aside; see Market.Reserve.
	Reserve(ctx context.Context, agent, resource string, worstCase int64, ttl time.Duration) (string, error)
	// Commit consumes part of a reservation; see Market.Commit.
	Commit(ctx context.Context, agent, reservationID string, actual int64) error
	// CancelReservation returns a reservation; see Market.CancelReservation.
	CancelReservation(ctx context.Context, agent, reservationID string) error
	// Transfer pays another agent; see Market.Transfer.
	Transfer(ctx context.Context, transferID, from, to string, amount *apd.Decimal) error
}

var _ AgentAPI = (*Market)(nil)

// ValidateID reports whether id is a valid agent, order, transfer or mint
// id: 1 to MaxIDLen bytes of ASCII letters, digits, '-', '_' and ':'. kind
// names the id in the error, which wraps ErrInvalidID. Such an id is one
// token of a NATS subject.
func ValidateID(kind, id string) error { return validID(kind, id) }

// OpenAccount opens agent's account with no credits and publishes
// account_opened. Unlike Open it mints nothing, so it is safe to let agents
// call it themselves: credits come only from the operator (Mint) or from
// other agents (Transfer). Opening an account that is already an agent's is
// not an error and has no effect; an id held by a system account fails with
// ledger.ErrAccountExists.
func (m *Market) OpenAccount(ctx context.Context, agent string) error {
	if err := validID("agent", agent); err != nil {
		return err
	}
	return m.write(ctx, func() error {
		err := m.ledger.Open(ctx, agent, ledger.KindAgent)
		if errors.Is(err, ledger.ErrAccountExists) {
			if _, aerr := m.agentBalance(agent); aerr == nil {
				return nil
			}
		}
		return err
	})
}

// CheckAgent returns nil if agent has an agent account, else an error
// wrapping ErrUnknownAgent.
func (m *Market) CheckAgent(agent string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	_, err := m.agentBalance(agent)
	return err
}

// QueryPrices is Prices for callers that may be remote: it returns the
// clearing price of every resource from the last round, or its opening
// reserve before the first, and never fails in process.
func (m *Market) QueryPrices(context.Context) (bundle.Prices, error) {
	return m.Prices(), nil
}

// Transfer moves amount credits from agent from to agent to as transfer
// transferID and publishes credits_transferred. Both must be agents' accounts
// (ErrUnknownAgent) and differ (ledger.ErrSameAccount); the amount must be
// valid for the ledger (ledger.ErrInvalidAmount) and covered by from's
// available credits (ledger.ErrInsufficientCredit). Transfer ids are the
// sender's own: each agent has its namespace, so no agent can take or learn
// of another's ids. Retrying with the same id and fields has no second
// effect; reusing one with other fields fails with
// ledger.ErrExistsWithDifferentFields (within Config.Retention).
func (m *Market) Transfer(ctx context.Context, transferID, from, to string, amount *apd.Decimal) error {
	if err := validID("transfer", transferID); err != nil {
		return err
	}
	return m.write(ctx, func() error {
		for _, agent := range []string{from, to} {
			if _, err := m.agentBalance(agent); err != nil {
				return err
			}
		}
		if err := m.ledger.ValidateAmount(amount); err != nil {
			return err
		}
		return m.ledger.Transfer(ctx, transferLedgerID(from, transferID), from, to, amount, fmt.Sprintf("transfer from %s", from))
	})
}

// transferLedgerID returns the ledger's id of agent from's transfer id.
func transferLedgerID(from, id string) string {
	return "xfer/" + from + "/" + id
}
