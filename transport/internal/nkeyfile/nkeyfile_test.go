package nkeyfile

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/nats-io/nkeys"
)

func TestOption(t *testing.T) {
	dir := t.TempDir()
	kp, err := nkeys.CreateUser()
	if err != nil {
		t.Fatal(err)
	}
	seed, err := kp.Seed()
	if err != nil {
		t.Fatal(err)
	}
	acct, err := nkeys.CreateAccount()
	if err != nil {
		t.Fatal(err)
	}
	acctSeed, err := acct.Seed()
	if err != nil {
		t.Fatal(err)
	}
	write := func(name string, data []byte, mode os.FileMode) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil {
			t.Fatal(err)
		}
		return p
	}
	if _, err := Option(write("ok.nk", seed, 0o600)); err != nil {
		t.Errorf("a user seed with mode 0600: %v", err)
	}
	bad := map[string]string{
		"missing":      filepath.Join(dir, "nope.nk"),
		"directory":    dir,
		"not a seed":   write("junk.nk", []byte("hello"), 0o600),
		"account seed": write("acct.nk", acctSeed, 0o600),
	}
	if runtime.GOOS != "windows" {
		bad["group readable"] = write("open.nk", seed, 0o640)
	}
	for name, p := range bad {
		if _, err := Option(p); !errors.Is(err, ErrSeedFile) {
			t.Errorf("%s: %v, want ErrSeedFile", name, err)
		}
	}
}
