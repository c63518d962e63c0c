package process

import (
	"bytes"
	"io"
	"sync"
)

// oomPhrases are lower-case messages with which common runtimes and tools
// report a refused allocation: C and coreutils, Go, C++, Python, the JVM.
var oomPhrases = [][]byte{
	[]byte("out of memory"),
	[]byte("memory exhausted"),
	[]byte("cannot allocate memory"),
	[]byte("bad_alloc"),
	[]byte("memoryerror"),
	[]byte("outofmemoryerror"),
}

// oomCarry is how many bytes of one write are kept to find a phrase split
// across two writes: the longest phrase's length, less one.
const oomCarry = len("cannot allocate memory") - 1

// oomScanner forwards writes to w and notes whether an out-of-memory
// message went through.
type oomScanner struct {
	w     io.Writer
	mu    sync.Mutex
	carry []byte // the last bytes written, lower case
	seen  bool
}

func (s *oomScanner) Write(p []byte) (int, error) {
	s.mu.Lock()
	if !s.seen {
		window := append(s.carry, bytes.ToLower(p)...)
		for _, phrase := range oomPhrases {
			s.seen = s.seen || bytes.Contains(window, phrase)
		}
		s.carry = append(s.carry[:0], window[max(0, len(window)-oomCarry):]...)
	}
	s.mu.Unlock()
	if s.w == nil {
		return len(p), nil
	}
	return s.w.Write(p)
}

// saysOutOfMemory reports whether an out-of-memory message was written.
func (s *oomScanner) saysOutOfMemory() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.seen
}
