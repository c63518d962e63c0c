package scarcity_test

import (
	"context"
	"crypto/ed25519"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/benbjohnson/clock"
	"github.com/cockroachdb/apd/v3"
	"github.com/google/go-cmp/cmp"

	"github.com/scarcitylabs/scarcity"
	"github.com/scarcitylabs/scarcity/benchkit/invariant"
	"github.com/scarcitylabs/scarcity/events"
	"github.com/scarcitylabs/scarcity/ledger"
	"github.com/scarcitylabs/scarcity/transport/faultinject"
)

var (
	simSeeds   = flag.Int("sim.seeds", 200, "number of seeds TestSimulation runs, from 1")
	simSeed    = flag.Int64("sim.seed", -1, "run TestSimulation for this one seed only")
	simSteps   = flag.Int("sim.steps", 60, "steps per seed")
	simNATS    = flag.Bool("sim.nats", false, "run the market over an embedded NATS JetStream server that restarts at random points, under the same faults")
	simJetMode = flag.String("sim.jet", "contract", "how the in-memory JetStream model behaves: contract (a call refused at one event stores nothing after it, "+
		"and a writer that failed learns the stream's last sequence again only when it reads the stream back: what the market needs) or "+
		"natstransport (every event is checked alone against its expected last sequence, and the writer learns the last sequence again at "+
		"its next publish, as natstransport does today)")
)

// TestSimulation runs, per seed, a market that 2 to 8 agents and an
// operator command concurrently — a barrier per step, so that the market
// commits their commands in groups — through a publisher that injects
// faults (failures before and after storing, groups stored in part,
// duplicates, a full stream, failed reads and, over a stream that checks
// expected last sequences, late deliveries), while the clock jumps and the
// market crashes at random points, also with commands in flight. After
// every step it checks, incrementally, that the stream's chain holds, that
// every acknowledged command is in the stream and no refused one is (the
// stream decides those in doubt), that no command is half in it, that the
// credits of the live market are the stream's and that the market rebuilt
// itself; every few steps, after a crash and at the end it checks the whole
// stream with events.Verify and invariant.CheckWith and compares a market
// restored from it with the live one.
//
// Run more seeds with -sim.seeds=N, one seed with -sim.seed=S; with
// -sim.nats the stream is a JetStream stream on an embedded server that is
// restarted at random points. A seed fixes every command, clock jump, fault
// rate and crash; the interleaving of the agents' goroutines, and so which
// calls the faults hit, varies from run to run.
func TestSimulation(t *testing.T) {
	first, last := uint64(1), uint64(*simSeeds)
	if *simSeed >= 0 {
		first, last = uint64(*simSeed), uint64(*simSeed)
	}
	if testing.Short() && *simSeed < 0 {
		last = min(last, 20)
	}
	if *simJetMode != "contract" && *simJetMode != "natstransport" {
		t.Fatalf("-sim.jet=%q: want contract or natstransport", *simJetMode)
	}
	var total simStats
	var failed []uint64
	runs := runSeeds(t, first, last, func(seed uint64) simConfig {
		return simConfig{seed: seed, steps: *simSteps, nats: *simNATS, natsJet: *simJetMode == "natstransport"}
	})
	for i, s := range runs {
		seed := first + uint64(i)
		total.add(s.stats)
		if s.failure == "" {
			continue
		}
		failed = append(failed, seed)
		if len(failed) == 1 || testing.Verbose() {
			t.Errorf("seed %d (%s): %s\nreproduce: go test -run 'TestSimulation$' -sim.seed=%d -sim.steps=%d -sim.nats=%v -sim.jet=%s -v .\nlast steps:\n%s",
				seed, s.mode(), s.failure, seed, *simSteps, *simNATS, *simJetMode, s.tail(120))
		}
	}
	if len(failed) > 0 {
		t.Errorf("%d of %d seeds failed; the first: %v", len(failed), last-first+1, failed[:min(len(failed), 30)])
	}
	t.Logf("seeds %d..%d: %s", first, last, total)
}

// runSeeds runs the seeds first..last, as many at a time as there are
// CPUs (four over NATS), and returns their runs in seed order.
func runSeeds(tb testing.TB, first, last uint64, cfg func(seed uint64) simConfig) []*sim {
	runs := make([]*sim, last-first+1)
	workers := runtime.GOMAXPROCS(0)
	if *simNATS {
		workers = 4 // the runs mostly wait for their servers
	}
	next := make(chan uint64)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for seed := range next {
				runs[seed-first] = runSimulation(tb, cfg(seed))
			}
		}()
	}
	for seed := first; seed <= last; seed++ {
		next <- seed
	}
	close(next)
	wg.Wait()
	return runs
}

// simStore is the kind of stream a run writes to.
type simStore int

const (
	storeLog  simStore = iota // an events.Log, published to synchronously
	storeJet                  // simJet: expected last sequences, pipelined, late deliveries
	storeNATS                 // JetStream on an embedded server (-sim.nats)
)

func (k simStore) String() string { return [...]string{"log", "jetstream model", "nats"}[k] }

// simKeyMode is how a run's market signs its chain.
type simKeyMode int

