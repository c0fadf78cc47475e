package service

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/carillon/carillon"
	"github.com/carillon/carillon/declaration"
)

// The console's composer: a person answers a conversation with text, a
// file or a template. Every send goes through Send, the rules of
// POST /v1/messages/send (the channel, the 24-hour window, templates,
// idempotency), with a key the form carries: the same form sent twice sends
// once. A failed message is sent again as a new message (Retry).

// Composer is what the composer offers in a conversation.
type Composer struct {
	// WindowEnforced is set when the channel sends free-form messages only
	// within the 24-hour customer service window (WhatsApp).
	WindowEnforced bool
	// WindowOpen is set when free text and files may be sent now: always
	// on a channel that does not enforce the window.
	WindowOpen bool
	// WindowClosesAt is when an open, enforced window closes; zero
	// otherwise. On a channel whose network has a tag for a person's
	// answer (Meta's HUMAN_AGENT, 7 days), it is when that tag's time ends.
	WindowClosesAt time.Time
	// AgentTag is that tag, "" when the channel has none: the composer's
	// replies after 24 hours go with it.
	AgentTag string
	// NoCaptions is set when the channel's files carry no text (Meta's
	// Messenger and Instagram): a file goes alone.
	NoCaptions bool
	// NoTemplates is set when the channel's network takes no templates
	// (Messenger, Instagram): the composer offers none.
	NoTemplates bool
	// Templates are the approved templates of the conversation's channel,
	// by title.
	Templates []carillon.Template
	// Unavailable says why nothing can be sent in the conversation (its
	// channel is discarded); "" when it can.
	Unavailable string
	// Files says in words which files the channel takes, and up to what
	// size, as its provider describes them; Accept lists the types of
	// file it takes, "" when it takes any (as a document).
	Files  string
	Accept string
}

// Composer reads what the composer offers to answer contact c (as the
// console read it for its viewer).
func (s *Messages) Composer(ctx context.Context, p Principal, c ContactView) (Composer, error) {
	var out Composer
	if !c.Channel.Active() {
		out.Unavailable = fmt.Sprintf("the channel %s is discarded: nothing can be sent from it", c.Channel.Title)
		return out, nil
	}
	now := s.clock.Now()
	out.WindowEnforced = s.enforcesWindow(c.Channel)
	tag, window := s.agentTag(c.Channel)
	if out.WindowEnforced {
		out.AgentTag = tag
	}
	info, _ := s.registry.Lookup(c.Channel.Provider)
	out.NoCaptions, out.NoTemplates = info.NoCaptions, info.NoTemplates
	out.WindowOpen = !out.WindowEnforced || inWindow(c.Contact, now, window)
	if out.WindowEnforced && out.WindowOpen {
		out.WindowClosesAt = c.LastInboundAt.Add(carillon.CustomerServiceWindow)
		if tag != "" {
			out.WindowClosesAt = c.LastInboundAt.Add(window)
		}
	}
	limits := s.mediaLimitsOf(c.Channel)
	out.Files = limitsInWords(limits)
	out.Accept = strings.Join(limits.ContentTypes(), ",")
	for page := 1; !out.NoTemplates; page++ {
		list, total, err := s.store.ListTemplates(ctx, p.Account.ID, carillon.Page{Number: page, Size: MaxPageSize})
		if err != nil {
			return Composer{}, s.internal(ctx, "read the composer's templates", err)
		}
		for _, t := range list {
			if t.ChannelID == c.ChannelID && t.Status == "approved" {
				out.Templates = append(out.Templates, t)
			}
		}
		if len(list) < MaxPageSize || page*MaxPageSize >= total {
			break
		}
	}
	slices.SortStableFunc(out.Templates, func(a, b carillon.Template) int {
		return strings.Compare(strings.ToLower(a.Title)+"\x00"+a.Language, strings.ToLower(b.Title)+"\x00"+b.Language)
	})
	return out, nil
}

