package scarcity_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/benbjohnson/clock"
	"github.com/cockroachdb/apd/v3"
	"github.com/scarcitylabs/scarcity"
	"github.com/scarcitylabs/scarcity/bundle"
	"github.com/scarcitylabs/scarcity/events"
	"github.com/scarcitylabs/scarcity/sched"
	"github.com/scarcitylabs/scarcity/transport/natsembed"
	"github.com/scarcitylabs/scarcity/transport/natstransport"
)

// The load benchmarks run one simulated day of a large market: loadAgents
// agents place loadBids bids over loadRounds clearing rounds, one a minute.
// One op is the whole day; run them with -benchtime 1x.
const (
	loadAgents = 10_000
	loadBids   = 1_000_000
	loadRounds = 1_440
	// loadSampleEvery is how often, in rounds, the heap is sampled.
	loadSampleEvery = 10
	// loadJetStreamFraction is the part of the day BenchmarkLoadJetStream
	// runs: the first 1/loadJetStreamFraction of the rounds and bids.
	loadJetStreamFraction = 8
)

// loadResources are what the load market sells: a large pool, sized so that
// about half of it is booked at any time and the utilisation rule keeps
// prices moving.
var loadResources = []bundle.Resource{
	{Name: "cpu", Unit: "percent", Capacity: 100_000, Enforcement: bundle.OSLevel},
	{Name: "memory", Unit: "MiB", Capacity: 6_553_600, Enforcement: bundle.OSLevel},
	{Name: "tokens", Unit: "tokens", Capacity: 50_000_000, Enforcement: bundle.ServiceLevel},
}

// loadReserve is the opening reserve price of each resource.
var loadReserve = map[string]string{"cpu": "0.00001", "memory": "0.000001", "tokens": "0.000001"}

// loadSink keeps the last load market reachable, so that a -memprofile
// written after the benchmark shows what the market holds at the end of the
// day.
var loadSink struct {
	mu     sync.Mutex
	market *scarcity.Market
	log    *events.Log
}

// countingPublisher accepts every event, counts it and keeps none.
type countingPublisher struct{ n atomic.Int64 }

func (p *countingPublisher) Publish(_ context.Context, evs ...events.Event) error {
	p.n.Add(int64(len(evs)))
	return nil
}

// countingLog is an events.Log that counts what it is given.
type countingLog struct {
	*events.Log
	n atomic.Int64
}

func (p *countingLog) Publish(ctx context.Context, evs ...events.Event) error {
	p.n.Add(int64(len(evs)))
	return p.Log.Publish(ctx, evs...)
}

// countingTransport is a natstransport.Transport that counts what it is
// given.
type countingTransport struct {
	*natstransport.Transport
	n atomic.Int64
}

func (p *countingTransport) Publish(ctx context.Context, evs ...events.Event) error {
	p.n.Add(int64(len(evs)))
	return p.Transport.Publish(ctx, evs...)
}

// loadAgent bids when it holds nothing active; while it holds a bundle it
// uses tokens from it and reports its CPU level once a round.
type loadAgent struct {
	id     string
	rng    *rand.Rand
	values bundle.Prices // private value per unit per second
	bids   int
}

// loadDay is one day of the load market.
type loadDay struct {
	rounds, bids int
	pub          interface {
		events.Publisher
		count() int64
	}
	// bounded runs the market with loadBounded's limits on what it
	// remembers.
	bounded bool
}

// loadBounded bounds what the market remembers of finished work, so that
// its memory stays flat over the day: ids for an hour (far beyond any
// retry), 20,000 bundles (about seven times those active at once) and 100
// history entries per account.
var loadBounded = scarcity.Config{Retention: time.Hour, MaxBundles: 20_000, MaxHistory: 100}

func (p *countingPublisher) count() int64 { return p.n.Load() }
func (p *countingLog) count() int64       { return p.n.Load() }
func (p *countingTransport) count() int64 { return p.n.Load() }

// loadStats is what a day measured.
type loadStats struct {
	bids, rejected, events int64
	elapsed                time.Duration
	peakHeap               uint64    // max sampled HeapInuse
	quarterHeap            [4]uint64 // live heap (after a GC) at 25/50/75/100 % of the day
	quarterEvents          [4]int64
}

func newLoadAgents(rng *rand.Rand, n int) []*loadAgent {
	agents := make([]*loadAgent, n)
	for i := range agents {
		r := rand.New(rand.NewPCG(rng.Uint64(), uint64(i)))
		agents[i] = &loadAgent{id: fmt.Sprintf("agent-%05d", i), rng: r, values: bundle.Prices{
			// 2 to 20 times the opening reserve.
			"cpu":    apd.New(int64(20+r.IntN(181)), -6),
			"memory": apd.New(int64(20+r.IntN(181)), -7),
			"tokens": apd.New(int64(20+r.IntN(181)), -7),
		}}
	}
	return agents
}

