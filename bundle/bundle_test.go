package bundle_test

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/scarcitylabs/scarcity/bundle"
	"github.com/scarcitylabs/scarcity/events"
)

func TestBundleValidate(t *testing.T) {
	c := testCatalog(t)
	tests := []struct {
		name string
		b    bundle.Bundle
		want error
	}{
		{"valid", bundle.Bundle{Quantities: bundle.Quantities{"cpu": 1}, Window: win(0, 1)}, nil},
		{"empty", bundle.Bundle{Window: win(0, 1)}, bundle.ErrEmptyBundle},
		{"bad quantity", bundle.Bundle{Quantities: bundle.Quantities{"cpu": -1}, Window: win(0, 1)}, bundle.ErrInvalidQuantity},
		{"bad window", bundle.Bundle{Quantities: bundle.Quantities{"cpu": 1}, Window: bundle.Window{Start: t0, Duration: time.Millisecond}}, bundle.ErrInvalidWindow},
	}
	for _, tt := range tests {
		err := tt.b.Validate(c)
		if tt.want == nil && err != nil {
			t.Errorf("%s: %v", tt.name, err)
		}
		if !errors.Is(err, tt.want) {
			t.Errorf("%s: Validate = %v, want %v", tt.name, err, tt.want)
		}
	}
}

func TestBundleEventForm(t *testing.T) {
	b := bundle.Bundle{
		Quantities: bundle.Quantities{"cpu": 10, "memory": 256},
		Window:     bundle.Window{Start: t0.In(time.FixedZone("X", 3600)), Duration: 10 * time.Minute},
	}
	q := b.EventQuantities()
	if diff := cmp.Diff(events.Quantities{"cpu": 10, "memory": 256}, q); diff != "" {
		t.Errorf("EventQuantities (-want +got):\n%s", diff)
	}
	q["cpu"] = 1
	if b.Quantities["cpu"] != 10 {
		t.Error("EventQuantities shares the bundle's map")
	}
	w := b.EventWindow()
	if !w.Start.Equal(t0) || w.Start.Location() != time.UTC || w.DurationSeconds != 600 {
		t.Errorf("EventWindow = %+v", w)
	}
	unset := bundle.Bundle{Window: bundle.Window{Duration: time.Second}}.EventWindow()
	if !unset.Start.IsZero() {
		t.Errorf("EventWindow of an unset window has start %v", unset.Start)
	}
}
