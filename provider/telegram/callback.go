package telegram

import (
	"bytes"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/carillon/carillon"
)

// ParseCallback authenticates and translates one update Telegram posted to
// the channel's callback URL.
//
// The X-Telegram-Bot-Api-Secret-Token header must equal the channel's
// webhook secret (compared in constant time) before the body is read:
// missing or wrong → 403. A body that is not a JSON object → 400; a method
// other than POST → 405.
//
// Only message updates carry messages: a customer writing to the bot, in a
// private chat or a group it is in. Every other kind (edited_message,
// channel_post, callback_query, my_chat_member…) is counted as ignored, and
// so is a message with nothing carillon keeps (a poll, a dice, a member
// joining). channel_post is ignored on purpose: it is the channel's own
// broadcast, written by its admins, not a customer; setWebhook asks for
// message updates only, so Telegram does not send the others anyway.
func (p *Provider) ParseCallback(ch carillon.Channel, cb carillon.Callback) (carillon.CallbackResult, error) {
	if cb.Method != http.MethodPost {
		return carillon.CallbackResult{}, &carillon.CallbackError{Status: http.StatusMethodNotAllowed,
			Reason: "Telegram posts updates; " + cb.Method + " is not allowed"}
	}
	if err := checkSecretToken(ch, cb.Header.Get(SecretTokenHeader)); err != nil {
		return carillon.CallbackResult{}, err
	}
	body := bytes.TrimSpace(cb.Body)
	var u update
	if len(body) == 0 || body[0] != '{' || json.Unmarshal(body, &u) != nil {
		return carillon.CallbackResult{}, &carillon.CallbackError{Status: http.StatusBadRequest,
			Reason: "the body is not a JSON Telegram update"}
	}
	if u.Message == nil {
		p.log.Debug("telegram update ignored: not a message", "channel", ch.UUID, "update_id", u.UpdateID)
		return carillon.CallbackResult{Ignored: 1}, nil
	}
	in, ok := inboundMessage(ch, u.Message)
	if !ok {
		p.log.Debug("telegram update ignored: a message kind carillon does not keep", "channel", ch.UUID, "update_id", u.UpdateID)
		return carillon.CallbackResult{Ignored: 1}, nil
	}
	return carillon.CallbackResult{Messages: []carillon.InboundMessage{in}}, nil
}

// checkSecretToken compares the header Telegram sent with the channel's
// webhook secret. Both are hashed first so that the comparison takes the
// same time whatever their lengths.
func checkSecretToken(ch carillon.Channel, got string) error {
	want := ch.Settings[SettingWebhookSecret]
	switch {
	case want == "":
		return &carillon.CallbackError{Status: http.StatusForbidden,
			Reason: "the channel has no webhook secret: nothing can authenticate the update"}
	case got == "":
		return &carillon.CallbackError{Status: http.StatusForbidden, Reason: "no " + SecretTokenHeader + " header"}
	}
	g, w := sha256.Sum256([]byte(got)), sha256.Sum256([]byte(want))
	if subtle.ConstantTimeCompare(g[:], w[:]) != 1 {
		return &carillon.CallbackError{Status: http.StatusForbidden, Reason: "wrong " + SecretTokenHeader}
	}
	return nil
}

// inboundMessage translates a Message; false when it carries nothing
// carillon keeps.
func inboundMessage(ch carillon.Channel, m *message) (carillon.InboundMessage, bool) {
	if m.Chat.ID == 0 || m.MessageID == 0 {
		return carillon.InboundMessage{}, false // not a message Telegram would send
	}
	chatID := strconv.FormatInt(m.Chat.ID, 10)
	in := carillon.InboundMessage{
		ChannelID: ch.ID,
		// Replies go to the chat: in a private chat its id is the user's,
		// in a group it is the group's, and the group is the contact.
		From:        chatID,
		ProfileName: profileName(m),
		ExternalID:  externalID(chatID, m.MessageID),
		At:          time.Unix(m.Date, 0).UTC(),
		Content:     carillon.Content{Text: m.Caption},
	}
	if !fillContent(&in, m) {
		return carillon.InboundMessage{}, false
	}
	if r := m.ReplyToMessage; r != nil {
		addDetail(&in, carillon.DetailContext, carillon.MessageContext{
			ID:   externalID(strconv.FormatInt(r.Chat.ID, 10), r.MessageID),
			From: senderID(r),
		})
	}
	if m.ForwardOrigin != nil || m.ForwardFrom != nil || m.ForwardFromChat != nil || m.ForwardDate != 0 {
		addDetail(&in, carillon.DetailForward, carillon.MessageForward{Forwarded: true})
	}
	return in, true
}

