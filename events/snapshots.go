package events

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"unicode/utf8"
)

// ValidSnapshotName reports whether a SnapshotStore of this module stores
// a snapshot under name: a name that is not empty and is valid UTF-8 (a
// store may keep names as text). Any byte sequence of that kind will do,
// '/' and '.' included; the market names its snapshots
// "<correlation>/<the 20-digit market sequence of its snapshot_taken>".
func ValidSnapshotName(name string) bool { return name != "" && utf8.ValidString(name) }

// MemorySnapshots is an in-memory SnapshotStore: the snapshots of a writer
// whose stream is a Log, or of a test. It copies the bytes it is given and
// the bytes it returns, so neither side sees the other's later changes. It
// is safe for concurrent use; the zero value is an empty store. It holds
// what it is given until it is deleted: the writer that puts snapshots
// deletes the old ones.
type MemorySnapshots struct {
	mu   sync.RWMutex
	data map[string][]byte
}

var _ SnapshotStore = (*MemorySnapshots)(nil)

// NewMemorySnapshots returns an empty store.
func NewMemorySnapshots() *MemorySnapshots {
	return &MemorySnapshots{data: make(map[string][]byte)}
}

// PutSnapshot stores a copy of data as name, replacing any snapshot of that
// name. A name that is not valid (ValidSnapshotName) is refused with
// ErrSnapshotName.
func (s *MemorySnapshots) PutSnapshot(ctx context.Context, name string, data []byte) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if !ValidSnapshotName(name) {
		return fmt.Errorf("%w: %q", ErrSnapshotName, name)
	}
	cp := make([]byte, len(data))
	copy(cp, data)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.data == nil {
		s.data = make(map[string][]byte)
	}
	s.data[name] = cp
	return nil
}

// GetSnapshot returns a copy of the snapshot name, or an error wrapping
// ErrNoSnapshot if the store holds none of that name.
func (s *MemorySnapshots) GetSnapshot(ctx context.Context, name string) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	data, ok := s.data[name]
	if !ok {
		return nil, fmt.Errorf("%w: %q", ErrNoSnapshot, name)
	}
	cp := make([]byte, len(data))
	copy(cp, data)
	return cp, nil
}

// ListSnapshots returns the names of the snapshots that begin with prefix,
// in ascending byte order.
func (s *MemorySnapshots) ListSnapshots(ctx context.Context, prefix string) ([]string, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.RLock()
	var names []string
	for name := range s.data {
		if strings.HasPrefix(name, prefix) {
			names = append(names, name)
		}
	}
	s.mu.RUnlock()
	slices.Sort(names)
	return names, nil
}

// DeleteSnapshot removes the snapshot name; removing one the store does not
// hold is not an error.
func (s *MemorySnapshots) DeleteSnapshot(ctx context.Context, name string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.data, name)
	return nil
}
