package invariant

import (
	"strings"
	"time"

	"github.com/cockroachdb/apd/v3"

	"github.com/scarcitylabs/scarcity/benchkit/internal/stream"
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
			rewards.reward(r, i, e, stream.Payload(e.Data))
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
		p := stream.Payload(e.Data)
		l.apply(r, p)
		if m, ok := p.(events.CreditsMinted); ok && strings.HasPrefix(m.TransferID, rewardTransferPrefix) {
			rewards.mint(r, i, e, m)
		}
	}
	rewards.unpaired(r)
	return r.found
}

// rewardTransferPrefix begins the transfer id of every mint that pays a
// human reward: scarcity.RewardTransferPrefix, which this package does not
// import (a test holds them equal).
const rewardTransferPrefix = "reward/"

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
		r.flag("human_reward_issued rewards %q but its mint %s pays %q", reward.agent, stream.EventName(mint.event), mint.agent)
	}
	x, errX := reward.amount.Apd()
	y, errY := mint.amount.Apd()
	if errX != nil || errY != nil || x.Cmp(y) != 0 {
		r.flag("human_reward_issued gives %s but its mint %s mints %s", reward.amount, stream.EventName(mint.event), mint.amount)
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

// ledgerModel is the replayed state of one run's ledger.
type ledgerModel struct {
	ctx       *apd.Context
	accounts  map[string]*account
	holds     map[string]*hold
	transfers map[string]time.Time // when each transfer id was used
	sum       apd.Decimal          // of every account's posted balance
	// retention is Options.Retention: how long the run's ledger remembered
	// a transfer id or a closed hold; zero for ever. now is the time of the
	// event being replayed.
	retention time.Duration
	now       time.Time
}

type account struct {
	id            string
	opened        bool // false for an account used without account_opened
	allowNegative bool
	limit         apd.Decimal // overdraft limit: the floor is -limit
	closed        bool
	balance       apd.Decimal // posted
	pending       apd.Decimal // held
}

// hold is a hold's life: placed, captured in one or several parts, then
// closed by a final capture or a release.
type hold struct {
	account   string
	amount    apd.Decimal // as placed
	remaining apd.Decimal // still held
	captured  apd.Decimal // captured so far
	closed    string      // "captured" or "released" once closed
	closedAt  time.Time   // when it closed
}

func newLedgerModel(retention time.Duration) *ledgerModel {
	return &ledgerModel{
		ctx:       newExactContext(),
		accounts:  make(map[string]*account),
		holds:     make(map[string]*hold),
		transfers: make(map[string]time.Time),
		retention: retention,
	}
}

// forgotten reports whether a record done at was forgotten by now: only
// with a retention, and once it has passed, as the ledger forgets.
func (l *ledgerModel) forgotten(at time.Time) bool {
	return l.retention > 0 && !l.now.Before(at.Add(l.retention))
}

// apply replays one ledger event: it applies what the event does, compares
// the balances it reports with the model's (adopting the reported ones where
// they differ), then checks the accounts it touched and the sum.
func (l *ledgerModel) apply(r *recorder, p events.Payload) {
	var before apd.Decimal
	before.Set(&l.sum)
	var touched []*account
	switch p := p.(type) {
	case events.AccountOpened:
		l.open(r, p)
	case events.AccountClosed:
		l.close(r, p)
	case events.CreditsMinted:
		touched = l.move(r, p.Movement)
	case events.CreditsTransferred:
		touched = l.move(r, p.Movement)
	case events.CreditsBurned:
		touched = l.move(r, p.Movement)
	case events.HoldPlaced:
		touched = l.place(r, p)
	case events.HoldCaptured:
		touched = l.capture(r, p)
	case events.HoldReleased:
		touched = l.release(r, p)
	case events.BalanceQueried:
		touched = l.query(r, p)
	}
	for i, a := range touched {
		if !containsAccount(touched[:i], a) {
			l.checkFloor(r, a)
		}
	}
	if l.sum.Sign() != 0 && l.sum.Cmp(&before) != 0 {
		r.flag("posted balances sum to %s, not zero", l.sum.Text('f'))
	}
}

func containsAccount(as []*account, a *account) bool {
	for _, b := range as {
		if a == b {
			return true
		}
	}
	return false
}

func (l *ledgerModel) open(r *recorder, p events.AccountOpened) {
	a, ok := l.accounts[p.AccountID]
	switch {
	case p.AccountID == "":
		r.flag("account_id is missing")
	case !ok:
		a = &account{id: p.AccountID, opened: true, allowNegative: p.AllowNegative}
		l.accounts[p.AccountID] = a
		l.setLimit(r, a, p.OverdraftLimit)
	case a.opened:
		r.flag("account %q opened twice", p.AccountID)
	default: // used before, already reported; from now on it is open
		a.opened, a.allowNegative = true, p.AllowNegative
		l.setLimit(r, a, p.OverdraftLimit)
	}
}

// setLimit records the overdraft limit of a, if the event gives one.
func (l *ledgerModel) setLimit(r *recorder, a *account, limit events.Decimal) {
	if limit == "" {
		return
	}
	if d, ok := r.nonNegative("overdraft_limit", limit); ok {
		a.limit.Set(d)
	}
}

// close closes an account, flagging one that is unknown, already closed, or
// not empty.
func (l *ledgerModel) close(r *recorder, p events.AccountClosed) {
	a, ok := l.accounts[p.AccountID]
	switch {
	case !ok || !a.opened:
		r.flag("account %q closed but never opened", p.AccountID)
		return
	case a.closed:
		r.flag("account %q closed twice", a.id)
	case a.balance.Sign() != 0 || a.pending.Sign() != 0:
		r.flag("account %q closed with balance %s and pending %s", a.id, a.balance.Text('f'), a.pending.Text('f'))
	}
	a.closed = true
}

// use returns the account id names, flagging it if it was never opened; an
// account used without being opened is modelled from zero.
func (l *ledgerModel) use(r *recorder, field, id string) *account {
	a, ok := l.accounts[id]
	if !ok {
		a = &account{id: id}
		l.accounts[id] = a
	}
	if !a.opened {
		r.flag("%s account %q was never opened", field, id)
	}
	if a.closed {
		r.flag("%s account %q is closed", field, id)
	}
	return a
}

// transferID records the id of a transfer, flagging a missing or repeated one.
func (l *ledgerModel) transferID(r *recorder, id string) {
	switch {
	case id == "":
		r.flag("transfer_id is missing")
	default:
		if at, used := l.transfers[id]; used && !l.forgotten(at) {
			r.flag("transfer %q moved credits twice", id)
			return
		}
		l.transfers[id] = l.now
	}
}

func (l *ledgerModel) move(r *recorder, m events.Movement) []*account {
	from := l.use(r, "from", m.From)
	to := l.use(r, "to", m.To)
	l.transferID(r, m.TransferID)
	if amount, ok := r.positive("amount", m.Amount); ok {
		l.post(r, from, to, amount)
	}
	l.expectBalance(r, "from_balance", m.FromBalance, from)
	l.expectBalance(r, "to_balance", m.ToBalance, to)
	return []*account{from, to}
}

func (l *ledgerModel) place(r *recorder, p events.HoldPlaced) []*account {
	a := l.use(r, "account_id", p.AccountID)
	amount, ok := r.positive("amount", p.Amount)
	if l.newHold(r, p.HoldID) && ok && l.add(r, &a.pending, amount) {
		h := &hold{account: a.id}
		h.amount.Set(amount)
		h.remaining.Set(amount)
		l.holds[p.HoldID] = h
	}
	l.expectBalance(r, "balance", p.Balance, a)
	l.expectPending(r, p.Pending, a)
	return []*account{a}
}

func (l *ledgerModel) capture(r *recorder, p events.HoldCaptured) []*account {
	from := l.use(r, "account_id", p.AccountID)
	to := l.use(r, "to", p.To)
	l.transferID(r, p.TransferID)
	amount, okAmount := r.positive("amount", p.Amount)
	released, okReleased := r.nonNegative("released", p.Released)
	remaining, okRemaining := new(apd.Decimal), true // absent: a final capture
	if p.Remaining != "" {
		remaining, okRemaining = r.nonNegative("remaining", p.Remaining)
	}
	touched := []*account{from, to}
	if h, ok := l.openHold(r, p.HoldID, from.id, "captured"); ok {
		touched = append(touched, l.accounts[h.account])
		if okAmount && okReleased && okRemaining {
			l.checkCapture(r, p.HoldID, h, amount, released, remaining)
		}
		if !okRemaining || remaining.Cmp(&h.remaining) > 0 {
			remaining = new(apd.Decimal)
		}
		l.keep(r, h, remaining)
		if okAmount {
			l.add(r, &h.captured, amount)
		}
		if remaining.Sign() == 0 {
			h.closed, h.closedAt = "captured", l.now
		}
	}
	if okAmount {
		l.post(r, from, to, amount)
	}
	l.expectBalance(r, "from_balance", p.FromBalance, from)
	l.expectBalance(r, "to_balance", p.ToBalance, to)
	l.expectPending(r, p.Pending, from)
	return touched
}

// checkCapture flags a capture of more than the hold still holds, or whose
// amount, release and remainder do not add up to what it held.
func (l *ledgerModel) checkCapture(r *recorder, id string, h *hold, amount, released, remaining *apd.Decimal) {
	if amount.Cmp(&h.remaining) > 0 {
		r.flag("hold %q captures %s but holds only %s", id, amount.Text('f'), h.remaining.Text('f'))
		return
	}
	var total apd.Decimal
	if !l.add(r, &total, amount) || !l.add(r, &total, released) || !l.add(r, &total, remaining) || total.Cmp(&h.remaining) == 0 {
		return
	}
	if remaining.Sign() == 0 {
		r.flag("hold %q held %s but captures %s and releases %s", id, h.remaining.Text('f'), amount.Text('f'), released.Text('f'))
		return
	}
	r.flag("hold %q held %s but captures %s, releases %s and keeps %s",
		id, h.remaining.Text('f'), amount.Text('f'), released.Text('f'), remaining.Text('f'))
}

func (l *ledgerModel) release(r *recorder, p events.HoldReleased) []*account {
	a := l.use(r, "account_id", p.AccountID)
	amount, okAmount := r.positive("amount", p.Amount)
	touched := []*account{a}
	if h, ok := l.openHold(r, p.HoldID, a.id, "released"); ok {
		touched = append(touched, l.accounts[h.account])
		if okAmount && amount.Cmp(&h.remaining) != 0 {
			r.flag("hold %q held %s but releases %s", p.HoldID, h.remaining.Text('f'), amount.Text('f'))
		}
		l.keep(r, h, new(apd.Decimal))
		h.closed, h.closedAt = "released", l.now
	}
	l.expectPending(r, p.Pending, a)
	return touched
}

func (l *ledgerModel) query(r *recorder, p events.BalanceQueried) []*account {
	a := l.use(r, "account_id", p.AccountID)
	l.expectBalance(r, "balance", p.Balance, a)
	l.expectPending(r, p.Pending, a)
	var available apd.Decimal
	if _, err := l.ctx.Sub(&available, &a.balance, &a.pending); err != nil {
		r.flag("available balance of %q is not exact: %v", a.id, err)
		return []*account{a}
	}
	if got, ok := r.decimal("available", p.Available); ok && got.Cmp(&available) != 0 {
		r.flag("available of %q is %s, the replay gives %s", a.id, p.Available, available.Text('f'))
	}
	return []*account{a}
}

// newHold reports whether id is a new hold id, flagging it if not.
func (l *ledgerModel) newHold(r *recorder, id string) bool {
	switch {
	case id == "":
		r.flag("hold_id is missing")
		return false
	case l.holds[id] != nil:
		if h := l.holds[id]; h.closed != "" && l.forgotten(h.closedAt) {
			return true
		}
		r.flag("hold %q placed twice", id)
		return false
	}
	return true
}

// openHold returns the open hold id, and flags a hold that was never
// placed, is already closed, or is not on accountID.
func (l *ledgerModel) openHold(r *recorder, id, accountID, how string) (*hold, bool) {
	h, ok := l.holds[id]
	switch {
	case !ok:
		r.flag("hold %q %s but never placed", id, how)
		return nil, false
	case h.closed != "":
		r.flag("hold %q %s but already %s", id, how, h.closed)
		return nil, false
	case h.account != accountID:
		r.flag("hold %q is on account %q, not %q", id, h.account, accountID)
	}
	return h, true
}

// keep leaves remaining (at most what h holds) in the hold h and returns the
// rest to its account's available balance.
func (l *ledgerModel) keep(r *recorder, h *hold, remaining *apd.Decimal) {
	var freed apd.Decimal
	if _, err := l.ctx.Sub(&freed, remaining, &h.remaining); err != nil {
		r.flag("remaining of a hold is not exact: %v", err)
		return
	}
	l.add(r, &l.accounts[h.account].pending, &freed)
	h.remaining.Set(remaining)
}

// post moves amount of posted credits from one account to another.
func (l *ledgerModel) post(r *recorder, from, to *account, amount *apd.Decimal) {
	var out apd.Decimal
	out.Neg(amount)
	l.addBalance(r, from, &out)
	l.addBalance(r, to, amount)
}

func (l *ledgerModel) addBalance(r *recorder, a *account, delta *apd.Decimal) {
	if l.add(r, &a.balance, delta) {
		l.add(r, &l.sum, delta)
	}
}

// add adds delta to dst, flagging a result that is not exact and leaving dst
// unchanged then.
func (l *ledgerModel) add(r *recorder, dst, delta *apd.Decimal) bool {
	var sum apd.Decimal
	if _, err := l.ctx.Add(&sum, dst, delta); err != nil {
		r.flag("%s + %s is not exact in %d digits: %v", dst.Text('f'), delta.Text('f'), exactPrecision, err)
		return false
	}
	dst.Set(&sum)
	return true
}

// expectBalance flags a reported posted balance of a that differs from the
// model's, and adopts the reported one.
func (l *ledgerModel) expectBalance(r *recorder, field string, reported events.Decimal, a *account) {
	got, ok := r.decimal(field, reported)
	if !ok || got.Cmp(&a.balance) == 0 {
		return
	}
	r.flag("%s of %q is %s, the replay gives %s", field, a.id, reported, a.balance.Text('f'))
	var delta apd.Decimal
	if _, err := l.ctx.Sub(&delta, got, &a.balance); err != nil {
		r.flag("%s of %q is not exact: %v", field, a.id, err)
		return
	}
	l.addBalance(r, a, &delta)
}

// expectPending flags a reported pending amount of a that differs from the
// model's, and adopts the reported one.
func (l *ledgerModel) expectPending(r *recorder, reported events.Decimal, a *account) {
	got, ok := r.decimal("pending", reported)
	if !ok || got.Cmp(&a.pending) == 0 {
		return
	}
	r.flag("pending of %q is %s, the replay gives %s", a.id, reported, a.pending.Text('f'))
	a.pending.Set(got)
}

// checkFloor flags an account that is below its floor (zero, or minus its
// overdraft limit) without allow_negative, or that holds more than it has
// above the floor.
func (l *ledgerModel) checkFloor(r *recorder, a *account) {
	var room, available apd.Decimal // balance above the floor; and less pending
	if _, err := l.ctx.Add(&room, &a.balance, &a.limit); err != nil {
		r.flag("balance of %q is not exact: %v", a.id, err)
		return
	}
	if _, err := l.ctx.Sub(&available, &room, &a.pending); err != nil {
		r.flag("available balance of %q is not exact: %v", a.id, err)
		return
	}
	switch {
	case a.pending.Sign() < 0:
		r.flag("pending of %q is %s, below zero", a.id, a.pending.Text('f'))
	case a.allowNegative:
	case room.Sign() < 0 && a.limit.Sign() == 0:
		r.flag("balance of %q is %s, below zero", a.id, a.balance.Text('f'))
	case room.Sign() < 0:
		r.flag("balance of %q is %s, below its overdraft limit -%s", a.id, a.balance.Text('f'), a.limit.Text('f'))
	case available.Sign() < 0 && a.limit.Sign() == 0:
		r.flag("%q holds %s, more than its balance %s", a.id, a.pending.Text('f'), a.balance.Text('f'))
	case available.Sign() < 0:
		r.flag("%q holds %s, more than its balance %s plus its overdraft limit %s", a.id, a.pending.Text('f'), a.balance.Text('f'), a.limit.Text('f'))
	}
}
