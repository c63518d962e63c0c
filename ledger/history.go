package ledger

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/scarcitylabs/scarcity/internal/exact"

	"github.com/cockroachdb/apd/v3"
	"github.com/scarcitylabs/scarcity/events"
)

// Limits of History.
const (
	// DefaultMaxHistory is the number of entries kept per account when
	// Options.MaxHistory is zero.
	DefaultMaxHistory = 1000
	// MaxMaxHistory is the largest Options.MaxHistory.
	MaxMaxHistory = 1 << 20
	// DefaultHistoryLimit is the page size of History when limit is zero.
	DefaultHistoryLimit = 100
	// MaxHistoryLimit is the largest page History returns.
	MaxHistoryLimit = 1000
)

// Entry is one event of an account's history: a movement of posted credits
// into or out of the account, or a hold placed on it, captured from it or
// released. Its decimals belong to the caller.
type Entry struct {
	// EventID, Sequence, Type and Time are those of the ledger event.
	EventID  string
	Sequence uint64
	Type     events.Type
	Time     time.Time
	// TransferID is the movement's or capture's transfer id; empty for
	// hold_placed and hold_released.
	TransferID string
	// HoldID is the hold of a hold event; empty for other movements.
	HoldID string
	// Amount is what the event did to the account. For a movement or a
	// capture it is the change of the posted balance: positive for credits
	// received, negative for credits paid. For hold_placed it is the amount
	// set aside, for hold_released the amount returned to available; the
	// posted balance does not change.
	Amount *apd.Decimal
	// Counterparty is the other account of a movement or capture; empty for
	// hold_placed and hold_released.
	Counterparty string
	// Balance and Pending are the account's posted balance and total held
	// amount after the event.
	Balance *apd.Decimal
	Pending *apd.Decimal
}

// entry is an Entry as the ledger keeps it: its decimals are shared with
// the ledger's state, which never modifies a decimal in place.
type entry struct {
	eventRef
	transfer     string
	hold         string
	counterparty string
	amount       *apd.Decimal
	debit        bool // Amount is -amount
	posted, held *apd.Decimal
}

// eventRef is what an entry keeps of its event. It is small, so that the
// closures that apply a change hold it by value.
type eventRef struct {
	id  string
	seq uint64
	typ events.Type
	at  time.Time
}

// refOf returns the reference of e.
func refOf(e events.Event) eventRef {
	return eventRef{id: e.ID, seq: e.Sequence, typ: e.Type, at: e.Time}
}

// history is an account's most recent entries, in a ring of at most max.
type history struct {
	buf   []entry
	start int // index of the oldest entry once the ring is full
}

// add appends e, dropping the oldest entry if the ring holds max already.
func (h *history) add(e entry, max int) {
	if len(h.buf) < max {
		h.buf = append(h.buf, e)
		return
	}
	h.buf[h.start] = e
	h.start = (h.start + 1) % len(h.buf)
}

// historyMark is where a history was, so that entries added after it can be
// taken back.
type historyMark struct {
	n, start int
	full     bool
	over     entry // the entry the next add overwrites, if full
}

// mark returns the history's position before an add.
func (h *history) mark(max int) historyMark {
	m := historyMark{n: len(h.buf), start: h.start}
	if len(h.buf) > 0 && len(h.buf) >= max {
		m.full, m.over = true, h.buf[h.start]
	}
	return m
}

// reset takes back the one add made since m.
func (h *history) reset(m historyMark) {
	if m.full {
		h.buf[m.start] = m.over
	} else {
		h.buf = h.buf[:m.n]
	}
	h.start = m.start
}

// at returns the i-th oldest entry.
func (h *history) at(i int) *entry { return &h.buf[(h.start+i)%len(h.buf)] }

// History returns up to limit entries of account id's history, newest
// first, starting after cursor: "" for the newest, else the next value a
// previous call returned. next is "" when there is nothing older. limit 0
// means DefaultHistoryLimit; it must be at most MaxHistoryLimit
// (ErrInvalidLimit). A cursor not made by History is ErrInvalidCursor.
//
// The ledger keeps the last Options.MaxHistory entries of every account and
// drops older ones, so a history reaches back only that far, and a cursor
// into dropped entries yields nothing more. Balance queries and account
// openings are not entries.
func (l *Ledger) History(id string, cursor string, limit int) (entries []Entry, next string, err error) {
	if limit < 0 || limit > MaxHistoryLimit {
		return nil, "", fmt.Errorf("%w: %d outside 0..%d", ErrInvalidLimit, limit, MaxHistoryLimit)
	}
	if limit == 0 {
		limit = DefaultHistoryLimit
	}
	before, err := parseCursor(cursor)
	if err != nil {
		return nil, "", err
	}
	l.mu.RLock()
	defer l.mu.RUnlock()
	a, ok := l.accounts[id]
	if !ok {
		return nil, "", fmt.Errorf("%w: %q", ErrUnknownAccount, id)
	}
	h := &a.history
	// end is the number of entries older than the cursor.
	end := sort.Search(len(h.buf), func(i int) bool { return h.at(i).seq >= before })
	n := min(limit, end)
	entries = make([]Entry, 0, n)
	for i := end - 1; i >= end-n; i-- {
		entries = append(entries, h.at(i).public())
	}
	if end > n {
		next = formatCursor(entries[len(entries)-1].Sequence)
	}
	return entries, next, nil
}

// public returns the caller's copy of e.
func (e *entry) public() Entry {
	amount := new(apd.Decimal).Set(e.amount)
	if e.debit {
		amount.Neg(amount)
	}
	return Entry{
		EventID:      e.id,
		Sequence:     e.seq,
		Type:         e.typ,
		Time:         e.at,
		TransferID:   e.transfer,
		HoldID:       e.hold,
		Amount:       amount,
		Counterparty: e.counterparty,
		Balance:      new(apd.Decimal).Set(e.posted),
		Pending:      new(apd.Decimal).Set(e.held),
	}
}

// cursorPrefix starts every cursor, so that a stray string is refused.
const cursorPrefix = "h1."

// formatCursor returns the cursor of the entries older than sequence seq.
func formatCursor(seq uint64) string { return cursorPrefix + strconv.FormatUint(seq, 36) }

// parseCursor returns the sequence the entries of a page come before; the
// empty cursor is past the newest.
func parseCursor(cursor string) (uint64, error) {
	if cursor == "" {
		return ^uint64(0), nil
	}
	rest, ok := strings.CutPrefix(cursor, cursorPrefix)
	seq, err := strconv.ParseUint(rest, 36, 64)
	if !ok || err != nil || seq == 0 || formatCursor(seq) != cursor {
		return 0, fmt.Errorf("%w: %q", ErrInvalidCursor, cursor)
	}
	return seq, nil
}

// record appends an entry of event e to account a's history.
func (l *Ledger) record(a *account, e eventRef, x entry) {
	x.eventRef = e
	x.posted, x.held = a.posted, a.pending
	a.history.add(x, l.maxHistory)
}

// Totals returns the sum of the posted balances of the accounts of each
// kind that has accounts. The mint's total is minus what was issued; all
// totals add up to zero.
func (l *Ledger) Totals() map[Kind]*apd.Decimal {
	l.mu.RLock()
	defer l.mu.RUnlock()
	out := make(map[Kind]*apd.Decimal)
	for _, a := range l.accounts {
		sum, ok := out[a.kind]
		if !ok {
			sum = new(apd.Decimal)
			out[a.kind] = sum
		}
		mustExact(exact.Context.Add(sum, sum, a.posted))
	}
	for k, sum := range out {
		out[k] = reduce(sum)
	}
	return out
}
