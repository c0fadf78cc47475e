package service

import (
	"context"

	"github.com/carillon/carillon"
)

// Who sees which chat. A console user reads the account's contacts, their
// conversations and their messages under one rule, derived from their role
// and id (Viewer.chats): the messages log narrows its filter with it
// (messageScope), and one contact, its conversation, its messages or one
// message is shown only when Viewer.maySee says so. What a viewer may not
// see is not found, as what belongs to another account: its existence is
// not theirs to know.

// Viewer is the signed-in person who reads the account's chats: the rule
// of which chats they see is derived from their role and id.
type Viewer struct {
	UserID int64
	Role   carillon.Role
}

// errNoChats answers a viewer whose role sees no chat at all: the rule
// fails closed on a role it does not know.
var errNoChats = carillon.NotFound("message")

// chats is the rule: admins, settings agents and agents see every chat of
// the account (assignedTo is 0); restricted agents only the chats of the
// contacts assigned to them (assignedTo is their id). Any other role, and
// a restricted agent without an id, sees none (errNoChats).
func (v Viewer) chats() (assignedTo int64, err error) {
	switch v.Role {
	case carillon.RoleAdmin, carillon.RoleSettingsAgent, carillon.RoleAgent:
		return 0, nil
	case carillon.RoleRestrictedAgent:
		if v.UserID == 0 {
			return 0, errNoChats
		}
		return v.UserID, nil
	}
	return 0, errNoChats
}

// maySee reports whether the viewer may see contact c, its conversation
// and its messages, by the rule of chats.
func (v Viewer) maySee(c carillon.Contact) bool {
	assignedTo, err := v.chats()
	return err == nil && (assignedTo == 0 || c.AssignedUserID == assignedTo)
}

// ContactFor reads contact uuid as Contact does, when viewer may see it: a
// contact they may not see is not found.
func (s *Contacts) ContactFor(ctx context.Context, p Principal, viewer Viewer, uuid string) (ContactView, error) {
	c, err := s.Contact(ctx, p, uuid)
	if err != nil {
		return ContactView{}, err
	}
	if !viewer.maySee(c.Contact) {
		return ContactView{}, carillon.NotFound("contact")
	}
	return c, nil
}

// ConversationFor is the contact whose conversation has that uuid, as
// ContactByConversation reads it, when viewer may see it: a conversation
// they may not see is not found.
func (s *Contacts) ConversationFor(ctx context.Context, p Principal, viewer Viewer, conversationUUID string) (ContactView, error) {
	c, err := s.ContactByConversation(ctx, p, conversationUUID)
	if err != nil {
		return ContactView{}, err
	}
	if !viewer.maySee(c.Contact) {
		return ContactView{}, carillon.NotFound("conversation")
	}
	return c, nil
}

// ContactMessagesFor lists the messages of contact uuid as ContactMessages
// does, when viewer may see the contact: one they may not see is not
// found.
func (s *Contacts) ContactMessagesFor(ctx context.Context, p Principal, viewer Viewer, uuid string, pr PageRequest) ([]HistoryMessage, PageInfo, error) {
	c, err := s.store.ContactByUUID(ctx, p.Account.ID, uuid)
	if err != nil {
		return nil, PageInfo{}, s.notFound(ctx, "list messages", "contact", err)
	}
	if !viewer.maySee(c) {
		return nil, PageInfo{}, carillon.NotFound("contact")
	}
	return s.ContactMessages(ctx, p, uuid, pr)
}
