package process

import "errors"

// Sentinel errors returned by this package. Test for them with errors.Is.
var (
	// ErrUnsupported reports an operation on a platform other than Linux.
	ErrUnsupported = errors.New("process: unsupported platform")
	// ErrInvalidOptions reports Options that fail validation.
	ErrInvalidOptions = errors.New("process: invalid options")
	// ErrInvalidSpec reports a Spec, or an agent id, that fails validation.
	ErrInvalidSpec = errors.New("process: invalid spec")
	// ErrStart reports a process that could not be started: the program is
	// not found or not executable, a limit is above what this process may
	// grant, or the fork or exec failed.
	ErrStart = errors.New("process: start failed")
	// ErrTooManyProcesses reports a Start beyond Options.MaxProcesses live
	// processes.
	ErrTooManyProcesses = errors.New("process: too many processes")
	// ErrUnknownAgent reports an agent the Runner has started nothing for,
	// or has forgotten.
	ErrUnknownAgent = errors.New("process: unknown agent")
	// ErrStillRunning reports a Forget of an agent with live processes.
	ErrStillRunning = errors.New("process: agent still running")
	// ErrKill reports a Terminate that could not signal a process, or whose
	// context ended before every process was reaped.
	ErrKill = errors.New("process: kill failed")
)
