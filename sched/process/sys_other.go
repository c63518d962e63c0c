//go:build !linux

package process

import (
	"io"
	"os"
	"os/exec"
	"syscall"
)

// supported reports whether this platform can run processes.
const supported = false

// newCmd fails: processes are only supported on Linux.
func newCmd(Options, Spec, string, io.Writer) (*exec.Cmd, error) { return nil, ErrUnsupported }

func signalGroup(int, syscall.Signal) error { return ErrUnsupported }

func waitExited(int) {}

func exitOf(p *Process, st *os.ProcessState) Exit {
	return Exit{Agent: p.agent, PID: p.pid, Code: st.ExitCode()}
}

func readProc(int) (procSample, error) { return procSample{}, ErrUnsupported }
