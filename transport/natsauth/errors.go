package natsauth

import "errors"

// Sentinel errors of this package. Test for them with errors.Is.
var (
	// ErrInvalid reports a Deployment, Limits or Keys out of bounds: an
	// invalid or duplicate prefix, stream or agent id, prefixes that
	// overlap, a missing or duplicate key, a limit out of its range.
	ErrInvalid = errors.New("natsauth: invalid deployment")
	// ErrSeedFile reports a seed file that cannot be read or written, is
	// readable by others than its owner, or holds no user seed.
	ErrSeedFile = errors.New("natsauth: seed file")
	// ErrTLS reports certificates that cannot be generated, read or
	// written.
	ErrTLS = errors.New("natsauth: tls")
)