const (
	keyRequired simKeyMode = iota // a key of its own, required by every reader (PublicKey)
	keyKept                       // a key of its own, readers trust the announcements
	keySelf                       // no key: the market makes one at every New and Restore
)

// simBreak is a rule of the write path that the meta test removes, to
// show that the simulation notices.
type simBreak int

const (
	breakNone simBreak = iota
	// breakTrustUnsealed re-links every read of the stream so that each
	// event is sealed: a group stored in part is trusted.
	breakTrustUnsealed
	// breakSwallowFailures reports success for publishes that stored
	// nothing: the market does not rebuild after them.
	breakSwallowFailures
	// breakCertainFailures reports lost acknowledgements as definite
	// failures, so that the model believes them refused.
	breakCertainFailures
	// breakNoRebuild makes the stream unreadable to the live market: it
	// cannot rebuild after a failed publish.
	breakNoRebuild
	// breakStaleRead gives the live market's rebuilds the stream without
	// its last sealed group.
	breakStaleRead
	// breakNoExpect stores late deliveries (simJet) whatever the stream
	// holds: no expected-last-sequence rule.
	breakNoExpect
)

var breakNames = [...]string{"none", "trust unsealed", "swallow failures", "certain failures", "no rebuild", "stale read", "no expected sequence"}

func (b simBreak) String() string { return breakNames[b] }

// simConfig says what one run does.
type simConfig struct {
	seed    uint64
	steps   int
	nats    bool
	natsJet bool // the in-memory JetStream model behaves as natstransport does (-sim.jet)
	brk     simBreak
	store   *simStore // nil: chosen by the seed
}

// simStats counts what runs did.
type simStats struct {
	Seeds, Steps, Commands, Acked, Refused, Failed, InDoubt, Crashes, MidStepCrashes, RestoreRetries int
	ServerRestarts, FullChecks, Events, Void, Rebuilds                                               int
	// Snapshots: SnapshotSeeds kept them; Stored were stored; Reopens
	// restored a market after a crash with Reopen (the other crashes with
	// Restore), FromSnapshot of them from a snapshot, the rest replaying the
	// whole stream; Rejected snapshots were passed over by Reopen;
	// StateChecks compared a reopened market's StateHash with Restore's;
	// TailReads are the live markets' reads of a tail after a snapshot
	// (rebuilds from one, or tries).
	SnapshotSeeds, Stored, BadReads, Reopens, FromSnapshot, Rejected, StateChecks, TailReads int
	Faults                                                                                   faultinject.Stats
}

func (s *simStats) add(o simStats) {
	s.Seeds += o.Seeds
	s.Steps += o.Steps
	s.Commands += o.Commands
	s.Acked += o.Acked
	s.Refused += o.Refused
	s.Failed += o.Failed
	s.InDoubt += o.InDoubt
	s.Crashes += o.Crashes
	s.MidStepCrashes += o.MidStepCrashes
	s.RestoreRetries += o.RestoreRetries
	s.ServerRestarts += o.ServerRestarts
	s.FullChecks += o.FullChecks
	s.Events += o.Events
	s.Void += o.Void
	s.Rebuilds += o.Rebuilds
	s.SnapshotSeeds += o.SnapshotSeeds
	s.Stored += o.Stored
	s.BadReads += o.BadReads
	s.Reopens += o.Reopens
	s.FromSnapshot += o.FromSnapshot
	s.Rejected += o.Rejected
	s.StateChecks += o.StateChecks
	s.TailReads += o.TailReads
	f, g := &s.Faults, o.Faults
	f.Calls += g.Calls
	f.Passed += g.Passed
	f.FailedBefore += g.FailedBefore
	f.FailedAfter += g.FailedAfter
	f.FailedPartway += g.FailedPartway
	f.Duplicated += g.Duplicated
	f.Full += g.Full
	f.Late += g.Late
	f.LateStored += g.LateStored
	f.LateRefused += g.LateRefused
	f.LatePending += g.LatePending
	f.RefusedBehind += g.RefusedBehind
	f.Reads += g.Reads
	f.FailedReads += g.FailedReads
	f.NextFailed += g.NextFailed
}

func (s simStats) String() string {
	f := s.Faults
	return fmt.Sprintf("%d seeds, %d steps, %d commands (%d acknowledged, %d refused by the market, %d failed, %d in doubt), "+
		"%d crashes (%d mid-step, %d restore retries), %d server restarts, %d self-rebuilds, %d full checks, %d events (%d void); "+
		"snapshots in %d seeds: %d stored, %d reads failed or corrupt, %d reopens after a crash (%d from a snapshot, %d full replays, %d snapshots rejected, "+
		"%d state hashes compared with Restore), %d tail reads by live markets; "+
		"publishes %d: %d failed before, %d after, %d part-way, %d duplicated, %d full, %d late (%d stored late, %d refused, %d never sent), "+
		"%d refused behind a cut, %d failed by the stream; reads %d (%d failed)",
		s.Seeds, s.Steps, s.Commands, s.Acked, s.Refused, s.Failed, s.InDoubt, s.Crashes, s.MidStepCrashes, s.RestoreRetries,
		s.ServerRestarts, s.Rebuilds, s.FullChecks, s.Events, s.Void,
		s.SnapshotSeeds, s.Stored, s.BadReads, s.Reopens, s.FromSnapshot, s.Reopens-s.FromSnapshot, s.Rejected, s.StateChecks, s.TailReads, f.Calls, f.FailedBefore, f.FailedAfter, f.FailedPartway,
		f.Duplicated, f.Full, f.Late, f.LateStored, f.LateRefused, f.LatePending, f.RefusedBehind, f.NextFailed, f.Reads, f.FailedReads)
}

