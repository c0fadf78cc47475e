package service_test

import (
	"context"
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/carillon/carillon"
	"github.com/carillon/carillon/internal/testrig"
	"github.com/carillon/carillon/service"
)

func ptr[T any](v T) *T { return &v }

// otherAccount makes a second account and returns its principal.
func otherAccount(t *testing.T, f *fixture) service.Principal {
	t.Helper()
	_, _, secret, err := f.svc.Accounts.SetupAccount(context.Background(), "other", true)
	if err != nil {
		t.Fatal(err)
	}
	p, err := f.svc.Accounts.Authenticate(context.Background(), secret)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestListPagination(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	now := time.Now()
	for i := range 30 {
		if err := f.db.CreateFunnel(ctx, &carillon.Funnel{UUID: carillon.NewDashedUUID(), AccountID: f.p.Account.ID,
			Name: fmt.Sprintf("stage %02d", i), Position: 30 - i, CreatedAt: now}); err != nil {
			t.Fatal(err)
		}
	}
	for _, tt := range []struct {
		name, page, items string
		wantLen           int
		wantPage, pages   int
		wantField         string
	}{
		{name: "defaults", wantLen: 25, wantPage: 1, pages: 2},
		{name: "second page", page: "2", wantLen: 5, wantPage: 2, pages: 2},
		{name: "beyond the last page", page: "9", wantLen: 0, wantPage: 9, pages: 2},
		{name: "page below 1 reads as 1", page: "0", wantLen: 25, wantPage: 1, pages: 2},
		{name: "ten items", items: "10", page: "3", wantLen: 10, wantPage: 3, pages: 3},
		{name: "items above 100 read as 100", items: "500", wantLen: 30, wantPage: 1, pages: 1},
		{name: "items below 1 read as 1", items: "0", wantLen: 1, wantPage: 1, pages: 30},
		{name: "the largest page", page: "9223372036854775807", items: "100", wantLen: 0, wantPage: math.MaxInt, pages: 1},
		{name: "a page whose offset overflows", page: "4611686018427387905", items: "2", wantLen: 0, wantPage: 4611686018427387905, pages: 15},
		{name: "a page beyond 64 bits reads as the largest", page: "99999999999999999999", wantLen: 0, wantPage: math.MaxInt, pages: 2},
		{name: "a page below -2^63 reads as 1", page: "-99999999999999999999", wantLen: 25, wantPage: 1, pages: 2},
		{name: "items beyond 64 bits read as 100", items: "99999999999999999999", wantLen: 30, wantPage: 1, pages: 1},
		{name: "page not a number", page: "two", wantField: "page"},
		{name: "items not a number", items: "1.5", wantField: "items"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			list, info, err := f.svc.Resources.ListFunnels(ctx, f.p, service.PageRequest{Page: tt.page, Items: tt.items})
			if tt.wantField != "" {
				wantCode(t, err, carillon.CodeInvalidParameter, tt.wantField)
				return
			}
			if err != nil || len(list) != tt.wantLen || info.Page != tt.wantPage || info.Pages != tt.pages {
				t.Fatalf("got %d funnels, %+v, %v; want %d, page %d of %d", len(list), info, err, tt.wantLen, tt.wantPage, tt.pages)
			}
		})
	}
	list, _, _ := f.svc.Resources.ListFunnels(ctx, f.p, service.PageRequest{Items: "2"})
	if len(list) != 2 || list[0].Position != 1 || list[1].Position != 2 {
		t.Errorf("funnels are not listed by position: %+v", list)
	}
	// An empty list has one page.
	other := otherAccount(t, f)
	if list, info, err := f.svc.Resources.ListFunnels(ctx, other, service.PageRequest{}); err != nil || len(list) != 0 || info.Pages != 1 {
		t.Errorf("another account's funnels: %v, %+v, %v", list, info, err)
	}
}

