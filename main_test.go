package scarcity_test

import (
	"os"
	"testing"
)

// TestMain runs the package's tests and benchmarks, then removes what the
// benchmarks left on disk.
func TestMain(m *testing.M) {
	code := m.Run()
	removeRestoreFixtures()
	os.Exit(code)
}
