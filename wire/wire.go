// Package wire holds the JSON shapes of the Callbell API's answers, written
// once: the HTTP API answers with them, the webhook payloads are made of
// them, and the Go client (package client) decodes answers into them. It
// also holds the converters from domain objects. Field names follow
// Callbell's exactly; every listed field is present in every answer, null
// when it has no value.
package wire

import (
	"encoding/json"
	"time"

	"github.com/carillon/carillon"
)

// Time writes a time as ISO 8601 UTC to the second, null when zero.
type Time time.Time

// MarshalJSON writes the time or null.
func (t Time) MarshalJSON() ([]byte, error) {
	tt := time.Time(t)
	if tt.IsZero() {
		return []byte("null"), nil
	}
	return []byte(`"` + tt.UTC().Format("2006-01-02T15:04:05Z") + `"`), nil
}

// UnmarshalJSON reads an RFC 3339 time; null is the zero time.
func (t *Time) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*t = Time{}
		return nil
	}
	var tt time.Time
	if err := tt.UnmarshalJSON(b); err != nil {
		return err
	}
	*t = Time(tt)
	return nil
}

// Time returns the time as a time.Time (zero for null).
func (t Time) Time() time.Time { return time.Time(t) }

// NullString writes "" as null.
func NullString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// Channel is a channel as the API shows it (never its settings).
type Channel struct {
	UUID        string `json:"uuid"`
	Title       string `json:"title"`
	Type        string `json:"type"`
	Main        bool   `json:"main"`
	DiscardedAt Time   `json:"discardedAt"`
}

// FromChannel converts a channel.
func FromChannel(c carillon.Channel) Channel {
	return Channel{UUID: c.UUID, Title: c.Title, Type: string(c.Type), Main: c.Main, DiscardedAt: Time(c.DiscardedAt)}
}

// Team is a team as the API shows it.
type Team struct {
	UUID      string `json:"uuid"`
	Name      string `json:"name"`
	CreatedAt Time   `json:"createdAt"`
	Default   bool   `json:"default"`
	Members   int    `json:"members"`
}

// Contact is a contact as the API shows it.
type Contact struct {
	UUID                 string               `json:"uuid"`
	Name                 *string              `json:"name"`
	PhoneNumber          *string              `json:"phoneNumber"`
	AvatarURL            *string              `json:"avatarUrl"`
	CreatedAt            Time                 `json:"createdAt"`
	Source               string               `json:"source"`
	Href                 string               `json:"href"`
	ConversationHref     *string              `json:"conversationHref"`
	Tags                 []string             `json:"tags"`
	AssignedUser         *string              `json:"assignedUser"`
	CustomFields         map[string]string    `json:"customFields"`
	CustomFieldsMetadata map[string]FieldMeta `json:"customFieldsMetadata,omitzero"`
	Team                 *Team                `json:"team"`
	Channel              Channel              `json:"channel"`
	FunnelID             *string              `json:"funnelId"`
	ClosedAt             Time                 `json:"closedAt"`
	BlockedAt            Time                 `json:"blockedAt"`
	BSUID                string               `json:"bsuid,omitempty"`
	Note                 *string              `json:"note"`
}

// FieldMeta is a custom field value with its field's type and options, as
// include_field_types=true shows it.
type FieldMeta struct {
	Value   string   `json:"value"`
	Type    string   `json:"type"`
	Options []string `json:"options,omitempty"`
}

// ContactExtras are the parts of a contact kept outside its row.
type ContactExtras struct {
	Tags         []string
	CustomFields map[string]string
	// CustomFieldsMetadata is shown only when not nil
	// (include_field_types=true).
	CustomFieldsMetadata map[string]FieldMeta
	AssignedUser         string
	Team                 *Team
}

