package httpapi

import (
	"sync"
	"time"
)

// limiter is a token bucket per API key: rate tokens a second, holding at
// most rate tokens, so bursts are included in the per-second rate.
type limiter struct {
	rate    float64
	mu      sync.Mutex
	buckets map[int64]*bucket
}

type bucket struct {
	tokens float64
	last   time.Time
}

func newLimiter(rate int) *limiter {
	return &limiter{rate: float64(rate), buckets: map[int64]*bucket{}}
}

// allow takes a token for the key, or says how long until one is there.
func (l *limiter) allow(key int64, now time.Time) (time.Duration, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.buckets[key]
	if b == nil {
		b = &bucket{tokens: l.rate, last: now}
		l.buckets[key] = b
	}
	if elapsed := now.Sub(b.last).Seconds(); elapsed > 0 {
		b.tokens = min(l.rate, b.tokens+elapsed*l.rate)
		b.last = now
	}
	if b.tokens >= 1 {
		b.tokens--
		return 0, true
	}
	return time.Duration((1 - b.tokens) / l.rate * float64(time.Second)), false
}
