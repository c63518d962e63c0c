package scarcity_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// goBlock matches a fenced Go block of a Markdown file.
var goBlock = regexp.MustCompile("(?s)```go\n(.*?)```")

// TestReadmeSnippetsAreTested checks that every Go snippet of the README
// appears verbatim in a test file of the module, where it is compiled and
// run by an example or a test that checks its results: a snippet that
// drifts from the code fails here.
func TestReadmeSnippetsAreTested(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	var tests []string
	err = filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, "_test.go") {
			return err
		}
		b, err := os.ReadFile(path)
		tests = append(tests, string(b))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	blocks := goBlock.FindAllStringSubmatch(string(readme), -1)
	if len(blocks) == 0 {
		t.Fatal("README.md has no Go snippet")
	}
	for _, b := range blocks {
		snippet := b[1]
		found := false
		for _, src := range tests {
			found = found || strings.Contains(src, snippet)
		}
		if !found {
			first, _, _ := strings.Cut(snippet, "\n")
			t.Errorf("README snippet starting %q is in no test file: copy it verbatim into an example or test that runs it", first)
		}
	}
}
