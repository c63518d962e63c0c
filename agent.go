package scarcity

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/cockroachdb/apd/v3"
	"github.com/scarcitylabs/scarcity/auction"
	"github.com/scarcitylabs/scarcity/bundle"
	"github.com/scarcitylabs/scarcity/events"
	"github.com/scarcitylabs/scarcity/internal/exact"
	"github.com/scarcitylabs/scarcity/ledger"
	"github.com/scarcitylabs/scarcity/sched"
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

// Balance returns agent's balance and publishes balance_queried.
func (m *Market) Balance(ctx context.Context, agent string) (bal ledger.Balance, err error) {
	err = m.write(ctx, func() error {
		if _, err := m.agentBalance(agent); err != nil {
			return err
		}
		bal, err = m.ledger.QueryBalance(ctx, agent)
		return err
	})
	return bal, err
}

// agentBalance returns the balance of an agent account, or ErrUnknownAgent.
func (m *Market) agentBalance(agent string) (ledger.Balance, error) {
	b, err := m.ledger.Balance(agent)
	if err != nil || b.Kind != ledger.KindAgent {
		return ledger.Balance{}, fmt.Errorf("%w: %q", ErrUnknownAgent, agent)
	}
	return b, nil
}

// Use consumes qty of a service-level resource from agent's active bundles,
// or is denied (sched.ErrServiceDenied) and consumes nothing.
func (m *Market) Use(ctx context.Context, agent, resource string, qty int64) error {
	return m.write(ctx, func() error { return m.sched.Use(ctx, agent, resource, qty) })
}

// Reserve sets aside worstCase of a service-level resource in agent's
// bundles (and, for LLM spend, in the spend window) for a call whose cost
// is known only afterwards; see sched.Scheduler.Reserve. It returns the
// reservation's id, for Commit or CancelReservation.
func (m *Market) Reserve(ctx context.Context, agent, resource string, worstCase int64, ttl time.Duration) (id string, err error) {
	err = m.write(ctx, func() error {
		id, err = m.sched.Reserve(ctx, agent, resource, worstCase, ttl)
		return err
	})
	return id, err
}

// Commit consumes actual (at most what was reserved) of agent's reservation
// id and returns the rest. A reservation of another agent is
// sched.ErrUnknownReservation, as an unknown one is.
func (m *Market) Commit(ctx context.Context, agent, id string, actual int64) error {
	return m.write(ctx, func() error {
		if err := m.ownReservation(agent, id); err != nil {
			return err
		}
		return m.sched.Commit(ctx, id, actual)
	})
}

// CancelReservation returns all of agent's reservation id.
func (m *Market) CancelReservation(ctx context.Context, agent, id string) error {
	return m.write(ctx, func() error {
		if err := m.ownReservation(agent, id); err != nil {
			return err
		}
		return m.sched.Cancel(ctx, id)
	})
}

// ownReservation checks that reservation id is agent's.
func (m *Market) ownReservation(agent, id string) error {
	if owner, ok := m.sched.ReservationAgent(id); !ok || owner != agent {
		return fmt.Errorf("%w: %q of %q", sched.ErrUnknownReservation, id, agent)
	}
	return nil
}

// Report records an OS-level usage sample for agent; usage beyond its
// bundles terminates it (sched.ErrTerminated).
func (m *Market) Report(ctx context.Context, agent, resource string, level int64) error {
	return m.write(ctx, func() error { return m.sched.Report(ctx, agent, resource, level) })
}

// Release ends agent's bundle bundleID early: the agent pays for the time
// used, pro rata, and the rest of its lease hold returns to it
// (sched.Lease). It returns the bundle's unused and total seconds. Errors
// wrap ErrUnknownBundle for a bundle that is not agent's, or the
// scheduler's errors (sched.ErrWindowEnded for a bundle already over).
func (m *Market) Release(ctx context.Context, agent, bundleID string) (unused, total int64, err error) {
	err = m.write(ctx, func() error {
		if info, ok := m.sched.Bundle(bundleID); !ok || info.Agent != agent {
			return fmt.Errorf("%w: %q of %q", ErrUnknownBundle, bundleID, agent)
		}
		unused, total, err = m.sched.Release(ctx, bundleID)
		return err
	})
	return unused, total, err
}

