package console

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/carillon/carillon"
	"github.com/carillon/carillon/service"
)

// A conversation: the inbox's list beside its thread and its contact's
// panel, and the actions on it. Each action is a form that calls the same
// service call as the API (service.Contacts), so that it is held to the
// same rules and records the same webhook events; it acts on a
// conversation the user may see (service.Viewer), as the page does.

// chatPage is a conversation beside its view of the inbox.
type chatPage struct {
	Inbox inboxPage
	service.Chat
	// Problem is what the service refused in the form Action sent, and
	// Typed the text typed in it (a closing reason, a note), shown again.
	Problem, Action, Typed string
	// Composer answers the conversation; composed is what its form sent
	// when the page shows it again.
	Composer *composerView
	composed *composerForm
}

// FormAction is the path an action posts to, with the view's query: the
// action comes back to the conversation beside the same list.
func (p chatPage) FormAction(action string) string {
	return p.Inbox.withQuery("/chat/" + p.Contact.ConversationUUID + "/" + action)
}

// EarlierHref links to the thread's page of earlier messages, beside the
// same view.
func (p chatPage) EarlierHref() string { return p.threadHref(p.Earlier) }

// LatestHref links to the thread's latest messages.
func (p chatPage) LatestHref() string { return p.threadHref("") }

// threadHref links to the thread's page whose cursor is from (the latest
// page when "").
func (p chatPage) threadHref(from string) string {
	h := p.Inbox.ChatHref(p.Contact.ConversationUUID)
	if from == "" {
		return h
	}
	sep := "?"
	if strings.Contains(h, "?") {
		sep = "&"
	}
	return h + sep + "from=" + url.QueryEscape(from)
}

// TagsToAdd are the account's tags the contact does not have.
func (p chatPage) TagsToAdd() []carillon.Tag {
	var out []carillon.Tag
	for _, t := range p.Tags {
		if !slices.ContainsFunc(p.Contact.Tags, func(name string) bool { return strings.EqualFold(name, t.Name) }) {
			out = append(out, t)
		}
	}
	return out
}

// FieldValue is the contact's value of a custom field, "" when none.
func (p chatPage) FieldValue(name string) string { return p.Contact.Fields[name].Value }

// Checked reports whether option is among the contact's values of a
// checkbox field.
func (p chatPage) Checked(field, option string) bool {
	return slices.Contains(p.checked(field), option)
}

// checked are the options ticked of a checkbox field, stored as a JSON
// array.
func (p chatPage) checked(field string) []string {
	var chosen []string
	_ = json.Unmarshal([]byte(p.Contact.Fields[field].Value), &chosen)
	return chosen
}

// FieldText is the contact's value of a custom field as people read it:
// a checkbox field's options ticked, separated by commas.
func (p chatPage) FieldText(field string) string {
	v := p.Contact.Fields[field]
	if v.Type == carillon.FieldCheckbox {
		return strings.Join(p.checked(field), ", ")
	}
	return v.Value
}

// AssignedToMe reports whether the conversation is the user's.
func (p chatPage) AssignedToMe(u *carillon.User) bool {
	return u != nil && p.Contact.AssignedUserID == u.ID
}

// chatPage is a conversation, named by its uuid.
func (s *Server) chatPage(w http.ResponseWriter, r *http.Request, v *visit) error {
	return s.showChat(w, r, v, service.ChatRequest{ConversationUUID: pathUUID(r), From: r.URL.Query().Get("from")}, http.StatusOK, chatPage{})
}

// contactPage is a contact, named by its uuid: its conversation's page.
func (s *Server) contactPage(w http.ResponseWriter, r *http.Request, v *visit) error {
	return s.showChat(w, r, v, service.ChatRequest{ContactUUID: pathUUID(r), From: r.URL.Query().Get("from")}, http.StatusOK, chatPage{})
}

// showChat renders a conversation with status, and, in refused, the
// problem of the action the user sent when there is one.
func (s *Server) showChat(w http.ResponseWriter, r *http.Request, v *visit, req service.ChatRequest, status int, refused chatPage) error {
	c, err := s.inbox.Chat(r.Context(), v.principal, viewerOf(v), req)
	if err != nil {
		return err
	}
	list, err := s.viewOf(r, v)
	if err != nil {
		return err
	}
	list.Current = c.Contact.ConversationUUID
	refused.Inbox, refused.Chat = list, c
	form := refused.composed
	if form == nil {
		form = &composerForm{}
	}
	if refused.Composer, err = s.composerOf(r, v, c.Contact, *form); err != nil {
		return err
	}
	s.render(w, r, v, status, "chat", refused)
	return nil
}

// showComposed shows conversation c's page again with what the composer's
// form f sent and the problem the service found in it.
func (s *Server) showComposed(w http.ResponseWriter, r *http.Request, v *visit, c service.ContactView, f *composerForm) error {
	return s.showChat(w, r, v, service.ChatRequest{ConversationUUID: c.ConversationUUID}, max(http.StatusOK, f.Status), chatPage{composed: f})
}

