package scarcity_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/benbjohnson/clock"

	"github.com/scarcitylabs/scarcity"
	"github.com/scarcitylabs/scarcity/events"
)

// lateStream is a stream that checks what JetStream checks under
// natstransport: each call expects the stream's last sequence to be the
// writer's prediction and its last event to be the last the writer sent
// (Nats-Expected-Last-Msg-Id). Its next call can be made to fail in doubt
// and be delivered late: just after the next read of the stream. Calls can
// be held, so that a later one is sent before an earlier one is answered.
type lateStream struct {
	log *events.Log

	mu       sync.Mutex
	last     uint64 // the writer's prediction of the stream's last sequence
	lastID   string // the id of the last event the writer sent since it read
	synced   bool
	lateNext bool     // the next call fails in doubt and lands after the next read
	late     []func() // deliveries to make after the next read
	hold     bool     // keep calls until release
	held     []func()
	sent     int // calls with events
}

var errLateConflict = errors.New("lateStream: wrong last sequence or last event")

func newLateStream() *lateStream {
	return &lateStream{log: events.NewLog(events.LogOptions{}), synced: true}
}

// store stores evs if the stream's last sequence is expect and its last
// event expectID (if set). It runs with s.mu held.
func (s *lateStream) store(evs []events.Event, expect uint64, expectID string) error {
	n := s.log.Len()
	if n != expect {
		return fmt.Errorf("%w: expected %d, the stream holds %d", errLateConflict, expect, n)
	}
	if expectID != "" {
		if last := s.log.Events(n); len(last) == 0 || last[0].ID != expectID {
			return fmt.Errorf("%w: expected the last event %s", errLateConflict, expectID)
		}
	}
	return s.log.Publish(context.Background(), evs...)
}

func (s *lateStream) PublishAsync(_ context.Context, evs ...events.Event) <-chan error {
	out := make(chan error, 1)
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(evs) == 0 {
		out <- nil
		return out
	}
	if !s.synced {
		out <- fmt.Errorf("%w: read the stream first", errLateConflict)
		return out
	}
	s.sent++
	cp := append([]events.Event(nil), evs...)
	expect, expectID := s.last, s.lastID
	if s.lateNext {
		s.lateNext, s.synced = false, false
		s.late = append(s.late, func() { _ = s.store(cp, expect, "") })
		out <- fmt.Errorf("%w: delivered late", events.ErrInDoubt)
		return out
	}
	s.last += uint64(len(evs))
	s.lastID = evs[len(evs)-1].ID
	call := func() {
		err := s.store(cp, expect, expectID)
		if err != nil {
			s.synced = false
		}
		out <- err
	}
	if s.hold {
		s.held = append(s.held, call)
	} else {
		call()
	}
	return out
}

func (s *lateStream) Publish(ctx context.Context, evs ...events.Event) error {
	return <-s.PublishAsync(ctx, evs...)
}

// ReadAll reads the stream; the writer learns its last sequence from it.
// The late deliveries land just after.
func (s *lateStream) ReadAll(context.Context) ([]events.Event, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	evs := s.log.Events(0)
	s.last, s.lastID, s.synced = s.log.Len(), "", true
	for _, d := range s.late {
		d()
	}
	s.late = nil
	return evs, nil
}

func (s *lateStream) calls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sent
}

// release answers the calls held, in order, and stops holding them.
func (s *lateStream) release() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.held {
		c()
	}
	s.held, s.hold = nil, false
}

// TestRebuildDoesNotPipelineBehindReusedIDs: a group in doubt (A) lands
// just after the market's rebuild read the stream. The rebuilt market,
// whose clock has not moved, gives its next group (B) the ids of A — the
// same per-source sequences at the same instant — and B is refused; but a
// group C sent behind B before B's answer expects the stream's last
// sequence to be B's last, and its last event to carry the id of B's last
// event: A's length and ids meet both, and C would be stored after A,
// though it is linked after B. The stream's chain would break there.
func TestRebuildDoesNotPipelineBehindReusedIDs(t *testing.T) {
	ctx := context.Background()
	clk := clock.NewMock()
	clk.Set(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	_, key, _ := ed25519.GenerateKey(rand.Reader)
	st := newLateStream()
	m, err := scarcity.New(ctx, scarcity.Config{Resources: testResources, Clock: clk, Publisher: st, SigningKey: key, Correlation: "t",
		Reserve: map[string]string{"cpu": "0.001", "memory": "0.00001", "tokens": "0.00001"}})
	if err != nil {
		t.Fatal(err)
	}
	judge := func(comment string) error {
		return m.EmitJudgement(ctx, "judge", events.JudgeEvaluation{Scenario: "t", Overall: "1", Comment: comment})
	}
	if err := judge("first"); err != nil {
		t.Fatal(err)
	}
	st.mu.Lock()
	st.lateNext = true
	st.mu.Unlock()
	if err := judge("A"); !errors.Is(err, events.ErrInDoubt) {
		t.Fatalf("A: %v, want in doubt", err)
	}
	for i := 0; m.Fenced(); i++ { // the market rebuilds itself; A lands just after its read
		if i == 1000 {
			t.Fatal("the market does not rebuild")
		}
		time.Sleep(time.Millisecond)
	}

	st.mu.Lock()
	st.hold = true
	st.mu.Unlock()
	before := st.calls()
	outB, outC := make(chan error, 1), make(chan error, 1)
	go func() { outB <- judge("B") }()
	for st.calls() == before {
		time.Sleep(100 * time.Microsecond)
	}
	go func() { outC <- judge("C") }()
	// C is sent behind B at once if the committer pipelines it; give it
	// the time to.
	for i := 0; i < 200 && st.calls() == before+1; i++ {
		time.Sleep(time.Millisecond)
	}
	st.release()
	errB, errC := <-outB, <-outC
	t.Logf("B: %v; C: %v", errB, errC)

	evs := st.log.Events(0)
	if _, err := events.Verify(evs, events.VerifyOptions{}); err != nil {
		t.Fatalf("the stream is broken: %v", err)
	}
	for i := 0; m.Fenced(); i++ {
		if i == 1000 {
			t.Fatal("the market does not rebuild")
		}
		time.Sleep(time.Millisecond)
	}
	if err := judge("D"); err != nil {
		t.Fatalf("D after the rebuild: %v", err)
	}
	if _, err := events.Verify(st.log.Events(0), events.VerifyOptions{}); err != nil {
		t.Fatalf("the stream is broken: %v", err)
	}
}
