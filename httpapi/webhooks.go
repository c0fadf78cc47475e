package httpapi

import (
	"net/http"

	"github.com/carillon/carillon/service"
	"github.com/carillon/carillon/wire"
)

type subscribeBody struct {
	URL           string   `json:"url"`
	Subscriptions []string `json:"subscriptions"`
}

func (s *Server) subscribeWebhook(w http.ResponseWriter, r *http.Request, p service.Principal) {
	var in subscribeBody
	if err := decodeBody(r, &in); err != nil {
		writeError(w, r, err)
		return
	}
	hook, created, err := s.svc.Webhooks.Subscribe(r.Context(), p, in.URL, in.Subscriptions)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"webhook": wire.FromWebhook(hook, created)})
}

func (s *Server) unsubscribeWebhook(w http.ResponseWriter, r *http.Request, p service.Principal) {
	if err := s.svc.Webhooks.Unsubscribe(r.Context(), p); err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "webhook was destroyed"})
}

func (s *Server) rotateWebhookSecret(w http.ResponseWriter, r *http.Request, p service.Principal) {
	hook, err := s.svc.Webhooks.RotateSecret(r.Context(), p)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"webhook": wire.FromWebhook(hook, true)})
}

func (s *Server) webhookEvents(w http.ResponseWriter, r *http.Request, p service.Principal) {
	q := r.URL.Query()
	list, info, err := s.svc.Webhooks.WebhookEvents(r.Context(), p, service.WebhookEventQuery{Status: q.Get("status"), Subscriptions: q.Get("subscriptions")}, pageRequest(r))
	if err != nil {
		writeError(w, r, err)
		return
	}
	out := make([]wire.WebhookEvent, len(list))
	for i, e := range list {
		out[i] = wire.FromWebhookEvent(e)
	}
	writeJSON(w, http.StatusOK, map[string]any{"webhook_events": out, "meta": meta(info)})
}

func (s *Server) redeliverWebhookEvent(w http.ResponseWriter, r *http.Request, p service.Principal) {
	e, err := s.svc.Webhooks.Redeliver(r.Context(), p, r.PathValue("id"))
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"webhook_event": wire.FromWebhookEvent(e)})
}
