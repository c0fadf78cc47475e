package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/carillon/carillon"
)

// Teams and their members (store/teams.go).

func (e *env) team(accountID int64, name string) carillon.Team {
	e.t.Helper()
	t := carillon.Team{UUID: carillon.NewUUID(), AccountID: accountID, Name: name, CreatedAt: base}
	e.must(e.s.CreateTeam(e.ctx, &t), "CreateTeam")
	return t
}

func testTeams(t *testing.T, e *env) {
	a, b := e.account("a"), e.account("b")
	def := carillon.Team{UUID: carillon.NewUUID(), AccountID: a.ID, Name: carillon.DefaultTeamName, Default: true, CreatedAt: sloppy(at(time.Second))}
	e.must(e.s.CreateTeam(e.ctx, &def), "CreateTeam")
	def.CreatedAt = norm(def.CreatedAt)
	sales := e.team(a.ID, "Sales")
	tb := e.team(b.ID, "Sales")

	lookups := map[string]func() (carillon.Team, error){
		"TeamByID":   func() (carillon.Team, error) { return e.s.TeamByID(e.ctx, a.ID, def.ID) },
		"TeamByUUID": func() (carillon.Team, error) { return e.s.TeamByUUID(e.ctx, a.ID, def.UUID) },
		"TeamByName": func() (carillon.Team, error) { return e.s.TeamByName(e.ctx, a.ID, carillon.DefaultTeamName) },
	}
	for name, get := range lookups {
		got, err := get()
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		check(t, name, got, def)
	}
	got, err := e.s.TeamByName(e.ctx, b.ID, "Sales")
	e.must(err, "TeamByName")
	check(t, "TeamByName in the other account", got, tb)

	up := sales
	up.Name, up.Default = "Ventas", true
	up.UUID, up.CreatedAt = carillon.NewUUID(), at(time.Hour) // identity: not written
	e.must(e.s.UpdateTeam(e.ctx, &up), "UpdateTeam")
	want := sales
	want.Name, want.Default = "Ventas", true
	got, err = e.s.TeamByUUID(e.ctx, a.ID, sales.UUID)
	e.must(err, "TeamByUUID")
	check(t, "team after UpdateTeam", got, want)
	got, err = e.s.TeamByName(e.ctx, a.ID, "Ventas")
	e.must(err, "TeamByName of the new name")
	check(t, "TeamByName of the new name", got, want)
	want.Default = false
	e.must(e.s.UpdateTeam(e.ctx, &want), "UpdateTeam")
	got, err = e.s.TeamByID(e.ctx, a.ID, sales.ID)
	e.must(err, "TeamByID")
	check(t, "team after clearing default", got, want)

	bad := want
	bad.AccountID, bad.Name = b.ID, "hijacked"
	missing := want
	missing.ID = def.ID + sales.ID + tb.ID + 100
	wantNotFound(t, map[string]func() error{
		"UpdateTeam with the wrong account": func() error { return e.s.UpdateTeam(e.ctx, &bad) },
		"UpdateTeam of a missing team":      func() error { return e.s.UpdateTeam(e.ctx, &missing) },
		"TeamByID other account":            func() error { _, err := e.s.TeamByID(e.ctx, b.ID, def.ID); return err },
		"TeamByID missing":                  func() error { _, err := e.s.TeamByID(e.ctx, a.ID, missing.ID); return err },
		"TeamByUUID other account":          func() error { _, err := e.s.TeamByUUID(e.ctx, b.ID, def.UUID); return err },
		"TeamByUUID missing":                func() error { _, err := e.s.TeamByUUID(e.ctx, a.ID, carillon.NewUUID()); return err },
		"TeamByName other account":          func() error { _, err := e.s.TeamByName(e.ctx, b.ID, carillon.DefaultTeamName); return err },
		"TeamByName old name":               func() error { _, err := e.s.TeamByName(e.ctx, a.ID, "Sales"); return err },
		"TeamByName other case":             func() error { _, err := e.s.TeamByName(e.ctx, a.ID, "ventas"); return err },
	})
	teams, err := e.s.AllTeams(e.ctx, a.ID)
	e.must(err, "AllTeams")
	check(t, "teams after refused updates", teams, []carillon.Team{def, want})
	got, err = e.s.TeamByID(e.ctx, b.ID, tb.ID)
	e.must(err, "TeamByID")
	check(t, "the other account's team", got, tb)
}

