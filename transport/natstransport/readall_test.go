package natstransport_test

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/scarcitylabs/scarcity/events"
)

func TestReadAll(t *testing.T) {
	_, tr := startOpen(t)
	ctx := context.Background()
	if got, err := tr.ReadAll(ctx); err != nil || len(got) != 0 {
		t.Fatalf("ReadAll of an empty stream = %v, %v", got, err)
	}
	want := agentEvents(25, events.SourceAgent, "readall", t0)
	publish(t, tr, want...)
	got, err := tr.ReadAll(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(ids(want), ids(got)); diff != "" {
		t.Errorf("ReadAll (-want +got):\n%s", diff)
	}
}

// ids returns the ids of evs.
func ids(evs []events.Event) []string {
	out := make([]string, len(evs))
	for i, e := range evs {
		out[i] = e.ID
	}
	return out
}
