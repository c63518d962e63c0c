package scarcity

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/gob"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/cockroachdb/apd/v3"
	"github.com/scarcitylabs/scarcity/auction"
	"github.com/scarcitylabs/scarcity/bundle"
	"github.com/scarcitylabs/scarcity/events"
	"github.com/scarcitylabs/scarcity/internal/exact"
	"github.com/scarcitylabs/scarcity/ledger"
	"github.com/scarcitylabs/scarcity/sched"
)

// Snapshots (docs/decisions/0002-market-snapshots.md). A snapshot is the
// whole state of a market — its ledger, its scheduler and its own state —
// at a point of its hash chain. It is taken by a command, after the
// command's change, which stages a snapshot_taken naming the snapshot and
// the hash of the state it holds: the snapshot holds every event up to that
// one and none after. It is encoded and stored off the writer's lock, once
// the event is committed. A restore accepts a snapshot only if the chain it
// restores holds that event, links it to the head the snapshot names and
// seals it, and the state the snapshot holds hashes as the event says: a
// snapshot cannot be swapped, forged, or replayed against another stream.
//
// The bytes: the magic "scarcity.snapshot", a format version (two bytes,
// big-endian), the gob encoding of snapshotFile, and the SHA-256 of all
// before it, which finds a truncated or corrupt snapshot before it is
// decoded.

const (
	snapshotMagic   = "scarcity.snapshot"
	snapshotVersion = 1
)

// SnapshotInfo describes a snapshot a market took or restored from.
type SnapshotInfo struct {
	// Name is the snapshot's name in the store: "<correlation>/<the
	// market sequence of its snapshot_taken, 20 digits>", so that a store
	// lists a market's snapshots oldest first.
	Name string
	// Digest is the SHA-256 of its bytes, in lower-case hex; Size their
	// length.
	Digest string
	Size   int64
	// Head is the Hash of the event before its snapshot_taken: the
	// snapshot holds the effect of every event up to its snapshot_taken,
	// and a restore applies the events from it on.
	Head string
	// From is the stream sequence from which a restore reads: its
	// snapshot_taken is not before it.
	From uint64
	// Taken is when the snapshot was taken, on the market's clock.
	Taken time.Time
	// StateHash is the hash of the market's whole state in the snapshot
	// (Market.StateHash).
	StateHash string
}

// snapshotFile is what a snapshot holds.
type snapshotFile struct {
	Header snapshotHeader
	Ledger ledger.Snapshot
	Sched  sched.SchedulerState
	Market marketSection
}

// snapshotHeader places a snapshot in its market's stream: its
// snapshot_taken is the market's event Positions.Market, from stream
// sequence From on, linked to Head and sealed with Key.
type snapshotHeader struct {
	Correlation string
	From        uint64
	Head        string
	Key         []byte
	Taken       time.Time
	Positions   positions
	StateHash   string
	// Config is the fingerprint of the configuration the state was
	// taken under (fingerprint): a snapshot restores only under it.
	Config string
}

// fingerprint returns what of cfg a market's state depends on: its
// resources, scale, retention, bundles remembered, settlement, spend limit
// and reward budget. A snapshot taken under another is not restored from.
func fingerprint(cfg Config) string {
	var b strings.Builder
	for _, r := range cfg.Resources {
		fmt.Fprintf(&b, "%s:%d:%v;", r.Name, r.Capacity, r.Enforcement)
	}
	fmt.Fprintf(&b, "scale %d retention %v bundles %d settlement %d rewards %s/%v", cfg.Scale, cfg.Retention,
		cfg.MaxBundles, cfg.Settlement, cfg.RewardBudget, cfg.RewardPeriod)
	if s := cfg.Spend; s != nil {
		fmt.Fprintf(&b, " spend %s %v %v %v", s.Resource, s.Max, s.Window, s.Unit)
	}
	return b.String()
}

// positions is the last sequence of each of the market's sources.
type positions struct{ Market, Ledger, Sched, Agent, Judge, Bench uint64 }

