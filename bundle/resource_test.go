package bundle_test

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/scarcitylabs/scarcity/bundle"
)

func TestNewCatalogRejects(t *testing.T) {
	tests := []struct {
		name string
		rs   []bundle.Resource
	}{
		{"empty name", []bundle.Resource{{Name: "", Capacity: 1}}},
		{"zero capacity", []bundle.Resource{{Name: "cpu", Capacity: 0}}},
		{"negative capacity", []bundle.Resource{{Name: "cpu", Capacity: -5}}},
		{"duplicate name", []bundle.Resource{{Name: "cpu", Capacity: 1}, {Name: "mem", Capacity: 1}, {Name: "cpu", Capacity: 2}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := bundle.NewCatalog(tt.rs...)
			if !errors.Is(err, bundle.ErrInvalidResource) {
				t.Fatalf("NewCatalog error = %v, want ErrInvalidResource", err)
			}
			if c != nil {
				t.Errorf("NewCatalog returned a catalog with its error")
			}
		})
	}
}

func TestCatalog(t *testing.T) {
	c := testCatalog(t)
	if diff := cmp.Diff([]string{"cpu", "memory", "tokens"}, c.Names()); diff != "" {
		t.Errorf("Names (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(bundle.Quantities{"cpu": 100, "memory": 1024, "tokens": 10000}, c.Capacity()); diff != "" {
		t.Errorf("Capacity (-want +got):\n%s", diff)
	}
	r, ok := c.Lookup("memory")
	want := bundle.Resource{Name: "memory", Unit: "MiB", Capacity: 1024, Enforcement: bundle.OSLevel}
	if !ok {
		t.Fatal("Lookup(memory) not found")
	}
	if diff := cmp.Diff(want, r); diff != "" {
		t.Errorf("Lookup (-want +got):\n%s", diff)
	}
	if _, ok := c.Lookup("gpu"); ok {
		t.Error("Lookup(gpu) found a resource not in the catalog")
	}
	rs := c.Resources()
	rs[0].Capacity = 1
	c.Capacity()["cpu"] = 1
	if got := c.Capacity()["cpu"]; got != 100 {
		t.Errorf("catalog changed through a returned value: cpu capacity %d", got)
	}
}

func TestNewCatalogCopiesInput(t *testing.T) {
	rs := []bundle.Resource{{Name: "cpu", Capacity: 10}}
	c, err := bundle.NewCatalog(rs...)
	if err != nil {
		t.Fatal(err)
	}
	rs[0].Capacity = 1
	if got := c.Capacity()["cpu"]; got != 10 {
		t.Errorf("catalog shares its caller's slice: capacity %d", got)
	}
}

func TestEnforcementString(t *testing.T) {
	if got := bundle.OSLevel.String(); got != "os" {
		t.Errorf("OSLevel = %q", got)
	}
	if got := bundle.ServiceLevel.String(); got != "service" {
		t.Errorf("ServiceLevel = %q", got)
	}
}
