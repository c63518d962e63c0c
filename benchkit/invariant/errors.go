package invariant

import (
	"errors"
	"fmt"
)

// ErrViolation is wrapped by every [*Violation]: errors.Is(err,
// ErrViolation) reports whether a check found a broken invariant.
var ErrViolation = errors.New("benchkit: invariant violated")

// ErrInvalidOptions is wrapped by the error of a check, or of report.Metrics,
// given [Options] it cannot use.
var ErrInvalidOptions = errors.New("benchkit: invalid options")

// Violation is one event that breaks one invariant.
type Violation struct {
	// Check names the invariant, such as "credits_conserved".
	Check string
	// EventID is the id of the event at which the invariant broke.
	EventID string
	// Detail says what is wrong, in words.
	Detail string
}

// Error returns a one-line description of the violation.
func (v *Violation) Error() string {
	return fmt.Sprintf("benchkit: %s violated at event %s: %s", v.Check, v.EventID, v.Detail)
}

// Unwrap returns ErrViolation, so that errors.Is(v, ErrViolation) holds.
func (v *Violation) Unwrap() error { return ErrViolation }
