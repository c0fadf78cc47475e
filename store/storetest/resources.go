package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/carillon/carillon"
)

// The account's catalogues: tags, custom fields, funnel stages and custom
// statuses (store/resources.go).

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

	checkPages(t, "ListTags", []carillon.Tag{vip, uni, lead}, func(p carillon.Page) ([]carillon.Tag, int, error) {
		return e.s.ListTags(e.ctx, a.ID, p)
	})
	checkPages(t, "ListTags of a missing account", nil, func(p carillon.Page) ([]carillon.Tag, int, error) {
		return e.s.ListTags(e.ctx, a.ID+b.ID+100, p)
	})
}

// testDeleteTag deletes a tag: it leaves every contact that had it, and
// nothing of another tag or account changes.
func testDeleteTag(t *testing.T, e *env) {
	fa, fb := e.fixture("a"), e.fixture("b")
	a, b := fa.acct, fb.acct
	x, y, unused := e.tag(a.ID, "x"), e.tag(a.ID, "y"), e.tag(a.ID, "unused")
	xb := e.tag(b.ID, "x")
	c1, c2, c3 := fa.contact, e.contact(fa.channel, "5491100000002"), e.contact(fa.channel, "5491100000003")
	e.must(e.s.SetContactTags(e.ctx, c1.ID, []int64{x.ID, y.ID}), "SetContactTags")
	e.must(e.s.SetContactTags(e.ctx, c2.ID, []int64{x.ID}), "SetContactTags")
	e.must(e.s.SetContactTags(e.ctx, c3.ID, []int64{y.ID}), "SetContactTags")
	e.must(e.s.SetContactTags(e.ctx, fb.contact.ID, []int64{xb.ID}), "SetContactTags")
	tags := func(what string, want map[int64][]string) {
		t.Helper()
		ids := []int64{c1.ID, c2.ID, c3.ID, fb.contact.ID}
		got := e.contactTags(ids)
		for _, id := range ids {
			if len(got[id]) == 0 && len(want[id]) == 0 {
				continue
			}
			check(t, fmt.Sprintf("%s: tags of contact %d", what, id), got[id], want[id])
		}
	}
	before := map[int64][]string{c1.ID: {"x", "y"}, c2.ID: {"x"}, c3.ID: {"y"}, fb.contact.ID: {"x"}}

	for name, call := range map[string]func() (int, error){
		"DeleteTag with the wrong account": func() (int, error) { return e.s.DeleteTag(e.ctx, b.ID, x.ID) },
		"DeleteTag of a missing tag":       func() (int, error) { return e.s.DeleteTag(e.ctx, a.ID, x.ID+y.ID+unused.ID+xb.ID+100) },
	} {
		n, err := call()
		wantErr(t, name, err, carillon.ErrNotFound)
		if n != 0 {
			t.Errorf("%s: %d contacts", name, n)
		}
	}
	tags("after refused deletes", before)

	n, err := e.s.DeleteTag(e.ctx, a.ID, x.ID)
	e.must(err, "DeleteTag")
	if n != 2 {
		t.Errorf("DeleteTag: %d contacts had it, want 2", n)
	}
	tags("after DeleteTag", map[int64][]string{c1.ID: {"y"}, c3.ID: {"y"}, fb.contact.ID: {"x"}})
	n, err = e.s.DeleteTag(e.ctx, a.ID, unused.ID)
	e.must(err, "DeleteTag of a tag no contact has")
	if n != 0 {
		t.Errorf("DeleteTag of a tag no contact has: %d contacts", n)
	}
	wantNotFound(t, map[string]func() error{
		"TagByName after delete": func() error { _, err := e.s.TagByName(e.ctx, a.ID, "x"); return err },
		"DeleteTag twice":        func() error { _, err := e.s.DeleteTag(e.ctx, a.ID, x.ID); return err },
	})
	list, _, err := e.s.ListTags(e.ctx, a.ID, carillon.Page{Number: 1, Size: 100})
	e.must(err, "ListTags")
	check(t, "ListTags after delete", list, []carillon.Tag{y})
	got, err := e.s.TagByName(e.ctx, b.ID, "x")
	e.must(err, "TagByName of another account's tag")
	check(t, "another account's tag", got, xb)
	// The name may be used again.
	again := e.tag(a.ID, "X")
	e.must(e.s.SetContactTags(e.ctx, c2.ID, []int64{again.ID}), "SetContactTags")
	tags("after tagging with the new X", map[int64][]string{c1.ID: {"y"}, c2.ID: {"X"}, c3.ID: {"y"}, fb.contact.ID: {"x"}})
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

	checkPages(t, "ListCustomFields", []carillon.CustomField{want, addr}, func(p carillon.Page) ([]carillon.CustomField, int, error) {
		return e.s.ListCustomFields(e.ctx, a.ID, p)
	})
	checkPages(t, "ListCustomFields of a missing account", nil, func(p carillon.Page) ([]carillon.CustomField, int, error) {
		return e.s.ListCustomFields(e.ctx, a.ID+b.ID+100, p)
	})
	list, err := e.s.AllCustomFields(e.ctx, a.ID)
	e.must(err, "AllCustomFields")
	check(t, "AllCustomFields", list, []carillon.CustomField{want, addr})
	list, err = e.s.AllCustomFields(e.ctx, a.ID+b.ID+100)
	e.must(err, "AllCustomFields")
	if len(list) != 0 {
		t.Errorf("AllCustomFields of a missing account: %d fields", len(list))
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
	funnels := func(accountID int64) []carillon.Funnel {
		t.Helper()
		return whole(t, "ListFunnels", func(p carillon.Page) ([]carillon.Funnel, int, error) { return e.s.ListFunnels(e.ctx, accountID, p) })
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

	list := funnels(a.ID)
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
	list = funnels(a.ID)
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
	list = funnels(a.ID)
	check(t, "ListFunnels after refused changes", list, []carillon.Funnel{want, awareness, interest, tie})
	if list = funnels(a.ID + b.ID + 100); len(list) != 0 {
		t.Errorf("ListFunnels of a missing account: %d funnels", len(list))
	}
}

func testListFunnels(t *testing.T, e *env) {
	a, b := e.account("a"), e.account("b")
	mk := func(accountID int64, name string, pos int) carillon.Funnel {
		t.Helper()
		f := carillon.Funnel{UUID: carillon.NewDashedUUID(), AccountID: accountID, Name: name, Position: pos, CreatedAt: base}
		e.must(e.s.CreateFunnel(e.ctx, &f), "CreateFunnel")
		return f
	}
	// By position, then oldest first: the stages of one position fall
	// across a page's end.
	third := mk(a.ID, "Third", 3)
	firstA := mk(a.ID, "First A", 1)
	mk(b.ID, "Other", 1)
	second := mk(a.ID, "Second", 2)
	firstB := mk(a.ID, "First B", 1)
	firstC := mk(a.ID, "First C", 1)
	checkPages(t, "ListFunnels", []carillon.Funnel{firstA, firstB, firstC, second, third}, func(p carillon.Page) ([]carillon.Funnel, int, error) {
		return e.s.ListFunnels(e.ctx, a.ID, p)
	})
	checkPages(t, "ListFunnels of a missing account", nil, func(p carillon.Page) ([]carillon.Funnel, int, error) {
		return e.s.ListFunnels(e.ctx, a.ID+b.ID+100, p)
	})
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
	check(t, "ListCustomStatuses", customStatuses(t, e, a.ID), []carillon.CustomStatus{lunch, want})
	check(t, "ListCustomStatuses of the other account", customStatuses(t, e, b.ID), []carillon.CustomStatus{sb})
}

// customStatuses reads the account's custom statuses in one page.
func customStatuses(t *testing.T, e *env, accountID int64) []carillon.CustomStatus {
	t.Helper()
	return whole(t, "ListCustomStatuses", func(p carillon.Page) ([]carillon.CustomStatus, int, error) {
		return e.s.ListCustomStatuses(e.ctx, accountID, p)
	})
}

func testListCustomStatuses(t *testing.T, e *env) {
	a, b := e.account("a"), e.account("b")
	var all []carillon.CustomStatus
	for i, name := range []string{"Lunch", "Meeting", "Away", "Focus", "Commuting"} {
		all = append(all, e.customStatus(a.ID, name))
		if i == 2 {
			e.customStatus(b.ID, "Other")
		}
	}
	checkPages(t, "ListCustomStatuses", all, func(p carillon.Page) ([]carillon.CustomStatus, int, error) {
		return e.s.ListCustomStatuses(e.ctx, a.ID, p)
	})
	checkPages(t, "ListCustomStatuses of a missing account", nil, func(p carillon.Page) ([]carillon.CustomStatus, int, error) {
		return e.s.ListCustomStatuses(e.ctx, a.ID+b.ID+100, p)
	})
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
	check(t, "ListCustomStatuses after delete", customStatuses(t, e, a.ID), []carillon.CustomStatus{meeting})
	got, err := e.s.CustomStatusByID(e.ctx, b.ID, sb.ID)
	e.must(err, "CustomStatusByID")
	check(t, "the other account's status", got, sb)
	// The name is free again.
	e.customStatus(a.ID, "Lunch")
}

// testDeleteTagWhileTagging deletes a tag while another transaction gives
// it to a contact, each locking the tag first (LockTags) as the service
// does: whichever comes first, both commit, and the tag is left on no
// contact. Before the locks, on PostgreSQL, the deletion did not see the
// link written meanwhile and failed on it once that committed (a foreign
// key of contact_tags); the order of the two is made here by letting the
// second start while the first holds its transaction open.
func testDeleteTagWhileTagging(t *testing.T, e *env) {
	for _, tagFirst := range []bool{true, false} {
		f := e.fixture(fmt.Sprintf("tagging-%t", tagFirst))
		a := f.acct
		x, y := e.tag(a.ID, "x"), e.tag(a.ID, "y")
		other := e.contact(f.channel, "5491100000009")
		e.must(e.s.SetContactTags(e.ctx, other.ID, []int64{x.ID}), "SetContactTags")

		tagging := func(q carillon.Queries, held chan<- struct{}, release <-chan struct{}) ([]int64, error) {
			found, err := q.LockTags(e.ctx, a.ID, []int64{x.ID, y.ID}, false)
			if err != nil {
				return nil, err
			}
			if err := q.SetContactTags(e.ctx, f.contact.ID, found); err != nil {
				return nil, err
			}
			if held != nil {
				close(held)
				<-release
			}
			return found, nil
		}
		deleting := func(q carillon.Queries, held chan<- struct{}, release <-chan struct{}) (int, error) {
			locked, err := q.LockTags(e.ctx, a.ID, []int64{x.ID}, true)
			if err != nil || len(locked) != 1 {
				return 0, fmt.Errorf("LockTags for the deletion: %v, %v", locked, err)
			}
			n, err := q.DeleteTag(e.ctx, a.ID, x.ID)
			if err != nil {
				return 0, err
			}
			if held != nil {
				close(held)
				<-release
			}
			return n, nil
		}

		held, release := make(chan struct{}), make(chan struct{})
		var found []int64
		var n int
		var firstErr, secondErr error
		done := make(chan struct{})
		// The first holds its transaction open until the second has
		// started and had time to reach the tag.
		go func() {
			defer close(done)
			firstErr = e.s.InTx(e.ctx, func(q carillon.Queries) error {
				var err error
				if tagFirst {
					found, err = tagging(q, held, release)
				} else {
					n, err = deleting(q, held, release)
				}
				return err
			})
		}()
		<-held
		second := make(chan struct{})
		go func() {
			defer close(second)
			secondErr = e.s.InTx(e.ctx, func(q carillon.Queries) error {
				var err error
				if tagFirst {
					n, err = deleting(q, nil, nil)
				} else {
					found, err = tagging(q, nil, nil)
				}
				return err
			})
		}()
		time.Sleep(200 * time.Millisecond) // lets the second reach the lock: without it, the test can only pass
		close(release)
		<-done
		<-second
		if firstErr != nil || secondErr != nil {
			t.Fatalf("tag first %t: the first transaction: %v; the second: %v", tagFirst, firstErr, secondErr)
		}
		// The deletion took the tag off both contacts; the contact kept y.
		wantN, wantFound := 2, []int64{x.ID, y.ID}
		if !tagFirst {
			wantN, wantFound = 1, []int64{y.ID} // deleted before: the tagging found x gone
		}
		check(t, fmt.Sprintf("tag first %t: contacts that had the tag", tagFirst), n, wantN)
		check(t, fmt.Sprintf("tag first %t: tags found by the tagging", tagFirst), found, wantFound)
		got := e.contactTags([]int64{f.contact.ID, other.ID})
		check(t, fmt.Sprintf("tag first %t: tags after", tagFirst), got, map[int64][]string{f.contact.ID: {"y"}, other.ID: {}})
	}
}
