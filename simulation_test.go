package scarcity_test

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/benbjohnson/clock"
	"github.com/cockroachdb/apd/v3"
	"github.com/google/go-cmp/cmp"

	"github.com/scarcitylabs/scarcity"
	"github.com/scarcitylabs/scarcity/benchkit"
	"github.com/scarcitylabs/scarcity/bundle"
	"github.com/scarcitylabs/scarcity/events"
	"github.com/scarcitylabs/scarcity/ledger"
	"github.com/scarcitylabs/scarcity/sched"
	"github.com/scarcitylabs/scarcity/transport/faultinject"
	"github.com/scarcitylabs/scarcity/transport/natstransport"
)

var (
	simSeeds = flag.Int("sim.seeds", 200, "number of seeds TestSimulation runs, from 1")
	simSeed  = flag.Int64("sim.seed", -1, "run TestSimulation for this one seed only")
	simSteps = flag.Int("sim.steps", 60, "operations per seed")
	simNATS  = flag.Bool("sim.nats", false, "run the market over an embedded NATS JetStream server that restarts at random points, under the same faults")
)

// simFaults are the rates of the faults a run injects, per ten thousand
// publishes: failures before anything is stored, lost acknowledgements
// (after storing everything, or part-way) and duplicated publishes.
func simFaults() faultinject.Faults {
	return faultinject.Faults{FailBefore: 600, FailAfter: 150, FailPartway: 100, Duplicate: 300}
}

// TestSimulation runs a market of a few agents doing random operations
// through a publisher that injects faults, crashing and restoring it at
// random points, and checks after every operation and at the end that
// nothing acknowledged is lost, nothing refused appears, every invariant
// holds over the stream and restoring the stream reproduces the market.
//
// Run more seeds with -sim.seeds=N, one seed with -sim.seed=S; with
// -sim.nats the stream is a JetStream stream on an embedded server that is
// restarted at random points.
func TestSimulation(t *testing.T) {
	first, last := uint64(1), uint64(*simSeeds)
	if *simSeed >= 0 {
		first, last = uint64(*simSeed), uint64(*simSeed)
	}
	if testing.Short() && *simSeed < 0 {
		last = min(last, 20)
	}
	var total simStats
	var failed []uint64
	for seed := first; seed <= last; seed++ {
		s := runSimulation(seed, *simSteps, natsFor(t))
		total.add(s.stats)
		if s.failure == "" {
			continue
		}
		failed = append(failed, seed)
		if len(failed) == 1 || testing.Verbose() {
			t.Errorf("seed %d: %s\nreproduce: go test -run 'TestSimulation$' -sim.seed=%d -sim.steps=%d -sim.nats=%v -v .\noperations:\n%s",
				seed, s.failure, seed, *simSteps, *simNATS, strings.Join(s.trace, "\n"))
		}
	}
	if len(failed) > 0 {
		t.Errorf("%d of %d seeds failed; the first: %v", len(failed), last-first+1, failed[:min(len(failed), 30)])
	}
	t.Logf("seeds %d..%d: %+v", first, last, total)
}

// simStats counts what a run did.
type simStats struct {
	Ops, Acked, Refused, InDoubt, Crashes, RestoreRetries, ServerRestarts, TransportFailed, Events int
	Faults                                                                                         faultinject.Stats
}

func (s *simStats) add(o simStats) {
	s.Ops += o.Ops
	s.Acked += o.Acked
	s.Refused += o.Refused
	s.InDoubt += o.InDoubt
	s.Crashes += o.Crashes
	s.RestoreRetries += o.RestoreRetries
	s.ServerRestarts += o.ServerRestarts
	s.TransportFailed += o.TransportFailed
	s.Events += o.Events
	s.Faults.Calls += o.Faults.Calls
	s.Faults.Passed += o.Faults.Passed
	s.Faults.FailedBefore += o.Faults.FailedBefore
	s.Faults.FailedAfter += o.Faults.FailedAfter
	s.Faults.FailedPartway += o.Faults.FailedPartway
	s.Faults.Duplicated += o.Faults.Duplicated
}

// simFail ends a run with a failure.
type simFail struct{ msg string }

// sim is one seeded run.
type sim struct {
	seed uint64
	rng  *rand.Rand
	f    *fixture
	fi   *faultinject.Publisher
	// events returns every event of the run's stream.
	events  func() []events.Event
	nats    *simNATSRun // the stream's server, with -sim.nats
	ix      *streamIndex
	agents  []string
	credits map[string]int64 // the credits each agent opens with
	// The model: the transfers acknowledged (or, after a lost
	// acknowledgement, found in the stream), by transfer id.
	done    map[string]simTransfer
	orders  []string // order ids tried
	nextID  int
	trace   []string
	stats   simStats
	failure string
}

