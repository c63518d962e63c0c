package natstransport_test

import (
	"context"
	"errors"
	"testing"

	"github.com/scarcitylabs/scarcity/events"
	"github.com/scarcitylabs/scarcity/transport/natstest"
	"github.com/scarcitylabs/scarcity/transport/natstransport"
)

// TestFullStreamRefusesDefinitely checks that a publish the stream refuses
// whole for lack of room wraps events.ErrFull and is not in doubt, that
// one stored in part is in doubt, and that publishing goes on once the
// operator makes room.
func TestFullStreamRefusesDefinitely(t *testing.T) {
	ctx := context.Background()
	srv := natstest.StartServer(t)
	tr := open(t, srv.URL(), natstransport.Options{MaxBytes: 4 << 10})
	evs := agentEvents(400, events.SourceAgent, "full", t0)
	var refused int
	for i, e := range evs {
		err := tr.Publish(ctx, e)
		switch {
		case err == nil:
			continue
		case errors.Is(err, events.ErrFull) && !errors.Is(err, events.ErrInDoubt) && errors.Is(err, natstransport.ErrNotAccepted):
			refused = i
		default:
			t.Fatalf("event %d: %v, want a definite refusal", i, err)
		}
		break
	}
	if refused == 0 {
		t.Fatal("a 4 KiB stream took 400 events")
	}
	st, err := tr.JetStream().Stream(ctx, natstransport.DefaultStream)
	if err != nil {
		t.Fatal(err)
	}
	if got := st.CachedInfo().State.Msgs; got != uint64(refused) {
		t.Fatalf("the stream holds %d events, %d were acknowledged", got, refused)
	}
	cfg := st.CachedInfo().Config
	cfg.MaxBytes = 1 << 20
	if _, err := tr.JetStream().UpdateStream(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	publish(t, tr, evs[refused:]...)
}
