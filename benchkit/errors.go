package benchkit

import "errors"

// ErrViolation is wrapped by every [*Violation]: errors.Is(err,
// ErrViolation) reports whether a check found a broken invariant.
var ErrViolation = errors.New("benchkit: invariant violated")

// ErrOptions is wrapped by the error of a check or of [Metrics] given
// options it cannot use.
var ErrOptions = errors.New("benchkit: invalid options")
