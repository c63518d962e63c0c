package scarcity

import (
	"context"
	"errors"
	"fmt"

	"github.com/cockroachdb/apd/v3"
	"github.com/scarcitylabs/scarcity/auction"
	"github.com/scarcitylabs/scarcity/bundle"
	"github.com/scarcitylabs/scarcity/events"
	"github.com/scarcitylabs/scarcity/ledger"
)

// Bid is an agent's all-or-nothing offer for a bundle: it pays at most
// Limit credits for the whole bundle. A zero Bundle.Window.Start means "as
// soon as the next round clears".
type Bid struct {
	ID     string
	Agent  string
	Bundle bundle.Bundle
	Limit  *apd.Decimal
}

// Bid places b in the book for the next clearing round and holds its limit
// in the agent's account. A bid that is invalid or not covered by the
// agent's available credits is rejected: a bid_rejected event is published
// and the error is a *RejectedError. Placing the same bid again while it is
// in the book is not an error and has no second effect.
func (m *Market) Bid(ctx context.Context, b Bid) error {
	return m.write(ctx, func() error { return m.bid(ctx, b) })
}

func (m *Market) bid(ctx context.Context, b Bid) error {
	if _, err := m.agentBalance(b.Agent); err != nil {
		return err
	}
	key := orderKey(b.Agent, b.ID)
	if o, ok := m.book.get(key); ok {
		if sameBid(o.bid, b) {
			return nil
		}
		return fmt.Errorf("%w: %q", ErrDuplicateOrder, b.ID)
	}
	now := m.cfg.Clock.Now()
	m.book.forgetOld(now)
	if m.book.spent(key) {
		return fmt.Errorf("%w: %q was placed before", ErrDuplicateOrder, b.ID)
	}
	if m.book.full() {
		return fmt.Errorf("%w: %d bids", ErrBookFull, m.cfg.MaxBids)
	}
	if m.book.agentFull(b.Agent) {
		return fmt.Errorf("%w: %q has %d bids in the book", ErrTooManyBids, b.Agent, m.cfg.MaxBidsPerAgent)
	}
	if reason, err := m.checkBid(b); err != nil {
		return m.reject(b, reason, err)
	}
	n := m.book.nextPlacement()
	holdID := derivedID(bidHoldPrefix, b.ID, n)
	if err := m.ledger.Hold(ctx, holdID, b.Agent, b.Limit); err != nil {
		return m.rejectHold(b, err)
	}
	m.book.spend(key, n, now)
	m.publish(b.Agent, events.BidPlaced{
		OrderID: b.ID, AgentID: b.Agent,
		Quantities: b.Bundle.EventQuantities(), Window: b.Bundle.EventWindow(),
		TotalCost: events.DecimalOf(b.Limit), HoldID: holdID,
	})
	m.book.add(b.ID, auction.Bid{Agent: b.Agent, Bundle: cloneBundle(b.Bundle), Limit: new(apd.Decimal).Set(b.Limit), Seq: n}, holdID)
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

// exactContext returns a decimal context that makes any rounding an error.
func exactContext() *apd.Context {
	ctx := apd.BaseContext.WithPrecision(60)
	ctx.Traps = apd.Inexact | apd.Rounded | apd.DefaultTraps
	return ctx
}

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

// Cancel withdraws agent's order id from the book and releases its hold.
func (m *Market) Cancel(ctx context.Context, agent, id string) error {
	return m.write(ctx, func() error {
		o, ok := m.book.get(orderKey(agent, id))
		if !ok {
			return fmt.Errorf("%w: %q of %q", ErrUnknownOrder, id, agent)
		}
		if err := m.ledger.Release(ctx, o.holdID, "cancelled"); err != nil {
			return err
		}
		m.book.remove(o.bid.ID)
		m.publish(agent, events.OrderCancelled{OrderID: id, AgentID: agent})
		return nil
	})
}

// MaxDetailLen bounds the detail of a rejection given to Reject, in bytes.
const MaxDetailLen = 1024

// Reject refuses agent's open bid id as the operator does: its hold is
// released, the bid leaves the book and bid_rejected with reason and
// detail is published, in one command, as when clearing refuses a bid. It
// is for operators, and for benchmark runners that must make an injected
// rejection real (benchkit.RunScenario), so that the agent's credits and
// the stream agree. reason is a lower_snake_case word of at most 64 bytes,
// such as events.ReasonInsufficientBalance (ErrInvalidRejection
// otherwise); an unknown order is ErrUnknownOrder.
func (m *Market) Reject(ctx context.Context, agent, id string, reason events.RejectReason, detail string) error {
	if err := validReason(reason); err != nil {
		return err
	}
	if len(detail) > MaxDetailLen {
		return fmt.Errorf("%w: detail of %d bytes exceeds %d", ErrInvalidRejection, len(detail), MaxDetailLen)
	}
	return m.write(ctx, func() error {
		o, ok := m.book.get(orderKey(agent, id))
		if !ok {
			return fmt.Errorf("%w: %q of %q", ErrUnknownOrder, id, agent)
		}
		return m.refuse(ctx, o, reason, detail)
	})
}

// validReason checks a reason given to Reject.
func validReason(r events.RejectReason) error {
	ok := len(r) > 0 && len(r) <= 64
	for _, c := range []byte(r) {
		ok = ok && ('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '_')
	}
	if !ok {
		return fmt.Errorf("%w: reason %q is not a lower_snake_case word of 1 to 64 bytes", ErrInvalidRejection, r)
	}
	return nil
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
