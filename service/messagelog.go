package service

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/carillon/carillon"
	"github.com/carillon/carillon/phone"
)

// The messages log: every message of an account in and out, filtered and
// read a page at a time, and one message with the timeline of its
// statuses, its failures explained in words. The console shows it, to the
// people whose role lets them read the account's conversations, each
// seeing the messages of the chats they may see (visibility.go).

// messageScope narrows filter f to the chats viewer v may see (Viewer.chats,
// visibility.go).
func messageScope(v Viewer, f *carillon.MessageLogFilter) error {
	ch, err := v.chats()
	if err != nil {
		return err
	}
	f.AssignedUserID, f.Agent = ch.assignedTo, ch.agent
	return nil
}

// MessageQuery is a filter of the log as people write it (a form's
// fields); an empty field selects everything.
type MessageQuery struct {
	// Channel is a channel's uuid.
	Channel string
	// Direction is "in" or "out".
	Direction string
	Status    string
	// Number is the contact's address: a phone number in any form people
	// write one, or a Telegram chat id.
	Number string
	// From and To bound the messages' time, From included, To excluded:
	// "2006-01-02T15:04" in UTC or RFC 3339.
	From, To string
	// After is the cursor of the page before, "" for the newest messages.
	After string
}

// LoggedMessage is a message of the log with its channel and contact.
type LoggedMessage struct {
	carillon.Message
	Channel carillon.Channel
	Contact carillon.Contact
}

// MessageLog is a page of the log.
type MessageLog struct {
	Messages []LoggedMessage
	// Next is the cursor of the next page (MessageQuery.After), "" on the
	// last page.
	Next string
	// Channels are the account's channels, the ones a query may name.
	Channels []carillon.Channel
	// Statuses are the statuses a query may name, in the order a message
	// moves through them.
	Statuses []carillon.Status
}

// logStatuses are the statuses of inbound and outbound messages.
var logStatuses = []carillon.Status{carillon.StatusReceived, carillon.StatusEnqueued, carillon.StatusSent,
	carillon.StatusDelivered, carillon.StatusRead, carillon.StatusFailed, carillon.StatusMismatch, carillon.StatusDeleted}

// MessageLogPage is how many messages a page of the log holds.
const MessageLogPage = 50

// MessageLog reads a page of the account's messages that viewer may see,
// newest first. A field of q that cannot be read is an invalid_parameter
// error naming it.
func (s *Messages) MessageLog(ctx context.Context, p Principal, viewer Viewer, q MessageQuery) (MessageLog, error) {
	// The filter offers the account's first channels (a page of the
	// most a page holds: accounts have a few).
	channels, _, err := s.store.ListChannels(ctx, p.Account.ID, carillon.ChannelFilter{}, carillon.Page{Number: 1, Size: MaxPageSize})
	if err != nil {
		return MessageLog{}, s.internal(ctx, "read message log", err)
	}
	out := MessageLog{Channels: channels, Statuses: logStatuses}
	f, after, err := logFilter(p.Account.ID, q)
	if err != nil {
		return out, err
	}
	if q.Channel != "" {
		ch, err := s.store.ChannelByUUID(ctx, p.Account.ID, q.Channel)
		if errors.Is(err, carillon.ErrNotFound) {
			return out, carillon.Invalid("channel", "the account has no channel %q", q.Channel)
		}
		if err != nil {
			return out, s.internal(ctx, "read message log", err)
		}
		f.ChannelID = ch.ID
	}
	if err := messageScope(viewer, &f); err != nil {
		return out, err
	}
	list, err := s.store.MessageLog(ctx, f, after, MessageLogPage+1)
	if err != nil {
		return out, s.internal(ctx, "read message log", err)
	}
	if len(list) > MessageLogPage {
		list = list[:MessageLogPage]
		last := list[len(list)-1]
		out.Next = encodeCursor(carillon.MessageLogCursor{CreatedAt: last.CreatedAt, ID: last.ID})
	}
	byID := map[int64]carillon.Channel{}
	for _, ch := range channels {
		byID[ch.ID] = ch
	}
	contacts := map[int64]carillon.Contact{}
	for _, m := range list {
		ch, ok := byID[m.ChannelID]
		if !ok {
			if ch, err = s.store.ChannelByID(ctx, m.ChannelID); err != nil {
				return out, s.internal(ctx, "read message log", err)
			}
			byID[m.ChannelID] = ch
		}
		c, ok := contacts[m.ContactID]
		if !ok {
			if c, err = s.store.ContactByID(ctx, p.Account.ID, m.ContactID); err != nil {
				return out, s.internal(ctx, "read message log", err)
			}
			contacts[m.ContactID] = c
		}
		out.Messages = append(out.Messages, LoggedMessage{Message: m, Channel: ch, Contact: c})
	}
	return out, nil
}