func testTeamMembers(t *testing.T, e *env) {
	a, b := e.account("a"), e.account("b")
	t1, t2, empty := e.team(a.ID, "One"), e.team(a.ID, "Two"), e.team(a.ID, "Empty")
	tb := e.team(b.ID, "B")
	// Created out of email order: members are listed by email.
	carol := e.user(a.ID, "carol@example.com")
	ana := e.user(a.ID, "ana@example.com")
	bo := e.user(a.ID, "bo@example.com")
	ub := e.user(b.ID, "zed@example.com")

	members := func(team carillon.Team, want ...string) {
		t.Helper()
		got, err := e.s.TeamMembers(e.ctx, team.ID)
		e.must(err, "TeamMembers")
		if want == nil {
			want = []string{}
		}
		check(t, "members of "+team.Name, userEmails(got), want)
	}
	counts := func(accountID int64, want map[int64]int) {
		t.Helper()
		got, err := e.s.CountTeamMembers(e.ctx, accountID)
		e.must(err, "CountTeamMembers")
		for id, n := range got {
			if n == 0 {
				delete(got, id) // a team without members may be counted 0 or left out
			}
		}
		check(t, fmt.Sprintf("CountTeamMembers(%d)", accountID), got, want)
		// Each team of the account counted alone: the same numbers.
		teams, err := e.s.AllTeams(e.ctx, accountID)
		e.must(err, "AllTeams")
		for _, team := range teams {
			n, err := e.s.TeamMemberCount(e.ctx, team.ID)
			e.must(err, "TeamMemberCount")
			check(t, fmt.Sprintf("TeamMemberCount(%s)", team.Name), n, want[team.ID])
		}
		// The same numbers with the teams read by id; another account's
		// team and an id of no team are left out.
		ids := []int64{tb.ID, t1.ID, t1.ID + t2.ID + empty.ID + tb.ID + 100}
		wantByID := map[int64]carillon.TeamWithMembers{}
		for _, team := range teams {
			ids = append(ids, team.ID)
			wantByID[team.ID] = carillon.TeamWithMembers{Team: team, Members: want[team.ID]}
		}
		byIDs, err := e.s.TeamsByIDs(e.ctx, accountID, ids)
		e.must(err, "TeamsByIDs")
		check(t, fmt.Sprintf("TeamsByIDs(%d)", accountID), byIDs, wantByID)
	}
	members(t1)
	counts(a.ID, map[int64]int{})

	for _, u := range []carillon.User{carol, ana, bo} {
		e.must(e.s.AddTeamMember(e.ctx, t1.ID, u.ID, at(time.Minute)), "AddTeamMember")
	}
	e.must(e.s.AddTeamMember(e.ctx, t2.ID, bo.ID, at(time.Minute)), "AddTeamMember")
	e.must(e.s.AddTeamMember(e.ctx, tb.ID, ub.ID, at(time.Minute)), "AddTeamMember")
	wantErr(t, "AddTeamMember twice", e.s.AddTeamMember(e.ctx, t1.ID, ana.ID, at(time.Hour)), carillon.ErrConflict)

	got, err := e.s.TeamMembers(e.ctx, t1.ID)
	e.must(err, "TeamMembers")
	check(t, "TeamMembers rows", got, []carillon.User{ana, bo, carol})
	for _, tc := range []struct {
		accountID int64
		user      carillon.User
		want      []int64
	}{
		{a.ID, bo, []int64{t1.ID, t2.ID}},
		{a.ID, ana, []int64{t1.ID}},
		{b.ID, ub, []int64{tb.ID}},
		{b.ID, bo, []int64{}}, // another account's teams are not theirs
	} {
		got, err := e.s.UserTeamIDs(e.ctx, tc.accountID, tc.user.ID)
		e.must(err, "UserTeamIDs")
		if got == nil {
			got = []int64{}
		}
		check(t, "UserTeamIDs of "+tc.user.Email, got, tc.want)
	}
	members(t2, "bo@example.com")
	members(empty)
	members(tb, "zed@example.com")
	counts(a.ID, map[int64]int{t1.ID: 3, t2.ID: 1})
	counts(b.ID, map[int64]int{tb.ID: 1})
	counts(a.ID+b.ID+100, map[int64]int{})

	e.must(e.s.RemoveTeamMember(e.ctx, t1.ID, bo.ID), "RemoveTeamMember")
	wantErr(t, "RemoveTeamMember twice", e.s.RemoveTeamMember(e.ctx, t1.ID, bo.ID), carillon.ErrNotFound)
	wantErr(t, "RemoveTeamMember of a user of no team", e.s.RemoveTeamMember(e.ctx, empty.ID, ana.ID), carillon.ErrNotFound)
	wantErr(t, "RemoveTeamMember of a missing team", e.s.RemoveTeamMember(e.ctx, t1.ID+t2.ID+empty.ID+tb.ID+100, ana.ID), carillon.ErrNotFound)
	members(t1, "ana@example.com", "carol@example.com")
	members(t2, "bo@example.com")
	counts(a.ID, map[int64]int{t1.ID: 2, t2.ID: 1})

	// Added again after removal.
	e.must(e.s.AddTeamMember(e.ctx, t1.ID, bo.ID, at(time.Hour)), "AddTeamMember after removal")
	members(t1, "ana@example.com", "bo@example.com", "carol@example.com")
	for _, u := range []carillon.User{ana, bo, carol} {
		e.must(e.s.RemoveTeamMember(e.ctx, t1.ID, u.ID), "RemoveTeamMember")
	}
	members(t1)
	counts(a.ID, map[int64]int{t2.ID: 1})
	counts(b.ID, map[int64]int{tb.ID: 1})
}

