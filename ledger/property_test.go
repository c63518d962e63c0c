package ledger

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/scarcitylabs/scarcity/internal/exact"

	"github.com/cockroachdb/apd/v3"
	"github.com/google/go-cmp/cmp"
	"github.com/scarcitylabs/scarcity/events"
	"pgregory.net/rapid"
)

// The model keeps amounts as int64 micro-credits (scale 6).

type modelAccount struct {
	kind            Kind
	posted, pending int64
	limit           int64 // overdraft limit
	closed          bool
}

type modelMove struct {
	op             op
	hold, from, to string
	amount         int64
	reason         string
}

type modelHold struct {
	account             string
	amount              int64 // placed
	remaining, captured int64
	timeout             time.Duration
	deadline            time.Time
	state               holdState
	capID               string // the capture that closed it
	reason              string
}

type model struct {
	accounts  map[string]*modelAccount
	holds     map[string]*modelHold
	transfers map[string]modelMove
}

func newModel() *model {
	return &model{
		accounts: map[string]*modelAccount{
			MintAccount: {kind: KindMint},
			BurnAccount: {kind: KindBurn},
		},
		holds:     map[string]*modelHold{},
		transfers: map[string]modelMove{},
	}
}

// The model's operations return the error the ledger must return and
// whether the operation has an effect (and so publishes one event).

func (m *model) open(id string, kind Kind, limit int64) (error, bool) {
	switch {
	case kind.system():
		return ErrAccountExists, false
	case !kind.valid():
		return ErrInvalidKind, false
	case m.accounts[id] != nil:
		return ErrAccountExists, false
	}
	m.accounts[id] = &modelAccount{kind: kind, limit: limit}
	return nil, true
}

func (m *model) close(id string) (error, bool) {
	a := m.accounts[id]
	switch {
	case a == nil:
		return ErrUnknownAccount, false
	case a.kind.system():
		return ErrSystemAccount, false
	case a.closed:
		return nil, false
	case a.posted != 0 || a.pending != 0:
		return ErrAccountNotEmpty, false
	}
	a.closed = true
	return nil, true
}

// usable returns the error of using account a: unknown or closed.
func usable(a *modelAccount) error {
	switch {
	case a == nil:
		return ErrUnknownAccount
	case a.closed:
		return ErrClosedAccount
	}
	return nil
}

func (m *model) move(id string, mv modelMove) (error, bool) {
	if prior, ok := m.transfers[id]; ok {
		if prior == mv {
			return nil, false
		}
		return ErrExistsWithDifferentFields, false
	}
	if mv.from == mv.to {
		return ErrSameAccount, false
	}
	from, to := m.accounts[mv.from], m.accounts[mv.to]
	if err := usable(from); err != nil {
		return err, false
	}
	if err := usable(to); err != nil {
		return err, false
	}
	if (mv.op != opMint && from.kind.system()) || (mv.op != opBurn && to.kind.system()) {
		return ErrSystemAccount, false
	}
	if from.kind != KindMint && from.posted-from.pending+from.limit < mv.amount {
		return ErrInsufficientCredit, false
	}
	from.posted -= mv.amount
	to.posted += mv.amount
	m.transfers[id] = mv
	return nil, true
}

func (m *model) hold(id, account string, amount int64, timeout time.Duration, now time.Time) (error, bool) {
	if h, ok := m.holds[id]; ok {
		if h.account == account && h.amount == amount && h.timeout == timeout {
			return nil, false
		}
		return ErrExistsWithDifferentFields, false
	}
	a := m.accounts[account]
	if err := usable(a); err != nil {
		return err, false
	}
	switch {
	case a.kind.system():
		return ErrSystemAccount, false
	case a.posted-a.pending+a.limit < amount:
		return ErrInsufficientCredit, false
	}
	a.pending += amount
	h := &modelHold{account: account, amount: amount, remaining: amount, timeout: timeout}
	if timeout > 0 {
		h.deadline = now.Add(timeout)
	}
	m.holds[id] = h
	return nil, true
}

