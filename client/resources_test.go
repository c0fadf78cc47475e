package client_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/carillon/carillon/client"
)

// fakeAPI answers one canned body per "METHOD path?query", and records the
// request bodies it got.
type fakeAPI struct {
	t       *testing.T
	answers map[string]string
	bodies  map[string]string
}

func (f *fakeAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Authorization") != "Bearer crln_test" {
		f.t.Errorf("%s %s: Authorization %q", r.Method, r.URL, r.Header.Get("Authorization"))
	}
	key := r.Method + " " + r.URL.RequestURI()
	b, _ := io.ReadAll(r.Body)
	f.bodies[key] = string(b)
	body, ok := f.answers[key]
	if !ok {
		w.WriteHeader(http.StatusNotFound)
		_, _ = io.WriteString(w, `{"error":{"code":"not_found","message":"`+key+` not found"}}`)
		return
	}
	if r.Method == http.MethodPost && r.URL.Path == "/v1/custom_statuses" && string(b) == `{"name":"Lunch"}` {
		w.WriteHeader(http.StatusUnprocessableEntity)
		_, _ = io.WriteString(w, body)
		return
	}
	_, _ = io.WriteString(w, body)
}

const (
	channelJSON = `{"uuid":"b4f1c7d2e8a94f0b9c3d2e1f0a9b8c7d","title":"Support","type":"whatsapp","main":true,"discardedAt":null}`
	teamJSON    = `{"uuid":"0c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f","name":"Sales","createdAt":"2026-11-25T22:21:11Z","default":false,"members":2}`
	tmplJSON    = `{"uuid":"6e2f0a9b8c7d4e3f2a1b0c9d8e7f6a5b","title":"order_shipped","text":"Hi {{1}}","templateType":"text","category":"UTILITY","status":"approved","createdAt":"2026-11-25T22:21:11Z"}`
	statusJSON  = `{"id":"9a4c1f3e-2b7d-4e8a-9f0c-1d2e3f4a5b6c","name":"Lunch","emoji":"🍔","createdAt":"2026-11-25T22:21:11Z","updatedAt":"2026-11-25T22:21:12Z"}`
	meta        = `"meta":{"page":2,"pages":3}`
)