// Reply is a message written in the console's composer.
type Reply struct {
	ConversationUUID string
	// Key is the form's own key, made when the form was shown: a form
	// sent again with the same key (a double click, a reload) is answered
	// with the first send's message and sends nothing.
	Key string
	// Text is the message, or the caption of the file.
	Text string
	// File is a file to send, nil when none; for a media template, its
	// header.
	File *Upload
	// TemplateUUID names the template to send, "" for free text or a
	// file; TemplateValues fill its values (TemplateSlots) in order.
	TemplateUUID   string
	TemplateValues []string
	// OptIn is the sender's word that the customer agreed to receive
	// messages, which a template needs, as the API's optin_contact.
	OptIn bool
}

// Upload is a file attached in the composer.
type Upload struct {
	Body io.Reader
	// Size is its length as the form declared it.
	Size int64
	// ContentType and Filename are the browser's word for it.
	ContentType, Filename string
}

// maxFormKey bounds the key of a form.
const maxFormKey = 64

// replyKey is the Idempotency-Key of a send from the console: the form's
// key, of the user who sends it, in a namespace of its own so that it meets
// no API client's key.
func replyKey(v Viewer, formKey string, suffix ...string) (string, error) {
	k := strings.TrimSpace(formKey)
	if k == "" || len(k) > maxFormKey || !carillon.Printable(k) || strings.Contains(k, ":") {
		return "", carillon.Invalid("key", "the form carries no key to send it once: reload the page and send it again")
	}
	return "console:" + strconv.FormatInt(v.UserID, 10) + ":" + k + strings.Join(suffix, ""), nil
}