func (m *model) capture(holdID, id, to string, amount int64, reason string, final bool) (error, bool) {
	h := m.holds[holdID]
	if h == nil {
		return ErrUnknownHold, false
	}
	mv := modelMove{op: opCapture, hold: holdID, from: h.account, to: to, amount: amount, reason: reason}
	if prior, ok := m.transfers[id]; ok {
		if prior == mv {
			return nil, false
		}
		return ErrExistsWithDifferentFields, false
	}
	switch h.state {
	case holdCaptured:
		return ErrExistsWithDifferentFields, false
	case holdReleased:
		return ErrUnknownHold, false
	}
	switch target := m.accounts[to]; {
	case amount > h.remaining:
		return ErrCaptureExceedsHold, false
	case to == h.account:
		return ErrSameAccount, false
	case usable(target) != nil:
		return usable(target), false
	case target.kind.system():
		return ErrSystemAccount, false
	}
	from := m.accounts[h.account]
	from.posted -= amount
	m.accounts[to].posted += amount
	h.captured += amount
	if final {
		from.pending -= h.remaining
		h.remaining = 0
	} else {
		from.pending -= amount
		h.remaining -= amount
	}
	if h.remaining == 0 {
		h.state, h.capID = holdCaptured, id
	}
	m.transfers[id] = mv
	return nil, true
}

func (m *model) release(holdID, reason string) (error, bool) {
	h := m.holds[holdID]
	switch {
	case h == nil || h.state == holdCaptured:
		return ErrUnknownHold, false
	case h.state == holdReleased && h.reason == reason:
		return nil, false
	case h.state == holdReleased:
		return ErrExistsWithDifferentFields, false
	}
	m.accounts[h.account].pending -= h.remaining
	h.remaining = 0
	h.state, h.reason = holdReleased, reason
	return nil, true
}

// due returns the ids of the open holds whose deadline is at or before now,
// in expiry order.
func (m *model) due(now time.Time) []string {
	var ids []string
	for id, h := range m.holds {
		if h.state == holdOpen && h.timeout > 0 && !h.deadline.After(now) {
			ids = append(ids, id)
		}
	}
	slices.SortFunc(ids, func(a, b string) int {
		if c := m.holds[a].deadline.Compare(m.holds[b].deadline); c != 0 {
			return c
		}
		return strings.Compare(a, b)
	})
	return ids
}

// expire releases the holds due at now and returns their ids.
func (m *model) expire(now time.Time) []string {
	ids := m.due(now)
	for _, id := range ids {
		m.release(id, ReasonExpired)
	}
	return ids
}

// nextExpiry returns the earliest deadline of the open holds.
func (m *model) nextExpiry() (time.Time, bool) {
	var next time.Time
	found := false
	for _, h := range m.holds {
		if h.state == holdOpen && h.timeout > 0 && (!found || h.deadline.Before(next)) {
			next, found = h.deadline, true
		}
	}
	return next, found
}

// clone returns a deep copy of m, on which a batch is tried.
func (m *model) clone() *model {
	c := &model{accounts: map[string]*modelAccount{}, holds: map[string]*modelHold{}, transfers: maps.Clone(m.transfers)}
	for id, a := range m.accounts {
		cp := *a
		c.accounts[id] = &cp
	}
	for id, h := range m.holds {
		cp := *h
		c.holds[id] = &cp
	}
	return c
}

func (m *model) balances() map[string]Balance {
	out := make(map[string]Balance, len(m.accounts))
	for id, a := range m.accounts {
		out[id] = Balance{
			Posted:         micros(a.posted),
			Pending:        micros(a.pending),
			Available:      micros(a.posted - a.pending),
			Kind:           a.kind,
			AllowNegative:  a.kind == KindMint,
			OverdraftLimit: limitOf(a.limit),
			Closed:         a.closed,
		}
	}
	return out
}

func micros(n int64) *apd.Decimal { return apd.New(n, -6) }

// limitOf is the OverdraftLimit of a Balance: nil for none.
func limitOf(n int64) *apd.Decimal {
	if n == 0 {
		return nil
	}
	return micros(n)
}

// machine drives a ledger and the model with the same random operations.
type machine struct {
	f     *fixture
	model *model
	// replays are operations that succeeded; running one again must
	// return nil and change nothing.
	replays []func() error
	fresh   int            // ids handed out by newID
	effects map[string]int // successful operations by action
	checks  int            // invariant checks so far
	snap    *Snapshot      // taken at the last full replay
}

