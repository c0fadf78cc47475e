package storetest

import (
	"errors"
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/carillon/carillon"
)

// The account resources: users' status, team membership, tags, custom
// fields, templates, funnels, custom statuses, contact lists and deletion.

func (e *env) user(accountID int64, email string) carillon.User {
	e.t.Helper()
	u := carillon.User{UUID: carillon.NewUUID(), AccountID: accountID, Email: email, Name: "User " + email, CreatedAt: base}
	e.must(e.s.CreateUser(e.ctx, &u), "CreateUser")
	return u
}

func (e *env) team(accountID int64, name string) carillon.Team {
	e.t.Helper()
	t := carillon.Team{UUID: carillon.NewUUID(), AccountID: accountID, Name: name, CreatedAt: base}
	e.must(e.s.CreateTeam(e.ctx, &t), "CreateTeam")
	return t
}

func (e *env) tag(accountID int64, name string) carillon.Tag {
	e.t.Helper()
	t := carillon.Tag{AccountID: accountID, Name: name, CreatedAt: base}
	e.must(e.s.CreateTag(e.ctx, &t), "CreateTag")
	return t
}

func (e *env) field(accountID int64, name string) carillon.CustomField {
	e.t.Helper()
	f := carillon.CustomField{AccountID: accountID, Name: name, Type: carillon.FieldText, CreatedAt: base, UpdatedAt: base}
	e.must(e.s.CreateCustomField(e.ctx, &f), "CreateCustomField")
	return f
}

func (e *env) customStatus(accountID int64, name string) carillon.CustomStatus {
	e.t.Helper()
	s := carillon.CustomStatus{UUID: carillon.NewDashedUUID(), AccountID: accountID, Name: name, CreatedAt: base, UpdatedAt: base}
	e.must(e.s.CreateCustomStatus(e.ctx, &s), "CreateCustomStatus")
	return s
}

func (e *env) template(ch carillon.Channel, title, language string) carillon.Template {
	e.t.Helper()
	t := carillon.Template{UUID: carillon.NewUUID(), AccountID: ch.AccountID, ChannelID: ch.ID, Title: title, Text: "Hello {{1}}",
		Type: "text", Category: "UTILITY", Status: "approved", Language: language, CreatedAt: base, UpdatedAt: base}
	e.must(e.s.CreateTemplate(e.ctx, &t), "CreateTemplate")
	return t
}

// wantNotFound fails unless each call returns ErrNotFound.
func wantNotFound(t *testing.T, cases map[string]func() error) {
	t.Helper()
	for name, call := range cases {
		wantErr(t, name, call(), carillon.ErrNotFound)
	}
}

func contactIDs(cs []carillon.Contact) []int64 {
	out := []int64{}
	for _, c := range cs {
		out = append(out, c.ID)
	}
	return out
}

func userEmails(us []carillon.User) []string {
	out := []string{}
	for _, u := range us {
		out = append(out, u.Email)
	}
	return out
}

// Users

func testUsers(t *testing.T, e *env) {
	a, b := e.account("a"), e.account("b")
	u1 := e.user(a.ID, "ana@example.com")
	u2 := e.user(a.ID, "bo@example.com")
	ub := e.user(b.ID, "ana@example.com")

	got, err := e.s.UserByUUID(e.ctx, a.ID, u1.UUID)
	e.must(err, "UserByUUID")
	check(t, "UserByUUID", got, u1)

	up := u1
	up.Email, up.Name = "ana.diaz@example.com", "Ana Díaz \"A\""
	up.UUID, up.CreatedAt = "ignored", at(time.Hour) // identity: not written
	e.must(e.s.UpdateUser(e.ctx, &up), "UpdateUser")
	want := u1
	want.Email, want.Name = up.Email, up.Name
	got, err = e.s.UserByID(e.ctx, a.ID, u1.ID)
	e.must(err, "UserByID")
	check(t, "user after UpdateUser", got, want)
	got, err = e.s.UserByEmail(e.ctx, a.ID, "ana.diaz@example.com")
	e.must(err, "UserByEmail of the new email")
	check(t, "UserByEmail of the new email", got, want)
	_, err = e.s.UserByEmail(e.ctx, a.ID, "ana@example.com")
	wantErr(t, "UserByEmail of the old email", err, carillon.ErrNotFound)

	dup := want
	dup.Email = u2.Email
	wantErr(t, "UpdateUser to another user's email", e.s.UpdateUser(e.ctx, &dup), carillon.ErrConflict)
	dup.Email = ub.Email // another account's user's email: allowed
	e.must(e.s.UpdateUser(e.ctx, &dup), "UpdateUser to the email of another account's user")
	want = dup
	bad := want
	bad.AccountID, bad.Name = b.ID, "hijacked"
	missing := want
	missing.ID = u1.ID + u2.ID + ub.ID + 100

	wantNotFound(t, map[string]func() error{
		"UpdateUser with the wrong account": func() error { return e.s.UpdateUser(e.ctx, &bad) },
		"UpdateUser of a missing user":      func() error { return e.s.UpdateUser(e.ctx, &missing) },
		"UserByUUID other account":          func() error { _, err := e.s.UserByUUID(e.ctx, b.ID, u1.UUID); return err },
		"UserByUUID missing":                func() error { _, err := e.s.UserByUUID(e.ctx, a.ID, carillon.NewUUID()); return err },
	})
	got, err = e.s.UserByID(e.ctx, a.ID, u1.ID)
	e.must(err, "UserByID")
	check(t, "user after refused updates", got, want)
	got, err = e.s.UserByID(e.ctx, b.ID, ub.ID)
	e.must(err, "UserByID")
	check(t, "another account's user", got, ub)

	list, err := e.s.ListUsers(e.ctx, a.ID)
	e.must(err, "ListUsers")
	check(t, "ListUsers", list, []carillon.User{want, u2})
	list, err = e.s.ListUsers(e.ctx, b.ID)
	e.must(err, "ListUsers")
	check(t, "ListUsers of the other account", list, []carillon.User{ub})
	list, err = e.s.ListUsers(e.ctx, a.ID+b.ID+100)
	e.must(err, "ListUsers")
	if len(list) != 0 {
		t.Errorf("ListUsers of a missing account: %d users", len(list))
	}
}

func testUserStatus(t *testing.T, e *env) {
	a, b := e.account("a"), e.account("b")
	u := e.user(a.ID, "ana@example.com")
	other := e.user(a.ID, "bo@example.com")
	cs := e.customStatus(a.ID, "Lunch")

	got, err := e.s.UserStatus(e.ctx, a.ID, u.ID)
	e.must(err, "UserStatus")
	check(t, "status of a new user", got, carillon.UserStatus{})

	set := carillon.UserStatus{Available: true, AvailabilityAt: sloppy(at(time.Minute)), CustomStatusID: cs.ID, CustomStatusAt: sloppy(at(2 * time.Minute))}
	e.must(e.s.SetUserStatus(e.ctx, a.ID, u.ID, set), "SetUserStatus")
	want := carillon.UserStatus{Available: true, AvailabilityAt: norm(set.AvailabilityAt), CustomStatusID: cs.ID, CustomStatusAt: norm(set.CustomStatusAt)}
	got, err = e.s.UserStatus(e.ctx, a.ID, u.ID)
	e.must(err, "UserStatus")
	check(t, "UserStatus after SetUserStatus", got, want)

	// The status is not part of the user, and the user not of the status.
	gotU, err := e.s.UserByID(e.ctx, a.ID, u.ID)
	e.must(err, "UserByID")
	check(t, "user after SetUserStatus", gotU, u)
	renamed := u
	renamed.Name = "renamed"
	e.must(e.s.UpdateUser(e.ctx, &renamed), "UpdateUser")
	got, err = e.s.UserStatus(e.ctx, a.ID, u.ID)
	e.must(err, "UserStatus")
	check(t, "UserStatus after UpdateUser", got, want)
	got, err = e.s.UserStatus(e.ctx, a.ID, other.ID)
	e.must(err, "UserStatus")
	check(t, "another user's status", got, carillon.UserStatus{})

	// Back to away, without a custom status.
	clr := carillon.UserStatus{AvailabilityAt: at(time.Hour), CustomStatusAt: at(time.Hour)}
	e.must(e.s.SetUserStatus(e.ctx, a.ID, u.ID, clr), "SetUserStatus")
	got, err = e.s.UserStatus(e.ctx, a.ID, u.ID)
	e.must(err, "UserStatus")
	check(t, "UserStatus after clearing", got, clr)

	wantNotFound(t, map[string]func() error{
		"UserStatus other account":    func() error { _, err := e.s.UserStatus(e.ctx, b.ID, u.ID); return err },
		"UserStatus missing":          func() error { _, err := e.s.UserStatus(e.ctx, a.ID, u.ID+other.ID+100); return err },
		"SetUserStatus other account": func() error { return e.s.SetUserStatus(e.ctx, b.ID, u.ID, set) },
		"SetUserStatus missing":       func() error { return e.s.SetUserStatus(e.ctx, a.ID, u.ID+other.ID+100, set) },
	})
	got, err = e.s.UserStatus(e.ctx, a.ID, u.ID)
	e.must(err, "UserStatus")
	check(t, "UserStatus after refused changes", got, clr)
}

