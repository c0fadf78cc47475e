// Package providertest is the shared test harness of carillon's providers: an
// HTTP client that can reach only loopback addresses, a log capture that
// catches leaked secrets, and case runners driven by JSON files in a
// provider's testdata/ directory.
//
// A provider's test plugs itself in with a Subject and runs its files:
//
//	func TestOutbound(t *testing.T) { providertest.RunOutbound(t, "testdata/outbound", subject()) }
//	func TestInbound(t *testing.T)  { providertest.RunInbound(t, "testdata/inbound", subject()) }
//
// Each file is one case, run as a subtest named after the file. An outbound
// file (OutboundCase) gives the message to send, or a named Call, and the
// answers a scripted loopback server gives, one per request; it expects the
// requests made and the result or error. An inbound file (InboundCase) gives
// the callback request, signed by Subject.Sign when it says "sign": true, and
// expects a CallbackError's status, a reply, or the messages, receipts and
// ignored count produced. Every case also checks that no secret setting of
// the channel (those its provider's Info marks secret) appears in the log, in an error string, in an
// error payload or in a reply.
package providertest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"
)

// ErrNotLoopback is returned (wrapped) when a test's HTTP client is asked to
// reach an address that is not loopback: tests must never touch a real
// network.
var ErrNotLoopback = errors.New("providertest: refusing to dial a non-loopback address")

// Client returns an HTTP client for tests: it dials only loopback addresses
// (127.0.0.0/8 and ::1), ignores any proxy set in the environment, does not
// follow redirects and gives up after 10 seconds.
func Client() *http.Client {
	dialer := &net.Dialer{Timeout: 5 * time.Second}
	transport := &http.Transport{
		// No proxy: a proxy from the environment would turn a loopback URL
		// into a dial to somewhere else.
		Proxy: nil,
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			ip, err := loopbackAddress(ctx, addr)
			if err != nil {
				return nil, err
			}
			_, port, _ := net.SplitHostPort(addr)
			return dialer.DialContext(ctx, network, net.JoinHostPort(ip.String(), port))
		},
		MaxIdleConnsPerHost: 16,
		IdleConnTimeout:     30 * time.Second,
	}
	return &http.Client{
		Transport: transport,
		Timeout:   10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

// loopbackAddress returns the loopback IP that addr names, or an error
// wrapping ErrNotLoopback. A host name is resolved, and accepted only when
// every address it resolves to is loopback.
func loopbackAddress(ctx context.Context, addr string) (net.IP, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("%w: %q: %v", ErrNotLoopback, addr, err)
	}
	if ip := net.ParseIP(host); ip != nil {
		if !ip.IsLoopback() {
			return nil, fmt.Errorf("%w: %s", ErrNotLoopback, addr)
		}
		return ip, nil
	}
	if host != "localhost" {
		// Resolving an arbitrary name would itself reach a DNS server.
		return nil, fmt.Errorf("%w: %s (only IP literals and localhost are allowed)", ErrNotLoopback, addr)
	}
	ips, err := net.DefaultResolver.LookupIPAddr(ctx, host)
	if err != nil || len(ips) == 0 {
		return nil, fmt.Errorf("%w: %s: cannot resolve: %v", ErrNotLoopback, addr, err)
	}
	for _, ip := range ips {
		if !ip.IP.IsLoopback() {
			return nil, fmt.Errorf("%w: %s resolves to %s", ErrNotLoopback, addr, ip.IP)
		}
	}
	return ips[0].IP, nil
}