// requestHash identifies what a form asked: a resubmission with the same
// key and the same content is the same request; with another content it is
// refused, as an API request that reuses its key with another body.
func requestHash(what any) string {
	b, _ := json.Marshal(what)
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// Reply sends a message written in the composer to the customer of a
// conversation viewer v may see (another is not found), through Send. A
// template needs OptIn and every value; free text and files need the
// customer service window where the channel enforces it; a file is kept
// in the media store and sent by its URL (<public URL>/media/<name>), as an
// image, a video or an audio when the channel takes it as one (mediaLimits),
// else as a document. A kept file is removed again when the send is
// refused, or answered with an earlier send of the same form.
func (s *Messages) Reply(ctx context.Context, p Principal, v Viewer, r Reply) (SendResult, error) {
	key, err := replyKey(v, r.Key)
	if err != nil {
		return SendResult{}, err
	}
	c, err := s.store.ContactByConversation(ctx, p.Account.ID, r.ConversationUUID)
	if err != nil {
		return SendResult{}, s.notFound(ctx, "reply", "conversation", err)
	}
	if !v.maySee(c) {
		return SendResult{}, carillon.NotFound("conversation")
	}
	ch, err := s.store.ChannelByID(ctx, c.ChannelID)
	if err != nil {
		return SendResult{}, s.internal(ctx, "reply", err)
	}
	req := s.sendTo(c, ch)
	req.IdempotencyKey = key
	req.Type, req.Content = carillon.TypeText, &carillon.Content{Text: r.Text}
	want := "" // the message type the file must be sent as, "" for any
	if r.TemplateUUID != "" {
		t, err := s.store.TemplateByUUID(ctx, p.Account.ID, r.TemplateUUID)
		if errors.Is(err, carillon.ErrNotFound) {
			return SendResult{}, carillon.Invalid("template", "no template %q in this account: pick one of the list", r.TemplateUUID)
		}
		if err != nil {
			return SendResult{}, s.internal(ctx, "reply", err)
		}
		if err := checkTemplateReply(t, r); err != nil {
			return SendResult{}, err
		}
		req.TemplateUUID, req.TemplateValues, req.OptinContact = t.UUID, r.TemplateValues, r.OptIn
		req.Type, req.Content.Text = templateType(t), ""
		want = req.Type
	} else {
		if strings.TrimSpace(r.Text) == "" && r.File == nil {
			return SendResult{}, carillon.Invalid("text", "write a message or choose a file")
		}
		// Checked again by Send; here so that a file is not kept for a
		// send that will be refused. A person writes here: past the
		// customer service window, a channel whose network has a tag for
		// a person's answer (Meta's HUMAN_AGENT) sends with it.
		now := s.clock.Now()
		if s.enforcesWindow(ch) && !c.InWindow(now) {
			tag, window := s.agentTag(ch)
			if tag == "" || !inWindow(c, now, window) {
				return SendResult{}, outsideWindow(ch, tag)
			}
			req.MessageTag = tag
		}
	}
	var kept, digest string
	if r.File != nil {
		var typ string
		kept, typ, digest, err = s.keepUpload(ctx, ch, *r.File, want, r.Text)
		if err != nil {
			return SendResult{}, err
		}
		req.Type, req.Content.URL = typ, s.publicURL+"/media/"+kept
	}
	req.RequestHash = requestHash(struct {
		Conversation, Text, Template, File string
		Values                             []string
		OptIn                              bool
	}{c.ConversationUUID, r.Text, r.TemplateUUID, digest, r.TemplateValues, r.OptIn})
	res, err := s.Send(ctx, p, req)
	if kept != "" && (err != nil || res.Replayed) {
		s.forgetUpload(ctx, kept)
	}
	return res, err
}

// agentTag is the message tag of the channel's provider for a person's
// answer (Meta's HUMAN_AGENT), with how long after the customer's last
// message it allows; "" and 0 when the provider has none.
func (s *core) agentTag(ch carillon.Channel) (string, time.Duration) {
	info, _ := s.registry.Lookup(ch.Provider)
	if w, ok := info.MessageTags[humanAgentTag]; ok {
		return humanAgentTag, w
	}
	return "", 0
}

// humanAgentTag is Meta's tag for a person's answer, which the composer
// uses where the channel's provider takes it.
const humanAgentTag = "HUMAN_AGENT"

// sendTo is a send to contact c on its channel ch: by its address, or by
// its BSUID when it has none.
func (s *Messages) sendTo(c carillon.Contact, ch carillon.Channel) SendRequest {
	r := SendRequest{From: string(ch.Type), ChannelUUID: ch.UUID, To: c.Address}
	if c.Address == "" {
		r.BSUID = c.BSUID
	}
	return r
}

// templateType is the message type a template is sent as.
func templateType(t carillon.Template) string {
	if t.Type == "" {
		return carillon.TypeText
	}
	return t.Type
}

// checkTemplateReply checks a template reply in the composer's words
// (Send checks it again in the API's): the opt-in, a value for each slot,
// and the file of a media template's header.
func checkTemplateReply(t carillon.Template, r Reply) error {
	slots := TemplateSlots(t)
	if len(r.TemplateValues) != len(slots) {
		return carillon.Invalid("template_values", "template %q takes %d values, not %d: pick it again", t.Title, len(slots), len(r.TemplateValues))
	}
	for i, v := range r.TemplateValues {
		if strings.TrimSpace(v) == "" {
			return carillon.Invalid("template_values", "fill in value %d (%s)", i+1, slots[i].Label)
		}
	}
	typ := templateType(t)
	if typ != carillon.TypeText && r.File == nil {
		return carillon.Invalid("file", "template %q starts with a%s %s: choose its file", t.Title, article(typ), typ)
	}
	if typ == carillon.TypeText && r.File != nil {
		return carillon.Invalid("file", "template %q has no file: send it without one", t.Title)
	}
	if !r.OptIn {
		return carillon.Invalid("optin", "confirm that the customer agreed to receive your messages: WhatsApp asks it of every template")
	}
	return nil
}

// article is "n" before a word that starts with a vowel.
func article(word string) string {
	if word != "" && strings.ContainsRune("aeiou", rune(word[0])) {
		return "n"
	}
	return ""
}

// keepUpload keeps a file in the media store, checks it against the
// channel's limits and returns its name, the message type it goes as and
// the digest of its bytes. want, when set, is the type it must go as (a
// template's header); text is the caption.
func (s *Messages) keepUpload(ctx context.Context, ch carillon.Channel, f Upload, want, text string) (name, typ, digest string, err error) {
	if info, _ := s.registry.Lookup(ch.Provider); info.NoCaptions && want == "" && strings.TrimSpace(text) != "" {
		return "", "", "", carillon.Invalid("text", "%s sends files without a caption: send the file alone, and the text as a message of its own", ch.Type)
	}
	if s.media == nil {
		return "", "", "", &carillon.Error{Code: carillon.CodeNotSupported, Field: "file", Message: "this server keeps no files: send text"}
	}
	limits := s.mediaLimitsOf(ch)
	if f.Size > limits.Largest() {
		return "", "", "", carillon.Invalid("file", "the file is %s: %s takes files up to %s", sizeInWords(f.Size), ch.Type, sizeInWords(limits.Largest()))
	}
	sum := sha256.New()
	name, err = s.media.Put(ctx, io.TeeReader(f.Body, sum), f.ContentType, f.Filename)
	if err != nil {
		return "", "", "", s.internal(ctx, "keep an uploaded file", err)
	}
	digest = hex.EncodeToString(sum.Sum(nil))
	typ, err = s.uploadType(ctx, ch, limits, name, want, text)
	if err != nil {
		s.forgetUpload(ctx, name)
		return "", "", "", err
	}
	return name, typ, digest, nil
}

// uploadType decides the message type a kept file goes as, by the type it
// is kept as and its size, or refuses it.
func (s *Messages) uploadType(ctx context.Context, ch carillon.Channel, limits carillon.MediaLimits, name, want, text string) (string, error) {
	f, err := s.media.Open(ctx, name)
	if err != nil {
		return "", s.internal(ctx, "read an uploaded file", err)
	}
	f.Content.Close()
	if f.Size == 0 {
		return "", carillon.Invalid("file", "the file is empty")
	}
	if f.Size > limits.Largest() {
		return "", carillon.Invalid("file", "the file is %s: %s takes files up to %s", sizeInWords(f.Size), ch.Type, sizeInWords(limits.Largest()))
	}
	typ := limits.TypeOf(f.ContentType, f.Size)
	if want != "" && typ != want {
		k := limits.Kind(want)
		if k == nil {
			return "", carillon.Invalid("file", "a template's header cannot be a %s", want)
		}
		return "", carillon.Invalid("file", "the template's header is a%s %s: choose %s of at most %s (this file is %s, %s)",
			article(want), want, k.Names, sizeInWords(k.Max), f.ContentType, sizeInWords(f.Size))
	}
	if typ == "" {
		// A network that sends no documents (Instagram): the file is
		// not one of its media, or larger than its kind takes.
		return "", carillon.Invalid("file", "%s sends no other files than its media: %s (this file is %s, %s)",
			ch.Type, mediaOnly(limits), mediaType(f.ContentType), sizeInWords(f.Size))
	}
	if typ == carillon.TypeAudio && strings.TrimSpace(text) != "" && ch.Type == carillon.WhatsApp {
		return "", carillon.Invalid("text", "WhatsApp sends audio without a caption: send the audio alone, and the text as a message of its own")
	}
	return typ, nil
}

// forgetUpload removes a kept file no message uses.
func (s *Messages) forgetUpload(ctx context.Context, name string) {
	if err := s.media.Delete(ctx, name); err != nil {
		s.log.WarnContext(ctx, "an uploaded file that no message uses was not removed", "file", name, "error", err)
	}
}

const mb = 1 << 20

// MaxUpload is the largest file the composer reads: the console refuses a
// larger form before reading it. Each channel takes up to its provider's
// own limits (carillon.ProviderInfo.Media), none of which is larger.
const MaxUpload = 100 * mb

// mediaLimitsOf are the files channel ch takes, as its provider describes
// them.
func (s *core) mediaLimitsOf(ch carillon.Channel) carillon.MediaLimits {
	info, _ := s.registry.Lookup(ch.Provider)
	return info.Media
}

// limitsInWords says the limits in words.
func limitsInWords(l carillon.MediaLimits) string {
	var parts []string
	for _, k := range l.Kinds {
		parts = append(parts, fmt.Sprintf("%s up to %s goes as a%s %s", k.Names, sizeInWords(k.Max), article(k.Type), k.Type))
	}
	if l.Document == 0 {
		return strings.Join(parts, "; ") + "; no other file."
	}
	return strings.Join(parts, "; ") + fmt.Sprintf("; any other file, or a larger one, as a document up to %s.", sizeInWords(l.Document))
}

// mediaType is a content type without its parameters.
func mediaType(contentType string) string {
	base, _, _ := strings.Cut(contentType, ";")
	return strings.TrimSpace(base)
}

// mediaOnly says which files a channel that sends no documents takes.
func mediaOnly(l carillon.MediaLimits) string {
	var names []string
	for _, k := range l.Kinds {
		names = append(names, fmt.Sprintf("%s up to %s", k.Names, sizeInWords(k.Max)))
	}
	switch len(names) {
	case 0:
		return "no file"
	case 1:
		return names[0]
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}

// sizeInWords writes a size in MB (or KB, or bytes, when smaller).
func sizeInWords(n int64) string {
	switch {
	case n >= mb:
		if n%mb == 0 {
			return fmt.Sprintf("%d MB", n/mb)
		}
		return fmt.Sprintf("%.1f MB", float64(n)/mb)
	case n >= 1<<10:
		return fmt.Sprintf("%d KB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

// Retryable reports whether a message may be sent again: an outgoing
// message that failed.
func Retryable(m carillon.Message) bool {
	return m.Direction == carillon.Outbound && m.Status == carillon.StatusFailed
}

// Retry sends a failed message of a conversation viewer v may see again,
// as a new message with the same content (its text, file, template and
// values, and metadata) through Send; the failed one stays as it was. A
// message of another conversation is not found. formKey is the key of the
// form the retry came from: the same form sent twice retries once.
func (s *Messages) Retry(ctx context.Context, p Principal, v Viewer, conversationUUID, messageUUID, formKey string) (SendResult, error) {
	key, err := replyKey(v, formKey, ":retry:", messageUUID)
	if err != nil {
		return SendResult{}, err
	}
	m, err := s.store.MessageByUUID(ctx, p.Account.ID, messageUUID)
	if err != nil {
		return SendResult{}, s.notFound(ctx, "retry", "message", err)
	}
	c, err := s.store.ContactByID(ctx, p.Account.ID, m.ContactID)
	if err != nil {
		return SendResult{}, s.notFound(ctx, "retry", "message", err)
	}
	if !v.maySee(c) || c.ConversationUUID != conversationUUID {
		return SendResult{}, carillon.NotFound("message")
	}
	if !Retryable(m) {
		return SendResult{}, &carillon.Error{Code: carillon.CodeConflict,
			Message: fmt.Sprintf("only a failed message can be sent again: this one is %s", m.Status)}
	}
	ch, err := s.store.ChannelByID(ctx, m.ChannelID)
	if err != nil {
		return SendResult{}, s.internal(ctx, "retry", err)
	}
	req := s.sendTo(c, ch)
	req.Type, req.Content = m.Type, &carillon.Content{Text: m.Content.Text, URL: m.Content.URL}
	if req.Type == "" {
		req.Type = carillon.TypeText
	}
	// A reply goes again as a reply to the same message, checked again
	// as a send's reply_to is.
	if raw, ok := m.Content.Details[carillon.DetailContext]; ok {
		var mc carillon.MessageContext
		if json.Unmarshal(raw, &mc) == nil && mc.ID != "" {
			to, err := s.store.MessageByExternalID(ctx, ch.ID, mc.ID)
			switch {
			case err == nil:
				req.ReplyTo = to.UUID
			case !errors.Is(err, carillon.ErrNotFound):
				return SendResult{}, s.internal(ctx, "retry", err)
			}
		}
	}
	// The failed message's template was confirmed opted in when sent.
	req.TemplateUUID, req.TemplateValues, req.OptinContact = m.TemplateUUID, m.TemplateValues, m.TemplateUUID != ""
	if len(m.Metadata) > 0 {
		req.Metadata = make(map[string]any, len(m.Metadata))
		for k, v := range m.Metadata {
			req.Metadata[k] = v
		}
	}
	// A person sends it again: past the customer service window, with the
	// channel's tag for a person's answer, as the composer's replies go.
	if now := s.clock.Now(); req.TemplateUUID == "" && s.enforcesWindow(ch) && !c.InWindow(now) {
		if tag, window := s.agentTag(ch); tag != "" && inWindow(c, now, window) {
			req.MessageTag = tag
		}
	}
	req.IdempotencyKey, req.RequestHash = key, requestHash([]string{"retry", m.UUID})
	return s.Send(ctx, p, req)
}

// TemplateSlot is a value a send of a template takes, in the order
// template_values gives them: each placeholder of its text, then each
// button that takes one.
type TemplateSlot struct {
	// Label says what the value fills: "{{1}} in the text", "button 2
	// (URL): the end of https://example.com/track/".
	Label string
}

// TemplateSlots are the values a send of t takes.
func TemplateSlots(t carillon.Template) []TemplateSlot {
	var out []TemplateSlot
	for n := 1; n <= t.BodyPlaceholders(); n++ {
		out = append(out, TemplateSlot{Label: fmt.Sprintf("{{%d}} in the text", n)})
	}
	for i, b := range t.Buttons {
		if !b.TakesValue() {
			continue
		}
		what := "its value"
		switch {
		case b.Type == carillon.ButtonURL:
			what = "the end of " + declaration.Placeholder.ReplaceAllString(b.URL, "")
		case b.Type == carillon.ButtonCopyCode || b.Type == carillon.ButtonOTP:
			what = "the code"
		}
		out = append(out, TemplateSlot{Label: fmt.Sprintf("button %d (%s): %s", i+1, b.Label(), what)})
	}
	return out
}

// TemplatePreview is a template as its recipient will see it once its
// values are filled.
type TemplatePreview struct {
	// Header is the type of its media header (image, video, document), ""
	// for none.
	Header string
	// Text is its text, in parts: the template's own words and the values.
	Text []PreviewPart
	// Buttons are its buttons, in order.
	Buttons []PreviewButton
}

// PreviewPart is a piece of a preview: the template's own words (Slot 0) or
// the value of slot Slot (from 1), or its placeholder while it is Missing.
type PreviewPart struct {
	Text    string
	Slot    int
	Missing bool
}

// PreviewButton is a button of a preview: its text, its kind in words, and
// what it carries (an address, a code, a number) when it shows it.
type PreviewButton struct {
	Text    string
	Kind    string
	Carries []PreviewPart
}

// PreviewTemplate is t with values (in slot order; missing or blank ones
// shown as their placeholders) as its recipient will see it.
func PreviewTemplate(t carillon.Template, values []string) TemplatePreview {
	value := func(slot int) (string, bool) {
		if slot-1 < len(values) && strings.TrimSpace(values[slot-1]) != "" {
			return values[slot-1], true
		}
		return "", false
	}
	p := TemplatePreview{Text: previewParts(t.Text, 0, value)}
	if typ := templateType(t); typ != carillon.TypeText {
		p.Header = typ
	}
	slot := t.BodyPlaceholders()
	for _, b := range t.Buttons {
		pb := PreviewButton{Text: b.Text, Kind: b.Label()}
		switch {
		case b.Type == carillon.ButtonURL && b.TakesValue():
			slot++
			pb.Carries = previewParts(b.URL, slot-1, value)
		case b.Type == carillon.ButtonURL:
			pb.Carries = []PreviewPart{{Text: b.URL}}
		case b.TakesValue():
			slot++
			if v, ok := value(slot); ok {
				pb.Carries = []PreviewPart{{Text: v, Slot: slot}}
			} else {
				pb.Carries = []PreviewPart{{Text: "{{code}}", Slot: slot, Missing: true}}
			}
		case b.Type == carillon.ButtonPhoneNumber:
			pb.Carries = []PreviewPart{{Text: b.PhoneNumber}}
		}
		if pb.Text == "" {
			pb.Text = b.Label()
		}
		p.Buttons = append(p.Buttons, pb)
	}
	return p
}

// previewParts splits text at its placeholders {{N}}, each filled with the
// value of slot offset+N.
func previewParts(text string, offset int, value func(slot int) (string, bool)) []PreviewPart {
	var out []PreviewPart
	last := 0
	for _, m := range declaration.Placeholder.FindAllStringSubmatchIndex(text, -1) {
		n, err := strconv.Atoi(strings.TrimSpace(text[m[2]:m[3]]))
		if err != nil || n < 1 {
			continue
		}
		if m[0] > last {
			out = append(out, PreviewPart{Text: text[last:m[0]]})
		}
		slot := offset + n
		if v, ok := value(slot); ok {
			out = append(out, PreviewPart{Text: v, Slot: slot})
		} else {
			out = append(out, PreviewPart{Text: text[m[0]:m[1]], Slot: slot, Missing: true})
		}
		last = m[1]
	}
	if last < len(text) {
		out = append(out, PreviewPart{Text: text[last:]})
	}
	return out
}
