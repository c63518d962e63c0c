package scarcity

import (
	"context"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/cockroachdb/apd/v3"
	"github.com/scarcitylabs/scarcity/events"
	"github.com/scarcitylabs/scarcity/ledger"
)

// Human rewards. A human rewards an agent with new credits (Reward): the
// ledger mints them into the agent's account (credits_minted, transfer
// "reward/<human>/<reward id>") and the market publishes
// human_reward_issued (human, agent, amount, reason, that transfer id), in
// one command. Each human may give at most Config.RewardBudget per
// Config.RewardPeriod, so that rewards cannot inflate the economy without
// limit; by default the budget is zero and rewards are disabled. What a
// human gave in the current period is rebuilt, on Restore, from the
// human_reward_issued events of the stream.

// Defaults and limits of rewards.
const (
	// DefaultRewardPeriod is the period of Config.RewardBudget when
	// Config.RewardPeriod is zero: a UTC day.
	DefaultRewardPeriod = 24 * time.Hour
	// MaxRewardReasonLen bounds the reason of a reward, in bytes: it is
	// also the reason of the reward's mint in the ledger.
	MaxRewardReasonLen = ledger.MaxReasonLen
	// RewardTransferPrefix begins the ledger transfer id of every reward's
	// mint, "reward/<human>/<reward id>" (RewardTransferID). No other
	// command of a market mints with it, so that a reader of the stream
	// (benchkit's credits_conserved) tells a reward's mint from the others.
	RewardTransferPrefix = "reward/"
)

// Rewarder gives agents human rewards. The in-process *Market satisfies
// it, and so does the remote client of the agent command API
// (transport/agentapi), for a human acting on its own identity.
type Rewarder interface {
	// Reward rewards agent on behalf of human; see Market.Reward.
	Reward(ctx context.Context, rewardID, human, agent string, amount *apd.Decimal, reason string) error
}

var _ Rewarder = (*Market)(nil)

// RewardTransferID returns the ledger transfer id of the mint of human's
// reward rewardID: "reward/<human>/<rewardID>".
func RewardTransferID(human, rewardID string) string {
	return RewardTransferPrefix + human + "/" + rewardID
}

// Reward mints amount new credits into agent's account as human's reward
// rewardID and publishes human_reward_issued (human, agent, amount, reason
// and the mint's transfer id, RewardTransferID) with the ledger's
// credits_minted, as one command.
//
// The market trusts its caller with human's identity: in process, whoever
// holds the Market is the operator; over the agent command API a human
// rewards only on its own identity (agentapi). A human cannot reward itself:
// human equal to agent is ErrInvalidReward, as is any other bad argument
// (see ErrInvalidReward); agent must have an account (ErrUnknownAgent). A
// reward that would take what human gave in the current period beyond
// Config.RewardBudget fails with ErrRewardBudget. A refused reward changes
// nothing and publishes nothing.
//
// Reward ids are the human's own: each human has its namespace. Retrying
// with the same id and fields has no second effect (and costs no budget);
// reusing one with other fields fails with ledger.ErrExistsWithDifferentFields
// (within Config.Retention, as for transfers).
func (m *Market) Reward(ctx context.Context, rewardID, human, agent string, amount *apd.Decimal, reason string) error {
	if err := validReward(rewardID, human, agent, reason); err != nil {
		return err
	}
	return m.write(ctx, func() error { return m.reward(ctx, rewardID, human, agent, amount, reason) })
}

// RewardAllowance returns what human may still give in the current period
// (Config.RewardBudget less what it gave since the period began) and when
// the next period begins, by the market's clock.
func (m *Market) RewardAllowance(human string) (left *apd.Decimal, renews time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.cfg.Clock.Now()
	r := m.rewards
	r.roll(now)
	left = new(apd.Decimal)
	if _, err := exactContext().Sub(left, r.budget, r.given(human)); err != nil || left.Sign() < 0 {
		left.SetInt64(0)
	}
	return left, now.Truncate(r.period).Add(r.period)
}

