package agentapi

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/nats-io/nkeys"
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
	dir := t.TempDir()
	seed := filepath.Join(dir, "alice.nk")
	kp, err := nkeys.CreateUser()
	if err != nil {
		t.Fatal(err)
	}
	b, err := kp.Seed()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(seed, b, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := NkeyOptions("alice", seed); err != nil {
		t.Errorf("NkeyOptions: %v", err)
	}
	for name, args := range map[string][2]string{
		"agent a.b":       {"a.b", seed},
		"no seed file":    {"alice", filepath.Join(dir, "nope.nk")},
		"empty agent":     {"", seed},
		"not a seed file": {"alice", dir},
	} {
		if _, err := NkeyOptions(args[0], args[1]); !errors.Is(err, ErrInvalidOptions) {
			t.Errorf("%s: NkeyOptions: %v, want ErrInvalidOptions", name, err)
		}
	}
}
