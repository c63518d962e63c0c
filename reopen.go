package scarcity

import (
	"cmp"
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/scarcitylabs/scarcity/bundle"
	"github.com/scarcitylabs/scarcity/events"
	"github.com/scarcitylabs/scarcity/ledger"
	"github.com/scarcitylabs/scarcity/sched"
)

// RestoreReport says what Reopen restored a market from.
type RestoreReport struct {
	// Snapshot is the snapshot the market was restored from; its Name is
	// empty if there was none to restore from and the whole stream was
	// replayed.
	Snapshot SnapshotInfo
	// Rejected are the snapshots tried and refused first, newest first.
	Rejected []RejectedSnapshot
	// Events is the number of the market's events read: those after the
	// snapshot, or all of them.
	Events int
}

// FullReplay reports whether the market was restored from its whole
// stream rather than from a snapshot.
func (r RestoreReport) FullReplay() bool { return r.Snapshot.Name == "" }

// RejectedSnapshot is a snapshot Reopen could not restore from, and why:
// an error wrapping ErrBadSnapshot, or the store's. A store that could not
// list its snapshots is one without a Name.
type RejectedSnapshot struct {
	Name string
	Err  error
}

// Reopen returns the market that cfg's stream holds, as Restore does, but
// reads only what it needs: the newest snapshot in Config.Snapshots that is
// sound and bound to the stream, and the events after it, read from
// Config.Publisher, which must be an events.TailReader. A snapshot that is
// missing, unreadable, corrupt, truncated, of another market, not bound to
// the stream by a snapshot_taken in its chain, or not followed by the
// stream's chain is passed over for the next older one; if none will do,
// the whole stream is replayed. The report says which happened. A market
// without snapshots (Config.Snapshots nil) is replayed whole; a stream
// without the market's events gives a new market (New).
//
// The restored market equals the one Restore rebuilds from the whole
// stream: the same state, the same StateHash, the same events next.
func Reopen(ctx context.Context, cfg Config) (*Market, RestoreReport, error) {
	cfg = cfg.withDefaults()
	cat, reserve, err := cfg.validate()
	if err != nil {
		return nil, RestoreReport{}, err
	}
	tail, ok := cfg.Publisher.(events.TailReader)
	if !ok {
		return nil, RestoreReport{}, fmt.Errorf("%w: Reopen reads the stream through an events.TailReader, not %T", ErrInvalidOptions, cfg.Publisher)
	}
	m := newMarket(cfg, cat, nil)
	report, err := m.reload(ctx, reserve, tail)
	m.tel.restored("reopen", report.Events, err)
	if err != nil {
		return nil, report, err
	}
	if len(m.stage.unit) > 0 { // a market made anew, or its key announced
		if err := m.write(ctx, func() error { return nil }); err != nil {
			return nil, report, err
		}
	}
	return m, report, nil
}

// reload sets m's state, and its committer, to what its stream holds: from
// the newest sound snapshot and the events after it if r can read a tail
// and the market keeps snapshots, else from the whole stream.
func (m *Market) reload(ctx context.Context, reserve bundle.Prices, r events.Reader) (RestoreReport, error) {
	var report RestoreReport
	if tail, ok := r.(events.TailReader); ok && m.cfg.Snapshots != nil {
		names, err := m.listSnapshots(ctx)
		if err != nil { // the stream alone will do
			report.Rejected = append(report.Rejected, RejectedSnapshot{Err: fmt.Errorf("listing snapshots: %w", err)})
		}
		for _, name := range slices.Backward(names) {
			info, n, err := m.fromSnapshot(ctx, reserve, tail, name)
			if err == nil {
				report.Snapshot, report.Events = info, n
				return report, nil
			}
			if !errors.Is(err, ErrBadSnapshot) && !errors.Is(err, events.ErrNoSnapshot) {
				return report, err // the stream cannot be read: nothing else can be either
			}
			report.Rejected = append(report.Rejected, RejectedSnapshot{Name: name, Err: err})
		}
	}
	evs, err := r.ReadAll(ctx)
	if err != nil {
		return report, err
	}
	ours := ofCorrelation(evs, m.cfg.Correlation)
	report.Events = len(ours)
	m.stage.take()
	if len(ours) == 0 {
		m.commit = newCommitter(m.cfg.Publisher, mustChain(""), m.cfg.SigningKey, m.tel, m.rebuildLater)
		return report, m.create(ctx, reserve, stream{})
	}
	return report, m.rebuild(ctx, reserve, ours)
}

