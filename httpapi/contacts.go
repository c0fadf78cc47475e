package httpapi

import (
	"context"
	"net/http"

	"github.com/carillon/carillon"
	"github.com/carillon/carillon/service"
	"github.com/carillon/carillon/wire"
)

// contacts are the rules of contacts and their conversations the API
// calls. *service.Contacts is one.
type contacts interface {
	ListContacts(ctx context.Context, p service.Principal, f service.ContactFilter, pr service.PageRequest) ([]service.ContactView, service.PageInfo, error)
	Contact(ctx context.Context, p service.Principal, uuid string) (service.ContactView, error)
	ContactByPhone(ctx context.Context, p service.Principal, number, channelUUID string) (service.ContactView, error)
	ContactByBSUID(ctx context.Context, p service.Principal, bsuid, channelUUID string) (service.ContactView, error)
	CreateContact(ctx context.Context, p service.Principal, in service.ContactInput) (service.ContactView, error)
	UpdateContact(ctx context.Context, p service.Principal, uuid string, u service.ContactUpdate) (service.ContactView, error)
	DeleteContact(ctx context.Context, p service.Principal, uuid string) error
	ContactMessages(ctx context.Context, p service.Principal, uuid string, pr service.PageRequest) ([]service.HistoryMessage, service.PageInfo, error)
	ContactBot(ctx context.Context, p service.Principal, uuid string) (service.Bot, error)
	SetContactBot(ctx context.Context, p service.Principal, uuid, status string) (service.Bot, error)
	OpenConversation(ctx context.Context, p service.Principal, uuid string) (service.ContactView, error)
	CloseConversation(ctx context.Context, p service.Principal, uuid, reason string) (service.ContactView, error)
	AddNote(ctx context.Context, p service.Principal, uuid, text string) (carillon.Message, error)
	UpdateFunnel(ctx context.Context, p service.Principal, uuid, funnelID string) (service.ContactView, error)
	// ContactView reads the extras of a contact a send answers with.
	ContactView(ctx context.Context, c carillon.Contact, ch carillon.Channel) (service.ContactView, error)
	WireContact(v service.ContactView, withTypes bool) wire.Contact
}

// contactOf converts a contact view; withTypes adds customFieldsMetadata.
func (s *Server) contactOf(v service.ContactView, withTypes bool) wire.Contact {
	return s.contacts.WireContact(v, withTypes)
}

// includeFieldTypes reads the include_field_types parameter.
func includeFieldTypes(r *http.Request) (bool, error) {
	switch v := r.URL.Query().Get("include_field_types"); v {
	case "", "false":
		return false, nil
	case "true":
		return true, nil
	default:
		return false, carillon.Invalid("include_field_types", "include_field_types must be true or false, not %q", v)
	}
}

// answerContact answers one contact, or returns the error that came
// instead.
func (s *Server) answerContact(w http.ResponseWriter, v service.ContactView, err error) error {
	if err != nil {
		return err
	}
	s.writeContact(w, v, false)
	return nil
}

// writeContact answers one contact, {"contact":…}: the bytes writeJSON
// writes for a struct of one field, contact, appended by
// wire.AppendContact.
func (s *Server) writeContact(w http.ResponseWriter, v service.ContactView, withTypes bool) {
	b := answerBuffers.Get().(*[]byte)
	defer putAnswerBuffer(b)
	*b = append((*b)[:0], `{"contact":`...)
	*b = wire.AppendContact(*b, s.contactOf(v, withTypes))
	*b = append(*b, "}\n"...)
	writeBody(w, http.StatusOK, *b)
}

// writeContacts answers a page of contacts, {"contacts":[…],"meta":…}: the
// bytes writeList writes, appended by wire.AppendContact.
func (s *Server) writeContacts(w http.ResponseWriter, list []service.ContactView, info service.PageInfo, withTypes bool) {
	writeAppendedList(w, "contacts", list, info, func(b []byte, v service.ContactView) []byte {
		return wire.AppendContact(b, s.contactOf(v, withTypes))
	})
}