// validReward checks what Reward can check without the market's state.
func validReward(rewardID, human, agent, reason string) error {
	if err := validID("reward", rewardID); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidReward, err)
	}
	if err := validID("human", human); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidReward, err)
	}
	if human == agent {
		return fmt.Errorf("%w: %q cannot reward itself", ErrInvalidReward, human)
	}
	if len(reason) > MaxRewardReasonLen || !utf8.ValidString(reason) {
		return fmt.Errorf("%w: reason of %d bytes must be UTF-8 of at most %d", ErrInvalidReward, len(reason), MaxRewardReasonLen)
	}
	return nil
}

// reward applies Reward under the writer's lock.
func (m *Market) reward(ctx context.Context, rewardID, human, agent string, amount *apd.Decimal, reason string) error {
	if _, err := m.agentBalance(agent); err != nil {
		return err
	}
	if err := m.ledger.ValidateAmount(amount); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidReward, err)
	}
	now := m.cfg.Clock.Now()
	r := m.rewards
	r.forget(now)
	id := RewardTransferID(human, rewardID)
	if prior, ok := r.done[id]; ok && !r.forgotten(prior.at, now) {
		if prior.agent == agent && prior.reason == reason && prior.amount.Cmp(amount) == 0 {
			return nil // a retry: no second effect
		}
		return fmt.Errorf("%w: reward %q of %q was %s to %q", ledger.ErrExistsWithDifferentFields,
			rewardID, human, prior.amount.Text('f'), prior.agent)
	}
	if err := r.check(human, amount, now); err != nil {
		return err
	}
	staged := len(m.stage.unit)
	if err := m.ledger.Mint(ctx, id, agent, amount, reason); err != nil {
		return err
	}
	if len(m.stage.unit) == staged {
		return nil // the ledger still knew the id: a retry, nothing minted
	}
	mint := m.stage.unit[staged] // credits_minted, as the ledger wrote it
	p := events.HumanRewardIssued{AgentID: agent, Human: human, Amount: events.DecimalOf(amount), Reason: reason, TransferID: id}
	if minted, ok := mint.Data.(events.CreditsMinted); ok {
		p.Amount = minted.Amount
	}
	given, err := p.Amount.Apd() // as replay reads it, so that the sums are written alike
	if err != nil {
		given = amount
	}
	r.remember(id, agent, reason, given, mint.Time)
	r.spend(human, given, now)
	b := m.seq.Batch(now)
	b.Add(agent, p)
	return b.Publish(ctx, m.stage) // staging cannot fail
}

// rewardState is what a market keeps of rewards: what each human gave in
// the current period, and the rewards done, for retries, until
// Config.Retention forgets them (as the ledger forgets their transfer ids).
// Only the writer uses it.
//
// Its memory grows with the humans who gave this period (cleared when a
// period begins) and with the rewards within Config.Retention (all of
// them if Retention is zero, as the ledger keeps every transfer id).
type rewardState struct {
	budget    *apd.Decimal // per human per period; zero: rewards disabled
	period    time.Duration
	retention time.Duration
	current   time.Time               // start of the period spent is of
	spent     map[string]*apd.Decimal // per human, in the current period
	done      map[string]rewardDone   // by transfer id
	queue     []rewardForget          // done's ids in order, if retention
	head      int                     // queue[head:] are still to forget
}

// rewardDone is a reward given: the fields a retry must repeat, and when
// its mint was made.
type rewardDone struct {
	agent, reason string
	amount        *apd.Decimal
	at            time.Time
}

// rewardForget is a reward's transfer id to forget Retention after at.
type rewardForget struct {
	id string
	at time.Time
}

// newRewardState returns the reward state of a market of cfg, which is
// validated.
func newRewardState(cfg Config) *rewardState {
	budget, _ := cfg.rewardBudget()
	return &rewardState{budget: budget, period: cfg.RewardPeriod, retention: cfg.Retention,
		spent: make(map[string]*apd.Decimal), done: make(map[string]rewardDone)}
}

