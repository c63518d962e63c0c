package bundle

import "fmt"

// SetChunkLimit makes c's timelines hold at most n steps per chunk, so that
// tests meet many chunks.
func SetChunkLimit(c *Calendar, n int) {
	for i := range c.lines {
		c.lines[i].limit = n
	}
}

// CheckTimelines returns an error if a timeline of c breaks its invariants.
func CheckTimelines(c *Calendar) error {
	for i := range c.lines {
		if err := c.lines[i].check(); err != nil {
			return fmt.Errorf("%s: %w", c.catalog.resources[i].Name, err)
		}
	}
	return nil
}

// check returns an error if tl has an empty or too long chunk, steps out
// of order, or a step that does not change the level.
func (tl *timeline) check() error {
	var last *step
	for c, ch := range tl.chunks {
		if len(ch) == 0 || len(ch) > tl.maxChunk() {
			return fmt.Errorf("chunk %d has %d steps, limit %d", c, len(ch), tl.maxChunk())
		}
		for i := range ch {
			s := &ch[i]
			switch {
			case last != nil && s.at.Compare(last.at) <= 0:
				return fmt.Errorf("step %v not after %v", s.at, last.at)
			case last != nil && s.level == last.level, last == nil && s.level == 0:
				return fmt.Errorf("step %v does not change the level %d", s.at, s.level)
			case s.level < 0:
				return fmt.Errorf("step %v has level %d", s.at, s.level)
			}
			last = s
		}
	}
	return nil
}