// Teams

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
	teams, err := e.s.ListTeams(e.ctx, a.ID)
	e.must(err, "ListTeams")
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

// Tags

func testTags(t *testing.T, e *env) {
	a, b := e.account("a"), e.account("b")
	vip := carillon.Tag{AccountID: a.ID, Name: "VIP", CreatedAt: sloppy(at(time.Second))}
	e.must(e.s.CreateTag(e.ctx, &vip), "CreateTag")
	if vip.ID == 0 {
		t.Fatal("CreateTag left the ID 0")
	}
	vip.CreatedAt = norm(vip.CreatedAt)
	uni := e.tag(a.ID, "Ünïcode Ñame")
	lead := e.tag(a.ID, "lead")
	vipB := e.tag(b.ID, "vip") // the same name in another account

	for _, tc := range []struct {
		acct int64
		name string
		want carillon.Tag
	}{
		{a.ID, "VIP", vip}, {a.ID, "vip", vip}, {a.ID, "vIp", vip},
		{a.ID, "Ünïcode Ñame", uni}, {a.ID, "üNÏCODE ñAME", uni},
		{a.ID, "LEAD", lead},
		{b.ID, "VIP", vipB},
	} {
		got, err := e.s.TagByName(e.ctx, tc.acct, tc.name)
		if err != nil {
			t.Errorf("TagByName(%d, %q): %v", tc.acct, tc.name, err)
			continue
		}
		check(t, fmt.Sprintf("TagByName(%d, %q)", tc.acct, tc.name), got, tc.want)
	}
	wantNotFound(t, map[string]func() error{
		"TagByName missing":          func() error { _, err := e.s.TagByName(e.ctx, a.ID, "customer"); return err },
		"TagByName other account":    func() error { _, err := e.s.TagByName(e.ctx, b.ID, "lead"); return err },
		"TagByName prefix":           func() error { _, err := e.s.TagByName(e.ctx, a.ID, "VI"); return err },
		"TagByName with extra space": func() error { _, err := e.s.TagByName(e.ctx, a.ID, "VIP "); return err },
	})

	for _, name := range []string{"VIP", "vip", "Vip", "ÜNÏCODE ÑAME"} {
		err := e.s.CreateTag(e.ctx, &carillon.Tag{AccountID: a.ID, Name: name, CreatedAt: base})
		wantErr(t, fmt.Sprintf("CreateTag(%q) again", name), err, carillon.ErrConflict)
	}
	e.must(e.s.CreateTag(e.ctx, &carillon.Tag{AccountID: b.ID, Name: "LEAD", CreatedAt: base}), "CreateTag of another account's name")

	list, err := e.s.ListTags(e.ctx, a.ID)
	e.must(err, "ListTags")
	check(t, "ListTags", list, []carillon.Tag{vip, uni, lead})
	list, err = e.s.ListTags(e.ctx, a.ID+b.ID+100)
	e.must(err, "ListTags")
	if len(list) != 0 {
		t.Errorf("ListTags of a missing account: %d tags", len(list))
	}
}

func testContactTags(t *testing.T, e *env) {
	f := e.fixture("a")
	a := f.acct
	c1, c2 := f.contact, e.contact(f.channel, "5491100000002")
	c3 := e.contact(f.channel, "5491100000003")
	zeta, alpha, mid := e.tag(a.ID, "zeta"), e.tag(a.ID, "Alpha"), e.tag(a.ID, "mid")

	tags := func(what string, ids []int64, want map[int64][]string) {
		t.Helper()
		got, err := e.s.ContactTags(e.ctx, ids)
		e.must(err, "ContactTags")
		check(t, what, got, want)
	}
	tags("ContactTags of untagged contacts", []int64{c1.ID, c2.ID}, map[int64][]string{c1.ID: {}, c2.ID: {}})
	tags("ContactTags of no contact", nil, map[int64][]string{})
	tags("ContactTags of an empty list", []int64{}, map[int64][]string{})

	e.must(e.s.SetContactTags(e.ctx, c1.ID, []int64{zeta.ID, alpha.ID, mid.ID}), "SetContactTags")
	e.must(e.s.SetContactTags(e.ctx, c2.ID, []int64{mid.ID, mid.ID}), "SetContactTags with a tag twice")
	// Names sorted, whatever the order of the ids.
	tags("ContactTags", []int64{c1.ID, c2.ID, c3.ID}, map[int64][]string{
		c1.ID: {"Alpha", "mid", "zeta"}, c2.ID: {"mid"}, c3.ID: {},
	})
	tags("ContactTags of one contact", []int64{c2.ID}, map[int64][]string{c2.ID: {"mid"}})

	// Replaced exactly: one kept, one dropped, one added.
	e.must(e.s.SetContactTags(e.ctx, c1.ID, []int64{mid.ID, zeta.ID}), "SetContactTags")
	tags("ContactTags after replacing", []int64{c1.ID, c2.ID}, map[int64][]string{c1.ID: {"mid", "zeta"}, c2.ID: {"mid"}})
	e.must(e.s.SetContactTags(e.ctx, c1.ID, []int64{alpha.ID}), "SetContactTags")
	tags("ContactTags after replacing them all", []int64{c1.ID, c2.ID}, map[int64][]string{c1.ID: {"Alpha"}, c2.ID: {"mid"}})
	e.must(e.s.SetContactTags(e.ctx, c1.ID, nil), "SetContactTags to none")
	tags("ContactTags after removing them all", []int64{c1.ID, c2.ID}, map[int64][]string{c1.ID: {}, c2.ID: {"mid"}})
	e.must(e.s.SetContactTags(e.ctx, c1.ID, []int64{}), "SetContactTags to none again")
	tags("ContactTags after removing none", []int64{c1.ID, c2.ID}, map[int64][]string{c1.ID: {}, c2.ID: {"mid"}})

	// A long list of contacts: one map, every contact in it.
	var many []int64
	want := map[int64][]string{}
	for i := range 1200 {
		id := c3.ID + 1000 + int64(i)
		many = append(many, id)
		want[id] = []string{}
	}
	many = append(many, c2.ID)
	want[c2.ID] = []string{"mid"}
	tags("ContactTags of many contacts", many, want)

	// The tags themselves stay.
	list, err := e.s.ListTags(e.ctx, a.ID)
	e.must(err, "ListTags")
	check(t, "tags after untagging", list, []carillon.Tag{zeta, alpha, mid})
}

// Custom fields

