package natstransport_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/scarcitylabs/scarcity/events"
	"github.com/scarcitylabs/scarcity/transport/natstest"
	"github.com/scarcitylabs/scarcity/transport/natstransport"
)

// streamConfig returns the JSON of the configuration of stream on the
// server at url, to compare byte for byte.
func streamConfig(tb testing.TB, url, stream string) string {
	tb.Helper()
	nc, err := nats.Connect(url)
	if err != nil {
		tb.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		tb.Fatal(err)
	}
	s, err := js.Stream(context.Background(), stream)
	if err != nil {
		tb.Fatalf("Stream %s: %v", stream, err)
	}
	b, err := json.Marshal(s.CachedInfo().Config)
	if err != nil {
		tb.Fatal(err)
	}
	return string(b)
}

// liveWriter publishes batches of two events, one batch after another, to a
// Transport as a market does, until stopped.
type liveWriter struct {
	tr   *natstransport.Transport
	stop chan struct{}
	done chan struct{}

	mu    sync.Mutex
	acked []events.Event // the events of every acknowledged batch, in order
	err   error
}

// startWriter publishes one batch, then keeps publishing in a goroutine.
func startWriter(tb testing.TB, tr *natstransport.Transport) *liveWriter {
	tb.Helper()
	w := &liveWriter{tr: tr, stop: make(chan struct{}), done: make(chan struct{})}
	seq := events.NewSequencer(events.SourceScheduler, "market", 0)
	if err := w.publish(seq, 0); err != nil {
		tb.Fatalf("Publish: %v", err)
	}
	go func() {
		defer close(w.done)
		for i := 1; ; i++ {
			select {
			case <-w.stop:
				return
			default:
			}
			if err := w.publish(seq, i); err != nil {
				w.mu.Lock()
				w.err = fmt.Errorf("batch %d: %w", i, err)
				w.mu.Unlock()
				return
			}
		}
	}()
	tb.Cleanup(w.halt)
	return w
}

func (w *liveWriter) publish(seq *events.Sequencer, i int) error {
	b := seq.Batch(t0.Add(time.Duration(i) * time.Second))
	agent := fmt.Sprintf("a%d", i%3)
	b.Add(agent, events.AgentAwake{AgentID: agent})
	b.Add(agent, events.AgentDormant{AgentID: agent})
	if err := b.Publish(context.Background(), w.tr); err != nil {
		return err
	}
	w.mu.Lock()
	w.acked = append(w.acked, b.Events()...)
	w.mu.Unlock()
	return nil
}

// ackedEvents returns the events acknowledged so far.
func (w *liveWriter) ackedEvents() []events.Event {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Clone(w.acked)
}

func (w *liveWriter) halt() {
	select {
	case <-w.stop:
	default:
		close(w.stop)
	}
	<-w.done
}

// finish stops the writer and fails the test if a publish failed; it
// returns every acknowledged event.
func (w *liveWriter) finish(tb testing.TB) []events.Event {
	tb.Helper()
	w.halt()
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err != nil {
		tb.Fatalf("the writer's publish failed: %v", w.err)
	}
	return w.acked
}

// TestReaderNeverChangesLiveStream is the regression test of a reader that
// rewrote a live market's stream subjects with the default prefix: readers
// opened with no prefix, a wrong one and the right one, while a writer with
// prefix "shard-a" keeps publishing, either fail with a typed error or read
// the stream; the stream's configuration is unchanged and every publish of
// the writer succeeds.
func TestReaderNeverChangesLiveStream(t *testing.T) {
	srv := natstest.StartServer(t)
	writer := open(t, srv.URL(), natstransport.Options{Prefix: "shard-a", Stream: "S"})
	before := streamConfig(t, srv.URL(), "S")
	w := startWriter(t, writer)

	tests := []struct {
		name   string
		prefix string
		want   error
	}{
		{"no prefix", "", nil},
		{"default prefix", natstransport.DefaultPrefix, natstransport.ErrPrefixMismatch},
		{"other shard", "shard-b", natstransport.ErrPrefixMismatch},
		{"longer prefix", "shard-a.x", natstransport.ErrPrefixMismatch},
		{"right prefix", "shard-a", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			r, err := natstransport.Open(ctx, natstransport.Options{URL: srv.URL(), Stream: "S", Prefix: tt.prefix, ReadOnly: true})
			if !errors.Is(err, tt.want) {
				t.Fatalf("Open: %v, want %v", err, tt.want)
			}
			if err != nil {
				return
			}
			defer r.Close()
			if r.Prefix() != "shard-a" || !r.ReadOnly() {
				t.Errorf("Prefix %q ReadOnly %v, want shard-a true", r.Prefix(), r.ReadOnly())
			}

			// ReadAll reads at least what was acknowledged before it, in
			// the writer's order.
			acked := w.ackedEvents()
			got, err := r.ReadAll(ctx)
			if err != nil {
				t.Fatalf("ReadAll: %v", err)
			}
			if len(got) < len(acked) {
				t.Fatalf("ReadAll read %d events, %d were acknowledged before", len(got), len(acked))
			}
			acked = w.ackedEvents() // later batches may be stored, not yet acknowledged
			n := min(len(got), len(acked))
			if diff := cmp.Diff(ids(acked[:n]), ids(got[:n])); diff != "" {
				t.Errorf("ReadAll (-want +got):\n%s", diff)
			}

			// Subscribe with a filter, which becomes server-side filter
			// subjects under the learned prefix.
			f := events.Filter{Sources: []events.Source{events.SourceScheduler}, Types: []events.Type{events.TypeAgentDormant}}
			var want []events.Event
			for _, e := range w.ackedEvents() {
				if f.Match(e) {
					want = append(want, e)
				}
			}
			sub := subscribe(t, r, events.SubscribeOptions{Filter: f})
			diffEvents(t, want, eventsOf(receive(t, sub, len(want))))

			// Publish is refused and stores nothing.
			stray := agentEvents(1, events.SourceAgent, "reader", t0)
			if err := r.Publish(ctx, stray...); !errors.Is(err, natstransport.ErrReadOnly) {
				t.Errorf("Publish: %v, want ErrReadOnly", err)
			}
		})
	}

	acked := w.finish(t)
	if diff := cmp.Diff(before, streamConfig(t, srv.URL(), "S")); diff != "" {
		t.Errorf("stream config changed (-before +after):\n%s", diff)
	}
	got, err := writer.ReadAll(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(ids(acked), ids(got)); diff != "" {
		t.Errorf("stream (-acknowledged +stored):\n%s", diff)
	}
}

