package whatsapp

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/carillon/carillon"
	"github.com/carillon/carillon/provider/metagraph"
)

// The Details keys an inbound message may carry (see
// docs/channels/whatsapp.md for their shapes).
const (
	DetailContext         = carillon.DetailContext
	DetailForward         = carillon.DetailForward
	DetailLocation        = carillon.DetailLocation
	DetailContactCard     = carillon.DetailContactCard
	DetailReplyButton     = carillon.DetailReplyButton
	DetailInteractiveList = carillon.DetailInteractiveList
	DetailReaction        = carillon.DetailReaction
)

// ParseCallback answers Meta's verification handshake (GET) and translates
// its signed event notifications (POST).
func (p *Provider) ParseCallback(ch carillon.Channel, cb carillon.Callback) (carillon.CallbackResult, error) {
	switch cb.Method {
	case http.MethodGet:
		return p.handshake(ch, cb)
	case http.MethodPost:
		if err := metagraph.CheckSignature(ch.Settings[SettingAppSecret], cb); err != nil {
			p.log.Warn("whatsapp callback refused", "channel", ch.ID, "reason", err.Reason)
			return carillon.CallbackResult{}, err
		}
		return p.parseEvents(ch, cb.Body)
	}
	return carillon.CallbackResult{}, &carillon.CallbackError{Status: http.StatusMethodNotAllowed, Reason: "method " + cb.Method + " is not used by Meta"}
}

// handshake answers the GET Meta makes when the callback URL is saved in
// its console: the challenge, echoed, proves that we know the verify token.
func (p *Provider) handshake(ch carillon.Channel, cb carillon.Callback) (carillon.CallbackResult, error) {
	res, err := metagraph.Handshake(ch.Settings[SettingVerifyToken], cb)
	if err == nil {
		p.log.Info("whatsapp callback URL verified", "channel", ch.ID)
	}
	return res, err
}

// The webhook payload, as far as carillon reads it.
type (
	notification struct {
		Object string `json:"object"`
		Entry  []struct {
			ID      string `json:"id"`
			Changes []struct {
				Field string      `json:"field"`
				Value changeValue `json:"value"`
			} `json:"changes"`
		} `json:"entry"`
	}

	changeValue struct {
		Metadata struct {
			PhoneNumberID      string `json:"phone_number_id"`
			DisplayPhoneNumber string `json:"display_phone_number"`
		} `json:"metadata"`
		Contacts []waContact `json:"contacts"`
		// Messages and statuses are decoded one by one, so that one of an
		// unexpected shape costs only itself.
		Messages []json.RawMessage `json:"messages"`
		Statuses []json.RawMessage `json:"statuses"`
		Errors   []json.RawMessage `json:"errors"`
	}

	waContact struct {
		Profile struct {
			Name string `json:"name"`
		} `json:"profile"`
		WaID   string `json:"wa_id"`
		UserID string `json:"user_id"` // the BSUID
	}

	waMessage struct {
		From       string `json:"from"`
		FromUserID string `json:"from_user_id"` // the sender's BSUID
		ID         string `json:"id"`
		Timestamp  string `json:"timestamp"`
		Type       string `json:"type"`
		Context    *struct {
			From                string `json:"from"`
			ID                  string `json:"id"`
			Forwarded           bool   `json:"forwarded"`
			FrequentlyForwarded bool   `json:"frequently_forwarded"`
		} `json:"context"`
		Text *struct {
			Body string `json:"body"`
		} `json:"text"`
		Image    *waMedia `json:"image"`
		Video    *waMedia `json:"video"`
		Audio    *waMedia `json:"audio"`
		Document *waMedia `json:"document"`
		Sticker  *waMedia `json:"sticker"`
		Location *struct {
			Latitude  float64 `json:"latitude"`
			Longitude float64 `json:"longitude"`
			Name      string  `json:"name"`
			Address   string  `json:"address"`
			URL       string  `json:"url"`
		} `json:"location"`
		Contacts    json.RawMessage `json:"contacts"`
		Interactive *struct {
			Type        string `json:"type"`
			ButtonReply *struct {
				ID    string `json:"id"`
				Title string `json:"title"`
			} `json:"button_reply"`
			ListReply *struct {
				ID          string `json:"id"`
				Title       string `json:"title"`
				Description string `json:"description"`
			} `json:"list_reply"`
		} `json:"interactive"`
		Button *struct {
			Payload string `json:"payload"`
			Text    string `json:"text"`
		} `json:"button"`
		Reaction *struct {
			MessageID string `json:"message_id"`
			Emoji     string `json:"emoji"`
		} `json:"reaction"`
	}

	waMedia struct {
		ID       string `json:"id"`
		MimeType string `json:"mime_type"`
		SHA256   string `json:"sha256"`
		Caption  string `json:"caption"`
		Filename string `json:"filename"`
	}

	waStatus struct {
		ID        string `json:"id"`
		Status    string `json:"status"`
		Timestamp string `json:"timestamp"`
		// BizOpaqueCallbackData is what Send put in biz_opaque_callback_data:
		// the carillon message's UUID.
		BizOpaqueCallbackData string `json:"biz_opaque_callback_data"`
		// Errors say why a failed message failed.
		Errors []struct {
			Code      int    `json:"code"`
			Title     string `json:"title"`
			Message   string `json:"message"`
			ErrorData struct {
				Details string `json:"details"`
			} `json:"error_data"`
		} `json:"errors"`
	}
)

