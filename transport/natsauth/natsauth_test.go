package natsauth_test

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/scarcitylabs/scarcity/transport/natsauth"
)

func TestDeploymentValidate(t *testing.T) {
	ok := natsauth.Deployment{Shards: []natsauth.Shard{{Prefix: "shard-a"}}, Agents: []string{"alice"}, StoreDir: "/tmp/x"}
	with := func(f func(*natsauth.Deployment)) natsauth.Deployment {
		d := ok
		d.Shards = slices.Clone(ok.Shards)
		f(&d)
		return d
	}
	tests := []struct {
		name string
		d    natsauth.Deployment
	}{
		{"no shard", with(func(d *natsauth.Deployment) { d.Shards = nil })},
		{"wildcard prefix", with(func(d *natsauth.Deployment) { d.Shards[0].Prefix = "a.*" })},
		{"inbox prefix", with(func(d *natsauth.Deployment) { d.Shards[0].Prefix = "_INBOX" })},
		{"overlapping prefixes", with(func(d *natsauth.Deployment) { d.Shards = append(d.Shards, natsauth.Shard{Prefix: "shard-a.x"}) })},
		{"same prefix", with(func(d *natsauth.Deployment) {
			d.Shards = append(d.Shards, natsauth.Shard{Prefix: "shard-a", Stream: "B"})
		})},
		{"same stream", with(func(d *natsauth.Deployment) { d.Shards = append(d.Shards, natsauth.Shard{Prefix: "shard_a"}) })},
		{"bad agent", with(func(d *natsauth.Deployment) { d.Agents = []string{"a.b"} })},
		{"duplicate agent", with(func(d *natsauth.Deployment) { d.Agents = []string{"x", "x"} })},
		{"no store", with(func(d *natsauth.Deployment) { d.StoreDir = "" })},
		{"quoted store", with(func(d *natsauth.Deployment) { d.StoreDir = `/tmp/"x` })},
		{"connections", with(func(d *natsauth.Deployment) { d.Limits.AgentConnections = -1 })},
		{"too few subscriptions", with(func(d *natsauth.Deployment) { d.Limits.AgentSubscriptions = 5 })},
		{"payload above max", with(func(d *natsauth.Deployment) { d.Limits.AgentPayload = 2 << 20 })},
		{"storage", with(func(d *natsauth.Deployment) { d.Limits.MarketStorage = 1 })},
		{"half tls", with(func(d *natsauth.Deployment) { d.TLS.CertFile = "c.pem" })},
	}
	for _, tt := range tests {
		if _, err := natsauth.Write(t.TempDir(), tt.d); !errors.Is(err, natsauth.ErrInvalid) {
			t.Errorf("%s: %v, want ErrInvalid", tt.name, err)
		}
	}
	if _, err := natsauth.Write(t.TempDir(), ok); err != nil {
		t.Errorf("valid deployment: %v", err)
	}
}

// The configuration holds public keys only, parses, and gives each agent
// its own account with the default limits, and the market account
// JetStream with its storage limit.
func TestConfigFile(t *testing.T) {
	dir := t.TempDir()
	d := natsauth.Deployment{Shards: []natsauth.Shard{{Prefix: "shard-a"}, {Prefix: "shard-b", Stream: "B"}},
		Agents: []string{"alice", "a:b"}, StoreDir: t.TempDir(), Port: -1, MonitorPort: 8299}
	files, err := natsauth.Write(dir, d)
	if err != nil {
		t.Fatal(err)
	}
	conf, err := os.ReadFile(files.Config)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range append([]string{files.Admin, files.Markets["shard-a"], files.Markets["shard-b"]}, files.Agents["alice"], files.Agents["a:b"]) {
		seed, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(conf, bytes.TrimSpace(seed)) {
			t.Errorf("the configuration holds the seed of %s", f)
		}
		pub, err := natsauth.PublicKey(f)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Contains(conf, []byte(pub)) {
			t.Errorf("the configuration lacks the public key of %s", f)
		}
	}
	opts, err := server.ProcessConfigFile(files.Config)
	if err != nil {
		t.Fatalf("%v\n%s", err, conf)
	}
	type account struct{ Users int }
	got := map[string]account{}
	for _, a := range opts.Accounts {
		got[a.Name] = account{}
	}
	for _, u := range opts.Nkeys {
		a := got[u.Account.Name]
		a.Users++
		got[u.Account.Name] = a
	}
	want := map[string]account{
		natsauth.MarketAccount:         {Users: 3},
		natsauth.AgentAccount("alice"): {Users: 1},
		natsauth.AgentAccount("a:b"):   {Users: 1},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("accounts (-want +got):\n%s", diff)
	}
	if opts.MaxPayload != natsauth.DefaultMaxPayload || opts.JetStreamMaxStore != natsauth.DefaultMarketStorage || opts.HTTPPort != 8299 {
		t.Errorf("max_payload %d, max_file_store %d, monitor %d", opts.MaxPayload, opts.JetStreamMaxStore, opts.HTTPPort)
	}
	if opts.TLSConfig == nil {
		t.Error("no TLS")
	}
	for _, want := range []string{"max_connections: 4", "max_subscriptions: 64", "max_payload: 65536", "max_file: 1073741824", `"AGENT_a%3Ab"`} {
		if !strings.Contains(string(conf), want) {
			t.Errorf("configuration lacks %q", want)
		}
	}
}