// simFail ends a run with a failure.
type simFail struct{ msg string }

// sim is one seeded run.
type sim struct {
	cfg   simConfig
	rng   *rand.Rand // the run's draws, on the test's goroutine only
	store simStore
	keys  simKeyMode
	key   ed25519.PrivateKey // nil with keySelf
	pub   ed25519.PublicKey  // required by readers with keyRequired
	clk   *clock.Mock
	mcfg  scarcity.Config // the market's configuration, Publisher and Snapshots aside
	// snaps is where the market keeps its snapshots, nil if it keeps none;
	// each incarnation reaches it through its gate (simSnapshots).
	snaps       events.SnapshotStore
	snapsStored atomic.Int64
	snapFaults  *simSnapFaults

	log     *events.Log // the stream, in memory
	jet     *simJet
	nats    *simNATSRun
	fi      *faultinject.Publisher
	faulty  simPub // the faults, and a rule broken: what a restarted process reads
	base    simPub // what every incarnation's gate wraps: faulty, as the live market sees it
	restart simPub // faulty as a restarted process reads it, through the honest view

	market    atomic.Pointer[scarcity.Market]
	gate      atomic.Pointer[simGate]
	crashM    sync.Mutex   // one crash at a time
	tailReads atomic.Int64 // the live markets' ReadFrom calls (simGate)

	agents  []string
	credits map[string]int64
	nextID  atomic.Int64
	step    int

	ix       *streamIndex
	mu       sync.Mutex // guards what the agents' goroutines record
	attempts map[simKey][]*simAttempt
	stepAtts []*simAttempt
	done     []*simAttempt // acknowledged and refused attempts of earlier steps, for retries
	orders   []string      // every order id tried
	trace    []string
	stats    simStats
	failure  string
	goFail   *simFail // the first failure on a goroutine of a step
	// cancelled is set when a command's caller gave up (a cancelled
	// context): its group may still be in flight after the step.
	cancelled atomic.Bool
	lateSeen  uint64 // the late deliveries injected up to the last settle

	relinkMu sync.Mutex // breakTrustUnsealed: the stream re-linked so far
	relinker *events.Chain
	relinked []events.Event
}

func (s *sim) mode() string {
	snaps := "no snapshots"
	switch c := s.mcfg; {
	case s.snaps == nil:
	case c.SnapshotEvery > 0:
		snaps = fmt.Sprintf("snapshots every %d events, %d kept, %d‰ bad reads", c.SnapshotEvery, c.KeepSnapshots, s.snapFaults.rate)
	default:
		snaps = fmt.Sprintf("snapshots every %v, %d kept, %d‰ bad reads", c.SnapshotInterval, c.KeepSnapshots, s.snapFaults.rate)
	}
	return fmt.Sprintf("%s, %d agents, key %d, retention %v, settlement %d, %s", s.store, len(s.agents), s.keys, s.mcfg.Retention, s.mcfg.Settlement, snaps)
}

// incarnation returns the configuration of an incarnation of the market
// that publishes through gate: s.mcfg, and the run's snapshot store if it
// keeps snapshots, through the gate.
func (s *sim) incarnation(gate simPub) scarcity.Config {
	cfg := s.mcfg
	cfg.Publisher = gate
	if s.snaps != nil {
		cfg.Snapshots = simSnapshots{g: gateOf(gate), next: s.snaps, stored: &s.snapsStored, faults: s.snapFaults}
	}
	return cfg
}

// runSimulation runs one seed.
func runSimulation(tb testing.TB, cfg simConfig) (s *sim) {
	s = &sim{cfg: cfg, rng: rand.New(rand.NewPCG(cfg.seed, 0x5eed)), ix: newStreamIndex(),
		credits: map[string]int64{}, attempts: map[simKey][]*simAttempt{}}
	s.stats.Seeds = 1
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
		s.stats.Void = s.ix.void
		s.shutDown()
		s.stats.Stored = int(s.snapsStored.Load())
		s.stats.TailReads = int(s.tailReads.Load())
		if s.snaps != nil {
			s.stats.SnapshotSeeds = 1
			f := s.snapFaults
			f.mu.Lock()
			s.stats.BadReads = f.failed + f.corrupt
			f.mu.Unlock()
		}
	}()
	s.setUp(tb)
	for range cfg.steps {
		s.runStep()
	}
	s.logf("end")
	s.settle("end")
	s.check("end", true)
	return s
}

// catch keeps the failure of a step's goroutine for the test's
// goroutine to report.
func (s *sim) catch() {
	r := recover()
	if r == nil {
		return
	}
	f, ok := r.(simFail)
	if !ok {
		panic(r)
	}
	s.mu.Lock()
	if s.goFail == nil {
		s.goFail = &f
	}
	s.mu.Unlock()
}

