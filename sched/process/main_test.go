package process_test

import (
	"fmt"
	"os"
	"testing"
)

// helperEnv names the helper a re-executed test binary runs instead of the
// tests.
const helperEnv = "PROCESS_TEST_HELPER"

// TestMain runs a helper when the test binary is started as a child process.
func TestMain(m *testing.M) {
	switch os.Getenv(helperEnv) {
	case "":
		os.Exit(m.Run())
	case "busy":
		busy()
	case "alloc":
		alloc()
	default:
		fmt.Fprintln(os.Stderr, "unknown helper", os.Getenv(helperEnv))
		os.Exit(3)
	}
}

// sink keeps the helpers' work from being optimised away.
var sink []byte

// busy spins forever.
func busy() {
	n := 0
	for {
		n++
		if n%(1<<30) == 0 {
			sink = nil
		}
	}
}

// alloc touches 2 GiB of memory, 16 MiB at a time, then exits 0.
func alloc() {
	var keep [][]byte
	for range 128 {
		b := make([]byte, 16<<20)
		for i := range b {
			b[i] = 1
		}
		keep = append(keep, b)
	}
	sink = keep[len(keep)-1]
	os.Exit(0)
}
