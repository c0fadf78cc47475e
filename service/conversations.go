package service

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/carillon/carillon"
)

// A contact's conversation: its bot, opening and closing it, notes, its
// funnel; its last message and its history.

// lastMessage makes a message of direction dir created at t the contact's
// last message, unless the contact has a later one already (an inbound
// message may come late, stamped with the time the customer wrote it; on
// a tie, the message written last is the last). A note is never the last
// message: it does not answer the customer. Every unit of work that
// stores a message in or out calls it, and writes the contact in the same
// transaction.
func lastMessage(c *carillon.Contact, dir carillon.Direction, t time.Time) {
	if dir == carillon.Note || t.Before(c.LastMessageAt) {
		return
	}
	c.LastMessageAt, c.LastMessageDirection = t, dir
}

// conversationChanges are the entries of the conversation's history that a
// change of contact before (nil when the change created it) into after
// makes, by user by (0: none): opened or reopened, moved to another team,
// assigned to someone else, closed. They happen when the change does, at
// after's UpdatedAt: a customer's message that reopens a conversation is
// stamped with that time too, and comes before its reopening.
func conversationChanges(before *carillon.Contact, after carillon.Contact, by int64) []carillon.ConversationChange {
	var prev carillon.Contact
	if before != nil {
		prev = *before
	}
	var out []carillon.ConversationChange
	add := func(c carillon.ConversationChange) {
		c.ContactID, c.ByUserID, c.CreatedAt = after.ID, by, after.UpdatedAt
		out = append(out, c)
	}
	switch {
	case after.ConversationOpen() && !prev.HasConversation():
		add(carillon.ConversationChange{Kind: carillon.ChangeOpened})
	case after.ConversationOpen() && !prev.ConversationOpen():
		add(carillon.ConversationChange{Kind: carillon.ChangeReopened})
	}
	if after.TeamID != prev.TeamID {
		add(carillon.ConversationChange{Kind: carillon.ChangeTeam, TeamID: after.TeamID})
	}
	if after.AssignedUserID != prev.AssignedUserID {
		add(carillon.ConversationChange{Kind: carillon.ChangeAssigned, UserID: after.AssignedUserID})
	}
	if prev.ConversationOpen() && !after.ConversationOpen() {
		add(carillon.ConversationChange{Kind: carillon.ChangeClosed, Reason: after.ClosingReason})
	}
	return out
}

// Bot is a contact's bot state, as GET /contacts/:uuid/bot shows it.
type Bot struct {
	UUID      string
	Status    string // started, ended
	StartedAt time.Time
}

func botOf(c carillon.Contact) Bot {
	sum := sha256.Sum256([]byte("bot:" + c.UUID))
	b := Bot{UUID: hex.EncodeToString(sum[:16]), Status: "ended", StartedAt: c.BotStartedAt}
	if c.BotStatus == "bot_start" {
		b.Status = "started"
	}
	return b
}

// ContactBot returns a contact's bot state.
func (s *Contacts) ContactBot(ctx context.Context, p Principal, uuid string) (Bot, error) {
	c, err := s.store.ContactByUUID(ctx, p.Account.ID, uuid)
	if err != nil {
		return Bot{}, s.notFound(ctx, "read bot", "contact", err)
	}
	return botOf(c), nil
}

// SetContactBot sets a contact's bot status: bot_start or bot_end.
func (s *Contacts) SetContactBot(ctx context.Context, p Principal, uuid, status string) (Bot, error) {
	if status != "bot_start" && status != "bot_end" {
		return Bot{}, carillon.Invalid("status", "status must be bot_start or bot_end, not %q", status)
	}
	v, err := s.changeContact(ctx, p, "set bot", uuid, func(_ context.Context, _ carillon.Queries, c *carillon.Contact, _ *contactChanges) error {
		setBotStatus(c, status, s.clock.Now())
		return nil
	})
	if err != nil {
		return Bot{}, err
	}
	return botOf(v.Contact), nil
}

// OpenConversation opens the contact's conversation, or reopens it.
func (s *Contacts) OpenConversation(ctx context.Context, p Principal, uuid string) (ContactView, error) {
	return s.changeContact(ctx, p, "open conversation", uuid, func(_ context.Context, _ carillon.Queries, c *carillon.Contact, _ *contactChanges) error {
		if !c.ConversationOpen() {
			openConversation(c, s.clock.Now())
		}
		return nil
	})
}

// CloseConversation closes the contact's open conversation; a conversation
// that is closed already, or was never opened, stays as it is.
func (s *Contacts) CloseConversation(ctx context.Context, p Principal, uuid, reason string) (ContactView, error) {
	reason = strings.TrimSpace(reason)
	if n := utf8.RuneCountInString(reason); n > maxNote {
		return ContactView{}, carillon.Invalid("closing_reason", "closing_reason is %d characters long; at most %d are allowed", n, maxNote)
	}
	return s.changeContact(ctx, p, "close conversation", uuid, func(_ context.Context, _ carillon.Queries, c *carillon.Contact, _ *contactChanges) error {
		if c.ConversationOpen() {
			c.ClosedAt, c.ClosingReason = s.clock.Now(), reason
		}
		return nil
	})
}

// AddNote adds an internal note to the contact's conversation: a message
// of direction note, never sent.
func (s *Contacts) AddNote(ctx context.Context, p Principal, uuid, text string) (carillon.Message, error) {
	text = strings.TrimSpace(text)
	if text == "" {
		return carillon.Message{}, carillon.Invalid("text", "text is required")
	}
	if n := utf8.RuneCountInString(text); n > maxNoteText {
		return carillon.Message{}, carillon.Invalid("text", "text is %d characters long; at most %d are allowed", n, maxNoteText)
	}
	c, err := s.store.ContactByUUID(ctx, p.Account.ID, uuid)
	if err != nil {
		return carillon.Message{}, s.notFound(ctx, "add note", "contact", err)
	}
	now := s.clock.Now()
	m := carillon.Message{UUID: carillon.NewUUID(), AccountID: p.Account.ID, ChannelID: c.ChannelID, ContactID: c.ID,
		Direction: carillon.Note, Type: carillon.TypeText, Content: carillon.Content{Text: text}, Status: carillon.StatusNote,
		CreatedAt: now, UpdatedAt: now}
	err = s.commit.do(ctx, contactKey(c.ChannelID, c.Address+"|"+c.BSUID), func(ctx context.Context, q carillon.Queries) error {
		return q.CreateMessage(ctx, &m)
	})
	if err != nil {
		return carillon.Message{}, s.internal(ctx, "add note", err)
	}
	return m, nil
}

// UpdateFunnel sets the funnel stage of the contact's conversation.
func (s *Contacts) UpdateFunnel(ctx context.Context, p Principal, uuid, funnelID string) (ContactView, error) {
	funnelID = strings.TrimSpace(funnelID)
	if funnelID == "" {
		return ContactView{}, carillon.Invalid("funnel_id", "funnel_id is required: the uuid of one of the account's funnels")
	}
	return s.changeContact(ctx, p, "update funnel", uuid, func(ctx context.Context, q carillon.Queries, c *carillon.Contact, _ *contactChanges) error {
		f, err := q.FunnelByUUID(ctx, p.Account.ID, funnelID)
		if errors.Is(err, carillon.ErrNotFound) {
			return carillon.Invalid("funnel_id", "no funnel %q in this account", funnelID)
		}
		if err != nil {
			return err
		}
		c.FunnelID = f.UUID
		return nil
	})
}
