package whatsapp

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/carillon/carillon"
	"github.com/carillon/carillon/provider/metagraph"
)

// DefaultTemplateLanguage is the language code sent for a template that
// names none.
const DefaultTemplateLanguage = "en_US"

// Codes of the SendErrors that carillon makes itself, for what Meta never
// answered.
const (
	CodeNetwork         = "network"          // no answer: connection refused or dropped, timeout
	CodeUnsupportedType = "unsupported_type" // a message type this provider cannot send
	CodeInvalidMessage  = "invalid_message"  // a message missing what its type needs
	CodeInvalidAnswer   = "invalid_answer"   // Meta accepted the call but the answer names no message
)

// Send makes one attempt to send out.Message through the Cloud API.
func (p *Provider) Send(ctx context.Context, out carillon.Outgoing) (carillon.SendResult, error) {
	ch := out.Channel
	body, err := requestBody(out)
	if err != nil {
		return carillon.SendResult{}, err
	}
	phoneNumberID := ch.Settings[SettingPhoneNumberID]
	if !isGraphID(phoneNumberID) {
		return carillon.SendResult{}, permanent("invalid_settings", "The channel's phone_number_id is missing or not numeric")
	}
	a, err := p.call(ctx, ch, http.MethodPost, graphURL(ch, phoneNumberID, "messages"), body)
	if err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			// Stopping, not a provider failure: the message stays queued.
			return carillon.SendResult{}, ctxErr
		}
		if !metagraph.IsTransport(err) {
			// The request could not even be made: a base_url or
			// api_version that CheckSettings would have refused.
			return carillon.SendResult{}, permanent("invalid_settings", err.Error())
		}
		p.log.Warn("whatsapp send got no answer", "channel", ch.ID, "message", out.Message.UUID, "attempt", out.Attempt, "error", err)
		return carillon.SendResult{}, &carillon.SendError{
			Code: CodeNetwork, Title: err.Error(),
			Payload: metagraph.ErrorsPayload(0, 0, "Network error", err.Error(), nil),
		}
	}
	if a.Status < 200 || a.Status > 299 {
		se := classify(a, time.Now())
		p.log.Warn("whatsapp send refused", "channel", ch.ID, "message", out.Message.UUID, "attempt", out.Attempt,
			"http_status", a.Status, "code", se.Code, "title", se.Title, "permanent", se.Permanent)
		return carillon.SendResult{}, se
	}
	var answer struct {
		Contacts []struct {
			Input  string `json:"input"`
			WaID   string `json:"wa_id"`
			UserID string `json:"user_id"`
		} `json:"contacts"`
		Messages []struct {
			ID string `json:"id"`
		} `json:"messages"`
	}
	if err := json.Unmarshal(a.Body, &answer); err != nil || len(answer.Messages) == 0 || answer.Messages[0].ID == "" {
		// Meta took the call: trying again could send the message twice,
		// so this attempt is not retried.
		p.log.Error("whatsapp send answer names no message", "channel", ch.ID, "message", out.Message.UUID, "http_status", a.Status)
		return carillon.SendResult{}, &carillon.SendError{
			Permanent: true, Code: CodeInvalidAnswer, Title: "The Cloud API accepted the message but named no message id",
			Payload: metagraph.ErrorsPayload(0, 0, "Invalid answer", "The Cloud API answer names no message id", nil),
		}
	}
	result := carillon.SendResult{ExternalID: answer.Messages[0].ID, Payload: json.RawMessage(a.Body)}
	if len(answer.Contacts) > 0 {
		result.Address = answer.Contacts[0].WaID
	}
	p.log.Debug("whatsapp message sent", "channel", ch.ID, "message", out.Message.UUID, "external_id", result.ExternalID)
	return result, nil
}

// requestBody builds the Cloud API's message object for out.
func requestBody(out carillon.Outgoing) (map[string]any, error) {
	body := map[string]any{"messaging_product": "whatsapp", "recipient_type": "individual"}
	switch {
	case out.To != "":
		body["to"] = out.To
	case out.BSUID != "":
		// A user known only by business-scoped user id is addressed with
		// "recipient" (Meta's BSUID guide); "to" would win if both were set.
		body["recipient"] = out.BSUID
	default:
		return nil, permanent(CodeInvalidMessage, "The message has no recipient (neither a number nor a BSUID)")
	}
	if out.Message.UUID != "" {
		// Meta echoes this in every status webhook of the message, which
		// lets a receipt name the message even before its wamid is stored.
		body["biz_opaque_callback_data"] = out.Message.UUID
	}
	if out.Template != nil {
		body["type"] = "template"
		body["template"] = templateObject(out)
		return body, nil
	}
	c := out.Message.Content
	typ := out.Message.Type
	switch typ {
	case carillon.TypeText:
		if strings.TrimSpace(c.Text) == "" {
			return nil, permanent(CodeInvalidMessage, "A text message needs content.text")
		}
		body["text"] = map[string]any{"body": c.Text, "preview_url": hasLink(c.Text)}
	case carillon.TypeImage, carillon.TypeVideo, carillon.TypeDocument, carillon.TypeAudio:
		if c.URL == "" {
			return nil, permanent(CodeInvalidMessage, "A "+typ+" message needs content.url")
		}
		media := map[string]any{"link": c.URL}
		if c.Text != "" && typ != carillon.TypeAudio {
			// Audio has no caption on WhatsApp.
			media["caption"] = c.Text
		}
		if typ == carillon.TypeDocument {
			if name := filenameOf(c.URL); name != "" {
				media["filename"] = name
			}
		}
		body[typ] = media
	default:
		return nil, permanent(CodeUnsupportedType, fmt.Sprintf("Message type %q cannot be sent on a WhatsApp Cloud API channel", typ))
	}
	body["type"] = typ
	return body, nil
}