// chatAction is the handler of an action on the conversation of the path:
// act calls the service as the user (their principal names them, for the
// conversation's history). A change the service refuses (an invalid
// parameter) shows the page again with the problem beside the form
// (422); a done one goes back to the conversation (303), or to the inbox
// when the change took the conversation out of the user's sight.
func (s *Server) chatAction(action string, act func(ctx context.Context, p service.Principal, c service.ContactView, r *http.Request) error) pageHandler {
	return func(w http.ResponseWriter, r *http.Request, v *visit) error {
		c, err := s.contacts.ConversationFor(r.Context(), v.principal, viewerOf(v), pathUUID(r))
		if err != nil {
			return err
		}
		p := v.principal
		p.User = &v.user
		err = act(r.Context(), p, c, r)
		if e, ok := carillon.AsError(err); ok && e.Code == carillon.CodeInvalidParameter {
			refused := chatPage{Action: action, Problem: e.Message, Typed: r.PostFormValue(typedField[action])}
			return s.showChat(w, r, v, service.ChatRequest{ConversationUUID: c.ConversationUUID}, http.StatusUnprocessableEntity, refused)
		}
		if err != nil {
			return err
		}
		list := inboxPage{InboxPage: service.InboxPage{Query: inboxQuery(r)}}
		target := list.ChatHref(c.ConversationUUID)
		if _, err := s.contacts.ConversationFor(r.Context(), v.principal, viewerOf(v), c.ConversationUUID); err != nil {
			if e, ok := carillon.AsError(err); !ok || e.Code != carillon.CodeNotFound {
				return err
			}
			target = list.InboxHref()
		}
		http.Redirect(w, r, target, http.StatusSeeOther)
		return nil
	}
}

// typedField is, for the actions whose form has one, the text field shown
// again with what was typed when the action is refused.
var typedField = map[string]string{"close": "reason", "notes": "text"}

// The actions, each the API's call.

func (s *Server) takeChat(ctx context.Context, p service.Principal, c service.ContactView, _ *http.Request) error {
	_, err := s.contacts.UpdateContact(ctx, p, c.UUID, service.ContactUpdate{AssignedUser: &p.User.Email})
	return err
}

func (s *Server) assignChat(ctx context.Context, p service.Principal, c service.ContactView, r *http.Request) error {
	email := strings.TrimSpace(r.PostFormValue("user"))
	u := service.ContactUpdate{AssignedUser: &email}
	if email == "" {
		u = service.ContactUpdate{UnassignUser: true}
	}
	_, err := s.contacts.UpdateContact(ctx, p, c.UUID, u)
	return err
}

func (s *Server) moveChatToTeam(ctx context.Context, p service.Principal, c service.ContactView, r *http.Request) error {
	team := strings.TrimSpace(r.PostFormValue("team"))
	_, err := s.contacts.UpdateContact(ctx, p, c.UUID, service.ContactUpdate{TeamUUID: &team})
	return err
}

func (s *Server) closeChat(ctx context.Context, p service.Principal, c service.ContactView, r *http.Request) error {
	_, err := s.contacts.CloseConversation(ctx, p, c.UUID, r.PostFormValue("reason"))
	return err
}

func (s *Server) reopenChat(ctx context.Context, p service.Principal, c service.ContactView, _ *http.Request) error {
	_, err := s.contacts.OpenConversation(ctx, p, c.UUID)
	return err
}

func (s *Server) moveChatFunnel(ctx context.Context, p service.Principal, c service.ContactView, r *http.Request) error {
	_, err := s.contacts.UpdateFunnel(ctx, p, c.UUID, r.PostFormValue("funnel"))
	return err
}

func (s *Server) addChatTag(ctx context.Context, p service.Principal, c service.ContactView, r *http.Request) error {
	tag := strings.TrimSpace(r.PostFormValue("tag"))
	if tag == "" {
		return carillon.Invalid("tag", "choose a tag to add")
	}
	_, err := s.contacts.UpdateContact(ctx, p, c.UUID, service.ContactUpdate{Tags: append(append([]string{}, c.Tags...), tag)})
	return err
}

func (s *Server) removeChatTag(ctx context.Context, p service.Principal, c service.ContactView, r *http.Request) error {
	tag := r.PostFormValue("tag")
	tags := []string{}
	for _, t := range c.Tags {
		if t != tag {
			tags = append(tags, t)
		}
	}
	_, err := s.contacts.UpdateContact(ctx, p, c.UUID, service.ContactUpdate{Tags: tags})
	return err
}

// The fields form names each custom field's input "field:<name>", and
// says which fields it holds with a hidden "present:<name>" of the
// field's type: a checkbox field sends each box ticked, none when none is.
const (
	fieldInput   = "field:"
	fieldPresent = "present:"
)

func (s *Server) setChatFields(ctx context.Context, p service.Principal, c service.ContactView, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return carillon.Invalid("fields", "the form could not be read")
	}
	values := map[string]any{}
	for k, kind := range r.PostForm {
		name, ok := strings.CutPrefix(k, fieldPresent)
		if !ok {
			continue
		}
		sent := r.PostForm[fieldInput+name]
		if len(kind) > 0 && kind[0] == string(carillon.FieldCheckbox) {
			values[name] = sent
			continue
		}
		values[name] = ""
		if len(sent) > 0 {
			values[name] = sent[0]
		}
	}
	_, err := s.contacts.UpdateContact(ctx, p, c.UUID, service.ContactUpdate{CustomFields: values})
	return err
}

func (s *Server) addChatNote(ctx context.Context, p service.Principal, c service.ContactView, r *http.Request) error {
	_, err := s.contacts.AddNote(ctx, p, c.UUID, r.PostFormValue("text"))
	return err
}

func (s *Server) setChatBot(ctx context.Context, p service.Principal, c service.ContactView, r *http.Request) error {
	_, err := s.contacts.SetContactBot(ctx, p, c.UUID, r.PostFormValue("status"))
	return err
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