// fromSnapshot sets m's state to that of the snapshot name and the events
// after it, and returns the snapshot and the number of those events. An
// error wrapping ErrBadSnapshot or events.ErrNoSnapshot leaves m as it was.
func (m *Market) fromSnapshot(ctx context.Context, reserve bundle.Prices, tail events.TailReader, name string) (SnapshotInfo, int, error) {
	data, err := m.cfg.Snapshots.GetSnapshot(ctx, name)
	if err != nil {
		if errors.Is(err, events.ErrNoSnapshot) || ctx.Err() != nil {
			return SnapshotInfo{}, 0, err
		}
		return SnapshotInfo{}, 0, fmt.Errorf("%w: %s cannot be read: %w", ErrBadSnapshot, name, err)
	}
	f, rest, err := openSnapshot(data)
	if err != nil {
		return SnapshotInfo{}, 0, fmt.Errorf("%w: %s: %w", ErrBadSnapshot, name, err)
	}
	info := infoOf(f.Header)
	info.Name, info.Digest, info.Size = name, digestOf(data), int64(len(data))
	read := make(chan tailRead, 1)
	go func() { // the tail comes while the state decodes
		evs, _, err := tail.ReadFrom(ctx, f.Header.From)
		read <- tailRead{evs, err}
	}()
	err = rest()
	if err == nil {
		err = m.checkHeader(f, name)
	}
	r := <-read
	if err != nil {
		return info, 0, fmt.Errorf("%w: %s: %w", ErrBadSnapshot, name, err)
	}
	if r.err != nil {
		return info, 0, r.err
	}
	ours := ofCorrelation(r.evs, m.cfg.Correlation)
	m.stage.take()
	if err := m.rebuildFrom(ctx, reserve, f, info, ours); err != nil {
		m.stage.take()
		return info, 0, fmt.Errorf("%w: %s: %w", ErrBadSnapshot, name, err)
	}
	return info, len(ours), nil
}

// bindsTo checks that taken, a snapshot_taken, names the state and the
// sequences of f, and that f's sections are where its header says.
func bindsTo(taken events.Event, f *snapshotFile) error {
	h, p := f.Header, taken.Data.(events.SnapshotTaken)
	switch {
	case p.StateHash != h.StateHash:
		return fmt.Errorf("its snapshot_taken names state %s, it holds %s", p.StateHash, h.StateHash)
	case taken.Sequence != h.Positions.Market || !maps.Equal(p.Sequences, h.Positions.sequences()):
		return fmt.Errorf("its snapshot_taken names sequences %v at %d, it holds %+v", p.Sequences, taken.Sequence, h.Positions)
	case f.Ledger.LastSequence != h.Positions.Ledger || f.Sched.LastSequence != h.Positions.Sched ||
		f.Ledger.LastHash != "" || f.Sched.LastHash != "":
		return errors.New("its ledger or scheduler is not where its header says")
	}
	return nil
}

// tailRead is what a read of the stream's tail returned.
type tailRead struct {
	evs []events.Event
	err error
}

// checkHeader checks that f, listed as name, is a snapshot of m's market
// under its own name, holding the state its header says.
func (m *Market) checkHeader(f *snapshotFile, name string) error {
	switch h := f.Header; {
	case h.Correlation != m.cfg.Correlation:
		return fmt.Errorf("of market %q", h.Correlation)
	case h.Config != fingerprint(m.cfg):
		return fmt.Errorf("taken under another configuration: %s", h.Config)
	case !saneAmounts(f):
		return errors.New("it holds an amount no market holds")
	case snapshotName(h.Correlation, h.Positions.Market) != name:
		return fmt.Errorf("stored under another name: it is %s", snapshotName(h.Correlation, h.Positions.Market))
	case stateHash(f) != h.StateHash:
		return fmt.Errorf("its state hashes to %s, not %s", stateHash(f), h.StateHash)
	}
	return nil
}