// sequences returns p's sequences by source, but the market's, as
// snapshot_taken names them.
func (p positions) sequences() map[events.Source]uint64 {
	return map[events.Source]uint64{events.SourceLedger: p.Ledger, events.SourceScheduler: p.Sched,
		events.SourceAgent: p.Agent, events.SourceJudge: p.Judge, events.SourceBenchmark: p.Bench}
}

func (p positions) stream() stream {
	return stream{market: p.Market, ledger: p.Ledger, sched: p.Sched, agent: p.Agent, judge: p.Judge, bench: p.Bench}
}

// marketSection is the market's own state: what Restore rebuilds from the
// market's events besides the ledger and the scheduler. Its lists are in a
// fixed order, so that equal states encode alike.
type marketSection struct {
	Round            uint64
	Created, Cleared time.Time
	Prices, Reserve  []namedAmount // by resource
	Orders           []orderState  // by placement
	Spent            []spentState  // in the order spent
	Placements       uint64
	Opened           []namedAmount // by agent
	RewardPeriod     time.Time     // the period RewardsGiven is of
	RewardsGiven     []namedAmount // by human
	Rewards          []rewardGiven // by time, then id
}

type namedAmount struct {
	Name   string
	Amount *apd.Decimal
}

type orderState struct {
	ID, Agent, HoldID string
	Quantities        []namedQuantity
	Start             time.Time
	Duration          time.Duration
	Limit             *apd.Decimal
	Placement         uint64
}

type namedQuantity struct {
	Name     string
	Quantity int64
}

type spentState struct {
	Key string
	At  time.Time
}

type rewardGiven struct {
	ID, Agent, Reason string
	Amount            *apd.Decimal
	At                time.Time
}

// Snapshot takes a snapshot of the market now, as a command of its own,
// and returns it once it is stored in Config.Snapshots. Older snapshots
// beyond Config.KeepSnapshots are then deleted.
func (m *Market) Snapshot(ctx context.Context) (SnapshotInfo, error) {
	if m.cfg.Snapshots == nil {
		return SnapshotInfo{}, ErrNoSnapshots
	}
	var snap *pendingSnapshot
	err := m.write(ctx, func() error {
		var err error
		snap, err = m.takeSnapshot(ctx, false)
		return err
	})
	if err != nil {
		return SnapshotInfo{}, err
	}
	select {
	case <-snap.stored:
		return snap.info, snap.err
	case <-ctx.Done():
		return SnapshotInfo{}, context.Cause(ctx)
	}
}

// pendingSnapshot is a snapshot whose snapshot_taken is staged: it is
// stored once its group is committed.
type pendingSnapshot struct {
	file   *snapshotFile
	policy bool          // taken by Config's policy, not asked for
	mark   chainMark     // where its snapshot_taken stands in the chain
	stored chan struct{} // closed once stored, or not: info and err say
	info   SnapshotInfo
	err    error
}

// takeSnapshot copies the market's state and stages its snapshot_taken,
// the last event of the command; the write that commits the command then
// stores the snapshot (store). It runs under the writer's lock, after
// flushing the usage not yet published.
func (m *Market) takeSnapshot(ctx context.Context, policy bool) (*pendingSnapshot, error) {
	if err := m.sched.Flush(ctx); err != nil {
		return nil, err
	}
	now := m.cfg.Clock.Now()
	m.forget(now)
	f := &snapshotFile{Ledger: m.ledger.Snapshot(), Sched: m.sched.State(), Market: m.section()}
	f.Header = snapshotHeader{Correlation: m.cfg.Correlation, From: m.snapshotFrom(ctx), Taken: now.UTC(),
		Config: fingerprint(m.cfg), StateHash: stateHash(f),
		Positions: positions{Market: m.seq.Last() + 1, Ledger: f.Ledger.LastSequence, Sched: f.Sched.LastSequence,
			Agent: m.emit.agent.Last(), Judge: m.emit.judge.Last(), Bench: m.emit.bench.Last()}}
	h := f.Header
	m.publish("", events.SnapshotTaken{Name: snapshotName(h.Correlation, h.Positions.Market),
		StateHash: h.StateHash, Sequences: h.Positions.sequences()})
	snap := &pendingSnapshot{file: f, policy: policy, stored: make(chan struct{})}
	m.snapshots.staged = snap
	return snap, nil
}

