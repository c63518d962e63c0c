package natstransport_test

import (
	"context"
	"testing"

	"github.com/scarcitylabs/scarcity/events"
	"github.com/scarcitylabs/scarcity/transport/natstest"
	"github.com/scarcitylabs/scarcity/transport/natstransport"
	"github.com/scarcitylabs/scarcity/transport/transporttest"
)

// TestConformance runs the transport conformance suite against a real
// embedded nats-server, restarted on the same store for the restart test.
func TestConformance(t *testing.T) {
	servers := map[transporttest.Transport]*natstest.Server{}
	transporttest.Run(t, transporttest.Harness{
		New: func(t *testing.T) transporttest.Transport {
			srv := natstest.StartServer(t)
			tr := open(t, srv.URL(), natstransport.Options{})
			servers[tr] = srv
			return tr
		},
		Restart: func(t *testing.T, tr transporttest.Transport) transporttest.Transport {
			srv := servers[tr]
			_ = tr.Close()
			srv.Restart(t)
			reopened, err := natstransport.Open(context.Background(), natstransport.Options{URL: srv.URL()})
			if err != nil {
				t.Fatalf("Open after restart: %v", err)
			}
			t.Cleanup(func() { reopened.Close() })
			servers[reopened] = srv
			return reopened
		},
		ErrClosed: events.ErrClosed,
	})
}
