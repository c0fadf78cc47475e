package service

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/carillon/carillon"
	"github.com/carillon/carillon/declaration"
)

// Messages is the feature service of messages: accepting a send (and its
// hand-off to the pipeline after the commit), recording its outcome,
// receiving a message, applying a status, the providers' callbacks and
// the inbound files they carry, the templates read from providers.
type Messages struct {
	*core
}

// SendRequest is a request to send a message (POST /v1/messages/send). The
// API decodes it; the rules below validate it.
type SendRequest struct {
	To             string
	BSUID          string
	From           string
	ChannelUUID    string
	Type           string
	Content        *carillon.Content
	TemplateUUID   string
	TemplateValues []string
	OptinContact   bool
	AssignedUser   string
	TeamUUID       string
	Fields         string
	BotStatus      string
	Metadata       map[string]any
	// MessageTag is a message tag of the channel's provider (Meta's
	// HUMAN_AGENT), for a free-form message after the standard window.
	MessageTag string
	// ReplyTo is the uuid of a message of the same conversation that this
	// one answers, where the network shows replies (Messenger, Instagram).
	ReplyTo string
	// IdempotencyKey is the Idempotency-Key header; RequestHash identifies
	// the request's body, to tell a retry from a different request.
	IdempotencyKey string
	RequestHash    string
}

// SendResult is an accepted send.
type SendResult struct {
	Message carillon.Message
	Contact carillon.Contact
	Channel carillon.Channel
	// WithContact and WithConversation say what the caller asked to see
	// (the fields parameter).
	WithContact, WithConversation bool
	// Replayed is true when the answer is that of an earlier request with
	// the same Idempotency-Key.
	Replayed bool
}

// Limits of the send contract.
const (
	maxMetadataPairs   = 10
	maxMetadataKey     = 50
	maxMetadataValue   = 500
	maxTextLength      = 4096
	maxIdempotencyKey  = 255
	maxBSUIDLength     = 128
	maxTelegramChatID  = 64
	maxScopedID        = 64
	supportedSendTypes = "text, image, document, audio, video"
)

// laterSendTypes are message types of Callbell's API that carillon does not
// send yet: they answer not_supported rather than invalid_parameter.
var laterSendTypes = map[string]bool{"location": true, "contacts": true, "interactive": true, "buttons": true, "list": true, "lists": true}

// parseFields reads the fields parameter: comma-separated contact and
// conversation.
func parseFields(s string) (contact, conversation bool, err error) {
	for _, f := range strings.Split(s, ",") {
		switch strings.TrimSpace(f) {
		case "":
		case "contact":
			contact = true
		case "conversation":
			conversation = true
		default:
			return false, false, carillon.Invalid("fields", "unknown field %q: fields takes contact and conversation, comma-separated", strings.TrimSpace(f))
		}
	}
	return contact, conversation, nil
}

func validMetadata(md map[string]any) (map[string]string, error) {
	if len(md) > maxMetadataPairs {
		return nil, carillon.Invalid("metadata", "metadata holds at most %d pairs, got %d", maxMetadataPairs, len(md))
	}
	out := make(map[string]string, len(md))
	for k, v := range md {
		if k == "" || utf8.RuneCountInString(k) > maxMetadataKey {
			return nil, carillon.Invalid("metadata", "metadata keys are 1 to %d characters long", maxMetadataKey)
		}
		str, ok := v.(string)
		if !ok {
			return nil, carillon.Invalid("metadata", "metadata value of %q must be a string", k)
		}
		if utf8.RuneCountInString(str) > maxMetadataValue {
			return nil, carillon.Invalid("metadata", "metadata value of %q is longer than %d characters", k, maxMetadataValue)
		}
		out[k] = str
	}
	return out, nil
}

