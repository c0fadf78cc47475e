package httpapi

import (
	"context"
	"net/http"

	"github.com/carillon/carillon"

	"github.com/carillon/carillon/service"
	"github.com/carillon/carillon/wire"
)

// webhooks are the rules of the account's webhook and its event log the
// API calls. *service.Webhooks is one.
type webhooks interface {
	Subscribe(ctx context.Context, p service.Principal, rawURL string, subscriptions []string) (w carillon.Webhook, created bool, err error)
	Unsubscribe(ctx context.Context, p service.Principal) error
	RotateSecret(ctx context.Context, p service.Principal) (carillon.Webhook, error)
	WebhookEvents(ctx context.Context, p service.Principal, f service.WebhookEventQuery, pr service.PageRequest) ([]carillon.WebhookEvent, service.PageInfo, error)
	Redeliver(ctx context.Context, p service.Principal, id string) (carillon.WebhookEvent, error)
}

type subscribeBody struct {
	URL           string   `json:"url"`
	Subscriptions []string `json:"subscriptions"`
}

func (s *Server) subscribeWebhook(w http.ResponseWriter, r *http.Request, p service.Principal) error {
	var in subscribeBody
	if err := decodeBody(r, &in); err != nil {
		return err
	}
	hook, created, err := s.webhooks.Subscribe(r.Context(), p, in.URL, in.Subscriptions)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"webhook": wire.FromWebhook(hook, created)})
	return nil
}

func (s *Server) unsubscribeWebhook(w http.ResponseWriter, r *http.Request, p service.Principal) error {
	if err := s.webhooks.Unsubscribe(r.Context(), p); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "webhook was destroyed"})
	return nil
}

func (s *Server) rotateWebhookSecret(w http.ResponseWriter, r *http.Request, p service.Principal) error {
	hook, err := s.webhooks.RotateSecret(r.Context(), p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"webhook": wire.FromWebhook(hook, true)})
	return nil
}

func (s *Server) webhookEvents(w http.ResponseWriter, r *http.Request, p service.Principal) error {
	q := r.URL.Query()
	list, info, err := s.webhooks.WebhookEvents(r.Context(), p, service.WebhookEventQuery{Status: q.Get("status"), Subscriptions: q.Get("subscriptions")}, pageRequest(r))
	if err != nil {
		return err
	}
	writeList(w, "webhook_events", list, info, wire.FromWebhookEvent)
	return nil
}

func (s *Server) redeliverWebhookEvent(w http.ResponseWriter, r *http.Request, p service.Principal) error {
	e, err := s.webhooks.Redeliver(r.Context(), p, r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"webhook_event": wire.FromWebhookEvent(e)})
	return nil
}
