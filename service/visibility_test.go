package service_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/carillon/carillon"
	"github.com/carillon/carillon/service"
)

// TestContactVisibility reads contacts, their conversations and their
// messages as each role: an agent sees the contacts assigned to them, those
// of their teams and those of no team; a restricted agent only the contacts
// assigned to them; admins and settings agents every contact of the
// account. What a viewer may not see is not found, as another account's
// contact is. The messages log, under the same rule, shows the messages of
// exactly the contacts the viewer may open.
func TestContactVisibility(t *testing.T) {
	t.Parallel()
	f := setup(t)
	ctx := context.Background()
	var ada, bo, cy carillon.User
	for _, u := range []*carillon.User{&ada, &bo, &cy} {
		*u = carillon.User{UUID: carillon.NewUUID(), AccountID: f.p.Account.ID, Email: carillon.NewUUID() + "@example.com", Name: "agent", Role: carillon.RoleAgent}
		if err := f.db.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	// Teams A and B: Ada is a member of A, Bo of B, Cy of none.
	var teamA, teamB carillon.Team
	for i, tm := range []*carillon.Team{&teamA, &teamB} {
		*tm = carillon.Team{UUID: carillon.NewUUID(), AccountID: f.p.Account.ID, Name: []string{"A", "B"}[i]}
		if err := f.db.CreateTeam(ctx, tm); err != nil {
			t.Fatal(err)
		}
	}
	for _, m := range []struct {
		team carillon.Team
		user carillon.User
	}{{teamA, ada}, {teamB, bo}} {
		if err := f.db.AddTeamMember(ctx, m.team.ID, m.user.ID, time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	send := func(p service.Principal, to, assigned, team string) service.ContactView {
		t.Helper()
		req := text(to, "hello")
		req.AssignedUser, req.TeamUUID = assigned, team
		res, err := f.svc.Messages.Send(ctx, p, req)
		if err != nil {
			t.Fatal(err)
		}
		c, err := f.svc.Contacts.Contact(ctx, p, res.Contact.UUID)
		if err != nil {
			t.Fatal(err)
		}
		if c.ConversationUUID == "" {
			t.Fatalf("contact %s has no conversation", c.UUID)
		}
		return c
	}
	adas := send(f.p, "+31612345678", ada.Email, "")
	bos := send(f.p, "+31612345679", bo.Email, "")
	nobodys := send(f.p, "+31612345670", "", "")
	teamAs := send(f.p, "+31612345671", "", teamA.UUID)
	teamBs := send(f.p, "+31612345672", "", teamB.UUID)
	adasInB := send(f.p, "+31612345673", ada.Email, teamB.UUID)
	other, _, _, err := f.svc.Accounts.SetupAccount(ctx, "other", false)
	if err != nil {
		t.Fatal(err)
	}
	op := f.p
	op.Account = other
	others := send(op, "+31612345678", "", "")
	everyone := []string{adas.UUID, bos.UUID, nobodys.UUID, teamAs.UUID, teamBs.UUID, adasInB.UUID}
	viewer := func(u carillon.User) service.Viewer {
		t.Helper()
		v, err := f.svc.Contacts.ViewerOf(ctx, f.p, u)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	as := func(u carillon.User, r carillon.Role) carillon.User { u.Role = r; return u }

	cases := []struct {
		viewer service.Viewer
		sees   []string
	}{
		{viewer(as(ada, carillon.RoleAdmin)), everyone},
		{viewer(as(ada, carillon.RoleSettingsAgent)), everyone},
		// An agent: the chats assigned to them (in any team), their
		// teams' and those of no team; not another team's.
		{viewer(ada), []string{adas.UUID, bos.UUID, nobodys.UUID, teamAs.UUID, adasInB.UUID}},
		{viewer(bo), []string{adas.UUID, bos.UUID, nobodys.UUID, teamBs.UUID, adasInB.UUID}},
		{viewer(cy), []string{adas.UUID, bos.UUID, nobodys.UUID}},
		// Built by hand without its teams, an agent sees less, never more.
		{service.Viewer{UserID: ada.ID, Role: carillon.RoleAgent}, []string{adas.UUID, bos.UUID, nobodys.UUID, adasInB.UUID}},
		{viewer(as(ada, carillon.RoleRestrictedAgent)), []string{adas.UUID, adasInB.UUID}},
		{viewer(as(bo, carillon.RoleRestrictedAgent)), []string{bos.UUID}},
		{service.Viewer{UserID: bo.ID + 1000, Role: carillon.RoleRestrictedAgent}, nil},
		// The rule fails closed: no id, or a role it does not know.
		{service.Viewer{Role: carillon.RoleRestrictedAgent}, nil},
		{service.Viewer{Role: carillon.RoleAgent, TeamIDs: []int64{teamA.ID}}, nil},
		{service.Viewer{UserID: ada.ID, Role: "owner"}, nil},
		{service.Viewer{}, nil},
	}
	for _, tc := range cases {
		for _, c := range []service.ContactView{adas, bos, nobodys, teamAs, teamBs, adasInB, others} {
			visible := slices.Contains(tc.sees, c.UUID)
			got, err := f.svc.Contacts.ContactFor(ctx, f.p, tc.viewer, c.UUID)
			if visible && (err != nil || got.UUID != c.UUID) {
				t.Errorf("%+v reading contact %s: %s, %v", tc.viewer, c.UUID, got.UUID, err)
			}
			if !visible {
				wantCode(t, err, carillon.CodeNotFound, "")
			}
			got, err = f.svc.Contacts.ConversationFor(ctx, f.p, tc.viewer, c.ConversationUUID)
			if visible && (err != nil || got.UUID != c.UUID) {
				t.Errorf("%+v reading conversation %s: contact %s, %v", tc.viewer, c.ConversationUUID, got.UUID, err)
			}
			if !visible {
				wantCode(t, err, carillon.CodeNotFound, "")
			}
			chat, err := f.svc.Inbox.Chat(ctx, f.p, tc.viewer, service.ChatRequest{ContactUUID: c.UUID})
			if visible && (err != nil || chat.Contact.ID != c.ID || len(threadTexts(chat)) != 1) {
				t.Errorf("%+v reading the thread of %s: contact %d, messages %q, %v", tc.viewer, c.UUID, chat.Contact.ID, threadTexts(chat), err)
			}
			if !visible {
				wantCode(t, err, carillon.CodeNotFound, "")
			}
		}
		// The log shows the messages of the same contacts.
		l, err := f.svc.Messages.MessageLog(ctx, f.p, tc.viewer, service.MessageQuery{})
		if len(tc.sees) == 0 {
			if err == nil && len(l.Messages) > 0 {
				t.Errorf("%+v sees %d messages in the log, want none", tc.viewer, len(l.Messages))
			}
			continue
		}
		if err != nil {
			t.Fatalf("%+v reading the log: %v", tc.viewer, err)
		}
		var inLog []string
		for _, m := range l.Messages {
			inLog = append(inLog, m.Contact.UUID)
		}
		slices.Sort(inLog)
		want := slices.Sorted(slices.Values(tc.sees))
		if !slices.Equal(inLog, want) {
			t.Errorf("%+v: the log shows the messages of %v, the contact pages %v", tc.viewer, inLog, want)
		}
	}
}

// threadTexts are the texts of the messages of a page of a thread, oldest
// first.
func threadTexts(c service.Chat) []string {
	var out []string
	for _, it := range c.Thread {
		if it.Message != nil {
			out = append(out, it.Message.Content.Text)
		}
	}
	return out
}