// logFilter reads q into a filter of the account's log and its cursor;
// the channel, which the store names, is the caller's.
func logFilter(accountID int64, q MessageQuery) (carillon.MessageLogFilter, carillon.MessageLogCursor, error) {
	f := carillon.MessageLogFilter{AccountID: accountID}
	var after carillon.MessageLogCursor
	switch d := carillon.Direction(q.Direction); d {
	case "":
	case carillon.Inbound, carillon.Outbound:
		f.Direction = d
	default:
		return f, after, carillon.Invalid("direction", "direction is in or out, not %q", q.Direction)
	}
	if q.Status != "" {
		for _, st := range logStatuses {
			if string(st) == q.Status {
				f.Status = st
			}
		}
		if f.Status == "" {
			return f, after, carillon.Invalid("status", "there is no message status %q", q.Status)
		}
	}
	if n := strings.TrimSpace(q.Number); n != "" {
		// A phone number is stored as its E.164 digits; anything else (a
		// Telegram chat id) as it is.
		f.Address = n
		if digits, err := phone.Normalize(n, true); err == nil {
			f.Address = digits
		}
	}
	var err error
	if f.From, err = logTime("from", q.From); err != nil {
		return f, after, err
	}
	if f.To, err = logTime("to", q.To); err != nil {
		return f, after, err
	}
	if !f.From.IsZero() && !f.To.IsZero() && !f.From.Before(f.To) {
		return f, after, carillon.Invalid("to", "the end of the time range must come after its start")
	}
	if q.After != "" {
		if after, err = decodeCursor(q.After); err != nil {
			return f, after, err
		}
	}
	return f, after, nil
}

// logTime reads a time of the log's range: a form's "2006-01-02T15:04"
// (UTC, as the console shows times) or RFC 3339.
func logTime(field, v string) (time.Time, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return time.Time{}, nil
	}
	for _, layout := range []string{"2006-01-02T15:04", "2006-01-02T15:04:05", time.RFC3339} {
		if t, err := time.ParseInLocation(layout, v, time.UTC); err == nil {
			return t, nil
		}
	}
	return time.Time{}, carillon.Invalid(field, "%q is not a time: write it as 2006-01-02T15:04 (UTC)", v)
}

// A cursor is opaque to its reader: the last message's time and id, in
// URL-safe base64, so that nobody builds one by hand.

func encodeCursor(c carillon.MessageLogCursor) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(carillon.Millis(c.CreatedAt), 10) + "." + strconv.FormatInt(c.ID, 10)))
}

func decodeCursor(s string) (carillon.MessageLogCursor, error) {
	bad := carillon.Invalid("after", "this link's page marker is damaged: start again from the newest messages")
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return carillon.MessageLogCursor{}, bad
	}
	t, id, ok := strings.Cut(string(raw), ".")
	if !ok {
		return carillon.MessageLogCursor{}, bad
	}
	ms, err1 := strconv.ParseInt(t, 10, 64)
	n, err2 := strconv.ParseInt(id, 10, 64)
	if err1 != nil || err2 != nil || n <= 0 {
		return carillon.MessageLogCursor{}, bad
	}
	return carillon.MessageLogCursor{CreatedAt: carillon.UnixMilli(ms), ID: n}, nil
}

// MessageDetail is one message with the timeline of its statuses.
type MessageDetail struct {
	LoggedMessage
	// Timeline is the message's arrival or acceptance, then every status
	// reported for it, oldest first.
	Timeline []StatusStep
	// Failure explains why the message failed, nil when it did not.
	Failure *Failure
}

// StatusStep is a status of a message's timeline.
type StatusStep struct {
	Status carillon.Status
	At     time.Time
	// Applied is false for a report that came out of order and left the
	// status as it was.
	Applied bool
	// Payload is the provider's report as stored (messageStatusPayload),
	// indented; "" when none was.
	Payload string
	// Failure explains the report's error code, nil when it has none.
	Failure *Failure
}

// Failure is an error a provider reported for a message.
type Failure struct {
	Code string
	// Title is the provider's short name for the error, Message its own
	// description of it when it gave one.
	Title, Message string
	// Explanation says in words what the code means and what to do;
	// "" for a code carillon does not know.
	Explanation string
}

