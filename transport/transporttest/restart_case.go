package transporttest

import (
	"testing"

	"github.com/scarcitylabs/scarcity/events"
)

// testRestart (only with Harness.Restart): after a server restart the events
// published before are still there, re-publishing them adds nothing, and
// publishing, a fresh subscription and a live tail work.
func testRestart(t *testing.T, s suite) {
	if s.h.Restart == nil {
		t.Skip("Harness.Restart is nil: the transport has no server to restart")
	}
	tr := s.open(t)
	g := NewGenerator(events.SourceMarket, "restart")
	before := g.Next(20)
	s.publish(t, tr, before[:8]...)
	s.publish(t, tr, before[8:]...)

	tr = s.h.Restart(t, tr)
	if tr == nil {
		t.Fatal("Harness.Restart returned nil")
	}
	t.Cleanup(func() { _ = tr.Close() })
	replay := s.subscribe(t, tr, events.SubscribeOptions{})
	expect(t, "events published before the restart", numbered(1, before), s.collect(t, replay, len(before)))

	after := g.Next(5)
	s.publish(t, tr, before[:3]...)
	s.publish(t, tr, after...)
	stream := append(before, after...)
	expect(t, "live after the restart", numbered(uint64(len(before))+1, after), s.collect(t, replay, len(after)))
	fresh := s.subscribe(t, tr, events.SubscribeOptions{From: 15})
	expect(t, "a fresh subscription after the restart", numbered(15, stream[14:]), s.collect(t, fresh, len(stream)-14))
	s.expectFence(t, tr, fresh, events.Filter{}, uint64(len(stream))+1)
}