var (
	accountIDs  = []string{"a", "b", "c", "d", "e", MintAccount, BurnAccount, "nobody"}
	transferIDs = []string{"t0", "t1", "t2", "t3"}
	holdIDs     = []string{"h0", "h1", "h2", "h3"}
	reasons     = []string{"", "won", "expired"}
)

func newMachine(t *rapid.T, effects map[string]int) *machine {
	s := &machine{f: newFixture(t, Options{Correlation: "model"}), model: newModel(), effects: effects}
	for i, id := range accountIDs[:3] {
		must(t, s.f.l.Open(context.Background(), id, KindAgent))
		s.model.open(id, KindAgent, 0)
		grant := fmt.Sprintf("grant-%d", i)
		must(t, s.f.l.Mint(context.Background(), grant, id, micros(500_000_000), ""))
		s.model.move(grant, modelMove{op: opMint, from: MintAccount, to: id, amount: 500_000_000})
	}
	return s
}

// account draws mostly an open user account, sometimes any id.
func (s *machine) account(t *rapid.T, label string) string {
	var open []string
	for _, id := range accountIDs {
		if a := s.model.accounts[id]; a != nil && !a.kind.system() {
			open = append(open, id)
		}
	}
	if rapid.IntRange(0, 4).Draw(t, label+" any") > 0 {
		return rapid.SampledFrom(open).Draw(t, label)
	}
	return rapid.SampledFrom(accountIDs).Draw(t, label)
}

// transferID draws mostly a fresh id, sometimes one of a small pool.
func (s *machine) transferID(t *rapid.T) string {
	if rapid.IntRange(0, 3).Draw(t, "fresh transfer") > 0 {
		s.fresh++
		return fmt.Sprintf("u%d", s.fresh)
	}
	return rapid.SampledFrom(transferIDs).Draw(t, "transfer")
}

// holdID draws mostly an open hold, else one of a small pool.
func (s *machine) holdID(t *rapid.T) string {
	var open []string
	for _, id := range holdIDs {
		if h := s.model.holds[id]; h != nil && h.state == holdOpen {
			open = append(open, id)
		}
	}
	if len(open) > 0 && rapid.IntRange(0, 3).Draw(t, "open hold") > 0 {
		return rapid.SampledFrom(open).Draw(t, "hold")
	}
	return rapid.SampledFrom(holdIDs).Draw(t, "hold")
}

func (s *machine) amount(t *rapid.T, label string) int64 {
	return rapid.OneOf(
		rapid.Int64Range(1, 100),
		rapid.Int64Range(1, 50_000_000),
		rapid.Int64Range(1, 1_000_000_000),
	).Draw(t, label)
}

// amountFrom draws an amount, often one that account can afford.
func (s *machine) amountFrom(t *rapid.T, account string) int64 {
	if a := s.model.accounts[account]; a != nil && a.posted-a.pending+a.limit > 0 && rapid.Bool().Draw(t, "affordable") {
		return rapid.Int64Range(1, a.posted-a.pending+a.limit).Draw(t, "amount")
	}
	return s.amount(t, "amount")
}

// step runs do against the ledger and wants the model's outcome.
func (s *machine) step(t *rapid.T, name string, do func() error, want error, effect bool) {
	before := s.f.log.Len()
	err := do()
	if !errors.Is(err, want) {
		t.Fatalf("%s: err = %v, want %v", name, err, want)
	}
	published := s.f.log.Len() - before
	if wantN := map[bool]uint64{true: 1, false: 0}[effect]; published != wantN {
		t.Fatalf("%s: published %d events, want %d", name, published, wantN)
	}
	if err != nil {
		s.effects[name+" rejected"]++
		for _, e := range []error{ErrClosedAccount, ErrAccountNotEmpty, ErrInvalidKind, ErrUnknownHold, ErrSameAccount, ErrUnknownAccount, ErrExistsWithDifferentFields, ErrCaptureExceedsHold, ErrSystemAccount, ErrInsufficientCredit} {
			if errors.Is(err, e) {
				s.effects[name+" "+e.Error()]++
			}
		}
	}
	if err == nil && effect {
		s.effects[name]++
		s.replays = append(s.replays, do)
	}
}

