package contract_test

import (
	"bytes"
	"io/fs"
	"maps"
	"slices"
	"testing"

	"github.com/scarcitylabs/scarcity/contract"
	"github.com/scarcitylabs/scarcity/contract/internal/gen"
)

// regenerate is what the failures of TestContractIsCurrent tell the reader
// to run.
const regenerate = "the contract is out of date with the Go types: run `go generate ./contract` and commit contract/"

// TestContractIsCurrent checks that the committed files are exactly what
// the generator writes from the Go types now: none differs, none is
// missing, none is stale.
func TestContractIsCurrent(t *testing.T) {
	want, err := gen.Generate()
	if err != nil {
		t.Fatal(err)
	}
	got := committed(t)
	for _, name := range slices.Sorted(maps.Keys(want)) {
		b, ok := got[name]
		switch {
		case !ok:
			t.Errorf("contract/%s is missing: %s", name, regenerate)
		case !bytes.Equal(b, want[name]):
			t.Errorf("contract/%s differs from what the generator writes: %s", name, regenerate)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(got)) {
		if _, ok := want[name]; !ok {
			t.Errorf("contract/%s is no longer generated: %s", name, regenerate)
		}
	}
}

// committed returns the embedded files by path.
func committed(t *testing.T) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	err := fs.WalkDir(contract.Files, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(contract.Files, p)
		out[p] = b
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}