func testListTeams(t *testing.T, e *env) {
	a, b := e.account("a"), e.account("b")
	var all []carillon.Team
	for i, name := range []string{"Support", "Sales", "Billing", "Sales", "Onboarding"} {
		all = append(all, e.team(a.ID, name))
		if i == 1 {
			e.team(b.ID, "Other")
		}
	}
	checkPages(t, "ListTeams", all, func(p carillon.Page) ([]carillon.Team, int, error) { return e.s.ListTeams(e.ctx, a.ID, p) })
	checkPages(t, "ListTeams of a missing account", nil, func(p carillon.Page) ([]carillon.Team, int, error) {
		return e.s.ListTeams(e.ctx, a.ID+b.ID+100, p)
	})
	got := whole(t, "ListTeams of the other account", func(p carillon.Page) ([]carillon.Team, int, error) { return e.s.ListTeams(e.ctx, b.ID, p) })
	if len(got) != 1 || got[0].Name != "Other" {
		t.Errorf("ListTeams of the other account = %+v", got)
	}
}

func testListTeamMembers(t *testing.T, e *env) {
	a, b := e.account("a"), e.account("b")
	team, other := e.team(a.ID, "One"), e.team(a.ID, "Two")
	// Listed by email compared byte by byte, as Go compares strings, on
	// every database: upper case before lower case, ASCII before
	// accented letters, whatever the database's collation says.
	emails := []string{"zed@example.com", "émile@example.com", "bo@example.com", "Zoe@example.com", "ana@example.com", "Ana@example.com"}
	byEmail := map[string]carillon.User{}
	for _, email := range emails {
		u := e.user(a.ID, email)
		byEmail[email] = u
		e.must(e.s.AddTeamMember(e.ctx, team.ID, u.ID, at(time.Minute)), "AddTeamMember")
	}
	outsider := e.user(a.ID, "aaron@example.com") // of the other team only
	e.must(e.s.AddTeamMember(e.ctx, other.ID, outsider.ID, at(time.Minute)), "AddTeamMember")
	e.must(e.s.AddTeamMember(e.ctx, other.ID, byEmail["bo@example.com"].ID, at(time.Minute)), "AddTeamMember")
	ub := e.user(b.ID, "a@example.com")
	e.must(e.s.AddTeamMember(e.ctx, e.team(b.ID, "B").ID, ub.ID, at(time.Minute)), "AddTeamMember")
	for _, email := range []string{"zed@example.com", "Zoe@example.com", "Ana@example.com"} {
		e.must(e.s.SetUserStatus(e.ctx, a.ID, byEmail[email].ID, carillon.UserStatus{Available: true, AvailabilityAt: at(time.Hour)}), "SetUserStatus")
	}
	users := func(emails ...string) []carillon.User {
		var out []carillon.User
		for _, email := range emails {
			out = append(out, byEmail[email])
		}
		return out
	}
	yes, no := true, false
	for _, tc := range []struct {
		what string
		f    carillon.TeamMemberFilter
		want []carillon.User
	}{
		{"every member", carillon.TeamMemberFilter{},
			users("Ana@example.com", "Zoe@example.com", "ana@example.com", "bo@example.com", "zed@example.com", "émile@example.com")},
		{"available members", carillon.TeamMemberFilter{Available: &yes}, users("Ana@example.com", "Zoe@example.com", "zed@example.com")},
		{"away members", carillon.TeamMemberFilter{Available: &no}, users("ana@example.com", "bo@example.com", "émile@example.com")},
	} {
		checkPages(t, "ListTeamMembers of "+tc.what, tc.want, func(p carillon.Page) ([]carillon.User, int, error) {
			return e.s.ListTeamMembers(e.ctx, team.ID, tc.f, p)
		})
		if tc.f.Available == nil {
			got, err := e.s.TeamMembers(e.ctx, team.ID)
			e.must(err, "TeamMembers")
			check(t, "TeamMembers, in ListTeamMembers' order", got, tc.want)
		}
	}
	checkPages(t, "ListTeamMembers of the other team's available members", nil, func(p carillon.Page) ([]carillon.User, int, error) {
		return e.s.ListTeamMembers(e.ctx, other.ID, carillon.TeamMemberFilter{Available: &yes}, p)
	})
	checkPages(t, "ListTeamMembers of the other team", []carillon.User{outsider, byEmail["bo@example.com"]}, func(p carillon.Page) ([]carillon.User, int, error) {
		return e.s.ListTeamMembers(e.ctx, other.ID, carillon.TeamMemberFilter{}, p)
	})
	checkPages(t, "ListTeamMembers of a missing team", nil, func(p carillon.Page) ([]carillon.User, int, error) {
		return e.s.ListTeamMembers(e.ctx, team.ID+other.ID+100, carillon.TeamMemberFilter{}, p)
	})
}