func (s *machine) actions() map[string]func(*rapid.T) {
	ctx := context.Background()
	l := s.f.l
	return map[string]func(*rapid.T){
		"open": func(t *rapid.T) {
			id := rapid.SampledFrom(accountIDs[:5]).Draw(t, "id")
			kind := rapid.SampledFrom([]Kind{KindAgent, KindOperator, KindEscrow, KindMint, KindBurn, "bank", "x_9", "Bank", "9x", ""}).Draw(t, "kind")
			limit := rapid.SampledFrom([]int64{0, 0, 1_000_000, 250_000_000}).Draw(t, "overdraft limit")
			want, effect := s.model.open(id, kind, limit)
			s.step(t, "open", func() error {
				return l.OpenWith(ctx, id, AccountOptions{Kind: kind, OverdraftLimit: micros(limit)})
			}, want, effect)
			if effect {
				s.replays = s.replays[:len(s.replays)-1] // opening twice is ErrAccountExists
			}
		},
		"close": func(t *rapid.T) {
			id := s.account(t, "account")
			want, effect := s.model.close(id)
			s.step(t, "close", func() error { return l.Close(ctx, id) }, want, effect)
		},
		"mint": func(t *rapid.T) {
			id, to := s.transferID(t), s.account(t, "to")
			n, reason := s.amount(t, "amount")*10, rapid.SampledFrom(reasons).Draw(t, "reason")
			want, effect := s.model.move(id, modelMove{op: opMint, from: MintAccount, to: to, amount: n, reason: reason})
			s.step(t, "mint", func() error { return l.Mint(ctx, id, to, micros(n), reason) }, want, effect)
		},
		"transfer": func(t *rapid.T) {
			id, from, to := s.transferID(t), s.account(t, "from"), s.account(t, "to")
			n, reason := s.amountFrom(t, from), rapid.SampledFrom(reasons).Draw(t, "reason")
			want, effect := s.model.move(id, modelMove{op: opTransfer, from: from, to: to, amount: n, reason: reason})
			s.step(t, "transfer", func() error { return l.Transfer(ctx, id, from, to, micros(n), reason) }, want, effect)
		},
		"burn": func(t *rapid.T) {
			id, from := s.transferID(t), s.account(t, "from")
			n := s.amountFrom(t, from)
			want, effect := s.model.move(id, modelMove{op: opBurn, from: from, to: BurnAccount, amount: n})
			s.step(t, "burn", func() error { return l.Burn(ctx, id, from, micros(n), "") }, want, effect)
		},
		"hold": func(t *rapid.T) {
			id, account := rapid.SampledFrom(holdIDs).Draw(t, "hold"), s.account(t, "account")
			n := s.amountFrom(t, account)
			want, effect := s.model.hold(id, account, n, 0, s.f.clock.Now())
			s.step(t, "hold", func() error { return l.Hold(ctx, id, account, micros(n)) }, want, effect)
		},
		"hold with timeout": func(t *rapid.T) {
			id, account := rapid.SampledFrom(holdIDs).Draw(t, "hold"), s.account(t, "account")
			n := s.amountFrom(t, account)
			timeout := time.Duration(rapid.Int64Range(1, 2e12).Draw(t, "timeout ns"))
			want, effect := s.model.hold(id, account, n, timeout, s.f.clock.Now())
			s.step(t, "hold with timeout", func() error { return l.HoldWithTimeout(ctx, id, account, micros(n), timeout) }, want, effect)
		},
		"capture":         func(t *rapid.T) { s.capture(t, true) },
		"partial capture": func(t *rapid.T) { s.capture(t, false) },
		"expire": func(t *rapid.T) {
			if rapid.Bool().Draw(t, "advance") {
				s.f.clock.Add(time.Duration(rapid.Int64Range(0, 2e12).Draw(t, "ns")))
			}
			before := s.f.log.Len()
			ids := s.model.expire(s.f.clock.Now())
			must(t, l.Expire(ctx))
			got := s.f.log.Events(before + 1)
			var released []string
			for _, e := range got {
				p, ok := e.Data.(events.HoldReleased)
				if !ok || p.Reason != ReasonExpired {
					t.Fatalf("Expire published %v %+v", e, e.Data)
				}
				released = append(released, p.HoldID)
			}
			if diff := cmp.Diff(ids, released); diff != "" {
				t.Fatalf("Expire released (-model +ledger):\n%s", diff)
			}
			s.effects["expire"] += len(ids)
		},
		"release": func(t *rapid.T) {
			holdID, reason := s.holdID(t), rapid.SampledFrom(reasons).Draw(t, "reason")
			want, effect := s.model.release(holdID, reason)
			s.step(t, "release", func() error { return l.Release(ctx, holdID, reason) }, want, effect)
		},
		"batch": s.batch,
		"retry": func(t *rapid.T) {
			if len(s.replays) == 0 {
				t.Skip("nothing to retry")
			}
			do := rapid.SampledFrom(s.replays).Draw(t, "operation")
			before := s.f.state()
			if err := do(); err != nil {
				t.Fatalf("retry: %v, want nil", err)
			}
			s.f.assertUnchanged(t, before)
			s.effects["retry"]++
		},
		"bad amount": func(t *rapid.T) {
			bad := rapid.SampledFrom([]string{"0", "-0.000001", "0.0000001", "1000000000000000.000001", "NaN", "-Infinity"}).Draw(t, "amount")
			account := s.account(t, "account")
			ops := []func() error{
				func() error { return l.Mint(ctx, "t-bad", account, dec(t, bad), "") },
				func() error { return l.Transfer(ctx, "t-bad", account, "a", dec(t, bad), "") },
				func() error { return l.Burn(ctx, "t-bad", account, dec(t, bad), "") },
				func() error { return l.Hold(ctx, "h-bad", account, dec(t, bad)) },
				func() error { return l.Capture(ctx, "h0", "t-bad", account, dec(t, bad), "") },
				func() error { return l.CapturePartial(ctx, "h0", "t-bad", account, dec(t, bad), "") },
				func() error { return l.HoldWithTimeout(ctx, "h-bad", account, dec(t, bad), time.Second) },
			}
			do := rapid.SampledFrom(ops).Draw(t, "operation")
			before := s.f.state()
			if err := do(); !errors.Is(err, ErrInvalidAmount) {
				t.Fatalf("operation with amount %s: %v, want %v", bad, err, ErrInvalidAmount)
			}
			s.f.assertUnchanged(t, before)
		},
		"query": func(t *rapid.T) {
			id := s.account(t, "account")
			_, known := s.model.accounts[id]
			want := map[bool]error{false: ErrUnknownAccount}[known]
			s.step(t, "query", func() error { _, err := l.QueryBalance(ctx, id); return err }, want, known)
			if known {
				s.replays = s.replays[:len(s.replays)-1] // a query is not idempotent
			}
		},
		"tick": func(t *rapid.T) {
			s.f.clock.Add(time.Duration(rapid.Int64Range(1, 1e12).Draw(t, "ns")))
		},
		"": s.check,
	}
}

