// Package httpapi serves carillon's Callbell-compatible REST API: every
// route in one place (routes), request decoding, the mapping of error codes
// to HTTP statuses (writeError), authentication and rate limiting. Handlers
// decode and encode, and return their errors (handlerFunc); the rules live
// in package service.
package httpapi

import (
	"context"
	"log/slog"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/carillon/carillon"
	"github.com/carillon/carillon/service"
	"github.com/carillon/carillon/telemetry"
)

// Options configure the API. Each feature the API serves is given as the
// small interface, declared where it is used, of the methods the API calls
// (the service's features are ones: *service.Messages, *service.Contacts…).
type Options struct {
	Messages   messages
	Callbacks  callbacks
	MediaFiles mediaFiles
	Contacts   contacts
	Resources  resources
	Webhooks   webhooks
	Accounts   accounts
	Readiness  readiness
	Logger     *slog.Logger
	Metrics    *telemetry.Metrics
	// RateLimit is how many requests per second (bursts included) each API
	// key may make; 0 turns the limit off.
	RateLimit int
	// AuthFailureLimit is how many failed authentications a minute (bursts
	// included) a client address may make before its requests are refused
	// for a while; 0 turns the limit off.
	AuthFailureLimit int
	// ReadTimeout bounds the reading of a whole request, headers and body;
	// 0 means no bound (the headers still have 10 seconds).
	ReadTimeout time.Duration
	// BodyPaceGrace is how long a request's body may take before it must
	// keep coming at 1 KiB a second (within ReadTimeout); 0 means 5 s.
	BodyPaceGrace time.Duration
	// MaxConnections bounds the connections served normally; past it a
	// request gets a quick 503, health checks and metrics aside. 0 means
	// no bound.
	MaxConnections int
	// Clock drives the rate limiter.
	Clock carillon.Clock
	// Console, when set, serves every request that names no route of the
	// API (the web console, at /): behind the same connection bound, read
	// timeouts, request ids and metrics as the API. Requests under /v1,
	// /callbacks and /media, and the health checks and metrics, never
	// reach it.
	Console http.Handler
}

// Server is the HTTP API.
type Server struct {
	messages   messages
	callbacks  callbacks
	mediaFiles mediaFiles
	contacts   contacts
	resources  resources
	webhooks   webhooks
	accounts   accounts
	readiness  readiness

	log     *slog.Logger
	metrics *telemetry.Metrics
	limiter *limiter
	// failures counts failed authentications per client address.
	failures    *failureLimiter
	clock       carillon.Clock
	mux         *http.ServeMux
	http        *http.Server
	maxConns    int
	readTimeout time.Duration
	bodyGrace   time.Duration
	// notFoundV1 and notFound answer unknown endpoints, under /v1 (after
	// the key is checked) and elsewhere; fallback serves what names no
	// route: the console when there is one, notFound otherwise.
	notFoundV1, notFound, fallback http.Handler
	console                        http.Handler
}

// New returns the API server.
func New(o Options) *Server {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Metrics == nil {
		o.Metrics = telemetry.New()
	}
	if o.Clock == nil {
		o.Clock = carillon.SystemClock{}
	}
	s := &Server{messages: o.Messages, callbacks: o.Callbacks, mediaFiles: o.MediaFiles, contacts: o.Contacts,
		resources: o.Resources, webhooks: o.Webhooks, accounts: o.Accounts, readiness: o.Readiness, log: o.Logger, metrics: o.Metrics, clock: o.Clock, mux: http.NewServeMux(),
		console: o.Console}
	if o.RateLimit > 0 {
		s.limiter = newLimiter(o.RateLimit)
	}
	if o.AuthFailureLimit > 0 {
		s.failures = newFailureLimiter(o.AuthFailureLimit)
	}
	s.routes()
	s.http = s.newHTTPServer(o.ReadTimeout)
	s.maxConns, s.readTimeout, s.bodyGrace = o.MaxConnections, o.ReadTimeout, o.BodyPaceGrace
	if s.bodyGrace <= 0 {
		s.bodyGrace = defaultBodyGrace
	}
	return s
}