func TestChannels(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	now := time.Now()
	tg := carillon.Channel{UUID: carillon.NewUUID(), AccountID: f.p.Account.ID, Title: "bot", Type: carillon.Telegram,
		Provider: carillon.ProviderSandbox, DiscardedAt: now, CreatedAt: now, UpdatedAt: now}
	if err := f.db.CreateChannel(ctx, &tg); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name      string
		filter    service.ChannelFilter
		want      []string
		wantField string
	}{
		{name: "all", want: []string{f.sandbox.UUID, tg.UUID}},
		{name: "by type", filter: service.ChannelFilter{Type: "telegram"}, want: []string{tg.UUID}},
		{name: "active", filter: service.ChannelFilter{Active: "true"}, want: []string{f.sandbox.UUID}},
		{name: "discarded", filter: service.ChannelFilter{Active: "false"}, want: []string{tg.UUID}},
		{name: "no match", filter: service.ChannelFilter{Type: "instagram"}, want: []string{}},
		{name: "unknown type", filter: service.ChannelFilter{Type: "fax"}, wantField: "type"},
		{name: "active not a boolean", filter: service.ChannelFilter{Active: "yes"}, wantField: "active"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			list, _, err := f.svc.Resources.ListChannels(ctx, f.p, tt.filter, service.PageRequest{})
			if tt.wantField != "" {
				wantCode(t, err, carillon.CodeInvalidParameter, tt.wantField)
				return
			}
			got := []string{}
			for _, c := range list {
				got = append(got, c.UUID)
			}
			if err != nil || fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Fatalf("got %v, %v; want %v", got, err, tt.want)
			}
		})
	}

	other := otherAccount(t, f)
	for _, tt := range []struct {
		name  string
		p     service.Principal
		uuid  string
		title *string
		code  carillon.ErrorCode
		field string
		want  string
	}{
		{name: "rename", p: f.p, uuid: f.sandbox.UUID, title: ptr("  Support line "), want: "Support line"},
		{name: "no title keeps it", p: f.p, uuid: f.sandbox.UUID, want: "Support line"},
		{name: "same title again", p: f.p, uuid: f.sandbox.UUID, title: ptr("Support line"), want: "Support line"},
		{name: "another channel's title", p: f.p, uuid: tg.UUID, title: ptr("Support line"), code: carillon.CodeAlreadyExists, field: "title"},
		{name: "blank title", p: f.p, uuid: f.sandbox.UUID, title: ptr(" "), code: carillon.CodeInvalidParameter, field: "title"},
		{name: "title too long", p: f.p, uuid: f.sandbox.UUID, title: ptr(string(make([]byte, 256))), code: carillon.CodeInvalidParameter, field: "title"},
		{name: "another account's channel", p: other, uuid: f.sandbox.UUID, title: ptr("mine"), code: carillon.CodeNotFound},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ch, err := f.svc.Resources.UpdateChannel(ctx, tt.p, tt.uuid, service.ChannelUpdate{Title: tt.title})
			if tt.code != "" {
				wantCode(t, err, tt.code, tt.field)
				return
			}
			if err != nil || ch.Title != tt.want {
				t.Fatalf("got %q, %v; want %q", ch.Title, err, tt.want)
			}
			if got, err := f.svc.Resources.Channel(ctx, tt.p, tt.uuid); err != nil || got.Title != tt.want {
				t.Fatalf("read back %q, %v", got.Title, err)
			}
		})
	}
	_, err := f.svc.Resources.Channel(ctx, other, f.sandbox.UUID)
	wantCode(t, err, carillon.CodeNotFound, "")
}

