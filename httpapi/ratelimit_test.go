package httpapi

import (
	"net/http"
	"net/netip"
	"testing"
	"time"
)

// TestClientAddress checks how failures are grouped: per IPv4 address, per
// IPv6 /64, an IPv4 address written as IPv6 being the IPv4 one.
func TestClientAddress(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ remote, want string }{
		{"192.0.2.1:5000", "192.0.2.1/32"},
		{"[2001:db8:1:2::1]:5000", "2001:db8:1:2::/64"},
		{"[2001:db8:1:2:ffff::9]:1", "2001:db8:1:2::/64"},
		{"[::ffff:192.0.2.1]:1", "192.0.2.1/32"},
	} {
		got := clientAddress(&http.Request{RemoteAddr: tt.remote})
		if got != netip.MustParsePrefix(tt.want) {
			t.Errorf("clientAddress(%s) = %s, want %s", tt.remote, got, tt.want)
		}
	}
}

// TestFailureLimiter checks the bucket of failures: the limit is a burst,
// and one failure is forgiven every minute / limit.
func TestFailureLimiter(t *testing.T) {
	t.Parallel()
	l := newFailureLimiter(5)
	a, b := netip.MustParsePrefix("192.0.2.1/32"), netip.MustParsePrefix("192.0.2.2/32")
	now := time.Unix(1_800_000_000, 0)
	for i := range 5 {
		if _, blocked := l.blocked(a, now); blocked {
			t.Fatalf("blocked after %d failures, limit 5", i)
		}
		l.failed(a, now)
	}
	wait, blocked := l.blocked(a, now)
	if !blocked || wait != 12*time.Second {
		t.Errorf("after 5 failures: blocked %v, wait %v; want blocked for 12s", blocked, wait)
	}
	if _, blocked := l.blocked(b, now); blocked {
		t.Error("another address is blocked too")
	}
	if _, blocked := l.blocked(a, now.Add(12*time.Second)); blocked {
		t.Error("still blocked once a failure was forgiven")
	}
}
