package ledger

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/cockroachdb/apd/v3"
)

// MaxBatchOps is the most operations Apply takes in one batch.
const MaxBatchOps = 1000

// Op is one operation of a linked batch (Apply): a TransferOp, MintOp,
// BurnOp, HoldOp, CaptureOp or ReleaseOp. Each does what the method of the
// same name does.
type Op interface {
	prepare(l *Ledger, s stage) (change, error)
}

// TransferOp is a Transfer in a batch.
type TransferOp struct {
	TransferID, From, To string
	Amount               *apd.Decimal
	Reason               string
}

// MintOp is a Mint in a batch.
type MintOp struct {
	TransferID, To string
	Amount         *apd.Decimal
	Reason         string
}

// BurnOp is a Burn in a batch.
type BurnOp struct {
	TransferID, From string
	Amount           *apd.Decimal
	Reason           string
}

// HoldOp is a Hold in a batch, or a HoldWithTimeout if Timeout is not zero.
type HoldOp struct {
	HoldID, Account string
	Amount          *apd.Decimal
	Timeout         time.Duration
}

// CaptureOp is a Capture in a batch, or a CapturePartial if Partial.
type CaptureOp struct {
	HoldID, TransferID, To string
	Amount                 *apd.Decimal
	Reason                 string
	Partial                bool
}

// ReleaseOp is a Release in a batch.
type ReleaseOp struct {
	HoldID, Reason string
}

func (o TransferOp) prepare(l *Ledger, s stage) (change, error) {
	return l.moveChange(s, movement{op: opTransfer, id: o.TransferID, from: o.From, to: o.To, reason: o.Reason}, o.Amount)
}

func (o MintOp) prepare(l *Ledger, s stage) (change, error) {
	return l.moveChange(s, movement{op: opMint, id: o.TransferID, from: MintAccount, to: o.To, reason: o.Reason}, o.Amount)
}

func (o BurnOp) prepare(l *Ledger, s stage) (change, error) {
	return l.moveChange(s, movement{op: opBurn, id: o.TransferID, from: o.From, to: BurnAccount, reason: o.Reason}, o.Amount)
}

func (o HoldOp) prepare(l *Ledger, s stage) (change, error) {
	if o.Timeout < 0 {
		return change{}, fmt.Errorf("%w: %v is not positive", ErrInvalidTimeout, o.Timeout)
	}
	return l.prepareHold(s, o.HoldID, o.Account, o.Amount, o.Timeout)
}

func (o CaptureOp) prepare(l *Ledger, s stage) (change, error) {
	return l.prepareCapture(s, o.HoldID, o.TransferID, o.To, o.Amount, o.Reason, !o.Partial)
}

func (o ReleaseOp) prepare(l *Ledger, s stage) (change, error) {
	return l.prepareRelease(s, o.HoldID, o.Reason)
}

// BatchError reports the operation of a batch that was rejected, by its
// index in the batch. It unwraps to the operation's error.
type BatchError struct {
	Index int
	Err   error
}

// Error implements error.
func (e *BatchError) Error() string {
	return fmt.Sprintf("ledger: batch operation %d: %v", e.Index, e.Err)
}

// Unwrap returns the operation's error.
func (e *BatchError) Unwrap() error { return e.Err }

// Apply performs ops as one linked batch: each sees the effects of those
// before it, and either all of them apply and their events go out in one
// publish, or none does. A rejected operation is a *BatchError with its
// index, wrapping its error; a failed publish is returned as is; either way
// nothing changes and, for a rejection, nothing is published.
//
// An operation that retries one already done (same id, same fields) has no
// effect and no event, as it would alone; so retrying a whole batch that
// was applied does nothing. A batch holds at most MaxBatchOps operations
// (ErrInvalidBatch), none nil; an empty batch does nothing.
func (l *Ledger) Apply(ctx context.Context, ops ...Op) error {
	if len(ops) > MaxBatchOps {
		return fmt.Errorf("%w: %d operations, at most %d", ErrInvalidBatch, len(ops), MaxBatchOps)
	}
	for i, op := range ops {
		if op == nil {
			return &BatchError{Index: i, Err: fmt.Errorf("%w: nil operation", ErrInvalidBatch)}
		}
	}
	if len(ops) == 0 {
		return nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	s := l.stage()
	j := l.journal()
	for i, op := range ops {
		ch, err := op.prepare(l, s)
		if err != nil {
			j.rollback()
			return &BatchError{Index: i, Err: err}
		}
		if ch.apply != nil {
			j.save(ch)
			ch.apply()
		}
	}
	// The changes are applied already, so that each operation saw the
	// ones before it; commit publishes and, on failure, they are undone.
	return l.commit(ctx, s.b, func() {}, j.rollback)
}

// journal undoes the changes of a batch that fails.
type journal struct {
	l     *Ledger
	queue expiryQueue // the expiry queue before the batch
	undo  []func()
}

func (l *Ledger) journal() *journal {
	return &journal{l: l, queue: slices.Clone(l.expiries)}
}

// save records how to undo ch, before it is applied.
func (j *journal) save(ch change) {
	l := j.l
	for _, a := range ch.accounts {
		if a == nil {
			continue
		}
		posted, pending, mark := a.posted, a.pending, a.history.mark(l.maxHistory)
		j.undo = append(j.undo, func() { a.posted, a.pending = posted, pending; a.history.reset(mark) })
	}
	if h := ch.hold; h != nil {
		if ch.newHold {
			j.undo = append(j.undo, func() { delete(l.holds, h.id) })
		} else {
			old := *h
			j.undo = append(j.undo, func() { *h = old })
		}
	}
	if id := ch.transfer; id != "" {
		j.undo = append(j.undo, func() { l.transfers.remove(id) })
	}
}

// rollback undoes every saved change, the last first.
func (j *journal) rollback() {
	for i := len(j.undo) - 1; i >= 0; i-- {
		j.undo[i]()
	}
	j.l.expiries = j.queue
	for i, h := range j.queue {
		h.index = i
	}
}
