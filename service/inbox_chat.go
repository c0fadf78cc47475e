package service

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/carillon/carillon"
)

// A conversation as the inbox shows it: its thread (every message, notes
// between them, with what each carries as carillon stores it, and the
// history of the conversation's opening, closing and assignment), the
// contact with the names its panel shows, and the account's choices for
// the panel's forms.

// ThreadPageSize is how many messages a page of a thread holds.
const ThreadPageSize = 50

// A thread is read by keyset, newest first, as the messages log and the
// search are: a page is named by its newest message (a cursor, opaque to
// its reader), not by a number, so that a page stays the same while
// messages arrive, and it reads the index of a contact's messages from
// that message down, whatever the thread's length. The latest page has no
// cursor; a page's Earlier link carries the cursor of the newest message
// of the page before it; a search's result carries the cursor of the
// message it found (ThreadCursor), whose page ends at that message.

// maxThreadChanges bounds the history entries a page of a thread shows.
const maxThreadChanges = 200

// ChatRequest names a conversation: by its uuid, or by its contact's.
type ChatRequest struct {
	ConversationUUID string
	ContactUUID      string
	// From is the cursor of the newest message of the thread's page
	// (ThreadCursor, Chat.Earlier); "" for the latest messages.
	From string
}

// Chat is a conversation with a page of its thread.
type Chat struct {
	Contact ContactView
	// Thread is the page's messages and history, oldest first.
	Thread []ThreadItem
	// Earlier is the cursor of the page of earlier messages (for
	// ChatRequest.From), "" when there is none; Later is set when newer
	// messages than the page's exist.
	Earlier string
	Later   bool
	// AssignedName and TeamName name the conversation's user and team;
	// Funnel is its funnel stage, nil when none.
	AssignedName, TeamName string
	Funnel                 *carillon.Funnel
	// The choices of the panel's forms: the account's users, teams, tags,
	// custom fields and funnel stages.
	Users   []carillon.User
	Teams   []carillon.Team
	Tags    []carillon.Tag
	Fields  []carillon.CustomField
	Funnels []carillon.Funnel
}

// ThreadItem is a message of a thread or an entry of its history.
type ThreadItem struct {
	Message *ThreadMessage
	Change  *ThreadChange
}

// ThreadMessage is a message as a thread shows it.
type ThreadMessage struct {
	carillon.Message
	// Failure explains why a failed message failed, nil otherwise.
	Failure *Failure
	// MediaKind is image, audio, video or file for a message that
	// carries a file, "" otherwise; MediaPath is the file's path on this
	// server, "" when carillon does not keep it (an outgoing message's
	// file is at the sender's URL, Content.URL; an inbound file the
	// network did not give has no URL).
	MediaPath, MediaKind string
	Location             *carillon.MessageLocation
	Cards                []ContactCard
	// ReplyTo is the message this one replies to; Reaction what it reacts
	// to.
	ReplyTo   *Quote
	Reaction  *Reaction
	Forwarded bool
}

// ContactCard is a contact a customer shared.
type ContactCard struct {
	Name   string
	Phones []string
}

// Quote is a message another one names: Found is false when the thread
// does not hold it (sent before carillon kept the conversation, or
// deleted).
type Quote struct {
	Found     bool
	Direction carillon.Direction
	Text      string
}

// Reaction is an emoji a customer put on a message ("" when they took
// their reaction back).
type Reaction struct {
	Emoji string
	To    Quote
}

// ThreadChange is an entry of a conversation's history with the names of
// the users and team it names.
type ThreadChange struct {
	carillon.ConversationChange
	// By, User and Team name ByUserID, UserID and TeamID; "" for none.
	By, User, Team string
}

// Chat reads a conversation for viewer, as ConversationFor and ContactFor
// do (one they may not see is not found), with a page of its thread, and
// marks it read for them: opening a conversation reads what its customer
// wrote so far.
func (s *Inbox) Chat(ctx context.Context, p Principal, viewer Viewer, r ChatRequest) (Chat, error) {
	var c carillon.Contact
	var err error
	if r.ConversationUUID != "" {
		c, err = s.store.ContactByConversation(ctx, p.Account.ID, r.ConversationUUID)
	} else {
		c, err = s.store.ContactByUUID(ctx, p.Account.ID, r.ContactUUID)
	}
	kind := "conversation"
	if r.ConversationUUID == "" {
		kind = "contact"
	}
	if err != nil {
		return Chat{}, s.notFound(ctx, "read conversation", kind, err)
	}
	if !viewer.maySee(c) {
		return Chat{}, carillon.NotFound(kind)
	}
	var from int64
	if r.From != "" {
		if from, err = decodeThreadCursor(r.From); err != nil {
			return Chat{}, err
		}
	}
	out, err := s.chat(ctx, p, c, from)
	if err != nil {
		return Chat{}, s.internal(ctx, "read conversation", err)
	}
	if viewer.UserID != 0 && !c.LastInboundAt.IsZero() {
		err := s.inTx(ctx, func(q carillon.Queries) error { return q.MarkRead(ctx, viewer.UserID, c.ID, c.LastInboundAt) })
		if err != nil {
			return Chat{}, s.internal(ctx, "mark conversation read", err)
		}
	}
	return out, nil
}