func (s *sim) failf(format string, args ...any) {
	panic(simFail{fmt.Sprintf("step %d: ", s.step) + fmt.Sprintf(format, args...)})
}

func (s *sim) logf(format string, args ...any) {
	line := fmt.Sprintf("  %3d %s %s", s.step, s.clk.Now().Format("Jan 2 15:04:05"), fmt.Sprintf(format, args...))
	s.mu.Lock()
	s.trace = append(s.trace, line)
	s.mu.Unlock()
}

// tail returns the last n lines of the trace.
func (s *sim) tail(n int) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.trace
	if len(t) > n {
		t = append([]string{fmt.Sprintf("  … %d lines before", len(t)-n)}, t[len(t)-n:]...)
	}
	return strings.Join(t, "\n")
}

// simBaseFaults are the rates of the faults of a normal step, per ten
// thousand calls.
func (s *sim) simBaseFaults() faultinject.Faults {
	f := faultinject.Faults{FailBefore: 200, FailAfter: 100, FailPartway: 120, Duplicate: 150, Full: 60, FailRead: 600}
	if s.store != storeLog {
		f.Late = 120
	}
	switch s.cfg.brk { // more of the faults whose rule is broken
	case breakTrustUnsealed:
		f.FailPartway *= 8
	case breakNoExpect:
		f.Late *= 8
	}
	return f
}

