package invariant_test

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/scarcitylabs/scarcity/benchkit/internal/streamtest"
	"github.com/scarcitylabs/scarcity/benchkit/invariant"
	"github.com/scarcitylabs/scarcity/benchkit/report"
	"github.com/scarcitylabs/scarcity/events"
)

// bidQuantities is the bundle of the bids of these tests.
var bidQuantities = events.Quantities{"cpu": 1}

// placeBid publishes the market's bid_placed of order by agent for cost,
// naming hold, at the current time.
func placeBid(w *streamtest.World, agent, order, hold string, cost events.Decimal) events.Event {
	return w.Emit(w.Market, "", agent, events.BidPlaced{
		OrderID: order, AgentID: agent, Quantities: bidQuantities,
		Window: events.Window{DurationSeconds: 60}, TotalCost: cost, HoldID: hold,
	})
}

// holdAs places a hold of amount on account under the id given.
func holdAs(w *streamtest.World, id, account string, amount int64) events.Event {
	w.Holds[id] = &streamtest.PlacedHold{Account: account, Amount: amount}
	w.Pending[account] += amount
	return w.Publish(w.Ledger, account, events.HoldPlaced{
		HoldID: id, AccountID: account, Amount: streamtest.Cents(amount),
		Balance: streamtest.Cents(w.Balance[account]), Pending: streamtest.Cents(w.Pending[account]),
	})
}

// holdAgain publishes the hold_placed of the open hold id once more, as a
// ledger that places a hold twice would, reporting the pending the replay
// gives.
func holdAgain(w *streamtest.World, id string) events.Event {
	h := w.Holds[id]
	return w.Publish(w.Ledger, h.Account, events.HoldPlaced{
		HoldID: id, AccountID: h.Account, Amount: streamtest.Cents(h.Amount),
		Balance: streamtest.Cents(w.Balance[h.Account]), Pending: streamtest.Cents(w.Pending[h.Account]),
	})
}