// batchOp is an operation of a batch and its outcome on the model.
type batchOp struct {
	op    Op
	model func(m *model) (error, bool)
}

// drawOp draws one operation of a batch.
func (s *machine) drawOp(t *rapid.T, now time.Time) batchOp {
	reason := rapid.SampledFrom(reasons).Draw(t, "reason")
	switch rapid.IntRange(0, 6).Draw(t, "op") {
	case 0:
		id, to, n := s.transferID(t), s.account(t, "to"), s.amount(t, "amount")*10
		return batchOp{MintOp{TransferID: id, To: to, Amount: micros(n), Reason: reason}, func(m *model) (error, bool) {
			return m.move(id, modelMove{op: opMint, from: MintAccount, to: to, amount: n, reason: reason})
		}}
	case 1:
		id, from := s.transferID(t), s.account(t, "from")
		n := s.amountFrom(t, from)
		return batchOp{BurnOp{TransferID: id, From: from, Amount: micros(n), Reason: reason}, func(m *model) (error, bool) {
			return m.move(id, modelMove{op: opBurn, from: from, to: BurnAccount, amount: n, reason: reason})
		}}
	case 2:
		id, account := rapid.SampledFrom(holdIDs).Draw(t, "hold"), s.account(t, "account")
		n := s.amountFrom(t, account)
		timeout := time.Duration(rapid.SampledFrom([]int64{0, 1e9, 1e12}).Draw(t, "timeout"))
		return batchOp{HoldOp{HoldID: id, Account: account, Amount: micros(n), Timeout: timeout}, func(m *model) (error, bool) {
			return m.hold(id, account, n, timeout, now)
		}}
	case 3, 4:
		holdID, id, to := s.holdID(t), s.transferID(t), s.account(t, "to")
		n := s.amount(t, "amount")
		if h := s.model.holds[holdID]; h != nil && h.remaining > 0 && rapid.Bool().Draw(t, "part of the hold") {
			n = rapid.Int64Range(1, h.remaining).Draw(t, "part")
		}
		partial := rapid.Bool().Draw(t, "partial")
		return batchOp{CaptureOp{HoldID: holdID, TransferID: id, To: to, Amount: micros(n), Reason: reason, Partial: partial}, func(m *model) (error, bool) {
			return m.capture(holdID, id, to, n, reason, !partial)
		}}
	case 5:
		holdID := s.holdID(t)
		return batchOp{ReleaseOp{HoldID: holdID, Reason: reason}, func(m *model) (error, bool) { return m.release(holdID, reason) }}
	}
	id, from, to := s.transferID(t), s.account(t, "from"), s.account(t, "to")
	n := s.amountFrom(t, from)
	return batchOp{TransferOp{TransferID: id, From: from, To: to, Amount: micros(n), Reason: reason}, func(m *model) (error, bool) {
		return m.move(id, modelMove{op: opTransfer, from: from, to: to, amount: n, reason: reason})
	}}
}

