package natstransport_test

import (
	"context"
	"testing"

	"github.com/scarcitylabs/scarcity/events"
	"github.com/scarcitylabs/scarcity/transport/natstest"
	"github.com/scarcitylabs/scarcity/transport/natstransport"
)

func TestClusterReplicas3(t *testing.T) {
	c := natstest.StartCluster(t, 3)
	tr := open(t, c.URL(), natstransport.Options{Replicas: 3})
	evs := agentEvents(100, events.SourceMarket, "run-1", t0)
	for i := 0; i < len(evs); i += 10 {
		publish(t, tr, evs[i:i+10]...)
	}
	diffEvents(t, evs, eventsOf(receive(t, subscribe(t, tr, events.SubscribeOptions{}), len(evs))))

	st, err := tr.JetStream().Stream(context.Background(), tr.Stream())
	if err != nil {
		t.Fatal(err)
	}
	info, err := st.Info(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if info.Config.Replicas != 3 || info.Cluster == nil || len(info.Cluster.Replicas) != 2 {
		t.Fatalf("stream replicas: config %d, cluster %+v", info.Config.Replicas, info.Cluster)
	}

	// The snapshot bucket has the stream's replicas.
	snaps := snapshots(t, tr)
	ctx := context.Background()
	if err := snaps.PutSnapshot(ctx, "run-1/00000000000000000100-00", []byte("state")); err != nil {
		t.Fatal(err)
	}
	if got, err := snaps.GetSnapshot(ctx, "run-1/00000000000000000100-00"); err != nil || string(got) != "state" {
		t.Fatalf("GetSnapshot = %q, %v", got, err)
	}
	bst, err := tr.JetStream().Stream(ctx, "OBJ_"+snaps.Bucket())
	if err != nil {
		t.Fatal(err)
	}
	if cfg := bst.CachedInfo().Config; cfg.Replicas != 3 {
		t.Errorf("snapshot bucket replicas %d, want 3", cfg.Replicas)
	}
}
