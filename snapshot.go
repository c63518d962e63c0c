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

// Errors of snapshots.
var (
	// ErrNoSnapshots reports a snapshot asked of a market without
	// Config.Snapshots.
	ErrNoSnapshots = errors.New("scarcity: no snapshot store")
	// ErrBadSnapshot reports a snapshot a market cannot be restored from:
	// unreadable, corrupt, truncated, of another version or another market,
	// not bound to the stream (no snapshot_taken of its digest in the chain
	// after it), or not followed by the stream's chain. Reopen falls back
	// from such a snapshot to an older one, then to the whole stream.
	ErrBadSnapshot = errors.New("scarcity: bad snapshot")
)

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
}

// positions is the last sequence of each of the market's sources.
type positions struct{ Market, Ledger, Sched, Agent, Judge, Bench uint64 }

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
		snap, err = m.takeSnapshot(ctx)
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
	mark   chainMark     // where its snapshot_taken stands in the chain
	stored chan struct{} // closed once stored, or not: info and err say
	info   SnapshotInfo
	err    error
}

// takeSnapshot copies the market's state and stages its snapshot_taken,
// the last event of the command; the write that commits the command then
// stores the snapshot (store). It runs under the writer's lock, after
// flushing the usage not yet published.
func (m *Market) takeSnapshot(ctx context.Context) (*pendingSnapshot, error) {
	last, err := m.tailReader().LastSequence(ctx) // every event from the copy on follows it
	if err != nil {
		return nil, fmt.Errorf("scarcity: snapshot: %w", err)
	}
	if err := m.sched.Flush(ctx); err != nil {
		return nil, err
	}
	now := m.cfg.Clock.Now()
	m.forget(now)
	f := &snapshotFile{Ledger: m.ledger.Snapshot(), Sched: m.sched.State(), Market: m.section()}
	f.Header = snapshotHeader{Correlation: m.cfg.Correlation, From: last + 1, Taken: now, StateHash: stateHash(f)}
	name := snapshotName(m.cfg.Correlation, m.seq.Last()+1)
	m.publish("", events.SnapshotTaken{Name: name, StateHash: f.Header.StateHash})
	f.Header.Positions = positions{Market: m.seq.Last(), Ledger: f.Ledger.LastSequence, Sched: f.Sched.LastSequence,
		Agent: m.emit.agent.Last(), Judge: m.emit.judge.Last(), Bench: m.emit.bench.Last()}
	snap := &pendingSnapshot{file: f, stored: make(chan struct{})}
	m.snapshots.staged = snap
	return snap, nil
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
		if _, err := m.takeSnapshot(ctx); err != nil {
			p.done(SnapshotInfo{}, err)
		}
	}
	snap := p.staged
	if snap != nil {
		p.staged, p.events, p.since = nil, 0, now
	}
	return snap
}

// store encodes and stores snap, whose snapshot_taken is committed, in the
// background, one snapshot at a time, and prunes the older ones.
func (m *Market) store(snap *pendingSnapshot) {
	if snap == nil {
		return
	}
	snap.file.Header.Head, snap.file.Header.Key = snap.mark.Head, snap.mark.Key
	go func() {
		p := &m.snapshots
		p.storing.Lock()
		defer p.storing.Unlock()
		snap.info, snap.err = m.upload(context.Background(), snap.file)
		p.done(snap.info, snap.err)
		close(snap.stored)
	}()
}

// upload encodes f, stores it and deletes the snapshots beyond
// Config.KeepSnapshots.
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
	st.book.forgetOld(now)
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
	var b bytes.Buffer
	if err := gob.NewEncoder(&b).Encode(f.Market); err != nil {
		panic(fmt.Sprintf("scarcity: encoding the market's state: %v", err))
	}
	own := sha256.Sum256(b.Bytes())
	sum := sha256.Sum256([]byte("scarcity.market.state.v1\n" + f.Ledger.StateHash + "\n" + f.Sched.StateHash + "\n" + hex.EncodeToString(own[:])))
	return hex.EncodeToString(sum[:])
}

