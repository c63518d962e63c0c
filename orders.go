package scarcity

import (
	"cmp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/scarcitylabs/scarcity/auction"
)

// Order ids and the ids derived from them.
//
// An order id is the agent's; the market may forget it (Config.Retention)
// and the agent may then use it again. The ledger and the scheduler never
// see it alone: every id the market derives from an order carries the
// order's placement, a number the market gives each bid it holds, once,
// never again. Placement n of order "x" holds its limit as hold "bid/x/n",
// its lease as hold "lease/x/n", runs as bundle "bundle/x/n" and is paid as
// transfer "pay/bundle/x/n". Derived ids therefore never collide, whenever
// each component forgets its own: a reused order id is a new order in the
// book, the ledger and the scheduler alike.
const (
	bidHoldPrefix   = "bid/"
	leaseHoldPrefix = "lease/"
	bundlePrefix    = "bundle/"
)

// order is a bid in the book and the hold that backs it. Order ids are the
// agents' own: each agent has its namespace, so the book keys an order by
// its agent and id (orderKey), and so does the bid the mechanism sees.
type order struct {
	id     string      // the agent's order id
	bid    auction.Bid // bid.ID is the order's key, bid.Seq its placement
	holdID string
}

// orderKey returns the book's key of agent's order id: unique across
// agents, since an id holds no '/'.
func orderKey(agent, id string) string { return agent + "/" + id }

// derivedID returns the id of placement n of order id under prefix.
func derivedID(prefix, id string, n uint64) string {
	return prefix + id + "/" + strconv.FormatUint(n, 10)
}

// bundleID and leaseID return the ids of o's bundle and lease hold.
func (o order) bundleID() string { return derivedID(bundlePrefix, o.id, o.bid.Seq) }
func (o order) leaseID() string  { return derivedID(leaseHoldPrefix, o.id, o.bid.Seq) }

// parseBidHold returns the order id and placement of a bid hold id; ok is
// false for any other id.
func parseBidHold(holdID string) (id string, n uint64, ok bool) {
	rest, ok := strings.CutPrefix(holdID, bidHoldPrefix)
	if !ok {
		return "", 0, false
	}
	i := strings.LastIndexByte(rest, '/')
	if i < 0 {
		return "", 0, false
	}
	n, err := strconv.ParseUint(rest[i+1:], 10, 64)
	return rest[:i], n, err == nil
}

// standingOrders holds the bids waiting for the next clearing round, at most max in
// all and maxPerAgent per agent, and the order ids spent on holds. Its maps
// are keyed by orderKey.
type standingOrders struct {
	max         int
	maxPerAgent int
	byKey       map[string]order
	perAgent    map[string]int       // orders in the book per agent
	placed      map[string]time.Time // the order ids spent on a hold, and when
	// spentOrder are the ids of placed in the order they were spent, for
	// retention > 0 to forget them; retention 0 keeps them for good.
	spentOrder []spentID
	retention  time.Duration
	// placements is the last placement number given.
	placements uint64
}

// spentID is an order id spent at at.
type spentID struct {
	at time.Time
	id string
}

func newStandingOrders(max, maxPerAgent int, retention time.Duration) *standingOrders {
	return &standingOrders{max: max, maxPerAgent: maxPerAgent, byKey: make(map[string]order),
		perAgent: make(map[string]int), placed: make(map[string]time.Time), retention: retention}
}

func (b *standingOrders) full() bool { return len(b.byKey) >= b.max }

// agentFull reports whether agent has maxPerAgent orders in the book.
func (b *standingOrders) agentFull(agent string) bool { return b.perAgent[agent] >= b.maxPerAgent }

// nextPlacement returns the placement number the next bid gets.
func (b *standingOrders) nextPlacement() uint64 { return b.placements + 1 }

// add keeps the order id of bid.Agent, whose Seq is its placement, held by
// holdID; bid.ID is set to its key.
func (b *standingOrders) add(id string, bid auction.Bid, holdID string) {
	bid.ID = orderKey(bid.Agent, id)
	b.put(order{id: id, bid: bid, holdID: holdID})
}

// put keeps o, new or changed.
func (b *standingOrders) put(o order) {
	if _, ok := b.byKey[o.bid.ID]; !ok {
		b.perAgent[o.bid.Agent]++
	}
	b.byKey[o.bid.ID] = o
}

// spend records that placement n of the order of key (orderKey) has been
// used for a hold at at: the id may not be used again for the market's
// lifetime, or for Config.Retention after at, and n is never given again.
func (b *standingOrders) spend(id string, n uint64, at time.Time) {
	b.placements = max(b.placements, n)
	if _, ok := b.placed[id]; ok {
		return
	}
	b.placed[id] = at
	if b.retention > 0 {
		b.spentOrder = append(b.spentOrder, spentID{at: at, id: id})
	}
}

// forgetOld forgets the spent ids of orders no longer in the book that were
// spent retention or longer before now.
func (b *standingOrders) forgetOld(now time.Time) {
	if b.retention <= 0 {
		return
	}
	cutoff, n := now.Add(-b.retention), 0
	for ; n < len(b.spentOrder) && !b.spentOrder[n].at.After(cutoff); n++ {
		s := b.spentOrder[n]
		if _, open := b.byKey[s.id]; open {
			break // forget in order: this one and those after it wait
		}
		delete(b.placed, s.id)
	}
	clear(b.spentOrder[:n])
	b.spentOrder = b.spentOrder[n:]
}

// spent reports whether the order of key (orderKey) was used for a hold and
// is remembered.
func (b *standingOrders) spent(id string) bool {
	_, ok := b.placed[id]
	return ok
}

// get returns the order of key (orderKey).
func (b *standingOrders) get(key string) (order, bool) {
	o, ok := b.byKey[key]
	return o, ok
}

// remove takes the order of key (orderKey) out of the book.
func (b *standingOrders) remove(key string) {
	o, ok := b.byKey[key]
	if !ok {
		return
	}
	delete(b.byKey, key)
	if b.perAgent[o.bid.Agent]--; b.perAgent[o.bid.Agent] == 0 {
		delete(b.perAgent, o.bid.Agent)
	}
}

// bids returns the book's bids in arrival order.
func (b *standingOrders) bids() []auction.Bid {
	out := make([]auction.Bid, 0, len(b.byKey))
	for _, o := range b.byKey {
		out = append(out, o.bid)
	}
	slices.SortFunc(out, func(x, y auction.Bid) int { return cmp.Compare(x.Seq, y.Seq) })
	return out
}