func TestResources(t *testing.T) {
	f := &fakeAPI{t: t, bodies: map[string]string{}, answers: map[string]string{
		"GET /v1/channels?active=false&items=10&page=2&type=whatsapp": `{"channels":[` + channelJSON + `],` + meta + `}`,
		"GET /v1/channels/b4f1c7d2e8a94f0b9c3d2e1f0a9b8c7d":           `{"channel":` + channelJSON + `}`,
		"PATCH /v1/channels/b4f1c7d2e8a94f0b9c3d2e1f0a9b8c7d":         `{"channel":` + channelJSON + `}`,
		"GET /v1/teams": `{"teams":[` + teamJSON + `],` + meta + `}`,
		"GET /v1/teams/0c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f":   `{"team":` + teamJSON + `}`,
		"PATCH /v1/teams/0c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f": `{"team":` + teamJSON + `}`,
		"GET /v1/teams/0c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f/members?items=5&status=available": `{"users":[` +
			`{"email":"al@example.com","name":"Al","available":true,"lastUpdatedAt":"2026-11-25T22:21:11Z","userCustomStatus":{"id":"9a4c1f3e-2b7d-4e8a-9f0c-1d2e3f4a5b6c","name":"Lunch","emoji":null,"updatedAt":"2026-11-25T22:21:11Z"},"uuid":"3d2c1b0a9f8e4d7c6b5a4f3e2d1c0b9a"},` +
			`{"email":"bo@example.com","name":"Bo","available":true,"lastUpdatedAt":"2026-11-25T22:21:11Z","uuid":"4d2c1b0a9f8e4d7c6b5a4f3e2d1c0b9a"}],` + meta + `}`,
		"GET /v1/templates?page=3":                                        `{"templates":[` + tmplJSON + `],` + meta + `}`,
		"GET /v1/templates/6e2f0a9b8c7d4e3f2a1b0c9d8e7f6a5b":              `{"template":` + tmplJSON + `}`,
		"PATCH /v1/templates/6e2f0a9b8c7d4e3f2a1b0c9d8e7f6a5b":            `{"template":` + tmplJSON + `}`,
		"GET /v1/funnels":                                                 `{"funnels":[{"uuid":"1f2e3d4c-5b6a-4978-8a9b-0c1d2e3f4a5b","name":"Lead","emoji":null,"position":1,"createdAt":"2026-11-25T22:21:11Z"}],` + meta + `}`,
		"GET /v1/custom_statuses":                                         `{"customStatuses":[` + statusJSON + `],` + meta + `}`,
		"GET /v1/custom_statuses/9a4c1f3e-2b7d-4e8a-9f0c-1d2e3f4a5b6c":    `{"customStatus":` + statusJSON + `}`,
		"POST /v1/custom_statuses":                                        `{"error":{"code":"already_exists","message":"taken","field":"name"}}`,
		"PUT /v1/custom_statuses/9a4c1f3e-2b7d-4e8a-9f0c-1d2e3f4a5b6c":    `{"customStatus":` + statusJSON + `}`,
		"DELETE /v1/custom_statuses/9a4c1f3e-2b7d-4e8a-9f0c-1d2e3f4a5b6c": `{"status":"custom status was destroyed"}`,
		"GET /v1/plan": `{"plan":"self_hosted","includedChannels":null,"licenses":5,"activeUsers":2,"teams":[` + teamJSON + `]}`,
	}}
	srv := httptest.NewServer(f)
	defer srv.Close()
	c := client.New(srv.URL+"/", "crln_test")
	ctx := context.Background()
	wantMeta := client.Meta{Page: 2, Pages: 3}
	created := time.Date(2026, 11, 25, 22, 21, 11, 0, time.UTC)

	inactive := false
	chs, m, err := c.Channels(ctx, client.ChannelFilter{Type: "whatsapp", Active: &inactive, ListParams: client.ListParams{Page: 2, Items: 10}})
	if err != nil || len(chs) != 1 || m != wantMeta || chs[0].Title != "Support" || !chs[0].Main || !chs[0].DiscardedAt.Time().IsZero() {
		t.Errorf("Channels = %+v, %+v, %v", chs, m, err)
	}
	if ch, err := c.Channel(ctx, "b4f1c7d2e8a94f0b9c3d2e1f0a9b8c7d"); err != nil || ch.UUID != "b4f1c7d2e8a94f0b9c3d2e1f0a9b8c7d" {
		t.Errorf("Channel = %+v, %v", ch, err)
	}
	if _, err := c.RenameChannel(ctx, "b4f1c7d2e8a94f0b9c3d2e1f0a9b8c7d", "Support"); err != nil ||
		f.bodies["PATCH /v1/channels/b4f1c7d2e8a94f0b9c3d2e1f0a9b8c7d"] != `{"title":"Support"}` {
		t.Errorf("RenameChannel: %v, sent %s", err, f.bodies["PATCH /v1/channels/b4f1c7d2e8a94f0b9c3d2e1f0a9b8c7d"])
	}

	teams, m, err := c.Teams(ctx, client.ListParams{})
	if err != nil || len(teams) != 1 || m != wantMeta || teams[0].Members != 2 || !teams[0].CreatedAt.Time().Equal(created) {
		t.Errorf("Teams = %+v, %+v, %v", teams, m, err)
	}
	if tm, err := c.Team(ctx, "0c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f"); err != nil || tm.Name != "Sales" {
		t.Errorf("Team = %+v, %v", tm, err)
	}
	if _, err := c.RenameTeam(ctx, "0c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f", "Sales"); err != nil ||
		f.bodies["PATCH /v1/teams/0c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f"] != `{"name":"Sales"}` {
		t.Errorf("RenameTeam: %v", err)
	}
	users, m, err := c.TeamMembers(ctx, "0c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f", client.TeamMembersParams{Status: "available", ListParams: client.ListParams{Items: 5}})
	if err != nil || len(users) != 2 || m != wantMeta || users[0].UserCustomStatus == nil || users[0].UserCustomStatus.Name != "Lunch" ||
		users[1].UserCustomStatus != nil || users[1].UUID != "4d2c1b0a9f8e4d7c6b5a4f3e2d1c0b9a" {
		t.Errorf("TeamMembers = %+v, %+v, %v", users, m, err)
	}

	tps, m, err := c.Templates(ctx, client.ListParams{Page: 3})
	if err != nil || len(tps) != 1 || m != wantMeta || tps[0].TemplateType != "text" || tps[0].Category != "UTILITY" {
		t.Errorf("Templates = %+v, %+v, %v", tps, m, err)
	}
	if tp, err := c.Template(ctx, "6e2f0a9b8c7d4e3f2a1b0c9d8e7f6a5b"); err != nil || tp.Text != "Hi {{1}}" {
		t.Errorf("Template = %+v, %v", tp, err)
	}
	if _, err := c.RenameTemplate(ctx, "6e2f0a9b8c7d4e3f2a1b0c9d8e7f6a5b", "order_shipped"); err != nil ||
		f.bodies["PATCH /v1/templates/6e2f0a9b8c7d4e3f2a1b0c9d8e7f6a5b"] != `{"title":"order_shipped"}` {
		t.Errorf("RenameTemplate: %v", err)
	}

	fs, m, err := c.Funnels(ctx, client.ListParams{})
	if err != nil || len(fs) != 1 || m != wantMeta || fs[0].Position != 1 || fs[0].Emoji != nil {
		t.Errorf("Funnels = %+v, %+v, %v", fs, m, err)
	}

	css, m, err := c.CustomStatuses(ctx, client.ListParams{})
	if err != nil || len(css) != 1 || m != wantMeta || css[0].Emoji == nil || *css[0].Emoji != "🍔" || css[0].UpdatedAt.Time().Equal(css[0].CreatedAt.Time()) {
		t.Errorf("CustomStatuses = %+v, %+v, %v", css, m, err)
	}
	const id = "9a4c1f3e-2b7d-4e8a-9f0c-1d2e3f4a5b6c"
	if cs, err := c.CustomStatus(ctx, id); err != nil || cs.ID != id {
		t.Errorf("CustomStatus = %+v, %v", cs, err)
	}
	name, empty := "Lunch", ""
	_, err = c.CreateCustomStatus(ctx, client.CustomStatusParams{Name: &name})
	var apiErr *client.Error
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 422 || apiErr.Code != "already_exists" || apiErr.Field != "name" {
		t.Errorf("CreateCustomStatus with a name in use: %v", err)
	}
	if _, err := c.UpdateCustomStatus(ctx, id, client.CustomStatusParams{Emoji: &empty}); err != nil || f.bodies["PUT /v1/custom_statuses/"+id] != `{"emoji":""}` {
		t.Errorf("UpdateCustomStatus: %v, sent %s", err, f.bodies["PUT /v1/custom_statuses/"+id])
	}
	if err := c.DeleteCustomStatus(ctx, id); err != nil {
		t.Errorf("DeleteCustomStatus: %v", err)
	}
	if _, err := c.CustomStatus(ctx, "00000000-0000-0000-0000-000000000000"); !errors.As(err, &apiErr) || apiErr.StatusCode != 404 {
		t.Errorf("an unknown custom status: %v", err)
	}

	plan, err := c.Plan(ctx)
	if err != nil || plan.Plan != "self_hosted" || plan.IncludedChannels != nil || plan.Licenses == nil || *plan.Licenses != 5 || plan.ActiveUsers != 2 || len(plan.Teams) != 1 {
		t.Errorf("Plan = %+v, %v", plan, err)
	}
}
