package telegram

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/carillon/carillon"
)

// placeholderPattern matches a template's {{1}}, {{2}}… (spaces inside the
// braces tolerated, as carillon's template check does).
var placeholderPattern = regexp.MustCompile(`\{\{\s*([0-9]+)\s*\}\}`)

// sendMethods are the Bot API method and its media parameter for each
// message type carillon sends. Media go as URLs: Telegram downloads them
// itself (up to 5 MB for photos, 20 MB for other files).
var sendMethods = map[string]struct{ method, media string }{
	carillon.TypeText:     {"sendMessage", ""},
	carillon.TypeImage:    {"sendPhoto", "photo"},
	carillon.TypeDocument: {"sendDocument", "document"},
	carillon.TypeAudio:    {"sendAudio", "audio"},
	carillon.TypeVideo:    {"sendVideo", "video"},
}

// Send makes one attempt to hand a message to Telegram. out.To is the chat
// id. A message made from a template is sent as the template's text with
// its placeholders filled (Telegram has no templates); a media template's
// media goes with that text as caption.
//
// Telegram gives no receipts: once Send succeeds the message stays sent.
func (p *Provider) Send(ctx context.Context, out carillon.Outgoing) (carillon.SendResult, error) {
	b, err := botOf(out.Channel)
	if err != nil {
		return carillon.SendResult{}, &carillon.SendError{Permanent: true, Code: "invalid_settings", Title: err.Error()}
	}
	method, params, err := sendRequest(out)
	if err != nil {
		return carillon.SendResult{}, err
	}
	r, err := p.call(ctx, b, method, params)
	if err != nil {
		// No answer: Telegram may or may not have the message. Retrying may
		// send it twice, but never trying again would lose it.
		return carillon.SendResult{}, &carillon.SendError{Code: "network", Title: err.Error()}
	}
	if !r.parsed || !r.answer.OK {
		return carillon.SendResult{}, p.sendError(ctx, b, method, r)
	}
	var sent sentMessage
	if err := json.Unmarshal(r.answer.Result, &sent); err != nil || sent.MessageID == 0 {
		// Telegram took the message (ok is true): sending it again would
		// duplicate it, so it counts as sent, without an id to match.
		p.log.LogAttrs(ctx, slog.LevelWarn, "telegram accepted a message without a message id",
			slog.String("channel", b.channel), slog.String("method", method))
		return carillon.SendResult{Payload: r.raw}, nil
	}
	chatID := out.To
	if sent.Chat.ID != 0 {
		chatID = strconv.FormatInt(sent.Chat.ID, 10)
	}
	return carillon.SendResult{ExternalID: externalID(chatID, sent.MessageID), Payload: r.raw}, nil
}

// externalID names a message on a channel: Telegram's message_id counts per
// chat, so only the pair is unique on a bot.
func externalID(chatID string, messageID int64) string {
	return chatID + ":" + strconv.FormatInt(messageID, 10)
}

// sendRequest translates an outgoing message into a Bot API method and its
// JSON parameters. A message Telegram cannot carry is a permanent error.
func sendRequest(out carillon.Outgoing) (string, map[string]any, error) {
	if out.To == "" {
		return "", nil, &carillon.SendError{Permanent: true, Code: "invalid_recipient",
			Title: "a Telegram message needs the chat id as recipient"}
	}
	typ := out.Message.Type
	if typ == "" {
		typ = carillon.TypeText
	}
	m, ok := sendMethods[typ]
	if !ok {
		return "", nil, &carillon.SendError{Permanent: true, Code: "unsupported_type",
			Title: fmt.Sprintf("carillon sends no %s messages to Telegram", typ)}
	}
	text := out.Message.Content.Text
	if out.Template != nil && out.Template.Text != "" {
		text = fillTemplate(out.Template.Text, out.Message.TemplateValues)
	}
	params := map[string]any{"chat_id": chatIDParam(out.To)}
	if m.media == "" {
		params["text"] = text
		return m.method, params, nil
	}
	if out.Message.Content.URL == "" {
		return "", nil, &carillon.SendError{Permanent: true, Code: "missing_media",
			Title: fmt.Sprintf("a %s message needs content.url", typ)}
	}
	params[m.media] = out.Message.Content.URL
	if text != "" {
		params["caption"] = text
	}
	return m.method, params, nil
}

// chatIDParam writes a chat id as the Bot API's chat_id: a number for a
// numeric id, the text otherwise (a public channel's "@username").
func chatIDParam(to string) any {
	if id, err := strconv.ParseInt(to, 10, 64); err == nil {
		return id
	}
	return to
}

// fillTemplate replaces each {{N}} of text with values[N-1]; a placeholder
// without a value stays as it is.
func fillTemplate(text string, values []string) string {
	return placeholderPattern.ReplaceAllStringFunc(text, func(ph string) string {
		n, err := strconv.Atoi(placeholderPattern.FindStringSubmatch(ph)[1])
		if err != nil || n < 1 || n > len(values) {
			return ph
		}
		return values[n-1]
	})
}

// sendError classifies a refused send.
//
//   - 429 (flood control) is transient and waits the retry_after Telegram
//     names. Its scope is the recipient: the channel is already paced to
//     Telegram's ~30 messages a second per bot (mps, default 30), so a 429
//     that still comes is most often the per-chat limit (about one message
//     a second in a chat, 20 a minute in a group), and holding back the
//     whole bot for one busy chat would stall every other conversation. A
//     bot paced above its limit still backs off, recipient by recipient.
//   - 5xx are transient.
//   - An answer that is not the Bot API's (a proxy's page) goes by its HTTP
//     status like the others, except that a 2xx one is transient: whether
//     Telegram took the message is unknown.
//   - Everything else is permanent: 400 (chat not found, bad request), 403
//     (the user blocked the bot, the bot was kicked), 401 and 404 (a wrong
//     token: retrying cannot fix it).
func (p *Provider) sendError(ctx context.Context, b bot, method string, r reply) *carillon.SendError {
	code, title := r.answer.ErrorCode, b.redact(r.answer.Description)
	if !r.parsed {
		// A proxy's page or a cut answer: classified by its HTTP status.
		code, title = r.status, fmt.Sprintf("HTTP %d with a body that is not a Bot API answer", r.status)
	}
	if title == "" {
		title = http.StatusText(code)
	}
	e := &carillon.SendError{Code: strconv.Itoa(code), Title: title}
	e.Payload, _ = json.Marshal(map[string]any{"errors": []map[string]any{{"code": code, "title": title}}})
	switch {
	case code == http.StatusTooManyRequests:
		if r.answer.Parameters != nil && r.answer.Parameters.RetryAfter > 0 {
			e.RetryAfter = time.Duration(r.answer.Parameters.RetryAfter) * time.Second
		}
	case code >= 500, code < 400:
		// A server error, or a 2xx that is no Bot API answer: whether
		// Telegram took the message is unknown.
	default:
		e.Permanent = true
	}
	p.log.LogAttrs(ctx, slog.LevelInfo, "telegram refused a message",
		slog.String("channel", b.channel), slog.String("method", method),
		slog.Int("code", code), slog.String("description", e.Title),
		slog.Bool("permanent", e.Permanent), slog.Duration("retry_after", e.RetryAfter))
	return e
}

// trimmedJoin joins the non-empty parts with a space.
func trimmedJoin(parts ...string) string {
	var kept []string
	for _, s := range parts {
		if s = strings.TrimSpace(s); s != "" {
			kept = append(kept, s)
		}
	}
	return strings.Join(kept, " ")
}
