package httpapi

import (
	"net/http"
	"net/netip"
	"testing"
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
