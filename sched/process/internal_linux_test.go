package process

import (
	"strings"
	"testing"
	"time"
)

func TestParseStatCPU(t *testing.T) {
	stat := "4242 (a (b) c) S 1 4242 4242 0 -1 4194304 100 0 0 0 250 50 0 0 20 0 1 0 12345 1000 10 18446744073709551615"
	got, err := parseStatCPU([]byte(stat))
	if err != nil || got != 3*time.Second {
		t.Errorf("parseStatCPU = %v, %v, want 3s (utime 250 + stime 50 ticks)", got, err)
	}
	for _, bad := range []string{"", "4242 (x", "4242 (x) S 1 2"} {
		if _, err := parseStatCPU([]byte(bad)); err == nil {
			t.Errorf("parseStatCPU(%q): no error", bad)
		}
	}
}

func TestStatusBytes(t *testing.T) {
	status := []byte("Name:\tsleep\nVmPeak:\t 8000 kB\nVmSize:\t 7000 kB\nVmHWM:\t 900 kB\nVmRSS:\t 800 kB\n")
	if got := statusBytes(status, "VmRSS:"); got != 800*1024 {
		t.Errorf("VmRSS = %d", got)
	}
	if got := statusBytes(status, "VmSwap:"); got != 0 {
		t.Errorf("missing VmSwap = %d, want 0", got)
	}
}

func TestLimitScript(t *testing.T) {
	got := limitScript(Spec{Memory: 1<<20 + 5, Data: 2048, CPU: 1500 * time.Millisecond}, 3)
	want := strings.Join([]string{
		"ulimit -v 1024 || exit 125",
		"ulimit -d 2 || exit 125",
		"ulimit -t 3 && ulimit -S -t 2 || exit 125",
		`exec "$0" "$@"`,
	}, "\n")
	if got != want {
		t.Errorf("limitScript:\n%s\nwant\n%s", got, want)
	}
}

func TestOOMScanner(t *testing.T) {
	s := &oomScanner{}
	for _, part := range []string{"dd: memory ex", "hausted by input buffer\n"} {
		_, _ = s.Write([]byte(part))
	}
	if !s.saysOutOfMemory() {
		t.Errorf("a message split across writes was missed")
	}
	if (&oomScanner{}).saysOutOfMemory() {
		t.Errorf("an empty stream says out of memory")
	}
}
