package transporttest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/scarcitylabs/scarcity/events"
)

// SnapshotHarness is what a snapshot store's test gives [RunSnapshotStore].
type SnapshotHarness struct {
	// New returns an empty store: no snapshot put through an earlier
	// store is visible in it. New releases what it makes with t.Cleanup.
	// Required.
	New func(t *testing.T) events.SnapshotStore
	// Timeout bounds every call; zero means DefaultTimeout.
	Timeout time.Duration
}

// snapshotCase is one subtest of RunSnapshotStore.
type snapshotCase struct {
	name string
	run  func(t *testing.T, s snapshotSuite)
}

var snapshotCases = []snapshotCase{
	{"PutGet", testSnapshotPutGet},
	{"Replace", testSnapshotReplace},
	{"Missing", testSnapshotMissing},
	{"List", testSnapshotList},
	{"Delete", testSnapshotDelete},
	{"Copies", testSnapshotCopies},
	{"Cancelled", testSnapshotCancelled},
	{"Concurrent", testSnapshotConcurrent},
}

// RunSnapshotStore runs the conformance suite of events.SnapshotStore
// against the stores h makes, one subtest per case, each on a new store.
func RunSnapshotStore(t *testing.T, h SnapshotHarness) {
	t.Helper()
	if h.New == nil {
		t.Fatal("transporttest: SnapshotHarness.New is nil")
	}
	timeout := h.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	for _, c := range snapshotCases {
		t.Run(c.name, func(t *testing.T) {
			st := h.New(t)
			if st == nil {
				t.Fatal("SnapshotHarness.New returned nil")
			}
			c.run(t, snapshotSuite{st: st, timeout: timeout})
		})
	}
}

// snapshotSuite is the store a case works on and the bound on each call.
type snapshotSuite struct {
	st      events.SnapshotStore
	timeout time.Duration
}

func (s snapshotSuite) ctx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), s.timeout)
	t.Cleanup(cancel)
	return ctx
}

func (s snapshotSuite) put(t testing.TB, name string, data []byte) {
	t.Helper()
	if err := s.st.PutSnapshot(s.ctx(t), name, data); err != nil {
		t.Fatalf("PutSnapshot(%q, %d bytes): %v", name, len(data), err)
	}
}

// get checks that name holds want.
func (s snapshotSuite) get(t testing.TB, name string, want []byte) {
	t.Helper()
	got, err := s.st.GetSnapshot(s.ctx(t), name)
	if err != nil {
		t.Fatalf("GetSnapshot(%q): %v", name, err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("GetSnapshot(%q) = %d bytes %.16q, want %d bytes %.16q", name, len(got), got, len(want), want)
	}
}

// missing checks that the store holds no snapshot name.
func (s snapshotSuite) missing(t testing.TB, name string) {
	t.Helper()
	if got, err := s.st.GetSnapshot(s.ctx(t), name); !errors.Is(err, events.ErrNoSnapshot) {
		t.Errorf("GetSnapshot(%q) = %d bytes, %v; want ErrNoSnapshot", name, len(got), err)
	}
}

func (s snapshotSuite) list(t testing.TB, prefix string, want ...string) {
	t.Helper()
	got, err := s.st.ListSnapshots(s.ctx(t), prefix)
	if err != nil {
		t.Fatalf("ListSnapshots(%q): %v", prefix, err)
	}
	if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("ListSnapshots(%q) (-want +got):\n%s", prefix, diff)
	}
}

func (s snapshotSuite) delete(t testing.TB, name string) {
	t.Helper()
	if err := s.st.DeleteSnapshot(s.ctx(t), name); err != nil {
		t.Fatalf("DeleteSnapshot(%q): %v", name, err)
	}
}