// Seeds are written once, mode 0600, one key per user, and kept when
// written again; a seed others may read is refused.
func TestWriteSeeds(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "creds")
	d := natsauth.Deployment{Shards: []natsauth.Shard{{Prefix: "shard-a"}}, Agents: []string{"alice", "a:b"}, StoreDir: "/tmp/s"}
	first, err := natsauth.WriteSeeds(dir, d)
	if err != nil {
		t.Fatal(err)
	}
	keys := []string{first.Admin, first.Markets["shard-a"], first.Agents["alice"], first.Agents["a:b"]}
	slices.Sort(keys)
	if len(slices.Compact(keys)) != 4 {
		t.Errorf("keys are not distinct: %v", keys)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		fi, err := e.Info()
		if err != nil {
			t.Fatal(err)
		}
		if runtime.GOOS != "windows" && fi.Mode().Perm() != 0o600 {
			t.Errorf("%s has mode %04o, want 0600", e.Name(), fi.Mode().Perm())
		}
	}
	again, err := natsauth.WriteSeeds(dir, d)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(first, again); diff != "" {
		t.Errorf("keys changed when written again (-first +again):\n%s", diff)
	}
	if runtime.GOOS != "windows" {
		if err := os.Chmod(natsauth.AgentSeedFile(dir, "alice"), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := natsauth.WriteSeeds(dir, d); !errors.Is(err, natsauth.ErrSeedFile) {
			t.Errorf("world-readable seed: %v, want ErrSeedFile", err)
		}
		if _, err := natsauth.MarketOptions("shard-a", natsauth.AgentSeedFile(dir, "alice")); !errors.Is(err, natsauth.ErrSeedFile) {
			t.Errorf("connecting with a world-readable seed: %v, want ErrSeedFile", err)
		}
	}
}

// WriteTLS keeps certificates that still serve, and makes new ones for a
// new host.
func TestWriteTLS(t *testing.T) {
	dir := t.TempDir()
	first, err := natsauth.WriteTLS(dir)
	if err != nil {
		t.Fatal(err)
	}
	ca, err := os.ReadFile(first.CAFile)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := natsauth.WriteTLS(dir, "127.0.0.1"); err != nil {
		t.Fatal(err)
	}
	if again, _ := os.ReadFile(first.CAFile); !bytes.Equal(ca, again) {
		t.Error("the CA changed although the certificate still serves")
	}
	if _, err := natsauth.WriteTLS(dir, "market.example"); err != nil {
		t.Fatal(err)
	}
	if again, _ := os.ReadFile(first.CAFile); bytes.Equal(ca, again) {
		t.Error("the CA did not change for a new host")
	}
	if fi, err := os.Stat(first.KeyFile); err != nil || (runtime.GOOS != "windows" && fi.Mode().Perm() != 0o600) {
		t.Errorf("key file: %v, %v", fi, err)
	}
}

// Code an agent or a stream reader compiles never pulls in nats-server:
// the command API's client, the connect helpers and the generator of
// server configurations depend on nats.go alone.
func TestClientsDoNotDependOnServer(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go list")
	}
	for _, pkg := range []string{
		"github.com/scarcitylabs/scarcity/transport/agentapi",
		"github.com/scarcitylabs/scarcity/transport/natsauth",
	} {
		out, err := exec.Command("go", "list", "-deps", pkg).CombinedOutput()
		if err != nil {
			t.Fatalf("go list -deps %s: %v\n%s", pkg, err, out)
		}
		for _, dep := range strings.Fields(string(out)) {
			if strings.HasPrefix(dep, "github.com/nats-io/nats-server") {
				t.Errorf("%s depends on %s", pkg, dep)
			}
		}
	}
}
