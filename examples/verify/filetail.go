package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/scarcitylabs/scarcity/benchkit"
	"github.com/scarcitylabs/scarcity/events"
)

// maxChunk bounds the bytes of complete lines a fileTail decodes at once.
// Overflow policy: it decodes them and reads on.
const maxChunk = 4 << 20

// fileTail reads a JSON-lines file as it grows, as tail -f does: each
// read returns the events of the lines appended since the last. A line is
// read once its newline is written, or, when it is the file's last, once
// it holds one whole event (a JSON object whose text is cut short never
// decodes); its newline, written later, then ends it. A file that shrinks
// is unusable input: a stream's events are immutable.
type fileTail struct {
	f *os.File
	r *bufio.Reader
	// size is the bytes read from f; lines the lines read whole.
	size  int64
	lines int
	// partial is the file's last line so far, without a newline;
	// owesNewline reports that the last line was read without its
	// newline, which the next byte should be.
	partial     []byte
	owesNewline bool
}

// openFileTail opens the file at path to follow it.
func openFileTail(path string) (*fileTail, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	return &fileTail{f: f, r: bufio.NewReaderSize(f, 64<<10)}, nil
}

// run sends the file's events, then polls it every interval for appended
// lines, until ctx ends or the file is unusable; then it closes the file.
func (t *fileTail) run(ctx context.Context, interval time.Duration, send func(batch) bool) {
	defer t.f.Close()
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for first := true; ; first = false {
		evs, err := t.read()
		switch {
		case err != nil:
			send(batch{err: err})
			return
		case (first || len(evs) > 0) && !send(batch{evs: evs, pos: t.pos()}):
			return
		}
		select {
		case <-tick.C:
		case <-ctx.Done():
			return
		}
	}
}

// pos returns the position after the lines read.
func (t *fileTail) pos() string { return fmt.Sprintf("line %d", t.lines) }

// read returns the events of the lines appended since the last read (it
// stops after the chunk that reaches maxBatch events; the next read goes
// on), and an error if the file is unusable: it shrank, a
// line is not one event, or a line is longer than an event can be.
func (t *fileTail) read() ([]events.Event, error) {
	if fi, err := t.f.Stat(); err != nil {
		return nil, err
	} else if fi.Size() < t.size {
		return nil, fmt.Errorf("%s shrank from %d bytes to %d: a followed stream only grows", t.f.Name(), t.size, fi.Size())
	}
	var evs []events.Event
	var chunk bytes.Buffer
	first := t.lines + 1 // the line number of chunk's first line
	flush := func() error {
		got, err := decodeLines(chunk.Bytes(), first)
		evs = append(evs, got...)
		first += bytes.Count(chunk.Bytes(), []byte{'\n'})
		chunk.Reset()
		return err
	}
	for len(evs) < maxBatch {
		b, err := t.r.ReadSlice('\n')
		t.size += int64(len(b))
		if t.owesNewline && len(b) > 0 {
			t.owesNewline = false
			if b[0] == '\n' {
				b = b[1:] // the newline of a line read already
			}
		}
		t.partial = append(t.partial, b...)
		if len(t.partial) > events.MaxEncodedSize+1 {
			return evs, fmt.Errorf("%s: line %d is longer than %d bytes", t.f.Name(), t.lines+1, events.MaxEncodedSize)
		}
		switch {
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case errors.Is(err, io.EOF):
			if err := flush(); err != nil {
				return evs, err
			}
			return append(evs, t.lastLine()...), nil
		case err != nil:
			return evs, err
		}
		if len(t.partial) > 0 { // the newline owed was the whole slice otherwise
			chunk.Write(t.partial)
			t.lines++
		}
		t.partial = t.partial[:0]
		if chunk.Len() >= maxChunk {
			if err := flush(); err != nil {
				return evs, err
			}
		}
	}
	return evs, flush()
}

// lastLine returns the event of the file's last line, without its
// newline, if the line holds one whole event, and then owes its newline.
func (t *fileTail) lastLine() []events.Event {
	if len(bytes.TrimSpace(t.partial)) == 0 {
		return nil
	}
	evs, err := benchkit.ReadJSONL(bytes.NewReader(t.partial))
	if err != nil || len(evs) != 1 {
		return nil // cut short, most likely: read it once it is whole
	}
	t.lines++
	t.partial = t.partial[:0]
	t.owesNewline = true
	return evs
}

// decodeLines decodes whole lines of events, the first being line number
// first of the file, and returns their events and the malformed lines'
// errors, numbered as in the file.
func decodeLines(b []byte, first int) ([]events.Event, error) {
	if len(b) == 0 {
		return nil, nil
	}
	evs, err := benchkit.ReadJSONL(bytes.NewReader(b))
	if err == nil {
		return evs, nil
	}
	var errs []error
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		errs = j.Unwrap()
	} else {
		errs = []error{err}
	}
	for _, e := range errs {
		var le *benchkit.LineError
		if errors.As(e, &le) {
			le.Line += first - 1
		}
	}
	return evs, err
}