// snapshotFrom returns a stream sequence no later than that of the next
// event the market publishes: the stream's last sequence plus one, or, if
// the stream cannot say, the From of the last snapshot taken, so that the
// market's events do not depend on the transport's faults.
func (m *Market) snapshotFrom(ctx context.Context) uint64 {
	p := &m.snapshots
	if last, err := m.tailReader().LastSequence(ctx); err == nil {
		p.from = last + 1
	}
	return max(p.from, 1)
}

// snapshotName returns the name of the snapshot of market correlation
// whose snapshot_taken is the market's event seq: names sort as the
// snapshots were taken.
func snapshotName(correlation string, seq uint64) string {
	return fmt.Sprintf("%s/%020d", correlation, seq)
}

// tailReader returns the market's publisher as a TailReader, or nil.
func (m *Market) tailReader() events.TailReader {
	t, _ := m.cfg.Publisher.(events.TailReader)
	return t
}

// snapshotDue returns the snapshot the command just applied took, if any:
// one asked for (Snapshot), or one Config's policy says is due, taken now.
// It runs under the writer's lock, after the command.
func (m *Market) snapshotDue(ctx context.Context) *pendingSnapshot {
	p := &m.snapshots
	if m.cfg.Snapshots == nil {
		return nil
	}
	now := m.cfg.Clock.Now()
	p.events += len(m.stage.unit)
	if p.since.IsZero() {
		p.since = now
	}
	due := m.cfg.SnapshotEvery > 0 && p.events >= m.cfg.SnapshotEvery ||
		m.cfg.SnapshotInterval > 0 && now.Sub(p.since) >= m.cfg.SnapshotInterval
	if p.staged == nil && due {
		if _, err := m.takeSnapshot(ctx, true); err != nil {
			p.done(SnapshotInfo{}, err)
		}
	}
	snap := p.staged
	if snap != nil {
		p.staged, p.events, p.since = nil, 0, now
	}
	return snap
}

// storeWhenCommitted stores snap once done says its command is committed,
// whether or not the command's caller still waits, and returns the channel
// that passes done's outcome on.
func (m *Market) storeWhenCommitted(snap *pendingSnapshot, done <-chan error) <-chan error {
	out := make(chan error, 1)
	go func() {
		err := <-done
		if err == nil {
			m.store(snap)
		} else {
			snap.finish(SnapshotInfo{}, err)
		}
		out <- err
	}()
	return out
}

// store queues snap, whose snapshot_taken is committed, to be encoded and
// stored in the background, in the order taken, and the older snapshots
// pruned. A policy snapshot still queued behind another is replaced by a
// newer one: the store never falls behind by more than one.
func (m *Market) store(snap *pendingSnapshot) {
	snap.file.Header.Head, snap.file.Header.Key = snap.mark.Head, snap.mark.Key
	p := &m.snapshots
	p.mu.Lock()
	defer p.mu.Unlock()
	if n := len(p.queue); n > 0 && snap.policy && p.queue[n-1].policy {
		p.queue[n-1].finish(SnapshotInfo{}, errSuperseded)
		p.queue[n-1] = snap
	} else {
		p.queue = append(p.queue, snap)
	}
	if !p.storing {
		p.storing = true
		go m.storeQueued()
	}
}

// errSuperseded is the outcome of a policy snapshot replaced by a newer one
// before it was stored.
var errSuperseded = errors.New("scarcity: snapshot superseded by a newer one before it was stored")

// storeQueued stores the queued snapshots, one at a time, until none is
// left.
func (m *Market) storeQueued() {
	p := &m.snapshots
	for {
		p.mu.Lock()
		if len(p.queue) == 0 {
			p.storing = false
			p.mu.Unlock()
			return
		}
		snap := p.queue[0]
		p.queue = p.queue[1:]
		p.mu.Unlock()
		info, err := m.upload(context.Background(), snap.file)
		p.done(info, err)
		snap.finish(info, err)
	}
}