// readContact answers a contact that was looked up, with its field types
// when include_field_types=true.
func (s *Server) readContact(w http.ResponseWriter, r *http.Request, lookup func() (service.ContactView, error)) error {
	withTypes, err := includeFieldTypes(r)
	if err != nil {
		return err
	}
	v, err := lookup()
	if err != nil {
		return err
	}
	s.writeContact(w, v, withTypes)
	return nil
}

func (s *Server) listContacts(w http.ResponseWriter, r *http.Request, p service.Principal) error {
	withTypes, err := includeFieldTypes(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	list, info, err := s.contacts.ListContacts(r.Context(), p, service.ContactFilter{Source: q.Get("source"), Tags: q.Get("tags"), TeamUUID: q.Get("team_uuid")}, pageRequest(r))
	if err != nil {
		return err
	}
	s.writeContacts(w, list, info, withTypes)
	return nil
}

func (s *Server) getContact(w http.ResponseWriter, r *http.Request, p service.Principal) error {
	return s.readContact(w, r, func() (service.ContactView, error) {
		return s.contacts.Contact(r.Context(), p, r.PathValue("uuid"))
	})
}

// contactSubresource serves GET /v1/contacts/phone/{number},
// /v1/contacts/bsuid/{bsuid}, /v1/contacts/{uuid}/messages and
// /v1/contacts/{uuid}/bot.
func (s *Server) contactSubresource(w http.ResponseWriter, r *http.Request, p service.Principal) error {
	first, second := r.PathValue("uuid"), r.PathValue("sub")
	switch {
	case first == "phone":
		return s.readContact(w, r, func() (service.ContactView, error) {
			return s.contacts.ContactByPhone(r.Context(), p, second, r.URL.Query().Get("channel_uuid"))
		})
	case first == "bsuid":
		return s.readContact(w, r, func() (service.ContactView, error) {
			return s.contacts.ContactByBSUID(r.Context(), p, second, r.URL.Query().Get("channel_uuid"))
		})
	case second == "messages":
		return s.contactMessages(w, r, p)
	case second == "bot":
		return s.contactBot(w, r, p)
	default:
		return unknownEndpoint(r)
	}
}

// contactBody is the body of POST /v1/contacts and PATCH /v1/contacts/:uuid.
type contactBody struct {
	Identifier   string         `json:"identifier"`
	Source       string         `json:"source"`
	Name         *string        `json:"name"`
	Tags         []string       `json:"tags"`
	CustomFields map[string]any `json:"custom_fields"`
	AssignedUser *string        `json:"assigned_user"`
	UnassignUser bool           `json:"unassign_user"`
	TeamUUID     *string        `json:"team_uuid"`
	ChannelUUID  string         `json:"channel_uuid"`
	BotStatus    *string        `json:"bot_status"`
	Note         *string        `json:"note"`
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func (b contactBody) input() service.ContactInput {
	return service.ContactInput{Identifier: b.Identifier, Source: b.Source, Name: deref(b.Name), Tags: b.Tags,
		CustomFields: b.CustomFields, AssignedUser: deref(b.AssignedUser), TeamUUID: deref(b.TeamUUID),
		ChannelUUID: b.ChannelUUID, BotStatus: deref(b.BotStatus), Note: b.Note}
}

func (b contactBody) update() service.ContactUpdate {
	return service.ContactUpdate{Name: b.Name, Tags: b.Tags, CustomFields: b.CustomFields, AssignedUser: b.AssignedUser,
		UnassignUser: b.UnassignUser, TeamUUID: b.TeamUUID, BotStatus: b.BotStatus, Note: b.Note}
}

func (s *Server) createContact(w http.ResponseWriter, r *http.Request, p service.Principal) error {
	var in contactBody
	if err := decodeBody(r, &in); err != nil {
		return err
	}
	v, err := s.contacts.CreateContact(r.Context(), p, in.input())
	return s.answerContact(w, v, err)
}

func (s *Server) updateContact(w http.ResponseWriter, r *http.Request, p service.Principal) error {
	var in contactBody
	if err := decodeBody(r, &in); err != nil {
		return err
	}
	v, err := s.contacts.UpdateContact(r.Context(), p, r.PathValue("uuid"), in.update())
	return s.answerContact(w, v, err)
}

func (s *Server) deleteContact(w http.ResponseWriter, r *http.Request, p service.Principal) error {
	if err := s.contacts.DeleteContact(r.Context(), p, r.PathValue("uuid")); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "contact was destroyed"})
	return nil
}

