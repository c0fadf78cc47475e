package throttle_test

import (
	"net/netip"
	"testing"
	"time"

	"github.com/carillon/carillon/throttle"
)

// TestFailures checks the bucket of failures: the limit is a burst, and
// one failure is forgiven every period / limit.
func TestFailures(t *testing.T) {
	t.Parallel()
	tests := []struct {
		limit  int
		period time.Duration
		wait   time.Duration // once the limit is reached
	}{
		{5, time.Minute, 12 * time.Second},
		{10, 15 * time.Minute, 90 * time.Second},
		{1, time.Hour, time.Hour},
	}
	for _, tc := range tests {
		l := throttle.NewFailures[string](tc.limit, tc.period)
		now := time.Unix(1_800_000_000, 0)
		for i := range tc.limit {
			if _, blocked := l.Blocked("a", now); blocked {
				t.Fatalf("limit %d: blocked after %d failures", tc.limit, i)
			}
			l.Failed("a", now)
		}
		wait, blocked := l.Blocked("a", now)
		if !blocked || wait != tc.wait {
			t.Errorf("limit %d per %s: after %d failures blocked %v, wait %v; want blocked for %s", tc.limit, tc.period, tc.limit, blocked, wait, tc.wait)
		}
		if wait, blocked := l.Blocked("a", now.Add(tc.wait/2)); !blocked || wait != tc.wait/2 {
			t.Errorf("limit %d: halfway, blocked %v, wait %v; want blocked for %s", tc.limit, blocked, wait, tc.wait/2)
		}
		if _, blocked := l.Blocked("b", now); blocked {
			t.Errorf("limit %d: another key is blocked too", tc.limit)
		}
		if _, blocked := l.Blocked("a", now.Add(tc.wait)); blocked {
			t.Errorf("limit %d: still blocked once a failure was forgiven", tc.limit)
		}
	}
}

// TestFailuresSweep checks that forgetting the keys whose bucket refilled,
// once many are kept, forgets none that is still blocked.
func TestFailuresSweep(t *testing.T) {
	t.Parallel()
	l := throttle.NewFailures[int](1, time.Minute)
	now := time.Unix(1_800_000_000, 0)
	for i := range 5000 {
		l.Failed(i, now)
	}
	later := now.Add(2 * time.Minute)
	l.Failed(-1, now.Add(90*time.Second)) // blocked until 150s
	l.Failed(-2, later)                   // sweeps the refilled ones
	for _, k := range []int{-1, -2} {
		if _, blocked := l.Blocked(k, later); !blocked {
			t.Errorf("key %d forgotten while blocked", k)
		}
	}
	if _, blocked := l.Blocked(0, later); blocked {
		t.Error("a key whose bucket refilled is blocked")
	}
}

// TestBucket checks a rate: a burst of its capacity, then one token per
// 1/rate.
func TestBucket(t *testing.T) {
	t.Parallel()
	now := time.Unix(1_800_000_000, 0)
	b := throttle.NewBucket(2, now)
	for i := range 2 {
		b.Refill(now, 2, 2)
		if !b.Take() {
			t.Fatalf("token %d of a burst of 2 refused", i)
		}
	}
	if b.Take() {
		t.Fatal("a third token taken at once")
	}
	if w := b.Wait(2); w != 500*time.Millisecond {
		t.Errorf("wait = %s, want 500ms", w)
	}
	b.Refill(now.Add(500*time.Millisecond), 2, 2)
	if !b.Take() {
		t.Error("no token after the wait")
	}
	b.Refill(now.Add(time.Hour), 2, 2)
	taken := 0
	for b.Take() {
		taken++
	}
	if taken != 2 {
		t.Errorf("%d tokens after a long wait; a bucket refills up to its capacity, 2", taken)
	}
}

func TestNetwork(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ addr, want string }{
		{"192.0.2.1", "192.0.2.1/32"},
		{"2001:db8:1:2::1", "2001:db8:1:2::/64"},
		{"2001:db8:1:2:ffff::9", "2001:db8:1:2::/64"},
		{"::ffff:192.0.2.1", "192.0.2.1/32"},
	} {
		if got := throttle.Network(netip.MustParseAddr(tt.addr)); got != netip.MustParsePrefix(tt.want) {
			t.Errorf("Network(%s) = %s, want %s", tt.addr, got, tt.want)
		}
	}
}
