// Package nkeyfile reads NATS nkey seeds from files for the connect helpers
// of agentapi and natsauth: a seed lives in its own file, readable by its
// owner only, and is read when the connection authenticates, never kept.
package nkeyfile

import (
	"errors"
	"fmt"
	"os"
	"runtime"

	"github.com/nats-io/nats.go"
)

// ErrSeedFile reports a seed file that is missing, not a regular file,
// readable by others than its owner, or holding no user seed.
var ErrSeedFile = errors.New("nkey seed file")

// Check returns an error wrapping ErrSeedFile unless path is a regular file
// that only its owner may read or write (mode 0600 or stricter; not checked
// on Windows).
func Check(path string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrSeedFile, err)
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("%w: %s is not a regular file", ErrSeedFile, path)
	}
	if runtime.GOOS != "windows" && fi.Mode().Perm()&0o077 != 0 {
		return fmt.Errorf("%w: %s has mode %04o: others may read it; chmod 600 %s", ErrSeedFile, path, fi.Mode().Perm(), path)
	}
	return nil
}

// Option returns the nats.Connect option that authenticates with the user
// nkey whose seed is in path, after Check. nats.go reads the file again
// whenever it signs the server's challenge and wipes the seed after use.
func Option(path string) (nats.Option, error) {
	if err := Check(path); err != nil {
		return nil, err
	}
	opt, err := nats.NkeyOptionFromSeed(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrSeedFile, path, err)
	}
	return opt, nil
}