// simTransfer is a credit movement the model expects: a mint (from "")
// or a transfer.
type simTransfer struct {
	from, to string
	amount   *apd.Decimal
	at       time.Time // when the model learnt it was done
}

// runSimulation runs one seed: in memory, or over nats if it is not nil.
func runSimulation(seed uint64, steps int, nats *simNATSRun) (s *sim) {
	s = &sim{seed: seed, rng: rand.New(rand.NewPCG(seed, 0x5eed)), nats: nats,
		ix: newStreamIndex(), credits: map[string]int64{}, done: map[string]simTransfer{}}
	defer func() {
		if r := recover(); r != nil {
			f, ok := r.(simFail)
			if !ok {
				panic(r)
			}
			s.failure = f.msg
		}
		if s.fi != nil {
			s.stats.Faults = s.fi.Stats()
		}
		s.stats.Events = int(s.ix.read)
	}()
	if nats != nil {
		defer nats.close()
	}
	s.setUp()
	for range steps {
		s.step()
	}
	s.fi.SetFaults(faultinject.Faults{})
	s.check("end")
	return s
}

func (s *sim) failf(format string, args ...any) {
	panic(simFail{fmt.Sprintf(format, args...)})
}

func (s *sim) logf(format string, args ...any) {
	s.trace = append(s.trace, fmt.Sprintf("  %s: %s", s.f.clk.Now().Format("15:04:05"), fmt.Sprintf(format, args...)))
}