// chat reads conversation c with the page of its thread whose newest
// message is the message id from (the latest page when 0).
func (s *Inbox) chat(ctx context.Context, p Principal, c carillon.Contact, from int64) (Chat, error) {
	views, err := s.contactViews(ctx, s.store, p.Account.ID, []carillon.Contact{c}, nil)
	if err != nil {
		return Chat{}, err
	}
	out := Chat{Contact: views[0]}
	if out.Users, err = s.store.ListUsers(ctx, p.Account.ID); err != nil {
		return out, err
	}
	if out.Teams, err = s.store.AllTeams(ctx, p.Account.ID); err != nil {
		return out, err
	}
	if out.Tags, _, err = s.store.ListTags(ctx, p.Account.ID, carillon.Page{Number: 1, Size: MaxPageSize}); err != nil {
		return out, err
	}
	if out.Fields, err = s.store.AllCustomFields(ctx, p.Account.ID); err != nil {
		return out, err
	}
	if out.Funnels, _, err = s.store.ListFunnels(ctx, p.Account.ID, carillon.Page{Number: 1, Size: MaxPageSize}); err != nil {
		return out, err
	}
	users, teams := map[int64]string{}, map[int64]string{}
	for _, u := range out.Users {
		users[u.ID] = u.Name
		if u.Name == "" {
			users[u.ID] = u.Email
		}
	}
	for _, t := range out.Teams {
		teams[t.ID] = t.Name
	}
	out.AssignedName, out.TeamName = users[c.AssignedUserID], teams[c.TeamID]
	for i, f := range out.Funnels {
		if f.UUID == c.FunnelID {
			out.Funnel = &out.Funnels[i]
		}
	}

	// The page and one message more: the newest of the page before.
	var before int64
	if from > 0 {
		before = from + 1 // from itself is the page's newest
	}
	msgs, err := s.store.ContactMessagesBefore(ctx, p.Account.ID, c.ID, before, ThreadPageSize+1)
	if err != nil {
		return out, err
	}
	var earlier *carillon.Message
	if len(msgs) > ThreadPageSize {
		earlier, msgs = &msgs[ThreadPageSize], msgs[:ThreadPageSize]
		out.Earlier = ThreadCursor(earlier.ID)
	}
	if from > 0 {
		newest, err := s.store.ContactMessagesBefore(ctx, p.Account.ID, c.ID, 0, 1)
		if err != nil {
			return out, err
		}
		out.Later = len(newest) > 0 && (len(msgs) == 0 || newest[0].ID != msgs[0].ID)
	}
	if len(msgs) == 0 && from > 0 {
		return out, nil // before the start of the thread
	}
	// The page's history is what happened after the time of the newest
	// message of the page before (from the start on the earliest page) up
	// to the time of the page's latest message (to now on the latest
	// page): each entry is on one page, before the first message at or
	// after it.
	var fromTime, to time.Time
	if earlier != nil {
		fromTime = earlier.CreatedAt.Add(time.Millisecond)
	}
	if out.Later && len(msgs) > 0 {
		to = latest(msgs).Add(time.Millisecond)
	}
	changes, err := s.store.ConversationHistory(ctx, c.ID, fromTime, to, maxThreadChanges)
	if err != nil {
		return out, err
	}
	ch := out.Contact.Channel
	byExternal := map[string]carillon.Message{}
	for _, m := range msgs {
		if m.ExternalID != "" {
			byExternal[m.ExternalID] = m
		}
	}
	// Oldest first; each history entry before the first message after it.
	for i := len(msgs) - 1; i >= 0; i-- {
		m := msgs[i]
		for len(changes) > 0 && !changes[0].CreatedAt.After(m.CreatedAt) {
			out.Thread = append(out.Thread, ThreadItem{Change: threadChange(changes[0], users, teams)})
			changes = changes[1:]
		}
		tm, err := s.threadMessage(ctx, ch, c, m, byExternal)
		if err != nil {
			return out, err
		}
		out.Thread = append(out.Thread, ThreadItem{Message: &tm})
	}
	for _, chg := range changes {
		out.Thread = append(out.Thread, ThreadItem{Change: threadChange(chg, users, teams)})
	}
	return out, nil
}

// latest is the latest creation time of msgs.
func latest(msgs []carillon.Message) time.Time {
	t := msgs[0].CreatedAt
	for _, m := range msgs[1:] {
		if m.CreatedAt.After(t) {
			t = m.CreatedAt
		}
	}
	return t
}

// ThreadCursor is the cursor of the page of a thread whose newest message
// is the message id (ChatRequest.From): the page a search's result opens,
// ending at the message found.
func ThreadCursor(messageID int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte("thread." + strconv.FormatInt(messageID, 10)))
}

