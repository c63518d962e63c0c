package process_test

import (
	"errors"
	"syscall"
	"testing"
	"time"

	"github.com/scarcitylabs/scarcity/sched/process"
)

func TestNewOptions(t *testing.T) {
	tests := []struct {
		name string
		opts process.Options
		want error
	}{
		{"zero", process.Options{}, nil},
		{"negative grace", process.Options{Grace: -time.Second}, process.ErrInvalidOptions},
		{"negative max", process.Options{MaxProcesses: -1}, process.ErrInvalidOptions},
		{"negative wait delay", process.Options{WaitDelay: -1}, process.ErrInvalidOptions},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := process.New(tt.opts); !errors.Is(err, tt.want) {
				t.Errorf("New: %v, want %v", err, tt.want)
			}
		})
	}
}

func TestExitString(t *testing.T) {
	tests := []struct {
		e    process.Exit
		want string
	}{
		{process.Exit{Code: 0}, "exited with code 0"},
		{process.Exit{Code: -1, Signal: syscall.Signal(9), Cause: process.CauseCPULimit}, "cpu_limit (signal 9)"},
		{process.Exit{Code: 1, Cause: process.CauseMemoryLimit}, "memory_limit (code 1)"},
		{process.Exit{Code: -1, Signal: syscall.Signal(15), Cause: process.CauseTerminated, Reason: "expired"}, "terminated: expired (signal 15)"},
		{process.Exit{Cause: process.Cause(42)}, "Cause(42) (code 0)"},
	}
	for _, tt := range tests {
		if got := tt.e.String(); got != tt.want {
			t.Errorf("%+v.String() = %q, want %q", tt.e, got, tt.want)
		}
	}
	if !(process.Exit{}).Success() || (process.Exit{Code: 1}).Success() {
		t.Errorf("Success: want true only for code 0")
	}
}

func TestSampleOptions(t *testing.T) {
	r, err := process.New(process.Options{})
	if err != nil {
		t.Fatal(err)
	}
	err = r.Sample(t.Context(), process.SamplerOptions{Interval: -time.Second}, func(string, string, int64) {})
	if !errors.Is(err, process.ErrInvalidOptions) {
		t.Errorf("Sample with a negative interval: %v, want ErrInvalidOptions", err)
	}
}