// Message reads one of the account's messages, with its channel, its
// contact and the timeline of its statuses, if viewer may see it: a
// message of a chat they may not see is not found, as one of another
// account.
func (s *Messages) Message(ctx context.Context, p Principal, viewer Viewer, uuid string) (MessageDetail, error) {
	m, err := s.store.MessageByUUID(ctx, p.Account.ID, uuid)
	if err != nil {
		return MessageDetail{}, s.notFound(ctx, "read message", "message", err)
	}
	c, err := s.store.ContactByID(ctx, p.Account.ID, m.ContactID)
	if err != nil {
		return MessageDetail{}, s.internal(ctx, "read message", err)
	}
	if !viewer.maySee(c) {
		return MessageDetail{}, carillon.NotFound("message")
	}
	ch, err := s.store.ChannelByID(ctx, m.ChannelID)
	if err != nil {
		return MessageDetail{}, s.internal(ctx, "read message", err)
	}
	history, err := s.store.StatusHistory(ctx, m.ID)
	if err != nil {
		return MessageDetail{}, s.internal(ctx, "read message", err)
	}
	d := MessageDetail{LoggedMessage: LoggedMessage{Message: m, Channel: ch, Contact: c}}
	// A message's history holds what was reported after it was stored;
	// the status it was stored with is its first step.
	first := carillon.StatusReceived
	switch m.Direction {
	case carillon.Outbound:
		first = carillon.StatusEnqueued
	case carillon.Note:
		first = carillon.StatusNote
	}
	d.Timeline = append(d.Timeline, StatusStep{Status: first, At: m.CreatedAt, Applied: true})
	for _, h := range history {
		d.Timeline = append(d.Timeline, StatusStep{Status: h.Status, At: h.CreatedAt, Applied: h.Applied,
			Payload: indentJSON(h.Payload), Failure: failureOf(ch.Type, h.Payload)})
	}
	if m.Status.Final() {
		d.Failure = failureOf(ch.Type, m.StatusPayload)
	}
	return d, nil
}

// indentJSON is p indented for reading, "" when p is empty.
func indentJSON(p json.RawMessage) string {
	if len(p) == 0 {
		return ""
	}
	var b bytes.Buffer
	if json.Indent(&b, p, "", "  ") != nil {
		return string(p)
	}
	return b.String()
}

// failureOf reads the error of a status payload (messageStatusPayload:
// payload.code and payload.reason, and the provider's own errors[0]), nil
// when it reports none.
func failureOf(t carillon.ChannelType, payload json.RawMessage) *Failure {
	var sp struct {
		Payload struct {
			Code   json.RawMessage `json:"code"`
			Reason string          `json:"reason"`
			Errors []struct {
				Title   string `json:"title"`
				Message string `json:"message"`
			} `json:"errors"`
		} `json:"payload"`
	}
	if len(payload) == 0 || json.Unmarshal(payload, &sp) != nil || len(sp.Payload.Code) == 0 {
		return nil
	}
	f := &Failure{Code: strings.Trim(string(sp.Payload.Code), `"`), Title: sp.Payload.Reason}
	if len(sp.Payload.Errors) > 0 {
		e := sp.Payload.Errors[0]
		if f.Title == "" {
			f.Title = e.Title
		}
		if e.Message != e.Title {
			f.Message = e.Message
		}
	}
	f.Explanation = explainFailure(t, f.Code)
	return f
}

// explainFailure says in words what a provider's error code means, for a
// message of a channel of type t: "" for a code carillon does not know.
func explainFailure(t carillon.ChannelType, code string) string {
	if e, ok := failureExplanations[t][code]; ok {
		return e
	}
	if e, ok := failureExplanations[""][code]; ok {
		return e
	}
	if strings.HasPrefix(code, "http_") {
		if n, err := strconv.Atoi(code[len("http_"):]); err == nil {
			return fmt.Sprintf("the provider answered HTTP %d with a body that is not its API's error: a proxy or an outage in between, most often", n)
		}
	}
	return ""
}

