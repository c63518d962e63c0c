package scarcity_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/cockroachdb/apd/v3"

	"github.com/scarcitylabs/scarcity"
	"github.com/scarcitylabs/scarcity/bundle"
	"github.com/scarcitylabs/scarcity/events"
	"github.com/scarcitylabs/scarcity/ledger"
	"github.com/scarcitylabs/scarcity/sched"
	"github.com/scarcitylabs/scarcity/transport/faultinject"
	"github.com/scarcitylabs/scarcity/transport/natstransport"
)

// simClass is what a command's outcome says of its effect.
type simClass int

const (
	// classAcked: the command returned nil; its events are in the stream.
	classAcked simClass = iota
	// classRefused: the command returned its own error once its group was
	// acknowledged; its effect is not in the stream (a rejected bid's
	// bid_rejected is).
	classRefused
	// classFailed: its group failed before storing anything, or was never
	// sent (ErrFenced, a crash): nothing of it is in the stream.
	classFailed
	// classDoubt: its group's outcome is unknown; the stream decides.
	classDoubt
)

var classNames = [...]string{"acknowledged", "refused", "failed", "in doubt"}

func (c simClass) String() string { return classNames[c] }

// classify returns the class of a command's error. The first failure
// carries the publisher's error; a command that failed behind it wraps
// events.ErrFenced and that error: if that is in doubt, so is the command,
// which may have been sent behind the first and stored with it.
func classify(err error) simClass {
	switch {
	case err == nil:
		return classAcked
	case errors.Is(err, events.ErrInDoubt), errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return classDoubt
	case errors.Is(err, events.ErrFenced), errors.Is(err, errCrashed):
		return classFailed
	case errors.Is(err, faultinject.ErrInjected), errors.Is(err, errConflict), errors.Is(err, errStoreFailed),
		errors.Is(err, natstransport.ErrNotAccepted), errors.Is(err, events.ErrFull):
		return classFailed
	}
	return classRefused
}

// keyKind is a kind of effect a command has on the stream.
type keyKind int

const (
	keyTransfer keyKind = iota // a credit movement, by ledger transfer id
	keyAccount                 // an account opened
	keyBid                     // an order placed (or rejected at placement)
	keyCancel                  // an order cancelled
	keyEmit                    // an agent event, by content
	keyJudge                   // a judge's evaluation, by comment
)

// simKey is one effect.
type simKey struct {
	kind keyKind
	id   string
}

func (k simKey) String() string {
	return [...]string{"transfer", "account", "order", "cancel of", "agent event", "judgement"}[k.kind] + " " + k.id
}

// simMust is what an acknowledged command must find in the stream.
type simMust int

const (
	mustNothing simMust = iota
	mustOpen
	mustAccount
	mustTransfer
	mustBid
	mustCancel
	mustEmit
	mustJudge
)

// simAttempt is one command and its outcome.
type simAttempt struct {
	step      int
	at        time.Time // the clock when it was planned
	who, desc string
	keys      []simKey     // the effects it may have
	move      *simMovement // the movement of its transfer key
	must      simMust
	allowed   []error // the errors of its own it may return
	aftermath bool    // sched.ErrAftermath errors are its own too
	err       error
	class     simClass
	rejected  bool // refused with a *RejectedError: its bid_rejected is in the stream
	// retry names the id an operator or agent retries (a mint or transfer
	// with the same id and fields).
	retry string
}

// allows reports whether a's outcome allows the stream to hold k.
func (a *simAttempt) allows(k simKey) bool {
	switch a.class {
	case classAcked, classDoubt:
		return true
	case classRefused:
		return a.rejected && k.kind == keyBid
	}
	return false
}

// record files an attempt's outcome.
func (s *sim) record(a *simAttempt) {
	a.class = classify(a.err)
	if a.step == 0 {
		a.step, a.at = s.step, s.clk.Now()
	}
	var rej *scarcity.RejectedError
	a.rejected = a.class == classRefused && errors.As(a.err, &rej)
	if a.class == classRefused {
		ok := a.aftermath && errors.Is(a.err, sched.ErrAftermath)
		for _, e := range a.allowed {
			ok = ok || errors.Is(a.err, e)
		}
		if !ok {
			s.logf("%s %s → %v", a.who, a.desc, a.err)
			s.failf("%s %s: unexpected error %v", a.who, a.desc, a.err)
		}
	}
	s.mu.Lock()
	s.stepAtts = append(s.stepAtts, a)
	for _, k := range a.keys {
		s.attempts[k] = append(s.attempts[k], a)
	}
	s.mu.Unlock()
	out := "ok"
	if a.err != nil {
		out = fmt.Sprintf("%v [%s]", a.err, a.class)
	}
	s.logf("%s %s → %s", a.who, a.desc, out)
}

