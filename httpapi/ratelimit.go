package httpapi

import (
	"net/http"
	"net/netip"
	"sync"
	"time"

	"github.com/carillon/carillon/throttle"
)

// limiter is a token bucket per API key: rate tokens a second, holding at
// most rate tokens, so bursts are included in the per-second rate.
type limiter struct {
	rate    float64
	mu      sync.Mutex
	buckets map[int64]*throttle.Bucket
}

func newLimiter(rate int) *limiter {
	return &limiter{rate: float64(rate), buckets: map[int64]*throttle.Bucket{}}
}

// allow takes a token for the key, or says how long until one is there.
func (l *limiter) allow(key int64, now time.Time) (time.Duration, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.buckets[key]
	if b == nil {
		b = throttle.NewBucket(l.rate, now)
		l.buckets[key] = b
	}
	b.Refill(now, l.rate, l.rate)
	if b.Take() {
		return 0, true
	}
	return b.Wait(l.rate), false
}

// failureLimiter counts failed authentications per client address: each
// address has a bucket of perMinute failures that refills at perMinute a
// minute. While an address's bucket is empty its requests are refused
// before their key is looked up, so that guessing keys, or a client stuck
// on a revoked one, costs the store nothing.
type failureLimiter struct {
	failures *throttle.Failures[netip.Prefix]
}

func newFailureLimiter(perMinute int) *failureLimiter {
	return &failureLimiter{failures: throttle.NewFailures[netip.Prefix](perMinute, time.Minute)}
}

// blocked reports whether the client may not try a key now, and how long
// until it may.
func (l *failureLimiter) blocked(client netip.Prefix, now time.Time) (time.Duration, bool) {
	return l.failures.Blocked(client, now)
}

// failed counts one failed authentication of the client.
func (l *failureLimiter) failed(client netip.Prefix, now time.Time) {
	l.failures.Failed(client, now)
}

// clientAddress is the network a request comes from, as failures are
// counted (throttle.Network). Forwarding headers are not trusted: behind a
// proxy, every client is the proxy.
func clientAddress(r *http.Request) netip.Prefix {
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return netip.Prefix{}
	}
	return throttle.Network(ap.Addr())
}
