package main

import (
	"bufio"
	"os"
	"path/filepath"

	"github.com/scarcitylabs/scarcity/events"
)

// write writes the stream to dir/events.jsonl, one CloudEvents JSON object
// per line. An empty dir writes nothing.
func write(dir string, evs []events.Event) error {
	if dir == "" {
		return nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	f, err := os.Create(filepath.Join(dir, "events.jsonl"))
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	for _, e := range evs {
		b, err := events.Encode(e)
		if err != nil {
			f.Close()
			return err
		}
		w.Write(b)
		w.WriteByte('\n')
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