// batch applies a few random operations as one linked batch: the model
// tries them on a copy, which it keeps only if every one succeeds.
func (s *machine) batch(t *rapid.T) {
	now := s.f.clock.Now()
	ops := make([]Op, rapid.IntRange(1, 4).Draw(t, "batch size"))
	trial := s.model.clone()
	failed, effects := -1, uint64(0)
	var want error
	for i := range ops {
		o := s.drawOp(t, now)
		ops[i] = o.op
		if failed >= 0 {
			continue
		}
		err, effect := o.model(trial)
		switch {
		case err != nil:
			failed, want = i, err
		case effect:
			effects++
		}
	}
	before := s.f.state()
	err := s.f.l.Apply(context.Background(), ops...)
	if failed >= 0 {
		var be *BatchError
		if !errors.Is(err, want) || !errors.As(err, &be) || be.Index != failed {
			t.Fatalf("Apply = %v, want %v at operation %d", err, want, failed)
		}
		s.f.assertUnchanged(t, before)
		s.effects["batch rejected"]++
		return
	}
	if err != nil {
		t.Fatalf("Apply = %v, want nil", err)
	}
	if got := s.f.log.Len() - before.Events; got != effects {
		t.Fatalf("Apply published %d events, want %d", got, effects)
	}
	s.model = trial
	if effects > 0 {
		s.effects["batch"]++
		s.replays = append(s.replays, func() error { return s.f.l.Apply(context.Background(), ops...) })
	}
}

// capture draws a final or partial capture, often of part of what the hold
// holds.
func (s *machine) capture(t *rapid.T, final bool) {
	ctx := context.Background()
	holdID, id := s.holdID(t), s.transferID(t)
	to, reason := s.account(t, "to"), rapid.SampledFrom(reasons).Draw(t, "reason")
	n := s.amount(t, "amount")
	if h := s.model.holds[holdID]; h != nil && h.remaining > 0 && rapid.IntRange(0, 3).Draw(t, "part of the hold") > 0 {
		n = rapid.Int64Range(1, h.remaining).Draw(t, "part")
	}
	want, effect := s.model.capture(holdID, id, to, n, reason, final)
	name, do := "capture", func() error { return s.f.l.Capture(ctx, holdID, id, to, micros(n), reason) }
	if !final {
		name, do = "partial capture", func() error { return s.f.l.CapturePartial(ctx, holdID, id, to, micros(n), reason) }
	}
	s.step(t, name, do, want, effect)
}