// Bid is an agent's all-or-nothing offer for a bundle: it pays at most
// Limit credits for the whole bundle. A zero Bundle.Window.Start means "as
// soon as the next round clears".
type Bid struct {
	ID     string
	Agent  string
	Bundle bundle.Bundle
	Limit  *apd.Decimal
}

// Cancel withdraws agent's order id from the book and releases its hold.
func (m *Market) Cancel(ctx context.Context, agent, id string) error {
	return m.write(ctx, func() error {
		o, ok := m.orders.get(orderKey(agent, id))
		if !ok {
			return fmt.Errorf("%w: %q of %q", ErrUnknownOrder, id, agent)
		}
		if err := m.ledger.Release(ctx, o.holdID, "cancelled"); err != nil {
			return err
		}
		m.orders.remove(o.bid.ID)
		m.publish(agent, events.OrderCancelled{OrderID: id, AgentID: agent})
		return nil
	})
}

// Bid places b in the book for the next clearing round and holds its limit
// in the agent's account. A bid that is invalid or not covered by the
// agent's available credits is rejected: a bid_rejected event is published
// and the error is a *RejectedError. Placing the same bid again while it is
// in the book is not an error and has no second effect.
func (m *Market) Bid(ctx context.Context, b Bid) error {
	return m.write(ctx, func() error { return m.bid(ctx, b) })
}

// MaxIDLen is the longest agent, order or mint id a Market accepts. It is
// shorter than [ledger.MaxIDLen] on purpose, and the two stay separate: an
// agent id is a single token of a NATS subject and appears in every event the
// agent causes, while the ledger, a service of its own, must hold the ids the
// market derives from these, the longest "pay/bundle/<order>/<placement>"
// at most 96 bytes.
const MaxIDLen = 64

// The longest derived id fits in the ledger's limit; compilation fails if a
// change to either limit breaks that.
var _ [ledger.MaxIDLen - (len("pay/") + len(bundlePrefix) + MaxIDLen + len("/18446744073709551615"))]struct{}

// validID checks that id is 1 to MaxIDLen bytes of ASCII letters, digits,
// '-', '_' and ':'. The market derives ledger and scheduler ids from order
// ids with a prefix and the order's placement (see orders.go), so user ids
// never collide with derived ones, and an agent id is a single token of a
// NATS subject.
func validID(kind, id string) error {
	if id == "" || len(id) > MaxIDLen {
		return fmt.Errorf("%w: %s id %q must be 1 to %d bytes", ErrInvalidID, kind, id, MaxIDLen)
	}
	for _, c := range []byte(id) {
		if !idByte(c) {
			return fmt.Errorf("%w: %s id %q: byte %q not allowed", ErrInvalidID, kind, id, c)
		}
	}
	return nil
}

func idByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == ':'
}

func (m *Market) bid(ctx context.Context, b Bid) error {
	if _, err := m.agentBalance(b.Agent); err != nil {
		return err
	}
	key := orderKey(b.Agent, b.ID)
	if o, ok := m.orders.get(key); ok {
		if sameBid(o.bid, b) {
			return nil
		}
		return fmt.Errorf("%w: %q", ErrDuplicateOrder, b.ID)
	}
	now := m.cfg.Clock.Now()
	m.orders.forgetOld(now)
	if m.orders.spent(key) {
		return fmt.Errorf("%w: %q was placed before", ErrDuplicateOrder, b.ID)
	}
	if m.orders.full() {
		return fmt.Errorf("%w: %d bids", ErrBookFull, m.cfg.MaxBids)
	}
	if m.orders.agentFull(b.Agent) {
		return fmt.Errorf("%w: %q has %d bids in the book", ErrTooManyBids, b.Agent, m.cfg.MaxBidsPerAgent)
	}
	if reason, err := m.checkBid(b); err != nil {
		return m.reject(b, reason, err)
	}
	n := m.orders.nextPlacement()
	holdID := derivedID(bidHoldPrefix, b.ID, n)
	if err := m.ledger.Hold(ctx, holdID, b.Agent, b.Limit); err != nil {
		return m.rejectHold(b, err)
	}
	m.orders.spend(key, n, now)
	m.publish(b.Agent, events.BidPlaced{
		OrderID: b.ID, AgentID: b.Agent,
		Quantities: b.Bundle.EventQuantities(), Window: b.Bundle.EventWindow(),
		TotalCost: events.DecimalOf(b.Limit), HoldID: holdID,
	})
	m.orders.add(b.ID, auction.Bid{Agent: b.Agent, Bundle: cloneBundle(b.Bundle), Limit: new(apd.Decimal).Set(b.Limit), Seq: n}, holdID)
	return nil
}

