package benchkit_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/scarcitylabs/scarcity/benchkit"
	"github.com/scarcitylabs/scarcity/benchkit/internal/streamtest"
	"github.com/scarcitylabs/scarcity/events"
)

// agentStream returns n reasoning traces of alice in run correlation, one
// second apart.
func agentStream(correlation string, n int) []events.Event {
	s := events.NewSequencer(events.SourceAgent, correlation, 0)
	t := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	var out []events.Event
	for i := range n {
		b := s.Batch(t.Add(time.Duration(i) * time.Second))
		b.Add("alice", events.ReasoningTrace{AgentID: "alice", Decision: fmt.Sprintf("step_%d", i), Content: "x"})
		out = append(out, b.Events()...)
		if err := b.Publish(context.Background(), events.Discard); err != nil {
			panic(err)
		}
	}
	return out
}

// logOf returns a log holding evs.
func logOf(tb testing.TB, evs ...events.Event) *events.Log {
	tb.Helper()
	l := events.NewLog(events.LogOptions{})
	if err := l.Publish(context.Background(), evs...); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = l.Close() })
	return l
}

func TestCollectEnds(t *testing.T) {
	run1, run2 := agentStream("run-1", 5), agentStream("run-2", 3)
	l := logOf(t, append(run1, run2...)...)
	tests := []struct {
		name string
		opts benchkit.CollectOptions
		want []events.Event
	}{
		{"to", benchkit.CollectOptions{To: 8}, append(run1, run2...)},
		{"from to", benchkit.CollectOptions{From: 4, To: 6}, append(run1[3:], run2[0])},
		{"max", benchkit.CollectOptions{Max: 2}, run1[:2]},
		{"until", benchkit.CollectOptions{Until: func(e events.Event) bool { return e.Sequence == 3 }}, run1[:3]},
		{"correlation", benchkit.CollectOptions{Correlation: "run-2", Max: 3}, run2},
		{"since", benchkit.CollectOptions{Since: run1[4].Time, Correlation: "run-1", Max: 1}, run1[4:]},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := benchkit.Collect(context.Background(), l, tt.opts)
			if err != nil {
				t.Fatalf("Collect: %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestCollectFollowsLiveStream(t *testing.T) {
	evs := agentStream("run-1", 6)
	l := logOf(t, evs[:2]...)
	done := make(chan struct{})
	var got []events.Event
	var err error
	go func() {
		defer close(done)
		got, err = benchkit.Collect(context.Background(), l, benchkit.CollectOptions{To: 6})
	}()
	for _, e := range evs[2:] {
		if err := l.Publish(context.Background(), e); err != nil {
			t.Fatal(err)
		}
	}
	<-done
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(evs, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestCollectIdle(t *testing.T) {
	evs := agentStream("run-1", 3)
	got, err := benchkit.Collect(context.Background(), logOf(t, evs...), benchkit.CollectOptions{Idle: 50 * time.Millisecond})
	if err != nil || len(got) != 3 {
		t.Errorf("Collect = %d events, %v; want 3, nil", len(got), err)
	}
}

func TestCollectStopsWithContext(t *testing.T) {
	evs := agentStream("run-1", 2)
	ctx, cancel := context.WithCancel(context.Background())
	got, err := benchkit.Collect(ctx, logOf(t, evs...), benchkit.CollectOptions{
		Until: func(e events.Event) bool {
			if e.Sequence == 2 {
				cancel()
			}
			return false
		},
	})
	if !errors.Is(err, context.Canceled) || len(got) != 2 {
		t.Errorf("Collect = %d events, %v; want 2, context.Canceled", len(got), err)
	}
}

func TestCollectEndsWithClosedLog(t *testing.T) {
	l := logOf(t, agentStream("run-1", 2)...)
	_ = l.Close()
	_, err := benchkit.Collect(context.Background(), l, benchkit.CollectOptions{To: 10})
	if err == nil {
		t.Errorf("Collect on a closed log = nil error")
	}
}

func TestCollectNeedsAnEnd(t *testing.T) {
	_, err := benchkit.Collect(context.Background(), logOf(t), benchkit.CollectOptions{})
	if !errors.Is(err, benchkit.ErrCollectUnbounded) {
		t.Errorf("Collect = %v, want ErrCollectUnbounded", err)
	}
}

func TestFilter(t *testing.T) {
	run1, run2 := agentStream("run-1", 2), agentStream("run-2", 1)
	all := append(append([]events.Event{}, run1...), run2...)
	if diff := cmp.Diff(run2, benchkit.Filter(all, "run-2")); diff != "" {
		t.Errorf("Filter run-2 (-want +got):\n%s", diff)
	}
	if got := benchkit.Filter(all, ""); len(got) != 3 {
		t.Errorf("Filter all = %d events", len(got))
	}
}

func TestJSONLRoundTrip(t *testing.T) {
	evs := append(streamtest.ValidStream(t).Events(), agentStream("run-1", 2)...)
	var buf bytes.Buffer
	if err := benchkit.WriteJSONL(&buf, evs); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(buf.String(), "\n"); n != len(evs) {
		t.Errorf("%d lines for %d events", n, len(evs))
	}
	got, err := benchkit.ReadJSONL(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(evs, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestReadJSONLReportsLines(t *testing.T) {
	var buf bytes.Buffer
	evs := agentStream("run-1", 2)
	if err := benchkit.WriteJSONL(&buf, evs[:1]); err != nil {
		t.Fatal(err)
	}
	buf.WriteString("\n   \n{not json}\n")
	if err := benchkit.WriteJSONL(&buf, evs[1:]); err != nil {
		t.Fatal(err)
	}
	buf.WriteString(`{"specversion":"1.0","id":"x","source":"agent","type":"t","time":"2025-01-02T03:04:05Z","sequence":"0","data":{}}` + "\n")
	got, err := benchkit.ReadJSONL(&buf)
	if diff := cmp.Diff(evs, got); diff != "" {
		t.Errorf("good lines (-want +got):\n%s", diff)
	}
	var lines []int
	for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
		var le *benchkit.LineError
		if errors.As(e, &le) {
			lines = append(lines, le.Line)
		}
	}
	if diff := cmp.Diff([]int{4, 6}, lines); diff != "" {
		t.Errorf("malformed lines (-want +got):\n%s", diff)
	}
	if !errors.Is(err, events.ErrMalformed) || !errors.Is(err, events.ErrInvalid) {
		t.Errorf("error %v should wrap ErrMalformed and ErrInvalid", err)
	}
}

func TestReadJSONLLongLine(t *testing.T) {
	_, err := benchkit.ReadJSONL(strings.NewReader(strings.Repeat("x", events.MaxEncodedSize+2)))
	var le *benchkit.LineError
	if !errors.As(err, &le) || le.Line != 1 {
		t.Errorf("ReadJSONL of a long line = %v", err)
	}
}

func TestReadJSONLStopsAfterManyErrors(t *testing.T) {
	got, err := benchkit.ReadJSONL(strings.NewReader(strings.Repeat("x\n", 2*benchkit.MaxLineErrors)))
	if err == nil || len(got) != 0 || strings.Count(err.Error(), "line ") != benchkit.MaxLineErrors {
		t.Errorf("ReadJSONL = %d events, %d line errors", len(got), strings.Count(fmt.Sprint(err), "line "))
	}
}

// FuzzReadJSONL checks that ReadJSONL never panics, that its errors are
// line errors, and that what it reads writes back and reads again equal.
func FuzzReadJSONL(f *testing.F) {
	var buf bytes.Buffer
	if err := benchkit.WriteJSONL(&buf, agentStream("run-1", 2)); err != nil {
		f.Fatal(err)
	}
	f.Add(buf.Bytes())
	f.Add([]byte("\n{}\n\r\nnull\n"))
	f.Add([]byte(`{"specversion":"1.0","id":"x","source":"agent","type":"reflection","time":"2025-01-02T03:04:05Z","sequence":"1","data":{"content":"hm"}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		evs, err := benchkit.ReadJSONL(bytes.NewReader(b))
		if err != nil {
			var le *benchkit.LineError
			if !errors.As(err, &le) {
				t.Fatalf("error %v has no LineError", err)
			}
		}
		var out bytes.Buffer
		if err := benchkit.WriteJSONL(&out, evs); err != nil {
			t.Fatalf("WriteJSONL of read events: %v", err)
		}
		again, err := benchkit.ReadJSONL(&out)
		if err != nil {
			t.Fatalf("re-read: %v", err)
		}
		if len(again) != len(evs) {
			t.Fatalf("re-read %d events, want %d", len(again), len(evs))
		}
		for i := range evs {
			if evs[i].ID != again[i].ID || evs[i].Type != again[i].Type || evs[i].Sequence != again[i].Sequence {
				t.Fatalf("event %d differs: %v vs %v", i, evs[i], again[i])
			}
		}
	})
}

// TestReadJSONLKeepsTheChainOfRewrittenEnvelopes checks that lines whose
// envelope another writer laid out differently (keys in another order, no
// dataschema, as lines written before it was added) still decode to events
// whose hash chain verifies: only a line's data decides whether it keeps
// its data as read.
func TestReadJSONLKeepsTheChainOfRewrittenEnvelopes(t *testing.T) {
	evs := streamtest.ValidStream(t).Events()
	chain, err := events.NewChain("", nil)
	if err != nil {
		t.Fatal(err)
	}
	chain.Link(evs)
	var buf bytes.Buffer
	for _, e := range evs {
		b, err := events.Encode(e)
		if err != nil {
			t.Fatal(err)
		}
		var attrs map[string]json.RawMessage
		if err := json.Unmarshal(b, &attrs); err != nil {
			t.Fatal(err)
		}
		delete(attrs, "dataschema")
		b, err = json.Marshal(attrs) // keys sorted: data no longer last
		if err != nil {
			t.Fatal(err)
		}
		buf.Write(append(b, '\n'))
	}
	got, err := benchkit.ReadJSONL(&buf)
	if err != nil {
		t.Fatal(err)
	}
	v, err := events.Verify(got, events.VerifyOptions{})
	if err != nil || len(v.Trusted) != len(evs) {
		t.Fatalf("%d of %d events trusted: %v", len(v.Trusted), len(evs), err)
	}
}
