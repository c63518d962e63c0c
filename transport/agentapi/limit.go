package agentapi

import "time"

// bucket is a token bucket: it holds up to burst tokens and gains rate
// tokens a second. It starts full. A negative rate is no limit.
type bucket struct {
	tokens float64
	last   time.Time
}

// rateLimit is the rate and burst of a bucket.
type rateLimit struct {
	rate, burst float64
}

// unlimited reports whether l lets everything through.
func (l rateLimit) unlimited() bool { return l.rate < 0 }

// fill starts b full at now.
func (b *bucket) fill(l rateLimit, now time.Time) {
	b.tokens, b.last = l.burst, now
}

// refill adds the tokens earned since the last refill, up to l.burst. A
// clock that goes back earns nothing.
func (b *bucket) refill(l rateLimit, now time.Time) {
	if l.unlimited() {
		return
	}
	if d := now.Sub(b.last); d > 0 {
		b.tokens = min(l.burst, b.tokens+d.Seconds()*l.rate)
		b.last = now
	}
}

// has reports whether b, refilled, holds n tokens.
func (b *bucket) has(l rateLimit, n float64) bool { return l.unlimited() || b.tokens >= n }

// take removes n tokens; b must have them.
func (b *bucket) take(l rateLimit, n float64) {
	if !l.unlimited() {
		b.tokens -= n
	}
}

// full reports whether b, refilled, is full: forgetting it changes nothing.
func (b *bucket) full(l rateLimit) bool { return l.unlimited() || b.tokens >= l.burst }