// checkBid validates b against the catalog and the clock.
func (m *Market) checkBid(b Bid) (events.RejectReason, error) {
	if err := validID("order", b.ID); err != nil {
		return events.ReasonInvalidBundle, err
	}
	if err := b.Bundle.Validate(m.catalog); err != nil {
		if errors.Is(err, bundle.ErrExceedsCapacity) {
			return events.ReasonExceedsCapacity, err
		}
		return events.ReasonInvalidBundle, err
	}
	now := m.cfg.Clock.Now()
	if !b.Bundle.Window.Start.IsZero() && b.Bundle.Window.Start.Before(now) {
		return events.ReasonExpired, fmt.Errorf("window starts at %v, before now", b.Bundle.Window.Start)
	}
	if err := b.Bundle.Window.At(now.Add(m.cfg.ClearEvery)).Validate(); err != nil {
		return events.ReasonInvalidBundle, err // it would end beyond what events carry
	}
	if b.Limit == nil {
		return events.ReasonInvalidBundle, fmt.Errorf("no limit")
	}
	if err := m.ledger.ValidateAmount(b.Limit); err != nil {
		return events.ReasonInvalidBundle, err
	}
	cost, err := bundle.Cost(exactContext(), b.Bundle, m.reserve)
	if err != nil {
		return events.ReasonInvalidBundle, err
	}
	if b.Limit.Cmp(cost) < 0 {
		return events.ReasonBelowReserve, fmt.Errorf("limit %s is below the reserve cost %s", b.Limit.Text('f'), cost.Text('f'))
	}
	return "", nil
}

// exactContext returns a decimal context of 60 digits that makes any
// rounding an error.
func exactContext() *apd.Context { return exact.WithPrecision(60) }

// rejectHold rejects b because its hold failed.
func (m *Market) rejectHold(b Bid, err error) error {
	switch {
	case errors.Is(err, ledger.ErrInsufficientCredit):
		return m.reject(b, events.ReasonInsufficientBalance, err)
	case errors.Is(err, ledger.ErrInvalidID), errors.Is(err, ledger.ErrExistsWithDifferentFields):
		return m.reject(b, events.ReasonInvalidBundle, err)
	}
	return err
}

// reject stages bid_rejected for b and returns its *RejectedError.
func (m *Market) reject(b Bid, reason events.RejectReason, cause error) error {
	m.publish(b.Agent, events.BidRejected{OrderID: b.ID, AgentID: b.Agent, Reason: reason, Detail: cause.Error()})
	return &RejectedError{OrderID: b.ID, Reason: reason, Err: cause}
}

func sameBid(a auction.Bid, b Bid) bool {
	return b.Limit != nil && a.Agent == b.Agent && a.Limit.Cmp(b.Limit) == 0 && sameBundle(a.Bundle, b.Bundle)
}

func sameBundle(a, b bundle.Bundle) bool {
	if !a.Window.Start.Equal(b.Window.Start) || a.Window.Duration != b.Window.Duration || len(a.Quantities) != len(b.Quantities) {
		return false
	}
	for name, q := range a.Quantities {
		if b.Quantities[name] != q {
			return false
		}
	}
	return true
}

func cloneBundle(b bundle.Bundle) bundle.Bundle {
	b.Quantities = b.Quantities.Clone()
	return b
}
