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

func (s *Server) subscribeWebhook(w http.ResponseWriter, r *http.Request, p service.Principal) error {
	var in subscribeBody
	if err := decodeBody(r, &in); err != nil {
		return err
	}
	hook, created, err := s.svc.Webhooks.Subscribe(r.Context(), p, in.URL, in.Subscriptions)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"webhook": wire.FromWebhook(hook, created)})
	return nil
}

func (s *Server) unsubscribeWebhook(w http.ResponseWriter, r *http.Request, p service.Principal) error {
	if err := s.svc.Webhooks.Unsubscribe(r.Context(), p); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "webhook was destroyed"})
	return nil
}

func (s *Server) rotateWebhookSecret(w http.ResponseWriter, r *http.Request, p service.Principal) error {
	hook, err := s.svc.Webhooks.RotateSecret(r.Context(), p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"webhook": wire.FromWebhook(hook, true)})
	return nil
}

func (s *Server) webhookEvents(w http.ResponseWriter, r *http.Request, p service.Principal) error {
	q := r.URL.Query()
	list, info, err := s.svc.Webhooks.WebhookEvents(r.Context(), p, service.WebhookEventQuery{Status: q.Get("status"), Subscriptions: q.Get("subscriptions")}, pageRequest(r))
	if err != nil {
		return err
	}
	writeList(w, "webhook_events", list, info, wire.FromWebhookEvent)
	return nil
}

func (s *Server) redeliverWebhookEvent(w http.ResponseWriter, r *http.Request, p service.Principal) error {
	e, err := s.svc.Webhooks.Redeliver(r.Context(), p, r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"webhook_event": wire.FromWebhookEvent(e)})
	return nil
}