// check asserts the invariants after every step.
func (s *machine) check(t *rapid.T) {
	l := s.f.l
	if sum := l.Sum(); !sum.IsZero() {
		t.Fatalf("Sum() = %s, want 0", sum.Text('f'))
	}
	got := l.Balances()
	for id, b := range got {
		if id == MintAccount {
			continue
		}
		floor := new(apd.Decimal)
		if b.OverdraftLimit != nil {
			floor.Neg(b.OverdraftLimit)
		}
		if b.Posted.Cmp(floor) < 0 || b.Available.Cmp(floor) < 0 {
			t.Fatalf("account %q is below its limit %s: posted %s, available %s", id, floor.Text('f'), b.Posted.Text('f'), b.Available.Text('f'))
		}
		if b.Posted.Sign() < 0 {
			s.effects["overdrawn"]++
		}
	}
	for id, h := range s.model.holds {
		amt, open := l.HoldAmount(id)
		if open != (h.state == holdOpen) {
			t.Fatalf("HoldAmount(%q) open = %v, model says state %d", id, open, h.state)
		}
		if !open {
			continue
		}
		if amt.Cmp(micros(h.remaining)) != 0 {
			t.Fatalf("HoldAmount(%q) = %s, model %d micros", id, amt.Text('f'), h.remaining)
		}
		backing := new(apd.Decimal)
		backing.Set(got[h.account].Posted)
		if lim := got[h.account].OverdraftLimit; lim != nil {
			mustExact(exact.Context.Add(backing, backing, lim))
		}
		if amt.Cmp(backing) > 0 {
			t.Fatalf("hold %q of %s exceeds %q's posted %s plus its limit", id, amt.Text('f'), h.account, got[h.account].Posted.Text('f'))
		}
	}
	s.checkHolds(t)
	s.checkQueries(t, got)
	if diff := cmp.Diff(s.model.balances(), got, decimalEqual); diff != "" {
		t.Fatalf("ledger differs from model (-model +ledger):\n%s", diff)
	}
	// Most checks replay from the snapshot of the last full replay; every
	// fifth replays the whole stream, histories included.
	s.checks++
	if s.snap != nil && s.checks%5 != 0 {
		r, err := RestoreFrom(context.Background(), s.f.replayOpts(), *s.snap, s.f.log.Events(0))
		if err != nil {
			t.Fatalf("RestoreFrom: %v", err)
		}
		s.checkReplayed(t, got, r)
		return
	}
	r, err := Restore(context.Background(), s.f.replayOpts(), s.f.log.Events(0))
	if err != nil {
		t.Fatalf("Restore: %v", err)
	}
	snap := l.Snapshot()
	s.snap = &snap
	s.checkReplayed(t, got, r)
	for id := range got {
		want, _, _ := l.History(id, "", MaxHistoryLimit)
		replayed, _, _ := r.History(id, "", MaxHistoryLimit)
		if diff := cmp.Diff(want, replayed, decimalEqual); diff != "" {
			t.Fatalf("replayed history of %q differs (-ledger +replayed):\n%s", id, diff)
		}
	}
}

// checkReplayed asserts that the replayed ledger r has the balances, hashes
// and sequence of the machine's.
func (s *machine) checkReplayed(t *rapid.T, got map[string]Balance, r *Ledger) {
	l := s.f.l
	if diff := cmp.Diff(got, r.Balances(), decimalEqual); diff != "" {
		t.Fatalf("replayed balances differ (-ledger +replayed):\n%s", diff)
	}
	if r.StateHash() != l.StateHash() || r.LastHash() != l.LastHash() {
		t.Fatalf("replayed hashes differ: state %s vs %s, last %s vs %s", r.StateHash(), l.StateHash(), r.LastHash(), l.LastHash())
	}
	if r.LastSequence() != l.LastSequence() || r.LastSequence() != s.f.log.Len() {
		t.Fatalf("replayed LastSequence() = %d, ledger %d, log %d", r.LastSequence(), l.LastSequence(), s.f.log.Len())
	}
}

// checkHolds asserts that no hold captured more than was placed, that an
// open hold's captures and remainder add up to it, and that NextExpiry is
// the model's.
func (s *machine) checkHolds(t *rapid.T) {
	l := s.f.l
	l.mu.RLock()
	for id, h := range l.holds {
		var total apd.Decimal
		mustExact(exact.Context.Add(&total, h.captured, h.remaining))
		if h.captured.Cmp(h.amount) > 0 || total.Cmp(h.amount) > 0 {
			l.mu.RUnlock()
			t.Fatalf("hold %q placed %s has captured %s and holds %s", id, h.amount.Text('f'), h.captured.Text('f'), h.remaining.Text('f'))
		}
		if mh := s.model.holds[id]; h.captured.Cmp(micros(mh.captured)) != 0 {
			l.mu.RUnlock()
			t.Fatalf("hold %q captured %s, model %d micros", id, h.captured.Text('f'), mh.captured)
		}
	}
	l.mu.RUnlock()
	next, ok := l.NextExpiry()
	wantNext, wantOK := s.model.nextExpiry()
	if ok != wantOK || !next.Equal(wantNext) {
		t.Fatalf("NextExpiry() = %v, %v; model %v, %v", next, ok, wantNext, wantOK)
	}
}