func testCustomFields(t *testing.T, e *env) {
	a, b := e.account("a"), e.account("b")
	plan := carillon.CustomField{AccountID: a.ID, Name: "Plan", Type: carillon.FieldDropdown, Options: []string{"Free", "Pro ✓", `"quoted"`, ""},
		CreatedAt: sloppy(at(time.Second)), UpdatedAt: sloppy(at(2 * time.Second))}
	e.must(e.s.CreateCustomField(e.ctx, &plan), "CreateCustomField")
	if plan.ID == 0 {
		t.Fatal("CreateCustomField left the ID 0")
	}
	plan.CreatedAt, plan.UpdatedAt = norm(plan.CreatedAt), norm(plan.UpdatedAt)
	addr := e.field(a.ID, "Address") // no options
	other := e.field(b.ID, "Plan")

	got, err := e.s.CustomFieldByName(e.ctx, a.ID, "Plan")
	e.must(err, "CustomFieldByName")
	check(t, "CustomFieldByName", got, plan)
	got, err = e.s.CustomFieldByName(e.ctx, a.ID, "Address")
	e.must(err, "CustomFieldByName")
	check(t, "field without options", got, addr)
	if got.Options != nil {
		t.Errorf("a field created without options has options %#v", got.Options)
	}
	got, err = e.s.CustomFieldByName(e.ctx, b.ID, "Plan")
	e.must(err, "CustomFieldByName")
	check(t, "CustomFieldByName in the other account", got, other)

	up := plan
	up.Name, up.Type, up.Options = "Features", carillon.FieldCheckbox, []string{"Dark Mode", "Alerts"}
	up.CreatedAt, up.UpdatedAt = at(time.Hour), sloppy(at(time.Minute)) // created_at is not written
	e.must(e.s.UpdateCustomField(e.ctx, &up), "UpdateCustomField")
	want := up
	want.CreatedAt, want.UpdatedAt = plan.CreatedAt, norm(up.UpdatedAt)
	got, err = e.s.CustomFieldByName(e.ctx, a.ID, "Features")
	e.must(err, "CustomFieldByName of the new name")
	check(t, "field after UpdateCustomField", got, want)
	_, err = e.s.CustomFieldByName(e.ctx, a.ID, "Plan")
	wantErr(t, "CustomFieldByName of the old name", err, carillon.ErrNotFound)

	// Options emptied, type back to text.
	want.Type, want.Options = carillon.FieldText, nil
	e.must(e.s.UpdateCustomField(e.ctx, &want), "UpdateCustomField")
	got, err = e.s.CustomFieldByName(e.ctx, a.ID, "Features")
	e.must(err, "CustomFieldByName")
	check(t, "field after emptying its options", got, want)

	dup := want
	dup.Name = "Address"
	wantErr(t, "UpdateCustomField to another field's name", e.s.UpdateCustomField(e.ctx, &dup), carillon.ErrConflict)
	wantErr(t, "CreateCustomField of a taken name",
		e.s.CreateCustomField(e.ctx, &carillon.CustomField{AccountID: a.ID, Name: "Address", Type: carillon.FieldEmail, CreatedAt: base, UpdatedAt: base}),
		carillon.ErrConflict)
	e.must(e.s.CreateCustomField(e.ctx, &carillon.CustomField{AccountID: b.ID, Name: "Address", Type: carillon.FieldText, CreatedAt: base, UpdatedAt: base}),
		"CreateCustomField of another account's name")
	bad := want
	bad.AccountID, bad.Name = b.ID, "hijacked"
	missing := want
	missing.ID = plan.ID + addr.ID + other.ID + 100
	wantNotFound(t, map[string]func() error{
		"UpdateCustomField with the wrong account": func() error { return e.s.UpdateCustomField(e.ctx, &bad) },
		"UpdateCustomField of a missing field":     func() error { return e.s.UpdateCustomField(e.ctx, &missing) },
		"CustomFieldByName other account":          func() error { _, err := e.s.CustomFieldByName(e.ctx, b.ID, "Features"); return err },
		"CustomFieldByName missing":                func() error { _, err := e.s.CustomFieldByName(e.ctx, a.ID, "Nope"); return err },
	})

	list, err := e.s.ListCustomFields(e.ctx, a.ID)
	e.must(err, "ListCustomFields")
	check(t, "ListCustomFields", list, []carillon.CustomField{want, addr})
	list, err = e.s.ListCustomFields(e.ctx, a.ID+b.ID+100)
	e.must(err, "ListCustomFields")
	if len(list) != 0 {
		t.Errorf("ListCustomFields of a missing account: %d fields", len(list))
	}
}

func testContactFieldValues(t *testing.T, e *env) {
	f := e.fixture("a")
	c1, c2 := f.contact, e.contact(f.channel, "5491100000002")
	c3 := e.contact(f.channel, "5491100000003")
	plan, addr := e.field(f.acct.ID, "Plan"), e.field(f.acct.ID, "Address")

	values := func(what string, ids []int64, want map[int64]map[int64]string) {
		t.Helper()
		got, err := e.s.ContactFieldValues(e.ctx, ids)
		e.must(err, "ContactFieldValues")
		check(t, what, got, want)
	}
	values("values of contacts without any", []int64{c1.ID}, map[int64]map[int64]string{c1.ID: {}})
	values("values of no contact", nil, map[int64]map[int64]string{})

	e.must(e.s.SetContactFieldValue(e.ctx, c1.ID, plan.ID, "Pro"), "SetContactFieldValue")
	e.must(e.s.SetContactFieldValue(e.ctx, c1.ID, addr.ID, "Calle 1, 2º \"B\"\nBogotá"), "SetContactFieldValue")
	e.must(e.s.SetContactFieldValue(e.ctx, c2.ID, plan.ID, `["Dark Mode","Alerts"]`), "SetContactFieldValue")
	values("values", []int64{c1.ID, c2.ID, c3.ID}, map[int64]map[int64]string{
		c1.ID: {plan.ID: "Pro", addr.ID: "Calle 1, 2º \"B\"\nBogotá"},
		c2.ID: {plan.ID: `["Dark Mode","Alerts"]`},
		c3.ID: {},
	})

	// Replaced, then removed; the others untouched.
	e.must(e.s.SetContactFieldValue(e.ctx, c1.ID, plan.ID, "Free"), "SetContactFieldValue replacing")
	values("values after replacing one", []int64{c1.ID, c2.ID}, map[int64]map[int64]string{
		c1.ID: {plan.ID: "Free", addr.ID: "Calle 1, 2º \"B\"\nBogotá"},
		c2.ID: {plan.ID: `["Dark Mode","Alerts"]`},
	})
	e.must(e.s.SetContactFieldValue(e.ctx, c1.ID, addr.ID, ""), "SetContactFieldValue removing")
	values("values after removing one", []int64{c1.ID, c2.ID}, map[int64]map[int64]string{
		c1.ID: {plan.ID: "Free"},
		c2.ID: {plan.ID: `["Dark Mode","Alerts"]`},
	})
	e.must(e.s.SetContactFieldValue(e.ctx, c1.ID, addr.ID, ""), "SetContactFieldValue removing a missing value")
	e.must(e.s.SetContactFieldValue(e.ctx, c1.ID, plan.ID, ""), "SetContactFieldValue removing")
	e.must(e.s.SetContactFieldValue(e.ctx, c3.ID, addr.ID, " "), "SetContactFieldValue of a space")
	values("values after removing all of one contact's", []int64{c1.ID, c2.ID, c3.ID}, map[int64]map[int64]string{
		c1.ID: {}, c2.ID: {plan.ID: `["Dark Mode","Alerts"]`}, c3.ID: {addr.ID: " "},
	})
}

// Templates

