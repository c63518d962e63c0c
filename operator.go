package scarcity

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/cockroachdb/apd/v3"
	"github.com/scarcitylabs/scarcity/auction"
	"github.com/scarcitylabs/scarcity/events"
	"github.com/scarcitylabs/scarcity/ledger"
	"github.com/scarcitylabs/scarcity/sched"
)

// Open opens an account for agent and mints credits into it (none if
// credits is zero or nil), in one command. Opening an agent again with the
// credits it was opened with has no effect, whenever it is retried; with
// other credits it fails with ledger.ErrExistsWithDifferentFields. An
// account an agent opened itself (OpenAccount) receives its opening credits
// once.
func (m *Market) Open(ctx context.Context, agent string, credits *apd.Decimal) error {
	if err := validID("agent", agent); err != nil {
		return err
	}
	if credits != nil && credits.Sign() < 0 {
		return fmt.Errorf("%w: %s for %q", ErrInvalidCredits, credits, agent)
	}
	return m.write(ctx, func() error { return m.open(ctx, agent, credits) })
}

func (m *Market) open(ctx context.Context, agent string, credits *apd.Decimal) error {
	mint := credits != nil && !credits.IsZero()
	if mint {
		if err := m.ledger.ValidateAmount(credits); err != nil {
			return fmt.Errorf("%w: %w", ErrInvalidCredits, err)
		}
	}
	if was, ok := m.opened[agent]; ok {
		if !mint || was.Cmp(credits) != 0 {
			return fmt.Errorf("%w: %q was opened with %s credits", ledger.ErrExistsWithDifferentFields, agent, was)
		}
		return nil
	}
	err := m.ledger.Open(ctx, agent, ledger.KindAgent)
	if errors.Is(err, ledger.ErrAccountExists) && mint {
		if _, aerr := m.agentBalance(agent); aerr != nil {
			return err
		}
	} else if err != nil || !mint {
		return err
	}
	if err := m.ledger.Mint(ctx, openingID(agent), agent, credits, "initial credits"); err != nil {
		return err
	}
	m.opened[agent] = new(apd.Decimal).Set(credits)
	return nil
}

// openingID returns the transfer id of agent's opening credits.
func openingID(agent string) string { return "open/" + agent }

// Mint issues amount new credits to agent as transfer id: the operator's
// grant (a human's reward, within a budget, is Reward). Retrying with the
// same id and amount has no second effect.
func (m *Market) Mint(ctx context.Context, id, agent string, amount *apd.Decimal, reason string) error {
	if err := validID("mint", id); err != nil {
		return err
	}
	return m.write(ctx, func() error {
		if _, err := m.agentBalance(agent); err != nil {
			return err
		}
		return m.ledger.Mint(ctx, "mint/"+id, agent, amount, reason)
	})
}

// Clear runs one clearing round now, whatever the clearing schedule: the
// mechanism clears the book against the capacity left, each winner's hold
// is captured and its bundle scheduled, each loser's hold is released, and
// prices and reserves move. The book is empty afterwards: a bid takes part
// in exactly one round, even when settling it fails (its hold is then
// released and it is rejected with reason settlement_failed). A result that
// breaks the Mechanism contract is refused whole (ErrMechanism) and leaves
// the book as it was.
func (m *Market) Clear(ctx context.Context) (res auction.Result, err error) {
	err = m.write(ctx, func() error {
		res, err = m.clear(ctx)
		return err
	})
	m.signal()
	m.logAftermath(err)
	return res, err
}

// Tick brings the market up to its clock, as one command: due bundle
// activations and expiries are processed, and a clearing round runs if one
// is due. Drive a market with Tick from a test on a mock clock, or let Run
// do it. An error that is sched.ErrAftermath tells of a payment or a
// stop that failed after the bundles moved on; the market carries on and
// retries the payment on the next Tick.
func (m *Market) Tick(ctx context.Context) error {
	err := m.write(ctx, func() error { return m.tick(ctx) })
	m.signal()
	m.logAftermath(err)
	return err
}

// logAftermath logs err if it tells of payments or stops that failed after
// the work they settle was done (sched.ErrAftermath).
func (m *Market) logAftermath(err error) {
	if errors.Is(err, sched.ErrAftermath) {
		m.tel.aftermath(err)
	}
}

func (m *Market) tick(ctx context.Context) error {
	now := m.cfg.Clock.Now()
	m.orders.forgetOld(now)
	advanced := m.sched.Advance(ctx)
	if advanced != nil && !errors.Is(advanced, sched.ErrAftermath) {
		return advanced
	}
	if now.Before(m.nextClear) {
		return advanced
	}
	for !now.Before(m.nextClear) {
		m.nextClear = m.nextClear.Add(m.cfg.ClearEvery)
	}
	_, err := m.clear(ctx)
	return sched.Join(advanced, err)
}

// Next returns the next instant at which Tick has work: the next clearing
// round or the next bundle activation or expiry.
func (m *Market) Next() time.Time {
	m.mu.Lock()
	defer m.mu.Unlock()
	next := m.nextClear
	if t, ok := m.sched.Next(); ok && t.Before(next) {
		next = t
	}
	return next
}

// Run ticks the market at every instant Next names, on the market's clock,
// until ctx is done or a tick fails. It returns the tick's error, or nil
// when ctx is done. Only one Run may be active on a market at a time.
func (m *Market) Run(ctx context.Context) error {
	for {
		timer := m.cfg.Clock.Timer(m.Next().Sub(m.cfg.Clock.Now()))
		select {
		case <-ctx.Done():
			timer.Stop()
			return nil
		case <-m.wake:
			timer.Stop()
			continue
		case <-timer.C:
		}
		if err := m.Tick(ctx); err != nil && !errors.Is(err, sched.ErrAftermath) {
			return err
		}
	}
}

// signal wakes Run to recompute Next.
func (m *Market) signal() {
	select {
	case m.wake <- struct{}{}:
	default:
	}
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
		o, ok := m.orders.get(orderKey(agent, id))
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
