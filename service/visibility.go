package service

import (
	"context"
	"slices"

	"github.com/carillon/carillon"
)

// Who sees which chat. A console user reads the account's contacts, their
// conversations and their messages under one rule, derived from their role,
// id and teams (Viewer.chats): the messages log narrows its filter with it
// (messageScope), and one contact, its conversation, its messages or one
// message is shown only when Viewer.maySee says so. What a viewer may not
// see is not found, as what belongs to another account: its existence is
// not theirs to know.

// Viewer is the signed-in person who reads the account's chats: the rule
// of which chats they see is derived from their role, id and teams.
// ViewerOf builds one, reading the teams once.
type Viewer struct {
	UserID int64
	Role   carillon.Role
	// TeamIDs are the teams the user is a member of; only an agent's
	// chats depend on them.
	TeamIDs []int64
}

// ViewerOf is user u as a viewer of the account's chats: for an agent, it
// reads the teams they are a member of (the other roles' chats do not
// depend on them).
func (s *Contacts) ViewerOf(ctx context.Context, p Principal, u carillon.User) (Viewer, error) {
	v := Viewer{UserID: u.ID, Role: u.Role}
	if u.Role != carillon.RoleAgent {
		return v, nil
	}
	teams, err := s.store.UserTeamIDs(ctx, p.Account.ID, u.ID)
	if err != nil {
		return Viewer{}, s.internal(ctx, "read the user's teams", err)
	}
	v.TeamIDs = teams
	return v, nil
}

// errNoChats answers a viewer whose role sees no chat at all: the rule
// fails closed on a role it does not know.
var errNoChats = carillon.NotFound("message")

// viewerChats is the set of chats a viewer sees: every chat of the
// account (all), or those assigned to a user (assignedTo), or, for an
// agent, those of agent.
type viewerChats struct {
	all        bool
	assignedTo int64
	agent      carillon.AgentChats
}

// chats is the rule. Admins and settings agents see every chat of the
// account. An agent sees the chats assigned to them, the chats of the
// teams they are a member of (a contact's team), and the chats of no team:
// those are the account's common queue, which a contact nobody has routed
// to a team yet must not fall out of. A restricted agent sees only the
// chats of the contacts assigned to them. Any other role, and an agent or
// restricted agent without an id, sees none (errNoChats).
func (v Viewer) chats() (viewerChats, error) {
	switch v.Role {
	case carillon.RoleAdmin, carillon.RoleSettingsAgent:
		return viewerChats{all: true}, nil
	case carillon.RoleAgent:
		if v.UserID == 0 {
			return viewerChats{}, errNoChats
		}
		return viewerChats{agent: carillon.AgentChats{UserID: v.UserID, TeamIDs: v.TeamIDs}}, nil
	case carillon.RoleRestrictedAgent:
		if v.UserID == 0 {
			return viewerChats{}, errNoChats
		}
		return viewerChats{assignedTo: v.UserID}, nil
	}
	return viewerChats{}, errNoChats
}

// maySee reports whether the viewer may see contact c, its conversation
// and its messages, by the rule of chats.
func (v Viewer) maySee(c carillon.Contact) bool {
	ch, err := v.chats()
	switch {
	case err != nil:
		return false
	case ch.all:
		return true
	case ch.assignedTo != 0:
		return c.AssignedUserID == ch.assignedTo
	}
	return c.AssignedUserID == ch.agent.UserID || c.TeamID == 0 || slices.Contains(ch.agent.TeamIDs, c.TeamID)
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
