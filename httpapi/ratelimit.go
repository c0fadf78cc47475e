package httpapi

import (
	"net/http"
	"net/netip"
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

// refill adds the tokens earned since the bucket was last seen, at rate a
// second, up to capacity.
func (b *bucket) refill(now time.Time, rate, capacity float64) {
	if elapsed := now.Sub(b.last).Seconds(); elapsed > 0 {
		b.tokens = min(capacity, b.tokens+elapsed*rate)
		b.last = now
	}
}

// wait is how long until the bucket holds a whole token again.
func (b *bucket) wait(rate float64) time.Duration {
	return time.Duration((1 - b.tokens) / rate * float64(time.Second))
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
	b.refill(now, l.rate, l.rate)
	if b.tokens >= 1 {
		b.tokens--
		return 0, true
	}
	return b.wait(l.rate), false
}

// failureLimiter counts failed authentications per client address: each
// address has a bucket of perMinute failures that refills at perMinute a
// minute. While an address's bucket is empty its requests are refused
// before their key is looked up, so that guessing keys, or a client stuck
// on a revoked one, costs the store nothing.
type failureLimiter struct {
	capacity float64
	rate     float64 // tokens a second
	mu       sync.Mutex
	buckets  map[netip.Prefix]*bucket
	swept    time.Time
}

// maxFailureBuckets is the number of addresses above which the buckets
// that have refilled are forgotten.
const maxFailureBuckets = 4096

func newFailureLimiter(perMinute int) *failureLimiter {
	return &failureLimiter{capacity: float64(perMinute), rate: float64(perMinute) / 60, buckets: map[netip.Prefix]*bucket{}}
}

// blocked reports whether the client may not try a key now, and how long
// until it may.
func (l *failureLimiter) blocked(client netip.Prefix, now time.Time) (time.Duration, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.buckets[client]
	if b == nil {
		return 0, false
	}
	b.refill(now, l.rate, l.capacity)
	if b.tokens >= 1 {
		return 0, false
	}
	return b.wait(l.rate), true
}

// failed counts one failed authentication of the client.
func (l *failureLimiter) failed(client netip.Prefix, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.buckets[client]
	if b == nil {
		if len(l.buckets) >= maxFailureBuckets && now.Sub(l.swept) > time.Second {
			l.sweep(now)
		}
		b = &bucket{tokens: l.capacity, last: now}
		l.buckets[client] = b
	}
	b.refill(now, l.rate, l.capacity)
	b.tokens = max(0, b.tokens-1)
}

// sweep forgets the addresses whose bucket is full again: they are as if
// they had never failed.
func (l *failureLimiter) sweep(now time.Time) {
	l.swept = now
	for k, b := range l.buckets {
		if b.refill(now, l.rate, l.capacity); b.tokens >= l.capacity {
			delete(l.buckets, k)
		}
	}
}

// clientAddress is the network a request comes from, as failures are
// counted: its IPv4 address, or the /64 of its IPv6 address (one host
// usually holds a whole /64). Forwarding headers are not trusted: behind a
// proxy, every client is the proxy.
func clientAddress(r *http.Request) netip.Prefix {
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return netip.Prefix{}
	}
	addr := ap.Addr().Unmap()
	bits := 32
	if addr.Is6() {
		bits = 64
	}
	p, _ := addr.Prefix(bits)
	return p
}