// won has agent bid for a bundle and win it, leased for 4.00 of a bid of
// 5.00: it returns the order, the lease hold and the bundle id.
func won(w *streamtest.World, agent, bundleID string) (order, lease string) {
	order, hold := w.Bid(agent, bidQuantities, 60, 500)
	lease, _ = w.Lease(agent, order, hold, bundleID, bidQuantities, 60, 400, 500)
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
		build  func(w *streamtest.World) []flaggedAt // the violations it should cause
		detail string                                // a fragment of the first violation's detail
	}{
		// 1. A bid with no hold.
		{name: "hold placed before the bid", build: func(w *streamtest.World) []flaggedAt {
			w.Bid("a0", bidQuantities, 60, 500)
			return nil
		}},
		{name: "hold placed after the bid, before the market's next event", build: func(w *streamtest.World) []flaggedAt {
			placeBid(w, "a0", "o-late", "h-late", streamtest.Cents(500))
			holdAs(w, "h-late", "a0", 500)
			w.Emit(w.Market, "", "a1", events.OrderCancelled{OrderID: "o-other", AgentID: "a1"})
			return nil
		}},
		{name: "hold placed after the market's next event", build: func(w *streamtest.World) []flaggedAt {
			bid := placeBid(w, "a0", "o-late", "h-late", streamtest.Cents(500))
			w.Emit(w.Market, "", "a1", events.OrderCancelled{OrderID: "o-other", AgentID: "a1"})
			holdAs(w, "h-late", "a0", 500)
			return []flaggedAt{{invariant.BidsHeld, bid}}
		}, detail: `hold "h-late" of bid "o-late" is not open`},
		{name: "hold placed after the bid at the end of the stream", build: func(w *streamtest.World) []flaggedAt {
			placeBid(w, "a0", "o-late", "h-late", streamtest.Cents(500))
			holdAs(w, "h-late", "a0", 500)
			return nil
		}},
		{name: "no hold id", build: func(w *streamtest.World) []flaggedAt {
			return []flaggedAt{{invariant.BidsHeld, placeBid(w, "a0", "o-1", "", streamtest.Cents(500))}}
		}, detail: `bid "o-1" of "a0" names no hold`},
		{name: "hold never placed", build: func(w *streamtest.World) []flaggedAt {
			return []flaggedAt{{invariant.BidsHeld, placeBid(w, "a0", "o-1", "h-none", streamtest.Cents(500))}}
		}, detail: `hold "h-none" of bid "o-1" is not open`},
		{name: "hold released before the bid", build: func(w *streamtest.World) []flaggedAt {
			h := w.Hold("a0", 500)
			w.Release(h)
			return []flaggedAt{{invariant.BidsHeld, placeBid(w, "a0", "o-1", h, streamtest.Cents(500))}}
		}, detail: `of bid "o-1" is not open`},
		{name: "hold captured in full before the bid", build: func(w *streamtest.World) []flaggedAt {
			h := w.Hold("a0", 500)
			w.Capture(h, "market", 500)
			return []flaggedAt{{invariant.BidsHeld, placeBid(w, "a0", "o-1", h, streamtest.Cents(500))}}
		}, detail: `of bid "o-1" is not open`},
		{name: "hold of another agent", build: func(w *streamtest.World) []flaggedAt {
			h := w.Hold("a1", 500)
			return []flaggedAt{{invariant.BidsHeld, placeBid(w, "a0", "o-1", h, streamtest.Cents(500))}}
		}, detail: `is on "a1", not on "a0"`},
		{name: "hold of another amount", build: func(w *streamtest.World) []flaggedAt {
			h := w.Hold("a0", 400)
			return []flaggedAt{{invariant.BidsHeld, placeBid(w, "a0", "o-1", h, streamtest.Cents(500))}}
		}, detail: `holds "4.00" for a total_cost of 5.00`},
		{name: "hold of the same amount written otherwise", build: func(w *streamtest.World) []flaggedAt {
			placeBid(w, "a0", "o-1", w.Hold("a0", 500), "5")
			return nil
		}},
		{name: "two bids on one hold", build: func(w *streamtest.World) []flaggedAt {
			_, h := w.Bid("a0", bidQuantities, 60, 500)
			second := placeBid(w, "a0", "o-2", h, streamtest.Cents(500))
			return []flaggedAt{{invariant.BidsHeld, second}}
		}, detail: `already backs the bid at event`},
		// 2. A hold placed twice.
		{name: "hold placed twice while open", build: func(w *streamtest.World) []flaggedAt {
			h := w.Hold("a0", 500)
			return []flaggedAt{{invariant.CreditsConserved, holdAgain(w, h)}}
		}, detail: `placed twice`},
		// 3. A lease released while its bundle runs.
		{name: "lease released while its bundle runs", build: func(w *streamtest.World) []flaggedAt {
			_, lease := won(w, "a0", "b-1")
			w.Tick(10 * time.Second)
			w.Release(lease)
			return []flaggedAt{{invariant.AllocationsPaid, w.Evs[len(w.Evs)-1]}}
		}, detail: `lease "h5" of order "o4" of "a0" released while its bundle "b-1" runs`},
		{name: "lease captured in full while its bundle runs", build: func(w *streamtest.World) []flaggedAt {
			_, lease := won(w, "a0", "b-1")
			w.Tick(10 * time.Second)
			w.CaptureAs(lease, "pay/b-1", "market", 400)
			captured := w.Evs[len(w.Evs)-1]
			return []flaggedAt{{invariant.AllocationsPaid, captured}}
		}, detail: `captured in full while its bundle "b-1" runs`},
		{name: "lease released after its bundle ends", build: func(w *streamtest.World) []flaggedAt {
			_, lease := won(w, "a0", "b-1")
			w.End("a0", "b-1", "released")
			w.Release(lease)
			return nil
		}},
		{name: "lease captured after its bundle expires", build: func(w *streamtest.World) []flaggedAt {
			_, lease := won(w, "a0", "b-1")
			w.End("a0", "b-1", "")
			w.CaptureAs(lease, "pay/b-1", "market", 400)
			return nil
		}},
		{name: "lease captured in the same command, before the end", build: func(w *streamtest.World) []flaggedAt {
			_, lease := won(w, "a0", "b-1")
			w.CaptureAs(lease, "pay/b-1", "market", 300)
			w.End("a0", "b-1", "released") // at the capture's time
			return nil
		}},
		{name: "lease released, the bundle ending later", build: func(w *streamtest.World) []flaggedAt {
			_, lease := won(w, "a0", "b-1")
			w.Release(lease)
			released := w.Evs[len(w.Evs)-1]
			w.Tick(30 * time.Second)
			w.End("a0", "b-1", "released")
			return []flaggedAt{{invariant.AllocationsPaid, released}}
		}, detail: `released while its bundle "b-1" runs`},
		{name: "lease released, the scheduler's events between it and the end", build: func(w *streamtest.World) []flaggedAt {
			_, lease := won(w, "a0", "b-1")
			w.Release(lease)
			released := w.Evs[len(w.Evs)-1]
			w.Use("a0", "b-1", "cpu", 1, 1, 1)
			w.End("a0", "b-1", "released")
			return []flaggedAt{{invariant.AllocationsPaid, released}}
		}, detail: `released while its bundle "b-1" runs`},
		{name: "lease released by a refusal in settlement", build: func(w *streamtest.World) []flaggedAt {
			order, lease := won(w, "a0", "b-1")
			w.Release(lease)
			w.Emit(w.Market, "", "a0", events.BidRejected{OrderID: order, AgentID: "a0", Reason: events.ReasonSettlementFailed})
			return nil
		}},
		{name: "lease released with a rejection for another reason", build: func(w *streamtest.World) []flaggedAt {
			order, lease := won(w, "a0", "b-1")
			w.Release(lease)
			released := w.Evs[len(w.Evs)-1]
			w.Emit(w.Market, "", "a0", events.BidRejected{OrderID: order, AgentID: "a0", Reason: events.ReasonOutbid})
			return []flaggedAt{{invariant.AllocationsPaid, released}}
		}, detail: `released while its bundle "b-1" runs`},
		{name: "lease of a booked bundle not yet allocated released", build: func(w *streamtest.World) []flaggedAt {
			order, hold := w.Bid("a0", bidQuantities, 60, 500)
			w.Release(hold)
			lease := w.Hold("a0", 400)
			scheduled := w.Book("a0", "b-1", lease, bidQuantities, 60)
			w.Release(lease)
			released := w.Evs[len(w.Evs)-1]
			w.Emit(w.Market, "", "a0", events.OrderCancelled{OrderID: order, AgentID: "a0"})
			return []flaggedAt{{invariant.AllocationsPaid, scheduled}, {invariant.AllocationsPaid, released}}
		}, detail: `bundle "b-1" of "a0" was scheduled but no resources_allocated allocates it`},
		// 4. An allocation whose bid had no hold.
		{name: "reused order id bidding again without a hold", build: func(w *streamtest.World) []flaggedAt {
			order, lease := won(w, "a0", "b-1")
			w.End("a0", "b-1", "")
			w.CaptureAs(lease, "pay/b-1", "market", 400)
			again := placeBid(w, "a0", order, "h-none", streamtest.Cents(500))
			lease2 := w.Hold("a0", 400)
			w.Book("a0", "b-2", lease2, bidQuantities, 60)
			w.AllocateLease("a0", order, "b-2", lease2, bidQuantities, 60, 400, 500)
			return []flaggedAt{{invariant.BidsHeld, again}}
		}, detail: `hold "h-none" of bid "o4" is not open`},
		{name: "reused order id held each time", build: func(w *streamtest.World) []flaggedAt {
			order, lease := won(w, "a0", "b-1")
			w.End("a0", "b-1", "")
			w.CaptureAs(lease, "pay/b-1", "market", 400)
			hold := w.Hold("a0", 500)
			placeBid(w, "a0", order, hold, streamtest.Cents(500))
			w.Lease("a0", order, hold, "b-2", bidQuantities, 60, 400, 500)
			return nil
		}},
		{name: "order with no bid_placed in a run with bids", build: func(w *streamtest.World) []flaggedAt {
			w.Bid("a1", bidQuantities, 60, 500)
			lease := w.Hold("a0", 400)
			w.Book("a0", "b-1", lease, bidQuantities, 60)
			return []flaggedAt{{invariant.AllocationsPaid, w.AllocateLease("a0", "o-ghost", "b-1", lease, bidQuantities, 60, 400, 500)}}
		}, detail: `order "o-ghost" of "a0" has no bid_placed by that agent`},
		{name: "one bid allocated twice", build: func(w *streamtest.World) []flaggedAt {
			order, _ := won(w, "a0", "b-1")
			lease := w.Hold("a0", 400)
			w.Book("a0", "b-2", lease, bidQuantities, 60)
			return []flaggedAt{{invariant.AllocationsPaid, w.AllocateLease("a0", order, "b-2", lease, bidQuantities, 60, 400, 500)}}
		}, detail: `was already allocated by`},
		// 5. A bundle scheduled that no allocation paid for.
		{name: "bundle scheduled with no allocation in a market run", build: func(w *streamtest.World) []flaggedAt {
			w.Bid("a1", bidQuantities, 60, 500)
			return []flaggedAt{{invariant.AllocationsPaid, w.Book("a0", "b-stray", "", bidQuantities, 60)}}
		}, detail: `bundle "b-stray" of "a0" was scheduled but no resources_allocated allocates it`},
		{name: "bundle scheduled by a scheduler used alone", build: func(w *streamtest.World) []flaggedAt {
			w.Book("a0", "b-1", "", bidQuantities, 60)
			w.End("a0", "b-1", "")
			return nil
		}},
		{name: "allocation published before the booking", build: func(w *streamtest.World) []flaggedAt {
			order, hold := w.Bid("a0", bidQuantities, 60, 500)
			w.Release(hold)
			lease := w.Hold("a0", 400)
			w.AllocateLease("a0", order, "b-1", lease, bidQuantities, 60, 400, 500)
			w.Book("a0", "b-1", lease, bidQuantities, 60)
			return nil
		}},
		{name: "bundle allocated to another agent", build: func(w *streamtest.World) []flaggedAt {
			order, hold := w.Bid("a1", bidQuantities, 60, 500)
			w.Release(hold)
			lease := w.Hold("a1", 400)
			scheduled := w.Book("a0", "b-1", lease, bidQuantities, 60)
			w.AllocateLease("a1", order, "b-1", lease, bidQuantities, 60, 400, 500)
			return []flaggedAt{{invariant.AllocationsPaid, scheduled}}
		}, detail: `bundle "b-1" was scheduled for "a0" but allocated to "a1"`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			w := streamtest.NewWorld(t, 2)
			expected := tt.build(w)
			evs := w.Events()
			want := make([]string, len(expected))
			for i, v := range expected {
				want[i] = v.check + " @ " + v.event.ID
			}
			vs := found(t, invariant.Check(evs))
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
				{invariant.BidsHeld, invariant.CheckBidsHeld},
				{invariant.AllocationsPaid, invariant.CheckAllocationsPaid},
			} {
				var own []*invariant.Violation
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
	w := streamtest.NewWorld(t, 1)
	bid := placeBid(w, "a0", "o-1", "h-none", streamtest.Cents(500))
	rows := report.InvariantVerdicts(w.Events(), invariant.Options{})
	for _, row := range rows {
		want := report.StatusPass
		switch row.Name {
		case invariant.BidsHeld:
			want = report.StatusFail
			if diff := cmp.Diff([]string{bid.ID}, row.Events); diff != "" {
				t.Errorf("bids_held events (-want +got):\n%s", diff)
			}
		case invariant.CapacityRespected, invariant.SpendWithinLimit, invariant.ChainIntact:
			want = report.StatusNotEvaluated
		}
		if row.Status != want {
			t.Errorf("%s: %s (%s), want %s", row.Name, row.Status, row.Detail, want)
		}
	}
}
