package console

import (
	"context"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/carillon/carillon"
	"github.com/carillon/carillon/service"
)

// webhooks are the account's webhook and its delivery log: the same rules
// the API's webhook endpoints call. *service.Webhooks is one.
type webhooks interface {
	WebhookStatus(ctx context.Context, p service.Principal) (service.WebhookStatus, error)
	Subscribe(ctx context.Context, p service.Principal, rawURL string, subscriptions []string) (w carillon.Webhook, created bool, err error)
	Unsubscribe(ctx context.Context, p service.Principal) error
	RotateSecret(ctx context.Context, p service.Principal) (carillon.Webhook, error)
	SendTestEvent(ctx context.Context, p service.Principal) (carillon.WebhookEvent, error)
	WebhookLog(ctx context.Context, p service.Principal, q service.WebhookLogQuery) (service.WebhookLogPage, error)
	WebhookEvent(ctx context.Context, p service.Principal, id string) (service.WebhookEventView, error)
	Redeliver(ctx context.Context, p service.Principal, id string) (carillon.WebhookEvent, error)
	ResendFailed(ctx context.Context, p service.Principal, from, to string) (int, error)
}

// webhookPage is the webhook's settings and health, with the secret just
// made (shown this once) or the problem of the form just sent.
type webhookPage struct {
	// Status is nil when the account has no webhook.
	Status *webhookStatus
	// URL and Events are the form's values: the webhook's, or those just
	// sent back with a problem.
	URL    string
	Events []eventChoice
	// Secret is set in the answer that made it: a new webhook's, or a
	// rotated one.
	Secret  string
	Rotated bool
	Saved   bool
	// Problem is the form's problem, Field the field it names ("" for
	// the page's actions).
	Problem, Field string
}

// webhookStatus is the webhook's health, with its rules in words.
type webhookStatus struct{ service.WebhookStatus }

// DisableAfterText is how long without a 2xx disables the webhook.
func (s webhookStatus) DisableAfterText() string { return inWords(s.DisableAfter) }

// CheckAfterText is the health checks' period.
func (s webhookStatus) CheckAfterText() string { return inWords(s.CheckAfter) }

// inWords writes a duration of whole hours, minutes or seconds in words.
func inWords(d time.Duration) string {
	unit := func(n int64, one string) string {
		if n == 1 {
			return "1 " + one
		}
		return strconv.FormatInt(n, 10) + " " + one + "s"
	}
	switch {
	case d >= time.Hour && d%time.Hour == 0:
		return unit(int64(d/time.Hour), "hour")
	case d >= time.Minute && d%time.Minute == 0:
		return unit(int64(d/time.Minute), "minute")
	case d%time.Second == 0:
		return unit(int64(d/time.Second), "second")
	}
	return d.String()
}

// eventChoice is a checkbox of the subscribed events.
type eventChoice struct {
	Name    string
	Checked bool
}

func eventChoices(checked []string) []eventChoice {
	out := make([]eventChoice, len(carillon.WebhookEventNames))
	for i, n := range carillon.WebhookEventNames {
		out[i] = eventChoice{Name: n, Checked: slices.Contains(checked, n)}
	}
	return out
}

func (s *Server) webhookPage(w http.ResponseWriter, r *http.Request, v *visit) error {
	return s.showWebhook(w, r, v, http.StatusOK, webhookPage{Saved: r.URL.Query().Get("saved") != ""}, true)
}

// showWebhook answers the settings page with p; fill takes the form's
// values from the webhook (not when they are the values just sent).
func (s *Server) showWebhook(w http.ResponseWriter, r *http.Request, v *visit, status int, p webhookPage, fill bool) error {
	st, err := s.webhooks.WebhookStatus(r.Context(), v.principal)
	switch e, ok := carillon.AsError(err); {
	case err == nil:
		p.Status = &webhookStatus{st}
		if fill {
			p.URL, p.Events = st.URL, eventChoices(st.Subscriptions)
		}
	case ok && e.Code == carillon.CodeNotFound:
		if fill {
			p.Events = eventChoices(nil)
		}
	default:
		return err
	}
	s.render(w, r, v, status, "webhook", p)
	return nil
}

// saveWebhook subscribes the account's webhook, or changes it. A new
// webhook's answer is the page that shows its secret, the only place it
// is ever shown; a change is answered by a redirect.
func (s *Server) saveWebhook(w http.ResponseWriter, r *http.Request, v *visit) error {
	if err := r.ParseForm(); err != nil {
		return carillon.Invalid("form", "the form could not be read")
	}
	url, events := r.PostForm.Get("url"), r.PostForm["events"]
	hook, created, err := s.webhooks.Subscribe(r.Context(), v.principal, url, events)
	if e, ok := carillon.AsError(err); ok && e.Code == carillon.CodeInvalidParameter {
		return s.showWebhook(w, r, v, http.StatusUnprocessableEntity,
			webhookPage{URL: url, Events: eventChoices(events), Problem: e.Message, Field: e.Field}, false)
	}
	if err != nil {
		return err
	}
	if created {
		return s.showWebhook(w, r, v, http.StatusCreated, webhookPage{Secret: hook.Secret}, true)
	}
	http.Redirect(w, r, "/settings/webhook?saved=1", http.StatusSeeOther)
	return nil
}

func (s *Server) unsubscribeWebhook(w http.ResponseWriter, r *http.Request, v *visit) error {
	if err := s.webhooks.Unsubscribe(r.Context(), v.principal); err != nil {
		return err
	}
	http.Redirect(w, r, "/settings/webhook", http.StatusSeeOther)
	return nil
}

// rotateWebhookSecret answers with the page that shows the new secret,
// this once.
func (s *Server) rotateWebhookSecret(w http.ResponseWriter, r *http.Request, v *visit) error {
	hook, err := s.webhooks.RotateSecret(r.Context(), v.principal)
	if err != nil {
		return err
	}
	return s.showWebhook(w, r, v, http.StatusOK, webhookPage{Secret: hook.Secret, Rotated: true}, true)
}

// sendTestEvent records a test event and answers with its page, where its
// attempts appear.
func (s *Server) sendTestEvent(w http.ResponseWriter, r *http.Request, v *visit) error {
	e, err := s.webhooks.SendTestEvent(r.Context(), v.principal)
	if ce, ok := carillon.AsError(err); ok && ce.Code == carillon.CodeConflict {
		return s.showWebhook(w, r, v, http.StatusConflict, webhookPage{Problem: ce.Message}, true)
	}
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/settings/webhook/events/"+e.UUID, http.StatusSeeOther)
	return nil
}
