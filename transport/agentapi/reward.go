package agentapi

import (
	"context"
	"errors"
	"fmt"
	"unicode/utf8"

	"github.com/cockroachdb/apd/v3"
	"github.com/scarcitylabs/scarcity"
)

// The reward verb lets a human reward an agent with new credits
// (scarcity.Market.Reward), on its own identity. Its body is
//
//	{"id": "<reward id>", "agent": "<agent>", "amount": "<decimal>", "reason"?: "<text>"}
//
// A human is a NATS user like an agent (package natsauth provisions it as
// one): its identity is the <agent> token of the subject it publishes on,
// which the server's permissions confine to its own, and never a field of
// the body, so no human can reward with another's identity. Which
// identities are humans is the Server's Options.Humans; a request from any
// other is answered not_human (ErrNotHuman) and never reaches the market.
// A human needs no account. A human that is also an agent (Humans says yes
// of an id that has an agent account) may reward other agents but never
// itself: the market refuses a reward whose human is its agent
// (invalid_reward, scarcity.ErrInvalidReward). Each human's rewards are
// bounded by the market's scarcity.Config.RewardBudget per RewardPeriod
// (reward_budget, scarcity.ErrRewardBudget); reward ids are the human's
// own, and a retry with the same id and fields has no second effect.

// ErrNotHuman reports a reward requested by an identity the Server's
// Options.Humans does not know as a human's. The market was not called.
var ErrNotHuman = errors.New("agentapi: not a human")

var _ scarcity.Rewarder = (*Client)(nil)

// rewardRequest is the body of reward; the human is the subject's identity.
type rewardRequest struct {
	ID     string `json:"id"`
	Agent  string `json:"agent"`
	Amount string `json:"amount" contract:"amount"`
	Reason string `json:"reason,omitempty"`
}

func (r *rewardRequest) validate() error {
	if err := scarcity.ValidateID("reward", r.ID); err != nil {
		return err
	}
	if err := scarcity.ValidateID("agent", r.Agent); err != nil {
		return err
	}
	if len(r.Reason) > scarcity.MaxRewardReasonLen || !utf8.ValidString(r.Reason) {
		return fmt.Errorf("reason of %d bytes must be UTF-8 of at most %d", len(r.Reason), scarcity.MaxRewardReasonLen)
	}
	_, err := parseAmount("amount", r.Amount)
	return err
}

// human fails with ErrNotHuman unless id is a human's (Options.Humans).
func (s *Server) human(id string) error {
	if s.opts.Humans == nil || !s.opts.Humans(id) {
		return fmt.Errorf("%w: %q may not reward", ErrNotHuman, id)
	}
	return nil
}

// executeReward gives r as human's reward.
func executeReward(ctx context.Context, m Market, human string, r *rewardRequest) error {
	amount, _ := parseAmount("amount", r.Amount)
	return m.Reward(ctx, r.ID, human, r.Agent, amount, r.Reason)
}

// Reward rewards agent with amount new credits as human's reward rewardID;
// see scarcity.Market.Reward. human must be the client's identity
// (ErrOtherAgent otherwise, before anything is sent), and the Server must
// know it as a human's (ErrNotHuman).
func (c *Client) Reward(ctx context.Context, rewardID, human, agent string, amount *apd.Decimal, reason string) error {
	if err := c.self(human); err != nil {
		return err
	}
	if amount == nil {
		return fmt.Errorf("%w: reward %q has no amount", ErrInvalidRequest, rewardID)
	}
	return c.call(ctx, VerbReward, rewardRequest{ID: rewardID, Agent: agent, Amount: amount.Text('f'), Reason: reason}, nil)
}