// The Details shapes (documented in docs/channels/whatsapp.md).
type (
	contactCardDetail struct {
		Contacts json.RawMessage `json:"contacts"`
	}
	replyButtonDetail struct {
		ID    string `json:"id"`
		Title string `json:"title"`
	}
	interactiveListDetail struct {
		ID          string `json:"id"`
		Title       string `json:"title"`
		Description string `json:"description,omitempty"`
	}
	reactionDetail struct {
		MessageID string `json:"messageId"`
		// Emoji is empty when the customer removed their reaction.
		Emoji string `json:"emoji"`
	}
)

// parseEvents translates an authenticated notification.
func (p *Provider) parseEvents(ch carillon.Channel, body []byte) (carillon.CallbackResult, error) {
	var n notification
	if err := json.Unmarshal(body, &n); err != nil {
		return carillon.CallbackResult{}, &carillon.CallbackError{Status: http.StatusBadRequest, Reason: "body is not a WhatsApp notification: " + err.Error()}
	}
	var res carillon.CallbackResult
	if n.Object != "" && n.Object != "whatsapp_business_account" {
		p.log.Info("whatsapp callback of another object ignored", "channel", ch.ID, "object", n.Object)
		res.Ignored++
		return res, nil
	}
	ourNumber := ch.Settings[SettingPhoneNumberID]
	for _, e := range n.Entry {
		for _, c := range e.Changes {
			v := c.Value
			parts := len(v.Messages) + len(v.Statuses) + len(v.Errors)
			if c.Field != "messages" {
				// template status updates, account alerts… carillon keeps none.
				res.Ignored += max(parts, 1)
				continue
			}
			if v.Metadata.PhoneNumberID != ourNumber {
				// Another number of the same app or WABA: its own channel
				// gets its own copy.
				p.log.Info("whatsapp callback for another number ignored", "channel", ch.ID, "phone_number_id", v.Metadata.PhoneNumberID)
				res.Ignored += max(parts, 1)
				continue
			}
			if n := displayNumber(v.Metadata.DisplayPhoneNumber); n != "" {
				res.ChannelAddress = n
			}
			for _, raw := range v.Errors {
				p.log.Warn("whatsapp reported an error", "channel", ch.ID, "error", string(raw))
				res.Ignored++
			}
			for _, raw := range v.Messages {
				m, ok := p.inbound(ch, v.Contacts, raw)
				if !ok {
					res.Ignored++
					continue
				}
				res.Messages = append(res.Messages, m)
			}
			for _, raw := range v.Statuses {
				r, ok := p.receipt(ch, raw)
				if !ok {
					res.Ignored++
					continue
				}
				res.Receipts = append(res.Receipts, r)
			}
		}
	}
	return res, nil
}

// receipt translates one entry of statuses[].
func (p *Provider) receipt(ch carillon.Channel, raw json.RawMessage) (carillon.Receipt, bool) {
	var s waStatus
	if err := json.Unmarshal(raw, &s); err != nil || s.ID == "" {
		p.log.Warn("whatsapp status of an unexpected shape ignored", "channel", ch.ID)
		return carillon.Receipt{}, false
	}
	var st carillon.Status
	switch s.Status {
	case "sent":
		st = carillon.StatusSent
	case "delivered":
		st = carillon.StatusDelivered
	case "read":
		st = carillon.StatusRead
	case "failed":
		st = carillon.StatusFailed
	default:
		// "played", "deleted", "warning"…: nothing carillon tracks.
		p.log.Info("whatsapp status of an untracked kind ignored", "channel", ch.ID, "status", s.Status)
		return carillon.Receipt{}, false
	}
	r := carillon.Receipt{
		ChannelID: ch.ID, ExternalID: s.ID, MessageUUID: s.BizOpaqueCallbackData, Status: st,
		Payload: compact(raw), At: unixTime(s.Timestamp),
	}
	if len(s.Errors) > 0 {
		e := s.Errors[0]
		r.Code = strconv.Itoa(e.Code)
		// Meta's title names the error; its message and details repeat or
		// explain it.
		for _, reason := range []string{e.Title, e.Message, e.ErrorData.Details} {
			if reason != "" {
				r.Reason = reason
				break
			}
		}
	}
	return r, true
}

