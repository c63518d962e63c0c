package benchkit

import (
	"strings"
	"time"

	"github.com/scarcitylabs/scarcity"
	"github.com/scarcitylabs/scarcity/events"
)

// CheckConservation replays the ledger's events (source "ledger") on a model
// of posted balances and pending holds and returns nil or an error joining a
// *Violation named "credits_conserved" for every event that breaks
// conservation: an account used before it was opened, an amount that is not
// a positive decimal, a reported balance or pending amount the replay does
// not give, balances that do not sum to zero, an account without
// allow_negative below zero or holding more than it has, a hold closed twice,
// a transfer id used twice (or, with [Options.Retention], used again before
// the retention passed; a hold id likewise, counted from the hold's close).
// An account opened with an overdraft_limit may go
// down to minus that limit, and no further; an account_closed needs zero
// posted and pending balances, and a closed account used afterwards is a
// violation.
//
// A hold may be captured in several parts (a metered lease): each
// hold_captured captures at most what the hold still holds, and its amount,
// released and remaining add up to what the hold held before it; a
// remaining above zero keeps the hold open (an event without remaining is a
// final capture). A hold_released releases exactly what the hold still
// holds. So over a hold's life its captures and releases add up to what was
// placed, and what was captured never exceeds it.
//
// Credits minted for a human reward are legitimate supply, and only they:
// every human_reward_issued (but one a benchmark injected, source
// benchmark, which changes no state) must be paid by the credits_minted its
// transfer_id names, to its agent_id, of its amount, in the same run; and
// every credits_minted whose transfer id claims a reward
// (scarcity.RewardTransferPrefix, "reward/") must be named by a
// human_reward_issued. A reward without its mint, or such a mint without
// its reward, is a violation.
func CheckConservation(evs []events.Event) error { return join(inOrder(conservation(evs, 0))) }

func conservation(evs []events.Event, retention time.Duration) []finding {
	r := newRecorder(CreditsConserved)
	ledgers := make(map[string]*ledgerModel)
	rewards := newRewardPairs()
	for i, e := range evs {
		if e.Type == events.TypeHumanRewardIssued && e.Source != events.SourceBenchmark {
			r.at(i, e)
			rewards.reward(r, i, e, payload(e.Data))
			continue
		}
		if e.Source != events.SourceLedger {
			continue
		}
		l, ok := ledgers[e.Correlation]
		if !ok {
			l = newLedgerModel(retention)
			ledgers[e.Correlation] = l
		}
		r.at(i, e)
		l.now = e.Time
		p := payload(e.Data)
		l.apply(r, p)
		if m, ok := p.(events.CreditsMinted); ok && strings.HasPrefix(m.TransferID, scarcity.RewardTransferPrefix) {
			rewards.mint(r, i, e, m)
		}
	}
	rewards.unpaired(r)
	return r.found
}

// rewardPairs pairs each human reward with the mint that paid it: the
// credits_minted of the run named by the reward's transfer_id. Each side
// waits, in stream order, for the other.
type rewardPairs struct {
	rewards map[rewardKey][]rewardSide // not yet paired, by their mint
	mints   map[rewardKey][]rewardSide // not yet paired, by their id
}

// rewardKey is a transfer id of a run.
type rewardKey struct{ correlation, transfer string }

// rewardSide is a reward or a mint waiting for the other: where it is, to
// whom it gives and how much.
type rewardSide struct {
	index  int
	event  events.Event
	agent  string
	amount events.Decimal
}

func newRewardPairs() *rewardPairs {
	return &rewardPairs{rewards: make(map[rewardKey][]rewardSide), mints: make(map[rewardKey][]rewardSide)}
}

// reward pairs the human_reward_issued e, at i, with its mint, or leaves it
// waiting for it.
func (p *rewardPairs) reward(r *recorder, i int, e events.Event, data events.Payload) {
	d, ok := data.(events.HumanRewardIssued)
	switch {
	case !ok:
		r.flag("human_reward_issued carries %T, not a reward", data)
		return
	case d.TransferID == "":
		r.flag("human_reward_issued to %q names no mint (transfer_id)", d.AgentID)
		return
	}
	side := rewardSide{index: i, event: e, agent: d.AgentID, amount: d.Amount}
	k := rewardKey{e.Correlation, d.TransferID}
	if q := p.mints[k]; len(q) > 0 {
		p.mints[k] = q[1:]
		p.compare(r, side, q[0])
		return
	}
	p.rewards[k] = append(p.rewards[k], side)
}

// mint pairs the reward's mint m, event e at i, with its reward, or leaves
// it waiting for it.
func (p *rewardPairs) mint(r *recorder, i int, e events.Event, m events.CreditsMinted) {
	side := rewardSide{index: i, event: e, agent: m.To, amount: m.Amount}
	k := rewardKey{e.Correlation, m.TransferID}
	if q := p.rewards[k]; len(q) > 0 {
		p.rewards[k] = q[1:]
		p.compare(r, q[0], side)
		return
	}
	p.mints[k] = append(p.mints[k], side)
}

// compare flags, at the current event, a reward and its mint that differ
// in agent or amount.
func (p *rewardPairs) compare(r *recorder, reward, mint rewardSide) {
	if reward.agent != mint.agent {
		r.flag("human_reward_issued rewards %q but its mint %s pays %q", reward.agent, eventName(mint.event), mint.agent)
	}
	x, errX := reward.amount.Apd()
	y, errY := mint.amount.Apd()
	if errX != nil || errY != nil || x.Cmp(y) != 0 {
		r.flag("human_reward_issued gives %s but its mint %s mints %s", reward.amount, eventName(mint.event), mint.amount)
	}
}

// unpaired flags, at the end of the stream, every reward without its mint
// and every reward's mint without its reward.
func (p *rewardPairs) unpaired(r *recorder) {
	for k, q := range p.rewards {
		for _, s := range q {
			r.at(s.index, s.event)
			r.flag("human_reward_issued to %q of %s is not paid: no credits_minted %q", s.agent, s.amount, k.transfer)
		}
	}
	for k, q := range p.mints {
		for _, s := range q {
			r.at(s.index, s.event)
			r.flag("credits_minted %q of %s to %q claims a reward, but no human_reward_issued names it", k.transfer, s.amount, s.agent)
		}
	}
}