func (s *sim) setUp() {
	clk := clock.NewMock()
	clk.Set(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	log := events.NewLog(events.LogOptions{})
	var next events.Publisher = log
	s.events = func() []events.Event { return log.Events(0) }
	if s.nats != nil {
		next, s.events = s.nats.start(s.seed), s.nats.readAll(s)
	}
	fi, err := faultinject.New(next, s.seed, faultinject.Faults{})
	if err != nil {
		s.failf("faultinject.New: %v", err)
	}
	cfg := scarcity.Config{Resources: testResources, Clock: clk, Publisher: fi, Correlation: "sim", MaxBids: 12,
		Reserve:    map[string]string{"cpu": "0.001", "memory": "0.00001", "tokens": "0.00001"},
		Settlement: scarcity.Settlement(s.rng.IntN(2)),
		// Half the seeds forget ids after a Retention short enough to pass
		// many times in a run.
		Retention: time.Duration(s.rng.IntN(2)) * 90 * time.Second}
	m, err := scarcity.New(context.Background(), cfg)
	if err != nil {
		s.failf("New: %v", err)
	}
	s.f = &fixture{cfg: cfg, m: m, clk: clk, log: log, ctx: context.Background()}
	s.fi = fi
	for i := range 2 + s.rng.IntN(3) {
		a := fmt.Sprintf("a%d", i)
		s.agents = append(s.agents, a)
		s.credits[a] = int64(20 + s.rng.IntN(200))
	}
	s.ix.update(s.events())
	if err := fi.SetFaults(simFaults()); err != nil {
		s.failf("SetFaults: %v", err)
	}
}

func (s *sim) agent() string { return s.agents[s.rng.IntN(len(s.agents))] }

func (s *sim) id(prefix string) string {
	s.nextID++
	return fmt.Sprintf("%s%d", prefix, s.nextID)
}

// step runs one random operation and checks what it left.
func (s *sim) step() {
	s.stats.Ops++
	before := s.fi.Stats().InDoubt()
	ops := []func() (string, error, func(error)){
		s.opOpen, s.opMint, s.opTransfer, s.opBid, s.opBid, s.opBid, s.opCancel, s.opUse, s.opReport,
		s.opRelease, s.opReserve, s.opTick, s.opTick, s.opTick,
	}
	op := ops[s.rng.IntN(len(ops))]
	outage := s.nats != nil && s.nats.down()
	name, err, after := op()
	if errors.Is(err, natstransport.ErrNotAccepted) {
		s.stats.TransportFailed++
	}
	if outage {
		s.nats.up()
		s.stats.ServerRestarts++
		s.logf("the server was down during the next operation")
	}
	inDoubt := s.fi.Stats().InDoubt() > before || errors.Is(err, events.ErrInDoubt)
	switch {
	case inDoubt:
		s.stats.InDoubt++
	case err == nil || sched.Aftermath(err):
		s.stats.Acked++
	default:
		s.stats.Refused++
	}
	s.logf("%s → %v%s", name, err, map[bool]string{true: " (acknowledgement lost)"}[inDoubt])
	s.ix.update(s.events())
	if after != nil {
		after(errDoubt(err, inDoubt))
	}
	switch {
	case inDoubt:
		// The live market cannot know what the transport kept: the
		// writer is fenced (events.ErrFenced). Rebuild it from the stream.
		if !s.f.m.Fenced() {
			s.failf("%s: acknowledgement lost, the market is not fenced", name)
		}
		s.crash("lost acknowledgement", false)
	case s.f.m.Fenced():
		s.failf("%s: the market is fenced, no acknowledgement was lost", name)
	case s.rng.IntN(25) == 0:
		s.crash("random", true)
	}
}

// transient reports whether err is a failure of the transport, injected
// or real: the operation failed, and may be in doubt.
func transient(err error) bool {
	return errors.Is(err, faultinject.ErrInjected) || errors.Is(err, natstransport.ErrNotAccepted) ||
		errors.Is(err, events.ErrInDoubt)
}

// errInDoubt marks the error of an operation whose acknowledgement was lost.
var errInDoubt = errors.New("acknowledgement lost")

func errDoubt(err error, inDoubt bool) error {
	if inDoubt {
		return errors.Join(errInDoubt, err)
	}
	return err
}

// refused reports whether err says the operation changed nothing.
func refused(err error) bool {
	return err != nil && !sched.Aftermath(err) && !errors.Is(err, errInDoubt)
}

// expected reports whether err is an error the operation may return in
// this simulation; any other is a failure.
func (s *sim) expected(err error, allowed ...error) {
	if err == nil || sched.Aftermath(err) || transient(err) {
		return
	}
	for _, a := range allowed {
		if errors.Is(err, a) {
			return
		}
	}
	s.failf("unexpected error %v", err)
}

func (s *sim) opOpen() (string, error, func(error)) {
	a := s.agent()
	credits := apd.New(s.credits[a], 0)
	err := s.f.m.Open(s.f.ctx, a, credits)
	return "Open(" + a + ")", err, func(err error) {
		s.expected(err, ledger.ErrAccountExists)
		s.settleTransfer("open/"+a, simTransfer{to: a, amount: credits}, err)
		if err == nil && !s.ix.opened[a] {
			s.failf("Open(%s) acknowledged, no account_opened in the stream", a)
		}
	}
}

func (s *sim) opMint() (string, error, func(error)) {
	a, id := s.agent(), s.id("m")
	amount := apd.New(int64(1+s.rng.IntN(5000)), -2)
	if s.rng.IntN(5) == 0 {
		if old, ok := s.retryID("mint/"); ok { // the same call again: no second effect
			id, a, amount = old, s.done["mint/"+old].to, s.done["mint/"+old].amount
		}
	}
	err := s.f.m.Mint(s.f.ctx, id, a, amount, "reward")
	return fmt.Sprintf("Mint(%s, %s, %s)", id, a, amount), err, func(err error) {
		s.expected(err, scarcity.ErrUnknownAgent, ledger.ErrExistsWithDifferentFields)
		if errors.Is(err, ledger.ErrExistsWithDifferentFields) {
			return
		}
		s.settleTransfer("mint/"+id, simTransfer{to: a, amount: amount}, err)
	}
}

// retryID returns the id, without its prefix, of a transfer the model
// holds with prefix, if there is one that the market still remembers: a
// retry, not a new transfer under an id forgotten after Retention.
func (s *sim) retryID(prefix string) (string, bool) {
	var ids []string
	retention := s.f.cfg.Retention
	for id, tr := range s.done {
		if retention > 0 && s.f.clk.Now().Sub(tr.at) >= retention/2 {
			continue
		}
		if rest, ok := strings.CutPrefix(id, prefix); ok {
			ids = append(ids, rest)
		}
	}
	if len(ids) == 0 {
		return "", false
	}
	slices.Sort(ids)
	return ids[s.rng.IntN(len(ids))], true
}

func (s *sim) opTransfer() (string, error, func(error)) {
	from, to, id := s.agent(), s.agent(), s.id("x")
	amount := apd.New(int64(1+s.rng.IntN(3000)), -2)
	err := s.f.m.Transfer(s.f.ctx, id, from, to, amount)
	return fmt.Sprintf("Transfer(%s, %s→%s, %s)", id, from, to, amount), err, func(err error) {
		s.expected(err, scarcity.ErrUnknownAgent, ledger.ErrSameAccount, ledger.ErrInsufficientCredit)
		s.settleTransfer("xfer/"+from+"/"+id, simTransfer{from: from, to: to, amount: amount}, err)
	}
}

// settleTransfer records the outcome of a call that moves credits as
// transfer id: acknowledged, it must be in the stream and joins the model;
// refused, it must not be in the stream (unless an earlier call did it);
// its acknowledgement lost, the stream decides.
func (s *sim) settleTransfer(id string, tr simTransfer, err error) {
	_, had := s.done[id]
	inStream := s.ix.transfers[id]
	switch {
	case err == nil:
		if !inStream && tr.amount.Sign() > 0 {
			s.failf("%s acknowledged but not in the stream", id)
		}
	case errors.Is(err, errInDoubt):
	case refused(err):
		if inStream && !had {
			s.failf("%s refused (%v) but in the stream", id, err)
		}
	}
	if inStream && !had {
		tr.at = s.f.clk.Now()
		s.done[id] = tr
	}
}

func (s *sim) opBid() (string, error, func(error)) {
	a, id := s.agent(), s.id("o")
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
		w.Start = s.f.clk.Now().Add(time.Duration(s.rng.IntN(300)) * time.Second)
	}
	b := scarcity.Bid{ID: id, Agent: a, Bundle: bundle.Bundle{Quantities: q, Window: w},
		Limit: apd.New(1+s.rng.Int64N(40_000_000), -6)}
	s.orders = append(s.orders, id)
	err := s.f.m.Bid(s.f.ctx, b)
	return fmt.Sprintf("Bid(%s, %s, %v, %s)", id, a, q, b.Limit), err, func(err error) {
		s.expected(err, scarcity.ErrBidRejected, scarcity.ErrUnknownAgent, scarcity.ErrBookFull)
		switch {
		case err == nil:
			if !s.ix.placed[id] {
				s.failf("bid %s acknowledged, no bid_placed in the stream", id)
			}
			if _, ended := s.ix.ended[id]; !ended && !s.inBook(id) {
				s.failf("bid %s acknowledged, neither in the book nor ended", id)
			}
		case refused(err):
			if s.ix.placed[id] {
				s.failf("bid %s refused (%v) but placed in the stream", id, err)
			}
			if s.inBook(id) {
				s.failf("bid %s refused (%v) but in the book", id, err)
			}
			// Its hold may still be open if releasing it failed too; the
			// next Tick releases it (check verifies).
		}
	}
}

