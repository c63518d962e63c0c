package bundle

import (
	"fmt"
	"slices"
	"strings"
)

// Enforcement says how the scheduler enforces a resource.
type Enforcement int

const (
	// ServiceLevel resources (LLM tokens, attention, LLM spend) are consumed
	// request by request; a request beyond the bundle is denied.
	ServiceLevel Enforcement = iota
	// OSLevel resources (CPU, memory) are sampled from a running process;
	// usage beyond the bundle terminates the agent.
	OSLevel
)

// String returns "service" or "os".
func (e Enforcement) String() string {
	if e == OSLevel {
		return "os"
	}
	return "service"
}

// Resource is a finite resource: Capacity units of Unit are available at
// every instant.
type Resource struct {
	Name        string
	Unit        string
	Capacity    int64
	Enforcement Enforcement
}

// Catalog is an immutable set of resources, in name order.
type Catalog struct {
	resources []Resource
	index     map[string]int
}

// NewCatalog returns a catalog of rs. Names must be unique and non-empty and
// capacities positive.
func NewCatalog(rs ...Resource) (*Catalog, error) {
	c := &Catalog{resources: slices.Clone(rs), index: make(map[string]int, len(rs))}
	slices.SortFunc(c.resources, func(a, b Resource) int { return strings.Compare(a.Name, b.Name) })
	for i, r := range c.resources {
		if r.Name == "" || r.Capacity <= 0 {
			return nil, fmt.Errorf("%w: %q capacity %d", ErrInvalidResource, r.Name, r.Capacity)
		}
		if _, dup := c.index[r.Name]; dup {
			return nil, fmt.Errorf("%w: duplicate %q", ErrInvalidResource, r.Name)
		}
		c.index[r.Name] = i
	}
	return c, nil
}

// Resources returns the catalog's resources in name order.
func (c *Catalog) Resources() []Resource { return slices.Clone(c.resources) }

// Names returns the resource names in order.
func (c *Catalog) Names() []string {
	names := make([]string, len(c.resources))
	for i, r := range c.resources {
		names[i] = r.Name
	}
	return names
}

// Lookup returns the resource called name.
func (c *Catalog) Lookup(name string) (Resource, bool) {
	i, ok := c.index[name]
	if !ok {
		return Resource{}, false
	}
	return c.resources[i], true
}

// Capacity returns the capacity of every resource.
func (c *Catalog) Capacity() Quantities {
	q := make(Quantities, len(c.resources))
	for _, r := range c.resources {
		q[r.Name] = r.Capacity
	}
	return q
}
