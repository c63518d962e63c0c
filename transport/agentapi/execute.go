package agentapi

import (
	"context"
	"fmt"
	"time"

	"github.com/scarcitylabs/scarcity"
	"github.com/scarcitylabs/scarcity/bundle"
	"github.com/scarcitylabs/scarcity/events"
	"github.com/scarcitylabs/scarcity/ledger"
)

// execute runs the validated cmd on the market as agent and returns the
// reply's result.
func (s *Server) execute(ctx context.Context, agent string, cmd command) (any, error) {
	m := s.m
	switch c := cmd.(type) {
	case *emptyCommand:
		return s.executeEmpty(ctx, agent, c.verb)
	case *bidRequest:
		return nil, m.Bid(ctx, c.bid(agent))
	case *cancelRequest:
		return nil, m.Cancel(ctx, agent, c.OrderID)
	case *useRequest:
		return nil, m.Use(ctx, agent, c.Resource, c.Quantity)
	case *reportRequest:
		return nil, m.Report(ctx, agent, c.Resource, c.Level)
	case *releaseRequest:
		unused, total, err := m.Release(ctx, agent, c.BundleID)
		if unused == 0 && total == 0 && err != nil {
			return nil, err
		}
		return releaseResult{Unused: unused, Total: total}, err
	case *reserveRequest:
		id, err := m.Reserve(ctx, agent, c.Resource, c.WorstCase, time.Duration(c.TTLMillis)*time.Millisecond)
		if err != nil {
			return nil, err
		}
		return reserveResult{ReservationID: id}, nil
	case *commitRequest:
		return nil, m.Commit(ctx, agent, c.ReservationID, c.Actual)
	case *cancelReservationRequest:
		return nil, m.CancelReservation(ctx, agent, c.ReservationID)
	case *transferRequest:
		amount, _ := parseAmount("amount", c.Amount)
		return nil, m.Transfer(ctx, c.ID, agent, c.To, amount)
	case *emitRequest: // emit.go
		return nil, executeEmit(ctx, m, agent, c)
	case *rewardRequest: // reward.go
		return nil, executeReward(ctx, m, agent, c)
	}
	return nil, fmt.Errorf("%w: unhandled request %T", ErrInternal, cmd)
}

// executeEmpty runs a request without fields.
func (s *Server) executeEmpty(ctx context.Context, agent string, verb Verb) (any, error) {
	switch verb {
	case VerbOpen:
		return nil, s.m.OpenAccount(ctx, agent)
	case VerbBalance:
		b, err := s.m.Balance(ctx, agent)
		if err != nil {
			return nil, err
		}
		return balanceOf(b), nil
	case VerbPrices:
		p, err := s.m.QueryPrices(ctx)
		if err != nil {
			return nil, err
		}
		return pricesOf(p), nil
	}
	return nil, fmt.Errorf("%w: unhandled verb %q", ErrInternal, verb)
}

// bid returns the market bid of r for agent; r is valid.
func (r *bidRequest) bid(agent string) scarcity.Bid {
	start, _ := parseStart(r.Start)
	limit, _ := parseAmount("limit", r.Limit)
	return scarcity.Bid{
		ID: r.ID, Agent: agent, Limit: limit,
		Bundle: bundle.Bundle{
			Quantities: bundle.Quantities(r.Quantities),
			Window:     bundle.Window{Start: start, Duration: time.Duration(r.DurationSeconds) * time.Second},
		},
	}
}

// balanceOf returns the wire form of b.
func balanceOf(b ledger.Balance) balanceResult {
	r := balanceResult{
		Posted: text(b.Posted), Pending: text(b.Pending), Available: text(b.Available),
		Kind: string(b.Kind), AllowNegative: b.AllowNegative, Closed: b.Closed,
	}
	if b.OverdraftLimit != nil {
		r.OverdraftLimit = text(b.OverdraftLimit)
	}
	return r
}

// pricesOf returns the wire form of p.
func pricesOf(p bundle.Prices) pricesResult {
	r := pricesResult{Prices: make(map[string]string, len(p))}
	for name, d := range p {
		r.Prices[name] = text(d)
	}
	return r
}

// text returns the decimal string of d.
func text(d interface{ Text(byte) string }) string { return string(events.Decimal(d.Text('f'))) }