func TestTeamsAndMembers(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	now := time.Now().Truncate(time.Second)
	teams, info, err := f.svc.Resources.ListTeams(ctx, f.p, service.PageRequest{})
	if err != nil || len(teams) != 1 || !teams[0].Default || info.Pages != 1 {
		t.Fatalf("ListTeams = %+v, %+v, %v", teams, info, err)
	}
	general := teams[0]
	sales := carillon.Team{UUID: carillon.NewUUID(), AccountID: f.p.Account.ID, Name: "Sales", CreatedAt: now}
	if err := f.db.CreateTeam(ctx, &sales); err != nil {
		t.Fatal(err)
	}
	lunch := carillon.CustomStatus{UUID: carillon.NewDashedUUID(), AccountID: f.p.Account.ID, Name: "Lunch", CreatedAt: now, UpdatedAt: now}
	if err := f.db.CreateCustomStatus(ctx, &lunch); err != nil {
		t.Fatal(err)
	}
	var users []carillon.User
	for i, email := range []string{"bo@example.com", "al@example.com", "cy@example.com"} {
		u := carillon.User{UUID: carillon.NewUUID(), AccountID: f.p.Account.ID, Email: email, Name: email[:2], CreatedAt: now}
		if err := f.db.CreateUser(ctx, &u); err != nil {
			t.Fatal(err)
		}
		if err := f.db.AddTeamMember(ctx, sales.ID, u.ID, now); err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			st := carillon.UserStatus{Available: true, AvailabilityAt: now.Add(time.Minute), CustomStatusID: lunch.ID, CustomStatusAt: now.Add(2 * time.Minute)}
			if err := f.db.SetUserStatus(ctx, f.p.Account.ID, u.ID, st); err != nil {
				t.Fatal(err)
			}
		}
		users = append(users, u)
	}

	for _, tt := range []struct {
		name, status, items, page string
		want                      []string
		field                     string
	}{
		{name: "all, by email", want: []string{"al@example.com", "bo@example.com", "cy@example.com"}},
		{name: "available", status: "available", want: []string{"bo@example.com"}},
		{name: "away", status: "away", want: []string{"al@example.com", "cy@example.com"}},
		{name: "paginated", items: "2", page: "2", want: []string{"cy@example.com"}},
		{name: "unknown status", status: "busy", field: "status"},
		{name: "bad items", items: "x", field: "items"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			list, _, err := f.svc.Resources.TeamMembers(ctx, f.p, sales.UUID, tt.status, service.PageRequest{Page: tt.page, Items: tt.items})
			if tt.field != "" {
				wantCode(t, err, carillon.CodeInvalidParameter, tt.field)
				return
			}
			got := []string{}
			for _, m := range list {
				got = append(got, m.User.Email)
			}
			if err != nil || fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Fatalf("got %v, %v; want %v", got, err, tt.want)
			}
		})
	}
	list, _, _ := f.svc.Resources.TeamMembers(ctx, f.p, sales.UUID, "available", service.PageRequest{})
	if m := list[0]; m.CustomStatus == nil || m.CustomStatus.UUID != lunch.UUID || !m.LastUpdatedAt().Equal(now.Add(2*time.Minute)) {
		t.Errorf("member %+v, last updated %v", m, m.LastUpdatedAt())
	}
	list, _, _ = f.svc.Resources.TeamMembers(ctx, f.p, sales.UUID, "", service.PageRequest{Items: "1"})
	if m := list[0]; m.CustomStatus != nil || !m.LastUpdatedAt().Equal(now) {
		t.Errorf("member without status %+v, last updated %v", m, m.LastUpdatedAt())
	}

	other := otherAccount(t, f)
	for _, tt := range []struct {
		name    string
		p       service.Principal
		uuid    string
		newName *string
		code    carillon.ErrorCode
		field   string
		want    string
		members int
	}{
		{name: "rename", p: f.p, uuid: sales.UUID, newName: ptr("Sales EU"), want: "Sales EU", members: 3},
		{name: "keep", p: f.p, uuid: sales.UUID, want: "Sales EU", members: 3},
		{name: "same name again", p: f.p, uuid: sales.UUID, newName: ptr("Sales EU"), want: "Sales EU", members: 3},
		{name: "another team's name", p: f.p, uuid: sales.UUID, newName: ptr(general.Name), code: carillon.CodeAlreadyExists, field: "name"},
		{name: "blank", p: f.p, uuid: sales.UUID, newName: ptr(""), code: carillon.CodeInvalidParameter, field: "name"},
		{name: "another account's team", p: other, uuid: sales.UUID, newName: ptr("x"), code: carillon.CodeNotFound},
	} {
		t.Run(tt.name, func(t *testing.T) {
			team, err := f.svc.Resources.UpdateTeam(ctx, tt.p, tt.uuid, service.TeamUpdate{Name: tt.newName})
			if tt.code != "" {
				wantCode(t, err, tt.code, tt.field)
				return
			}
			if err != nil || team.Name != tt.want || team.Members != tt.members {
				t.Fatalf("got %+v, %v", team, err)
			}
		})
	}
	if _, err := f.svc.Resources.Team(ctx, other, sales.UUID); err == nil {
		t.Error("another account read the team")
	}
	_, _, err = f.svc.Resources.TeamMembers(ctx, other, sales.UUID, "", service.PageRequest{})
	wantCode(t, err, carillon.CodeNotFound, "")
	if tm, err := f.svc.Resources.Team(ctx, f.p, sales.UUID); err != nil || tm.Members != 3 {
		t.Errorf("Team = %+v, %v", tm, err)
	}

	plan, err := f.svc.Resources.Plan(ctx, f.p)
	if err != nil || plan.ActiveUsers != len(users) || len(plan.Teams) != 2 || plan.Teams[1].Members != 3 || plan.IncludedChannels != nil || plan.Licenses != nil {
		t.Errorf("Plan = %+v, %v", plan, err)
	}
}