func testTemplates(t *testing.T, e *env) {
	a, b := e.account("a"), e.account("b")
	ch := e.channel(a.ID, carillon.WhatsApp, true)
	ch2 := e.channel(a.ID, carillon.WhatsApp, false)
	chB := e.channel(b.ID, carillon.WhatsApp, true)

	full := carillon.Template{UUID: carillon.NewUUID(), AccountID: a.ID, ChannelID: ch.ID, Title: "order_shipped",
		Text: "Hello {{1}}, order {{2}} has shipped ✓ \"now\"", Type: "image", Category: "MARKETING", Status: "pending",
		Language: "es_AR", ExternalID: "1234567890", CreatedAt: sloppy(at(time.Second)), UpdatedAt: sloppy(at(2 * time.Second)),
		Buttons: []carillon.TemplateButton{
			{Type: carillon.ButtonURL, Text: "Track \"it\" ✓", URL: "https://example.com/track/{{1}}"},
			{Type: carillon.ButtonQuickReply, Text: "Stop"},
			{Type: carillon.ButtonPhoneNumber, Text: "Call", PhoneNumber: "+31612345678"},
			{Type: carillon.ButtonOTP, Text: "Copy code", OTPType: "copy_code"},
		}}
	e.must(e.s.CreateTemplate(e.ctx, &full), "CreateTemplate")
	if full.ID == 0 {
		t.Fatal("CreateTemplate left the ID 0")
	}
	full.CreatedAt, full.UpdatedAt = norm(full.CreatedAt), norm(full.UpdatedAt)
	got, err := e.s.TemplateByUUID(e.ctx, a.ID, full.UUID)
	e.must(err, "TemplateByUUID")
	check(t, "TemplateByUUID", got, full)
	got, err = e.s.TemplateByKey(e.ctx, ch.ID, "order_shipped", "es_AR")
	e.must(err, "TemplateByKey")
	check(t, "TemplateByKey", got, full)

	// The same title in another language, or on another channel, is
	// another template.
	en := e.template(ch, "order_shipped", "en")
	other := e.template(ch2, "order_shipped", "es_AR")
	tb := e.template(chB, "order_shipped", "es_AR")
	for _, tc := range []struct {
		ch    int64
		title string
		lang  string
		want  carillon.Template
	}{
		{ch.ID, "order_shipped", "en", en},
		{ch2.ID, "order_shipped", "es_AR", other},
		{chB.ID, "order_shipped", "es_AR", tb},
	} {
		got, err := e.s.TemplateByKey(e.ctx, tc.ch, tc.title, tc.lang)
		if err != nil {
			t.Errorf("TemplateByKey(%d, %s, %s): %v", tc.ch, tc.title, tc.lang, err)
			continue
		}
		check(t, fmt.Sprintf("TemplateByKey(%d, %s, %s)", tc.ch, tc.title, tc.lang), got, tc.want)
	}

	up := full
	up.Title, up.Text, up.Type, up.Category, up.Status = "order_sent", "Sent {{1}}", "text", "UTILITY", "approved"
	up.Language, up.ExternalID, up.UpdatedAt = "pt_BR", "", sloppy(at(time.Hour))
	up.Buttons = []carillon.TemplateButton{{Type: carillon.ButtonCopyCode, Text: "Copy offer code"}}
	up.UUID, up.ChannelID, up.CreatedAt = carillon.NewUUID(), ch2.ID, at(time.Hour) // not written
	e.must(e.s.UpdateTemplate(e.ctx, &up), "UpdateTemplate")
	want := up
	want.UUID, want.ChannelID, want.CreatedAt, want.UpdatedAt = full.UUID, full.ChannelID, full.CreatedAt, norm(up.UpdatedAt)
	got, err = e.s.TemplateByUUID(e.ctx, a.ID, full.UUID)
	e.must(err, "TemplateByUUID")
	check(t, "template after UpdateTemplate", got, want)
	got, err = e.s.TemplateByKey(e.ctx, ch.ID, "order_sent", "pt_BR")
	e.must(err, "TemplateByKey of the new key")
	check(t, "TemplateByKey of the new key", got, want)

	dup := want
	dup.Title, dup.Language = "order_shipped", "en"
	wantErr(t, "UpdateTemplate to another template's key", e.s.UpdateTemplate(e.ctx, &dup), carillon.ErrConflict)
	wantErr(t, "CreateTemplate of a taken key", func() error {
		c := en
		c.ID, c.UUID = 0, carillon.NewUUID()
		return e.s.CreateTemplate(e.ctx, &c)
	}(), carillon.ErrConflict)
	wantErr(t, "CreateTemplate of a taken uuid", func() error {
		c := en
		c.ID, c.Title = 0, "another"
		return e.s.CreateTemplate(e.ctx, &c)
	}(), carillon.ErrConflict)
	bad := want
	bad.AccountID, bad.Title = b.ID, "hijacked"
	missing := want
	missing.ID = full.ID + en.ID + other.ID + tb.ID + 100
	wantNotFound(t, map[string]func() error{
		"UpdateTemplate with the wrong account": func() error { return e.s.UpdateTemplate(e.ctx, &bad) },
		"UpdateTemplate of a missing template":  func() error { return e.s.UpdateTemplate(e.ctx, &missing) },
		"TemplateByUUID other account":          func() error { _, err := e.s.TemplateByUUID(e.ctx, b.ID, full.UUID); return err },
		"TemplateByUUID missing":                func() error { _, err := e.s.TemplateByUUID(e.ctx, a.ID, carillon.NewUUID()); return err },
		"TemplateByKey old key":                 func() error { _, err := e.s.TemplateByKey(e.ctx, ch.ID, "order_shipped", "es_AR"); return err },
		"TemplateByKey other language":          func() error { _, err := e.s.TemplateByKey(e.ctx, ch.ID, "order_sent", "en"); return err },
		"TemplateByKey other channel":           func() error { _, err := e.s.TemplateByKey(e.ctx, ch2.ID, "order_sent", "pt_BR"); return err },
	})
	got, err = e.s.TemplateByUUID(e.ctx, a.ID, full.UUID)
	e.must(err, "TemplateByUUID")
	check(t, "template after refused updates", got, want)

	// Removing every button leaves none (nil, as a template that never
	// had any).
	want.Buttons = nil
	e.must(e.s.UpdateTemplate(e.ctx, &want), "UpdateTemplate without buttons")
	got, err = e.s.TemplateByUUID(e.ctx, a.ID, full.UUID)
	e.must(err, "TemplateByUUID")
	check(t, "template after its buttons were removed", got, want)
}

func testListTemplates(t *testing.T, e *env) {
	a, b := e.account("a"), e.account("b")
	ch := e.channel(a.ID, carillon.WhatsApp, true)
	chB := e.channel(b.ID, carillon.WhatsApp, true)
	var all []carillon.Template
	for i := range 5 {
		all = append(all, e.template(ch, fmt.Sprintf("t%d", i), "en"))
		if i == 2 {
			e.template(chB, "b", "en")
		}
	}
	for _, tc := range []struct {
		page carillon.Page
		want []carillon.Template
	}{
		{carillon.Page{Number: 1, Size: 100}, all},
		{carillon.Page{Number: 1, Size: 2}, all[:2]},
		{carillon.Page{Number: 2, Size: 2}, all[2:4]},
		{carillon.Page{Number: 3, Size: 2}, all[4:]},
		{carillon.Page{Number: 4, Size: 2}, nil},
		{carillon.Page{Number: 2, Size: 4}, all[4:]},
		// Pages whose offset would not fit in 64 bits are past the end,
		// on every store: never page 1 again, never a negative OFFSET.
		{carillon.Page{Number: 1<<62 + 1, Size: 2}, nil},
		{carillon.Page{Number: math.MaxInt, Size: 100}, nil},
	} {
		got, n, err := e.s.ListTemplates(e.ctx, a.ID, tc.page)
		e.must(err, "ListTemplates")
		what := fmt.Sprintf("ListTemplates page %d of %d", tc.page.Number, tc.page.Size)
		if len(got) != 0 || len(tc.want) != 0 {
			check(t, what, got, tc.want)
		}
		if n != 5 {
			t.Errorf("%s: total %d, want 5", what, n)
		}
	}
	got, n, err := e.s.ListTemplates(e.ctx, b.ID, carillon.Page{Number: 1, Size: 25})
	e.must(err, "ListTemplates")
	if len(got) != 1 || n != 1 || got[0].Title != "b" {
		t.Errorf("ListTemplates of the other account: %d templates, total %d", len(got), n)
	}
	got, n, err = e.s.ListTemplates(e.ctx, a.ID+b.ID+100, carillon.Page{Number: 1, Size: 25})
	e.must(err, "ListTemplates")
	if len(got) != 0 || n != 0 {
		t.Errorf("ListTemplates of a missing account: %d templates, total %d", len(got), n)
	}
}

// Funnels

