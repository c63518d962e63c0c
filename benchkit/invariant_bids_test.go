package benchkit_test

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/scarcitylabs/scarcity/benchkit"
	"github.com/scarcitylabs/scarcity/events"
)

// bidQuantities is the bundle of the bids of these tests.
var bidQuantities = events.Quantities{"cpu": 1}

// placeBid publishes the market's bid_placed of order by agent for cost,
// naming hold, at the current time.
func (w *world) placeBid(agent, order, hold string, cost events.Decimal) events.Event {
	return w.emit(w.market, "", agent, events.BidPlaced{
		OrderID: order, AgentID: agent, Quantities: bidQuantities,
		Window: events.Window{DurationSeconds: 60}, TotalCost: cost, HoldID: hold,
	})
}

// holdAs places a hold of amount on account under the id given.
func (w *world) holdAs(id, account string, amount int64) events.Event {
	w.holds[id] = &builderHold{account: account, amount: amount}
	w.pending[account] += amount
	return w.publish(w.ledger, account, events.HoldPlaced{
		HoldID: id, AccountID: account, Amount: cents(amount),
		Balance: cents(w.balance[account]), Pending: cents(w.pending[account]),
	})
}

// holdAgain publishes the hold_placed of the open hold id once more, as a
// ledger that places a hold twice would, reporting the pending the replay
// gives.
func (w *world) holdAgain(id string) events.Event {
	h := w.holds[id]
	return w.publish(w.ledger, h.account, events.HoldPlaced{
		HoldID: id, AccountID: h.account, Amount: cents(h.amount),
		Balance: cents(w.balance[h.account]), Pending: cents(w.pending[h.account]),
	})
}

// won has agent bid for a bundle and win it, leased for 4.00 of a bid of
// 5.00: it returns the order, the lease hold and the bundle id.
func (w *world) won(agent, bundleID string) (order, lease string) {
	order, hold := w.bid(agent, bidQuantities, 60, 500)
	lease, _ = w.lease(agent, order, hold, bundleID, bidQuantities, 60, 400, 500)
	return order, lease
}

// flaggedAt is a violation expected of a check at an event.
type flaggedAt struct {
	check string
	event events.Event
}