func (s *Server) contactMessages(w http.ResponseWriter, r *http.Request, p service.Principal) error {
	list, info, err := s.contacts.ContactMessages(r.Context(), p, r.PathValue("uuid"), pageRequest(r))
	if err != nil {
		return err
	}
	writeMessages(w, list, info)
	return nil
}

// writeMessages answers a page of a contact's messages, {"messages":[…],
// "meta":…}: the bytes writeList writes, appended by wire.AppendMessage.
func writeMessages(w http.ResponseWriter, list []service.HistoryMessage, info service.PageInfo) {
	writeAppendedList(w, "messages", list, info, func(b []byte, m service.HistoryMessage) []byte {
		return wire.AppendMessage(b, wire.FromMessage(m.Message, m.Contact, m.Channel))
	})
}

func botOf(b service.Bot) map[string]wire.Bot {
	return map[string]wire.Bot{"bot": {UUID: b.UUID, Name: "default", Status: b.Status,
		ConversationStartedAt: wire.Time(b.StartedAt), Version: 1, LatestBotVersion: true}}
}

func (s *Server) contactBot(w http.ResponseWriter, r *http.Request, p service.Principal) error {
	b, err := s.contacts.ContactBot(r.Context(), p, r.PathValue("uuid"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, botOf(b))
	return nil
}

func (s *Server) setContactBot(w http.ResponseWriter, r *http.Request, p service.Principal) error {
	var in struct {
		Status string `json:"status"`
	}
	if err := decodeBody(r, &in); err != nil {
		return err
	}
	b, err := s.contacts.SetContactBot(r.Context(), p, r.PathValue("uuid"), in.Status)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, botOf(b))
	return nil
}

func (s *Server) openConversation(w http.ResponseWriter, r *http.Request, p service.Principal) error {
	if err := decodeBody(r, &struct{}{}); err != nil {
		return err
	}
	v, err := s.contacts.OpenConversation(r.Context(), p, r.PathValue("uuid"))
	return s.answerContact(w, v, err)
}

func (s *Server) closeConversation(w http.ResponseWriter, r *http.Request, p service.Principal) error {
	var in struct {
		ClosingReason string `json:"closing_reason"`
	}
	if err := decodeBody(r, &in); err != nil {
		return err
	}
	v, err := s.contacts.CloseConversation(r.Context(), p, r.PathValue("uuid"), in.ClosingReason)
	return s.answerContact(w, v, err)
}

func (s *Server) addNote(w http.ResponseWriter, r *http.Request, p service.Principal) error {
	var in struct {
		Text string `json:"text"`
	}
	if err := decodeBody(r, &in); err != nil {
		return err
	}
	if _, err := s.contacts.AddNote(r.Context(), p, r.PathValue("uuid"), in.Text); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]bool{"success": true})
	return nil
}

func (s *Server) updateFunnel(w http.ResponseWriter, r *http.Request, p service.Principal) error {
	var in struct {
		FunnelID string `json:"funnel_id"`
	}
	if err := decodeBody(r, &in); err != nil {
		return err
	}
	v, err := s.contacts.UpdateFunnel(r.Context(), p, r.PathValue("uuid"), in.FunnelID)
	return s.answerContact(w, v, err)
}
