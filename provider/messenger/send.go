package messenger

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/carillon/carillon"
	"github.com/carillon/carillon/provider/metagraph"
)

// Codes of the SendErrors that carillon makes itself, for what Meta never
// answered.
const (
	CodeNetwork         = "network"          // no answer: connection refused or dropped, timeout
	CodeUnsupportedType = "unsupported_type" // a message type the network does not take
	CodeInvalidMessage  = "invalid_message"  // a message missing what its type needs
	CodeInvalidAnswer   = "invalid_answer"   // Meta accepted the call but named no message
	CodeInvalidSettings = "invalid_settings" // settings CheckSettings would refuse
)

// Send makes one attempt to send out.Message through the Send API:
// POST {base_url}/{api_version}/{id}/messages.
func (p *Provider) Send(ctx context.Context, out carillon.Outgoing) (carillon.SendResult, error) {
	ch := out.Channel
	body, err := p.requestBody(out)
	if err != nil {
		return carillon.SendResult{}, err
	}
	id := ch.Settings[p.net.IDSetting]
	if !IsGraphID(id) {
		return carillon.SendResult{}, permanent(CodeInvalidSettings, "The channel's "+p.net.IDSetting+" is missing or not numeric")
	}
	a, err := p.call(ctx, ch, http.MethodPost, p.graphURL(ch, id, "messages"), body)
	if err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return carillon.SendResult{}, ctxErr
		}
		if !metagraph.IsTransport(err) {
			return carillon.SendResult{}, permanent(CodeInvalidSettings, err.Error())
		}
		p.log.Warn(p.net.Label+" send got no answer", "channel", ch.ID, "message", out.Message.UUID, "attempt", out.Attempt, "error", err)
		return carillon.SendResult{}, &carillon.SendError{Code: CodeNetwork, Title: err.Error(),
			Payload: metagraph.ErrorsPayload(0, 0, "Network error", err.Error(), nil)}
	}
	if a.Status < 200 || a.Status > 299 {
		se := classify(a, time.Now())
		p.log.Warn(p.net.Label+" send refused", "channel", ch.ID, "message", out.Message.UUID, "attempt", out.Attempt,
			"http_status", a.Status, "code", se.Code, "title", se.Title, "permanent", se.Permanent)
		return carillon.SendResult{}, se
	}
	var answer struct {
		RecipientID string `json:"recipient_id"`
		MessageID   string `json:"message_id"`
	}
	if err := json.Unmarshal(a.Body, &answer); err != nil || answer.MessageID == "" {
		// Meta took the call: trying again could send the message twice.
		p.log.Error(p.net.Label+" send answer names no message", "channel", ch.ID, "message", out.Message.UUID, "http_status", a.Status)
		return carillon.SendResult{}, &carillon.SendError{Permanent: true, Code: CodeInvalidAnswer,
			Title:   "The Send API accepted the message but named no message id",
			Payload: metagraph.ErrorsPayload(0, 0, "Invalid answer", "The Send API answer names no message_id", nil)}
	}
	p.log.Debug(p.net.Label+" message sent", "channel", ch.ID, "message", out.Message.UUID, "external_id", answer.MessageID)
	return carillon.SendResult{ExternalID: answer.MessageID, Payload: json.RawMessage(a.Body)}, nil
}

// attachmentTypes are the Send API's attachment types of carillon's message
// types.
var attachmentTypes = map[string]string{
	carillon.TypeImage: "image", carillon.TypeVideo: "video", carillon.TypeAudio: "audio", carillon.TypeDocument: "file",
}

// requestBody builds the Send API request for out: the recipient, the
// messaging type (RESPONSE, or MESSAGE_TAG with the message's tag), the
// message and, for a reply, reply_to.
func (p *Provider) requestBody(out carillon.Outgoing) (map[string]any, error) {
	if !IsGraphID(out.To) {
		return nil, permanent(CodeInvalidMessage, "The recipient is not a "+p.net.Label+" scoped user id")
	}
	if out.Template != nil {
		return nil, permanent(CodeUnsupportedType, "Templates cannot be sent on a "+p.net.Label+" channel")
	}
	typ, c := out.Message.Type, out.Message.Content
	if !slices.Contains(p.net.SendTypes, typ) {
		return nil, permanent(CodeUnsupportedType, fmt.Sprintf("Message type %q cannot be sent on a %s channel", typ, p.net.Label))
	}
	msg := map[string]any{}
	switch typ {
	case carillon.TypeText:
		if strings.TrimSpace(c.Text) == "" {
			return nil, permanent(CodeInvalidMessage, "A text message needs content.text")
		}
		msg["text"] = c.Text
	default:
		if c.URL == "" {
			return nil, permanent(CodeInvalidMessage, "A "+typ+" message needs content.url")
		}
		if strings.TrimSpace(c.Text) != "" {
			return nil, permanent(CodeInvalidMessage, "Attachments carry no caption on "+p.net.Label+": send the text as a message of its own")
		}
		msg["attachment"] = map[string]any{"type": attachmentTypes[typ], "payload": map[string]any{"url": c.URL, "is_reusable": false}}
	}
	if p.net.EchoMetadata && out.Message.UUID != "" {
		// Carried back in the message's echo, which names the send.
		msg["metadata"] = out.Message.UUID
	}
	body := map[string]any{"recipient": map[string]any{"id": out.To}, "message": msg}
	switch c.Tag {
	case "":
		body["messaging_type"] = "RESPONSE"
	case TagHumanAgent:
		body["messaging_type"] = "MESSAGE_TAG"
		body["tag"] = c.Tag
	default:
		return nil, permanent(CodeInvalidMessage, fmt.Sprintf("Message tag %q is not one carillon sends", c.Tag))
	}
	if raw, ok := c.Details[carillon.DetailContext]; ok {
		var ctx carillon.MessageContext
		if err := json.Unmarshal(raw, &ctx); err == nil && ctx.ID != "" {
			body["reply_to"] = map[string]any{"mid": ctx.ID}
		}
	}
	return body, nil
}

func permanent(code, title string) *carillon.SendError {
	return &carillon.SendError{Permanent: true, Code: code, Title: title, Payload: metagraph.ErrorsPayload(0, 0, title, title, nil)}
}