// templateObject is the "template" object of a template message: its name
// and language, a media header when the template has one and the message a
// URL, the body parameters in order, then one component per button that
// takes a value.
func templateObject(out carillon.Outgoing) map[string]any {
	t := out.Template
	lang := t.Language
	if lang == "" {
		lang = DefaultTemplateLanguage
	}
	tpl := map[string]any{"name": t.Title, "language": map[string]any{"code": lang}}
	var components []any
	if url := out.Message.Content.URL; url != "" {
		switch t.Type {
		case carillon.TypeImage, carillon.TypeVideo, carillon.TypeDocument:
			media := map[string]any{"link": url}
			if t.Type == carillon.TypeDocument {
				if name := filenameOf(url); name != "" {
					media["filename"] = name
				}
			}
			components = append(components, map[string]any{
				"type":       "header",
				"parameters": []any{map[string]any{"type": t.Type, t.Type: media}},
			})
		}
	}
	values := out.Message.TemplateValues
	if n := min(t.BodyPlaceholders(), len(values)); n > 0 {
		params := make([]any, n)
		for i, v := range values[:n] {
			params[i] = map[string]any{"type": "text", "text": v}
		}
		components = append(components, map[string]any{"type": "body", "parameters": params})
		values = values[n:]
	}
	// The buttons that take a value take the next ones, in order; index is
	// the button's position among all the template's buttons.
	for i, b := range t.Buttons {
		if !b.TakesValue() || len(values) == 0 {
			continue
		}
		v := values[0]
		values = values[1:]
		button := map[string]any{"type": "button", "index": strconv.Itoa(i)}
		switch b.Type {
		case carillon.ButtonCopyCode:
			button["sub_type"] = "copy_code"
			button["parameters"] = []any{map[string]any{"type": "coupon_code", "coupon_code": v}}
		default:
			// A dynamic URL takes the end of its address; an
			// authentication template's one-time password button is sent
			// as a url button carrying the code (Meta's documented form,
			// whatever its otp_type).
			button["sub_type"] = "url"
			button["parameters"] = []any{map[string]any{"type": "text", "text": v}}
		}
		components = append(components, button)
	}
	if len(components) > 0 {
		tpl["components"] = components
	}
	return tpl
}

// hasLink reports whether a text carries a URL, for which WhatsApp then
// renders a preview.
func hasLink(text string) bool {
	return strings.Contains(text, "http://") || strings.Contains(text, "https://")
}

// filenameOf is the last element of a URL's path, the name a document is
// shown with.
func filenameOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	name := path.Base(u.Path)
	if name == "." || name == "/" {
		return ""
	}
	return name
}

func permanent(code, title string) *carillon.SendError {
	return &carillon.SendError{Permanent: true, Code: code, Title: title, Payload: metagraph.ErrorsPayload(0, 0, title, title, nil)}
}

// transientCodes are the Graph error codes worth retrying, with what they
// hold back: a throughput or quality limit holds the whole number back, the
// others only the message (and so its recipient).
var transientCodes = map[int]carillon.ErrorScope{
	2:      carillon.ScopeChannel,   // API Service: temporary downtime or overload
	4:      carillon.ScopeChannel,   // Too many API calls (app rate limit)
	80007:  carillon.ScopeChannel,   // Rate limit issues (WABA rate limit)
	130429: carillon.ScopeChannel,   // Rate limit hit (number's throughput)
	131048: carillon.ScopeChannel,   // Spam rate limit hit (number's quality)
	131056: carillon.ScopeRecipient, // (Business, consumer) pair rate limit hit
	131000: carillon.ScopeRecipient, // Something went wrong
	131016: carillon.ScopeChannel,   // Service unavailable
	131053: carillon.ScopeRecipient, // Media upload error (Meta could not fetch the link)
	131057: carillon.ScopeChannel,   // Business account in maintenance mode
	133004: carillon.ScopeChannel,   // Server temporarily unavailable
}

// permanentCodes are refused for good whatever the HTTP status says (Graph
// answers some permission errors with a 500).
var permanentCodes = map[int]bool{
	0: true, 3: true, 10: true, 33: true, 100: true, 190: true, 368: true,
	130472: true, 130497: true,
	131005: true, 131008: true, 131009: true, 131021: true, 131026: true, 131031: true, 131042: true,
	131045: true, 131047: true, 131049: true, 131051: true, 131052: true, 131062: true,
	132000: true, 132001: true, 132005: true, 132007: true, 132012: true, 132015: true, 132016: true, 132068: true,
	133005: true, 133010: true, 135000: true,
}