// wants draws a bundle of two to six minutes.
func (a *loadAgent) wants() bundle.Bundle {
	q := bundle.Quantities{"cpu": int64(5 + a.rng.IntN(26))}
	if a.rng.IntN(2) == 0 {
		q["memory"] = int64(512 * (1 + a.rng.IntN(8)))
	}
	if a.rng.IntN(2) == 0 {
		q["tokens"] = int64(5000 * (1 + a.rng.IntN(6)))
	}
	return bundle.Bundle{Quantities: q, Window: bundle.Window{Duration: time.Duration(2+a.rng.IntN(5)) * time.Minute}}
}

// bid places one bid at 50 to 150 % of the bundle's private value.
func (a *loadAgent) bid(ctx context.Context, m *scarcity.Market) (rejected bool, err error) {
	b := a.wants()
	exact := apd.BaseContext.WithPrecision(34)
	value, err := bundle.Cost(exact, b, a.values)
	if err != nil {
		return false, err
	}
	limit := new(apd.Decimal)
	if _, err := exact.Mul(limit, value, apd.New(int64(50+a.rng.IntN(101)), -2)); err != nil {
		return false, err
	}
	exact.Rounding = apd.RoundDown
	if _, err := exact.Quantize(limit, limit, -6); err != nil {
		return false, err
	}
	if limit.Sign() <= 0 {
		limit.SetFinite(1, -6)
	}
	a.bids++
	err = m.Bid(ctx, scarcity.Bid{ID: a.id + "-" + strconv.Itoa(a.bids), Agent: a.id, Bundle: b, Limit: limit})
	if errors.Is(err, scarcity.ErrBidRejected) {
		return true, nil
	}
	return false, err
}

// work uses the bundle: some of its tokens, and a CPU sample within it.
func (a *loadAgent) work(ctx context.Context, m *scarcity.Market, b bundle.Bundle) error {
	if n := b.Quantities["tokens"]; n > 0 {
		err := m.Use(ctx, a.id, "tokens", int64(500+a.rng.IntN(int(n/8))))
		if err != nil && !errors.Is(err, sched.ErrServiceDenied) {
			return err
		}
	}
	return m.Report(ctx, a.id, "cpu", max(b.Quantities["cpu"]-int64(a.rng.IntN(5)), 0))
}

