package bundle_test

import (
	"testing"
	"time"

	"github.com/scarcitylabs/scarcity/bundle"
)

// t0 is the instant the tests' windows are measured from.
var t0 = time.Date(2025, 3, 14, 12, 0, 0, 0, time.UTC)

// at returns the instant s seconds after t0.
func at(s int64) time.Time { return t0.Add(time.Duration(s) * time.Second) }

// win returns the window of secs seconds starting s seconds after t0.
func win(s, secs int64) bundle.Window {
	return bundle.Window{Start: at(s), Duration: time.Duration(secs) * time.Second}
}

// testCatalog returns a catalog of cpu (capacity 100), memory (1024) and
// tokens (10000), or fails the test.
func testCatalog(tb testing.TB) *bundle.Catalog {
	tb.Helper()
	c, err := bundle.NewCatalog(
		bundle.Resource{Name: "memory", Unit: "MiB", Capacity: 1024, Enforcement: bundle.OSLevel},
		bundle.Resource{Name: "cpu", Unit: "percent", Capacity: 100, Enforcement: bundle.OSLevel},
		bundle.Resource{Name: "tokens", Unit: "token", Capacity: 10000, Enforcement: bundle.ServiceLevel},
	)
	if err != nil {
		tb.Fatalf("NewCatalog: %v", err)
	}
	return c
}

// mustBook books b under id or fails the test.
func mustBook(tb testing.TB, c *bundle.Calendar, id string, b bundle.Bundle) {
	tb.Helper()
	if err := c.Book(id, b); err != nil {
		tb.Fatalf("Book(%q, %v): %v", id, b, err)
	}
}