// checkKey checks an effect the stream just trusted: some attempt whose
// outcome allows it must have made it, with the same fields.
func (s *sim) checkKey(k simKey) {
	if _, agent := s.credits[k.id]; k.kind == keyAccount && !agent {
		return // a system account, opened by New
	}
	s.mu.Lock()
	atts := slices.Clone(s.attempts[k])
	s.mu.Unlock()
	var mv simMovement
	if k.kind == keyTransfer {
		mv = s.ix.transfers[k.id]
		if n := s.ix.counts[k.id]; n > 1 {
			s.failf("transfer %s is in the stream %d times", k.id, n)
		}
	}
	var outcomes []string
	for _, a := range atts {
		if a.allows(k) && (k.kind != keyTransfer || a.move != nil && sameMovement(*a.move, mv)) {
			return
		}
		outcomes = append(outcomes, fmt.Sprintf("step %d %s %s → %v [%s]", a.step, a.who, a.desc, a.err, a.class))
	}
	if len(outcomes) == 0 {
		outcomes = []string{"none"}
	}
	s.failf("%s is in the stream, but no attempt may have put it there: %s", k, strings.Join(outcomes, "; "))
}

func sameMovement(a, b simMovement) bool {
	return a.mint == b.mint && a.from == b.from && a.to == b.to && a.amount.Cmp(b.amount) == 0
}

// checkAttempts checks the step's acknowledged commands against the
// stream, and files them.
func (s *sim) checkAttempts(when string) {
	s.mu.Lock()
	atts := s.stepAtts
	s.stepAtts = nil
	s.mu.Unlock()
	ix := s.ix
	for _, a := range atts {
		s.stats.Commands++
		switch a.class {
		case classAcked:
			s.stats.Acked++
		case classRefused:
			s.stats.Refused++
		case classFailed:
			s.stats.Failed++
		case classDoubt:
			s.stats.InDoubt++
		}
		if a.class == classAcked || a.class == classRefused {
			s.done = append(s.done, a)
		}
		if a.rejected && !ix.rejected[a.keys[0].id] {
			s.failf("%s: %s %s was rejected (%v), its bid_rejected is not in the stream", when, a.who, a.desc, a.err)
		}
		if a.class != classAcked {
			continue
		}
		var missing string
		id := ""
		if len(a.keys) > 0 {
			id = a.keys[0].id
		}
		switch a.must {
		case mustOpen:
			if !ix.opened[id] {
				missing = "account_opened"
			} else if a.move.amount.Sign() > 0 {
				if mv, ok := ix.transfers[a.keys[1].id]; !ok || !sameMovement(mv, *a.move) {
					missing = "its opening credits_minted"
				}
			}
		case mustAccount:
			if !ix.opened[id] {
				missing = "account_opened"
			}
		case mustTransfer:
			if mv, ok := ix.transfers[id]; !ok || !sameMovement(mv, *a.move) {
				missing = "its credits movement"
			}
		case mustBid:
			if ix.placed[id] == 0 {
				missing = "bid_placed"
			}
		case mustCancel:
			if !ix.cancelled[id] {
				missing = "order_cancelled"
			}
		case mustEmit:
			if !ix.emitted[id] {
				missing = "its agent event"
			}
		case mustJudge:
			if !ix.judged[id] {
				missing = "its judge_evaluation"
			}
		}
		if missing != "" {
			s.failf("%s: %s %s was acknowledged; %s is not in the stream (trusted)", when, a.who, a.desc, missing)
		}
	}
}

// ----- commands -----

// plan draws the step's commands: some agents, each one or two commands,
// and maybe the operator; each slot runs on a goroutine of its own.
func (s *sim) plan() [][]func() {
	var slots [][]func()
	if s.step <= 2 { // the operator opens the agents first
		var open []func()
		for _, a := range s.agents {
			if s.rng.IntN(3) != 0 {
				open = append(open, s.cmdOpen(a))
			}
		}
		slots = append(slots, open)
	}
	n := 1 + s.rng.IntN(min(len(s.agents), 3))
	for _, i := range s.rng.Perm(len(s.agents))[:n] {
		cmds := []func(){s.agentCommand(s.agents[i])}
		if s.rng.IntN(6) == 0 {
			cmds = append(cmds, s.agentCommand(s.agents[i]))
		}
		slots = append(slots, cmds)
	}
	if s.rng.IntN(2) == 0 {
		slots = append(slots, []func(){s.operatorCommand()})
	}
	return slots
}