// validateSend checks what can be checked without the store.
func validateSend(r *SendRequest) (md map[string]string, withContact, withConversation bool, err error) {
	if r.From == "" {
		return nil, false, false, carillon.Invalid("from", "from is required: the channel type (whatsapp, telegram, facebook, instagram)")
	}
	if !carillon.ValidChannelType(r.From) {
		return nil, false, false, carillon.Invalid("from", "unknown channel type %q: use whatsapp, telegram, facebook or instagram", r.From)
	}
	if strings.TrimSpace(r.To) == "" && strings.TrimSpace(r.BSUID) == "" {
		return nil, false, false, carillon.Invalid("to", "to is required (or bsuid): the recipient")
	}
	if utf8.RuneCountInString(r.BSUID) > maxBSUIDLength {
		return nil, false, false, carillon.Invalid("bsuid", "bsuid is at most %d characters", maxBSUIDLength)
	}
	switch r.Type {
	case "":
		return nil, false, false, carillon.Invalid("type", "type is required: one of %s", supportedSendTypes)
	case carillon.TypeText, carillon.TypeImage, carillon.TypeDocument, carillon.TypeAudio, carillon.TypeVideo:
	default:
		if laterSendTypes[r.Type] {
			return nil, false, false, &carillon.Error{Code: carillon.CodeNotSupported, Field: "type", Message: fmt.Sprintf("type %q is not supported yet: use one of %s", r.Type, supportedSendTypes)}
		}
		return nil, false, false, carillon.Invalid("type", "unknown type %q: use one of %s", r.Type, supportedSendTypes)
	}
	if r.TemplateUUID != "" {
		if !r.OptinContact {
			return nil, false, false, carillon.Invalid("optin_contact", "optin_contact must be true to send a template: confirm that the recipient opted in")
		}
		if r.Content == nil {
			r.Content = &carillon.Content{}
		}
		// The template decides what text the message needs; the media
		// header is checked like any media message's URL.
		if r.Type != carillon.TypeText && !carillon.ValidMediaURL(r.Content.URL) {
			return nil, false, false, carillon.Invalid("content.url", "content.url must be an absolute http(s) URL: it is the header of a media template (type %s)", r.Type)
		}
	} else {
		if r.Content == nil {
			return nil, false, false, carillon.Invalid("content", "content is required: {\"text\": ...} for text, {\"url\": ..., \"text\": caption} for media")
		}
		if r.Type == carillon.TypeText {
			if strings.TrimSpace(r.Content.Text) == "" {
				return nil, false, false, carillon.Invalid("content.text", "content.text is required for a text message")
			}
		} else if !carillon.ValidMediaURL(r.Content.URL) {
			return nil, false, false, carillon.Invalid("content.url", "content.url must be an absolute http(s) URL for a message of type %s", r.Type)
		}
	}
	if utf8.RuneCountInString(r.Content.Text) > maxTextLength {
		return nil, false, false, carillon.Invalid("content.text", "content.text is longer than %d characters", maxTextLength)
	}
	switch r.BotStatus {
	case "", "bot_start", "bot_end":
	default:
		return nil, false, false, carillon.Invalid("bot_status", "bot_status is bot_start or bot_end")
	}
	if !carillon.Printable(r.IdempotencyKey) {
		return nil, false, false, carillon.Invalid("Idempotency-Key", "the Idempotency-Key header must be printable text: valid UTF-8 without control characters")
	}
	if utf8.RuneCountInString(r.IdempotencyKey) > maxIdempotencyKey {
		return nil, false, false, carillon.Invalid("Idempotency-Key", "the Idempotency-Key header is at most %d characters", maxIdempotencyKey)
	}
	if md, err = validMetadata(r.Metadata); err != nil {
		return nil, false, false, err
	}
	withContact, withConversation, err = parseFields(r.Fields)
	return md, withContact, withConversation, err
}

// sendChannel resolves the channel a send goes out on.
func (s *Messages) sendChannel(ctx context.Context, p Principal, typ carillon.ChannelType, channelUUID string) (carillon.Channel, error) {
	if channelUUID == "" {
		ch, err := s.mainChannel(ctx, p, typ)
		if errors.Is(err, carillon.ErrNotFound) {
			return ch, carillon.Invalid("from", "the account has no %s channel", typ)
		}
		if err == nil && !ch.Active() {
			return ch, carillon.Invalid("from", "the main %s channel is discarded", typ)
		}
		return ch, err
	}
	ch, err := s.channelByUUID(ctx, p, undashed(channelUUID))
	if errors.Is(err, carillon.ErrNotFound) {
		return ch, carillon.Invalid("channel_uuid", "no channel %q in this account", channelUUID)
	}
	if err != nil {
		return ch, err
	}
	if ch.Type != typ {
		return ch, carillon.Invalid("channel_uuid", "channel %q is a %s channel, not %s", channelUUID, ch.Type, typ)
	}
	if !ch.Active() {
		return ch, carillon.Invalid("channel_uuid", "channel %q is discarded", channelUUID)
	}
	return ch, nil
}