// checkQueries asserts that Totals are the model's sums per kind and that
// each account's newest history entry carries its balances.
func (s *machine) checkQueries(t *rapid.T, got map[string]Balance) {
	want := map[Kind]int64{}
	for _, a := range s.model.accounts {
		want[a.kind] += a.posted
	}
	totals := s.f.l.Totals()
	if len(totals) != len(want) {
		t.Fatalf("Totals() has %d kinds, model %d", len(totals), len(want))
	}
	for k, n := range want {
		if totals[k] == nil || totals[k].Cmp(micros(n)) != 0 {
			t.Fatalf("Totals()[%s] = %v, model %d micros", k, totals[k], n)
		}
	}
	for id, b := range got {
		page, _, err := s.f.l.History(id, "", 1)
		if err != nil {
			t.Fatalf("History(%q): %v", id, err)
		}
		if len(page) == 1 && (page[0].Balance.Cmp(b.Posted) != 0 || page[0].Pending.Cmp(b.Pending) != 0) {
			t.Fatalf("newest entry of %q has %s/%s, account %s/%s", id,
				page[0].Balance.Text('f'), page[0].Pending.Text('f'), b.Posted.Text('f'), b.Pending.Text('f'))
		}
	}
}

func TestLedgerStateMachine(t *testing.T) {
	effects := map[string]int{}
	rapid.Check(t, func(t *rapid.T) {
		newMachine(t, effects).Repeat(t)
	})
	// The generators must reach every kind of success, or the machine
	// checks little. A -short run has too few cases to reach them all.
	if testing.Short() {
		return
	}
	for _, name := range []string{"open", "close", "overdrawn", "mint", "transfer", "burn", "hold", "hold with timeout", "capture", "partial capture", "expire", "release", "batch", "batch rejected", "retry", "query"} {
		if effects[name] == 0 {
			t.Errorf("no successful %s in any run: %v", name, effects)
		}
	}
	t.Logf("successful operations: %v", effects)
}

// Repeat runs the machine's actions with rapid.
func (s *machine) Repeat(t *rapid.T) { t.Repeat(s.actions()) }

// TestModelAgreesOnErrors guards the model itself: a few steps whose outcome
// is known.
func TestModelAgreesOnErrors(t *testing.T) {
	m := newModel()
	steps := []struct {
		got  func() (error, bool)
		want error
	}{
		{func() (error, bool) { return m.open("a", KindAgent, 0) }, nil},
		{func() (error, bool) {
			return m.move("t0", modelMove{op: opMint, from: MintAccount, to: "a", amount: 5})
		}, nil},
		{func() (error, bool) { return m.move("t1", modelMove{op: opTransfer, from: "a", to: "b", amount: 1}) }, ErrUnknownAccount},
		{func() (error, bool) { return m.hold("h0", "a", 6, 0, time.Time{}) }, ErrInsufficientCredit},
		{func() (error, bool) { return m.hold("h0", "a", 5, 0, time.Time{}) }, nil},
		{func() (error, bool) { return m.capture("h0", "t0", "burn", 1, "", true) }, ErrExistsWithDifferentFields},
		{func() (error, bool) { return m.capture("h0", "t1", "burn", 1, "", true) }, ErrSystemAccount},
		{func() (error, bool) { return m.release("h0", "") }, nil},
		{func() (error, bool) { return m.release("h0", "x") }, ErrExistsWithDifferentFields},
	}
	for i, st := range steps {
		if err, _ := st.got(); !errors.Is(err, st.want) {
			t.Errorf("step %d: %v, want %v", i, err, st.want)
		}
	}
	if got := fmt.Sprint(m.accounts["a"].posted, m.accounts["a"].pending); got != "5 0" {
		t.Errorf("model account a = %s, want 5 0", got)
	}
}
