package bundle

import "github.com/scarcitylabs/scarcity/events"

// Bundle is an all-or-nothing set of resource quantities held over a window.
type Bundle struct {
	Quantities Quantities
	Window     Window
}

// Validate checks the quantities against c and the window.
func (b Bundle) Validate(c *Catalog) error {
	if err := b.Quantities.Validate(c); err != nil {
		return err
	}
	return b.Window.Validate()
}

// EventQuantities returns the quantities in their event form.
func (b Bundle) EventQuantities() events.Quantities {
	return events.Quantities(b.Quantities.Clone())
}

// EventWindow returns the window in its event form.
func (b Bundle) EventWindow() events.Window {
	return events.Window{Start: b.Window.Start.UTC(), DurationSeconds: b.Window.Seconds()}
}