func testFunnels(t *testing.T, e *env) {
	a, b := e.account("a"), e.account("b")
	mk := func(accountID int64, name, emoji string, pos int) carillon.Funnel {
		t.Helper()
		f := carillon.Funnel{UUID: carillon.NewDashedUUID(), AccountID: accountID, Name: name, Emoji: emoji, Position: pos, CreatedAt: sloppy(at(time.Duration(pos) * time.Second))}
		e.must(e.s.CreateFunnel(e.ctx, &f), "CreateFunnel")
		if f.ID == 0 {
			t.Fatal("CreateFunnel left the ID 0")
		}
		f.CreatedAt = norm(f.CreatedAt)
		return f
	}
	// Created out of position order.
	decision := mk(a.ID, "Decision", "🤝", 3)
	awareness := mk(a.ID, "Awareness", "🧘", 1)
	interest := mk(a.ID, "Interest", "", 2)
	tie := mk(a.ID, "Also two", "", 2)
	fb := mk(b.ID, "Awareness", "", 1)

	got, err := e.s.FunnelByUUID(e.ctx, a.ID, awareness.UUID)
	e.must(err, "FunnelByUUID")
	check(t, "FunnelByUUID", got, awareness)
	got, err = e.s.FunnelByName(e.ctx, a.ID, "Awareness")
	e.must(err, "FunnelByName")
	check(t, "FunnelByName", got, awareness)
	got, err = e.s.FunnelByName(e.ctx, b.ID, "Awareness")
	e.must(err, "FunnelByName")
	check(t, "FunnelByName in the other account", got, fb)

	list, err := e.s.ListFunnels(e.ctx, a.ID)
	e.must(err, "ListFunnels")
	check(t, "ListFunnels", list, []carillon.Funnel{awareness, interest, tie, decision})

	up := decision
	up.Name, up.Emoji, up.Position = "Purchase", "💳", 0
	up.UUID, up.CreatedAt = carillon.NewDashedUUID(), at(time.Hour) // identity: not written
	e.must(e.s.UpdateFunnel(e.ctx, &up), "UpdateFunnel")
	want := decision
	want.Name, want.Emoji, want.Position = "Purchase", "💳", 0
	got, err = e.s.FunnelByUUID(e.ctx, a.ID, decision.UUID)
	e.must(err, "FunnelByUUID")
	check(t, "funnel after UpdateFunnel", got, want)
	list, err = e.s.ListFunnels(e.ctx, a.ID)
	e.must(err, "ListFunnels")
	check(t, "ListFunnels after moving one first", list, []carillon.Funnel{want, awareness, interest, tie})

	dup := want
	dup.Name = "Interest"
	wantErr(t, "UpdateFunnel to another funnel's name", e.s.UpdateFunnel(e.ctx, &dup), carillon.ErrConflict)
	wantErr(t, "CreateFunnel of a taken name", e.s.CreateFunnel(e.ctx, &carillon.Funnel{UUID: carillon.NewDashedUUID(), AccountID: a.ID, Name: "Interest", Position: 9, CreatedAt: base}), carillon.ErrConflict)
	wantErr(t, "CreateFunnel of a taken uuid", e.s.CreateFunnel(e.ctx, &carillon.Funnel{UUID: fb.UUID, AccountID: a.ID, Name: "New", Position: 9, CreatedAt: base}), carillon.ErrConflict)
	e.must(e.s.CreateFunnel(e.ctx, &carillon.Funnel{UUID: carillon.NewDashedUUID(), AccountID: b.ID, Name: "Interest", Position: 2, CreatedAt: base}), "CreateFunnel of another account's name")
	bad := want
	bad.AccountID, bad.Name = b.ID, "hijacked"
	missing := want
	missing.ID = decision.ID + awareness.ID + interest.ID + tie.ID + fb.ID + 100
	wantNotFound(t, map[string]func() error{
		"UpdateFunnel with the wrong account": func() error { return e.s.UpdateFunnel(e.ctx, &bad) },
		"UpdateFunnel of a missing funnel":    func() error { return e.s.UpdateFunnel(e.ctx, &missing) },
		"FunnelByUUID other account":          func() error { _, err := e.s.FunnelByUUID(e.ctx, b.ID, awareness.UUID); return err },
		"FunnelByUUID missing":                func() error { _, err := e.s.FunnelByUUID(e.ctx, a.ID, carillon.NewDashedUUID()); return err },
		"FunnelByName other account":          func() error { _, err := e.s.FunnelByName(e.ctx, b.ID, "Purchase"); return err },
		"FunnelByName old name":               func() error { _, err := e.s.FunnelByName(e.ctx, a.ID, "Decision"); return err },
	})
	list, err = e.s.ListFunnels(e.ctx, a.ID)
	e.must(err, "ListFunnels")
	check(t, "ListFunnels after refused changes", list, []carillon.Funnel{want, awareness, interest, tie})
	list, err = e.s.ListFunnels(e.ctx, a.ID+b.ID+100)
	e.must(err, "ListFunnels")
	if len(list) != 0 {
		t.Errorf("ListFunnels of a missing account: %d funnels", len(list))
	}
}

// Custom statuses

func testCustomStatuses(t *testing.T, e *env) {
	a, b := e.account("a"), e.account("b")
	lunch := carillon.CustomStatus{UUID: carillon.NewDashedUUID(), AccountID: a.ID, Name: "Lunch", Emoji: "🍙",
		CreatedAt: sloppy(at(time.Second)), UpdatedAt: sloppy(at(2 * time.Second))}
	e.must(e.s.CreateCustomStatus(e.ctx, &lunch), "CreateCustomStatus")
	if lunch.ID == 0 {
		t.Fatal("CreateCustomStatus left the ID 0")
	}
	lunch.CreatedAt, lunch.UpdatedAt = norm(lunch.CreatedAt), norm(lunch.UpdatedAt)
	meeting := e.customStatus(a.ID, "In a meeting")
	sb := e.customStatus(b.ID, "Lunch")

	lookups := map[string]func() (carillon.CustomStatus, error){
		"CustomStatusByID":   func() (carillon.CustomStatus, error) { return e.s.CustomStatusByID(e.ctx, a.ID, lunch.ID) },
		"CustomStatusByUUID": func() (carillon.CustomStatus, error) { return e.s.CustomStatusByUUID(e.ctx, a.ID, lunch.UUID) },
		"CustomStatusByName": func() (carillon.CustomStatus, error) { return e.s.CustomStatusByName(e.ctx, a.ID, "Lunch") },
	}
	for name, get := range lookups {
		got, err := get()
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		check(t, name, got, lunch)
	}

	up := meeting
	up.Name, up.Emoji, up.UpdatedAt = "Meeting", "📅", sloppy(at(time.Hour))
	up.UUID, up.CreatedAt = carillon.NewDashedUUID(), at(time.Hour) // identity: not written
	e.must(e.s.UpdateCustomStatus(e.ctx, &up), "UpdateCustomStatus")
	want := meeting
	want.Name, want.Emoji, want.UpdatedAt = "Meeting", "📅", norm(up.UpdatedAt)
	got, err := e.s.CustomStatusByName(e.ctx, a.ID, "Meeting")
	e.must(err, "CustomStatusByName of the new name")
	check(t, "custom status after UpdateCustomStatus", got, want)

	dup := want
	dup.Name = "Lunch"
	wantErr(t, "UpdateCustomStatus to another status's name", e.s.UpdateCustomStatus(e.ctx, &dup), carillon.ErrConflict)
	wantErr(t, "CreateCustomStatus of a taken name",
		e.s.CreateCustomStatus(e.ctx, &carillon.CustomStatus{UUID: carillon.NewDashedUUID(), AccountID: a.ID, Name: "Lunch", CreatedAt: base, UpdatedAt: base}),
		carillon.ErrConflict)
	wantErr(t, "CreateCustomStatus of a taken uuid",
		e.s.CreateCustomStatus(e.ctx, &carillon.CustomStatus{UUID: sb.UUID, AccountID: a.ID, Name: "New", CreatedAt: base, UpdatedAt: base}),
		carillon.ErrConflict)
	bad := want
	bad.AccountID, bad.Name = b.ID, "hijacked"
	missing := want
	missing.ID = lunch.ID + meeting.ID + sb.ID + 100
	wantNotFound(t, map[string]func() error{
		"UpdateCustomStatus with the wrong account": func() error { return e.s.UpdateCustomStatus(e.ctx, &bad) },
		"UpdateCustomStatus of a missing status":    func() error { return e.s.UpdateCustomStatus(e.ctx, &missing) },
		"CustomStatusByID other account":            func() error { _, err := e.s.CustomStatusByID(e.ctx, b.ID, lunch.ID); return err },
		"CustomStatusByID missing":                  func() error { _, err := e.s.CustomStatusByID(e.ctx, a.ID, missing.ID); return err },
		"CustomStatusByUUID other account":          func() error { _, err := e.s.CustomStatusByUUID(e.ctx, b.ID, lunch.UUID); return err },
		"CustomStatusByUUID missing":                func() error { _, err := e.s.CustomStatusByUUID(e.ctx, a.ID, carillon.NewDashedUUID()); return err },
		"CustomStatusByName other account":          func() error { _, err := e.s.CustomStatusByName(e.ctx, b.ID, "Meeting"); return err },
		"CustomStatusByName old name":               func() error { _, err := e.s.CustomStatusByName(e.ctx, a.ID, "In a meeting"); return err },
		"DeleteCustomStatus other account":          func() error { return e.s.DeleteCustomStatus(e.ctx, b.ID, lunch.ID) },
		"DeleteCustomStatus missing":                func() error { return e.s.DeleteCustomStatus(e.ctx, a.ID, missing.ID) },
	})
	list, err := e.s.ListCustomStatuses(e.ctx, a.ID)
	e.must(err, "ListCustomStatuses")
	check(t, "ListCustomStatuses", list, []carillon.CustomStatus{lunch, want})
	list, err = e.s.ListCustomStatuses(e.ctx, b.ID)
	e.must(err, "ListCustomStatuses")
	check(t, "ListCustomStatuses of the other account", list, []carillon.CustomStatus{sb})
}

