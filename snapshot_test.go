package scarcity_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/scarcitylabs/scarcity"
	"github.com/scarcitylabs/scarcity/events"
)

// snapshotFixture is a market that keeps snapshots, with three taken
// between rounds of trading.
type snapshotFixture struct {
	*fixture
	store *events.MemorySnapshots
	taken []scarcity.SnapshotInfo
}

func newSnapshotFixture(t *testing.T, correlation string) *snapshotFixture {
	t.Helper()
	store := events.NewMemorySnapshots()
	f := &snapshotFixture{store: store, fixture: newFixture(t, scarcity.Config{Correlation: correlation,
		Snapshots: store, SnapshotEvery: -1, Retention: time.Hour})}
	for i := range 3 {
		tradeRound(t, f.fixture, i)
		info, err := f.m.Snapshot(f.ctx)
		if err != nil {
			t.Fatal(err)
		}
		f.taken = append(f.taken, info)
	}
	tradeRound(t, f.fixture, 3)
	return f
}

// tradeRound runs a round of trading: agents open, bid, use what they won.
func tradeRound(t *testing.T, f *fixture, round int) {
	t.Helper()
	for i, a := range agentPool[:3] {
		if round == 0 {
			f.open(t, a, 1000)
		}
		b := cpuBid(fmt.Sprintf("r%d-%d", round, i), a, int64(10+i), "50")
		if err := f.m.Bid(f.ctx, b); err != nil && !errors.Is(err, scarcity.ErrBidRejected) {
			t.Fatal(err)
		}
	}
	f.tick(t, time.Minute)
	f.tick(t, 30*time.Second)
}

// replayed returns the StateHash of the market restored from f's whole
// stream.
func (f *snapshotFixture) replayed(t *testing.T) string {
	t.Helper()
	m, err := scarcity.Restore(f.ctx, f.cfg, f.log.Events(0))
	if err != nil {
		t.Fatal(err)
	}
	return m.StateHash()
}

// reopen reopens f's market from its stream and snapshots and checks it
// equals the market replayed from the whole stream.
func (f *snapshotFixture) reopen(t *testing.T) scarcity.RestoreReport {
	t.Helper()
	m, report, err := scarcity.Reopen(f.ctx, f.cfg)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := m.StateHash(), f.replayed(t); got != want {
		t.Fatalf("reopened from %q: state %s, replayed whole %s", report.Snapshot.Name, got, want)
	}
	return report
}

func TestReopenFromNewestSnapshot(t *testing.T) {
	f := newSnapshotFixture(t, "snap")
	report := f.reopen(t)
	newest := f.taken[2]
	if report.Snapshot.Name != newest.Name || report.Snapshot.Digest != newest.Digest || len(report.Rejected) > 0 {
		t.Fatalf("reopened from %+v, rejected %v; want %s", report.Snapshot, report.Rejected, newest.Name)
	}
	all := len(f.log.Events(0))
	if report.Events == 0 || report.Events >= all/2 {
		t.Errorf("read %d events of %d after the snapshot", report.Events, all)
	}
	if floor, err := f.m.SnapshotFloor(f.ctx); err != nil || floor != f.taken[0].From || floor == 0 {
		t.Errorf("SnapshotFloor = %d, %v; want the oldest snapshot's From, %d", floor, err, f.taken[0].From)
	}
}

