package messenger

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/carillon/carillon"
	"github.com/carillon/carillon/provider/metagraph"
)

// ParseCallback answers Meta's verification handshake (GET) and translates
// its signed webhooks (POST), the signature checked before the body is read.
func (p *Provider) ParseCallback(ch carillon.Channel, cb carillon.Callback) (carillon.CallbackResult, error) {
	switch cb.Method {
	case http.MethodGet:
		return p.handshake(ch, cb)
	case http.MethodPost:
		if err := metagraph.CheckSignature(ch.Settings[SettingAppSecret], cb); err != nil {
			p.log.Warn(p.net.Label+" callback refused", "channel", ch.ID, "reason", err.Reason)
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
		p.log.Info(p.net.Label+" callback URL verified", "channel", ch.ID)
	}
	return res, err
}

// The webhook payload, as far as carillon reads it (Messenger Platform
// webhook events; Instagram's messaging webhooks have the same shape).
type (
	notification struct {
		Object string `json:"object"`
		Entry  []struct {
			ID string `json:"id"`
			// Events are decoded one by one, so that one of an unexpected
			// shape costs only itself.
			Messaging []json.RawMessage `json:"messaging"`
			Standby   []json.RawMessage `json:"standby"`
			Changes   []json.RawMessage `json:"changes"`
		} `json:"entry"`
	}

	party struct {
		ID string `json:"id"`
	}

	event struct {
		Sender    party `json:"sender"`
		Recipient party `json:"recipient"`
		Timestamp int64 `json:"timestamp"`
		Message   *msg  `json:"message"`
		Delivery  *struct {
			Mids      []string `json:"mids"`
			Watermark int64    `json:"watermark"`
		} `json:"delivery"`
		Read *struct {
			Watermark int64  `json:"watermark"`
			Mid       string `json:"mid"`
		} `json:"read"`
		Reaction *struct {
			Mid      string `json:"mid"`
			Action   string `json:"action"`
			Emoji    string `json:"emoji"`
			Reaction string `json:"reaction"`
		} `json:"reaction"`
		Postback *struct {
			Mid     string `json:"mid"`
			Title   string `json:"title"`
			Payload string `json:"payload"`
		} `json:"postback"`
	}

	msg struct {
		Mid           string `json:"mid"`
		Text          string `json:"text"`
		IsEcho        bool   `json:"is_echo"`
		IsDeleted     bool   `json:"is_deleted"`
		IsUnsupported bool   `json:"is_unsupported"`
		Metadata      string `json:"metadata"`
		QuickReply    *struct {
			Payload string `json:"payload"`
		} `json:"quick_reply"`
		ReplyTo *struct {
			Mid   string `json:"mid"`
			Story *struct {
				URL string `json:"url"`
				ID  string `json:"id"`
			} `json:"story"`
		} `json:"reply_to"`
		Attachments []attachment `json:"attachments"`
	}

	attachment struct {
		Type    string `json:"type"`
		Payload struct {
			URL         string      `json:"url"`
			Title       string      `json:"title"`
			StickerID   json.Number `json:"sticker_id"`
			Coordinates *struct {
				Lat  float64 `json:"lat"`
				Long float64 `json:"long"`
			} `json:"coordinates"`
		} `json:"payload"`
	}
)

// replyButtonDetail is messageReplyButton: a quick reply's or a postback
// button's payload and title.
type replyButtonDetail struct {
	ID    string `json:"id"`
	Title string `json:"title"`
}

// reactionDetail is messageReaction.
type reactionDetail struct {
	MessageID string `json:"messageId"`
	// Emoji is empty when the customer removed their reaction.
	Emoji string `json:"emoji"`
}

// parseEvents translates an authenticated notification.
func (p *Provider) parseEvents(ch carillon.Channel, body []byte) (carillon.CallbackResult, error) {
	var n notification
	if err := json.Unmarshal(body, &n); err != nil {
		return carillon.CallbackResult{}, &carillon.CallbackError{Status: http.StatusBadRequest, Reason: "body is not a " + p.net.Label + " webhook: " + err.Error()}
	}
	var res carillon.CallbackResult
	if n.Object != p.net.Object {
		p.log.Info(p.net.Label+" callback of another object ignored", "channel", ch.ID, "object", clip(n.Object))
		res.Ignored++
		return res, nil
	}
	ours := ch.Settings[p.net.IDSetting]
	for _, e := range n.Entry {
		if e.ID != ours {
			// Another page or account of the same app: its own channel
			// gets its own copy.
			p.log.Info(p.net.Label+" callback for another id ignored", "channel", ch.ID, "id", clip(e.ID))
			res.Ignored += max(len(e.Messaging)+len(e.Standby)+len(e.Changes), 1)
			continue
		}
		// standby: events of a conversation another app of the page
		// handles (handover protocol): carillon keeps them all the same.
		// changes: feed, comments…: nothing carillon keeps.
		res.Ignored += len(e.Changes)
		for _, raw := range append(append([]json.RawMessage(nil), e.Messaging...), e.Standby...) {
			p.translate(ch, ours, raw, &res)
		}
	}
	return res, nil
}

// translate turns one messaging event into messages and receipts.
func (p *Provider) translate(ch carillon.Channel, ours string, raw json.RawMessage, res *carillon.CallbackResult) {
	var ev event
	if err := json.Unmarshal(raw, &ev); err != nil {
		p.log.Warn(p.net.Label+" event of an unexpected shape ignored", "channel", ch.ID)
		res.Ignored++
		return
	}
	at := millis(ev.Timestamp)
	customer := ev.Sender.ID
	switch {
	case ev.Message != nil && ev.Message.IsEcho:
		customer = ev.Recipient.ID
	case ev.Sender.ID == ours:
		customer = ev.Recipient.ID
	}
	if !IsGraphID(customer) || customer == ours {
		p.log.Warn(p.net.Label+" event names no customer", "channel", ch.ID)
		res.Ignored++
		return
	}
	payload := compact(raw)
	switch {
	case ev.Message != nil && ev.Message.IsDeleted && !ev.Message.IsEcho:
		// The customer unsent a message (Instagram): the service marks the
		// message it stored.
		if ev.Message.Mid == "" {
			res.Ignored++
			return
		}
		res.Deletions = append(res.Deletions, carillon.Deletion{ChannelID: ch.ID, ExternalID: ev.Message.Mid, From: customer, At: at})
	case ev.Message != nil:
		msgs := p.messages(ch, customer, at, *ev.Message)
		if len(msgs) == 0 {
			res.Ignored++
		}
		res.Messages = append(res.Messages, msgs...)
	case ev.Delivery != nil:
		// Messenger: the listed mids, and every earlier message of the
		// thread up to the watermark.
		for _, mid := range ev.Delivery.Mids {
			if mid != "" {
				res.Receipts = append(res.Receipts, carillon.Receipt{ChannelID: ch.ID, ExternalID: mid, Status: carillon.StatusDelivered, Payload: payload, At: at})
			}
		}
		if ev.Delivery.Watermark > 0 {
			res.Receipts = append(res.Receipts, carillon.Receipt{ChannelID: ch.ID, Status: carillon.StatusDelivered, Payload: payload,
				At: at, Recipient: customer, Through: millis(ev.Delivery.Watermark)})
		}
		if len(ev.Delivery.Mids) == 0 && ev.Delivery.Watermark <= 0 {
			res.Ignored++
		}
	case ev.Read != nil:
		switch {
		case ev.Read.Watermark > 0:
			// Messenger: every message of the thread up to the watermark.
			res.Receipts = append(res.Receipts, carillon.Receipt{ChannelID: ch.ID, Status: carillon.StatusRead, Payload: payload,
				At: at, Recipient: customer, Through: millis(ev.Read.Watermark)})
		case ev.Read.Mid != "":
			// Instagram's messaging_seen: that message and every earlier one.
			res.Receipts = append(res.Receipts, carillon.Receipt{ChannelID: ch.ID, ExternalID: ev.Read.Mid, Status: carillon.StatusRead,
				Payload: payload, At: at, Recipient: customer, AndEarlier: true})
		default:
			res.Ignored++
		}
	case ev.Reaction != nil && ev.Reaction.Mid != "":
		r := ev.Reaction
		emoji := r.Emoji
		if r.Action == "unreact" {
			emoji = ""
		}
		d, _ := json.Marshal(reactionDetail{MessageID: r.Mid, Emoji: emoji})
		res.Messages = append(res.Messages, carillon.InboundMessage{
			ChannelID: ch.ID, From: customer, Type: "reaction", At: at, Content: carillon.Content{Text: emoji},
			// A reaction has no id of its own: the message reacted to, the
			// action and the time name it, so that a repeat is stored once.
			ExternalID: "reaction." + r.Mid + "." + r.Action + "." + strconv.FormatInt(ev.Timestamp, 10),
			Details:    map[string]json.RawMessage{carillon.DetailReaction: d},
		})
	case ev.Postback != nil:
		pb := ev.Postback
		id := pb.Mid
		if id == "" {
			id = "postback." + customer + "." + strconv.FormatInt(ev.Timestamp, 10)
		}
		d, _ := json.Marshal(replyButtonDetail{ID: pb.Payload, Title: pb.Title})
		res.Messages = append(res.Messages, carillon.InboundMessage{
			ChannelID: ch.ID, From: customer, ExternalID: id, Type: "interactive", At: at, Content: carillon.Content{Text: pb.Title},
			Details: map[string]json.RawMessage{carillon.DetailReplyButton: d},
		})
	default:
		// optins, referrals, handovers, policy notices…: nothing carillon keeps.
		res.Ignored++
	}
}

// messages translates a message event: one message, or one per attachment
// when it carries several (the first keeps Meta's mid, the next ones the
// mid and their position).
func (p *Provider) messages(ch carillon.Channel, customer string, at time.Time, m msg) []carillon.InboundMessage {
	if m.Mid == "" {
		p.log.Warn(p.net.Label+" message without mid ignored", "channel", ch.ID)
		return nil
	}
	if m.IsDeleted {
		// The deletion of an echo: the page's own message, deleted from
		// another app; nothing carillon keeps.
		p.log.Info(p.net.Label+" echo of a deleted message ignored", "channel", ch.ID, "external_id", clip(m.Mid))
		return nil
	}
	base := carillon.InboundMessage{ChannelID: ch.ID, From: customer, ExternalID: m.Mid, At: at}
	if m.IsEcho {
		base.Echo = true
		if p.net.EchoMetadata {
			base.EchoOf = m.Metadata
		}
	}
	details := map[string]any{}
	if r := m.ReplyTo; r != nil {
		switch {
		case r.Story != nil:
			details[carillon.DetailStory] = carillon.MessageStory{ID: r.Story.ID, URL: r.Story.URL}
		case r.Mid != "":
			details[carillon.DetailContext] = carillon.MessageContext{ID: r.Mid}
		}
	}
	if q := m.QuickReply; q != nil {
		details[carillon.DetailReplyButton] = replyButtonDetail{ID: q.Payload, Title: m.Text}
	}
	if len(m.Attachments) == 0 {
		in := base
		in.Type, in.Content.Text = carillon.TypeText, m.Text
		if m.IsUnsupported || m.Text == "" {
			in.Type = "unsupported"
		}
		if m.QuickReply != nil {
			in.Type = "interactive"
		}
		in.Details = encode(details)
		return []carillon.InboundMessage{in}
	}
	var out []carillon.InboundMessage
	for i, a := range m.Attachments {
		in := base
		if i > 0 {
			in.ExternalID = m.Mid + "." + strconv.Itoa(i)
		}
		d := details
		if i > 0 {
			d = map[string]any{}
		} else {
			in.Content.Text = m.Text
		}
		in.Type = a.Type
		switch a.Type {
		case "image", "video", "audio", "file":
			if a.Type == "file" {
				in.Type = carillon.TypeDocument
			}
			if a.Type == "image" && a.Payload.StickerID != "" {
				in.Type = "sticker"
			}
			if a.Payload.URL != "" {
				in.Media = &carillon.InboundMedia{URL: a.Payload.URL}
			}
		case "story_mention":
			d = copyDetails(d)
			d[carillon.DetailStory] = carillon.MessageStory{URL: a.Payload.URL, Mention: true}
			if a.Payload.URL != "" {
				in.Media = &carillon.InboundMedia{URL: a.Payload.URL}
			}
		case "location":
			if c := a.Payload.Coordinates; c != nil {
				d = copyDetails(d)
				d[carillon.DetailLocation] = carillon.NewLocation(c.Lat, c.Long, a.Payload.Title, "")
			}
		case "share", "ig_reel", "reel", "fallback", "template":
			// A shared post or link: its URL is the text, as Meta gives it.
			if in.Content.Text == "" {
				in.Content.Text = a.Payload.URL
			}
		default:
			p.log.Info(p.net.Label+" attachment of an unhandled type kept without content", "channel", ch.ID, "type", clip(a.Type))
		}
		in.Details = encode(d)
		out = append(out, in)
	}
	return out
}

func copyDetails(d map[string]any) map[string]any {
	c := make(map[string]any, len(d)+1)
	for k, v := range d {
		c[k] = v
	}
	return c
}

func encode(details map[string]any) map[string]json.RawMessage {
	if len(details) == 0 {
		return nil
	}
	out := make(map[string]json.RawMessage, len(details))
	for k, v := range details {
		b, err := json.Marshal(v)
		if err != nil {
			panic(fmt.Sprintf("messenger: encoding %s: %v", k, err)) // plain structs: cannot fail
		}
		out[k] = b
	}
	return out
}

// millis reads Meta's timestamps (Unix milliseconds); the zero time when
// absent, which the caller replaces with its own clock.
func millis(ms int64) time.Time {
	if ms <= 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms).UTC()
}

func compact(raw json.RawMessage) json.RawMessage {
	var buf bytes.Buffer
	if err := json.Compact(&buf, raw); err != nil {
		return raw
	}
	return buf.Bytes()
}

// clip bounds a value Meta sent for a log line.
func clip(s string) string {
	const most = 40
	if len(s) <= most {
		return s
	}
	return strings.ToValidUTF8(s[:most], "") + "…"
}
