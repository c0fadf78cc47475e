package httpapi

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
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
}

func (w *statusRecorder) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusRecorder) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// observe gives each request an id (the caller's X-Request-Id when sane),
// turns a panic into a 500 JSON error, and counts, times and logs the
// request. The log line never holds the Authorization header or a body.
func (s *Server) observe(route string, h http.HandlerFunc) http.Handler {
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
			if rec.status >= 500 {
				s.log.ErrorContext(r.Context(), "request", "request_id", id, "method", r.Method, "route", route, "status", rec.status, "duration_ms", elapsed.Milliseconds())
			} else {
				s.log.DebugContext(r.Context(), "request", "request_id", id, "method", r.Method, "route", route, "status", rec.status, "duration_ms", elapsed.Milliseconds())
			}
		}()
		h(rec, r)
	})
}

// authedHandler is a handler that acts for an authenticated principal.
type authedHandler func(w http.ResponseWriter, r *http.Request, p service.Principal)

// auth authenticates the request's API key, applies the key's rate limit,
// then checks what the request names (checkRequest).
func (s *Server) auth(h authedHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		secret, ok := bearer(r.Header.Get("Authorization"))
		if !ok {
			writeError(w, r, &carillon.Error{Code: carillon.CodeUnauthorized, Message: "missing API key: send Authorization: Bearer <api key>"})
			return
		}
		p, err := s.svc.Authenticate(r.Context(), secret)
		if err != nil {
			writeError(w, r, err)
			return
		}
		if s.limiter != nil {
			if wait, ok := s.limiter.allow(p.Key.ID, s.clock.Now()); !ok {
				w.Header().Set("Retry-After", strconv.Itoa(int(max(1, (wait+time.Second-1)/time.Second))))
				writeError(w, r, &carillon.Error{Code: carillon.CodeRateLimited, Message: "too many requests for this API key: wait for Retry-After seconds"})
				return
			}
		}
		if err := checkRequest(r); err != nil {
			writeError(w, r, err)
			return
		}
		h(w, r, p)
	}
}

func bearer(header string) (string, bool) {
	scheme, token, ok := strings.Cut(strings.TrimSpace(header), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	token = strings.TrimSpace(token)
	return token, token != ""
}
