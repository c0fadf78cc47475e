// Package httpapi serves carillon's Callbell-compatible REST API: every
// route in one place (routes), request decoding, the mapping of error codes
// to HTTP statuses (writeError), authentication and rate limiting. Handlers
// decode and encode; the rules live in package service.
package httpapi

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/carillon/carillon"
	"github.com/carillon/carillon/service"
	"github.com/carillon/carillon/telemetry"
)

// Options configure the API.
type Options struct {
	Service *service.Service
	Logger  *slog.Logger
	Metrics *telemetry.Metrics
	// RateLimit is how many requests per second (bursts included) each API
	// key may make; 0 turns the limit off.
	RateLimit int
	// Clock drives the rate limiter.
	Clock carillon.Clock
}

// Server is the HTTP API.
type Server struct {
	svc     *service.Service
	log     *slog.Logger
	metrics *telemetry.Metrics
	limiter *limiter
	clock   carillon.Clock
	mux     *http.ServeMux
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
	s := &Server{svc: o.Service, log: o.Logger, metrics: o.Metrics, clock: o.Clock, mux: http.NewServeMux()}
	if o.RateLimit > 0 {
		s.limiter = newLimiter(o.RateLimit)
	}
	s.routes()
	return s
}

// routes lists the whole HTTP surface.
func (s *Server) routes() {
	s.handle("GET /healthz", s.healthz)
	s.handle("GET /readyz", s.readyz)
	s.handle("GET /metrics", s.metrics.Handler().ServeHTTP)
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

	s.handle("/v1/", s.auth(func(w http.ResponseWriter, r *http.Request, _ service.Principal) {
		writeError(w, r, carillon.NotFound("endpoint "+r.Method+" "+r.URL.Path))
	}))
	s.handle("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, r, carillon.NotFound("endpoint "+r.Method+" "+r.URL.Path))
	})
}

// handle registers a route, counted in the metrics under its pattern.
func (s *Server) handle(pattern string, h http.HandlerFunc) {
	s.mux.Handle(pattern, s.observe(pattern, h))
}

// ServeHTTP serves the API.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := s.svc.Store().Ready(ctx); err != nil {
		s.log.WarnContext(ctx, "not ready", "error", err)
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}