// finish records the outcome of storing snap and wakes who waits for it.
func (snap *pendingSnapshot) finish(info SnapshotInfo, err error) {
	snap.info, snap.err = info, err
	close(snap.stored)
}

// upload encodes f, stores it and deletes the snapshots beyond
// Config.KeepSnapshots. A snapshot stored whose pruning failed is returned
// with the pruning's error.
func (m *Market) upload(ctx context.Context, f *snapshotFile) (SnapshotInfo, error) {
	info, data, err := encodeSnapshot(f)
	if err != nil {
		return SnapshotInfo{}, err
	}
	if err := m.cfg.Snapshots.PutSnapshot(ctx, info.Name, data); err != nil {
		return SnapshotInfo{}, fmt.Errorf("scarcity: snapshot %s: %w", info.Name, err)
	}
	return info, m.pruneSnapshots(ctx, m.cfg.Snapshots)
}

// forget drops what the market remembers no longer at now: spent order
// ids and rewards past Config.Retention, and the rewards given in a period
// over. Commands do so as they go; a snapshot and StateHash do it first so
// that equal markets compare equal whatever their commands forgot.
func (st *marketState) forget(now time.Time) {
	st.orders.forgetOld(now)
	st.rewards.forget(now)
	st.rewards.roll(now)
}

// StateHash returns the SHA-256, in lower-case hex, of the market's whole
// state: its ledger's (ledger.Ledger.StateHash), its scheduler's
// (sched.Scheduler.StateHash) and its own — book, round, prices, reserve
// prices, opened agents, rewards — once what the market no longer
// remembers at its clock's now is forgotten. A market restored from a
// snapshot and the events after it has the StateHash of one restored
// from the whole stream.
func (m *Market) StateHash() string {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.forget(m.cfg.Clock.Now())
	return stateHash(&snapshotFile{Ledger: m.ledger.Snapshot(), Sched: m.sched.State(), Market: m.section()})
}

// stateHash hashes the state of f: its sections' hashes, the market's
// over its gob encoding (lists in fixed order, no maps).
func stateHash(f *snapshotFile) string {
	h := sha256.New()
	if err := gob.NewEncoder(h).Encode(f.Market); err != nil {
		panic(fmt.Sprintf("scarcity: encoding the market's state: %v", err))
	}
	sum := sha256.Sum256([]byte("scarcity.market.state.v1\n" + f.Ledger.StateHash + "\n" + f.Sched.StateHash + "\n" + hex.EncodeToString(h.Sum(nil))))
	return hex.EncodeToString(sum[:])
}

// section returns a copy of the market's own state.
func (st *marketState) section() marketSection {
	s := marketSection{Round: st.round, Created: utc(st.created), Cleared: utc(st.cleared),
		Prices: namedAmounts(st.prices), Reserve: namedAmounts(st.reserve), Placements: st.orders.placements,
		Opened: namedAmounts(st.opened), RewardPeriod: utc(st.rewards.current), RewardsGiven: namedAmounts(st.rewards.spent)}
	for _, o := range st.orders.byKey {
		b := o.bid.Bundle
		s.Orders = append(s.Orders, orderState{ID: o.id, Agent: o.bid.Agent, HoldID: o.holdID,
			Quantities: namedQuantities(b.Quantities), Start: utc(b.Window.Start), Duration: b.Window.Duration,
			Limit: new(apd.Decimal).Set(o.bid.Limit), Placement: o.bid.Seq})
	}
	slices.SortFunc(s.Orders, func(a, b orderState) int { return cmp.Compare(a.Placement, b.Placement) })
	if st.orders.retention > 0 {
		for _, sp := range st.orders.spentOrder {
			s.Spent = append(s.Spent, spentState{Key: sp.id, At: utc(sp.at)})
		}
	} else {
		for key, at := range st.orders.placed {
			s.Spent = append(s.Spent, spentState{Key: key, At: utc(at)})
		}
		slices.SortFunc(s.Spent, func(a, b spentState) int { return strings.Compare(a.Key, b.Key) })
	}
	for id, d := range st.rewards.done {
		s.Rewards = append(s.Rewards, rewardGiven{ID: id, Agent: d.agent, Reason: d.reason, Amount: new(apd.Decimal).Set(d.amount), At: utc(d.at)})
	}
	slices.SortFunc(s.Rewards, func(a, b rewardGiven) int { return cmp.Or(a.At.Compare(b.At), strings.Compare(a.ID, b.ID)) })
	return s
}

