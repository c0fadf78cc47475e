package console

import (
	"context"
	"maps"
	"net/http"
	"net/url"
	"slices"

	"github.com/carillon/carillon"
	"github.com/carillon/carillon/service"
)

// inbox is the shared inbox: its views and a conversation's thread, read
// for the visit's user. *service.Inbox is one.
type inbox interface {
	View(ctx context.Context, p service.Principal, v service.Viewer, q service.InboxQuery) (service.InboxPage, error)
	Chat(ctx context.Context, p service.Principal, v service.Viewer, r service.ChatRequest) (service.Chat, error)
}

// inboxPage is a page of a view of the inbox, with the problem of its
// query when it has one. The chat page shows it beside the thread.
type inboxPage struct {
	service.InboxPage
	// Problem is what is wrong with the query, and Field the field at
	// fault.
	Problem, Field string
	// Current is the conversation the chat page shows, "" on the inbox.
	Current string
}

// inboxQuery reads a view of the inbox from a request's query.
func inboxQuery(r *http.Request) service.InboxQuery {
	get := r.URL.Query().Get
	return service.InboxQuery{View: get("view"), Team: get("team"), Status: get("status"), Channel: get("channel"),
		Tag: get("tag"), Funnel: get("funnel"), Sort: get("sort"), After: get("after")}
}

// query is the view's query string, its cursor left out: the inbox and
// its conversations keep it in their links, so that a conversation opens
// beside the list it was picked from, and an action comes back to it.
func (p inboxPage) query() string {
	q := p.Query
	if p.Problem != "" {
		q = service.InboxQuery{}
	}
	v := url.Values{}
	for k, val := range q.Values() {
		v.Set(k, val)
	}
	return v.Encode()
}

// field is a form's hidden field.
type field struct{ Name, Value string }

// fields are the view's query as a form's hidden fields, in the order of
// their names: the inbox's search form carries them to the search page,
// so that what it finds opens beside the view.
func (p inboxPage) fields() []field {
	v, _ := url.ParseQuery(p.query())
	var out []field
	for _, k := range slices.Sorted(maps.Keys(v)) {
		out = append(out, field{k, v.Get(k)})
	}
	return out
}

// SearchFields are the hidden fields of the inbox's search form.
func (p inboxPage) SearchFields() []field { return p.fields() }

// SearchHref is the search page, from this view.
func (p inboxPage) SearchHref() string { return p.withQuery("/search") }

// withQuery is path with the view's query string.
func (p inboxPage) withQuery(path string) string {
	if q := p.query(); q != "" {
		return path + "?" + q
	}
	return path
}

// InboxHref links to the inbox's view.
func (p inboxPage) InboxHref() string { return p.withQuery("/inbox") }

// ChatHref links to a conversation beside the view.
func (p inboxPage) ChatHref(conversationUUID string) string {
	return p.withQuery("/chat/" + conversationUUID)
}

// ViewHref links to one of the views, with the filters (channel, tag,
// funnel) and order of the one shown; its state is the view's own.
func (p inboxPage) ViewHref(v service.InboxView) string {
	vals := url.Values{}
	if v.View != service.ViewAll {
		vals.Set("view", v.View)
	}
	if v.Team != "" {
		vals.Set("team", v.Team)
	}
	if p.Problem == "" {
		for k, val := range map[string]string{"channel": p.Query.Channel, "tag": p.Query.Tag, "funnel": p.Query.Funnel} {
			if val != "" {
				vals.Set(k, val)
			}
		}
		if p.Query.Sort != string(carillon.InboxNewest) {
			vals.Set("sort", p.Query.Sort)
		}
	}
	if len(vals) == 0 {
		return "/inbox"
	}
	return "/inbox?" + vals.Encode()
}

// ClearHref links to the view shown, in its order, without its filters.
func (p inboxPage) ClearHref() string {
	v := p.CurrentView()
	vals := url.Values{}
	if v.View != service.ViewAll {
		vals.Set("view", v.View)
	}
	if v.Team != "" {
		vals.Set("team", v.Team)
	}
	if p.Query.Sort != string(carillon.InboxNewest) {
		vals.Set("sort", p.Query.Sort)
	}
	if len(vals) == 0 {
		return "/inbox"
	}
	return "/inbox?" + vals.Encode()
}

// NextHref links to the view's next page, "" on its last.
func (p inboxPage) NextHref() string {
	if p.Next == "" {
		return ""
	}
	v, _ := url.ParseQuery(p.query())
	v.Set("after", p.Next)
	return "/inbox?" + v.Encode()
}

// Filtered reports whether a filter narrows the view.
func (p inboxPage) Filtered() bool {
	q := p.Query
	return q.Channel != "" || q.Tag != "" || q.Funnel != "" || (q.View != service.ViewClosed && q.Status != string(carillon.StateOpen))
}

// CurrentView is the view shown, its label "Inbox" when none is.
func (p inboxPage) CurrentView() service.InboxView {
	for _, v := range p.Views {
		if v.Current {
			return v
		}
	}
	return service.InboxView{Label: "Inbox"}
}

// viewOf reads a page of the view the request names. A query the service
// cannot read is the page's problem, answered 422 by the inbox; the chat
// page shows the default view instead.
func (s *Server) viewOf(r *http.Request, v *visit) (inboxPage, error) {
	page, err := s.inbox.View(r.Context(), v.principal, viewerOf(v), inboxQuery(r))
	if e, ok := carillon.AsError(err); ok && e.Code == carillon.CodeInvalidParameter {
		return inboxPage{InboxPage: page, Problem: e.Message, Field: e.Field}, nil
	}
	return inboxPage{InboxPage: page}, err
}

// inboxPage is the inbox: the views the user may open, with their unread
// counts, and a page of the one chosen.
func (s *Server) inboxPage(w http.ResponseWriter, r *http.Request, v *visit) error {
	p, err := s.viewOf(r, v)
	if err != nil {
		return err
	}
	status := http.StatusOK
	if p.Problem != "" {
		status = http.StatusUnprocessableEntity
	}
	s.render(w, r, v, status, "inbox", p)
	return nil
}
