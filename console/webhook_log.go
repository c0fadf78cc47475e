package console

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/carillon/carillon"
	"github.com/carillon/carillon/service"
)

// webhookLogPage is a page of the delivery log, with its filters.
type webhookLogPage struct {
	Query  service.WebhookLogQuery
	Events []carillon.WebhookEvent
	// Next is the link to the next (older) page; "" on the last page.
	Next string
	// Newest is the link to the newest page with the same filters; ""
	// on that page.
	Newest string
	// EventNames are the names the event filter offers.
	EventNames []string
	// Queued is how many events a resend just queued; -1 when none was
	// asked.
	Queued int
	// FilterProblem is the problem of the filters, FilterField the field
	// it names; ResendProblem and ResendField those of the resend form.
	FilterProblem, FilterField string
	ResendProblem, ResendField string
	// ResendFrom and ResendTo are the resend form's values.
	ResendFrom, ResendTo string
}

func logQuery(r *http.Request) service.WebhookLogQuery {
	q := r.URL.Query()
	return service.WebhookLogQuery{Event: q.Get("event"), State: q.Get("state"), Success: q.Get("success"),
		From: q.Get("from"), To: q.Get("to"), After: q.Get("after")}
}

// logLink is the URL of the log filtered by q, from its page after.
func logLink(q service.WebhookLogQuery, after string) string {
	v := url.Values{}
	for k, val := range map[string]string{"event": q.Event, "state": q.State, "success": q.Success, "from": q.From, "to": q.To, "after": after} {
		if val != "" {
			v.Set(k, val)
		}
	}
	if len(v) == 0 {
		return "/settings/webhook/events"
	}
	return "/settings/webhook/events?" + v.Encode()
}

func (s *Server) webhookLogPage(w http.ResponseWriter, r *http.Request, v *visit) error {
	p := webhookLogPage{Query: logQuery(r), Queued: -1}
	if n, err := strconv.Atoi(r.URL.Query().Get("queued")); err == nil && n >= 0 {
		p.Queued = n
	}
	p.ResendFrom, p.ResendTo = p.Query.From, p.Query.To
	return s.showWebhookLog(w, r, v, http.StatusOK, p)
}

func (s *Server) showWebhookLog(w http.ResponseWriter, r *http.Request, v *visit, status int, p webhookLogPage) error {
	p.EventNames = append(append([]string{}, carillon.WebhookEventNames...), carillon.EventWebhookTest)
	if p.Query.After != "" {
		p.Newest = logLink(service.WebhookLogQuery{Event: p.Query.Event, State: p.Query.State, Success: p.Query.Success,
			From: p.Query.From, To: p.Query.To}, "")
	}
	page, err := s.webhooks.WebhookLog(r.Context(), v.principal, p.Query)
	if e, ok := carillon.AsError(err); ok && e.Code == carillon.CodeInvalidParameter {
		// A filter the user can fix: the form shows it with its problem.
		p.FilterProblem, p.FilterField = e.Message, e.Field
		status = http.StatusUnprocessableEntity
		err = nil
	}
	if err != nil {
		return err
	}
	p.Events = page.Events
	if page.Next != "" {
		p.Next = logLink(p.Query, page.Next)
	}
	s.render(w, r, v, status, "webhook-events", p)
	return nil
}

// resendFailed queues the given-up events of a period again, and answers
// with the log of that period, saying how many.
func (s *Server) resendFailed(w http.ResponseWriter, r *http.Request, v *visit) error {
	from, to := r.PostFormValue("from"), r.PostFormValue("to")
	n, err := s.webhooks.ResendFailed(r.Context(), v.principal, from, to)
	if e, ok := carillon.AsError(err); ok && e.Code == carillon.CodeInvalidParameter {
		return s.showWebhookLog(w, r, v, http.StatusUnprocessableEntity, webhookLogPage{Queued: -1,
			ResendProblem: e.Message, ResendField: e.Field, ResendFrom: from, ResendTo: to})
	}
	if err != nil {
		return err
	}
	link := logLink(service.WebhookLogQuery{From: from, To: to}, "")
	sep := "?"
	if from != "" || to != "" {
		sep = "&"
	}
	http.Redirect(w, r, link+sep+"queued="+strconv.Itoa(n), http.StatusSeeOther)
	return nil
}

// webhookEventPage is an event of the log with each of its attempts.
type webhookEventPage struct {
	Event carillon.WebhookEvent
	// Body is the event's body as sent, indented to be read.
	Body     string
	Attempts []attemptView
	// Waiting is set while the event is pending and not attempted yet:
	// the page looks again until its attempt is made (assets/refresh.js).
	Waiting bool
}

// attemptView is an attempt as the event's page shows it.
type attemptView struct {
	carillon.WebhookAttempt
	// When is the attempt's time, to the second.
	When string
	// Took is its duration, in words.
	Took string
	// Status is the answer's status line ("" without an answer).
	Status string
}

func (s *Server) webhookEventPage(w http.ResponseWriter, r *http.Request, v *visit) error {
	ev, err := s.webhooks.WebhookEvent(r.Context(), v.principal, r.PathValue("id"))
	if err != nil {
		return err
	}
	p := webhookEventPage{Event: ev.Event, Body: string(ev.Event.Body),
		Waiting: len(ev.Attempts) == 0 && ev.Event.State == carillon.EventPending}
	var indented bytes.Buffer
	if json.Indent(&indented, ev.Event.Body, "", "  ") == nil {
		p.Body = indented.String()
	}
	// Newest first, like the log.
	for i := len(ev.Attempts) - 1; i >= 0; i-- {
		a := ev.Attempts[i]
		av := attemptView{WebhookAttempt: a, When: a.At.UTC().Format("2006-01-02 15:04:05 UTC"), Took: took(a.Duration)}
		if a.Response.Code != 0 {
			av.Status = strconv.Itoa(a.Response.Code) + " " + http.StatusText(a.Response.Code)
		}
		p.Attempts = append(p.Attempts, av)
	}
	s.render(w, r, v, http.StatusOK, "webhook-event", p)
	return nil
}

// took writes a duration to the millisecond, or under a millisecond.
func took(d time.Duration) string {
	if d < time.Millisecond {
		return "under 1 ms"
	}
	if d < 10*time.Second {
		return fmt.Sprintf("%d ms", d.Milliseconds())
	}
	return d.Round(100 * time.Millisecond).String()
}

// resendEvent attempts an event again now, as the API's redelivery does,
// and answers with its page, where the attempt appears.
func (s *Server) resendEvent(w http.ResponseWriter, r *http.Request, v *visit) error {
	e, err := s.webhooks.Redeliver(r.Context(), v.principal, r.PathValue("id"))
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/settings/webhook/events/"+e.UUID, http.StatusSeeOther)
	return nil
}
