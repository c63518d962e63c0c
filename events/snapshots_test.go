package events_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/scarcitylabs/scarcity/events"
)

// The full SnapshotStore suite runs against MemorySnapshots in package
// transport (transporttest.RunSnapshotStore); these are its own checks.

func TestMemorySnapshots(t *testing.T) {
	ctx := context.Background()
	s := events.NewMemorySnapshots()
	if err := s.PutSnapshot(ctx, "run/00000000000000000002-ab", []byte("two")); err != nil {
		t.Fatal(err)
	}
	if err := s.PutSnapshot(ctx, "run/00000000000000000001-cd", nil); err != nil {
		t.Fatal(err)
	}
	got, err := s.GetSnapshot(ctx, "run/00000000000000000001-cd")
	if err != nil || got == nil || len(got) != 0 {
		t.Errorf("GetSnapshot of nil data = %#v, %v; want empty, not nil", got, err)
	}
	if _, err := s.GetSnapshot(ctx, "run/3"); !errors.Is(err, events.ErrNoSnapshot) {
		t.Errorf("GetSnapshot of a missing one = %v", err)
	}
	names, err := s.ListSnapshots(ctx, "run/")
	if err != nil || fmt.Sprint(names) != "[run/00000000000000000001-cd run/00000000000000000002-ab]" {
		t.Errorf("ListSnapshots = %q, %v", names, err)
	}
	for _, name := range []string{"", "\xff"} {
		if err := s.PutSnapshot(ctx, name, nil); !errors.Is(err, events.ErrSnapshotName) {
			t.Errorf("PutSnapshot(%q) = %v, want ErrSnapshotName", name, err)
		}
	}
}

func TestValidSnapshotName(t *testing.T) {
	for name, want := range map[string]bool{
		"": false, "\xff\xfe": false, "a": true, "run.1/00000000000000000042-0badc0de": true, "ü\x00>*": true,
	} {
		if got := events.ValidSnapshotName(name); got != want {
			t.Errorf("ValidSnapshotName(%q) = %t, want %t", name, got, want)
		}
	}
}

func ExampleMemorySnapshots() {
	ctx := context.Background()
	s := events.NewMemorySnapshots()
	_ = s.PutSnapshot(ctx, "run-1/00000000000000000120-9f", []byte("state after 120"))
	_ = s.PutSnapshot(ctx, "run-1/00000000000000000080-3c", []byte("state after 80"))
	names, _ := s.ListSnapshots(ctx, "run-1/")
	newest, _ := s.GetSnapshot(ctx, names[len(names)-1])
	fmt.Println(names)
	fmt.Printf("%s\n", newest)
	_, err := s.GetSnapshot(ctx, "run-2/00000000000000000001-00")
	fmt.Println(errors.Is(err, events.ErrNoSnapshot))
	// Output:
	// [run-1/00000000000000000080-3c run-1/00000000000000000120-9f]
	// state after 120
	// true
}

func TestMemorySnapshotsZeroValue(t *testing.T) {
	ctx := context.Background()
	var s events.MemorySnapshots
	if _, err := s.GetSnapshot(ctx, "a"); !errors.Is(err, events.ErrNoSnapshot) {
		t.Errorf("GetSnapshot of the zero store = %v", err)
	}
	if err := s.DeleteSnapshot(ctx, "a"); err != nil {
		t.Error(err)
	}
	if err := s.PutSnapshot(ctx, "a", []byte("a")); err != nil {
		t.Fatal(err)
	}
	if got, err := s.GetSnapshot(ctx, "a"); err != nil || string(got) != "a" {
		t.Errorf("GetSnapshot = %q, %v", got, err)
	}
}