// rewardBudget returns c.RewardBudget as a decimal: zero if empty, else a
// non-negative decimal no finer than c.Scale and at most
// ledger.DefaultMaxAmount, the largest single amount of the market's
// ledger.
func (c Config) rewardBudget() (*apd.Decimal, error) {
	if c.RewardBudget == "" {
		return new(apd.Decimal), nil
	}
	canonical, err := events.ParseDecimal(c.RewardBudget)
	if err != nil {
		return nil, fmt.Errorf("RewardBudget %q is not a decimal", c.RewardBudget)
	}
	d := canonical.MustApd()
	most, _, _ := apd.NewFromString(ledger.DefaultMaxAmount)
	var r apd.Decimal
	r.Reduce(d)
	if d.Sign() < 0 || d.Cmp(most) > 0 || !d.IsZero() && -r.Exponent > c.Scale {
		return nil, fmt.Errorf("RewardBudget %q must be zero or a positive decimal of at most %d places, at most %s",
			c.RewardBudget, c.Scale, ledger.DefaultMaxAmount)
	}
	return d, nil
}

// roll starts the period of now, if it is later than the current one:
// nobody has given anything in it yet. A clock set back stays in the
// current period.
func (r *rewardState) roll(now time.Time) {
	if p := now.Truncate(r.period); p.After(r.current) {
		r.current = p
		clear(r.spent)
	}
}

// given returns what human gave in the current period.
func (r *rewardState) given(human string) *apd.Decimal {
	if g, ok := r.spent[human]; ok {
		return g
	}
	return new(apd.Decimal)
}

// check returns ErrRewardBudget unless human may give amount more in the
// period of now.
func (r *rewardState) check(human string, amount *apd.Decimal, now time.Time) error {
	r.roll(now)
	if r.budget.Sign() == 0 {
		return fmt.Errorf("%w: rewards are disabled (Config.RewardBudget is zero)", ErrRewardBudget)
	}
	given := r.given(human)
	var total apd.Decimal
	if _, err := exactContext().Add(&total, given, amount); err != nil || total.Cmp(r.budget) > 0 {
		return fmt.Errorf("%w: %q gave %s of %s this period (until %s); %s more is beyond it", ErrRewardBudget,
			human, given.Text('f'), r.budget.Text('f'), r.current.Add(r.period).UTC().Format(time.RFC3339), amount.Text('f'))
	}
	return nil
}

// spend adds amount to what human gave in the period of at.
func (r *rewardState) spend(human string, amount *apd.Decimal, at time.Time) {
	r.roll(at)
	total := new(apd.Decimal)
	if _, err := exactContext().Add(total, r.given(human), amount); err != nil {
		total.Set(r.budget) // beyond exact sums: nothing more this period
	}
	r.spent[human] = total
}

// remember records the reward of transfer id, minted at at.
func (r *rewardState) remember(id, agent, reason string, amount *apd.Decimal, at time.Time) {
	r.done[id] = rewardDone{agent: agent, reason: reason, amount: new(apd.Decimal).Set(amount), at: at}
	if r.retention > 0 {
		if r.head > 0 && r.head >= len(r.queue)/2 {
			n := copy(r.queue, r.queue[r.head:])
			clear(r.queue[n:])
			r.queue, r.head = r.queue[:n], 0
		}
		r.queue = append(r.queue, rewardForget{id: id, at: at})
	}
}

// forgotten reports whether a reward minted at at is forgotten by now, as
// the ledger forgets its transfer id.
func (r *rewardState) forgotten(at, now time.Time) bool {
	return r.retention > 0 && !now.Before(at.Add(r.retention))
}

// forget drops the rewards forgotten by now.
func (r *rewardState) forget(now time.Time) {
	for r.head < len(r.queue) && r.forgotten(r.queue[r.head].at, now) {
		f := r.queue[r.head]
		r.queue[r.head] = rewardForget{}
		r.head++
		if d, ok := r.done[f.id]; ok && d.at.Equal(f.at) {
			delete(r.done, f.id)
		}
	}
}

// replayMint learns a reward from its mint, p, made at at.
func (r *rewardState) replayMint(p events.CreditsMinted, at time.Time) {
	if amount, err := p.Amount.Apd(); err == nil {
		r.remember(p.TransferID, p.To, p.Reason, amount, at)
	}
}

// replayReward counts the reward p, published at at, in what its human
// gave.
func (r *rewardState) replayReward(p events.HumanRewardIssued, at time.Time) error {
	amount, err := p.Amount.Apd()
	if err != nil {
		return err
	}
	r.spend(p.Human, amount, at)
	return nil
}