func testTeamsAndUsers(t *testing.T, e *env) {
	a, b := e.account("a"), e.account("b")
	teams := []carillon.Team{
		{UUID: carillon.NewUUID(), AccountID: a.ID, Name: carillon.DefaultTeamName, Default: true, CreatedAt: sloppy(at(time.Second))},
		{UUID: carillon.NewUUID(), AccountID: a.ID, Name: "Sales", CreatedAt: sloppy(at(2 * time.Second))},
	}
	other := carillon.Team{UUID: carillon.NewUUID(), AccountID: b.ID, Name: "Support", Default: true, CreatedAt: base}
	for i := range teams {
		e.must(e.s.CreateTeam(e.ctx, &teams[i]), "CreateTeam")
		if teams[i].ID == 0 {
			t.Fatal("CreateTeam left the ID 0")
		}
	}
	e.must(e.s.CreateTeam(e.ctx, &other), "CreateTeam")
	var want []carillon.Team
	for _, tm := range teams {
		tm.CreatedAt = norm(tm.CreatedAt)
		want = append(want, tm)
	}
	got, err := e.s.AllTeams(e.ctx, a.ID)
	e.must(err, "AllTeams")
	check(t, "AllTeams", got, want)
	got, err = e.s.AllTeams(e.ctx, b.ID)
	e.must(err, "AllTeams")
	check(t, "AllTeams of the other account", got, []carillon.Team{other})
	got, err = e.s.AllTeams(e.ctx, b.ID+a.ID+100)
	e.must(err, "AllTeams")
	if len(got) != 0 {
		t.Errorf("AllTeams of a missing account: %d teams, want none", len(got))
	}

	u := carillon.User{UUID: carillon.NewUUID(), AccountID: a.ID, Email: "ana@example.com", Name: "Ana Núñez", CreatedAt: sloppy(at(time.Minute))}
	e.must(e.s.CreateUser(e.ctx, &u), "CreateUser")
	if u.ID == 0 {
		t.Fatal("CreateUser left the ID 0")
	}
	wantU := u
	wantU.CreatedAt = norm(u.CreatedAt)
	gotU, err := e.s.UserByID(e.ctx, a.ID, u.ID)
	e.must(err, "UserByID")
	check(t, "UserByID", gotU, wantU)
	gotU, err = e.s.UserByEmail(e.ctx, a.ID, "ana@example.com")
	e.must(err, "UserByEmail")
	check(t, "UserByEmail", gotU, wantU)

	// The same email in another account is another user.
	u2 := carillon.User{UUID: carillon.NewUUID(), AccountID: b.ID, Email: "ana@example.com", Name: "Ana B", CreatedAt: base}
	e.must(e.s.CreateUser(e.ctx, &u2), "CreateUser with an email of another account")
	gotU, err = e.s.UserByEmail(e.ctx, b.ID, "ana@example.com")
	e.must(err, "UserByEmail")
	check(t, "UserByEmail of the other account", gotU, u2)
}