// failureExplanations are the error codes carillon knows, by the network
// they come from (the channel's type; a sandbox channel answers WhatsApp's
// codes), and carillon's own (""), each in words with what to do.
var failureExplanations = map[carillon.ChannelType]map[string]string{
	"": {
		"network":           "the provider could not be reached (no answer, a timeout, a refused connection); carillon retried until it ran out of attempts",
		"invalid_settings":  "the channel's settings are incomplete or wrong: fix them with carillon channels or carillon apply",
		"invalid_recipient": "the message has no recipient the network can address",
		"unsupported_type":  "the network cannot carry a message of this type",
		"missing_media":     "a media message was sent without the URL of its file",
	},
	carillon.WhatsApp: {
		"0":       "WhatsApp could not authenticate the request: the channel's access token is wrong or expired",
		"3":       "the WhatsApp app behind the channel lacks the permission for this call",
		"4":       "the WhatsApp app made too many API calls; carillon retried until it ran out of attempts",
		"10":      "the channel's access token lacks a permission (whatsapp_business_messaging) or the number is not in this WhatsApp Business Account",
		"100":     "WhatsApp refused a parameter of the request: the message's content, or the channel's phone_number_id",
		"190":     "the channel's access token has expired or was revoked: set a new one",
		"368":     "WhatsApp has temporarily blocked the number for a policy violation",
		"80007":   "the WhatsApp Business Account reached its rate limit; carillon retried until it ran out of attempts",
		"130429":  "the number reached its throughput limit (messages per second); carillon slowed the channel down and retried until it ran out of attempts",
		"130472":  "the recipient is part of a WhatsApp experiment that withholds marketing messages",
		"131000":  "WhatsApp failed on its side (something went wrong); carillon retried until it ran out of attempts",
		"131005":  "access denied: the channel's token has no permission to send from this number",
		"131008":  "a parameter WhatsApp requires is missing from the message",
		"131009":  "a parameter of the message has a value WhatsApp refuses",
		"131016":  "WhatsApp's service is unavailable; carillon retried until it ran out of attempts",
		"131021":  "the recipient is the business number itself",
		"131026":  "the message could not be delivered: the number is not on WhatsApp, has not accepted WhatsApp's latest terms, or uses an old version of the app",
		"131031":  "the WhatsApp Business Account is locked (a policy violation, or its verification failed)",
		"131042":  "a payment problem on the WhatsApp Business Account (no valid payment method, a limit reached)",
		"131045":  "the number is not registered with a display name certificate",
		"131047":  "more than 24 hours have passed since the customer last wrote: outside the customer service window, only an approved template may be sent",
		"131048":  "the number's messages are reported as spam too often: WhatsApp limits what it may send",
		"131049":  "WhatsApp chose not to deliver this marketing message, to keep the recipient's engagement healthy; send it later",
		"131051":  "WhatsApp does not support this message type",
		"131052":  "WhatsApp could not download the media the customer sent",
		"131053":  "WhatsApp could not fetch the media of the message from its URL (unreachable, or a type it does not take)",
		"131056":  "too many messages to this recipient in a short time; carillon retried until it ran out of attempts",
		"131057":  "the WhatsApp Business Account is in maintenance; carillon retried until it ran out of attempts",
		"131062":  "the recipient's number cannot receive messages from a business",
		"132000":  "the template's parameters do not match its placeholders in number",
		"132001":  "the template does not exist in that language, or is not approved yet",
		"132005":  "the template's text with its parameters filled is too long",
		"132007":  "the template's content breaks a WhatsApp policy",
		"132012":  "a template parameter is not in the format the template expects",
		"132015":  "the template is paused for its low quality",
		"132016":  "the template is disabled for its low quality",
		"132068":  "the flow of the template is blocked",
		"133004":  "WhatsApp's server is temporarily unavailable; carillon retried until it ran out of attempts",
		"133005":  "the two-step verification PIN of the number is wrong",
		"133010":  "the phone number is not registered on the WhatsApp Business Platform",
		"135000":  "WhatsApp failed for a reason it does not give (a generic user error)",
		"1000006": "WhatsApp reports the recipient under another number (in the report's destination): the message went there, and its status ends as mismatch",
	},
	carillon.Telegram: {
		"400": "Telegram refused the request: most often the chat does not exist for this bot (a wrong chat id) or the message is malformed; the title says which",
		"401": "the bot's token is wrong or was revoked: set the channel's token again",
		"403": "the bot may not write to this chat: the user blocked the bot or never started it, or the bot was removed from the group",
		"404": "Telegram does not know the bot: the channel's token is wrong",
		"409": "another program is reading this bot's updates at the same time",
		"429": "too many messages to this chat (Telegram's flood control); carillon waited as Telegram asked and retried until it ran out of attempts",
		"500": "Telegram failed on its side; carillon retried until it ran out of attempts",
		"502": "Telegram failed on its side; carillon retried until it ran out of attempts",
	},
}
