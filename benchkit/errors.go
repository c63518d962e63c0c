package benchkit

import "errors"

// ErrViolation is wrapped by every [*Violation]: errors.Is(err,
// ErrViolation) reports whether a check found a broken invariant.
var ErrViolation = errors.New("benchkit: invariant violated")
