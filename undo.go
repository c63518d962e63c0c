package scarcity

import (
	"errors"

	"github.com/scarcitylabs/scarcity/events"
)

// undo returns err joined with what compensate returns, the step that
// takes back the earlier steps of an operation whose later step failed
// with err. If err is in doubt (events.ErrInDoubt: the failed step may be
// in the stream) or a writer is fenced (events.ErrFenced), nothing is
// taken back: the stream decides, and a market restored from it completes
// or undoes the operation (see Restore).
func (m *Market) undo(err error, compensate func() error) error {
	if errors.Is(err, events.ErrInDoubt) || errors.Is(err, events.ErrFenced) {
		return err
	}
	return errors.Join(err, compensate())
}
