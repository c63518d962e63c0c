package agentapi

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/nats-io/nats-server/v2/server"
)

func TestOptionsValidate(t *testing.T) {
	for _, o := range []Options{
		{Prefix: "a..b"}, {Prefix: "a.*"}, {Prefix: "a b"}, {MaxMessage: MaxMaxMessage + 1},
		{MaxMessage: -1}, {Workers: -1}, {Workers: MaxWorkers + 1}, {Timeout: -1}, {Queue: "q q"},
	} {
		if _, err := o.withDefaults(); !errors.Is(err, ErrInvalidOptions) {
			t.Errorf("%+v: %v, want ErrInvalidOptions", o, err)
		}
	}
	if _, err := Accounts("scarcity", marketUser, []User{agentUser("a.b")}); !errors.Is(err, ErrInvalidOptions) {
		t.Errorf("agent a.b: %v, want ErrInvalidOptions", err)
	}
	if _, err := Accounts("scarcity", marketUser, []User{agentUser("x"), agentUser("x")}); !errors.Is(err, ErrInvalidOptions) {
		t.Errorf("duplicate agents: %v, want ErrInvalidOptions", err)
	}
}

// ConfigFile configures an external server exactly as Accounts does an
// embedded one.
func TestConfigFile(t *testing.T) {
	agents := []User{agentUser("alice"), agentUser("bob")}
	conf, err := ConfigFile("scarcity", marketUser, agents)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "nats.conf")
	if err := os.WriteFile(path, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	opts, err := server.ProcessConfigFile(path)
	if err != nil {
		t.Fatalf("%v\n%s", err, conf)
	}
	want, err := Accounts("scarcity", marketUser, agents)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, opts.Users, cmp.AllowUnexported(server.User{})); diff != "" {
		t.Errorf("users (-Accounts +ConfigFile):\n%s", diff)
	}
}