func TestReadOnlyOpenErrors(t *testing.T) {
	srv := natstest.StartServer(t)
	nc, err := nats.Connect(srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for name, subjects := range map[string][]string{
		"WIDE":   {"wide.>"},
		"TWO":    append(natstransport.StreamSubjects("b1")[1:], natstransport.StreamSubjects("b2")[0]),
		"SHORT":  {"c.*.*"},
		"LEGACY": {"d.*.*.*"},
	} {
		if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: name, Subjects: subjects}); err != nil {
			t.Fatal(err)
		}
	}
	open(t, srv.URL(), natstransport.Options{Prefix: "shard-a", Stream: "S"})

	tests := []struct {
		name   string
		stream string
		prefix string
		want   []error
	}{
		{"unknown stream", "NOPE", "", []error{natstransport.ErrNoStream, jetstream.ErrStreamNotFound}},
		{"unknown stream with prefix", "NOPE", "shard-a", []error{natstransport.ErrNoStream}},
		{"default stream absent", "", "", []error{natstransport.ErrNoStream}},
		{"wrong prefix", "S", "scarcity", []error{natstransport.ErrPrefixMismatch}},
		{"not event subjects", "WIDE", "", []error{natstransport.ErrStream}},
		{"two subjects", "TWO", "", []error{natstransport.ErrStream}},
		{"three tokens", "SHORT", "", []error{natstransport.ErrStream}},
		{"four-token layout", "LEGACY", "", []error{natstransport.ErrStream}},
		{"invalid prefix", "S", "a.*", []error{natstransport.ErrInvalidOptions}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr, err := natstransport.Open(ctx, natstransport.Options{URL: srv.URL(), Stream: tt.stream, Prefix: tt.prefix, ReadOnly: true})
			if err == nil {
				tr.Close()
				t.Fatalf("Open succeeded, want %v", tt.want)
			}
			for _, want := range tt.want {
				if !errors.Is(err, want) {
					t.Errorf("Open: %v, want %v", err, want)
				}
			}
		})
	}
	// Nothing was created.
	for _, name := range []string{"NOPE", natstransport.DefaultStream} {
		if _, err := js.Stream(ctx, name); !errors.Is(err, jetstream.ErrStreamNotFound) {
			t.Errorf("stream %s after read-only Opens: %v, want not found", name, err)
		}
	}
}

func TestOpenRefusesToChangeSubjects(t *testing.T) {
	srv := natstest.StartServer(t)
	ctx := context.Background()
	market := open(t, srv.URL(), natstransport.Options{Prefix: "shard-a", Stream: "S"})
	publish(t, market, agentEvents(4, events.SourceScheduler, "market", t0)...)
	before := streamConfig(t, srv.URL(), "S")

	for _, prefix := range []string{"", "shard-b", "shard-a.x"} {
		tr, err := natstransport.Open(ctx, natstransport.Options{URL: srv.URL(), Stream: "S", Prefix: prefix})
		if !errors.Is(err, natstransport.ErrSubjectsMismatch) {
			if tr != nil {
				tr.Close()
			}
			t.Fatalf("Open with prefix %q: %v, want ErrSubjectsMismatch", prefix, err)
		}
	}
	if diff := cmp.Diff(before, streamConfig(t, srv.URL(), "S")); diff != "" {
		t.Errorf("stream config changed (-before +after):\n%s", diff)
	}
	publish(t, market, agentEvents(6, events.SourceScheduler, "market", t0)[4:]...)
	if got := streamMsgs(t, market); got != 6 {
		t.Errorf("stream holds %d events, want 6", got)
	}

	// The same prefix again is a writer of the same market: it opens.
	again := open(t, srv.URL(), natstransport.Options{Prefix: "shard-a", Stream: "S"})
	publish(t, again, agentEvents(7, events.SourceScheduler, "market", t0)[6:]...)

	// An empty stream may be taken over with another prefix.
	open(t, srv.URL(), natstransport.Options{Prefix: "old", Stream: "E"})
	tr := open(t, srv.URL(), natstransport.Options{Prefix: "new", Stream: "E"})
	var cfg jetstream.StreamConfig
	if err := json.Unmarshal([]byte(streamConfig(t, srv.URL(), "E")), &cfg); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(natstransport.StreamSubjects("new"), cfg.Subjects); diff != "" {
		t.Errorf("subjects of the empty stream (-want +got):\n%s", diff)
	}
	publish(t, tr, agentEvents(1, events.SourceScheduler, "market", t0)...)
}