// recipient reads the address the message goes to, as the channel writes it
// (see address), or the BSUID when no address is given.
func (s *Messages) recipient(ctx context.Context, ch carillon.Channel, to, bsuid string) (addr, id string, err error) {
	if strings.TrimSpace(to) == "" {
		return "", strings.TrimSpace(bsuid), nil
	}
	addr, err = s.channelAddress(ctx, ch, "to", to)
	return addr, "", err
}

// Send accepts a message for sending. It answers only once the message is
// committed together with its send job, so that nothing accepted is lost.
func (s *Messages) Send(ctx context.Context, p Principal, r SendRequest) (SendResult, error) {
	md, withContact, withConversation, err := validateSend(&r)
	if err != nil {
		return SendResult{}, err
	}
	ch, err := s.sendChannel(ctx, p, carillon.ChannelType(r.From), r.ChannelUUID)
	if err != nil {
		return SendResult{}, s.internal(ctx, "send", err)
	}
	address, bsuid, err := s.recipient(ctx, ch, r.To, r.BSUID)
	if err != nil {
		return SendResult{}, s.internal(ctx, "send", err)
	}
	content, values, err := s.sendTemplate(ctx, p.Account.ID, ch, &r)
	if err != nil {
		return SendResult{}, s.internal(ctx, "send", err)
	}
	tagWindow, replyContact, err := s.sendOptions(ctx, p.Account.ID, ch, &r, &content)
	if err != nil {
		return SendResult{}, s.internal(ctx, "send", err)
	}
	userID, teamID, err := s.sendAssignment(ctx, p.Account.ID, r.AssignedUser, r.TeamUUID)
	if err != nil {
		return SendResult{}, s.internal(ctx, "send", err)
	}
	res := SendResult{Channel: ch, WithContact: withContact, WithConversation: withConversation}
	// The message the unit stored, taken into res once committed: the
	// store may give it its id only then (CreateMessageLater).
	var accepted *carillon.Message
	reads := carillon.ContactRef{ChannelID: ch.ID, Address: address}
	err = s.commit.doReading(ctx, contactKey(ch.ID, address+"|"+bsuid), reads, func(ctx context.Context, q carillon.Queries) error {
		now := s.clock.Now()
		if r.IdempotencyKey != "" {
			rec, err := q.IdempotencyRecord(ctx, p.Account.ID, r.IdempotencyKey)
			if err == nil && now.Sub(rec.CreatedAt) < carillon.IdempotencyWindow {
				if rec.RequestHash != r.RequestHash {
					return &carillon.Error{Code: carillon.CodeIdempotencyKeyReused, Field: "Idempotency-Key",
						Message: "this Idempotency-Key was used in the last 24 hours with a different request body"}
				}
				m, err := q.MessageByUUID(ctx, p.Account.ID, rec.MessageUUID)
				if errors.Is(err, carillon.ErrNotFound) {
					return &carillon.Error{Code: carillon.CodeConflict, Field: "Idempotency-Key",
						Message: "the message this Idempotency-Key answered was deleted with its contact: send with a new key"}
				}
				if err != nil {
					return err
				}
				c, err := q.ContactByID(ctx, p.Account.ID, m.ContactID)
				if err != nil {
					return err
				}
				res.Message, res.Contact, res.Replayed = m, c, true
				res.Message.Status = carillon.StatusEnqueued // the first answer's status
				res.Message.StatusPayload = nil
				return nil
			}
			if err == nil {
				// Past its window: the key may be used again. Only its
				// record goes here, in the shared transaction; the others
				// past their window go hourly, beside the sends.
				if err := q.DeleteIdempotencyRecord(ctx, p.Account.ID, r.IdempotencyKey, now.Add(-carillon.IdempotencyWindow)); err != nil {
					return err
				}
			} else if !errors.Is(err, carillon.ErrNotFound) {
				return err
			}
		}
		contact, found, err := findContact(ctx, q, ch.ID, address, bsuid)
		if err != nil {
			return err
		}
		if r.TemplateUUID == "" && s.enforcesWindow(ch) && !inWindow(contact, now, tagWindow) {
			// Nothing is written before this check: a refusal leaves the
			// shared transaction clean.
			return outsideWindow(ch, r.MessageTag)
		}
		if r.ReplyTo != "" && replyContact != 0 && (!found || contact.ID != replyContact) {
			return carillon.Invalid("reply_to", "message %q is not of this conversation", r.ReplyTo)
		}
		var before *carillon.Contact
		if found {
			prev := contact
			before = &prev
		} else {
			contact = newContact(p.Account.ID, ch, address, bsuid, now)
		}
		changed := !found
		if !contact.ConversationOpen() {
			openConversation(&contact, now)
			changed = true
		}
		if r.BotStatus != "" {
			setBotStatus(&contact, r.BotStatus, now)
			changed = true
		}
		if userID != 0 && contact.AssignedUserID != userID {
			contact.AssignedUserID, changed = userID, true
		}
		if teamID != 0 && contact.TeamID != teamID {
			contact.TeamID, changed = teamID, true
		}
		// The message is the contact's last one: the contact is written
		// whatever else changed.
		lastMessage(&contact, carillon.Outbound, now)
		if !found {
			if err := q.CreateContact(ctx, &contact); err != nil {
				return err
			}
		} else {
			if changed {
				contact.UpdatedAt = now
			}
			if err := q.UpdateContactFrom(ctx, *before, &contact); err != nil {
				return err
			}
		}
		m := carillon.Message{
			UUID: carillon.NewUUID(), AccountID: p.Account.ID, ChannelID: ch.ID, ContactID: contact.ID,
			Direction: carillon.Outbound, Type: r.Type, Content: content, TemplateUUID: r.TemplateUUID, TemplateValues: values,
			Status: carillon.StatusEnqueued, Metadata: md, CreatedAt: now, UpdatedAt: now, SendState: carillon.SendQueued, Owner: s.instanceID,
		}
		if err := q.CreateMessageLater(ctx, &m); err != nil {
			return err
		}
		if err := s.contactEvents(ctx, q, ch, before, contact, false, p.userID()); err != nil {
			return err
		}
		if err := s.messageCreated(ctx, q, ch, contact, m); err != nil {
			return err
		}
		if r.IdempotencyKey != "" {
			if err := q.SaveIdempotencyRecord(ctx, carillon.IdempotencyRecord{AccountID: p.Account.ID, Key: r.IdempotencyKey,
				RequestHash: r.RequestHash, MessageUUID: m.UUID, Fields: r.Fields, CreatedAt: now}); err != nil {
				return err
			}
		}
		accepted, res.Contact = &m, contact
		return nil
	})
	if err != nil {
		return SendResult{}, s.internal(ctx, "send", err)
	}
	if !res.Replayed {
		res.Message = *accepted
		s.metrics.SendsAccepted.Inc()
		s.dispatch(res.Message, res.Contact)
	}
	return res, nil
}

