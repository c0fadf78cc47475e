package console

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/carillon/carillon"
	"github.com/carillon/carillon/service"
)

// searchPage is the search form and a page of what it found: both lists'
// first pages, or the next page of one list (Query.In).
type searchPage struct {
	Query   service.SearchQuery
	Results service.SearchResults
	// Problem is what is wrong with the query, and Field the field at
	// fault.
	Problem, Field string
	// MoreContacts and MoreMessages link to each list's next page, All
	// back to both lists' first pages; "" when there is none.
	MoreContacts, MoreMessages, All string
	// Inbox is the view of the inbox the search was made from (its query
	// alone), empty when none: what is found opens beside it, and the
	// links of the page keep it.
	Inbox inboxPage
}

// FromInbox reports whether the search was made from a view of the inbox.
func (p searchPage) FromInbox() bool { return p.Inbox.query() != "" }

// ContactHref links to the conversation of a contact found, beside the
// view the search was made from; to the contact's page when it has no
// conversation.
func (p searchPage) ContactHref(c carillon.Contact) string {
	if c.ConversationUUID != "" {
		return p.Inbox.ChatHref(c.ConversationUUID)
	}
	return p.Inbox.withQuery("/contacts/" + c.UUID)
}

// MessageHref links to a message found in its conversation's thread: the
// page of the thread that ends at the message, at the message.
func (p searchPage) MessageHref(m service.FoundMessage) string {
	h := p.ContactHref(m.Contact)
	sep := "?"
	if strings.Contains(h, "?") {
		sep = "&"
	}
	return h + sep + "from=" + url.QueryEscape(service.ThreadCursor(m.ID)) + "#message-" + m.UUID
}

// InboxFields are the view's query as the search form's hidden fields:
// a search made again from the page keeps its view.
func (p searchPage) InboxFields() []field { return p.Inbox.fields() }

// searchPage searches the account's contacts and messages (GET /search?q=,
// with in and after for a list's next pages), each user finding what they
// may see.
func (s *Server) searchPage(w http.ResponseWriter, r *http.Request, v *visit) error {
	get := r.URL.Query().Get
	q := service.SearchQuery{Text: get("q"), In: get("in"), After: get("after")}
	view := inboxQuery(r)
	view.After = "" // the search's own cursor
	p := searchPage{Query: q, Inbox: inboxPage{InboxPage: service.InboxPage{Query: view}}}
	res, err := s.messages.Search(r.Context(), v.principal, viewerOf(v), q)
	p.Results = res
	if e, ok := carillon.AsError(err); ok && e.Code == carillon.CodeInvalidParameter {
		p.Problem, p.Field = e.Message, e.Field
		s.render(w, r, v, http.StatusUnprocessableEntity, "search", p)
		return nil
	}
	if err != nil {
		return err
	}
	link := func(in, after string) string {
		v, _ := url.ParseQuery(p.Inbox.query())
		v.Set("q", q.Text)
		if in != "" {
			v.Set("in", in)
			v.Set("after", after)
		}
		return "/search?" + v.Encode()
	}
	if res.MoreContacts != "" {
		p.MoreContacts = link(service.SearchContacts, res.MoreContacts)
	}
	if res.MoreMessages != "" {
		p.MoreMessages = link(service.SearchMessages, res.MoreMessages)
	}
	if q.In != "" {
		p.All = link("", "")
	}
	s.render(w, r, v, http.StatusOK, "search", p)
	return nil
}