// TestReopenFallsBack spoils the newest snapshot in each way a store or a
// careless operator can, and checks that Reopen passes over it to the one
// before, saying why, and that with every snapshot spoilt it replays the
// whole stream.
func TestReopenFallsBack(t *testing.T) {
	other := newSnapshotFixture(t, "other")
	foreign, err := other.store.GetSnapshot(other.ctx, other.taken[2].Name)
	if err != nil {
		t.Fatal(err)
	}
	for name, spoil := range map[string]func(f *snapshotFixture, data []byte) []byte{
		"corrupt":   func(_ *snapshotFixture, data []byte) []byte { data[len(data)/2] ^= 0x40; return data },
		"truncated": func(_ *snapshotFixture, data []byte) []byte { return data[:len(data)*2/3] },
		"empty":     func(*snapshotFixture, []byte) []byte { return nil },
		"foreign":   func(*snapshotFixture, []byte) []byte { return foreign },
		"swapped": func(f *snapshotFixture, _ []byte) []byte {
			older, err := f.store.GetSnapshot(f.ctx, f.taken[1].Name)
			if err != nil {
				t.Fatal(err)
			}
			return older
		},
	} {
		t.Run(name, func(t *testing.T) {
			f := newSnapshotFixture(t, "snap")
			newest := f.taken[2].Name
			data, err := f.store.GetSnapshot(f.ctx, newest)
			if err != nil {
				t.Fatal(err)
			}
			if err := f.store.PutSnapshot(f.ctx, newest, spoil(f, data)); err != nil {
				t.Fatal(err)
			}
			report := f.reopen(t)
			if report.Snapshot.Name != f.taken[1].Name || len(report.Rejected) != 1 ||
				report.Rejected[0].Name != newest || !errors.Is(report.Rejected[0].Err, scarcity.ErrBadSnapshot) {
				t.Fatalf("reopened from %q, rejected %v; want %s after refusing %s", report.Snapshot.Name, report.Rejected, f.taken[1].Name, newest)
			}
			t.Logf("refused: %v", report.Rejected[0].Err)
		})
	}
	t.Run("all spoilt", func(t *testing.T) {
		f := newSnapshotFixture(t, "snap")
		for _, info := range f.taken {
			if err := f.store.PutSnapshot(f.ctx, info.Name, []byte("not a snapshot")); err != nil {
				t.Fatal(err)
			}
		}
		if report := f.reopen(t); !report.FullReplay() || len(report.Rejected) != 3 || report.Events != len(f.log.Events(0)) {
			t.Fatalf("reopened from %q after rejecting %v, read %d events", report.Snapshot.Name, report.Rejected, report.Events)
		}
	})
}