// outsideWindow refuses a free-form message outside the 24-hour customer
// service window (or, with a message tag, the tag's own).
func outsideWindow(ch carillon.Channel, tag string) error {
	msg := "the customer has not written in the last 24 hours: WhatsApp allows only an approved template outside the customer service window"
	switch {
	case tag != "":
		msg = fmt.Sprintf("the customer has not written within the time message_tag %s allows: %s allows no message to them now", tag, ch.Type)
	case ch.Type != carillon.WhatsApp:
		msg = fmt.Sprintf("the customer has not written in the last 24 hours: %s allows a message outside the standard messaging window only with a message tag (message_tag HUMAN_AGENT: up to 7 days after their last message), and none to someone who never wrote", ch.Type)
	}
	return &carillon.Error{Code: carillon.CodeOutsideWindow, Field: "to", Message: msg}
}

// inWindow reports whether a free-form message may go to contact c at now:
// within the customer service window, or within window (a message tag's)
// after the customer's last message. A customer who never wrote is out.
func inWindow(c carillon.Contact, now time.Time, window time.Duration) bool {
	if window <= 0 {
		return c.InWindow(now)
	}
	return !c.LastInboundAt.IsZero() && now.Sub(c.LastInboundAt) < window
}

// sendOptions checks what a send asks of its channel beyond content: its
// type and caption as the provider sends them, a message tag (returned
// as the time it allows after the customer's last message), and the
// message it replies to (written in the content as messageContext, the
// network's id of it; its contact returned, for the send to check). A
// content's own tag or details are never taken from the request.
func (s *Messages) sendOptions(ctx context.Context, accountID int64, ch carillon.Channel, r *SendRequest, content *carillon.Content) (time.Duration, int64, error) {
	content.Tag, content.Details = "", nil
	info, _ := s.registry.Lookup(ch.Provider)
	if len(info.SendTypes) > 0 && !slices.Contains(info.SendTypes, r.Type) {
		return 0, 0, carillon.Invalid("type", "a %s channel does not send messages of type %s: it sends %s", ch.Type, r.Type, strings.Join(info.SendTypes, ", "))
	}
	if info.NoCaptions && r.Type != carillon.TypeText && strings.TrimSpace(content.Text) != "" {
		return 0, 0, carillon.Invalid("content.text", "a %s channel's attachments carry no caption: send the text as a message of its own", ch.Type)
	}
	var window time.Duration
	if r.MessageTag != "" {
		if r.TemplateUUID != "" {
			return 0, 0, carillon.Invalid("message_tag", "a template is sent without message_tag")
		}
		w, ok := info.MessageTags[r.MessageTag]
		if !ok {
			if len(info.MessageTags) == 0 {
				return 0, 0, carillon.Invalid("message_tag", "a %s channel takes no message_tag", ch.Type)
			}
			return 0, 0, carillon.Invalid("message_tag", "unknown message_tag %q: a %s channel takes %s", r.MessageTag, ch.Type, strings.Join(slices.Sorted(maps.Keys(info.MessageTags)), ", "))
		}
		window, content.Tag = w, r.MessageTag
	}
	if r.ReplyTo == "" {
		return window, 0, nil
	}
	m, err := s.store.MessageByUUID(ctx, accountID, undashed(r.ReplyTo))
	if errors.Is(err, carillon.ErrNotFound) || (err == nil && m.ChannelID != ch.ID) {
		return 0, 0, carillon.Invalid("reply_to", "no message %q on this channel", r.ReplyTo)
	}
	if err != nil {
		return 0, 0, err
	}
	if m.ExternalID == "" {
		return 0, 0, carillon.Invalid("reply_to", "message %q has not reached %s: there is nothing to reply to yet", r.ReplyTo, ch.Type)
	}
	b, _ := json.Marshal(carillon.MessageContext{ID: m.ExternalID})
	content.Details = map[string]json.RawMessage{carillon.DetailContext: b}
	return window, m.ContactID, nil
}