func TestBidsHeldAndBundlesAllocated(t *testing.T) {
	for _, tt := range []struct {
		name   string
		build  func(w *world) []flaggedAt // the violations it should cause
		detail string                     // a fragment of the first violation's detail
	}{
		// 1. A bid with no hold.
		{name: "hold placed before the bid", build: func(w *world) []flaggedAt {
			w.bid("a0", bidQuantities, 60, 500)
			return nil
		}},
		{name: "hold placed after the bid, before the market's next event", build: func(w *world) []flaggedAt {
			w.placeBid("a0", "o-late", "h-late", cents(500))
			w.holdAs("h-late", "a0", 500)
			w.emit(w.market, "", "a1", events.OrderCancelled{OrderID: "o-other", AgentID: "a1"})
			return nil
		}},
		{name: "hold placed after the market's next event", build: func(w *world) []flaggedAt {
			bid := w.placeBid("a0", "o-late", "h-late", cents(500))
			w.emit(w.market, "", "a1", events.OrderCancelled{OrderID: "o-other", AgentID: "a1"})
			w.holdAs("h-late", "a0", 500)
			return []flaggedAt{{benchkit.BidsHeld, bid}}
		}, detail: `hold "h-late" of bid "o-late" is not open`},
		{name: "hold placed after the bid at the end of the stream", build: func(w *world) []flaggedAt {
			w.placeBid("a0", "o-late", "h-late", cents(500))
			w.holdAs("h-late", "a0", 500)
			return nil
		}},
		{name: "no hold id", build: func(w *world) []flaggedAt {
			return []flaggedAt{{benchkit.BidsHeld, w.placeBid("a0", "o-1", "", cents(500))}}
		}, detail: `bid "o-1" of "a0" names no hold`},
		{name: "hold never placed", build: func(w *world) []flaggedAt {
			return []flaggedAt{{benchkit.BidsHeld, w.placeBid("a0", "o-1", "h-none", cents(500))}}
		}, detail: `hold "h-none" of bid "o-1" is not open`},
		{name: "hold released before the bid", build: func(w *world) []flaggedAt {
			h := w.hold("a0", 500)
			w.release(h)
			return []flaggedAt{{benchkit.BidsHeld, w.placeBid("a0", "o-1", h, cents(500))}}
		}, detail: `of bid "o-1" is not open`},
		{name: "hold captured in full before the bid", build: func(w *world) []flaggedAt {
			h := w.hold("a0", 500)
			w.capture(h, "market", 500)
			return []flaggedAt{{benchkit.BidsHeld, w.placeBid("a0", "o-1", h, cents(500))}}
		}, detail: `of bid "o-1" is not open`},
		{name: "hold of another agent", build: func(w *world) []flaggedAt {
			h := w.hold("a1", 500)
			return []flaggedAt{{benchkit.BidsHeld, w.placeBid("a0", "o-1", h, cents(500))}}
		}, detail: `is on "a1", not on "a0"`},
		{name: "hold of another amount", build: func(w *world) []flaggedAt {
			h := w.hold("a0", 400)
			return []flaggedAt{{benchkit.BidsHeld, w.placeBid("a0", "o-1", h, cents(500))}}
		}, detail: `holds "4.00" for a total_cost of 5.00`},
		{name: "hold of the same amount written otherwise", build: func(w *world) []flaggedAt {
			w.placeBid("a0", "o-1", w.hold("a0", 500), "5")
			return nil
		}},
		{name: "two bids on one hold", build: func(w *world) []flaggedAt {
			_, h := w.bid("a0", bidQuantities, 60, 500)
			second := w.placeBid("a0", "o-2", h, cents(500))
			return []flaggedAt{{benchkit.BidsHeld, second}}
		}, detail: `already backs the bid at event`},
		// 2. A hold placed twice.
		{name: "hold placed twice while open", build: func(w *world) []flaggedAt {
			h := w.hold("a0", 500)
			return []flaggedAt{{benchkit.CreditsConserved, w.holdAgain(h)}}
		}, detail: `placed twice`},
		// 3. A lease released while its bundle runs.
		{name: "lease released while its bundle runs", build: func(w *world) []flaggedAt {
			_, lease := w.won("a0", "b-1")
			w.tick(10 * time.Second)
			w.release(lease)
			return []flaggedAt{{benchkit.AllocationsPaid, w.evs[len(w.evs)-1]}}
		}, detail: `lease "h5" of order "o4" of "a0" released while its bundle "b-1" runs`},
		{name: "lease captured in full while its bundle runs", build: func(w *world) []flaggedAt {
			_, lease := w.won("a0", "b-1")
			w.tick(10 * time.Second)
			w.captureAs(lease, "pay/b-1", "market", 400)
			captured := w.evs[len(w.evs)-1]
			return []flaggedAt{{benchkit.AllocationsPaid, captured}}
		}, detail: `captured in full while its bundle "b-1" runs`},
		{name: "lease released after its bundle ends", build: func(w *world) []flaggedAt {
			_, lease := w.won("a0", "b-1")
			w.end("a0", "b-1", "released")
			w.release(lease)
			return nil
		}},
		{name: "lease captured after its bundle expires", build: func(w *world) []flaggedAt {
			_, lease := w.won("a0", "b-1")
			w.end("a0", "b-1", "")
			w.captureAs(lease, "pay/b-1", "market", 400)
			return nil
		}},
		{name: "lease captured in the same command, before the end", build: func(w *world) []flaggedAt {
			_, lease := w.won("a0", "b-1")
			w.captureAs(lease, "pay/b-1", "market", 300)
			w.end("a0", "b-1", "released") // at the capture's time
			return nil
		}},
		{name: "lease released, the bundle ending later", build: func(w *world) []flaggedAt {
			_, lease := w.won("a0", "b-1")
			w.release(lease)
			released := w.evs[len(w.evs)-1]
			w.tick(30 * time.Second)
			w.end("a0", "b-1", "released")
			return []flaggedAt{{benchkit.AllocationsPaid, released}}
		}, detail: `released while its bundle "b-1" runs`},
		{name: "lease released, the scheduler's events between it and the end", build: func(w *world) []flaggedAt {
			_, lease := w.won("a0", "b-1")
			w.release(lease)
			released := w.evs[len(w.evs)-1]
			w.use("a0", "b-1", "cpu", 1, 1, 1)
			w.end("a0", "b-1", "released")
			return []flaggedAt{{benchkit.AllocationsPaid, released}}
		}, detail: `released while its bundle "b-1" runs`},
		{name: "lease released by a refusal in settlement", build: func(w *world) []flaggedAt {
			order, lease := w.won("a0", "b-1")
			w.release(lease)
			w.emit(w.market, "", "a0", events.BidRejected{OrderID: order, AgentID: "a0", Reason: events.ReasonSettlementFailed})
			return nil
		}},
		{name: "lease released with a rejection for another reason", build: func(w *world) []flaggedAt {
			order, lease := w.won("a0", "b-1")
			w.release(lease)
			released := w.evs[len(w.evs)-1]
			w.emit(w.market, "", "a0", events.BidRejected{OrderID: order, AgentID: "a0", Reason: events.ReasonOutbid})
			return []flaggedAt{{benchkit.AllocationsPaid, released}}
		}, detail: `released while its bundle "b-1" runs`},
		{name: "lease of a booked bundle not yet allocated released", build: func(w *world) []flaggedAt {
			order, hold := w.bid("a0", bidQuantities, 60, 500)
			w.release(hold)
			lease := w.hold("a0", 400)
			scheduled := w.book("a0", "b-1", lease, bidQuantities, 60)
			w.release(lease)
			released := w.evs[len(w.evs)-1]
			w.emit(w.market, "", "a0", events.OrderCancelled{OrderID: order, AgentID: "a0"})
			return []flaggedAt{{benchkit.AllocationsPaid, scheduled}, {benchkit.AllocationsPaid, released}}
		}, detail: `bundle "b-1" of "a0" was scheduled but no resources_allocated allocates it`},
		// 4. An allocation whose bid had no hold.
		{name: "reused order id bidding again without a hold", build: func(w *world) []flaggedAt {
			order, lease := w.won("a0", "b-1")
			w.end("a0", "b-1", "")
			w.captureAs(lease, "pay/b-1", "market", 400)
			again := w.placeBid("a0", order, "h-none", cents(500))
			lease2 := w.hold("a0", 400)
			w.book("a0", "b-2", lease2, bidQuantities, 60)
			w.allocateLease("a0", order, "b-2", lease2, bidQuantities, 60, 400, 500)
			return []flaggedAt{{benchkit.BidsHeld, again}}
		}, detail: `hold "h-none" of bid "o4" is not open`},
		{name: "reused order id held each time", build: func(w *world) []flaggedAt {
			order, lease := w.won("a0", "b-1")
			w.end("a0", "b-1", "")
			w.captureAs(lease, "pay/b-1", "market", 400)
			hold := w.hold("a0", 500)
			w.placeBid("a0", order, hold, cents(500))
			w.lease("a0", order, hold, "b-2", bidQuantities, 60, 400, 500)
			return nil
		}},
		{name: "order with no bid_placed in a run with bids", build: func(w *world) []flaggedAt {
			w.bid("a1", bidQuantities, 60, 500)
			lease := w.hold("a0", 400)
			w.book("a0", "b-1", lease, bidQuantities, 60)
			return []flaggedAt{{benchkit.AllocationsPaid, w.allocateLease("a0", "o-ghost", "b-1", lease, bidQuantities, 60, 400, 500)}}
		}, detail: `order "o-ghost" of "a0" has no bid_placed by that agent`},
		{name: "one bid allocated twice", build: func(w *world) []flaggedAt {
			order, _ := w.won("a0", "b-1")
			lease := w.hold("a0", 400)
			w.book("a0", "b-2", lease, bidQuantities, 60)
			return []flaggedAt{{benchkit.AllocationsPaid, w.allocateLease("a0", order, "b-2", lease, bidQuantities, 60, 400, 500)}}
		}, detail: `was already allocated by`},
		// 5. A bundle scheduled that no allocation paid for.
		{name: "bundle scheduled with no allocation in a market run", build: func(w *world) []flaggedAt {
			w.bid("a1", bidQuantities, 60, 500)
			return []flaggedAt{{benchkit.AllocationsPaid, w.book("a0", "b-stray", "", bidQuantities, 60)}}
		}, detail: `bundle "b-stray" of "a0" was scheduled but no resources_allocated allocates it`},
		{name: "bundle scheduled by a scheduler used alone", build: func(w *world) []flaggedAt {
			w.book("a0", "b-1", "", bidQuantities, 60)
			w.end("a0", "b-1", "")
			return nil
		}},
		{name: "allocation published before the booking", build: func(w *world) []flaggedAt {
			order, hold := w.bid("a0", bidQuantities, 60, 500)
			w.release(hold)
			lease := w.hold("a0", 400)
			w.allocateLease("a0", order, "b-1", lease, bidQuantities, 60, 400, 500)
			w.book("a0", "b-1", lease, bidQuantities, 60)
			return nil
		}},
		{name: "bundle allocated to another agent", build: func(w *world) []flaggedAt {
			order, hold := w.bid("a1", bidQuantities, 60, 500)
			w.release(hold)
			lease := w.hold("a1", 400)
			scheduled := w.book("a0", "b-1", lease, bidQuantities, 60)
			w.allocateLease("a1", order, "b-1", lease, bidQuantities, 60, 400, 500)
			return []flaggedAt{{benchkit.AllocationsPaid, scheduled}}
		}, detail: `bundle "b-1" was scheduled for "a0" but allocated to "a1"`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t, 2)
			expected := tt.build(w)
			evs := w.events()
			want := make([]string, len(expected))
			for i, v := range expected {
				want[i] = v.check + " @ " + v.event.ID
			}
			vs := found(t, benchkit.Check(evs))
			got := make([]string, len(vs))
			for i, v := range vs {
				got[i] = v.Check + " @ " + v.EventID
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Fatalf("violations (-want +got):\n%s\n%v", diff, vs)
			}
			if len(vs) > 0 && !strings.Contains(vs[0].Detail, tt.detail) {
				t.Errorf("first detail = %q, want it to contain %q", vs[0].Detail, tt.detail)
			}
			// Each check reports its own violations on its own.
			for _, check := range []struct {
				name string
				run  func([]events.Event) error
			}{
				{benchkit.BidsHeld, benchkit.CheckBidsHeld},
				{benchkit.AllocationsPaid, benchkit.CheckAllocationsPaid},
			} {
				var own []*benchkit.Violation
				for _, v := range vs {
					if v.Check == check.name {
						own = append(own, v)
					}
				}
				if diff := cmp.Diff(own, found(t, check.run(evs))); diff != "" {
					t.Errorf("%s alone (-want +got):\n%s", check.name, diff)
				}
			}
		})
	}
}

func TestBidsHeldInInvariantVerdicts(t *testing.T) {
	w := newWorld(t, 1)
	bid := w.placeBid("a0", "o-1", "h-none", cents(500))
	rows := benchkit.InvariantVerdicts(w.events(), benchkit.Options{})
	for _, row := range rows {
		want := benchkit.StatusPass
		switch row.Name {
		case benchkit.BidsHeld:
			want = benchkit.StatusFail
			if diff := cmp.Diff([]string{bid.ID}, row.Events); diff != "" {
				t.Errorf("bids_held events (-want +got):\n%s", diff)
			}
		case benchkit.CapacityRespected, benchkit.SpendWithinLimit, benchkit.ChainIntact:
			want = benchkit.StatusNotEvaluated
		}
		if row.Status != want {
			t.Errorf("%s: %s (%s), want %s", row.Name, row.Status, row.Detail, want)
		}
	}
}
