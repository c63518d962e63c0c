package scarcity_test

import (
	"context"
	"crypto/ed25519"
	"flag"
	"fmt"
	"os"
	"runtime"
	"runtime/metrics"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/benbjohnson/clock"
	"github.com/cockroachdb/apd/v3"
	"github.com/scarcitylabs/scarcity"
	"github.com/scarcitylabs/scarcity/bundle"
	"github.com/scarcitylabs/scarcity/events"
	"github.com/scarcitylabs/scarcity/transport/natsembed"
	"github.com/scarcitylabs/scarcity/transport/natstransport"
)

// The restore benchmarks measure a restart over an embedded JetStream
// server on file storage: a market that has published a history of
// 100k, 1M or 10M events, taken a snapshot and published about 10k events
// more is reopened from its snapshot and that tail (Reopen), against the
// raw cost of what it must read: the tail, read in order, and the
// snapshot's bytes. Building a history costs far more than reading it (the
// 1M one takes about a minute here), so the sizes are a flag:
//
//	go test -run XXX -bench 'Restore' -benchmem -restore.sizes 100k,1M,10M .
var restoreSizes = flag.String("restore.sizes", "100k,1M", "histories BenchmarkRestore builds: any of 100k, 1M, 10M")

func BenchmarkRestore(b *testing.B) {
	benchRestore(b, func(b *testing.B, f *restoreFixture) int {
		m, report, err := scarcity.Reopen(context.Background(), f.cfg)
		if err != nil || report.Snapshot.Name != f.snapshot.Name || m.Round() == 0 {
			b.Fatalf("Reopen: %v, from %q (want %q)", err, report.Snapshot.Name, f.snapshot.Name)
		}
		return report.Events
	})
}

func BenchmarkRestoreBaseline(b *testing.B) {
	benchRestore(b, func(b *testing.B, f *restoreFixture) int {
		ctx := context.Background()
		if _, err := f.cfg.Snapshots.GetSnapshot(ctx, f.snapshot.Name); err != nil {
			b.Fatal(err)
		}
		evs, _, err := f.tail.ReadFrom(ctx, f.snapshot.From)
		if err != nil {
			b.Fatal(err)
		}
		return len(evs)
	})
}

// benchRestore runs restore, one restart, over each history size, and
// reports the events it read, the snapshot's size and the peak heap.
func benchRestore(b *testing.B, restore func(*testing.B, *restoreFixture) int) {
	for _, size := range strings.Split(*restoreSizes, ",") {
		history := map[string]int{"100k": 100_000, "1M": 1_000_000, "10M": 10_000_000}[size]
		if history == 0 {
			b.Fatalf("-restore.sizes: unknown size %q", size)
		}
		f := restoreFixtureOf(b, history)
		b.Run(fmt.Sprintf("history=%s/snapshot=latest", size), func(b *testing.B) {
			var read int
			var peak uint64
			for b.Loop() {
				peak = max(peak, peakHeap(b, func() { read = restore(b, f) }))
			}
			b.ReportMetric(float64(read), "events-read")
			b.ReportMetric(float64(f.snapshot.Size)/1e6, "snapshot-MB")
			b.ReportMetric(float64(peak)/1e6, "peak-heap-MB")
		})
	}
}

// peakHeap runs f and returns the most heap it had in use beyond what was
// in use before, sampled every millisecond. The collection before f is
// not timed.
func peakHeap(b *testing.B, f func()) uint64 {
	b.StopTimer()
	runtime.GC()
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(sample)
	base := sample[0].Value.Uint64()
	var peak atomic.Uint64
	stop, stopped := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(stopped)
		s := []metrics.Sample{{Name: sample[0].Name}}
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for {
			metrics.Read(s)
			if v := s[0].Value.Uint64(); v > base && v-base > peak.Load() {
				peak.Store(v - base)
			}
			select {
			case <-stop:
				return
			case <-tick.C:
			}
		}
	}()
	b.StartTimer()
	f()
	b.StopTimer()
	close(stop)
	<-stopped
	b.StartTimer()
	return peak.Load()
}

// restoreFixture is a market's stream and snapshots on an embedded
// JetStream server, and the configuration to reopen it with.
type restoreFixture struct {
	cfg      scarcity.Config
	tail     events.TailReader
	snapshot scarcity.SnapshotInfo
}