// run runs the day on a new market over d.pub and returns its figures.
// The timer runs only for the day itself.
func (d loadDay) run(b *testing.B) (loadStats, *scarcity.Market) {
	keepLoad(nil, nil) // the heap figures are this day's alone
	ctx := context.Background()
	clk := clock.NewMock()
	clk.Set(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	cfg := scarcity.Config{
		Resources: loadResources, Reserve: loadReserve, ClearEvery: time.Minute,
		Clock: clk, Publisher: d.pub, Correlation: "load",
	}
	if d.bounded {
		cfg.Retention, cfg.MaxBundles, cfg.MaxHistory = loadBounded.Retention, loadBounded.MaxBundles, loadBounded.MaxHistory
	}
	m, err := scarcity.New(ctx, cfg)
	if err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	agents := newLoadAgents(rng, loadAgents)
	for _, a := range agents {
		if err := m.Open(ctx, a.id, apd.New(100_000, 0)); err != nil {
			b.Fatal(err)
		}
	}
	var st loadStats
	var ms runtime.MemStats
	idle := make([]*loadAgent, 0, len(agents))
	cursor := 0
	before := d.pub.count()
	b.ResetTimer()
	start := time.Now()
	for r := range d.rounds {
		// Every agent takes its turn: it works on its active bundle, or
		// waits to bid.
		idle = idle[:0]
		for _, a := range agents {
			active := m.Scheduler().Active(a.id)
			if len(active) == 0 {
				idle = append(idle, a)
				continue
			}
			info, _ := m.Scheduler().Bundle(active[0])
			if err := a.work(ctx, m, info.Bundle); err != nil {
				b.Fatalf("round %d: %s: %v", r, a.id, err)
			}
		}
		// This round's share of the day's bids, from idle agents in turn.
		quota := (r+1)*d.bids/d.rounds - r*d.bids/d.rounds
		for i := 0; i < quota && len(idle) > 0; i++ {
			a := idle[(cursor+i)%len(idle)]
			rej, err := a.bid(ctx, m)
			if err != nil {
				b.Fatalf("round %d: %s: %v", r, a.id, err)
			}
			st.bids++
			if rej {
				st.rejected++
			}
		}
		cursor += quota
		clk.Add(time.Minute)
		if err := m.Tick(ctx); err != nil && !errors.Is(err, sched.ErrAftermath) {
			b.Fatalf("round %d: tick: %v", r, err)
		}
		if (r+1)%loadSampleEvery == 0 {
			runtime.ReadMemStats(&ms)
			st.peakHeap = max(st.peakHeap, ms.HeapInuse)
		}
		if q := 4 * (r + 1) / d.rounds; 4*(r+1)%d.rounds == 0 && q >= 1 {
			b.StopTimer()
			runtime.GC()
			runtime.ReadMemStats(&ms)
			st.quarterHeap[q-1] = ms.HeapAlloc
			st.quarterEvents[q-1] = d.pub.count() - before
			b.StartTimer()
		}
	}
	st.elapsed = time.Since(start)
	b.StopTimer()
	st.events = d.pub.count() - before
	if st.bids != int64(d.bids) {
		b.Fatalf("placed %d bids, want %d (too few idle agents)", st.bids, d.bids)
	}
	return st, m
}

// report reports st as b's metrics.
func (st loadStats) report(b *testing.B) {
	// The quarter samples stop the timer; elapsed is wall time including
	// them, which is what a reader of bids/s expects.
	secs := st.elapsed.Seconds()
	b.ReportMetric(float64(st.bids)/secs, "bids/s")
	b.ReportMetric(float64(st.events)/secs, "events/s")
	b.ReportMetric(float64(st.events), "events")
	b.ReportMetric(float64(st.rejected), "rejected")
	b.ReportMetric(float64(st.peakHeap)/(1<<20), "peak-heap-MiB")
	for i, h := range st.quarterHeap {
		b.ReportMetric(float64(h)/(1<<20), fmt.Sprintf("heap%d%%-MiB", 25*(i+1)))
	}
}

// BenchmarkLoad runs one simulated day through the full market: 10,000
// agents, 1,000,000 bids, 1,440 rounds, with auction, ledger, scheduler and
// events. publisher=count counts and discards the events; publisher=log
// keeps them all in an events.Log, whose memory then dominates, so it runs
// the first eighth of the day only, as BenchmarkLoadJetStream does; the
// day=eighth/publisher=count run is the in-memory figure to compare both
// with.
func BenchmarkLoad(b *testing.B) {
	b.Run("day=full/publisher=count", func(b *testing.B) {
		for range b.N {
			st, m := loadDay{rounds: loadRounds, bids: loadBids, pub: &countingPublisher{}}.run(b)
			st.report(b)
			keepLoad(m, nil)
		}
	})
	b.Run("day=full/publisher=count/memory=bounded", func(b *testing.B) {
		for range b.N {
			st, m := loadDay{rounds: loadRounds, bids: loadBids, pub: &countingPublisher{}, bounded: true}.run(b)
			st.report(b)
			keepLoad(m, nil)
		}
	})
	b.Run("day=eighth/publisher=count", func(b *testing.B) {
		for range b.N {
			st, m := eighth(&countingPublisher{}).run(b)
			st.report(b)
			keepLoad(m, nil)
		}
	})
	b.Run("day=eighth/publisher=count/memory=bounded", func(b *testing.B) {
		for range b.N {
			d := eighth(&countingPublisher{})
			d.bounded = true
			st, m := d.run(b)
			st.report(b)
			keepLoad(m, nil)
		}
	})
	b.Run("day=eighth/publisher=log", func(b *testing.B) {
		for range b.N {
			log := &countingLog{Log: events.NewLog(events.LogOptions{MaxEvents: 1 << 24})}
			st, m := eighth(log).run(b)
			st.report(b)
			keepLoad(m, log.Log)
		}
	})
}

// eighth is the first 1/loadJetStreamFraction of the load day over pub.
func eighth(pub interface {
	events.Publisher
	count() int64
}) loadDay {
	return loadDay{rounds: loadRounds / loadJetStreamFraction, bids: loadBids / loadJetStreamFraction, pub: pub}
}

// BenchmarkLoadJetStream runs the first 1/loadJetStreamFraction of the day
// of BenchmarkLoad over an embedded JetStream server (natsembed.Open with
// default Options). Compare its bids/s with BenchmarkLoad's.
func BenchmarkLoadJetStream(b *testing.B) {
	for range b.N {
		b.StopTimer()
		tr, err := natsembed.Open(context.Background(), natstransport.Options{})
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		pub := &countingTransport{Transport: tr}
		st, m := eighth(pub).run(b)
		st.report(b)
		keepLoad(m, nil)
		if err := tr.Close(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLoadBaseline does the least a market must do per bid, for
// BenchmarkLoad's bids: under a mutex, remember the bid's id and put it in
// a book that each round empties.
func BenchmarkLoadBaseline(b *testing.B) {
	for b.Loop() {
		var mu sync.Mutex
		spent := make(map[string]struct{})
		book := make(map[string]int64)
		start := time.Now()
		n := 0
		for r := range loadRounds {
			quota := (r+1)*loadBids/loadRounds - r*loadBids/loadRounds
			for range quota {
				id := "agent-" + strconv.Itoa(n%loadAgents) + "-" + strconv.Itoa(n)
				mu.Lock()
				spent[id] = struct{}{}
				book[id] = int64(n)
				mu.Unlock()
				n++
			}
			mu.Lock()
			clear(book)
			mu.Unlock()
		}
		b.ReportMetric(float64(n)/time.Since(start).Seconds(), "bids/s")
	}
}

func keepLoad(m *scarcity.Market, log *events.Log) {
	loadSink.mu.Lock()
	loadSink.market, loadSink.log = m, log
	loadSink.mu.Unlock()
}