func testDeleteCustomStatus(t *testing.T, e *env) {
	a, b := e.account("a"), e.account("b")
	lunch, meeting := e.customStatus(a.ID, "Lunch"), e.customStatus(a.ID, "Meeting")
	sb := e.customStatus(b.ID, "Lunch")
	u1, u2, u3 := e.user(a.ID, "one@example.com"), e.user(a.ID, "two@example.com"), e.user(a.ID, "three@example.com")
	ub := e.user(b.ID, "b@example.com")
	set := func(accountID, userID, statusID int64) carillon.UserStatus {
		t.Helper()
		s := carillon.UserStatus{Available: true, AvailabilityAt: at(time.Minute), CustomStatusID: statusID, CustomStatusAt: at(2 * time.Minute)}
		e.must(e.s.SetUserStatus(e.ctx, accountID, userID, s), "SetUserStatus")
		return s
	}
	s1, s2, s3 := set(a.ID, u1.ID, lunch.ID), set(a.ID, u2.ID, meeting.ID), set(a.ID, u3.ID, lunch.ID)
	sB := set(b.ID, ub.ID, sb.ID)
	status := func(what string, accountID, userID int64, want carillon.UserStatus) {
		t.Helper()
		got, err := e.s.UserStatus(e.ctx, accountID, userID)
		e.must(err, "UserStatus")
		check(t, what, got, want)
	}

	wantErr(t, "DeleteCustomStatus with the wrong account", e.s.DeleteCustomStatus(e.ctx, b.ID, lunch.ID), carillon.ErrNotFound)
	status("status after a refused delete", a.ID, u1.ID, s1)

	e.must(e.s.DeleteCustomStatus(e.ctx, a.ID, lunch.ID), "DeleteCustomStatus")
	// Unassigned from its users, the rest of their status kept.
	s1.CustomStatusID, s3.CustomStatusID = 0, 0
	status("status of a user who had it", a.ID, u1.ID, s1)
	status("status of another user who had it", a.ID, u3.ID, s3)
	status("status of a user with another status", a.ID, u2.ID, s2)
	status("status of another account's user", b.ID, ub.ID, sB)

	wantNotFound(t, map[string]func() error{
		"CustomStatusByID after delete":   func() error { _, err := e.s.CustomStatusByID(e.ctx, a.ID, lunch.ID); return err },
		"CustomStatusByUUID after delete": func() error { _, err := e.s.CustomStatusByUUID(e.ctx, a.ID, lunch.UUID); return err },
		"CustomStatusByName after delete": func() error { _, err := e.s.CustomStatusByName(e.ctx, a.ID, "Lunch"); return err },
		"DeleteCustomStatus twice":        func() error { return e.s.DeleteCustomStatus(e.ctx, a.ID, lunch.ID) },
	})
	list, err := e.s.ListCustomStatuses(e.ctx, a.ID)
	e.must(err, "ListCustomStatuses")
	check(t, "ListCustomStatuses after delete", list, []carillon.CustomStatus{meeting})
	got, err := e.s.CustomStatusByID(e.ctx, b.ID, sb.ID)
	e.must(err, "CustomStatusByID")
	check(t, "the other account's status", got, sb)
	// The name is free again.
	e.customStatus(a.ID, "Lunch")
}

// Contact lists

func testListContacts(t *testing.T, e *env) {
	a, b := e.account("a"), e.account("b")
	wa := e.channel(a.ID, carillon.WhatsApp, true)
	tg := e.channel(a.ID, carillon.Telegram, true)
	waB := e.channel(b.ID, carillon.WhatsApp, true)
	t1, t2 := e.team(a.ID, "One"), e.team(a.ID, "Two")
	x, y, z := e.tag(a.ID, "x"), e.tag(a.ID, "y"), e.tag(a.ID, "z")
	unused := e.tag(a.ID, "unused")

	mk := func(ch carillon.Channel, address string, team int64, tags ...carillon.Tag) carillon.Contact {
		t.Helper()
		c := e.contact(ch, address)
		if team != 0 {
			c.TeamID = team
			e.must(e.s.UpdateContact(e.ctx, &c), "UpdateContact")
		}
		var ids []int64
		for _, tag := range tags {
			ids = append(ids, tag.ID)
		}
		e.must(e.s.SetContactTags(e.ctx, c.ID, ids), "SetContactTags")
		return c
	}
	c1 := mk(wa, "1", t1.ID, x)
	c2 := mk(wa, "2", 0, x, y)
	// Another account's contact, with the first account's team and tags:
	// the account filter alone keeps it out.
	mk(waB, "1", t1.ID, x, y, z)
	c3 := mk(tg, "3", t1.ID, x, y, z)
	c4 := mk(tg, "4", t2.ID)
	c5 := mk(wa, "5", t1.ID, y)

	got, n, err := e.s.ListContacts(e.ctx, a.ID, carillon.ContactFilter{}, carillon.Page{Number: 1, Size: 100})
	e.must(err, "ListContacts")
	check(t, "ListContacts rows", got, []carillon.Contact{c5, c4, c3, c2, c1})
	if n != 5 {
		t.Errorf("ListContacts total %d, want 5", n)
	}

	type filter = carillon.ContactFilter
	tags := func(ts ...carillon.Tag) []int64 {
		out := []int64{}
		for _, tag := range ts {
			out = append(out, tag.ID)
		}
		return out
	}
	cases := []struct {
		name string
		f    filter
		want []carillon.Contact
	}{
		{"none", filter{}, []carillon.Contact{c5, c4, c3, c2, c1}},
		{"whatsapp", filter{ChannelType: carillon.WhatsApp}, []carillon.Contact{c5, c2, c1}},
		{"telegram", filter{ChannelType: carillon.Telegram}, []carillon.Contact{c4, c3}},
		{"facebook", filter{ChannelType: carillon.Facebook}, nil},
		{"team one", filter{TeamID: t1.ID}, []carillon.Contact{c5, c3, c1}},
		{"team two", filter{TeamID: t2.ID}, []carillon.Contact{c4}},
		{"missing team", filter{TeamID: t1.ID + t2.ID + 100}, nil},
		{"tag x", filter{TagIDs: tags(x)}, []carillon.Contact{c3, c2, c1}},
		{"tag y", filter{TagIDs: tags(y)}, []carillon.Contact{c5, c3, c2}},
		{"tags x y", filter{TagIDs: tags(x, y)}, []carillon.Contact{c3, c2}},
		{"tags y x", filter{TagIDs: tags(y, x)}, []carillon.Contact{c3, c2}},
		{"tags x y z", filter{TagIDs: tags(x, y, z)}, []carillon.Contact{c3}},
		{"tags x x", filter{TagIDs: tags(x, x)}, []carillon.Contact{c3, c2, c1}},
		{"unused tag", filter{TagIDs: tags(unused)}, nil},
		{"tags z unused", filter{TagIDs: tags(z, unused)}, nil},
		{"empty tag list", filter{TagIDs: []int64{}}, []carillon.Contact{c5, c4, c3, c2, c1}},
		{"whatsapp, tag x", filter{ChannelType: carillon.WhatsApp, TagIDs: tags(x)}, []carillon.Contact{c2, c1}},
		{"whatsapp, team one", filter{ChannelType: carillon.WhatsApp, TeamID: t1.ID}, []carillon.Contact{c5, c1}},
		{"team one, tag y", filter{TeamID: t1.ID, TagIDs: tags(y)}, []carillon.Contact{c5, c3}},
		{"whatsapp, team one, tag y", filter{ChannelType: carillon.WhatsApp, TeamID: t1.ID, TagIDs: tags(y)}, []carillon.Contact{c5}},
		{"telegram, team one, tags x y", filter{ChannelType: carillon.Telegram, TeamID: t1.ID, TagIDs: tags(x, y)}, []carillon.Contact{c3}},
		{"telegram, team two, tag x", filter{ChannelType: carillon.Telegram, TeamID: t2.ID, TagIDs: tags(x)}, nil},
	}
	for _, tc := range cases {
		got, n, err := e.s.ListContacts(e.ctx, a.ID, tc.f, carillon.Page{Number: 1, Size: 100})
		e.must(err, "ListContacts")
		check(t, "ListContacts("+tc.name+")", contactIDs(got), contactIDs(tc.want))
		if n != len(tc.want) {
			t.Errorf("ListContacts(%s) total %d, want %d", tc.name, n, len(tc.want))
		}
	}

	pages := []struct {
		f     filter
		page  carillon.Page
		want  []carillon.Contact
		total int
	}{
		{filter{}, carillon.Page{Number: 1, Size: 2}, []carillon.Contact{c5, c4}, 5},
		{filter{}, carillon.Page{Number: 2, Size: 2}, []carillon.Contact{c3, c2}, 5},
		{filter{}, carillon.Page{Number: 3, Size: 2}, []carillon.Contact{c1}, 5},
		{filter{}, carillon.Page{Number: 4, Size: 2}, nil, 5},
		{filter{}, carillon.Page{Number: 1, Size: 1}, []carillon.Contact{c5}, 5},
		{filter{TagIDs: tags(x)}, carillon.Page{Number: 2, Size: 2}, []carillon.Contact{c1}, 3},
		{filter{ChannelType: carillon.WhatsApp, TeamID: t1.ID}, carillon.Page{Number: 2, Size: 1}, []carillon.Contact{c1}, 2},
		{filter{ChannelType: carillon.Telegram}, carillon.Page{Number: 2, Size: 5}, nil, 2},
		{filter{}, carillon.Page{Number: 1<<62 + 1, Size: 2}, nil, 5},
		{filter{TagIDs: tags(x)}, carillon.Page{Number: math.MaxInt, Size: 100}, nil, 3},
	}
	for _, tc := range pages {
		got, n, err := e.s.ListContacts(e.ctx, a.ID, tc.f, tc.page)
		e.must(err, "ListContacts")
		what := fmt.Sprintf("ListContacts(%+v) page %d of %d", tc.f, tc.page.Number, tc.page.Size)
		check(t, what, contactIDs(got), contactIDs(tc.want))
		if n != tc.total {
			t.Errorf("%s: total %d, want %d", what, n, tc.total)
		}
	}

	got, n, err = e.s.ListContacts(e.ctx, b.ID, carillon.ContactFilter{}, carillon.Page{Number: 1, Size: 25})
	e.must(err, "ListContacts")
	if len(got) != 1 || n != 1 || got[0].AccountID != b.ID {
		t.Errorf("ListContacts of the other account: %d contacts, total %d", len(got), n)
	}
	got, n, err = e.s.ListContacts(e.ctx, a.ID+b.ID+100, carillon.ContactFilter{}, carillon.Page{Number: 1, Size: 25})
	e.must(err, "ListContacts")
	if len(got) != 0 || n != 0 {
		t.Errorf("ListContacts of a missing account: %d contacts, total %d", len(got), n)
	}
}