// sendTemplate returns the content of the message a send stores: the
// request's own, or, for a template send, the approved template of the
// sending channel with its placeholders filled (and the values that filled
// them), with the media header of a media template.
func (s *Messages) sendTemplate(ctx context.Context, accountID int64, ch carillon.Channel, r *SendRequest) (carillon.Content, []string, error) {
	if r.TemplateUUID == "" {
		return *r.Content, nil, nil
	}
	if info, _ := s.registry.Lookup(ch.Provider); info.NoTemplates {
		return carillon.Content{}, nil, carillon.Invalid("template_uuid", "a %s channel sends no templates: send text or a file within the window", ch.Type)
	}
	t, err := s.store.TemplateByUUID(ctx, accountID, r.TemplateUUID)
	if errors.Is(err, carillon.ErrNotFound) {
		return carillon.Content{}, nil, carillon.Invalid("template_uuid", "no template %q in this account", r.TemplateUUID)
	}
	if err != nil {
		return carillon.Content{}, nil, err
	}
	if t.ChannelID != ch.ID {
		return carillon.Content{}, nil, carillon.Invalid("template_uuid", "template %q belongs to another channel than the sending one (%s)", t.UUID, ch.Title)
	}
	if t.Status != "approved" {
		return carillon.Content{}, nil, carillon.Invalid("template_uuid", "template %q is %s: only an approved template can be sent", t.UUID, t.Status)
	}
	typ := templateType(t)
	if r.Type != typ {
		return carillon.Content{}, nil, carillon.Invalid("type", "template %q has type %s: send it with type %s", t.UUID, typ, typ)
	}
	n := t.ValueCount()
	values, field := r.TemplateValues, "template_values"
	switch {
	case len(values) > 0:
		if len(values) != n {
			return carillon.Content{}, nil, carillon.Invalid("template_values", "%s: template_values must hold %d, not %d", templateNeeds(t), n, len(values))
		}
		for i, v := range values {
			if strings.TrimSpace(v) == "" {
				return carillon.Content{}, nil, carillon.Invalid("template_values", "template_values[%d] is blank", i)
			}
		}
	case n == 1:
		if strings.TrimSpace(r.Content.Text) == "" {
			return carillon.Content{}, nil, carillon.Invalid("content.text", "content.text is required: %s", templateNeeds(t))
		}
		values, field = []string{r.Content.Text}, "content.text"
	case n > 1:
		return carillon.Content{}, nil, carillon.Invalid("template_values", "%s: give template_values, %d strings", templateNeeds(t), n)
	}
	text := fillPlaceholders(t.Text, values[:min(len(values), t.BodyPlaceholders())])
	if utf8.RuneCountInString(text) > maxTextLength {
		return carillon.Content{}, nil, carillon.Invalid(field, "the filled template is longer than %d characters", maxTextLength)
	}
	out := carillon.Content{Text: text}
	if typ != carillon.TypeText {
		out.URL = r.Content.URL
	}
	return out, values, nil
}

