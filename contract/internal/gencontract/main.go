// Command gencontract writes the contract's files (package contract) into
// the current directory, the contract's root, as go generate runs it:
// the AsyncAPI document and every schema, removing schemas it no longer
// writes.
package main

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/scarcitylabs/scarcity/contract/internal/gen"
)

func main() {
	if err := write("."); err != nil {
		fmt.Fprintln(os.Stderr, "gencontract:", err)
		os.Exit(1)
	}
}

// write writes the generated files under dir and removes the stale ones
// under its schema directory.
func write(dir string) error {
	files, err := gen.Generate()
	if err != nil {
		return err
	}
	if err := removeStale(dir, files); err != nil {
		return err
	}
	for name, b := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// removeStale removes the files under dir's schema directory that files
// does not hold.
func removeStale(dir string, files map[string][]byte) error {
	root := filepath.Join(dir, filepath.FromSlash(gen.SchemaDir))
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		if _, ok := files[filepath.ToSlash(rel)]; !ok {
			return os.Remove(p)
		}
		return nil
	})
	if os.IsNotExist(err) {
		return nil
	}
	return err
}