func testContactMessages(t *testing.T, e *env) {
	f := e.fixture("a") // f.message is the contact's first message
	fb := e.fixture("b")
	other := e.contact(f.channel, "5491100000002")
	m2 := e.message(f.contact, carillon.SendNone, "")
	e.message(other, carillon.SendQueued, "inst")
	m3 := e.message(f.contact, carillon.SendDone, "inst")
	note := carillon.Message{UUID: carillon.NewUUID(), AccountID: f.acct.ID, ChannelID: f.channel.ID, ContactID: f.contact.ID,
		Direction: carillon.Note, Type: carillon.TypeText, Content: carillon.Content{Text: "a note"}, Status: carillon.StatusNote,
		CreatedAt: base, UpdatedAt: base}
	e.must(e.s.CreateMessage(e.ctx, &note), "CreateMessage")

	all := []carillon.Message{note, m3, m2, f.message}
	got, n, err := e.s.ContactMessages(e.ctx, f.acct.ID, f.contact.ID, carillon.Page{Number: 1, Size: 100})
	e.must(err, "ContactMessages")
	check(t, "ContactMessages rows", got, all)
	if n != 4 {
		t.Errorf("ContactMessages total %d, want 4", n)
	}
	for _, tc := range []struct {
		page carillon.Page
		want []carillon.Message
	}{
		{carillon.Page{Number: 1, Size: 3}, all[:3]},
		{carillon.Page{Number: 2, Size: 3}, all[3:]},
		{carillon.Page{Number: 3, Size: 3}, nil},
		{carillon.Page{Number: 2, Size: 1}, all[1:2]},
		{carillon.Page{Number: 1<<62 + 1, Size: 2}, nil},
		{carillon.Page{Number: math.MaxInt, Size: 100}, nil},
	} {
		got, n, err := e.s.ContactMessages(e.ctx, f.acct.ID, f.contact.ID, tc.page)
		e.must(err, "ContactMessages")
		what := fmt.Sprintf("ContactMessages page %d of %d", tc.page.Number, tc.page.Size)
		check(t, what, ids(got), ids(tc.want))
		if n != 4 {
			t.Errorf("%s: total %d, want 4", what, n)
		}
	}
	for _, tc := range []struct {
		name    string
		acct    int64
		contact int64
	}{
		{"another account's contact", fb.acct.ID, f.contact.ID},
		{"a contact of the account, asked for by another", f.acct.ID, fb.contact.ID},
		{"a missing contact", f.acct.ID, f.contact.ID + other.ID + fb.contact.ID + 100},
	} {
		got, n, err := e.s.ContactMessages(e.ctx, tc.acct, tc.contact, carillon.Page{Number: 1, Size: 100})
		e.must(err, "ContactMessages")
		if len(got) != 0 || n != 0 {
			t.Errorf("ContactMessages of %s: %d messages, total %d", tc.name, len(got), n)
		}
	}
}

// Deleting a contact

func testDeleteContact(t *testing.T, e *env) {
	f, fb := e.fixture("a"), e.fixture("b")
	a := f.acct
	c, keep := f.contact, e.contact(f.channel, "5491100000002")
	m1, m2 := f.message, e.message(c, carillon.SendNone, "")
	km := e.message(keep, carillon.SendQueued, "inst")
	tagX, tagY := e.tag(a.ID, "x"), e.tag(a.ID, "y")
	field := e.field(a.ID, "Plan")
	for _, ct := range []carillon.Contact{c, keep} {
		e.must(e.s.SetContactTags(e.ctx, ct.ID, []int64{tagX.ID, tagY.ID}), "SetContactTags")
		e.must(e.s.SetContactFieldValue(e.ctx, ct.ID, field.ID, "Pro"), "SetContactFieldValue")
	}
	for _, m := range []carillon.Message{m1, m2, km} {
		e.must(e.s.AddStatusChange(e.ctx, carillon.StatusChange{MessageID: m.ID, Status: carillon.StatusSent, Applied: true, CreatedAt: base}), "AddStatusChange")
	}

	wantNotFound(t, map[string]func() error{
		"DeleteContact with the wrong account": func() error { return e.s.DeleteContact(e.ctx, fb.acct.ID, c.ID) },
		"DeleteContact of a missing contact":   func() error { return e.s.DeleteContact(e.ctx, a.ID, c.ID+keep.ID+fb.contact.ID+100) },
	})
	got, err := e.s.ContactByID(e.ctx, a.ID, c.ID)
	e.must(err, "ContactByID after a refused delete")
	check(t, "contact after a refused delete", got, c)
	tags, err := e.s.ContactTags(e.ctx, []int64{c.ID})
	e.must(err, "ContactTags")
	check(t, "tags after a refused delete", tags, map[int64][]string{c.ID: {"x", "y"}})
	hist, err := e.s.StatusHistory(e.ctx, m1.ID)
	e.must(err, "StatusHistory")
	if len(hist) != 1 {
		t.Errorf("%d status changes after a refused delete, want 1", len(hist))
	}

	e.must(e.s.DeleteContact(e.ctx, a.ID, c.ID), "DeleteContact")
	wantNotFound(t, map[string]func() error{
		"ContactByID after delete":      func() error { _, err := e.s.ContactByID(e.ctx, a.ID, c.ID); return err },
		"ContactByUUID after delete":    func() error { _, err := e.s.ContactByUUID(e.ctx, a.ID, c.UUID); return err },
		"ContactByAddress after delete": func() error { _, err := e.s.ContactByAddress(e.ctx, f.channel.ID, c.Address); return err },
		"MessageByID after delete":      func() error { _, err := e.s.MessageByID(e.ctx, a.ID, m1.ID); return err },
		"MessageByUUID after delete":    func() error { _, err := e.s.MessageByUUID(e.ctx, a.ID, m2.UUID); return err },
		"DeleteContact twice":           func() error { return e.s.DeleteContact(e.ctx, a.ID, c.ID) },
	})
	for _, m := range []carillon.Message{m1, m2} {
		hist, err := e.s.StatusHistory(e.ctx, m.ID)
		e.must(err, "StatusHistory")
		if len(hist) != 0 {
			t.Errorf("message %d of a deleted contact keeps %d status changes", m.ID, len(hist))
		}
	}
	msgs, n, err := e.s.ContactMessages(e.ctx, a.ID, c.ID, carillon.Page{Number: 1, Size: 100})
	e.must(err, "ContactMessages")
	if len(msgs) != 0 || n != 0 {
		t.Errorf("a deleted contact keeps %d messages (total %d)", len(msgs), n)
	}
	tags, err = e.s.ContactTags(e.ctx, []int64{c.ID, keep.ID})
	e.must(err, "ContactTags")
	check(t, "tags after delete", tags, map[int64][]string{c.ID: {}, keep.ID: {"x", "y"}})
	values, err := e.s.ContactFieldValues(e.ctx, []int64{c.ID, keep.ID})
	e.must(err, "ContactFieldValues")
	check(t, "field values after delete", values, map[int64]map[int64]string{c.ID: {}, keep.ID: {field.ID: "Pro"}})

	// Nothing else went: the other contacts, their messages and history,
	// the tags and fields themselves, the queue.
	got, err = e.s.ContactByID(e.ctx, a.ID, keep.ID)
	e.must(err, "ContactByID of another contact")
	check(t, "another contact after delete", got, keep)
	gotM, err := e.s.MessageByID(e.ctx, a.ID, km.ID)
	e.must(err, "MessageByID of another contact's message")
	check(t, "another contact's message after delete", gotM, km)
	hist, err = e.s.StatusHistory(e.ctx, km.ID)
	e.must(err, "StatusHistory")
	if len(hist) != 1 {
		t.Errorf("another contact's message has %d status changes after delete, want 1", len(hist))
	}
	got, err = e.s.ContactByID(e.ctx, fb.acct.ID, fb.contact.ID)
	e.must(err, "ContactByID of another account's contact")
	check(t, "another account's contact after delete", got, fb.contact)
	gotM, err = e.s.MessageByID(e.ctx, fb.acct.ID, fb.message.ID)
	e.must(err, "MessageByID of another account's message")
	check(t, "another account's message after delete", gotM, fb.message)
	tagList, err := e.s.ListTags(e.ctx, a.ID)
	e.must(err, "ListTags")
	check(t, "tags after delete", tagList, []carillon.Tag{tagX, tagY})
	if _, err := e.s.CustomFieldByName(e.ctx, a.ID, "Plan"); err != nil {
		t.Errorf("CustomFieldByName after delete: %v", err)
	}
	queued, err := e.s.QueuedMessages(e.ctx, "inst", 0, 100)
	e.must(err, "QueuedMessages")
	check(t, "queue after delete", ids(queued), []int64{fb.message.ID, km.ID})
	list, n, err := e.s.ListContacts(e.ctx, a.ID, carillon.ContactFilter{}, carillon.Page{Number: 1, Size: 100})
	e.must(err, "ListContacts")
	check(t, "contacts after delete", contactIDs(list), []int64{keep.ID})
	if n != 1 {
		t.Errorf("ListContacts total %d after delete, want 1", n)
	}
	// The address is free again.
	e.contact(f.channel, c.Address)
}