func (s *sim) setUp(tb testing.TB) {
	s.clk = clock.NewMock()
	s.clk.Set(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	switch {
	case s.cfg.nats:
		s.store = storeNATS
	case s.cfg.store != nil:
		s.store = *s.cfg.store
	default:
		s.store = simStore(s.rng.IntN(2))
	}
	s.keys = simKeyMode([]int{0, 0, 0, 1, 2}[s.rng.IntN(5)])
	if s.cfg.brk == breakTrustUnsealed {
		s.keys = keyRequired // the re-linked stream is signed with the market's key
	}
	if s.keys != keySelf {
		var seed [ed25519.SeedSize]byte
		for i := range seed {
			seed[i] = byte(s.rng.Uint32())
		}
		s.key = ed25519.NewKeyFromSeed(seed[:])
	}
	if s.keys == keyRequired {
		s.pub = s.key.Public().(ed25519.PublicKey)
	}

	var next simPub
	switch s.store {
	case storeLog:
		s.log = events.NewLog(events.LogOptions{})
		next = s.log
	case storeJet:
		s.log = events.NewLog(events.LogOptions{})
		s.jet = newSimJet(s.log, s.cfg.natsJet)
		s.jet.noExpect = s.cfg.brk == breakNoExpect
		next = s.jet
	case storeNATS:
		s.nats = newSimNATSRun(tb, s.cfg.seed)
		next = s.nats.writer()
	}
	var err error
	if a, ok := next.(events.AsyncPublisher); ok {
		var fa *faultinject.AsyncPublisher
		fa, err = faultinject.NewAsync(a, s.cfg.seed, faultinject.Faults{})
		if fa != nil {
			s.fi, s.base = fa.Publisher, fa
		}
	} else {
		s.fi, err = faultinject.New(next, s.cfg.seed, faultinject.Faults{})
		s.base = s.fi
	}
	if err != nil {
		s.failf("faultinject: %v", err)
	}
	s.faulty = wrapBreak(s.base, s.cfg.brk)
	s.base = newView(s.faulty, s, false)
	s.restart = newView(s.faulty, s, true)

	s.mcfg = scarcity.Config{Resources: testResources, Clock: s.clk, Correlation: "sim", MaxBids: 12, MaxBidsPerAgent: 4,
		Reserve:    map[string]string{"cpu": "0.001", "memory": "0.00001", "tokens": "0.00001"},
		Settlement: scarcity.Settlement(s.rng.IntN(2)),
		// Half the seeds forget ids after a Retention short enough to pass
		// many times in a run.
		Retention:  time.Duration(s.rng.IntN(2)) * 90 * time.Second,
		SigningKey: s.key, PublicKey: s.pub}
	for i := range 2 + s.rng.IntN(7) {
		a := fmt.Sprintf("a%d", i)
		s.agents = append(s.agents, a)
		s.credits[a] = int64(20 + s.rng.IntN(200))
	}
	// Half the seeds keep snapshots: every 20 to 300 events, or one seed in
	// four of those every 1 to 30 minutes of the market's clock; 1 to 3 kept.
	if s.rng.IntN(2) == 0 {
		s.mcfg.SnapshotEvery = 20 + s.rng.IntN(281)
		if s.rng.IntN(4) == 0 {
			s.mcfg.SnapshotEvery = -1
			s.mcfg.SnapshotInterval = time.Duration(1+s.rng.IntN(30)) * time.Minute
		}
		s.mcfg.KeepSnapshots = 1 + s.rng.IntN(3)
		// Of every thousand snapshot reads, none, 50 or 200 fail or
		// return the snapshot corrupt.
		s.snapFaults = &simSnapFaults{rng: rand.New(rand.NewPCG(s.cfg.seed, 0x5a4e)), rate: []int{0, 50, 200}[s.rng.IntN(3)], corrupted: map[string]bool{}}
		s.snaps = events.NewMemorySnapshots()
		if s.nats != nil {
			s.snaps = s.nats.snapshots()
		}
	}
	gate := newGate(s.base, s.restart, &s.tailReads)
	m, err := scarcity.New(context.Background(), s.incarnation(gate))
	if err != nil {
		s.failf("New: %v", err)
	}
	s.market.Store(m)
	s.gate.Store(gateOf(gate))
	s.logf("set up: %s", s.mode())
	s.index()
}

// shutDown stops what the run started.
func (s *sim) shutDown() {
	if g := s.gate.Load(); g != nil {
		g.kill()
	}
	if s.jet != nil {
		s.jet.close()
	}
	if s.nats != nil {
		s.nats.close()
	}
}

// read returns the stream's events from index from (0-based), as the
// run's readers see it.
func (s *sim) read(from uint64) []events.Event {
	var evs []events.Event
	switch {
	case s.nats != nil:
		evs = s.nats.readAll(s)
	case s.cfg.brk == breakTrustUnsealed:
		evs = s.log.Events(0)
	default:
		return s.log.Events(from + 1)
	}
	evs = s.view(evs)
	return evs[min(from, uint64(len(evs))):]
}

// view is what every reader of the stream sees of evs, the stream or a
// prefix of it: evs, or, with breakTrustUnsealed, evs re-linked so that
// every event is sealed (and signed), as if every stored event were
// trusted. The re-linked stream is kept, and extended as the stream grows.
func (s *sim) view(evs []events.Event) []events.Event {
	if s.cfg.brk != breakTrustUnsealed {
		return evs
	}
	s.relinkMu.Lock()
	defer s.relinkMu.Unlock()
	if s.relinker == nil {
		s.relinker, _ = events.NewChain("", s.key)
	}
	for _, e := range evs[min(len(evs), len(s.relinked)):] {
		s.relinked = append(s.relinked, e)
		s.relinker.Link(s.relinked[len(s.relinked)-1:])
	}
	return slices.Clone(s.relinked[:len(evs)])
}

// simView reads the stream as the run's readers see it (sim.view); with
// breakNoRebuild and breakStaleRead it lies to the live market (not to a
// market restored after a crash, which reads the honest view over
// s.faulty). Its ReadFrom returns the same view of the events from a
// stream sequence on as its ReadAll does of the whole stream; every view
// keeps the stream's sequences, but a stale read, which ends early.
// LastSequence is its publisher's: the rules broken lie about what the
// stream holds to a rebuild, which LastSequence is not.
type simView struct {
	simPub
	s      *sim
	honest bool // no rule broken lies to this reader
}

func (v *simView) ReadAll(ctx context.Context) ([]events.Event, error) {
	evs, _, err := v.read(ctx, 1)
	return evs, err
}

func (v *simView) ReadFrom(ctx context.Context, from uint64) ([]events.Event, uint64, error) {
	return v.read(ctx, max(from, 1))
}

// read returns the view of the events from stream sequence from on, and
// the stream sequence of the last.
func (v *simView) read(ctx context.Context, from uint64) ([]events.Event, uint64, error) {
	brk := v.s.cfg.brk
	if v.honest && brk != breakTrustUnsealed {
		brk = breakNone
	}
	switch brk {
	case breakNone:
		return v.simPub.ReadFrom(ctx, from)
	case breakNoRebuild:
		if _, _, err := v.simPub.ReadFrom(ctx, from); err != nil {
			return nil, 0, err
		}
		return nil, 0, errors.New("sim: the stream cannot be read back")
	}
	// The view depends on the stream before from: it is made of the
	// whole stream, read in one read.
	evs, _, err := v.simPub.ReadFrom(ctx, 1)
	if err != nil {
		return nil, 0, err
	}
	if brk == breakStaleRead {
		for i := len(evs) - 2; i >= 0; i-- {
			if evs[i].Seal {
				evs = evs[:i+1]
				break
			}
		}
	}
	evs = v.s.view(evs)
	return evs[min(from-1, uint64(len(evs))):], uint64(len(evs)), nil
}

func newView(p simPub, s *sim, honest bool) simPub {
	v := &simView{simPub: p, s: s, honest: honest}
	if a, ok := p.(events.AsyncPublisher); ok {
		return simViewAsync{v, a}
	}
	return v
}

// simViewAsync is a simView over a pipelined publisher.
type simViewAsync struct {
	*simView
	async events.AsyncPublisher
}

func (v simViewAsync) PublishAsync(ctx context.Context, evs ...events.Event) <-chan error {
	return v.async.PublishAsync(ctx, evs...)
}

var (
	_ events.TailReader     = (*simView)(nil)
	_ events.AsyncPublisher = simViewAsync{}
	_ events.TailReader     = simViewAsync{}
)

// ----- steps -----

// runStep runs one step: fault rates and the clock move, then the agents
// and the operator run their commands concurrently (and the market may
// crash meanwhile), then the checks.
func (s *sim) runStep() {
	s.step++
	s.stats.Steps++
	faults := s.simBaseFaults()
	switch r := s.rng.IntN(10); {
	case r < 3:
		faults = faultinject.Faults{} // calm
	case r == 9: // a storm
		faults.FailBefore, faults.FailAfter, faults.FailPartway, faults.Full, faults.Late =
			faults.FailBefore*5, faults.FailAfter*5, faults.FailPartway*5, faults.Full*5, faults.Late*5
	}
	if err := s.fi.SetFaults(faults); err != nil {
		s.failf("SetFaults: %v", err)
	}
	switch r := s.rng.IntN(20); {
	case r < 5:
		s.clk.Add(time.Duration(1+s.rng.IntN(90)) * time.Second)
	case r == 5:
		d := time.Duration(10+s.rng.IntN(3*24*60)) * time.Minute
		s.clk.Add(d)
		s.logf("the clock jumps %v", d)
	}
	slots := s.plan()
	crash := s.rng.IntN(30) == 0
	var delay int
	var how simRecovery
	if crash {
		delay = s.rng.IntN(400)
		how = s.recovery()
	}
	start := make(chan struct{})
	var wg sync.WaitGroup
	for _, sl := range slots {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer s.catch()
			<-start
			for _, c := range sl {
				c()
			}
		}()
	}
	if crash {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer s.catch()
			<-start
			if delay < 200 {
				for range delay {
					runtime.Gosched()
				}
			} else {
				time.Sleep(time.Duration(delay-200) * 5 * time.Microsecond)
			}
			s.stats.MidStepCrashes++
			s.crash("mid-step", how)
		}()
	}
	if s.nats != nil && s.nats.maybeDown() {
		// The server is down when the step starts and comes back during it.
		down := time.Duration(20+s.rng.IntN(300)) * time.Millisecond
		s.stats.ServerRestarts++
		s.logf("the server is down for %v", down)
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			time.Sleep(down)
			s.nats.up()
		}()
	}
	close(start)
	wg.Wait()
	if s.goFail != nil {
		panic(*s.goFail)
	}
	if !crash && s.rng.IntN(80) == 0 {
		s.crash("between steps", s.recovery())
	}
	s.afterStep()
}