// fillContent sets the type, content, media and details of one message
// kind. Animations are checked before documents: Telegram sets document too
// on an animation, for old clients.
func fillContent(in *carillon.InboundMessage, m *message) bool {
	switch {
	case m.Text != "":
		in.Type, in.Content.Text = carillon.TypeText, m.Text
	case len(m.Photo) > 0:
		in.Type = carillon.TypeImage
		// Telegram's photos are JPEG in every size.
		in.Media = &carillon.InboundMedia{ID: largest(m.Photo).FileID, MimeType: "image/jpeg"}
	case m.Animation != nil:
		in.Type, in.Media = carillon.TypeVideo, media(m.Animation, "video/mp4")
	case m.Document != nil:
		in.Type, in.Media = carillon.TypeDocument, media(m.Document, "application/octet-stream")
	case m.Audio != nil:
		in.Type, in.Media = carillon.TypeAudio, media(m.Audio, "audio/mpeg")
	case m.Voice != nil:
		in.Type, in.Media = carillon.TypeAudio, media(m.Voice, "audio/ogg")
	case m.Video != nil:
		in.Type, in.Media = carillon.TypeVideo, media(m.Video, "video/mp4")
	case m.VideoNote != nil:
		in.Type, in.Media = carillon.TypeVideo, media(m.VideoNote, "video/mp4")
	case m.Sticker != nil:
		in.Type = "sticker"
		in.Media = &carillon.InboundMedia{ID: m.Sticker.FileID, MimeType: stickerMimeType(m.Sticker)}
	case m.Venue != nil:
		in.Type = "location"
		v := m.Venue
		addDetail(in, carillon.DetailLocation, carillon.NewLocation(v.Location.Latitude, v.Location.Longitude, v.Title, v.Address))
	case m.Location != nil:
		in.Type = "location"
		addDetail(in, carillon.DetailLocation, carillon.NewLocation(m.Location.Latitude, m.Location.Longitude, "", ""))
	case m.Contact != nil:
		in.Type = "contacts"
		addDetail(in, carillon.DetailContactCard, messageContactCard{Contacts: []contactCard{newContactCard(m.Contact)}})
	default:
		return false
	}
	return true
}

// A shared contact, as messageContactCard shows it: in WhatsApp's shape, so
// that a client reads it the same whatever the channel. (The other details
// have the domain's shapes: carillon.MessageContext and the like.)
type (
	// messageContactCard holds contacts in WhatsApp's shape.
	messageContactCard struct {
		Contacts []contactCard `json:"contacts"`
	}
	contactCard struct {
		Name struct {
			FormattedName string `json:"formatted_name"`
			FirstName     string `json:"first_name,omitempty"`
			LastName      string `json:"last_name,omitempty"`
		} `json:"name"`
		Phones []contactPhone `json:"phones,omitempty"`
		// UserID is the contact's Telegram user id, when it has one: the
		// chat id to write to them.
		UserID string `json:"user_id,omitempty"`
		VCard  string `json:"vcard,omitempty"`
	}
	contactPhone struct {
		Phone string `json:"phone"`
	}
)

func newContactCard(c *contact) contactCard {
	var card contactCard
	card.Name.FormattedName = trimmedJoin(c.FirstName, c.LastName)
	card.Name.FirstName, card.Name.LastName = c.FirstName, c.LastName
	if c.PhoneNumber != "" {
		card.Phones = []contactPhone{{Phone: c.PhoneNumber}}
	}
	if c.UserID != 0 {
		card.UserID = strconv.FormatInt(c.UserID, 10)
	}
	card.VCard = c.VCard
	return card
}

func addDetail(in *carillon.InboundMessage, key string, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		return // cannot happen: the detail types hold strings, numbers and bools
	}
	if in.Details == nil {
		in.Details = map[string]json.RawMessage{}
	}
	in.Details[key] = b
}

// profileName is the contact's name: the sender's first and last name in a
// private chat, the group's title in a group (the group is the contact).
func profileName(m *message) string {
	if m.Chat.Type != "private" && m.Chat.Title != "" {
		return m.Chat.Title
	}
	if m.From != nil {
		if name := trimmedJoin(m.From.FirstName, m.From.LastName); name != "" {
			return name
		}
	}
	return trimmedJoin(m.Chat.FirstName, m.Chat.LastName)
}

// senderID is the id of whoever wrote m: the user, or the chat it was sent
// on behalf of.
func senderID(m *message) string {
	switch {
	case m.From != nil:
		return strconv.FormatInt(m.From.ID, 10)
	case m.SenderChat != nil:
		return strconv.FormatInt(m.SenderChat.ID, 10)
	}
	return ""
}

// largest is the biggest size of a photo.
func largest(sizes []photo) photo {
	best := sizes[0]
	for _, s := range sizes[1:] {
		if s.Width*s.Height >= best.Width*best.Height {
			best = s
		}
	}
	return best
}

func media(f *file, defaultMimeType string) *carillon.InboundMedia {
	mt := f.MimeType
	if mt == "" {
		mt = defaultMimeType
	}
	return &carillon.InboundMedia{ID: f.FileID, MimeType: mt, Filename: f.FileName}
}

// stickerMimeType tells the three kinds of sticker apart.
func stickerMimeType(s *sticker) string {
	switch {
	case s.IsAnimated:
		return "application/x-tgsticker"
	case s.IsVideo:
		return "video/webm"
	}
	return "image/webp"
}
