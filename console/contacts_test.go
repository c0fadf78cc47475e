package console

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/carillon/carillon"
	"github.com/carillon/carillon/service"
)

// assignTo assigns the contact uuid of the account of p to the user with
// that email.
func assignTo(t testing.TB, svc *service.Service, p service.Principal, uuid, email string) {
	t.Helper()
	if _, err := svc.Contacts.UpdateContact(context.Background(), p, uuid, service.ContactUpdate{AssignedUser: &email}); err != nil {
		t.Fatal(err)
	}
}

// TestContactPagesViewers opens the contact page and the conversation of
// five contacts as each role: one assigned to the restricted agent (of no
// team), one assigned to nobody (of no team), one of the agent's team, one
// of another team, one of another account. A restricted agent opens only
// theirs; an agent the contacts of no team and of their team; the others
// every contact of the account; what a user may not see answers 404 and
// shows nothing of it, as another account's contact does.
func TestContactPagesViewers(t *testing.T) {
	r := newRig(t, service.Options{})
	p := r.acct.Principal
	type contact struct{ uuid, conversation, note string }
	var mine, unassigned, foreign contact
	mine.note, unassigned.note, foreign.note = "note for the restricted agent", "note for the team", "note of another account"
	mine.uuid, mine.conversation = contactWithConversation(t, r.svc, p, "Assigned", mine.note)
	assignTo(t, r.svc, p, mine.uuid, roleUsers[carillon.RoleRestrictedAgent])
	// contactWithConversation writes to the same number: another one.
	c, err := r.svc.Contacts.CreateContact(context.Background(), p, service.ContactInput{Identifier: "+31687654321", Source: "whatsapp", Name: "Unassigned"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.svc.Contacts.OpenConversation(context.Background(), p, c.UUID); err != nil {
		t.Fatal(err)
	}
	if _, err := r.svc.Contacts.AddNote(context.Background(), p, c.UUID, unassigned.note); err != nil {
		t.Fatal(err)
	}
	v, err := r.svc.Contacts.Contact(context.Background(), p, c.UUID)
	if err != nil {
		t.Fatal(err)
	}
	unassigned.uuid, unassigned.conversation = v.UUID, v.ConversationUUID
	other, _, _, err := r.svc.Accounts.SetupAccount(context.Background(), "other", false)
	if err != nil {
		t.Fatal(err)
	}
	op := p
	op.Account = other
	foreign.uuid, foreign.conversation = contactWithConversation(t, r.svc, op, "Foreign", foreign.note)

	// The agent is a member of team Ours, the settings agent of Theirs.
	var ours, theirs contact
	for _, tm := range []struct {
		name, member, number string
		c                    *contact
	}{{"Ours", roleUsers[carillon.RoleAgent], "+31687654322", &ours}, {"Theirs", roleUsers[carillon.RoleSettingsAgent], "+31687654323", &theirs}} {
		if _, err := r.svc.Resources.DeclareTeam(context.Background(), p, service.TeamEntry{Name: tm.name, Members: []string{tm.member}}); err != nil {
			t.Fatal(err)
		}
		teams, _, err := r.svc.Resources.ListTeams(context.Background(), p, service.PageRequest{})
		if err != nil {
			t.Fatal(err)
		}
		var team string
		for _, tv := range teams {
			if tv.Name == tm.name {
				team = tv.UUID
			}
		}
		tm.c.note = "note for team " + tm.name
		c, err := r.svc.Contacts.CreateContact(context.Background(), p, service.ContactInput{Identifier: tm.number, Source: "whatsapp", Name: tm.name, TeamUUID: team})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := r.svc.Contacts.OpenConversation(context.Background(), p, c.UUID); err != nil {
			t.Fatal(err)
		}
		if _, err := r.svc.Contacts.AddNote(context.Background(), p, c.UUID, tm.c.note); err != nil {
			t.Fatal(err)
		}
		v, err := r.svc.Contacts.Contact(context.Background(), p, c.UUID)
		if err != nil {
			t.Fatal(err)
		}
		if v.ConversationUUID == "" {
			t.Fatalf("contact %s has no conversation", v.UUID)
		}
		tm.c.uuid, tm.c.conversation = v.UUID, v.ConversationUUID
	}

	everyOfTheAccount := []contact{mine, unassigned, ours, theirs}
	cases := []struct {
		role carillon.Role
		sees []contact
	}{
		{carillon.RoleAdmin, everyOfTheAccount},
		{carillon.RoleSettingsAgent, everyOfTheAccount},
		{carillon.RoleAgent, []contact{mine, unassigned, ours}},
		{carillon.RoleRestrictedAgent, []contact{mine}},
	}
	for _, tc := range cases {
		t.Run(string(tc.role), func(t *testing.T) {
			client, _ := r.client(t, roleUsers[tc.role])
			for _, c := range []contact{mine, unassigned, ours, theirs, foreign} {
				visible := false
				for _, s := range tc.sees {
					visible = visible || s == c
				}
				for _, path := range []string{"/contacts/" + c.uuid, "/chat/" + c.conversation} {
					resp := get(t, client, r.srv.URL+path)
					body := readBody(t, resp)
					switch {
					case visible && (resp.StatusCode != http.StatusOK || !strings.Contains(body, c.note)):
						t.Errorf("GET %s: %d, want 200 with the note %q", path, resp.StatusCode, c.note)
					case !visible && resp.StatusCode != http.StatusNotFound:
						t.Errorf("GET %s: %d, want 404", path, resp.StatusCode)
					case !visible && strings.Contains(body, c.note):
						t.Errorf("GET %s answered 404 with the contact's message", path)
					}
				}
			}
		})
	}
}