// ctx returns the context of a command: one in fifty is cancelled before
// it starts, as a caller that gives up would.
func (s *sim) ctx() context.Context {
	if s.rng.IntN(50) == 0 {
		s.cancelled.Store(true)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		return ctx
	}
	return context.Background()
}

func (s *sim) id(prefix string) string { return fmt.Sprintf("%s%d", prefix, s.nextID.Add(1)) }

func (s *sim) agentCommand(a string) func() {
	switch r := s.rng.IntN(22); {
	case r < 1:
		return s.cmdOpenAccount(a)
	case r < 7:
		return s.cmdBid(a)
	case r < 9:
		return s.cmdCancel(a)
	case r < 12:
		return s.cmdTransfer(a)
	case r < 13:
		return s.cmdBalance(a)
	case r < 15:
		return s.cmdUse(a)
	case r < 16:
		return s.cmdReport(a)
	case r < 17:
		return s.cmdRelease(a)
	case r < 19:
		return s.cmdReserve(a)
	default:
		return s.cmdEmit(a)
	}
}

func (s *sim) operatorCommand() func() {
	r := s.rng.IntN(12)
	if r == 11 && s.snaps != nil && s.rng.IntN(3) == 0 {
		return s.cmdSnapshot()
	}
	switch {
	case r < 2:
		return s.cmdOpen(s.agents[s.rng.IntN(len(s.agents))])
	case r < 4:
		return s.cmdMint()
	case r < 9:
		return s.cmdTick()
	case r < 10:
		return s.cmdClear()
	default:
		return s.cmdJudge()
	}
}

func (s *sim) cmdOpen(a string) func() {
	ctx := s.ctx()
	credits := apd.New(s.credits[a], 0)
	return func() {
		err := s.market.Load().Open(ctx, a, credits)
		s.record(&simAttempt{who: "operator", desc: fmt.Sprintf("Open(%s, %s)", a, credits), err: err, must: mustOpen,
			keys: []simKey{{keyAccount, a}, {keyTransfer, "open/" + a}}, move: &simMovement{mint: true, to: a, amount: credits}})
	}
}

func (s *sim) cmdOpenAccount(a string) func() {
	ctx := s.ctx()
	return func() {
		err := s.market.Load().OpenAccount(ctx, a)
		s.record(&simAttempt{who: a, desc: "OpenAccount", err: err, must: mustAccount, keys: []simKey{{keyAccount, a}}})
	}
}

// retryOf returns an earlier acknowledged or refused attempt whose
// description starts with prefix, made by who, recent enough that the
// market still remembers its id (half its Retention), if there is one.
func (s *sim) retryOf(who, prefix string) *simAttempt {
	var out []*simAttempt
	for _, a := range s.done {
		if a.who != who || a.retry == "" || !strings.HasPrefix(a.desc, prefix) {
			continue
		}
		if r := s.mcfg.Retention; r > 0 && s.clk.Now().Sub(a.at) >= r/2 {
			continue
		}
		out = append(out, a)
	}
	if len(out) == 0 {
		return nil
	}
	return out[s.rng.IntN(len(out))]
}

func (s *sim) cmdMint() func() {
	ctx := s.ctx()
	a, id := s.agents[s.rng.IntN(len(s.agents))], s.id("m")
	amount := apd.New(int64(1+s.rng.IntN(5000)), -2)
	if s.rng.IntN(5) == 0 {
		if old := s.retryOf("operator", "Mint("); old != nil { // the same call again: no second effect
			id, a, amount = old.retry, old.move.to, old.move.amount
		}
	}
	return func() {
		err := s.market.Load().Mint(ctx, id, a, amount, "reward")
		s.record(&simAttempt{who: "operator", desc: fmt.Sprintf("Mint(%s, %s, %s)", id, a, amount), err: err, retry: id,
			keys: []simKey{{keyTransfer, "mint/" + id}}, move: &simMovement{mint: true, to: a, amount: amount},
			must: mustTransfer, allowed: []error{scarcity.ErrUnknownAgent}})
	}
}