// simFullEvery is how often, in steps, the whole stream is checked; a step
// with a crash is checked whole one time in four, and the last step
// always.
const simFullEvery = 30

// afterStep records the step's outcomes and checks them.
func (s *sim) afterStep() {
	s.settle("after the step")
	full := s.step%simFullEvery == 0 || s.crashedThisStep() && s.rng.IntN(4) == 0
	s.check("after the step", full)
}

func (s *sim) crashedThisStep() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := len(s.trace) - 1; i >= 0; i-- {
		l := s.trace[i]
		if !strings.HasPrefix(l, fmt.Sprintf("  %3d ", s.step)) {
			return false
		}
		if strings.Contains(l, "crash (") {
			return true
		}
	}
	return false
}

// simRecovery is how a crash's market is restored, drawn beforehand (a
// crash may run on a step's goroutine, which draws nothing).
type simRecovery struct {
	// reopen: with Reopen, from the newest snapshot and the tail (a
	// market that keeps snapshots, half its crashes), else with Restore
	// from the whole stream.
	reopen bool
	// compare: check the reopened market's StateHash against Restore's
	// from the stream it read (half the reopens).
	compare bool
}

// recovery draws how the next crash's market is restored.
func (s *sim) recovery() simRecovery {
	if s.snaps == nil {
		return simRecovery{}
	}
	return simRecovery{reopen: s.rng.IntN(2) == 0, compare: s.rng.IntN(2) == 0}
}

// crash drops the live market — its gate dies: the calls it has in
// progress end, later ones store nothing — and restores a market from the
// stream, through the faults, as often as it takes: with Restore from the
// whole stream, or with Reopen (how).
func (s *sim) crash(why string, how simRecovery) {
	s.crashM.Lock()
	defer s.crashM.Unlock()
	s.stats.Crashes++
	s.gate.Load().kill()
	ctx := context.Background()
	for attempt := 0; ; attempt++ {
		if attempt == 20 {
			s.fi.SetFaults(faultinject.Faults{}) // the transport recovers
		}
		if attempt > 40 {
			s.failf("crash (%s): Restore keeps failing", why)
		}
		if how.reopen {
			if s.reopen(ctx, why, how.compare) {
				return
			}
			s.stats.RestoreRetries++
			if s.nats != nil {
				time.Sleep(50 * time.Millisecond) // the server may be down
			}
			continue
		}
		evs, err := s.faulty.ReadAll(ctx)
		evs = s.view(evs)
		if err != nil {
			s.logf("crash (%s): reading the stream: %v", why, err)
			s.stats.RestoreRetries++
			if s.nats != nil {
				time.Sleep(50 * time.Millisecond) // the server may be down
			}
			continue
		}
		gate := newGate(s.base, s.restart, &s.tailReads)
		m, err := scarcity.Restore(ctx, s.incarnation(gate), evs)
		s.logf("crash (%s): Restore from %d events → %v", why, len(evs), err)
		if err != nil {
			gateOf(gate).kill()
			if c := classify(err); c != classFailed && c != classDoubt {
				s.failf("crash (%s): Restore: %v", why, err)
			}
			s.stats.RestoreRetries++
			continue
		}
		s.gate.Store(gateOf(gate))
		s.market.Store(m)
		return
	}
}