func (s *sim) inBook(id string) bool {
	for _, b := range s.f.m.Orders() {
		if b.ID == id {
			return true
		}
	}
	return false
}

func (s *sim) opCancel() (string, error, func(error)) {
	if len(s.orders) == 0 {
		return s.opTick()
	}
	id := s.orders[s.rng.IntN(len(s.orders))]
	a := s.agent()
	var owner string
	for _, b := range s.f.m.Orders() {
		if b.ID == id {
			owner = b.Agent
		}
	}
	if owner != "" && s.rng.IntN(4) != 0 {
		a = owner
	}
	err := s.f.m.Cancel(s.f.ctx, a, id)
	return fmt.Sprintf("Cancel(%s, %s)", a, id), err, func(err error) {
		s.expected(err, scarcity.ErrUnknownOrder)
		switch {
		case err == nil:
			if s.inBook(id) || s.ix.ended[id] != events.TypeOrderCancelled {
				s.failf("cancel of %s acknowledged: in book %t, ended by %q", id, s.inBook(id), s.ix.ended[id])
			}
		case errors.Is(err, scarcity.ErrUnknownOrder):
			if owner == a {
				s.failf("cancel of %s by its owner: %v", id, err)
			}
		}
	}
}

func (s *sim) opUse() (string, error, func(error)) {
	a := s.agent()
	qty := 1 + s.rng.Int64N(3000)
	before := s.f.m.Scheduler().Remaining(a, "tokens")
	err := s.f.m.Use(s.f.ctx, a, "tokens", qty)
	return fmt.Sprintf("Use(%s, %d tokens of %d)", a, qty, before), err, func(err error) {
		s.expected(err, sched.ErrServiceDenied)
		after := s.f.m.Scheduler().Remaining(a, "tokens")
		switch {
		case err == nil && before-after != qty:
			s.failf("Use of %d acknowledged, remaining %d → %d", qty, before, after)
		case refused(err) && after != before:
			s.failf("Use of %d refused (%v), remaining %d → %d", qty, err, before, after)
		}
	}
}