func decodeThreadCursor(s string) (int64, error) {
	bad := carillon.Invalid("from", "this link's page marker is damaged: open the conversation again")
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return 0, bad
	}
	id, ok := strings.CutPrefix(string(raw), "thread.")
	if !ok {
		return 0, bad
	}
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil || n <= 0 || n == math.MaxInt64 {
		return 0, bad
	}
	return n, nil
}

func threadChange(c carillon.ConversationChange, users, teams map[int64]string) *ThreadChange {
	return &ThreadChange{ConversationChange: c, By: users[c.ByUserID], User: users[c.UserID], Team: teams[c.TeamID]}
}

// threadMessage reads what message m of contact c carries: its failure in
// words, its file, its details (a location, contact cards, the message it
// replies or reacts to, looked up among byExternal, the page's messages by
// their network id, then in the store).
func (s *Inbox) threadMessage(ctx context.Context, ch carillon.Channel, c carillon.Contact, m carillon.Message, byExternal map[string]carillon.Message) (ThreadMessage, error) {
	tm := ThreadMessage{Message: m}
	if m.Status.Final() {
		tm.Failure = failureOf(ch.Type, m.StatusPayload)
	}
	switch m.Type {
	case carillon.TypeImage, "sticker":
		tm.MediaKind = "image"
	case carillon.TypeAudio, carillon.TypeVideo:
		tm.MediaKind = m.Type
	case carillon.TypeDocument:
		tm.MediaKind = "file"
	}
	if u := m.Content.URL; u != "" {
		if name, ok := strings.CutPrefix(u, s.publicURL+"/media/"); ok && name != "" && !strings.ContainsAny(name, "/?#") {
			tm.MediaPath = "/media/" + name
		}
		if tm.MediaKind == "" {
			tm.MediaKind = "file"
		}
	}
	d := m.Content.Details
	if raw, ok := d[carillon.DetailLocation]; ok {
		var l carillon.MessageLocation
		if json.Unmarshal(raw, &l) == nil {
			tm.Location = &l
		}
	}
	if raw, ok := d[carillon.DetailContactCard]; ok {
		tm.Cards = contactCards(raw)
	}
	if raw, ok := d[carillon.DetailForward]; ok {
		var f carillon.MessageForward
		tm.Forwarded = json.Unmarshal(raw, &f) == nil && f.Forwarded
	}
	quote := func(externalID string) (Quote, error) {
		q, ok := byExternal[externalID]
		if !ok && externalID != "" {
			found, err := s.store.MessageByExternalID(ctx, ch.ID, externalID)
			if err != nil && !errors.Is(err, carillon.ErrNotFound) {
				return Quote{}, err
			}
			q, ok = found, err == nil && found.ContactID == c.ID
		}
		if !ok {
			return Quote{}, nil
		}
		text := q.Content.Text
		switch {
		case !q.DeletedAt.IsZero():
			text = "a message the customer deleted"
		case text == "":
			text = "(" + q.Type + ")"
		}
		return Quote{Found: true, Direction: q.Direction, Text: text}, nil
	}
	if raw, ok := d[carillon.DetailContext]; ok {
		var mc carillon.MessageContext
		if json.Unmarshal(raw, &mc) == nil && mc.ID != "" {
			q, err := quote(mc.ID)
			if err != nil {
				return tm, err
			}
			tm.ReplyTo = &q
		}
	}
	if raw, ok := d[carillon.DetailReaction]; ok {
		var r struct {
			MessageID string `json:"messageId"`
			Emoji     string `json:"emoji"`
		}
		if json.Unmarshal(raw, &r) == nil {
			q, err := quote(r.MessageID)
			if err != nil {
				return tm, err
			}
			tm.Reaction = &Reaction{Emoji: r.Emoji, To: q}
		}
	}
	return tm, nil
}

// contactCards reads messageContactCard: contacts in WhatsApp's shape,
// which every provider gives.
func contactCards(raw json.RawMessage) []ContactCard {
	var d struct {
		Contacts []struct {
			Name struct {
				FormattedName string `json:"formatted_name"`
				FirstName     string `json:"first_name"`
				LastName      string `json:"last_name"`
			} `json:"name"`
			Phones []struct {
				Phone string `json:"phone"`
			} `json:"phones"`
		} `json:"contacts"`
	}
	if json.Unmarshal(raw, &d) != nil {
		return nil
	}
	var out []ContactCard
	for _, c := range d.Contacts {
		card := ContactCard{Name: c.Name.FormattedName}
		if card.Name == "" {
			card.Name = strings.TrimSpace(c.Name.FirstName + " " + c.Name.LastName)
		}
		for _, p := range c.Phones {
			if p.Phone != "" {
				card.Phones = append(card.Phones, p.Phone)
			}
		}
		out = append(out, card)
	}
	return out
}