// reopen restores the crashed market with scarcity.Reopen through a new
// gate, which reads as a restarted process does (the honest view over the
// faults): from the newest snapshot it accepts and the events after it,
// or the whole stream. With compare, it checks that the reopened market
// has the StateHash of the market Restore rebuilds from the whole stream
// up to where Reopen read. It reports whether the market is restored and
// live; a Reopen that failed as a read or a publish may (classify) is
// tried again.
func (s *sim) reopen(ctx context.Context, why string, compare bool) bool {
	gate := newGate(s.base, s.restart, &s.tailReads)
	g := gateOf(gate)
	g.restoring.Store(true)
	m, report, err := scarcity.Reopen(ctx, s.incarnation(gate))
	g.restoring.Store(false)
	from := "the whole stream"
	if !report.FullReplay() {
		from = report.Snapshot.Name
	}
	var rejected []string
	for _, r := range report.Rejected {
		rejected = append(rejected, fmt.Sprintf("%s: %v", r.Name, r.Err))
	}
	s.logf("crash (%s): Reopen from %s and %d events, to stream sequence %d (%d rejected%s) → %v",
		why, from, report.Events, g.lastRead.Load(), len(rejected), strings.Join(append([]string{""}, rejected...), "; "), err)
	if err != nil {
		g.kill()
		if errors.Is(err, errReadFailed) || errors.Is(err, errSnapshotStore) {
			return false // the stream or the store could not be read
		}
		if c := classify(err); c != classFailed && c != classDoubt {
			s.failf("crash (%s): Reopen: %v", why, err)
		}
		return false
	}
	s.stats.Reopens++
	if !report.FullReplay() {
		s.stats.FromSnapshot++
	}
	s.stats.Rejected += len(report.Rejected)
	for _, r := range report.Rejected {
		// A snapshot is stored only once its snapshot_taken is
		// acknowledged, so it is in the stream, sealed: Reopen passes over
		// only one pruned meanwhile, one the store could not read, or one a
		// read returned corrupt.
		if !errors.Is(r.Err, events.ErrNoSnapshot) && !errors.Is(r.Err, errSnapshotStore) &&
			!(errors.Is(r.Err, scarcity.ErrBadSnapshot) && s.snapFaults.wasCorrupted(r.Name)) && s.cfg.brk == breakNone {
			s.failf("crash (%s): Reopen rejected the stored snapshot %s: %v", why, r.Name, r.Err)
		}
	}
	if compare {
		s.checkReopened(why, m, g.lastRead.Load())
	}
	s.gate.Store(g)
	s.market.Store(m)
	return true
}

// checkReopened checks that m, which Reopen restored from the stream up to
// stream sequence upTo, has the StateHash of the market Restore rebuilds
// from those events. It reads them as the checks do (sim.read), not
// through the faults: a read through the market's own publisher would tell
// the writer where its stream stands, and let it write after a late
// delivery it never read.
func (s *sim) checkReopened(why string, m *scarcity.Market, upTo uint64) {
	s.stats.StateChecks++
	evs := s.read(0)
	if uint64(len(evs)) < upTo {
		s.failf("crash (%s): Reopen read up to stream sequence %d; the stream holds %d events", why, upTo, len(evs))
	}
	cfg := s.mcfg
	cfg.Publisher = events.Discard // what the restored market may announce goes nowhere
	r, err := scarcity.Restore(context.Background(), cfg, evs[:upTo])
	if err != nil {
		s.failf("crash (%s): Restore of the %d events Reopen read: %v", why, upTo, err)
	}
	if got, want := m.StateHash(), r.StateHash(); got != want {
		s.failf("crash (%s): the reopened market's StateHash is %s; Restore from the %d events it read gives %s", why, got, upTo, want)
	}
}

// settle brings the live market to a state the checks can compare with
// the stream: with the faults off, it waits for the market to rebuild
// itself after a failed publish, then makes one write (a judgement, which
// changes no state) until it succeeds. The write is answered after every
// command before it, also those whose callers gave up waiting (a cancelled
// context), and fails if one of them failed; and over a stream with late
// deliveries, if a late delivery landed after the market's last read (its
// expected sequence): the market then rebuilds once more.
func (s *sim) settle(when string) {
	faults := s.fi.Faults()
	defer s.fi.SetFaults(faults)
	s.fi.SetFaults(faultinject.Faults{})
	ctx := context.Background()
	m := s.market.Load()
	if m.Fenced() {
		s.stats.Rebuilds++
		for i := 0; i < 100 && m.Fenced(); i++ {
			runtime.Gosched() // the market rebuilds itself on a goroutine of its own
		}
	}
	st := s.fi.Stats()
	late := st.Late != s.lateSeen || st.LatePending > 0 // a late delivery may have landed after the market's last read
	s.lateSeen = st.Late
	if !m.Fenced() && !late && !s.cancelled.Swap(false) && when != "end" {
		return // every command's group is answered: the market holds what the stream holds
	}
	var last error
	for i := 0; ; i++ {
		if i == 50 {
			evs := s.read(0)
			_, verr := events.Verify(evs, events.VerifyOptions{PublicKey: s.pub})
			s.failf("%s: the market does not recover: fenced %t: %v (verify: %v) %T", when, m.Fenced(), last, verr, last)
		}
		comment := fmt.Sprintf("settle-%d-%d", s.step, i)
		err := m.EmitJudgement(ctx, "sim-judge", simJudgement(comment))
		s.record(&simAttempt{who: "sim", desc: "EmitJudgement(" + comment + ")", keys: []simKey{{keyJudge, comment}}, err: err, must: mustJudge})
		if err == nil {
			break
		}
		last = err
		time.Sleep(time.Millisecond) // the failure is being answered; the market rebuilds
		if s.nats != nil {
			time.Sleep(20 * time.Millisecond) // the Transport reconnects to a restarted server (ReconnectWait)
		}
	}
	if m.Fenced() {
		s.failf("%s: the market is fenced after a write that succeeded", when)
	}
}