// FromContact converts a contact of channel ch; baseURL is the server's
// public URL.
func FromContact(c carillon.Contact, ch carillon.Channel, baseURL string, x ContactExtras) Contact {
	out := Contact{
		UUID: c.UUID, Name: NullString(c.Name), PhoneNumber: NullString(c.Address), CreatedAt: Time(c.CreatedAt),
		Source: string(ch.Type), Href: baseURL + "/contacts/" + c.UUID, Tags: x.Tags, AssignedUser: NullString(x.AssignedUser),
		CustomFields: x.CustomFields, CustomFieldsMetadata: x.CustomFieldsMetadata, Team: x.Team, Channel: FromChannel(ch), FunnelID: NullString(c.FunnelID),
		ClosedAt: Time(c.ClosedAt), BlockedAt: Time(c.BlockedAt), BSUID: c.BSUID, Note: NullString(c.Note),
	}
	if c.HasConversation() {
		out.ConversationHref = NullString(baseURL + "/chat/" + c.ConversationUUID)
	}
	if out.Tags == nil {
		out.Tags = []string{}
	}
	if out.CustomFields == nil {
		out.CustomFields = map[string]string{}
	}
	return out
}

// Conversation is a contact's conversation as the API shows it.
type Conversation struct {
	Source        string  `json:"source"`
	Href          string  `json:"href"`
	CreatedAt     Time    `json:"createdAt"`
	ClosedAt      Time    `json:"closedAt"`
	Contact       Contact `json:"contact"`
	ClosingReason *string `json:"closingReason,omitempty"`
}

// FromConversation converts the conversation of a contact.
func FromConversation(c carillon.Contact, contact Contact, baseURL string) Conversation {
	return Conversation{Source: contact.Source, Href: baseURL + "/chat/" + c.ConversationUUID,
		CreatedAt: Time(c.ConversationCreatedAt), ClosedAt: Time(c.ClosedAt), Contact: contact}
}

// MessageSendRequest is what send and status answer about a message.
type MessageSendRequest struct {
	UUID                 string          `json:"uuid"`
	Status               string          `json:"status"`
	MessageStatusPayload json.RawMessage `json:"messageStatusPayload"`
	Contact              *Contact        `json:"contact,omitempty"`
	Conversation         *Conversation   `json:"conversation,omitempty"`
}

// FromMessageStatus converts a message for the send and status answers.
func FromMessageStatus(m carillon.Message) MessageSendRequest {
	out := MessageSendRequest{UUID: m.UUID, Status: string(m.Status), MessageStatusPayload: m.StatusPayload}
	if len(out.MessageStatusPayload) == 0 {
		out.MessageStatusPayload = json.RawMessage("null")
	}
	return out
}

// Message is a message of a contact's history.
type Message struct {
	UUID        string   `json:"uuid"`
	Text        *string  `json:"text"`
	Status      string   `json:"status"`
	Channel     string   `json:"channel"`
	From        *string  `json:"from"`
	To          *string  `json:"to"`
	CreatedAt   Time     `json:"createdAt"`
	Attachments []string `json:"attachments,omitempty"`
	// DeletedAt (carillon only) is when the customer deleted (unsent) a
	// received message on the network; absent on every other message.
	DeletedAt *Time `json:"deletedAt,omitempty"`
}

// FromMessage converts a message of contact c on channel ch. The contact's
// side is written as its phoneNumber is (its BSUID when it has no number);
// the business side is the channel's own address (Channel.OwnAddress: the
// sandbox's number setting, WhatsApp's display number, the Telegram bot's
// username), "" while a channel has not learned it, never null. A note
// travels on no network: both sides are null.
func FromMessage(m carillon.Message, c carillon.Contact, ch carillon.Channel) Message {
	out := Message{UUID: m.UUID, Text: NullString(m.Content.Text), Channel: string(ch.Type), CreatedAt: Time(m.CreatedAt)}
	contact := c.Address
	if contact == "" {
		contact = c.BSUID
	}
	business := ch.OwnAddress()
	switch m.Direction {
	case carillon.Inbound:
		out.Status, out.From, out.To = "received", &contact, &business
	case carillon.Note:
		out.Status = "note"
	default:
		out.Status, out.From, out.To = "sent", &business, &contact
	}
	if m.Content.URL != "" {
		out.Attachments = []string{m.Content.URL}
	}
	if !m.DeletedAt.IsZero() {
		at := Time(m.DeletedAt)
		out.DeletedAt = &at
	}
	return out
}

// Bot is a contact's bot as the API shows it.
type Bot struct {
	UUID                  string `json:"uuid"`
	Name                  string `json:"name"`
	Status                string `json:"status"`
	ConversationStartedAt Time   `json:"conversationStartedAt"`
	Version               int    `json:"version"`
	LatestBotVersion      bool   `json:"latestBotVersion"`
}
