package bundle_test

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/scarcitylabs/scarcity/bundle"
)

func TestQuantitiesValidate(t *testing.T) {
	tests := []struct {
		name string
		q    bundle.Quantities
		want error
	}{
		{"one resource", bundle.Quantities{"cpu": 10}, nil},
		{"all at capacity", bundle.Quantities{"cpu": 100, "memory": 1024, "tokens": 10000}, nil},
		{"nil", nil, bundle.ErrEmptyBundle},
		{"empty", bundle.Quantities{}, bundle.ErrEmptyBundle},
		{"unknown resource", bundle.Quantities{"cpu": 1, "gpu": 1}, bundle.ErrUnknownResource},
		{"zero", bundle.Quantities{"cpu": 0}, bundle.ErrInvalidQuantity},
		{"negative", bundle.Quantities{"memory": -1}, bundle.ErrInvalidQuantity},
		{"over capacity", bundle.Quantities{"cpu": 101}, bundle.ErrExceedsCapacity},
	}
	c := testCatalog(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.q.Validate(c)
			if tt.want == nil && err != nil {
				t.Fatalf("Validate: %v", err)
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("Validate error = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestQuantitiesFits(t *testing.T) {
	free := bundle.Quantities{"cpu": 10, "memory": 100}
	tests := []struct {
		q    bundle.Quantities
		want bool
	}{
		{bundle.Quantities{"cpu": 10}, true},
		{bundle.Quantities{"cpu": 10, "memory": 100}, true},
		{bundle.Quantities{"cpu": 11}, false},
		{bundle.Quantities{"cpu": 1, "memory": 101}, false},
		{bundle.Quantities{"tokens": 1}, false},
		{bundle.Quantities{}, true},
	}
	for _, tt := range tests {
		if got := tt.q.Fits(free); got != tt.want {
			t.Errorf("%v.Fits(%v) = %v, want %v", tt.q, free, got, tt.want)
		}
	}
}

func TestQuantitiesNamesAndClone(t *testing.T) {
	q := bundle.Quantities{"tokens": 1, "cpu": 2, "memory": 3}
	if diff := cmp.Diff([]string{"cpu", "memory", "tokens"}, q.Names()); diff != "" {
		t.Errorf("Names (-want +got):\n%s", diff)
	}
	c := q.Clone()
	c["cpu"] = 99
	if q["cpu"] != 2 {
		t.Error("Clone shares its map")
	}
}

func TestQuantitiesValidateNilCatalog(t *testing.T) {
	if err := (bundle.Quantities{"cpu": 1}).Validate(nil); !errors.Is(err, bundle.ErrUnknownResource) {
		t.Errorf("Validate(nil) = %v, want ErrUnknownResource", err)
	}
	if err := (bundle.Quantities{}).Validate(nil); !errors.Is(err, bundle.ErrEmptyBundle) {
		t.Errorf("empty Validate(nil) = %v, want ErrEmptyBundle", err)
	}
	b := bundle.Bundle{Quantities: bundle.Quantities{"cpu": 1}, Window: win(0, 1)}
	if err := bundle.NewCalendar(nil).Check(b); !errors.Is(err, bundle.ErrUnknownResource) {
		t.Errorf("Check on a calendar without catalog = %v, want ErrUnknownResource", err)
	}
}

func TestQuantitiesValidateReportsFirstFaultByName(t *testing.T) {
	q := bundle.Quantities{"cpu": 0, "gpu": 1, "memory": -1, "tokens": 1}
	for range 20 { // map order varies from call to call
		if err := q.Validate(testCatalog(t)); !errors.Is(err, bundle.ErrInvalidQuantity) || err.Error() != `bundle: invalid quantity: "cpu" quantity 0` {
			t.Fatalf("Validate = %v, want the fault of cpu", err)
		}
	}
}

func TestQuantitiesValidateDoesNotAllocate(t *testing.T) {
	c, q := testCatalog(t), bundle.Quantities{"cpu": 1, "memory": 2, "tokens": 3}
	if n := testing.AllocsPerRun(100, func() {
		if err := q.Validate(c); err != nil {
			t.Fatal(err)
		}
	}); n != 0 {
		t.Errorf("Validate allocates %v times", n)
	}
}
