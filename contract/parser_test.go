package contract_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestAsyncAPIParser checks asyncapi.json with the AsyncAPI initiative's
// own parser, @asyncapi/parser (npm), through check/parse.mjs: it must
// return a document and report no error. The package's Node modules come
// from `npm ci` in contract/check; without them the test is skipped,
// unless the environment variable CI is set: CI must run it, so there it
// fails.
func TestAsyncAPIParser(t *testing.T) {
	node := nodeModules(t, "check")
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "parse.mjs", filepath.Join("..", "asyncapi.json"))
	cmd.Dir = "check"
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("@asyncapi/parser refuses asyncapi.json (%v):\n%s", err, out)
	}
	t.Logf("%s", strings.TrimSpace(string(out)))
}

// nodeModules returns node, skipping the test if dir has no node_modules
// or there is no node (failing instead when CI is set).
func nodeModules(t *testing.T, dir string) string {
	t.Helper()
	node, err := exec.LookPath("node")
	if err == nil {
		_, err = os.Stat(filepath.Join(dir, "node_modules"))
	}
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("CI is set but %v: run `npm ci` in contract/%s", err, dir)
		}
		t.Skipf("%v: run `npm ci` in contract/%s to run this test (with CI set, this fails)", err, dir)
	}
	return node
}
