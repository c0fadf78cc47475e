// Package throttle holds token buckets: the rate of a client's requests,
// and the failures (of authentications, of sign-ins) a client or an
// account may have before it must wait. It keeps its counts in memory, per
// process: a limit is per instance.
package throttle

import (
	"net/netip"
	"sync"
	"time"
)

// Bucket is a token bucket: it holds up to some capacity of tokens, and
// earns them back at some rate. The zero Bucket is empty.
type Bucket struct {
	tokens float64
	last   time.Time
}

// NewBucket returns a bucket holding tokens at now.
func NewBucket(tokens float64, now time.Time) *Bucket {
	return &Bucket{tokens: tokens, last: now}
}

// Refill adds the tokens earned since the bucket was last seen, at rate a
// second, up to capacity.
func (b *Bucket) Refill(now time.Time, rate, capacity float64) {
	if elapsed := now.Sub(b.last).Seconds(); elapsed > 0 {
		b.tokens = min(capacity, b.tokens+elapsed*rate)
		b.last = now
	}
}

// Take takes a token if the bucket holds a whole one.
func (b *Bucket) Take() bool {
	if b.tokens >= 1 {
		b.tokens--
		return true
	}
	return false
}

// Wait is how long until the bucket holds a whole token again, at rate a
// second.
func (b *Bucket) Wait(rate float64) time.Duration {
	return time.Duration((1 - b.tokens) / rate * float64(time.Second))
}

// Failures counts failures per key: each key has a bucket of limit
// failures that refills at limit per period. While a key's bucket is
// empty, it is blocked. A key that never failed holds no memory, and the
// keys whose bucket is full again are forgotten once many are kept.
type Failures[K comparable] struct {
	capacity float64
	rate     float64 // tokens a second
	mu       sync.Mutex
	buckets  map[K]*Bucket
	swept    time.Time
}

// maxFailureBuckets is the number of keys above which the buckets that
// have refilled are forgotten.
const maxFailureBuckets = 4096

// NewFailures allows limit failures per period, bursts included.
func NewFailures[K comparable](limit int, period time.Duration) *Failures[K] {
	return &Failures[K]{capacity: float64(limit), rate: float64(limit) / period.Seconds(), buckets: map[K]*Bucket{}}
}

// Blocked reports whether the key may not try now, and how long until it
// may.
func (l *Failures[K]) Blocked(key K, now time.Time) (time.Duration, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.buckets[key]
	if b == nil {
		return 0, false
	}
	b.Refill(now, l.rate, l.capacity)
	if b.tokens >= 1 {
		return 0, false
	}
	return b.Wait(l.rate), true
}

// Failed counts one failure of the key.
func (l *Failures[K]) Failed(key K, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.buckets[key]
	if b == nil {
		if len(l.buckets) >= maxFailureBuckets && now.Sub(l.swept) > time.Second {
			l.sweep(now)
		}
		b = NewBucket(l.capacity, now)
		l.buckets[key] = b
	}
	b.Refill(now, l.rate, l.capacity)
	b.tokens = max(0, b.tokens-1)
}

// sweep forgets the keys whose bucket is full again: they are as if they
// had never failed.
func (l *Failures[K]) sweep(now time.Time) {
	l.swept = now
	for k, b := range l.buckets {
		if b.Refill(now, l.rate, l.capacity); b.tokens >= l.capacity {
			delete(l.buckets, k)
		}
	}
}

// Network is the network a client address is counted as: an IPv4 address
// itself, the /64 of an IPv6 address (one host usually holds a whole /64).
// An IPv4 address mapped into IPv6 counts as the IPv4 one.
func Network(addr netip.Addr) netip.Prefix {
	addr = addr.Unmap()
	bits := 32
	if addr.Is6() {
		bits = 64
	}
	p, _ := addr.Prefix(bits)
	return p
}