// blob returns n bytes drawn from a source seeded with seed.
func blob(seed uint64, n int) []byte {
	r := rand.New(rand.NewPCG(seed, 0x5a4b))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// snapshotName returns a name as a market makes them: the correlation,
// '/', a 20-digit stream sequence, '-' and a hex digest.
func snapshotName(corr string, seq uint64) string {
	return fmt.Sprintf("%s/%020d-%08x", corr, seq, seq*2654435761)
}

// testSnapshotPutGet: a snapshot reads back as it was put: small, empty,
// and larger than a chunk of a store that chunks (300 KiB).
func testSnapshotPutGet(t *testing.T, s snapshotSuite) {
	for _, c := range []struct {
		name string
		data []byte
	}{
		{snapshotName("run.1", 42), []byte("state at 42")},
		{"empty", []byte{}},
		{"large", blob(1, 300<<10)},
		{"odd/\x00ü .name>*", blob(2, 1000)},
	} {
		s.put(t, c.name, c.data)
		s.get(t, c.name, c.data)
	}
}

// testSnapshotReplace: a put of a name held replaces its snapshot, larger
// or smaller; the name is listed once.
func testSnapshotReplace(t *testing.T, s snapshotSuite) {
	name := snapshotName("run", 7)
	s.put(t, name, []byte("first"))
	s.put(t, name, blob(3, 200<<10))
	s.get(t, name, blob(3, 200<<10))
	s.put(t, name, []byte("third"))
	s.get(t, name, []byte("third"))
	s.list(t, "", name)
}

// testSnapshotMissing: a name never put, and the empty name, are
// ErrNoSnapshot; deleting one is not an error; putting the empty name, or
// one that is not UTF-8, fails with ErrSnapshotName and stores nothing.
func testSnapshotMissing(t *testing.T, s snapshotSuite) {
	s.missing(t, "never-put")
	s.missing(t, "")
	s.delete(t, "never-put")
	for _, name := range []string{"", "bad-\xff-utf8"} {
		if err := s.st.PutSnapshot(s.ctx(t), name, []byte("x")); !errors.Is(err, events.ErrSnapshotName) {
			t.Errorf("PutSnapshot(%q) = %v, want ErrSnapshotName", name, err)
		}
	}
	s.list(t, "")
}

// testSnapshotList: names are listed by prefix in ascending byte order,
// whatever the order they were put in; a prefix that selects none lists
// none.
func testSnapshotList(t *testing.T, s snapshotSuite) {
	names := []string{
		snapshotName("run-a", 10), snapshotName("run-a", 2), snapshotName("run-a", 1000),
		snapshotName("run-b", 5), "run-a", "run-a.x", "run-a/", "Run-a/0",
	}
	for i, n := range names {
		s.put(t, n, []byte{byte(i)})
	}
	sorted := slices.Sorted(slices.Values(names))
	s.list(t, "", sorted...)
	s.list(t, "run-a/", "run-a/", snapshotName("run-a", 2), snapshotName("run-a", 10), snapshotName("run-a", 1000))
	s.list(t, "run-a", "run-a", "run-a.x", "run-a/", snapshotName("run-a", 2), snapshotName("run-a", 10), snapshotName("run-a", 1000))
	s.list(t, snapshotName("run-b", 5), snapshotName("run-b", 5))
	s.list(t, "run-c/")
	for i, n := range names {
		s.get(t, n, []byte{byte(i)})
	}
}

// testSnapshotDelete: a deleted snapshot is ErrNoSnapshot and not listed;
// deleting it again is not an error; the others stay; the name can be put
// again.
func testSnapshotDelete(t *testing.T, s snapshotSuite) {
	a, b := snapshotName("run", 1), snapshotName("run", 2)
	s.put(t, a, blob(4, 150<<10))
	s.put(t, b, []byte("b"))
	s.delete(t, a)
	s.missing(t, a)
	s.list(t, "", b)
	s.delete(t, a)
	s.get(t, b, []byte("b"))
	s.put(t, a, []byte("again"))
	s.get(t, a, []byte("again"))
	s.list(t, "run/", a, b)
	s.delete(t, a)
	s.delete(t, b)
	s.list(t, "")
	s.missing(t, b)
}

// testSnapshotCopies: the store keeps no reference to the bytes it was
// given, nor to those it returned.
func testSnapshotCopies(t *testing.T, s snapshotSuite) {
	data := []byte("original")
	s.put(t, "c", data)
	copy(data, "CHANGED!")
	got, err := s.st.GetSnapshot(s.ctx(t), "c")
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != "original" {
		t.Fatalf("after the caller changed the bytes it put: %q", got)
	}
	copy(got, "changed!")
	s.get(t, "c", []byte("original"))
}

// testSnapshotCancelled: a call with a cancelled context fails and a put
// stores nothing.
func testSnapshotCancelled(t *testing.T, s snapshotSuite) {
	s.put(t, "kept", []byte("kept"))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := s.st.PutSnapshot(ctx, "x", []byte("x")); err == nil {
		t.Error("PutSnapshot with a cancelled context succeeded")
	}
	if _, err := s.st.GetSnapshot(ctx, "kept"); err == nil || errors.Is(err, events.ErrNoSnapshot) {
		t.Errorf("GetSnapshot with a cancelled context = %v", err)
	}
	if _, err := s.st.ListSnapshots(ctx, ""); err == nil {
		t.Error("ListSnapshots with a cancelled context succeeded")
	}
	if err := s.st.DeleteSnapshot(ctx, "kept"); err == nil {
		t.Error("DeleteSnapshot with a cancelled context succeeded")
	}
	s.list(t, "", "kept")
	s.get(t, "kept", []byte("kept"))
}

// testSnapshotConcurrent: writers put, read, list and delete their own
// snapshots at once, and replace and read one they share: each sees its
// own snapshots exactly, a read of the shared one returns one of the
// versions put whole, and the store ends as the writers left it.
func testSnapshotConcurrent(t *testing.T, s snapshotSuite) {
	const writers, rounds = 6, 8
	version := func(v int) []byte { return blob(uint64(100+v), 1000+v*37) }
	s.put(t, "shared", version(0))
	var wg sync.WaitGroup
	errs := make(chan error, writers*rounds*4)
	for w := range writers {
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(context.Background(), s.timeout)
			defer cancel()
			prefix := fmt.Sprintf("w%d/", w)
			var kept []string
			for i := range rounds {
				name := snapshotName(fmt.Sprintf("w%d", w), uint64(i))
				data := []byte(name)
				if err := s.st.PutSnapshot(ctx, name, data); err != nil {
					errs <- fmt.Errorf("put %s: %w", name, err)
					return
				}
				if got, err := s.st.GetSnapshot(ctx, name); err != nil || !bytes.Equal(got, data) {
					errs <- fmt.Errorf("get %s = %q, %v", name, got, err)
				}
				kept = append(kept, name)
				if i%2 == 1 {
					if err := s.st.DeleteSnapshot(ctx, kept[0]); err != nil {
						errs <- fmt.Errorf("delete %s: %w", kept[0], err)
					}
					kept = kept[1:]
				}
				if got, err := s.st.ListSnapshots(ctx, prefix); err != nil || !slices.Equal(got, kept) {
					errs <- fmt.Errorf("list %s = %q, %v; want %q", prefix, got, err, kept)
				}
				v := 1 + w*rounds + i
				if err := s.st.PutSnapshot(ctx, "shared", version(v)); err != nil {
					errs <- fmt.Errorf("put shared: %w", err)
				}
				got, err := s.st.GetSnapshot(ctx, "shared")
				if err != nil {
					errs <- fmt.Errorf("get shared: %w", err)
					continue
				}
				if !slices.ContainsFunc(allVersions(version, writers*rounds), func(b []byte) bool { return bytes.Equal(b, got) }) {
					errs <- fmt.Errorf("get shared: %d bytes that no writer put", len(got))
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	var want []string
	for w := range writers {
		for i := rounds / 2; i < rounds; i++ {
			want = append(want, snapshotName(fmt.Sprintf("w%d", w), uint64(i)))
		}
	}
	want = append(want, "shared")
	slices.Sort(want)
	s.list(t, "", want...)
}

// allVersions returns version(0) to version(n).
func allVersions(version func(int) []byte, n int) [][]byte {
	out := make([][]byte, n+1)
	for v := range out {
		out[v] = version(v)
	}
	return out
}