// templateNeeds says how many values a template takes and what each fills:
// "template X needs 2 values: 1 for the body, 1 for button 1 (copy code)".
func templateNeeds(t carillon.Template) string {
	var parts []string
	if n := t.BodyPlaceholders(); n > 0 {
		parts = append(parts, fmt.Sprintf("%d for the body", n))
	}
	for i, b := range t.Buttons {
		if b.TakesValue() {
			parts = append(parts, fmt.Sprintf("1 for button %d (%s)", i+1, b.Label()))
		}
	}
	n := t.ValueCount()
	what := "values"
	if n == 1 {
		what = "value"
	}
	if len(parts) == 0 {
		return fmt.Sprintf("template %q needs no values", t.Title)
	}
	return fmt.Sprintf("template %q needs %d %s: %s", t.Title, n, what, strings.Join(parts, ", "))
}

// fillPlaceholders replaces each {{N}} with values[N-1].
func fillPlaceholders(text string, values []string) string {
	return declaration.Placeholder.ReplaceAllStringFunc(text, func(m string) string {
		k, err := strconv.Atoi(strings.TrimSpace(m[2 : len(m)-2]))
		if err != nil || k < 1 || k > len(values) {
			return m
		}
		return values[k-1]
	})
}

// sendAssignment resolves the assigned_user (an email) and team_uuid of a
// send; 0 when not given.
func (s *Messages) sendAssignment(ctx context.Context, accountID int64, email, teamUUID string) (userID, teamID int64, err error) {
	if email != "" {
		u, err := s.store.UserByEmail(ctx, accountID, strings.ToLower(strings.TrimSpace(email)))
		if errors.Is(err, carillon.ErrNotFound) {
			return 0, 0, carillon.Invalid("assigned_user", "no user of the account has the email %q", email)
		}
		if err != nil {
			return 0, 0, err
		}
		userID = u.ID
	}
	if teamUUID != "" {
		t, err := s.store.TeamByUUID(ctx, accountID, teamUUID)
		if errors.Is(err, carillon.ErrNotFound) {
			return 0, 0, carillon.Invalid("team_uuid", "no team %q in this account", teamUUID)
		}
		if err != nil {
			return 0, 0, err
		}
		teamID = t.ID
	}
	return userID, teamID, nil
}

func findContact(ctx context.Context, q carillon.Queries, channelID int64, address, bsuid string) (carillon.Contact, bool, error) {
	var c carillon.Contact
	var err error
	if address != "" {
		c, err = q.ContactByAddress(ctx, channelID, address)
	} else {
		c, err = q.ContactByBSUID(ctx, channelID, bsuid)
	}
	if errors.Is(err, carillon.ErrNotFound) {
		return c, false, nil
	}
	return c, err == nil, err
}

// undashed reads a uuid written with dashes (8-4-4-4-12), as Callbell's
// examples write channel uuids, as the 32 hex digits carillon's are.
func undashed(uuid string) string {
	if len(uuid) == 36 && uuid[8] == '-' && uuid[13] == '-' && uuid[18] == '-' && uuid[23] == '-' {
		return strings.ReplaceAll(uuid, "-", "")
	}
	return uuid
}

func newContact(accountID int64, ch carillon.Channel, address, bsuid string, now time.Time) carillon.Contact {
	return carillon.Contact{UUID: carillon.NewUUID(), AccountID: accountID, ChannelID: ch.ID, Address: address, BSUID: bsuid,
		CreatedAt: now, UpdatedAt: now, ConversationUUID: carillon.NewUUID()}
}

// openConversation opens (or reopens) the contact's conversation.
func openConversation(c *carillon.Contact, now time.Time) {
	if !c.HasConversation() {
		c.ConversationCreatedAt = now
	}
	c.ClosedAt, c.ClosingReason = time.Time{}, ""
}

func setBotStatus(c *carillon.Contact, status string, now time.Time) {
	c.BotStatus = status
	if status == "bot_start" {
		c.BotStartedAt = now
	}
}
