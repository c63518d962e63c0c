//go:build linux

package process

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"time"
	"unsafe"
)

// supported reports whether this platform can run processes.
const supported = true

// cpuSlack is how far below a CPU limit the CPU time of a process killed
// for it may be: the kernel checks the limit on its own, coarser, sampling.
const cpuSlack = 100 * time.Millisecond

// clockTick is the unit of CPU times in /proc/<pid>/stat: USER_HZ, which
// Linux fixes at 100 on every architecture Go supports.
const clockTick = 10 * time.Millisecond

// newCmd builds the command of spec for the program at path, in its own
// process group. With limits, the program runs under a shell wrapper that
// sets them and execs it, so they hold from its first instruction.
func newCmd(opts Options, spec Spec, path string, stderr io.Writer) (*exec.Cmd, error) {
	cmd := &exec.Cmd{
		Path:        path,
		Args:        append([]string{path}, spec.Args...),
		Env:         spec.Env,
		Dir:         spec.Dir,
		Stdout:      spec.Stdout,
		Stderr:      stderr,
		SysProcAttr: &syscall.SysProcAttr{Setpgid: true},
		WaitDelay:   opts.WaitDelay,
	}
	if !spec.limited() {
		return cmd, nil
	}
	cpuHard, err := checkLimits(spec)
	if err != nil {
		return nil, err
	}
	shell, err := exec.LookPath(opts.Shell)
	if err != nil {
		return nil, fmt.Errorf("%w: shell: %w", ErrStart, err)
	}
	cmd.Path = shell
	cmd.Args = append([]string{shell, "-c", limitScript(spec, cpuHard), path}, spec.Args...)
	return cmd, nil
}

// checkLimits checks that this process may grant spec's limits (an
// unprivileged process cannot raise a hard limit) and returns the hard CPU
// limit in seconds: one second above the soft one where allowed, so that a
// program ignoring SIGXCPU still gets SIGKILL.
func checkLimits(spec Spec) (cpuHard int64, err error) {
	checks := []struct {
		name string
		res  int
		want int64
	}{
		{"memory", syscall.RLIMIT_AS, spec.Memory / 1024 * 1024},
		{"data", syscall.RLIMIT_DATA, spec.Data / 1024 * 1024},
		{"cpu", syscall.RLIMIT_CPU, spec.cpuSeconds()},
	}
	for _, c := range checks {
		if c.want == 0 {
			continue
		}
		var lim syscall.Rlimit
		if err := syscall.Getrlimit(c.res, &lim); err != nil {
			return 0, fmt.Errorf("%w: getrlimit %s: %w", ErrStart, c.name, err)
		}
		if uint64(c.want) > lim.Max {
			return 0, fmt.Errorf("%w: %s limit %d above the hard limit %d", ErrStart, c.name, c.want, lim.Max)
		}
		if c.res == syscall.RLIMIT_CPU {
			cpuHard = int64(min(uint64(c.want)+1, lim.Max))
		}
	}
	return cpuHard, nil
}

// signalGroup sends sig to the process group pgid. A group already gone is
// not an error.
func signalGroup(pgid int, sig syscall.Signal) error {
	err := syscall.Kill(-pgid, sig)
	if err == nil || errors.Is(err, syscall.ESRCH) {
		return nil
	}
	return err
}

// waitExited blocks until the child pid has exited, without reaping it.
func waitExited(pid int) {
	const pPID, wExited, wNoWait = 1, 4, 0x1000000
	var info [128]byte // siginfo_t
	for {
		_, _, errno := syscall.Syscall6(syscall.SYS_WAITID, pPID, uintptr(pid),
			uintptr(unsafe.Pointer(&info[0])), wExited|wNoWait, 0, 0)
		if errno != syscall.EINTR {
			return
		}
	}
}

// exitOf describes how p ended from its reaped state st.
func exitOf(p *Process, st *os.ProcessState) Exit {
	e := Exit{Agent: p.agent, PID: p.pid, Code: st.ExitCode(), CPU: st.UserTime() + st.SystemTime()}
	if ru, ok := st.SysUsage().(*syscall.Rusage); ok {
		e.PeakResident = ru.Maxrss * 1024 // KiB on Linux
	}
	ws, _ := st.Sys().(syscall.WaitStatus)
	if ws.Signaled() {
		e.Signal = ws.Signal()
	}
	e.Reason = p.terminatedBy()
	e.Cause = cause(p, e)
	if e.Cause != CauseTerminated {
		e.Reason = ""
	}
	return e
}

// cause decides why p ended as e says.
func cause(p *Process, e Exit) Cause {
	cpuLimit := time.Duration(p.spec.cpuSeconds()) * time.Second
	switch {
	case e.Reason != "":
		return CauseTerminated
	case e.Signal == syscall.SIGXCPU && cpuLimit > 0:
		return CauseCPULimit
	case e.Signal == syscall.SIGKILL && cpuLimit > 0 && e.CPU >= cpuLimit-cpuSlack:
		return CauseCPULimit
	case p.spec.memoryLimited() && memoryFailure(p, e):
		return CauseMemoryLimit
	case e.Signal != 0:
		return CauseSignaled
	}
	return CauseExited
}

// memoryFailure reports whether e looks like a refused allocation: a crash
// signal, or a failure with an out-of-memory message on stderr.
func memoryFailure(p *Process, e Exit) bool {
	switch e.Signal {
	case syscall.SIGSEGV, syscall.SIGBUS, syscall.SIGABRT:
		return true
	case 0:
		return e.Code != 0 && e.Code != ExitLimitsFailed && p.stderr.saysOutOfMemory()
	}
	return false
}

// readProc reads the CPU time and memory of the live process pid.
func readProc(pid int) (procSample, error) {
	dir := "/proc/" + strconv.Itoa(pid)
	stat, err := os.ReadFile(dir + "/stat")
	if err != nil {
		return procSample{}, err
	}
	var s procSample
	if s.cpu, err = parseStatCPU(stat); err != nil {
		return procSample{}, fmt.Errorf("%s/stat: %w", dir, err)
	}
	status, err := os.ReadFile(dir + "/status")
	if err != nil {
		return procSample{}, err
	}
	s.resident = statusBytes(status, "VmRSS:")
	s.peakResident = statusBytes(status, "VmHWM:")
	s.addressSpace = statusBytes(status, "VmSize:")
	return s, nil
}

// parseStatCPU returns utime+stime from the contents of /proc/<pid>/stat.
// The fields are counted after the command name's closing parenthesis,
// since the name may hold spaces and parentheses.
func parseStatCPU(stat []byte) (time.Duration, error) {
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, errors.New("no command name")
	}
	f := bytes.Fields(stat[i+1:]) // f[0] is field 3, state
	if len(f) < 13 {
		return 0, errors.New("too few fields")
	}
	utime, err1 := strconv.ParseInt(string(f[11]), 10, 64)
	stime, err2 := strconv.ParseInt(string(f[12]), 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return 0, err
	}
	return time.Duration(utime+stime) * clockTick, nil
}

// statusBytes returns the value in bytes of the "key  N kB" line of
// /proc/<pid>/status, or 0 if absent (a kernel thread or a zombie).
func statusBytes(status []byte, key string) int64 {
	for line := range bytes.Lines(status) {
		rest, ok := bytes.CutPrefix(line, []byte(key))
		if !ok {
			continue
		}
		f := bytes.Fields(rest)
		if len(f) == 0 {
			return 0
		}
		kb, err := strconv.ParseInt(string(f[0]), 10, 64)
		if err != nil {
			return 0
		}
		return kb * 1024
	}
	return 0
}
