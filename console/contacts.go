package console

import (
	"net/http"

	"github.com/carillon/carillon/service"
)

// contactPage is a contact with its latest messages, newest first.
type contactPage struct {
	Contact  service.ContactView
	Messages []service.HistoryMessage
	// Chat is set on the conversation's page (/chat/{uuid}).
	Chat bool
	// Composer answers the conversation, on its page.
	Composer *composerView
}

// latestMessages is how many of a contact's messages its page shows.
const latestMessages = 20

// contactPage is a contact, named by its uuid. A contact, its
// conversation and its messages are read as the visit's viewer may see
// them (service.Viewer): one they may not see answers 404, as another
// account's does.
func (s *Server) contactPage(w http.ResponseWriter, r *http.Request, v *visit) error {
	c, err := s.contacts.ContactFor(r.Context(), v.principal, viewerOf(v), pathUUID(r))
	if err != nil {
		return err
	}
	return s.showContact(w, r, v, c, nil)
}

// chatPage is a conversation, named by its uuid: for now its contact's page
// with the messages, and the composer.
func (s *Server) chatPage(w http.ResponseWriter, r *http.Request, v *visit) error {
	c, err := s.contacts.ConversationFor(r.Context(), v.principal, viewerOf(v), pathUUID(r))
	if err != nil {
		return err
	}
	return s.showContact(w, r, v, c, &composerForm{})
}

// showContact shows the contact's page, or with compose its
// conversation's, with the composer and what its form sent.
func (s *Server) showContact(w http.ResponseWriter, r *http.Request, v *visit, c service.ContactView, compose *composerForm) error {
	msgs, err := s.contacts.LatestMessagesFor(r.Context(), v.principal, viewerOf(v), c.UUID, latestMessages)
	if err != nil {
		return err
	}
	page, status := contactPage{Contact: c, Messages: msgs, Chat: compose != nil}, http.StatusOK
	if compose != nil {
		if page.Composer, err = s.composerOf(r, v, c, *compose); err != nil {
			return err
		}
		status = max(status, compose.Status)
	}
	s.render(w, r, v, status, "contact", page)
	return nil
}

// pathUUID is the {uuid} of the path, "" when it is not one: an id that
// cannot name anything is not looked up.
func pathUUID(r *http.Request) string {
	id := r.PathValue("uuid")
	if len(id) != 32 {
		return ""
	}
	for _, c := range id {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return ""
		}
	}
	return id
}