// section returns a copy of the market's own state.
func (st *marketState) section() marketSection {
	s := marketSection{Round: st.round, Created: st.created, Cleared: st.cleared,
		Prices: namedAmounts(st.prices), Reserve: namedAmounts(st.reserve), Placements: st.book.placements,
		Opened: namedAmounts(st.opened), RewardPeriod: st.rewards.current, RewardsGiven: namedAmounts(st.rewards.spent)}
	for _, o := range st.book.orders {
		b := o.bid.Bundle
		s.Orders = append(s.Orders, orderState{ID: o.id, Agent: o.bid.Agent, HoldID: o.holdID,
			Quantities: namedQuantities(b.Quantities), Start: b.Window.Start, Duration: b.Window.Duration,
			Limit: new(apd.Decimal).Set(o.bid.Limit), Placement: o.bid.Seq})
	}
	slices.SortFunc(s.Orders, func(a, b orderState) int { return cmp.Compare(a.Placement, b.Placement) })
	if st.book.retention > 0 {
		for _, sp := range st.book.spentOrder {
			s.Spent = append(s.Spent, spentState{Key: sp.id, At: sp.at})
		}
	} else {
		for key, at := range st.book.placed {
			s.Spent = append(s.Spent, spentState{Key: key, At: at})
		}
		slices.SortFunc(s.Spent, func(a, b spentState) int { return strings.Compare(a.Key, b.Key) })
	}
	for id, d := range st.rewards.done {
		s.Rewards = append(s.Rewards, rewardGiven{ID: id, Agent: d.agent, Reason: d.reason, Amount: new(apd.Decimal).Set(d.amount), At: d.at})
	}
	slices.SortFunc(s.Rewards, func(a, b rewardGiven) int { return cmp.Or(a.At.Compare(b.At), strings.Compare(a.ID, b.ID)) })
	return s
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
		st.book.spend(sp.Key, 0, sp.At)
	}
	st.book.placements = s.Placements
	for _, r := range s.Rewards {
		if err := nonNil(r.ID, r.Amount); err != nil {
			return err
		}
		st.rewards.remember(r.ID, r.Agent, r.Reason, r.Amount, r.At)
	}
	return nil
}

// loadOrder puts the order o of a snapshot in the book.
func (st *marketState) loadOrder(o orderState) error {
	if err := nonNil(o.ID, o.Limit); err != nil {
		return err
	}
	if _, dup := st.book.get(orderKey(o.Agent, o.ID)); dup {
		return fmt.Errorf("order %q of %q twice", o.ID, o.Agent)
	}
	q := make(bundle.Quantities, len(o.Quantities))
	for _, nq := range o.Quantities {
		q[nq.Name] = nq.Quantity
	}
	b := bundle.Bundle{Quantities: q, Window: bundle.Window{Start: o.Start, Duration: o.Duration}}
	st.book.add(o.ID, auction.Bid{Agent: o.Agent, Bundle: b, Limit: new(apd.Decimal).Set(o.Limit), Seq: o.Placement}, o.HoldID)
	return nil
}

// amountMap returns the amounts of ns by name, copied.
func amountMap(ns []namedAmount) (map[string]*apd.Decimal, error) {
	out := make(map[string]*apd.Decimal, len(ns))
	for _, n := range ns {
		if err := nonNil(n.Name, n.Amount); err != nil {
			return nil, err
		}
		if _, dup := out[n.Name]; dup {
			return nil, fmt.Errorf("%q twice", n.Name)
		}
		out[n.Name] = new(apd.Decimal).Set(n.Amount)
	}
	return out, nil
}

// nonNil checks that the decimals of the item named are present and
// finite.
func nonNil(name string, ds ...*apd.Decimal) error {
	for _, d := range ds {
		if d == nil || d.Form != apd.Finite {
			return fmt.Errorf("%q has a missing or non-finite amount", name)
		}
	}
	return nil
}

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

	storing sync.Mutex // held while a snapshot is stored
	mu      sync.Mutex
	last    SnapshotInfo
	err     error
}

// done records the outcome of a snapshot.
func (p *snapshotPolicy) done(info SnapshotInfo, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if err == nil {
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
	names, err := store.ListSnapshots(ctx, m.cfg.Correlation+"/")
	if err != nil {
		return fmt.Errorf("scarcity: pruning snapshots: %w", err)
	}
	var errs []error
	for _, name := range names[:max(len(names)-m.cfg.KeepSnapshots, 0)] {
		errs = append(errs, store.DeleteSnapshot(ctx, name))
	}
	return errors.Join(errs...)
}

// SnapshotFloor returns the stream sequence from which the market's oldest
// kept snapshot reads the events after it: 0 if it keeps none. It reads
// that snapshot. Events are never deleted by the market — the stream is its
// audit trail, and the stream natstransport creates denies deletes and
// purges. An operator who must bound a stream configures one that allows
// purges and deletes the market's events before the floor (on JetStream, a
// purge up to that sequence); the market then restores only from its
// snapshots, a full replay is no longer possible, and events.Verify checks
// the stream from a snapshot's head (VerifyOptions.Heads) rather than from
// its first event.
func (m *Market) SnapshotFloor(ctx context.Context) (uint64, error) {
	if m.cfg.Snapshots == nil {
		return 0, ErrNoSnapshots
	}
	names, err := m.cfg.Snapshots.ListSnapshots(ctx, m.cfg.Correlation+"/")
	if err != nil || len(names) == 0 {
		return 0, err
	}
	data, err := m.cfg.Snapshots.GetSnapshot(ctx, names[0])
	if err != nil {
		return 0, err
	}
	f, err := decodeSnapshot(data)
	if err != nil {
		return 0, fmt.Errorf("%w: %s: %w", ErrBadSnapshot, names[0], err)
	}
	return f.Header.From, nil
}
