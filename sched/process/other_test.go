//go:build !linux

package process_test

import (
	"errors"
	"testing"

	"github.com/scarcitylabs/scarcity/sched/process"
)

func TestUnsupported(t *testing.T) {
	r, err := process.New(process.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Start(t.Context(), "a", process.Spec{Path: "true"}); !errors.Is(err, process.ErrUnsupported) {
		t.Errorf("Start: %v, want ErrUnsupported", err)
	}
	if err := r.Terminate(t.Context(), "a", "expired"); err != nil {
		t.Errorf("Terminate with nothing running: %v", err)
	}
	t.Log("processes are supported on Linux only; the other tests are skipped on this platform")
}