// Transactions

func testResourcesInTx(t *testing.T, e *env) {
	ctx := e.ctx
	f := e.fixture("a")
	a := f.acct
	u := e.user(a.ID, "u@example.com")
	tm := e.team(a.ID, "Team")
	cs := e.customStatus(a.ID, "Lunch")
	x, y := e.tag(a.ID, "x"), e.tag(a.ID, "y")
	field := e.field(a.ID, "Plan")
	e.must(e.s.SetContactTags(ctx, f.contact.ID, []int64{x.ID}), "SetContactTags")
	e.must(e.s.SetContactFieldValue(ctx, f.contact.ID, field.ID, "Free"), "SetContactFieldValue")
	e.must(e.s.AddTeamMember(ctx, tm.ID, u.ID, base), "AddTeamMember")
	st := carillon.UserStatus{Available: true, AvailabilityAt: base, CustomStatusID: cs.ID, CustomStatusAt: base}
	e.must(e.s.SetUserStatus(ctx, a.ID, u.ID, st), "SetUserStatus")
	boom := errors.New("boom")

	// Rolled back: nothing of it stays.
	err := e.s.InTx(ctx, func(q carillon.Queries) error {
		steps := []struct {
			name string
			fn   func() error
		}{
			{"SetContactTags", func() error { return q.SetContactTags(ctx, f.contact.ID, []int64{y.ID}) }},
			{"SetContactFieldValue", func() error { return q.SetContactFieldValue(ctx, f.contact.ID, field.ID, "") }},
			{"RemoveTeamMember", func() error { return q.RemoveTeamMember(ctx, tm.ID, u.ID) }},
			{"CreateTag", func() error { return q.CreateTag(ctx, &carillon.Tag{AccountID: a.ID, Name: "ghost", CreatedAt: base}) }},
			{"DeleteCustomStatus", func() error { return q.DeleteCustomStatus(ctx, a.ID, cs.ID) }},
			{"DeleteContact", func() error { return q.DeleteContact(ctx, a.ID, f.contact.ID) }},
		}
		for _, s := range steps {
			if err := s.fn(); err != nil {
				t.Errorf("%s inside the tx: %v", s.name, err)
			}
		}
		if _, err := q.ContactByID(ctx, a.ID, f.contact.ID); !errors.Is(err, carillon.ErrNotFound) {
			t.Errorf("the tx still sees the contact it deleted: %v", err)
		}
		if got, err := q.UserStatus(ctx, a.ID, u.ID); err != nil || got.CustomStatusID != 0 {
			t.Errorf("inside the tx, the user's custom status after its deletion: %d, %v", got.CustomStatusID, err)
		}
		return fmt.Errorf("failing on purpose: %w", boom)
	})
	if !errors.Is(err, boom) {
		t.Fatalf("InTx returned %v, want the function's error", err)
	}
	got, err := e.s.ContactByID(ctx, a.ID, f.contact.ID)
	e.must(err, "ContactByID after rollback")
	check(t, "contact after rollback", got, f.contact)
	gotM, err := e.s.MessageByID(ctx, a.ID, f.message.ID)
	e.must(err, "MessageByID after rollback")
	check(t, "message after rollback", gotM, f.message)
	tags, err := e.s.ContactTags(ctx, []int64{f.contact.ID})
	e.must(err, "ContactTags")
	check(t, "tags after rollback", tags, map[int64][]string{f.contact.ID: {"x"}})
	values, err := e.s.ContactFieldValues(ctx, []int64{f.contact.ID})
	e.must(err, "ContactFieldValues")
	check(t, "values after rollback", values, map[int64]map[int64]string{f.contact.ID: {field.ID: "Free"}})
	members, err := e.s.TeamMembers(ctx, tm.ID)
	e.must(err, "TeamMembers")
	check(t, "members after rollback", userEmails(members), []string{u.Email})
	_, err = e.s.TagByName(ctx, a.ID, "ghost")
	wantErr(t, "tag of a rolled back tx", err, carillon.ErrNotFound)
	_, err = e.s.CustomStatusByID(ctx, a.ID, cs.ID)
	e.must(err, "CustomStatusByID after rollback")
	gotS, err := e.s.UserStatus(ctx, a.ID, u.ID)
	e.must(err, "UserStatus after rollback")
	check(t, "user status after rollback", gotS, st)

	// Committed, with status history the tx added before deleting the
	// contact: none of it outlives the contact.
	err = e.s.InTx(ctx, func(q carillon.Queries) error {
		if err := q.AddStatusChange(ctx, carillon.StatusChange{MessageID: f.message.ID, Status: carillon.StatusSent, Applied: true, CreatedAt: base}); err != nil {
			return err
		}
		if err := q.DeleteCustomStatus(ctx, a.ID, cs.ID); err != nil {
			return err
		}
		return q.DeleteContact(ctx, a.ID, f.contact.ID)
	})
	e.must(err, "InTx")
	_, err = e.s.ContactByID(ctx, a.ID, f.contact.ID)
	wantErr(t, "contact deleted in a committed tx", err, carillon.ErrNotFound)
	hist, err := e.s.StatusHistory(ctx, f.message.ID)
	e.must(err, "StatusHistory")
	if len(hist) != 0 {
		t.Errorf("the deleted contact's message keeps %d status changes written in the same tx", len(hist))
	}
	gotS, err = e.s.UserStatus(ctx, a.ID, u.ID)
	e.must(err, "UserStatus")
	st.CustomStatusID = 0
	check(t, "user status after its custom status was deleted in a tx", gotS, st)
}