// fromTaken returns the events of evs from the snapshot_taken of the
// snapshot info on, or nil if evs do not hold it.
func fromTaken(evs []events.Event, info SnapshotInfo) []events.Event {
	for i, e := range evs {
		if p, ok := e.Data.(events.SnapshotTaken); ok && p.Name == info.Name {
			return evs[i:]
		}
	}
	return nil
}

// rebuildFrom sets m's state, and its committer, to what the snapshot f,
// described by info, and evs, the market's events from stream sequence
// f.Header.From on, make of it. evs must hold f's snapshot_taken, linked to
// f's head, sealed, and naming f's state.
func (m *Market) rebuildFrom(ctx context.Context, reserve bundle.Prices, f *snapshotFile, info SnapshotInfo, evs []events.Event) error {
	h, corr := f.Header, m.cfg.Correlation
	tail := fromTaken(evs, info)
	if tail == nil {
		return fmt.Errorf("the stream holds no snapshot_taken of it from stream sequence %d", h.From)
	}
	if err := bindsTo(tail[0], f); err != nil {
		return err
	}
	v, err := events.Verify(tail, events.VerifyOptions{PublicKey: m.cfg.PublicKey,
		Heads: map[string]string{corr: h.Head}, Keys: map[string]ed25519.PublicKey{corr: h.Key}})
	if err != nil {
		return fmt.Errorf("its snapshot_taken is not where it says in the chain: %w", err)
	}
	if len(v.Trusted) == 0 || v.Trusted[0].ID != tail[0].ID {
		return errors.New("its snapshot_taken is void: the group it was in was cut short")
	}
	last := lastSequences(tail).atLeast(h.Positions.stream())
	l, err := ledger.RestoreFrom(ctx, ledgerOptionsAt(m.cfg, m.stage, last.ledger), f.Ledger, v.Trusted)
	if err != nil {
		return err
	}
	s, err := sched.RestoreFrom(ctx, m.catalog, schedOptions(m.cfg, m.stage, l),
		sched.RestoreOptions{LastSequence: last.sched}, f.Sched, v.Trusted)
	if err != nil {
		return err
	}
	m.stage.take() // nothing the rebuild did is to be published
	st := newState(m.cfg, reserve, l, s, last)
	if err := st.load(f.Market); err != nil {
		return fmt.Errorf("%w: %w", ErrRestore, err)
	}
	if err := st.replay(m.cfg, v.Trusted); err != nil {
		return err
	}
	m.marketState = st
	head, key := cmp.Or(v.Heads[corr], h.Head), v.Keys[corr]
	if key == nil {
		key = h.Key
	}
	m.resume(mustChain(head), key)
	return nil
}

// atLeast returns s raised to the sequences of o.
func (s stream) atLeast(o stream) stream {
	return stream{market: max(s.market, o.market), ledger: max(s.ledger, o.ledger), sched: max(s.sched, o.sched),
		agent: max(s.agent, o.agent), judge: max(s.judge, o.judge), bench: max(s.bench, o.bench)}
}

// resume gives m a committer that continues chain, whose key in force is
// key: the market's own key signs from the next group, announced first if
// it is another.
func (m *Market) resume(chain *events.Chain, key ed25519.PublicKey) {
	m.commit = newCommitter(m.cfg.Publisher, chain, m.cfg.SigningKey, m.tel, m.rebuildLater)
	ours := m.cfg.SigningKey.Public().(ed25519.PublicKey)
	if key != nil && key.Equal(ours) {
		chain.SetKey(m.cfg.SigningKey)
	} else {
		m.announceKey() // goes out with the next command
	}
}