func TestPlanLimits(t *testing.T) {
	f := setup(t)
	svc := testrig.Service(t, service.Options{Store: f.db, InstanceID: "plan", PlanChannels: ptr(3), PlanLicenses: ptr(0), Registry: providers})
	plan, err := svc.Resources.Plan(context.Background(), f.p)
	if err != nil || plan.IncludedChannels == nil || *plan.IncludedChannels != 3 || plan.Licenses == nil || *plan.Licenses != 0 {
		t.Errorf("Plan = %+v, %v", plan, err)
	}
}

func TestTemplates(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	now := time.Now()
	mk := func(title string) carillon.Template {
		tp := carillon.Template{UUID: carillon.NewUUID(), AccountID: f.p.Account.ID, ChannelID: f.sandbox.ID, Title: title,
			Text: "Hello {{1}}", Type: "text", Category: "UTILITY", Status: "approved", Language: "en", CreatedAt: now, UpdatedAt: now}
		if err := f.db.CreateTemplate(ctx, &tp); err != nil {
			t.Fatal(err)
		}
		return tp
	}
	a, b := mk("order_shipped"), mk("order_paid")
	list, info, err := f.svc.Resources.ListTemplates(ctx, f.p, service.PageRequest{Items: "1", Page: "2"})
	if err != nil || len(list) != 1 || list[0].UUID != b.UUID || info.Pages != 2 {
		t.Fatalf("ListTemplates = %+v, %+v, %v", list, info, err)
	}
	other := otherAccount(t, f)
	for _, tt := range []struct {
		name  string
		p     service.Principal
		title *string
		code  carillon.ErrorCode
		field string
		want  string
	}{
		{name: "rename", p: f.p, title: ptr("order_sent"), want: "order_sent"},
		{name: "no title", p: f.p, want: "order_sent"},
		{name: "another template's title", p: f.p, title: ptr(b.Title), code: carillon.CodeAlreadyExists, field: "title"},
		{name: "blank", p: f.p, title: ptr("\t"), code: carillon.CodeInvalidParameter, field: "title"},
		{name: "another account's template", p: other, title: ptr("x"), code: carillon.CodeNotFound},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tp, err := f.svc.Resources.UpdateTemplate(ctx, tt.p, a.UUID, service.TemplateUpdate{Title: tt.title})
			if tt.code != "" {
				wantCode(t, err, tt.code, tt.field)
				return
			}
			if err != nil || tp.Title != tt.want || tp.Text != a.Text {
				t.Fatalf("got %+v, %v", tp, err)
			}
		})
	}
	_, err = f.svc.Resources.Template(ctx, other, a.UUID)
	wantCode(t, err, carillon.CodeNotFound, "")
}