// utc returns t in UTC, the zero time as it is: a state's times hash
// alike whatever zone the clock gave them.
func utc(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return t.UTC()
}

// namedAmounts returns the amounts of ds sorted by name, copied.
func namedAmounts(ds map[string]*apd.Decimal) []namedAmount {
	out := make([]namedAmount, 0, len(ds))
	for name, d := range ds {
		out = append(out, namedAmount{Name: name, Amount: new(apd.Decimal).Set(d)})
	}
	slices.SortFunc(out, func(a, b namedAmount) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// namedQuantities returns q sorted by name.
func namedQuantities(q bundle.Quantities) []namedQuantity {
	out := make([]namedQuantity, 0, len(q))
	for _, name := range q.Names() {
		out = append(out, namedQuantity{Name: name, Quantity: q[name]})
	}
	return out
}

// load sets the market's own state, new, to s.
func (st *marketState) load(s marketSection) error {
	st.round, st.created, st.cleared = s.Round, s.Created, s.Cleared
	var err error
	if st.prices, err = amountMap(s.Prices); err != nil {
		return err
	}
	if st.reserve, err = amountMap(s.Reserve); err != nil {
		return err
	}
	if st.opened, err = amountMap(s.Opened); err != nil {
		return err
	}
	if st.rewards.spent, err = amountMap(s.RewardsGiven); err != nil {
		return err
	}
	st.rewards.current = s.RewardPeriod
	for _, o := range s.Orders {
		if err := st.loadOrder(o); err != nil {
			return err
		}
	}
	for _, sp := range s.Spent {
		st.orders.spend(sp.Key, 0, sp.At)
	}
	st.orders.placements = s.Placements
	for _, r := range s.Rewards {
		if err := finite(r.ID, r.Amount); err != nil {
			return err
		}
		st.rewards.remember(r.ID, r.Agent, r.Reason, r.Amount, r.At)
	}
	return nil
}

// loadOrder puts the order o of a snapshot in the book.
func (st *marketState) loadOrder(o orderState) error {
	if err := finite(o.ID, o.Limit); err != nil {
		return err
	}
	if _, dup := st.orders.get(orderKey(o.Agent, o.ID)); dup {
		return fmt.Errorf("order %q of %q twice", o.ID, o.Agent)
	}
	q := make(bundle.Quantities, len(o.Quantities))
	for _, nq := range o.Quantities {
		q[nq.Name] = nq.Quantity
	}
	b := bundle.Bundle{Quantities: q, Window: bundle.Window{Start: o.Start, Duration: o.Duration}}
	st.orders.add(o.ID, auction.Bid{Agent: o.Agent, Bundle: b, Limit: new(apd.Decimal).Set(o.Limit), Seq: o.Placement}, o.HoldID)
	return nil
}

// amountMap returns the amounts of ns by name, copied.
func amountMap(ns []namedAmount) (map[string]*apd.Decimal, error) {
	out := make(map[string]*apd.Decimal, len(ns))
	for _, n := range ns {
		if err := finite(n.Name, n.Amount); err != nil {
			return nil, err
		}
		if _, dup := out[n.Name]; dup {
			return nil, fmt.Errorf("%q twice", n.Name)
		}
		out[n.Name] = new(apd.Decimal).Set(n.Amount)
	}
	return out, nil
}

// saneAmounts reports whether every amount of f is one a market could
// hold: finite, at most maxAmountDigits digits and an exponent within
// ±maxAmountDigits. A hostile store could otherwise hand Reopen amounts
// whose plain text runs to megabytes before any hash could refuse them.
func saneAmounts(f *snapshotFile) bool {
	var ds []*apd.Decimal
	for _, a := range f.Ledger.Accounts {
		ds = append(ds, a.Posted, a.Pending, a.OverdraftLimit)
	}
	for _, h := range f.Ledger.Holds {
		ds = append(ds, h.Amount, h.Remaining, h.Captured)
	}
	for _, t := range f.Ledger.Transfers {
		ds = append(ds, t.Amount)
	}
	for _, b := range f.Sched.Bundles {
		if b.Lease != nil {
			ds = append(ds, b.Lease.Amount)
		}
	}
	s := &f.Market
	for _, list := range [][]namedAmount{s.Prices, s.Reserve, s.Opened, s.RewardsGiven} {
		for _, n := range list {
			ds = append(ds, n.Amount)
		}
	}
	for _, o := range s.Orders {
		ds = append(ds, o.Limit)
	}
	for _, r := range s.Rewards {
		ds = append(ds, r.Amount)
	}
	return !slices.ContainsFunc(ds, func(d *apd.Decimal) bool {
		return d != nil && (d.Form != apd.Finite || d.NumDigits() > maxAmountDigits ||
			d.Exponent > maxAmountDigits || d.Exponent < -maxAmountDigits)
	})
}

// maxAmountDigits bounds the digits and the exponent of a snapshot's
// amounts, far beyond any a ledger of Scale at most 18 holds.
const maxAmountDigits = 64

// encodeSnapshot returns the bytes of f and their description.
func encodeSnapshot(f *snapshotFile) (SnapshotInfo, []byte, error) {
	var b bytes.Buffer
	b.WriteString(snapshotMagic)
	b.Write(binary.BigEndian.AppendUint16(nil, snapshotVersion))
	enc := gob.NewEncoder(&b)
	for _, part := range []any{f.Header, f.Ledger, f.Sched, f.Market} {
		if err := enc.Encode(part); err != nil {
			return SnapshotInfo{}, nil, fmt.Errorf("scarcity: encoding a snapshot: %w", err)
		}
	}
	sum := sha256.Sum256(b.Bytes())
	b.Write(sum[:])
	data := b.Bytes()
	info := infoOf(f.Header)
	info.Digest, info.Size = digestOf(data), int64(len(data))
	return info, data, nil
}

// infoOf describes the snapshot of header h, but for its bytes.
func infoOf(h snapshotHeader) SnapshotInfo {
	return SnapshotInfo{Name: snapshotName(h.Correlation, h.Positions.Market),
		Head: h.Head, From: h.From, Taken: h.Taken, StateHash: h.StateHash}
}

// decodeSnapshot returns the snapshot data holds, or why it holds none.
func decodeSnapshot(data []byte) (*snapshotFile, error) {
	f, rest, err := openSnapshot(data)
	if err != nil {
		return nil, err
	}
	return f, rest()
}

// openSnapshot checks data and returns the snapshot it holds with its
// header decoded, and the function that decodes the rest: a restore reads
// the stream from the header's From meanwhile.
func openSnapshot(data []byte) (*snapshotFile, func() error, error) {
	n := len(snapshotMagic)
	if len(data) < n+2+sha256.Size || string(data[:n]) != snapshotMagic {
		return nil, nil, errors.New("not a snapshot")
	}
	body, sum := data[:len(data)-sha256.Size], data[len(data)-sha256.Size:]
	if got := sha256.Sum256(body); !bytes.Equal(got[:], sum) {
		return nil, nil, errors.New("corrupt or truncated: its checksum does not match")
	}
	if v := binary.BigEndian.Uint16(data[n:]); v != snapshotVersion {
		return nil, nil, fmt.Errorf("format version %d, this market reads %d", v, snapshotVersion)
	}
	f := new(snapshotFile)
	dec := gob.NewDecoder(bytes.NewReader(body[n+2:]))
	if err := dec.Decode(&f.Header); err != nil {
		return nil, nil, err
	}
	rest := func() error {
		for _, part := range []any{&f.Ledger, &f.Sched, &f.Market} {
			if err := dec.Decode(part); err != nil {
				return err
			}
		}
		return nil
	}
	return f, rest, nil
}

// digestOf returns the SHA-256 of data in lower-case hex.
func digestOf(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// snapshotPolicy takes the market's snapshots as Config says: every
// SnapshotEvery events and every SnapshotInterval. A snapshot is taken in
// the command that makes it due, so that the stream is the same however
// fast snapshots are stored; it is stored in the background.
type snapshotPolicy struct {
	events int              // events since the last snapshot; under Market.mu
	since  time.Time        // when the last snapshot was taken; under Market.mu
	staged *pendingSnapshot // taken by the command being applied; under Market.mu
	from   uint64           // the last From taken; under Market.mu

	mu      sync.Mutex
	queue   []*pendingSnapshot // committed, waiting to be stored
	storing bool               // storeQueued runs
	last    SnapshotInfo
	err     error
}

// done records the outcome of a snapshot.
func (p *snapshotPolicy) done(info SnapshotInfo, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if info.Name > p.last.Name { // stored, maybe not pruned
		p.last = info
	}
	p.err = err
}

// LastSnapshot returns the last snapshot the market took, and the error of
// its last attempt to take one: nil if it succeeded. A snapshot taken by
// Config's policy runs in the background; this is where its failure shows.
func (m *Market) LastSnapshot() (SnapshotInfo, error) {
	p := &m.snapshots
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.last, p.err
}

// pruneSnapshots deletes the market's snapshots beyond the newest
// Config.KeepSnapshots.
func (m *Market) pruneSnapshots(ctx context.Context, store events.SnapshotStore) error {
	names, err := m.listSnapshots(ctx)
	if err != nil {
		return fmt.Errorf("scarcity: pruning snapshots: %w", err)
	}
	var errs []error
	for _, name := range names[:max(len(names)-m.cfg.KeepSnapshots, 0)] {
		errs = append(errs, store.DeleteSnapshot(ctx, name))
	}
	return errors.Join(errs...)
}

// listSnapshots returns the names of the market's snapshots in its store,
// oldest first: "<correlation>/<20 digits>", not those of a market whose
// correlation only begins with the market's.
func (m *Market) listSnapshots(ctx context.Context) ([]string, error) {
	names, err := m.cfg.Snapshots.ListSnapshots(ctx, m.cfg.Correlation+"/")
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(names, func(name string) bool {
		seq := name[len(m.cfg.Correlation)+1:]
		return len(seq) != 20 || strings.Trim(seq, "0123456789") != ""
	}), nil
}

// SnapshotFloor returns the stream sequence before which no snapshot the
// market keeps needs an event: the least From of its snapshots that can
// be read, and no more than one past the stream's last event; 0 if it
// keeps none. It reads every snapshot kept. Events are never deleted by
// the market — the stream is its audit trail, and the stream natstransport
// creates denies deletes and purges. An operator who must bound a stream
// configures one that allows purges and deletes the market's events before
// the floor (on JetStream, a purge up to that sequence; on a stream that
// several markets share, up to the least floor of them all); the market
// then restores only from its snapshots, a full replay is no longer
// possible, and events.Verify checks the stream from a snapshot's head
// (VerifyOptions.Heads) rather than from its first event.
func (m *Market) SnapshotFloor(ctx context.Context) (uint64, error) {
	if m.cfg.Snapshots == nil {
		return 0, ErrNoSnapshots
	}
	names, err := m.listSnapshots(ctx)
	if err != nil || len(names) == 0 {
		return 0, err
	}
	last, err := m.tailReader().LastSequence(ctx)
	if err != nil {
		return 0, err
	}
	floor := last + 1
	for _, name := range names {
		data, err := m.cfg.Snapshots.GetSnapshot(ctx, name)
		if err != nil {
			return 0, err
		}
		f, _, err := openSnapshot(data) // the header is all the floor needs
		if err != nil {
			continue // never restored from: it needs no event
		}
		floor = min(floor, f.Header.From)
	}
	return floor, nil
}

// finite returns an error naming the item if one of its decimals is
// missing or not finite.
func finite(name string, ds ...*apd.Decimal) error {
	if !exact.Finite(ds...) {
		return fmt.Errorf("%q has a missing or non-finite amount", name)
	}
	return nil
}
