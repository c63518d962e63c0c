package bundle

import (
	"fmt"
	"maps"
	"slices"
)

// Quantities maps resource names to quantities in each resource's unit.
type Quantities map[string]int64

// Names returns the resource names in q, sorted.
func (q Quantities) Names() []string {
	return slices.Sorted(maps.Keys(q))
}

// Clone returns a copy of q.
func (q Quantities) Clone() Quantities { return maps.Clone(q) }

// Validate checks that every resource of q is in c, and every quantity is
// positive and within the resource's capacity.
func (q Quantities) Validate(c *Catalog) error {
	if len(q) == 0 {
		return ErrEmptyBundle
	}
	for _, name := range q.Names() {
		r, ok := c.Lookup(name)
		if !ok {
			return fmt.Errorf("%w: %q", ErrUnknownResource, name)
		}
		if n := q[name]; n <= 0 {
			return fmt.Errorf("%w: %q quantity %d", ErrInvalidQuantity, name, n)
		} else if n > r.Capacity {
			return fmt.Errorf("%w: %q quantity %d over capacity %d", ErrExceedsCapacity, name, n, r.Capacity)
		}
	}
	return nil
}

// Fits reports whether q is at most free for every resource of q.
func (q Quantities) Fits(free Quantities) bool {
	for name, n := range q {
		if n > free[name] {
			return false
		}
	}
	return true
}
