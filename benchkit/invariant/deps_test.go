package invariant_test

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// goListDeps returns the packages outside the standard library that pkgs
// depend on, themselves included.
func goListDeps(t *testing.T, pkgs ...string) []string {
	t.Helper()
	args := append([]string{"list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}"}, pkgs...)
	out, err := exec.Command("go", args...).Output()
	if err != nil {
		t.Skipf("go list: %v", err)
	}
	return strings.Fields(string(out))
}

// The checks depend on nothing but events, bundle and apd (and benchkit's
// internal helper for reading payloads, which depends on no more): a
// program that reads a stream can check it without the market, the
// scenario runner or the reports.
func TestDependencies(t *testing.T) {
	const module = "github.com/scarcitylabs/scarcity"
	allowed := goListDeps(t, module+"/events", module+"/bundle", "github.com/cockroachdb/apd/v3")
	allowed = append(allowed, module+"/benchkit/internal/stream", module+"/benchkit/invariant")
	for _, dep := range goListDeps(t, ".") {
		if !slices.Contains(allowed, dep) {
			t.Errorf("invariant depends on %s", dep)
		}
	}
}