// restoreFixtures holds the fixtures built, by history: BenchmarkRestore
// and its baseline read the same one. Their servers run until the tests
// end; TestMain then removes their directories.
var restoreFixtures = struct {
	sync.Mutex
	m    map[int]*restoreFixture
	dirs []string
}{m: map[int]*restoreFixture{}}

// removeRestoreFixtures removes the restore benchmarks' stores; TestMain
// calls it once every benchmark has run.
func removeRestoreFixtures() {
	restoreFixtures.Lock()
	defer restoreFixtures.Unlock()
	for _, dir := range restoreFixtures.dirs {
		os.RemoveAll(dir)
	}
}

// restoreFixtureOf returns the fixture of a history of about history
// events, building it the first time.
func restoreFixtureOf(b *testing.B, history int) *restoreFixture {
	restoreFixtures.Lock()
	defer restoreFixtures.Unlock()
	if f := restoreFixtures.m[history]; f != nil {
		return f
	}
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "scarcity-restore-bench-")
	if err != nil {
		b.Fatal(err)
	}
	restoreFixtures.dirs = append(restoreFixtures.dirs, dir)
	tr, err := natsembed.Open(ctx, natstransport.Options{DataDir: dir, Stream: "RESTORE", Prefix: "restore"})
	if err != nil {
		b.Fatal(err)
	}
	store, err := tr.Snapshots(ctx)
	if err != nil {
		b.Fatal(err)
	}
	clk := clock.NewMock()
	clk.Set(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	cfg := scarcity.Config{Resources: benchResources, Clock: clk, Publisher: tr, Correlation: "restore",
		Snapshots: store, SnapshotEvery: -1, Retention: 10 * time.Minute, MaxBundles: 10_000, MaxBids: 1 << 20,
		SigningKey: ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize))}
	m, err := scarcity.New(ctx, cfg)
	if err != nil {
		b.Fatal(err)
	}
	w := &historyWriter{m: m, tail: tr, clk: clk}
	w.open(b, 200)
	w.fill(b, uint64(history), 1000)
	info, err := m.Snapshot(ctx)
	if err != nil {
		b.Fatal(err)
	}
	w.fill(b, info.From+10_000, 100)
	f := &restoreFixture{cfg: cfg, tail: tr, snapshot: info}
	restoreFixtures.m[history] = f
	return f
}

// historyWriter writes a market's history: rounds of bids placed by
// concurrent agents, each cleared a minute later.
type historyWriter struct {
	m      *scarcity.Market
	tail   events.TailReader
	clk    *clock.Mock
	agents []string
	round  int
}

func (w *historyWriter) open(b *testing.B, n int) {
	for i := range n {
		a := fmt.Sprintf("agent-%03d", i)
		if err := w.m.Open(context.Background(), a, apd.New(1_000_000_000, 0)); err != nil {
			b.Fatal(err)
		}
		w.agents = append(w.agents, a)
	}
}

// fill runs rounds of bids until the stream holds until events.
func (w *historyWriter) fill(b *testing.B, until uint64, bids int) {
	ctx := context.Background()
	for {
		last, err := w.tail.LastSequence(ctx)
		if err != nil {
			b.Fatal(err)
		}
		if last >= until {
			return
		}
		w.placeRound(b, bids)
		w.clk.Add(time.Minute)
		if err := w.m.Tick(ctx); err != nil {
			b.Fatal(err)
		}
		w.round++
	}
}

// placeRound places bids, spread over the agents, from 8 goroutines.
func (w *historyWriter) placeRound(b *testing.B, bids int) {
	const workers = 8
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for g := range workers {
		wg.Go(func() {
			for i := g; i < bids; i += workers {
				bid := scarcity.Bid{ID: fmt.Sprintf("r%d-%d", w.round, i), Agent: w.agents[i%len(w.agents)], Limit: apd.New(1000, 0),
					Bundle: bundle.Bundle{Quantities: bundle.Quantities{"cpu": 1, "tokens": 100}, Window: bundle.Window{Duration: 30 * time.Second}}}
				if err := w.m.Bid(context.Background(), bid); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}
}