func simJudgement(comment string) events.JudgeEvaluation {
	return events.JudgeEvaluation{Scenario: "sim", Overall: "1", Comment: comment}
}

// check checks the stream and the live market against the model; full
// adds the checks of the whole stream.
func (s *sim) check(when string, full bool) {
	s.index()
	s.checkAttempts(when)
	if halves := s.ix.halves(); len(halves) > 0 {
		slices.Sort(halves)
		s.failf("%s: the trusted stream holds half a command: %s", when, strings.Join(halves, "; "))
	}
	m := s.market.Load()
	if m.Fenced() {
		s.failf("%s: the live market is fenced", when)
	}
	s.checkCredits(when, m)
	if full {
		s.checkStream(when, m)
	}
}

// index indexes the events the stream gained and checks the effects that
// became trusted against the attempts.
func (s *sim) index() {
	evs := s.read(s.ix.read)
	if err := s.ix.add(evs); err != nil {
		s.failf("%v", err)
	}
	for _, k := range s.ix.take() {
		s.checkKey(k)
	}
}

// checkStream checks the whole stream: its chain (events.Verify, which
// must sort it as the index did), every invariant of benchkit, and that a
// market restored from it shows what the live market shows.
func (s *sim) checkStream(when string, live *scarcity.Market) {
	s.stats.FullChecks++
	evs := s.read(0)
	// At the end of one seed in eight every seal's signature is verified
	// too (by default Verify checks the last of each key's).
	v, err := events.Verify(evs, events.VerifyOptions{PublicKey: s.pub, AllSignatures: when == "end" && s.cfg.seed%8 == 0})
	if err != nil {
		s.failf("%s: events.Verify: %v", when, err)
	}
	if len(v.Trusted) != s.ix.trusted || len(v.Void) != s.ix.void+len(s.ix.open) {
		s.failf("%s: events.Verify trusts %d events and voids %d; the index %d and %d (+%d open)",
			when, len(v.Trusted), len(v.Void), s.ix.trusted, s.ix.void, len(s.ix.open))
	}
	opts := invariant.ResourceOptions(testResources...)
	opts.Retention = s.mcfg.Retention
	opts.PublicKey = s.pub
	if err := invariant.CheckWith(evs, opts); err != nil {
		s.failf("%s: benchkit: %v", when, err)
	}

	ctx := context.Background()
	cfg := s.mcfg
	cfg.Publisher = events.Discard // what the restored market may announce goes nowhere
	m, err := scarcity.Restore(ctx, cfg, evs)
	if err != nil {
		s.failf("%s: Restore of the stream: %v", when, err)
	}
	s.mu.Lock()
	orders := slices.Clone(s.orders)
	s.mu.Unlock()
	want := (&fixture{m: live}).capture(s.agents, orders)
	got := (&fixture{m: m}).capture(s.agents, orders)
	if diff := cmp.Diff(want, got, cmp.Comparer(decEqual)); diff != "" {
		s.failf("%s: the market restored from the stream differs from the live one (-live +restored):\n%s", when, diff)
	}
}

// checkCredits checks the live market's ledger against the stream's trusted
// movements (each checked against the attempt that made it): every agent
// holds what was minted and transferred to it, less what it sent and what
// its holds paid; the mint account issued all that was minted; credits are
// conserved.
func (s *sim) checkCredits(when string, m *scarcity.Market) {
	l := m.Ledger()
	balances := l.Balances()
	for _, a := range s.agents {
		w := s.ix.credits[a]
		if w == nil {
			w = new(apd.Decimal)
		}
		b, ok := balances[a]
		if ok != s.ix.opened[a] {
			s.failf("%s: %s has an account in the live market: %t, in the stream: %t", when, a, ok, s.ix.opened[a])
		}
		if ok && b.Posted.Cmp(w) != 0 {
			s.failf("%s: %s holds %s in the live market, the stream says %s", when, a, b.Posted, w)
		}
	}
	if mint := balances[ledger.MintAccount].Posted; new(apd.Decimal).Neg(mint).Cmp(s.ix.minted) != 0 {
		s.failf("%s: the mint account issued %s, the stream %s", when, new(apd.Decimal).Neg(mint), s.ix.minted)
	}
	if sum := l.Sum(); !sum.IsZero() {
		s.failf("%s: credits not conserved: the balances sum to %s", when, sum)
	}
}