func (s *sim) cmdTransfer(from string) func() {
	ctx := s.ctx()
	to := s.agents[s.rng.IntN(len(s.agents))]
	for to == from {
		to = s.agents[s.rng.IntN(len(s.agents))]
	}
	id, amount := s.id("x"), apd.New(int64(1+s.rng.IntN(3000)), -2)
	if s.rng.IntN(5) == 0 {
		if old := s.retryOf(from, "Transfer("); old != nil {
			id, to, amount = old.retry, old.move.to, old.move.amount
		}
	}
	return func() {
		err := s.market.Load().Transfer(ctx, id, from, to, amount)
		s.record(&simAttempt{who: from, desc: fmt.Sprintf("Transfer(%s, →%s, %s)", id, to, amount), err: err, retry: id,
			keys: []simKey{{keyTransfer, "xfer/" + from + "/" + id}}, move: &simMovement{from: from, to: to, amount: amount},
			must: mustTransfer, allowed: []error{scarcity.ErrUnknownAgent, ledger.ErrInsufficientCredit}})
	}
}

func (s *sim) cmdBid(a string) func() {
	ctx := s.ctx()
	id := s.id("o")
	q := bundle.Quantities{}
	for _, r := range testResources {
		if s.rng.IntN(2) == 0 {
			q[r.Name] = 1 + s.rng.Int64N(r.Capacity/2)
		}
	}
	if len(q) == 0 {
		q["cpu"] = 1 + s.rng.Int64N(40)
	}
	w := bundle.Window{Duration: time.Duration(10+s.rng.IntN(200)) * time.Second}
	if s.rng.IntN(3) == 0 {
		w.Start = s.clk.Now().Add(time.Duration(s.rng.IntN(300)) * time.Second)
	}
	b := scarcity.Bid{ID: id, Agent: a, Bundle: bundle.Bundle{Quantities: q, Window: w}, Limit: apd.New(1+s.rng.Int64N(40_000_000), -6)}
	again := s.rng.IntN(6) == 0
	s.mu.Lock()
	s.orders = append(s.orders, id)
	s.mu.Unlock()
	return func() {
		m := s.market.Load()
		if again { // a bid of the agent's in the book, placed again: no second effect
			for _, o := range m.Orders() {
				if o.Agent == a {
					b = o
					break
				}
			}
		}
		err := m.Bid(ctx, b)
		s.record(&simAttempt{who: a, desc: fmt.Sprintf("Bid(%s, %v, %s)", b.ID, b.Bundle.Quantities, b.Limit), err: err,
			keys: []simKey{{keyBid, b.ID}}, must: mustBid,
			allowed: []error{scarcity.ErrBidRejected, scarcity.ErrUnknownAgent, scarcity.ErrBookFull, scarcity.ErrTooManyBids, scarcity.ErrDuplicateOrder}})
	}
}

// choose returns a random element of xs drawn with r, or "" if none.
func choose(r *rand.Rand, xs []string) string {
	if len(xs) == 0 {
		return ""
	}
	return xs[r.IntN(len(xs))]
}

func (s *sim) cmdCancel(a string) func() {
	ctx := s.ctx()
	r := rand.New(rand.NewPCG(s.rng.Uint64(), 0))
	s.mu.Lock()
	other := choose(r, s.orders)
	s.mu.Unlock()
	own := r.IntN(4) != 0
	return func() {
		m := s.market.Load()
		id := other
		if own {
			var mine []string
			for _, o := range m.Orders() {
				if o.Agent == a {
					mine = append(mine, o.ID)
				}
			}
			if x := choose(r, mine); x != "" {
				id = x
			}
		}
		if id == "" {
			id = "o0"
		}
		err := m.Cancel(ctx, a, id)
		s.record(&simAttempt{who: a, desc: fmt.Sprintf("Cancel(%s)", id), err: err, keys: []simKey{{keyCancel, id}},
			must: mustCancel, allowed: []error{scarcity.ErrUnknownOrder}})
	}
}

func (s *sim) cmdBalance(a string) func() {
	ctx := s.ctx()
	return func() {
		_, err := s.market.Load().Balance(ctx, a)
		s.record(&simAttempt{who: a, desc: "Balance", err: err, allowed: []error{scarcity.ErrUnknownAgent}})
	}
}

func (s *sim) cmdUse(a string) func() {
	ctx := s.ctx()
	qty := 1 + s.rng.Int64N(3000)
	return func() {
		err := s.market.Load().Use(ctx, a, "tokens", qty)
		s.record(&simAttempt{who: a, desc: fmt.Sprintf("Use(%d tokens)", qty), err: err,
			allowed: []error{sched.ErrServiceDenied, sched.ErrTerminated}})
	}
}

func (s *sim) cmdReport(a string) func() {
	ctx := s.ctx()
	level := s.rng.Int64N(60)
	return func() {
		err := s.market.Load().Report(ctx, a, "cpu", level)
		s.record(&simAttempt{who: a, desc: fmt.Sprintf("Report(cpu %d)", level), err: err, aftermath: true,
			allowed: []error{sched.ErrTerminated}})
	}
}

