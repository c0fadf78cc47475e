package httpapi

import (
	"context"
	"net/http"
	"strings"

	"github.com/carillon/carillon"
	"github.com/carillon/carillon/service"
	"github.com/carillon/carillon/wire"
)

// messages are the rules of sending the API calls. *service.Messages is one.
type messages interface {
	Send(ctx context.Context, p service.Principal, r service.SendRequest) (service.SendResult, error)
	MessageStatus(ctx context.Context, p service.Principal, uuid string) (carillon.Message, error)
	DeleteMessage(ctx context.Context, p service.Principal, id string) error
	SandboxInbound(ctx context.Context, p service.Principal, from, text, channelUUID string) (carillon.Message, error)
	// PublicURL is where people reach the server, which a conversation's
	// link starts with.
	PublicURL() string
}

// sendBody is the body of POST /v1/messages/send.
type sendBody struct {
	To             string            `json:"to"`
	BSUID          string            `json:"bsuid"`
	From           string            `json:"from"`
	ChannelUUID    string            `json:"channel_uuid"`
	Type           string            `json:"type"`
	Content        *carillon.Content `json:"content"`
	TemplateUUID   string            `json:"template_uuid"`
	TemplateValues []string          `json:"template_values"`
	OptinContact   bool              `json:"optin_contact"`
	AssignedUser   string            `json:"assigned_user"`
	TeamUUID       string            `json:"team_uuid"`
	Fields         string            `json:"fields"`
	BotStatus      string            `json:"bot_status"`
	Metadata       map[string]any    `json:"metadata"`
	MessageTag     string            `json:"message_tag"`
	ReplyTo        string            `json:"reply_to"`
}

func (b sendBody) request() service.SendRequest {
	return service.SendRequest{
		To: b.To, BSUID: b.BSUID, From: b.From, ChannelUUID: b.ChannelUUID, Type: b.Type, Content: b.Content,
		TemplateUUID: b.TemplateUUID, TemplateValues: b.TemplateValues, OptinContact: b.OptinContact,
		AssignedUser: b.AssignedUser, TeamUUID: b.TeamUUID, Fields: b.Fields, BotStatus: b.BotStatus, Metadata: b.Metadata,
		MessageTag: b.MessageTag, ReplyTo: b.ReplyTo,
	}
}

type messageAnswer struct {
	Message wire.MessageSendRequest `json:"message"`
}

func (s *Server) sendMessage(w http.ResponseWriter, r *http.Request, p service.Principal) error {
	body, err := readBody(r)
	if err != nil {
		return err
	}
	var in sendBody
	if err := decodeJSON(body, &in); err != nil {
		return err
	}
	req := in.request()
	if key := r.Header.Get("Idempotency-Key"); key != "" {
		req.IdempotencyKey, req.RequestHash = key, bodyHash(body)
	}
	res, err := s.messages.Send(r.Context(), p, req)
	if err != nil {
		return err
	}
	out := wire.FromMessageStatus(res.Message)
	if res.WithContact || res.WithConversation {
		base := s.messages.PublicURL()
		// The message is accepted already: should the contact's extras fail
		// to load, the answer shows the contact without them.
		view, err := s.contacts.ContactView(r.Context(), res.Contact, res.Channel)
		if err != nil {
			view = service.ContactView{Contact: res.Contact, Channel: res.Channel}
		}
		contact := s.contactOf(view, false)
		if res.WithContact {
			out.Contact = &contact
		}
		if res.WithConversation {
			conv := wire.FromConversation(res.Contact, contact, base)
			out.Conversation = &conv
		}
	}
	if res.Replayed {
		w.Header().Set("Idempotent-Replayed", "true")
	}
	writeJSON(w, http.StatusOK, messageAnswer{Message: out})
	return nil
}

func (s *Server) messageStatus(w http.ResponseWriter, r *http.Request, p service.Principal) error {
	m, err := s.messages.MessageStatus(r.Context(), p, r.PathValue("uuid"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, messageAnswer{Message: wire.FromMessageStatus(m)})
	return nil
}

func (s *Server) deleteMessage(w http.ResponseWriter, r *http.Request, p service.Principal) error {
	if err := s.messages.DeleteMessage(r.Context(), p, r.PathValue("uuid")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// deleteMessageByBody serves DELETE /v1/messages with {"uuid": "…"}, the
// form of Callbell's documentation example.
func (s *Server) deleteMessageByBody(w http.ResponseWriter, r *http.Request, p service.Principal) error {
	var in struct {
		UUID string `json:"uuid"`
	}
	if err := decodeBody(r, &in); err != nil {
		return err
	}
	if strings.TrimSpace(in.UUID) == "" {
		return carillon.Invalid("uuid", "uuid is required: the message's uuid (or its provider id)")
	}
	if err := s.messages.DeleteMessage(r.Context(), p, strings.TrimSpace(in.UUID)); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) authMe(w http.ResponseWriter, r *http.Request, p service.Principal) error {
	email, name := "", p.Key.Name
	if p.User != nil {
		email, name = p.User.Email, p.User.Name
	}
	writeJSON(w, http.StatusOK, wire.Me{Status: "ok", UserEmail: email, UserName: name, APIKey: p.Key.Name})
	return nil
}

// sandboxInboundBody is the body of POST /v1/sandbox/inbound.
type sandboxInboundBody struct {
	From        string `json:"from"`
	Text        string `json:"text"`
	ChannelUUID string `json:"channel_uuid"`
}

func (s *Server) sandboxInbound(w http.ResponseWriter, r *http.Request, p service.Principal) error {
	body, err := readBody(r)
	if err != nil {
		return err
	}
	var in sandboxInboundBody
	if err := decodeJSON(body, &in); err != nil {
		return err
	}
	m, err := s.messages.SandboxInbound(r.Context(), p, in.From, in.Text, in.ChannelUUID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"message": wire.SandboxMessage{UUID: m.UUID, Status: string(m.Status)}})
	return nil
}