func (s *sim) opReport() (string, error, func(error)) {
	a := s.agent()
	level := s.rng.Int64N(60)
	err := s.f.m.Report(s.f.ctx, a, "cpu", level)
	return fmt.Sprintf("Report(%s, cpu %d)", a, level), err, func(err error) {
		s.expected(err, sched.ErrTerminated)
	}
}

func (s *sim) opRelease() (string, error, func(error)) {
	a := s.agent()
	active := s.f.m.Scheduler().Active(a)
	if len(active) == 0 {
		return s.opReserve()
	}
	id := active[s.rng.IntN(len(active))]
	_, _, err := s.f.m.Release(s.f.ctx, a, id)
	return fmt.Sprintf("Release(%s, %s)", a, id), err, func(err error) {
		s.expected(err, sched.ErrWindowEnded)
		still := false
		for _, x := range s.f.m.Scheduler().Active(a) {
			still = still || x == id
		}
		switch {
		case (err == nil || sched.Aftermath(err)) && still:
			s.failf("release of %s acknowledged, still active", id)
		case refused(err) && !still:
			s.failf("release of %s refused (%v), no longer active", id, err)
		}
	}
}

func (s *sim) opReserve() (string, error, func(error)) {
	a := s.agent()
	worst := 1 + s.rng.Int64N(2000)
	rid, err := s.f.m.Reserve(s.f.ctx, a, "tokens", worst, time.Duration(30+s.rng.IntN(120))*time.Second)
	if err != nil {
		return fmt.Sprintf("Reserve(%s, %d)", a, worst), err, func(err error) {
			s.expected(err, sched.ErrServiceDenied)
		}
	}
	name := fmt.Sprintf("Reserve(%s, %d) = %s, ", a, worst, rid)
	if s.rng.IntN(3) == 0 {
		err = s.f.m.CancelReservation(s.f.ctx, a, rid)
		name += "CancelReservation"
	} else {
		actual := s.rng.Int64N(worst + 1)
		err = s.f.m.Commit(s.f.ctx, a, rid, actual)
		name += fmt.Sprintf("Commit(%d)", actual)
	}
	return name, err, func(err error) {
		s.expected(err, sched.ErrUnknownReservation)
		_, open := s.f.m.Scheduler().ReservationAgent(rid)
		switch {
		case err == nil && open:
			s.failf("reservation %s settled, still open", rid)
		case refused(err) && !open:
			s.failf("reservation %s refused (%v), no longer open", rid, err)
		}
	}
}

func (s *sim) opTick() (string, error, func(error)) {
	d := time.Duration(1+s.rng.IntN(90)) * time.Second
	s.f.clk.Add(d)
	err := s.f.m.Tick(s.f.ctx)
	return fmt.Sprintf("Tick(+%v)", d), err, func(err error) { s.expected(err) }
}

// crash drops the market and restores one from the stream, with faults,
// as many times as it takes; a restore that fails is a crash too. Before,
// if checkLive, it checks that the stream as it stands restores to the
// live market; after, it checks the restored market the same way.
func (s *sim) crash(why string, checkLive bool) {
	s.stats.Crashes++
	if checkLive {
		s.check("crash (" + why + ")")
	}
	for attempt := 0; ; attempt++ {
		if attempt == 20 {
			s.fi.SetFaults(faultinject.Faults{}) // the transport recovers
		}
		if attempt > 40 {
			s.failf("Restore keeps failing")
		}
		m, err := scarcity.Restore(s.f.ctx, s.f.cfg, s.events())
		s.logf("crash (%s): Restore → %v", why, err)
		if err != nil && (!sched.Aftermath(err) || errors.Is(err, events.ErrFenced)) {
			// Restore failed, or what it published to complete the
			// stream is in doubt and fenced a writer: restore again.
			if !transient(err) {
				s.failf("Restore: %v", err)
			}
			s.stats.RestoreRetries++
			continue
		}
		s.f.m = m
		break
	}
	if s.f.m.Fenced() {
		s.failf("after restore (%s): the market is fenced", why)
	}
	s.check("after restore (" + why + ")")
	s.fi.SetFaults(simFaults())
}

