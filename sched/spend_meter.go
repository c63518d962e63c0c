package sched

import (
	"sort"
	"time"
)

// spendMeter is the system-wide sliding window of LLM spend, in integer
// units. The window ending at now is the half-open interval
// (now-window, now]: a spend recorded at t counts until t+window, excluded,
// and frees exactly at t+window.
//
// It keeps one record per instant at which spend was committed, oldest
// first, each with the running total of units recorded up to it, so the
// spend in the window is one subtraction and evicting a record is O(1).
//
// Spend whose usage is not yet on the stream (Options.UsageBatch) is not
// recorded at once: it counts as spent until its usage is published, and
// is then recorded at that instant, where a restore from the stream
// records it, so that a live meter and a restored one agree.
type spendMeter struct {
	window      time.Duration
	max         int64         // units allowed in any window
	recs        []spendRecord // recs[head:] are in the window
	head        int
	total       uint64 // units ever recorded; differences are exact mod 2^64
	gone        uint64 // units of the evicted records
	reserved    int64  // units held by outstanding reservations
	unpublished int64  // units spent, not recorded until their usage is published
}

// spendRecord is the spend committed at one instant.
type spendRecord struct {
	at  time.Time
	cum uint64 // units recorded up to and including this record
}

// compactAt is the evicted prefix length from which the records are moved
// down to reuse their storage.
const compactAt = 1024

// evict drops the records that have left the window ending at now.
func (m *spendMeter) evict(now time.Time) {
	for m.head < len(m.recs) && !m.recs[m.head].at.Add(m.window).After(now) {
		m.gone = m.recs[m.head].cum
		m.head++
	}
	switch {
	case m.head == len(m.recs):
		m.recs, m.head = m.recs[:0], 0
	case m.head >= compactAt && 2*m.head >= len(m.recs):
		n := copy(m.recs, m.recs[m.head:])
		clear(m.recs[n:])
		m.recs, m.head = m.recs[:n], 0
	}
}

// spent returns the units committed in the window, the unpublished ones
// included; evict first.
func (m *spendMeter) spent() int64 { return int64(m.total-m.gone) + m.unpublished }

// room returns the units that can still be spent or reserved in the window
// ending at now.
func (m *spendMeter) room(now time.Time) int64 {
	m.evict(now)
	return m.max - m.spent() - m.reserved
}

// record adds qty units spent at now, which is not before any record.
func (m *spendMeter) record(now time.Time, qty int64) {
	if qty <= 0 {
		return
	}
	m.total += uint64(qty)
	if n := len(m.recs); n > m.head && m.recs[n-1].at.Equal(now) {
		m.recs[n-1].cum = m.total
		return
	}
	m.recs = append(m.recs, spendRecord{at: now, cum: m.total})
}

// published records at now the unpublished units, whose usage has just
// been published.
func (m *spendMeter) published(now time.Time) {
	m.record(now, m.unpublished)
	m.unpublished = 0
}

// freesAt returns the earliest instant at which qty units fit, if nothing
// more is spent or reserved and no reservation is returned meanwhile: when
// the oldest records whose units make up the excess have left the window.
// ok is false if the window alone cannot free enough, or if unpublished
// units must free too (they are not recorded yet). Call it after room
// reported too little room at now.
func (m *spendMeter) freesAt(qty int64) (at time.Time, ok bool) {
	if qty > m.max-m.reserved {
		return time.Time{}, false
	}
	excess := uint64(qty - (m.max - m.spent() - m.reserved))
	live := m.recs[m.head:]
	i := sort.Search(len(live), func(i int) bool { return live[i].cum-m.gone >= excess })
	if i == len(live) {
		return time.Time{}, false // the unpublished units hold part of the excess
	}
	return live[i].at.Add(m.window), true
}
