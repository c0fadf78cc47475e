package wire

import (
	"encoding/json"

	"github.com/carillon/carillon"
)

// Webhook event payloads.

// MessageCreated is the payload of message_created.
type MessageCreated struct {
	UUID        string            `json:"uuid"`
	To          *string           `json:"to"`
	From        *string           `json:"from"`
	Text        *string           `json:"text"`
	Attachments []string          `json:"attachments"`
	Status      string            `json:"status"`
	Channel     string            `json:"channel"`
	Contact     Contact           `json:"contact"`
	CreatedAt   Time              `json:"createdAt"`
	Metadata    map[string]string `json:"metadata"`
	// Details are the structured parts of an inbound message
	// (messageLocation, messageContext…), written beside the fields above.
	Details map[string]json.RawMessage `json:"-"`
}

// MarshalJSON writes the fields, then the details beside them.
func (m MessageCreated) MarshalJSON() ([]byte, error) {
	type plain MessageCreated
	b, err := json.Marshal(plain(m))
	if err != nil || len(m.Details) == 0 {
		return b, err
	}
	var all map[string]json.RawMessage
	if err := json.Unmarshal(b, &all); err != nil {
		return nil, err
	}
	for k, v := range m.Details {
		if _, taken := all[k]; !taken {
			all[k] = v
		}
	}
	return json.Marshal(all)
}

// FromMessageCreated converts a message just received or accepted, of
// contact c (shown as contact) on channel ch.
func FromMessageCreated(m carillon.Message, c carillon.Contact, ch carillon.Channel, contact Contact) MessageCreated {
	h := FromMessage(m, c, ch)
	out := MessageCreated{UUID: m.UUID, To: h.To, From: h.From, Text: h.Text, Attachments: h.Attachments, Status: h.Status,
		Channel: h.Channel, Contact: contact, CreatedAt: h.CreatedAt, Metadata: m.Metadata}
	if out.Attachments == nil {
		out.Attachments = []string{}
	}
	if out.Metadata == nil {
		out.Metadata = map[string]string{}
	}
	return out
}

// MessageStatusUpdated is the payload of message_status_updated.
type MessageStatusUpdated struct {
	UUID                 string            `json:"uuid"`
	Status               string            `json:"status"`
	Contact              Contact           `json:"contact"`
	Metadata             map[string]string `json:"metadata"`
	MessageStatusPayload json.RawMessage   `json:"messageStatusPayload"`
}

// FromMessageStatusUpdated converts a status an outgoing message reached;
// payload is the provider's report of it (NewStatusPayload), if any, which
// webhooks show with gsId.
func FromMessageStatusUpdated(m carillon.Message, status carillon.Status, payload json.RawMessage, contact Contact) MessageStatusUpdated {
	out := MessageStatusUpdated{UUID: m.UUID, Status: string(status), Contact: contact, Metadata: m.Metadata,
		MessageStatusPayload: webhookStatusPayload(payload, m.UUID)}
	if out.Metadata == nil {
		out.Metadata = map[string]string{}
	}
	if len(out.MessageStatusPayload) == 0 {
		out.MessageStatusPayload = json.RawMessage("null")
	}
	return out
}

// ContactDeleted is the payload of contact_deleted.
type ContactDeleted struct {
	UUID    string `json:"uuid"`
	Deleted Time   `json:"deleted"`
}

// TeamMembershipUpdated is the payload of team_membership_updated.
type TeamMembershipUpdated struct {
	Team         Team       `json:"team"`
	User         TeamMember `json:"user"`
	Reason       string     `json:"reason"`
	LastUpdateAt Time       `json:"lastUpdateAt"`
}

// AgentSessionUpdated is the payload of agent_session_updated: Action is
// user_logged_in, user_logged_out or system_logged_out.
type AgentSessionUpdated struct {
	Action string     `json:"action"`
	User   TeamMember `json:"user"`
}