// routes lists the whole HTTP surface.
func (s *Server) routes() {
	s.handle("GET /healthz", s.healthz)
	s.handle("GET /readyz", s.readyz)
	s.mux.Handle("GET /metrics", s.observe("GET /metrics", s.metrics.Handler()))
	s.handle("GET /v1/openapi.yaml", s.openAPI)
	s.handle("GET /callbacks/{provider}/{channel}", public(s.providerCallback))
	s.handle("POST /callbacks/{provider}/{channel}", public(s.providerCallback))
	s.handle("GET /media/{name}", public(s.media))

	s.handle("GET /v1/auth/me", s.auth(s.authMe))
	s.handle("POST /v1/messages/send", s.auth(s.sendMessage))
	s.handle("GET /v1/messages/status/{uuid}", s.auth(s.messageStatus))
	s.handle("DELETE /v1/messages/{uuid}", s.auth(s.deleteMessage))
	s.handle("DELETE /v1/messages", s.auth(s.deleteMessageByBody))
	s.handle("POST /v1/sandbox/inbound", s.auth(s.sandboxInbound))

	s.handle("GET /v1/channels", s.auth(s.listChannels))
	s.handle("GET /v1/channels/{uuid}", s.auth(s.getChannel))
	s.handle("PATCH /v1/channels/{uuid}", s.auth(s.updateChannel))
	s.handle("GET /v1/teams", s.auth(s.listTeams))
	s.handle("GET /v1/teams/{uuid}", s.auth(s.getTeam))
	s.handle("PATCH /v1/teams/{uuid}", s.auth(s.updateTeam))
	s.handle("GET /v1/teams/{uuid}/members", s.auth(s.teamMembers))
	s.handle("GET /v1/templates", s.auth(s.listTemplates))
	s.handle("GET /v1/templates/{uuid}", s.auth(s.getTemplate))
	s.handle("PATCH /v1/templates/{uuid}", s.auth(s.updateTemplate))
	s.handle("GET /v1/funnels", s.auth(s.listFunnels))
	s.handle("GET /v1/custom_statuses", s.auth(s.listCustomStatuses))
	s.handle("POST /v1/custom_statuses", s.auth(s.createCustomStatus))
	s.handle("GET /v1/custom_statuses/{id}", s.auth(s.getCustomStatus))
	s.handle("PUT /v1/custom_statuses/{id}", s.auth(s.updateCustomStatus))
	s.handle("DELETE /v1/custom_statuses/{id}", s.auth(s.deleteCustomStatus))
	s.handle("GET /v1/plan", s.auth(s.plan))
	s.handle("GET /v1/contacts", s.auth(s.listContacts))
	s.handle("POST /v1/contacts", s.auth(s.createContact))
	s.handle("GET /v1/contacts/{uuid}", s.auth(s.getContact))
	s.handle("PATCH /v1/contacts/{uuid}", s.auth(s.updateContact))
	s.handle("DELETE /v1/contacts/{uuid}", s.auth(s.deleteContact))
	// GET /v1/contacts/phone/{number}, /bsuid/{bsuid}, /{uuid}/messages and
	// /{uuid}/bot: one pattern, since ServeMux cannot rank them.
	s.handle("GET /v1/contacts/{uuid}/{sub}", s.auth(s.contactSubresource))
	s.handle("POST /v1/contacts/{uuid}/bot", s.auth(s.setContactBot))
	s.handle("POST /v1/contacts/{uuid}/conversation/open", s.auth(s.openConversation))
	s.handle("POST /v1/contacts/{uuid}/conversation/close", s.auth(s.closeConversation))
	s.handle("POST /v1/contacts/{uuid}/conversation/note", s.auth(s.addNote))
	s.handle("PUT /v1/contacts/{uuid}/conversation/update_funnel", s.auth(s.updateFunnel))
	s.handle("PUT /v1/users/{uuid}/status", s.auth(s.setUserStatus))
	s.handle("DELETE /v1/users/{uuid}/status", s.auth(s.clearUserStatus))
	s.handle("POST /v1/webhooks/subscribe", s.auth(s.subscribeWebhook))
	s.handle("DELETE /v1/webhooks/unsubscribe", s.auth(s.unsubscribeWebhook))
	s.handle("POST /v1/webhooks/rotate_secret", s.auth(s.rotateWebhookSecret))
	s.handle("GET /v1/webhooks/events", s.auth(s.webhookEvents))
	s.handle("POST /v1/webhooks/events/{id}/redeliver", s.auth(s.redeliverWebhookEvent))

	s.notFoundV1 = s.observe("/v1/", s.auth(func(w http.ResponseWriter, r *http.Request, _ service.Principal) error {
		return unknownEndpoint(r)
	}))
	s.notFound = s.observe("/", handlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		return unknownEndpoint(r)
	}))
	s.fallback = s.notFound
	if s.console != nil {
		s.fallback = s.observe("console", s.console)
	}
	s.mux.Handle("/v1/", s.notFoundV1)
	// /v1 itself too: ServeMux would otherwise redirect it to /v1/.
	s.mux.Handle("/v1", s.notFoundV1)
	s.mux.Handle("/", s.fallback)
}

// handlerFunc is the shape of every handler: it writes its answer, or
// returns the error that is its answer instead. The error is written in one
// place (ServeHTTP), so every failure gets the same JSON error body, and a
// handler cannot write an error and then forget to stop.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// ServeHTTP runs h and answers with the error it returns, if any. A
// handler returns an error only before it has written anything.
func (h handlerFunc) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if err := h(w, r); err != nil {
		writeError(w, r, err)
	}
}

// handle registers a route, counted in the metrics under its pattern.
func (s *Server) handle(pattern string, h handlerFunc) {
	s.mux.Handle(pattern, s.observe(pattern, h))
}

// unknownEndpoint is the answer to a request that names no endpoint.
func unknownEndpoint(r *http.Request) error {
	return carillon.NotFound("endpoint " + r.Method + " " + r.URL.Path)
}

// ServeHTTP serves the API. A path that is not in its clean form (with
// ".", ".." or an empty segment) names no endpoint: it answers like an
// unknown one, in JSON, where ServeMux would redirect with an HTML body.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if p := r.URL.EscapedPath(); p != cleanPath(p) && r.Method != http.MethodConnect {
		if p == "/v1" || strings.HasPrefix(p, "/v1/") {
			s.notFoundV1.ServeHTTP(w, r)
		} else {
			s.notFound.ServeHTTP(w, r)
		}
		return
	}
	s.mux.ServeHTTP(w, r)
}

// cleanPath is the form ServeMux redirects a path to: rooted, without "."
// and ".." segments or repeated slashes, keeping a trailing slash.
func cleanPath(p string) string {
	if p == "" {
		return "/"
	}
	if p[0] != '/' {
		p = "/" + p
	}
	np := path.Clean(p)
	if p[len(p)-1] == '/' && np != "/" {
		np += "/"
	}
	return np
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) error {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	return nil
}

// readiness tells whether the server can serve: its store answers and its
// schema is current. *service.Service is one.
type readiness interface {
	Ready(ctx context.Context) error
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) error {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := s.readiness.Ready(ctx); err != nil {
		s.log.WarnContext(ctx, "not ready", "error", err)
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable"})
		return nil
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	return nil
}
