package httpapi

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/carillon/carillon"
	"github.com/carillon/carillon/service"
)

type ctxKey int

const requestIDKey ctxKey = iota

func requestID(r *http.Request) string {
	id, _ := r.Context().Value(requestIDKey).(string)
	return id
}

// statusRecorder remembers the status a handler wrote.
type statusRecorder struct {
	http.ResponseWriter
	status int
	body   *bodyTracker // nil for a request without a body
}

func (w *statusRecorder) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
		w.closeIfBodyUnread()
	}
	w.ResponseWriter.WriteHeader(code)
}

// Unwrap gives http.ResponseController the connection's own writer: a
// console stream (Server-Sent Events) flushes each event and lifts the
// read timeout through it.
func (w *statusRecorder) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *statusRecorder) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
		w.closeIfBodyUnread()
	}
	return w.ResponseWriter.Write(b)
}

// closeIfBodyUnread ends the connection after an answer given before the
// request's body was read (a refused key, an unknown channel, a body too
// large or too slow): net/http would otherwise read what is left of the
// body, before sending the answer or after it, as long as the sender
// takes, up to the read timeout.
func (w *statusRecorder) closeIfBodyUnread() {
	if w.body != nil && !w.body.eof {
		w.Header().Set("Connection", "close")
		_ = http.NewResponseController(w.ResponseWriter).SetReadDeadline(time.Now())
	}
}

// bodyTracker notes whether a request's body was read to its end, and
// gives up on a body that arrives too slowly.
type bodyTracker struct {
	io.ReadCloser
	eof bool
	// pace, when set, is told of each read: the body must keep up with
	// minBodyRate after grace, within the read timeout.
	pace  *http.ResponseController
	grace time.Duration
	// start is when the request's headers were in, limit the end of the
	// read timeout, read how much of the body has come.
	start, limit time.Time
	read         int
}

// A body that comes slower than minBodyRate bytes a second, once the
// grace (Options.BodyPaceGrace, 5 s by default) has passed, is given up
// before the read timeout: a sender that trickles a byte every few seconds
// would otherwise hold its connection, and its place under the connection
// bound, for the whole read timeout. Any client on a working network sends
// a body of up to 1 MiB far faster.
const (
	minBodyRate      = 1024
	defaultBodyGrace = 5 * time.Second
)

func (b *bodyTracker) Read(p []byte) (int, error) {
	if b.pace != nil {
		due := b.start.Add(b.grace + time.Duration(b.read)*time.Second/minBodyRate)
		if due.After(b.limit) {
			due = b.limit
		}
		_ = b.pace.SetReadDeadline(due)
	}
	n, err := b.ReadCloser.Read(p)
	b.read += n
	if err == io.EOF {
		b.eof = true
	}
	return n, err
}

// observe gives each request an id (the caller's X-Request-Id when sane),
// turns a panic into a 500 JSON error, and counts, times and logs the
// request. The log line never holds the Authorization header or a body.
func (s *Server) observe(route string, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := r.Header.Get("X-Request-Id")
		if id == "" || len(id) > 64 || strings.ContainsFunc(id, func(c rune) bool { return c < 0x21 || c > 0x7e }) {
			var b [8]byte
			_, _ = rand.Read(b[:])
			id = hex.EncodeToString(b[:])
		}
		w.Header().Set("X-Request-Id", id)
		r = r.WithContext(context.WithValue(r.Context(), requestIDKey, id))
		rec := &statusRecorder{ResponseWriter: w}
		if r.Body != nil && r.Body != http.NoBody {
			rec.body = &bodyTracker{ReadCloser: r.Body}
			if s.readTimeout > 0 {
				rec.body.pace, rec.body.grace = http.NewResponseController(w), s.bodyGrace
				rec.body.start, rec.body.limit = start, start.Add(s.readTimeout)
			}
			r.Body = rec.body
		}
		defer func() {
			if p := recover(); p != nil {
				s.log.ErrorContext(r.Context(), "panic while serving a request", "request_id", id, "route", route, "panic", fmt.Sprint(p))
				if rec.status == 0 {
					writeError(rec, r, fmt.Errorf("panic"))
				}
			}
			elapsed := time.Since(start)
			s.metrics.HTTPRequests.WithLabelValues(route, strconv.Itoa(rec.status)).Inc()
			s.metrics.HTTPRequestDuration.WithLabelValues(route).Observe(elapsed.Seconds())
			switch {
			case rec.status == http.StatusServiceUnavailable:
				// The cause (too many connections, a store gone) has its
				// own line; a flood must not make one error line each.
				s.log.WarnContext(r.Context(), "request", "request_id", id, "method", r.Method, "route", route, "status", rec.status, "duration_ms", elapsed.Milliseconds())
			case rec.status >= 500:
				s.log.ErrorContext(r.Context(), "request", "request_id", id, "method", r.Method, "route", route, "status", rec.status, "duration_ms", elapsed.Milliseconds())
			default:
				s.log.DebugContext(r.Context(), "request", "request_id", id, "method", r.Method, "route", route, "status", rec.status, "duration_ms", elapsed.Milliseconds())
			}
		}()
		if overflowed(r) && !servedPastTheBound[route] {
			// The connection came past the bound: a quick answer, and the
			// connection ends, so that it frees its place at once.
			rec.Header().Set("Retry-After", "1")
			rec.Header().Set("Connection", "close")
			writeError(rec, r, &carillon.Error{Code: carillon.CodeUnavailable, Message: "the server has too many open connections: try again in a moment"})
			return
		}
		h.ServeHTTP(rec, r)
	})
}

