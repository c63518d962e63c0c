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
// positive and within the resource's capacity. Of several faults, it reports
// that of the first resource in name order. A nil catalog has no resources.
func (q Quantities) Validate(c *Catalog) error {
	if len(q) == 0 {
		return ErrEmptyBundle
	}
	for name, n := range q {
		if validateQuantity(c, name, n) != nil {
			return q.firstFault(c)
		}
	}
	return nil
}

// firstFault returns the fault of the first resource of q, in name order,
// whose quantity does not validate against c.
func (q Quantities) firstFault(c *Catalog) error {
	for _, name := range q.Names() {
		if err := validateQuantity(c, name, q[name]); err != nil {
			return err
		}
	}
	return nil
}

// validateQuantity checks n of the resource called name against c.
func validateQuantity(c *Catalog, name string, n int64) error {
	if c == nil {
		return fmt.Errorf("%w: %q: no catalog", ErrUnknownResource, name)
	}
	r, ok := c.Lookup(name)
	switch {
	case !ok:
		return fmt.Errorf("%w: %q", ErrUnknownResource, name)
	case n <= 0:
		return fmt.Errorf("%w: %q quantity %d", ErrInvalidQuantity, name, n)
	case n > r.Capacity:
		return fmt.Errorf("%w: %q quantity %d over capacity %d", ErrExceedsCapacity, name, n, r.Capacity)
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