// inbound translates one entry of messages[].
func (p *Provider) inbound(ch carillon.Channel, contacts []waContact, raw json.RawMessage) (carillon.InboundMessage, bool) {
	var m waMessage
	if err := json.Unmarshal(raw, &m); err != nil || m.ID == "" || m.Type == "" {
		p.log.Warn("whatsapp message of an unexpected shape ignored", "channel", ch.ID)
		return carillon.InboundMessage{}, false
	}
	if m.Type == "system" {
		// A notice about the user (changed number…), not something they
		// wrote.
		p.log.Info("whatsapp system message ignored", "channel", ch.ID, "message", m.ID)
		return carillon.InboundMessage{}, false
	}
	in := carillon.InboundMessage{
		ChannelID: ch.ID, From: m.From, BSUID: m.FromUserID, ExternalID: m.ID, Type: m.Type, At: unixTime(m.Timestamp),
	}
	if c, ok := senderContact(contacts, m.From, m.FromUserID); ok {
		in.ProfileName = c.Profile.Name
		if in.From == "" {
			in.From = c.WaID
		}
		if in.BSUID == "" {
			in.BSUID = c.UserID
		}
	}
	details := map[string]any{}
	if ctx := m.Context; ctx != nil {
		if ctx.ID != "" {
			details[DetailContext] = carillon.MessageContext{From: ctx.From, ID: ctx.ID}
		}
		if ctx.Forwarded || ctx.FrequentlyForwarded {
			details[DetailForward] = carillon.MessageForward{Forwarded: true, FrequentlyForwarded: ctx.FrequentlyForwarded}
		}
	}
	switch m.Type {
	case "text":
		if m.Text != nil {
			in.Content.Text = m.Text.Body
		}
	case "image", "video", "audio", "document", "sticker":
		if media := mediaOf(m); media != nil {
			in.Content.Text = media.Caption
			in.Media = &carillon.InboundMedia{ID: media.ID, MimeType: media.MimeType, Filename: media.Filename, SHA256: media.SHA256}
		}
	case "location":
		if l := m.Location; l != nil {
			d := carillon.NewLocation(l.Latitude, l.Longitude, l.Name, l.Address)
			d.URL = l.URL
			details[DetailLocation] = d
		}
	case "contacts":
		if len(m.Contacts) > 0 {
			details[DetailContactCard] = contactCardDetail{Contacts: compact(m.Contacts)}
		}
	case "interactive":
		if i := m.Interactive; i != nil {
			switch {
			case i.ButtonReply != nil:
				in.Content.Text = i.ButtonReply.Title
				details[DetailReplyButton] = replyButtonDetail{ID: i.ButtonReply.ID, Title: i.ButtonReply.Title}
			case i.ListReply != nil:
				in.Content.Text = i.ListReply.Title
				details[DetailInteractiveList] = interactiveListDetail(*i.ListReply)
			}
		}
	case "button":
		// A quick-reply button of a template: its payload plays the id.
		if b := m.Button; b != nil {
			in.Content.Text = b.Text
			details[DetailReplyButton] = replyButtonDetail{ID: b.Payload, Title: b.Text}
		}
	case "reaction":
		if r := m.Reaction; r != nil {
			in.Content.Text = r.Emoji
			details[DetailReaction] = reactionDetail{MessageID: r.MessageID, Emoji: r.Emoji}
		}
	default:
		// "unsupported", "order", "request_welcome"…: kept as a message of
		// that type with no content, so the conversation shows that the
		// customer wrote (and the 24-hour window opens).
		p.log.Info("whatsapp message of an unhandled type kept without content", "channel", ch.ID, "type", m.Type)
	}
	if len(details) > 0 {
		in.Details = make(map[string]json.RawMessage, len(details))
		for k, v := range details {
			b, err := json.Marshal(v)
			if err != nil {
				panic(fmt.Sprintf("whatsapp: encoding %s: %v", k, err)) // plain structs: cannot fail
			}
			in.Details[k] = b
		}
	}
	return in, true
}

// senderContact finds the contacts[] entry of a message's sender: by phone
// number, by BSUID, or the only one there is.
func senderContact(contacts []waContact, from, bsuid string) (waContact, bool) {
	for _, c := range contacts {
		if (from != "" && c.WaID == from) || (bsuid != "" && c.UserID == bsuid) {
			return c, true
		}
	}
	if len(contacts) == 1 {
		return contacts[0], true
	}
	return waContact{}, false
}

func mediaOf(m waMessage) *waMedia {
	switch m.Type {
	case "image":
		return m.Image
	case "video":
		return m.Video
	case "audio":
		return m.Audio
	case "document":
		return m.Document
	case "sticker":
		return m.Sticker
	}
	return nil
}

// unixTime reads Meta's timestamps: Unix seconds as a decimal string. An
// unreadable one is the zero time, which the caller replaces with its own
// clock.
func unixTime(s string) time.Time {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 {
		return time.Time{}
	}
	return time.Unix(n, 0).UTC()
}

// compact is raw JSON without its insignificant spaces, as stored payloads
// should be.
func compact(raw json.RawMessage) json.RawMessage {
	var buf bytes.Buffer
	if err := json.Compact(&buf, raw); err != nil {
		return raw
	}
	return buf.Bytes()
}