// check checks the live market against the stream: the model of credits,
// every invariant over the stream, and that a market restored from the
// stream (publishing to a copy of it, with no faults) shows the same
// state as the live one.
func (s *sim) check(when string) {
	// The market first catches up on work a fault put off (payments and
	// releases retried by Tick), with the transport healthy; the clock
	// does not move.
	faults := s.fi.Faults()
	s.fi.SetFaults(faultinject.Faults{})
	if err := s.f.m.Tick(s.f.ctx); err != nil && !sched.Aftermath(err) {
		s.failf("%s: catch-up Tick: %v", when, err)
	}
	s.fi.SetFaults(faults)
	evs := s.events()
	s.ix.update(evs)
	for _, id := range s.f.m.Ledger().OpenHolds() {
		if order, ok := strings.CutPrefix(id, "bid/"); ok && !s.inBook(order[:strings.LastIndexByte(order, '/')]) {
			s.failf("%s: hold %s is open, its bid is not in the book", when, id)
		}
	}
	opts := benchkit.ResourceOptions(testResources...)
	opts.Retention = s.f.cfg.Retention
	if err := benchkit.CheckWith(evs, opts); err != nil {
		s.failf("%s: invariants: %v", when, err)
	}
	s.checkCredits(when)

	scratch := events.NewLog(events.LogOptions{})
	if err := scratch.Publish(s.f.ctx, evs...); err != nil {
		s.failf("%s: copy: %v", when, err)
	}
	cfg := s.f.cfg
	cfg.Publisher = scratch
	m, err := scarcity.Restore(s.f.ctx, cfg, evs)
	if err != nil && !sched.Aftermath(err) {
		s.failf("%s: Restore of the stream: %v", when, err)
	}
	orders := slices.Clone(s.orders)
	live := s.f.capture(s.agents, orders)
	restored := (&fixture{cfg: cfg, m: m, clk: s.f.clk, log: scratch, ctx: s.f.ctx}).capture(s.agents, orders)
	if diff := cmp.Diff(live, restored, cmp.Comparer(decEqual)); diff != "" {
		var extra []string
		for _, e := range scratch.Events(uint64(len(evs)) + 1) {
			extra = append(extra, e.String())
		}
		s.failf("%s: the market restored from the stream differs (-live +restored):\n%s\nRestore published: %v", when, diff, extra)
	}
}

// checkCredits checks every agent's balance against the model: credits
// minted and transferred by the operations the model holds, less what the
// stream says its holds paid; the mint account against all that was
// minted; and that the stream minted exactly what the model did.
func (s *sim) checkCredits(when string) {
	dc := apd.BaseContext.WithPrecision(34)
	want := map[string]*apd.Decimal{}
	get := func(a string) *apd.Decimal {
		if want[a] == nil {
			want[a] = new(apd.Decimal)
		}
		return want[a]
	}
	total := new(apd.Decimal)
	for _, tr := range s.done {
		if tr.from == "" {
			dc.Add(total, total, tr.amount)
		} else {
			dc.Sub(get(tr.from), get(tr.from), tr.amount)
		}
		dc.Add(get(tr.to), get(tr.to), tr.amount)
	}
	balances := s.f.m.Ledger().Balances()
	for _, a := range s.agents {
		w := get(a)
		if c := s.ix.captured[a]; c != nil {
			dc.Sub(w, w, c)
		}
		if m, mw := s.ix.minted[a], s.mintedTo(a); (m == nil && mw.Sign() != 0) || (m != nil && m.Cmp(mw) != 0) {
			s.failf("%s: the stream minted %v to %s, the model %s", when, m, a, mw)
		}
		b, ok := balances[a]
		if !ok {
			if w.Sign() != 0 {
				s.failf("%s: %s has no account, the model says %s", when, a, w)
			}
			continue
		}
		if b.Posted.Cmp(w) != 0 {
			s.failf("%s: %s holds %s, the model says %s", when, a, b.Posted, w)
		}
	}
	mint := balances[ledger.MintAccount].Posted
	if neg := new(apd.Decimal).Neg(mint); neg.Cmp(total) != 0 {
		s.failf("%s: the mint account issued %s, the model %s", when, neg, total)
	}
	if sum := s.f.m.Ledger().Sum(); !sum.IsZero() {
		s.failf("%s: credits not conserved: sum %s", when, sum)
	}
}

func (s *sim) mintedTo(a string) *apd.Decimal {
	out := new(apd.Decimal)
	for _, tr := range s.done {
		if tr.from == "" && tr.to == a {
			apd.BaseContext.WithPrecision(34).Add(out, out, tr.amount)
		}
	}
	return out
}
