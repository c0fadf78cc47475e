package console

import (
	"net/http"
	"net/url"

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
}

// searchPage searches the account's contacts and messages (GET /search?q=,
// with in and after for a list's next pages), each user finding what they
// may see.
func (s *Server) searchPage(w http.ResponseWriter, r *http.Request, v *visit) error {
	get := r.URL.Query().Get
	q := service.SearchQuery{Text: get("q"), In: get("in"), After: get("after")}
	p := searchPage{Query: q}
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
		v := url.Values{"q": {q.Text}}
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