func (s *sim) cmdRelease(a string) func() {
	ctx := s.ctx()
	r := rand.New(rand.NewPCG(s.rng.Uint64(), 1))
	return func() {
		m := s.market.Load()
		id := choose(r, m.Scheduler().Active(a))
		if id == "" {
			id = "bundle/none/1"
		}
		_, _, err := m.Release(ctx, a, id)
		s.record(&simAttempt{who: a, desc: fmt.Sprintf("Release(%s)", id), err: err, aftermath: true,
			allowed: []error{scarcity.ErrUnknownBundle, sched.ErrWindowEnded}})
	}
}

func (s *sim) cmdReserve(a string) func() {
	ctx := s.ctx()
	worst := 1 + s.rng.Int64N(2000)
	ttl := time.Duration(30+s.rng.IntN(120)) * time.Second
	cancel := s.rng.IntN(3) == 0
	actual := s.rng.Int64N(worst + 1)
	return func() {
		m := s.market.Load()
		rid, err := m.Reserve(ctx, a, "tokens", worst, ttl)
		s.record(&simAttempt{who: a, desc: fmt.Sprintf("Reserve(%d tokens) = %s", worst, rid), err: err,
			allowed: []error{sched.ErrServiceDenied, sched.ErrTerminated}})
		if err != nil {
			return
		}
		m = s.market.Load()
		allowed := []error{sched.ErrUnknownReservation, sched.ErrReservationLapsed}
		if cancel {
			err = m.CancelReservation(ctx, a, rid)
			s.record(&simAttempt{who: a, desc: "CancelReservation(" + rid + ")", err: err, allowed: allowed})
		} else {
			err = m.Commit(ctx, a, rid, actual)
			s.record(&simAttempt{who: a, desc: fmt.Sprintf("Commit(%s, %d)", rid, actual), err: err, allowed: allowed})
		}
	}
}

func (s *sim) cmdEmit(a string) func() {
	ctx := s.ctx()
	content := s.id("thought-")
	return func() {
		err := s.market.Load().Emit(ctx, a, events.ReasoningTrace{Content: content, Decision: "bid"})
		s.record(&simAttempt{who: a, desc: "Emit(" + content + ")", err: err, keys: []simKey{{keyEmit, content}},
			must: mustEmit, allowed: []error{scarcity.ErrUnknownAgent, scarcity.ErrEmitQuota}})
	}
}

func (s *sim) cmdJudge() func() {
	ctx := s.ctx()
	comment := s.id("verdict-")
	return func() {
		err := s.market.Load().EmitJudgement(ctx, "judge", simJudgement(comment))
		s.record(&simAttempt{who: "judge", desc: "EmitJudgement(" + comment + ")", err: err,
			keys: []simKey{{keyJudge, comment}}, must: mustJudge})
	}
}

func (s *sim) cmdTick() func() {
	ctx := s.ctx()
	return func() {
		err := s.market.Load().Tick(ctx)
		s.record(&simAttempt{who: "operator", desc: "Tick", err: err, aftermath: true})
	}
}

// cmdClear runs a round now, or ticks if a round is due: a Clear past the
// due time leaves the live market's next round where it was, while a
// market restored from the stream puts it after the round (reported:
// Market.Clear does not move nextClear as Tick does).
func (s *sim) cmdClear() func() {
	ctx := s.ctx()
	return func() {
		m := s.market.Load()
		if !s.clk.Now().Before(m.Next()) {
			err := m.Tick(ctx)
			s.record(&simAttempt{who: "operator", desc: "Tick (for Clear)", err: err, aftermath: true})
			return
		}
		_, err := m.Clear(ctx)
		s.record(&simAttempt{who: "operator", desc: "Clear", err: err, aftermath: true})
	}
}

// cmdSnapshot takes a snapshot on demand (Market.Snapshot). It fails as any
// command does, before its group is acknowledged, or after: its upload (or
// the pruning after it) failed, or never ran because the market crashed
// first, which leaves its snapshot_taken naming no snapshot.
func (s *sim) cmdSnapshot() func() {
	ctx := s.ctx()
	return func() {
		info, err := s.market.Load().Snapshot(ctx)
		s.record(&simAttempt{who: "operator", desc: fmt.Sprintf("Snapshot = %s", info.Name), err: err, aftermath: true,
			allowed: []error{errSnapshotLost, errSnapshotStore, errReadFailed}})
	}
}