// TestReopenRefusesUnboundSnapshots takes a snapshot the stream never
// heard of: a market forked from a copy of the stream writes it into the
// same store, and its chain goes on elsewhere. Reopen passes over it — its
// head is not followed by the stream, and no snapshot_taken binds it.
func TestReopenRefusesUnboundSnapshots(t *testing.T) {
	f := newSnapshotFixture(t, "snap")
	fork := events.NewLog(events.LogOptions{})
	if err := fork.Publish(f.ctx, f.log.Events(0)...); err != nil {
		t.Fatal(err)
	}
	cfg := f.cfg
	cfg.Publisher = fork
	forked, _, err := scarcity.Reopen(f.ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	ff := &fixture{m: forked, clk: f.clk, log: fork, ctx: f.ctx, cfg: cfg}
	tradeRound(t, ff, 4)
	stale, err := forked.Snapshot(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	report := f.reopen(t)
	if report.Snapshot.Name != f.taken[2].Name || len(report.Rejected) != 1 || report.Rejected[0].Name != stale.Name {
		t.Fatalf("reopened from %q, rejected %v; want %s after refusing %s", report.Snapshot.Name, report.Rejected, f.taken[2].Name, stale.Name)
	}
	t.Logf("refused: %v", report.Rejected[0].Err)
}

// TestSnapshotPolicy lets the market take its snapshots by count and by
// time, in the background, and keep the newest two.
func TestSnapshotPolicy(t *testing.T) {
	store := events.NewMemorySnapshots()
	f := newFixture(t, scarcity.Config{Correlation: "policy", Snapshots: store, SnapshotEvery: 40,
		SnapshotInterval: 10 * time.Minute, KeepSnapshots: 2})
	for round := range 6 {
		tradeRound(t, f, round)
	}
	info := waitForSnapshot(t, f.m, "")
	names, err := store.ListSnapshots(f.ctx, "policy/")
	if err != nil || len(names) == 0 || len(names) > 2 {
		t.Fatalf("store holds %v (%v), want one or two snapshots", names, err)
	}
	// By time: a command after SnapshotInterval takes the next.
	f.clk.Add(11 * time.Minute)
	if _, err := f.m.Balance(f.ctx, "a0"); err != nil {
		t.Fatal(err)
	}
	waitForSnapshot(t, f.m, info.Name)
	m, report, err := scarcity.Reopen(f.ctx, f.cfg)
	if err != nil || report.FullReplay() {
		t.Fatalf("Reopen: %v, from %q", err, report.Snapshot.Name)
	}
	if got, want := m.StateHash(), f.m.StateHash(); got != want {
		t.Fatalf("reopened state %s, live %s", got, want)
	}
}

// waitForSnapshot waits until m has taken a snapshot other than the one
// named after, and returns it.
func waitForSnapshot(t *testing.T, m *scarcity.Market, after string) scarcity.SnapshotInfo {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		info, err := m.LastSnapshot()
		if err != nil {
			t.Fatalf("the last snapshot failed: %v", err)
		}
		if info.Name != "" && info.Name != after {
			return info
		}
		if time.Now().After(deadline) {
			t.Fatalf("no snapshot after %q", after)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestSnapshotNeedsAStore(t *testing.T) {
	f := newFixture(t, scarcity.Config{})
	if _, err := f.m.Snapshot(context.Background()); !errors.Is(err, scarcity.ErrNoSnapshots) {
		t.Errorf("Snapshot without a store: %v", err)
	}
	if _, err := f.m.SnapshotFloor(context.Background()); !errors.Is(err, scarcity.ErrNoSnapshots) {
		t.Errorf("SnapshotFloor without a store: %v", err)
	}
	cfg := f.cfg
	cfg.Publisher, cfg.Snapshots = events.Discard, events.NewMemorySnapshots()
	if _, err := scarcity.New(context.Background(), cfg); !errors.Is(err, scarcity.ErrInvalidOptions) {
		t.Errorf("snapshots over a publisher that cannot be read: %v", err)
	}
}

// slowSnapshots is a snapshot store that takes its time to store.
type slowSnapshots struct{ *events.MemorySnapshots }

func (s slowSnapshots) PutSnapshot(ctx context.Context, name string, data []byte) error {
	time.Sleep(20 * time.Millisecond)
	return s.MemorySnapshots.PutSnapshot(ctx, name, data)
}

// TestSnapshotsKeepTheStreamDeterministic runs one market twice with
// snapshots taken by count and time, once with a store that is fast and
// once with one that is slow: the streams are the same, event for event,
// hash for hash — where a snapshot lands does not depend on the store.
func TestSnapshotsKeepTheStreamDeterministic(t *testing.T) {
	key := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, ed25519.SeedSize))
	run := func(store events.SnapshotStore) []events.Event {
		f := newFixture(t, scarcity.Config{Correlation: "det", SigningKey: key, Snapshots: store,
			SnapshotEvery: 25, SnapshotInterval: 3 * time.Minute, KeepSnapshots: 2})
		for round := range 8 {
			tradeRound(t, f, round)
		}
		return f.log.Events(0)
	}
	fast, slow := run(events.NewMemorySnapshots()), run(slowSnapshots{events.NewMemorySnapshots()})
	taken := 0
	for _, e := range fast {
		if e.Type == events.TypeSnapshotTaken {
			taken++
		}
	}
	if taken < 3 {
		t.Fatalf("%d snapshots taken; the test needs several", taken)
	}
	if len(fast) != len(slow) {
		t.Fatalf("%d events with a fast store, %d with a slow one", len(fast), len(slow))
	}
	for i := range fast {
		if fast[i].ID != slow[i].ID || fast[i].Hash != slow[i].Hash {
			t.Fatalf("event %d: %v (%s) with a fast store, %v (%s) with a slow one", i, fast[i], fast[i].Hash, slow[i], slow[i].Hash)
		}
	}
}

// TestStateHashIgnoresTheClocksZone runs a market on a clock in another
// zone than UTC: the market reopened from its snapshot, whose times come
// back from the stream and the store in UTC, has the live market's hash.
func TestStateHashIgnoresTheClocksZone(t *testing.T) {
	store := events.NewMemorySnapshots()
	f := newFixture(t, scarcity.Config{Correlation: "zone", Snapshots: store, SnapshotEvery: -1, Retention: time.Hour})
	f.clk.Set(f.clk.Now().In(time.FixedZone("CET", 3600)))
	tradeRound(t, f, 0)
	if _, err := f.m.Snapshot(f.ctx); err != nil {
		t.Fatal(err)
	}
	tradeRound(t, f, 1)
	m, report, err := scarcity.Reopen(f.ctx, f.cfg)
	if err != nil || report.FullReplay() {
		t.Fatalf("Reopen: %v, from %q", err, report.Snapshot.Name)
	}
	if got, want := m.StateHash(), f.m.StateHash(); got != want {
		t.Fatalf("reopened state %s, live %s", got, want)
	}
}