// accounts authenticate a request's API key. *service.Accounts is one.
type accounts interface {
	Authenticate(ctx context.Context, secret string) (service.Principal, error)
}

// authedHandler is a handler that acts for an authenticated principal; like
// handlerFunc, it returns the error that is its answer.
type authedHandler func(w http.ResponseWriter, r *http.Request, p service.Principal) error

// auth authenticates the request's API key, applies the key's rate limit,
// then checks what the request names (checkRequest); a refusal is the
// error it returns. A client address with too many failed authentications
// is refused before its key is looked up.
func (s *Server) auth(h authedHandler) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		// Authorization holds one value (RFC 9110): a request with two
		// is refused rather than resolved by their order.
		if n := len(r.Header.Values("Authorization")); n > 1 {
			return &carillon.Error{Code: carillon.CodeInvalidHeader, Field: "Authorization",
				Message: fmt.Sprintf("the Authorization header is sent %d times: send it once, with one API key", n)}
		}
		client := clientAddress(r)
		if s.failures != nil {
			if wait, blocked := s.failures.blocked(client, s.clock.Now()); blocked {
				w.Header().Set("Retry-After", retryAfter(wait))
				return &carillon.Error{Code: carillon.CodeRateLimited, Message: "too many failed authentications from this address: wait for Retry-After seconds"}
			}
		}
		secret, ok := bearer(r.Header.Get("Authorization"))
		if !ok {
			s.authFailed(client)
			return &carillon.Error{Code: carillon.CodeUnauthorized, Message: "missing API key: send Authorization: Bearer <api key>"}
		}
		p, err := s.accounts.Authenticate(r.Context(), secret)
		if err != nil {
			if e, ok := carillon.AsError(err); ok && e.Code == carillon.CodeUnauthorized {
				s.authFailed(client)
			}
			return err
		}
		if s.limiter != nil {
			if wait, ok := s.limiter.allow(p.Key.ID, s.clock.Now()); !ok {
				w.Header().Set("Retry-After", retryAfter(wait))
				return &carillon.Error{Code: carillon.CodeRateLimited, Message: "too many requests for this API key: wait for Retry-After seconds"}
			}
		}
		if err := checkRequest(r); err != nil {
			return err
		}
		return h(w, r, p)
	}
}

// authFailed counts a failed authentication of the client.
func (s *Server) authFailed(client netip.Prefix) {
	if s.failures != nil {
		s.failures.failed(client, s.clock.Now())
	}
}

// retryAfter writes a wait as the whole seconds of Retry-After, at least 1.
func retryAfter(wait time.Duration) string {
	return strconv.Itoa(int(max(1, (wait+time.Second-1)/time.Second)))
}

func bearer(header string) (string, bool) {
	scheme, token, ok := strings.Cut(strings.TrimSpace(header), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	token = strings.TrimSpace(token)
	return token, token != ""
}
