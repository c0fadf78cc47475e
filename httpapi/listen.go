package httpapi

import (
	"context"
	"log"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"time"
)

// The server's limits on connections and on reading requests, which keep
// slow or idle clients from holding the process's file descriptors.
const (
	// headerTimeout bounds the reading of a request's headers, within the
	// read timeout.
	headerTimeout = 10 * time.Second
	// idleTimeout closes a keep-alive connection that sends nothing.
	idleTimeout = 2 * time.Minute
	// overflowGrace is all the time a connection past the bound has, to
	// send its request and read the answer.
	overflowGrace = 2 * time.Second
)

// newHTTPServer returns the http.Server of the API: whole requests
// (headers and body) must arrive within readTimeout (0: no limit), and
// net/http's own error lines go to the structured log.
func (s *Server) newHTTPServer(readTimeout time.Duration) *http.Server {
	hs := &http.Server{
		Handler:           s,
		ReadTimeout:       readTimeout,
		ReadHeaderTimeout: headerTimeout,
		IdleTimeout:       idleTimeout,
		ErrorLog:          serverErrorLog(s.log),
		ConnContext: func(ctx context.Context, c net.Conn) context.Context {
			if bc, ok := c.(*boundedConn); ok && !bc.overflow.IsZero() {
				return context.WithValue(ctx, overflowKey, true)
			}
			return ctx
		},
	}
	if readTimeout > 0 {
		hs.ReadHeaderTimeout = min(headerTimeout, readTimeout)
	}
	return hs
}

// Serve serves the API on ln until Shutdown.
func (s *Server) Serve(ln net.Listener) error {
	return s.http.Serve(&boundedListener{Listener: ln, max: int64(s.maxConns), log: s.log, gauge: s.metrics.HTTPConnections})
}

// Shutdown stops accepting connections and waits for the requests in
// flight, until ctx ends.
func (s *Server) Shutdown(ctx context.Context) error { return s.http.Shutdown(ctx) }

type overflowCtxKey struct{}

// overflowKey marks the context of a connection accepted past the bound.
var overflowKey overflowCtxKey

// overflowed reports whether the request came on a connection past the
// bound.
func overflowed(r *http.Request) bool { return r.Context().Value(overflowKey) != nil }

// servedPastTheBound are the routes still served on a connection past the
// bound: the checks that orchestrators and monitoring rely on must answer
// under a flood of connections, or the process would be restarted for it.
var servedPastTheBound = map[string]bool{"GET /healthz": true, "GET /readyz": true, "GET /metrics": true}

// boundedListener counts the open connections it accepted, in its gauge
// too. Past max (when max is above 0), a
// connection is still accepted, so that it gets an answer rather than a
// wait in the kernel's queue, but it is marked: its request gets a quick
// 503 (health checks aside), and everything on it must be done within
// overflowGrace.
type boundedListener struct {
	net.Listener
	max   int64
	log   *slog.Logger
	gauge interface {
		Inc()
		Dec()
	}
	open atomic.Int64
	// warned is when the bound was last reported (Unix ns).
	warned atomic.Int64
}

func (l *boundedListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	bc := &boundedConn{Conn: c, l: l}
	l.gauge.Inc()
	if n := l.open.Add(1); l.max > 0 && n > l.max {
		now := time.Now()
		bc.overflow = now.Add(overflowGrace)
		_ = c.SetDeadline(bc.overflow)
		if last := l.warned.Load(); now.UnixNano()-last > int64(time.Minute) && l.warned.CompareAndSwap(last, now.UnixNano()) {
			l.log.Warn("too many open connections: answering 503 past the bound (health checks aside)", "open", n, "max_connections", l.max)
		}
	}
	return bc, nil
}

// boundedConn is a connection counted by its listener until closed.
type boundedConn struct {
	net.Conn
	l *boundedListener
	// overflow is zero within the bound; past it, the deadline of every
	// read and write, whatever the server asks for.
	overflow time.Time
	closed   atomic.Bool
}

func (c *boundedConn) Close() error {
	if c.closed.CompareAndSwap(false, true) {
		c.l.open.Add(-1)
		c.l.gauge.Dec()
	}
	return c.Conn.Close()
}

// clamp keeps a deadline the server sets within the overflow deadline.
func (c *boundedConn) clamp(t time.Time) time.Time {
	if c.overflow.IsZero() || (!t.IsZero() && t.Before(c.overflow)) {
		return t
	}
	return c.overflow
}

func (c *boundedConn) SetDeadline(t time.Time) error { return c.Conn.SetDeadline(c.clamp(t)) }

func (c *boundedConn) SetReadDeadline(t time.Time) error { return c.Conn.SetReadDeadline(c.clamp(t)) }

func (c *boundedConn) SetWriteDeadline(t time.Time) error {
	return c.Conn.SetWriteDeadline(c.clamp(t))
}

// serverErrorLog routes net/http's own error lines (accept errors, TLS
// handshakes, malformed requests) into the structured log, so that every
// line the server writes is one JSON object (or one text line) alike.
func serverErrorLog(l *slog.Logger) *log.Logger {
	return log.New(errorLogWriter{l}, "", 0)
}

type errorLogWriter struct{ log *slog.Logger }

func (w errorLogWriter) Write(p []byte) (int, error) {
	msg := strings.TrimSpace(string(p))
	// An accept error means the process is short of something (file
	// descriptors, most often); the others are about one client.
	level := slog.LevelWarn
	if strings.Contains(msg, "Accept error") {
		level = slog.LevelError
	}
	w.log.Log(context.Background(), level, "http server", "error", msg)
	return len(p), nil
}