func TestCustomStatuses(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	other := otherAccount(t, f)
	lunch, err := f.svc.Resources.CreateCustomStatus(ctx, f.p, service.CustomStatusInput{Name: ptr(" Lunch "), Emoji: ptr("🍔")})
	if err != nil || lunch.Name != "Lunch" || lunch.Emoji != "🍔" || len(lunch.UUID) != 36 {
		t.Fatalf("CreateCustomStatus = %+v, %v", lunch, err)
	}
	for _, tt := range []struct {
		name  string
		p     service.Principal
		in    service.CustomStatusInput
		code  carillon.ErrorCode
		field string
	}{
		{name: "no name", p: f.p, in: service.CustomStatusInput{Emoji: ptr("x")}, code: carillon.CodeInvalidParameter, field: "name"},
		{name: "blank name", p: f.p, in: service.CustomStatusInput{Name: ptr(" ")}, code: carillon.CodeInvalidParameter, field: "name"},
		{name: "name too long", p: f.p, in: service.CustomStatusInput{Name: ptr(string(make([]rune, 101)))}, code: carillon.CodeInvalidParameter, field: "name"},
		{name: "emoji too long", p: f.p, in: service.CustomStatusInput{Name: ptr("x"), Emoji: ptr(string(make([]rune, 33)))}, code: carillon.CodeInvalidParameter, field: "emoji"},
		{name: "name taken", p: f.p, in: service.CustomStatusInput{Name: ptr("Lunch")}, code: carillon.CodeAlreadyExists, field: "name"},
		{name: "same name in another account", p: other, in: service.CustomStatusInput{Name: ptr("Lunch")}},
		{name: "without emoji", p: f.p, in: service.CustomStatusInput{Name: ptr("Meeting")}},
	} {
		t.Run("create "+tt.name, func(t *testing.T) {
			_, err := f.svc.Resources.CreateCustomStatus(ctx, tt.p, tt.in)
			if tt.code != "" {
				wantCode(t, err, tt.code, tt.field)
			} else if err != nil {
				t.Fatal(err)
			}
		})
	}
	for _, tt := range []struct {
		name             string
		p                service.Principal
		in               service.CustomStatusInput
		code             carillon.ErrorCode
		field            string
		wantName, wantEm string
	}{
		{name: "rename", p: f.p, in: service.CustomStatusInput{Name: ptr("Lunch break")}, wantName: "Lunch break", wantEm: "🍔"},
		{name: "clear the emoji", p: f.p, in: service.CustomStatusInput{Emoji: ptr("")}, wantName: "Lunch break", wantEm: ""},
		{name: "name taken", p: f.p, in: service.CustomStatusInput{Name: ptr("Meeting")}, code: carillon.CodeAlreadyExists, field: "name"},
		{name: "blank name", p: f.p, in: service.CustomStatusInput{Name: ptr("")}, code: carillon.CodeInvalidParameter, field: "name"},
		{name: "another account's", p: other, in: service.CustomStatusInput{Name: ptr("x")}, code: carillon.CodeNotFound},
	} {
		t.Run("update "+tt.name, func(t *testing.T) {
			cs, err := f.svc.Resources.UpdateCustomStatus(ctx, tt.p, lunch.UUID, tt.in)
			if tt.code != "" {
				wantCode(t, err, tt.code, tt.field)
				return
			}
			if err != nil || cs.Name != tt.wantName || cs.Emoji != tt.wantEm {
				t.Fatalf("got %+v, %v", cs, err)
			}
		})
	}
	list, _, err := f.svc.Resources.ListCustomStatuses(ctx, f.p, service.PageRequest{})
	if err != nil || len(list) != 2 || list[0].UUID != lunch.UUID {
		t.Fatalf("ListCustomStatuses = %+v, %v", list, err)
	}
	wantCode(t, f.svc.Resources.DeleteCustomStatus(ctx, other, lunch.UUID), carillon.CodeNotFound, "")
	if err := f.svc.Resources.DeleteCustomStatus(ctx, f.p, lunch.UUID); err != nil {
		t.Fatal(err)
	}
	_, err = f.svc.Resources.CustomStatus(ctx, f.p, lunch.UUID)
	wantCode(t, err, carillon.CodeNotFound, "")
	wantCode(t, f.svc.Resources.DeleteCustomStatus(ctx, f.p, lunch.UUID), carillon.CodeNotFound, "")
}
