package e2e

import (
	"bytes"
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"
)

// The fixed times of the rows the test writes into the store, which the
// golden files keep as they are.
var (
	resourceTime  = time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	availableTime = time.Date(2026, 11, 20, 9, 30, 0, 0, time.UTC)
)

var (
	volatileUUID = regexp.MustCompile(`^([0-9a-f]{32}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$`)
	volatileTime = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$`)
)

// normalise replaces the identifiers in an answer by "<uuid>", and the
// times the server chose (not the test's fixed ones) by "<time>".
func normalise(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = normalise(e)
		}
	case []any:
		for i, e := range x {
			x[i] = normalise(e)
		}
	case string:
		switch {
		case volatileUUID.MatchString(x):
			return "<uuid>"
		case volatileTime.MatchString(x) && x != resourceTime.Format(time.RFC3339) && x != availableTime.Format(time.RFC3339):
			return "<time>"
		}
	}
	return v
}

// checkResourceGolden compares a normalised answer with its golden file
// testdata/resources/name.json.
func checkResourceGolden(t *testing.T, name string, r response) {
	t.Helper()
	checkNormalisedGolden(t, "resources", name, r, nil, nil)
}

// TestAccountResources drives the channels, teams, templates, funnels,
// custom statuses and plan endpoints through the real server, on each
// store, and checks every answer against its golden file; another
// account's key sees none of it.
func TestAccountResources(t *testing.T) {
	t.Parallel()
	eachStore(t, func(t *testing.T, kind string) {
		s := startServerOn(t, kind, "--plan-channels", "3")
		if res := s.admin(t, []string{"accounts", "create"}, "--name", "other"); res.Code != 0 {
			t.Fatalf("accounts create: exit %d: %s %s", res.Code, res.Stdout, res.Stderr)
		}
		res := s.admin(t, []string{"keys", "create"}, "--account", "other", "--name", "other")
		lines := strings.Split(strings.TrimSpace(res.Stdout), "\n")
		other := strings.TrimSpace(lines[len(lines)-1])
		if res.Code != 0 || !strings.HasPrefix(other, "crln_") {
			t.Fatalf("keys create --account other: exit %d: %s %s", res.Code, res.Stdout, res.Stderr)
		}

		lunch := s.do(t, "POST", "/v1/custom_statuses", s.Key, `{"name": "Lunch", "emoji": "🍔"}`)
		checkResourceGolden(t, "custom_status_create", lunch)
		lunchID, _ := object(t, lunch.JSON(t), "customStatus")["id"].(string)

		// The rows no endpoint makes yet, written into the store.
		if kind == storeSQLite {
			if err := s.stop(); err != nil {
				t.Fatal(err)
			}
		}
		db := s.openStore(t)
		at, availableAt := resourceTime.UnixMilli(), availableTime.UnixMilli()
		const otherChannel = "0b070b070b070b070b070b070b070b07" // a discarded Telegram channel
		var account, channel, lunchRow int64
		for _, q := range []struct {
			query string
			args  []any
			into  *int64
		}{
			{query: "SELECT id FROM accounts WHERE name = 'default'", into: &account},
			{query: "SELECT id FROM channels WHERE account_id = $1 AND main = 1", args: []any{&account}, into: &channel},
			{query: "SELECT id FROM custom_statuses WHERE uuid = $1", args: []any{lunchID}, into: &lunchRow},
		} {
			args := make([]any, len(q.args))
			for i, a := range q.args {
				if p, ok := a.(*int64); ok {
					a = *p
				}
				args[i] = a
			}
			if err := db.QueryRow(q.query, args...).Scan(q.into); err != nil {
				t.Fatalf("%s: %v", q.query, err)
			}
		}
		for _, stmt := range []struct {
			query string
			args  []any
		}{
			// The settings, sealed, are the main channel's.
			{"INSERT INTO channels (uuid, account_id, title, type, provider, main, settings, discarded_at, created_at, updated_at) SELECT $1, account_id, 'old bot', 'telegram', 'sandbox', 0, settings, $2, $3, $4 FROM channels WHERE id = $5",
				[]any{otherChannel, at, at, at, channel}},
			{"INSERT INTO teams (uuid, account_id, name, is_default, created_at) VALUES ($1, $2, 'Sales', 0, $3)", []any{"5a1e5a1e5a1e5a1e5a1e5a1e5a1e5a1e", account, at}},
			{"INSERT INTO users (uuid, account_id, email, name, created_at, available, availability_at, custom_status_id, custom_status_at) VALUES ($1, $2, 'alex@example.com', 'Alex', $3, 1, $4, $5, $6)",
				[]any{"a1e0a1e0a1e0a1e0a1e0a1e0a1e0a1e0", account, at, availableAt, lunchRow, availableAt}},
			{"INSERT INTO users (uuid, account_id, email, name, created_at) VALUES ($1, $2, 'kim@example.com', 'Kim', $3)", []any{"c1a0c1a0c1a0c1a0c1a0c1a0c1a0c1a0", account, at}},
			{"INSERT INTO team_members (team_id, user_id, added_at) SELECT teams.id, users.id, $1 FROM teams, users WHERE teams.name = 'Sales' AND users.account_id = $2", []any{at, account}},
			{"INSERT INTO templates (uuid, account_id, channel_id, title, text, type, category, status, language, created_at, updated_at) VALUES ($1, $2, $3, 'order_shipped', 'Hello {{1}}, your order has shipped.', 'text', 'UTILITY', 'approved', 'en', $4, $5)",
				[]any{"7e3a7e3a7e3a7e3a7e3a7e3a7e3a7e3a", account, channel, at, at}},
			{"INSERT INTO templates (uuid, account_id, channel_id, title, text, type, category, status, language, created_at, updated_at) VALUES ($1, $2, $3, 'order_paid', 'Paid, thank you {{1}}.', 'text', 'UTILITY', 'pending', 'en', $4, $5)",
				[]any{"7e3b7e3b7e3b7e3b7e3b7e3b7e3b7e3b", account, channel, at, at}},
			{"INSERT INTO funnels (uuid, account_id, name, emoji, position, created_at) VALUES ('f0000000-0000-4000-8000-000000000002', $1, 'Won', '🏆', 2, $2)", []any{account, at}},
			{"INSERT INTO funnels (uuid, account_id, name, emoji, position, created_at) VALUES ('f0000000-0000-4000-8000-000000000001', $1, 'Lead', '', 1, $2)", []any{account, at}},
		} {
			if _, err := db.Exec(stmt.query, stmt.args...); err != nil {
				t.Fatalf("%s: %v", stmt.query, err)
			}
		}
		if kind == storeSQLite {
			db.Close()
			s.restart()
		}

		chs := s.do(t, "GET", "/v1/channels", s.Key, "")
		var l struct{ Channels []struct{ UUID string } }
		if err := json.Unmarshal(chs.Body, &l); err != nil || len(l.Channels) != 2 {
			t.Fatalf("channels: %s", chs)
		}
		chUUID := l.Channels[0].UUID
		const (
			sales    = "5a1e5a1e5a1e5a1e5a1e5a1e5a1e5a1e"
			shipped  = "7e3a7e3a7e3a7e3a7e3a7e3a7e3a7e3a"
			unknown  = "0123456789abcdef0123456789abcdef"
			noStatus = "00000000-0000-4000-8000-000000000000"
		)
		for _, tc := range []struct {
			name, method, path, body string
			other                    bool // with the other account's key
			status                   int
		}{
			{name: "channels", method: "GET", path: "/v1/channels", status: 200},
			{name: "channels_active_whatsapp", method: "GET", path: "/v1/channels?type=whatsapp&active=true&page=1&items=100", status: 200},
			{name: "channels_none", method: "GET", path: "/v1/channels?type=instagram", status: 200},
			{name: "channels_discarded", method: "GET", path: "/v1/channels?active=false", status: 200},
			{name: "channels_page_2", method: "GET", path: "/v1/channels?page=2&items=1", status: 200},
			{name: "channels_type_unknown", method: "GET", path: "/v1/channels?type=sms", status: 422},
			{name: "channels_active_invalid", method: "GET", path: "/v1/channels?active=yes", status: 422},
			{name: "channels_page_invalid", method: "GET", path: "/v1/channels?page=first", status: 422},
			{name: "channel", method: "GET", path: "/v1/channels/" + chUUID, status: 200},
			{name: "channel_rename", method: "PATCH", path: "/v1/channels/" + chUUID, body: `{"title": "  Support line "}`, status: 200},
			{name: "channel_rename_taken", method: "PATCH", path: "/v1/channels/" + otherChannel, body: `{"title": "Support line"}`, status: 422},
			{name: "channel_rename_blank", method: "PATCH", path: "/v1/channels/" + chUUID, body: `{"title": ""}`, status: 422},
			{name: "channel_rename_number", method: "PATCH", path: "/v1/channels/" + chUUID, body: `{"title": 7}`, status: 422},
			{name: "channel_other_account", method: "GET", path: "/v1/channels/" + chUUID, other: true, status: 404},
			{name: "channel_rename_other_account", method: "PATCH", path: "/v1/channels/" + chUUID, body: `{"title": "mine"}`, other: true, status: 404},
			{name: "channels_other_account", method: "GET", path: "/v1/channels", other: true, status: 200},

			{name: "teams", method: "GET", path: "/v1/teams", status: 200},
			{name: "teams_items_invalid", method: "GET", path: "/v1/teams?items=many", status: 422},
			{name: "team", method: "GET", path: "/v1/teams/" + sales, status: 200},
			{name: "team_rename", method: "PATCH", path: "/v1/teams/" + sales, body: `{"name": "Sales EU"}`, status: 200},
			{name: "team_rename_taken", method: "PATCH", path: "/v1/teams/" + sales, body: `{"name": "General"}`, status: 422},
			{name: "team_unknown", method: "GET", path: "/v1/teams/" + unknown, status: 404},
			{name: "team_other_account", method: "GET", path: "/v1/teams/" + sales, other: true, status: 404},
			{name: "team_members", method: "GET", path: "/v1/teams/" + sales + "/members", status: 200},
			{name: "team_members_available", method: "GET", path: "/v1/teams/" + sales + "/members?status=available", status: 200},
			{name: "team_members_away_page_2", method: "GET", path: "/v1/teams/" + sales + "/members?status=away&page=2&items=1", status: 200},
			{name: "team_members_status_invalid", method: "GET", path: "/v1/teams/" + sales + "/members?status=busy", status: 422},
			{name: "team_members_other_account", method: "GET", path: "/v1/teams/" + sales + "/members", other: true, status: 404},

			{name: "templates", method: "GET", path: "/v1/templates", status: 200},
			{name: "templates_page_2", method: "GET", path: "/v1/templates?page=2&items=1", status: 200},
			{name: "template", method: "GET", path: "/v1/templates/" + shipped, status: 200},
			{name: "template_rename", method: "PATCH", path: "/v1/templates/" + shipped, body: `{"title": "order_sent"}`, status: 200},
			{name: "template_rename_taken", method: "PATCH", path: "/v1/templates/" + shipped, body: `{"title": "order_paid"}`, status: 422},
			{name: "template_other_account", method: "GET", path: "/v1/templates/" + shipped, other: true, status: 404},
			{name: "templates_other_account", method: "GET", path: "/v1/templates", other: true, status: 200},

			{name: "funnels", method: "GET", path: "/v1/funnels", status: 200},
			{name: "funnels_other_account", method: "GET", path: "/v1/funnels", other: true, status: 200},

			{name: "custom_status_create_taken", method: "POST", path: "/v1/custom_statuses", body: `{"name": "Lunch"}`, status: 422},
			{name: "custom_status_create_without_name", method: "POST", path: "/v1/custom_statuses", body: `{"emoji": "🍔"}`, status: 422},
			{name: "custom_status_create_other_account", method: "POST", path: "/v1/custom_statuses", body: `{"name": "Lunch"}`, other: true, status: 200},
			{name: "custom_status_create_without_emoji", method: "POST", path: "/v1/custom_statuses", body: `{"name": "In a meeting"}`, status: 200},
			{name: "custom_statuses", method: "GET", path: "/v1/custom_statuses", status: 200},
			{name: "custom_status", method: "GET", path: "/v1/custom_statuses/" + lunchID, status: 200},
			{name: "custom_status_update", method: "PUT", path: "/v1/custom_statuses/" + lunchID, body: `{"name": "Lunch break"}`, status: 200},
			{name: "custom_status_update_taken", method: "PUT", path: "/v1/custom_statuses/" + lunchID, body: `{"name": "In a meeting"}`, status: 422},
			{name: "custom_status_other_account", method: "GET", path: "/v1/custom_statuses/" + lunchID, other: true, status: 404},
			{name: "custom_status_delete_other_account", method: "DELETE", path: "/v1/custom_statuses/" + lunchID, other: true, status: 404},
			{name: "custom_status_unknown", method: "GET", path: "/v1/custom_statuses/" + noStatus, status: 404},
			{name: "custom_status_delete", method: "DELETE", path: "/v1/custom_statuses/" + lunchID, status: 200},
			{name: "custom_status_deleted", method: "GET", path: "/v1/custom_statuses/" + lunchID, status: 404},
			{name: "team_members_after_delete", method: "GET", path: "/v1/teams/" + sales + "/members?status=available", status: 200},

			{name: "plan", method: "GET", path: "/v1/plan", status: 200},
			{name: "plan_other_account", method: "GET", path: "/v1/plan", other: true, status: 200},
		} {
			key := s.Key
			if tc.other {
				key = other
			}
			r := s.do(t, tc.method, tc.path, key, tc.body)
			if r.Code != tc.status {
				t.Errorf("%s: %s %s answered %s, want %d", tc.name, tc.method, tc.path, r, tc.status)
				continue
			}
			if tc.other {
				for _, mine := range []string{chUUID, otherChannel, sales, shipped, lunchID} {
					if bytes.Contains(r.Body, []byte(mine)) {
						t.Errorf("%s: another account's answer shows %s: %s", tc.name, mine, r)
					}
				}
			}
			checkResourceGolden(t, tc.name, r)
		}
	})
}
