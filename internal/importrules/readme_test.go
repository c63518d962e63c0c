package importrules

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestReadmeMapAgreesWithGoList keeps the README's map of the module true:
// its package table names every public package go list finds, each by its
// own name, and no package go list does not find ("examples/..." for the
// programs),
// and its one-way import chain ("`events` ← `bundle`, `ledger` ← …") holds
// for every import between the module's public packages. A subpackage sits
// in the layer of the nearest package the chain names; internal packages
// are left out of both.
func TestReadmeMapAgreesWithGoList(t *testing.T) {
	graph := importGraph(t)
	readme := readReadme(t)
	public := publicPackages(graph)

	table := tablePackages(t, readme)
	for _, pkg := range public {
		if !slices.Contains(table, pkg) {
			t.Errorf("README's package table does not name %s", pkg)
		}
	}
	for _, name := range table {
		if !found(graph, name) {
			t.Errorf("README's package table names %s, which go list does not find", name)
		}
	}

	layers := importChain(t, readme)
	for _, pkg := range public {
		for _, imp := range graph[pkg] {
			if !slices.Contains(public, imp) {
				continue
			}
			if from, to := layerOf(t, layers, pkg), layerOf(t, layers, imp); to > from {
				t.Errorf("%s imports %s, against the README's one-way chain (layer %d imports layer %d)", pkg, imp, from, to)
			}
		}
	}
}

// readReadme returns the module's README.md.
func readReadme(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(run(t, "go", "list", "-m", "-f", "{{.Dir}}"), "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// publicPackages returns the module's packages outside internal/ and
// examples/, sorted.
func publicPackages(graph map[string][]string) []string {
	var pkgs []string
	for pkg := range graph {
		if under(pkg, module) && !strings.Contains(pkg+"/", "/internal/") && !under(pkg, module+"/examples") {
			pkgs = append(pkgs, pkg)
		}
	}
	slices.Sort(pkgs)
	return pkgs
}

var backticked = regexp.MustCompile("`([^`]+)`")

// tablePackages returns the packages named in the first column of the
// README's "## Packages" table, as import paths; "scarcity" is the module
// and a name ending in "/..." stands for the packages below it.
func tablePackages(t *testing.T, readme string) []string {
	t.Helper()
	_, section, ok := strings.Cut(readme, "\n## Packages\n")
	if !ok {
		t.Fatal(`README has no "## Packages" section`)
	}
	var names []string
	for line := range strings.Lines(section) {
		if strings.HasPrefix(line, "## ") {
			break
		}
		cells := strings.Split(line, "|")
		if len(cells) < 3 || !strings.HasPrefix(line, "| `") {
			continue
		}
		for _, m := range backticked.FindAllStringSubmatch(cells[1], -1) {
			names = append(names, importPath(m[1]))
		}
	}
	if len(names) == 0 {
		t.Fatal("README's package table names no package")
	}
	return names
}

// importChain returns the layers of the README's one-way import chain,
// lowest first, as import paths.
func importChain(t *testing.T, readme string) [][]string {
	t.Helper()
	_, rest, ok := strings.Cut(readme, "Package imports go one way: ")
	if !ok {
		t.Fatal(`README has no "Package imports go one way: " sentence`)
	}
	sentence, _, _ := strings.Cut(rest, ". ")
	var layers [][]string
	for part := range strings.SplitSeq(sentence, "←") {
		var layer []string
		for _, m := range backticked.FindAllStringSubmatch(part, -1) {
			layer = append(layer, importPath(m[1]))
		}
		layers = append(layers, layer)
	}
	if len(layers) < 3 {
		t.Fatalf("README's import chain %q has %d layers, want a chain joined by ←", sentence, len(layers))
	}
	return layers
}

// layerOf returns the layer of the nearest package above or at pkg that
// the chain names.
func layerOf(t *testing.T, layers [][]string, pkg string) int {
	t.Helper()
	best, bestLen := -1, -1
	for i, layer := range layers {
		for _, name := range layer {
			if n := len(strings.TrimSuffix(name, "/...")); matches(name, pkg) && n > bestLen {
				best, bestLen = i, n
			}
		}
	}
	if best < 0 {
		t.Fatalf("README's import chain places no package above %s", pkg)
	}
	return best
}

// found reports whether go list found name or, for "dir/...", a package
// below dir.
func found(graph map[string][]string, name string) bool {
	for pkg := range graph {
		if pkg == name || strings.HasSuffix(name, "/...") && matches(name, pkg) {
			return true
		}
	}
	return false
}

// matches reports whether name is pkg, a package above it, or a "/..."
// pattern covering it.
func matches(name, pkg string) bool { return under(pkg, strings.TrimSuffix(name, "/...")) }

// importPath turns a README name into an import path.
func importPath(name string) string {
	if name == "scarcity" {
		return module
	}
	return module + "/" + name
}
