package scarcity_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strings"
	"testing"
)

// domainDirs are the packages whose code must take time from an injected
// clock and keep money exact.
var domainDirs = []string{".", "events", "bundle", "ledger", "auction", "sched", "benchkit"}

// floatAllowed are the files of the domain packages that may use floats,
// and why.
var floatAllowed = map[string]string{
	"telemetry.go": "metrics are float64 in OpenTelemetry and every backend; the market only reports through them, never computes with them",
}

// TestDomainCodeRules fails on floats, time.Now and time.Sleep in the
// non-test code of the domain packages.
func TestDomainCodeRules(t *testing.T) {
	fset := token.NewFileSet()
	for _, dir := range domainDirs {
		files, err := filepath.Glob(filepath.Join(dir, "*.go"))
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range files {
			if strings.HasSuffix(name, "_test.go") {
				continue
			}
			f, err := parser.ParseFile(fset, name, nil, 0)
			if err != nil {
				t.Fatal(err)
			}
			ast.Inspect(f, func(n ast.Node) bool {
				if msg := forbidden(n); msg != "" && !(strings.HasPrefix(msg, "float") && floatAllowed[name] != "") {
					t.Errorf("%s: %s", fset.Position(n.Pos()), msg)
				}
				return true
			})
		}
	}
}

func forbidden(n ast.Node) string {
	switch n := n.(type) {
	case *ast.Ident:
		if n.Name == "float64" || n.Name == "float32" {
			return n.Name + " in domain code: amounts and prices are apd decimals"
		}
	case *ast.SelectorExpr:
		if x, ok := n.X.(*ast.Ident); ok && x.Name == "time" && (n.Sel.Name == "Now" || n.Sel.Name == "Sleep" || n.Sel.Name == "Since") {
			return "time." + n.Sel.Name + " in domain code: take time from the injected clock.Clock"
		}
	}
	return ""
}
