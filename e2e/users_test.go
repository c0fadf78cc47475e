package e2e

import (
	"strings"
	"testing"
)

// TestUserStatus sets and clears a user's status through the real server,
// on each store, for a user and custom statuses that carillon apply made;
// another account's key sees none of them.
func TestUserStatus(t *testing.T) {
	t.Parallel()
	eachStore(t, func(t *testing.T, kind string) {
		s := startServerOn(t, kind)
		ids := applyAccount(t, s)
		if res := s.admin(t, []string{"accounts", "create"}, "--name", "other"); res.Code != 0 {
			t.Fatalf("accounts create: exit %d: %s %s", res.Code, res.Stdout, res.Stderr)
		}
		res := s.admin(t, []string{"keys", "create"}, "--account", "other", "--name", "other")
		lines := strings.Split(strings.TrimSpace(res.Stdout), "\n")
		other := strings.TrimSpace(lines[len(lines)-1])
		if res.Code != 0 || !strings.HasPrefix(other, "crln_") {
			t.Fatalf("keys create --account other: exit %d: %s %s", res.Code, res.Stdout, res.Stderr)
		}
		ana, lunch, meeting := ids["user ana@example.com"], ids["custom status Lunch"], ids["custom status Meeting"]
		path := "/v1/users/" + ana + "/status"
		for _, tc := range []struct {
			name, method, path, body string
			other                    bool
			status                   int
			wantCustom               string // for a 200: the custom status shown, "" for none
		}{
			{name: "available", method: "PUT", path: path, body: `{"available": true}`, status: 200},
			{name: "custom_status", method: "PUT", path: path, body: `{"custom_status_uuid": "` + lunch + `"}`, status: 200, wantCustom: lunch},
			{name: "both", method: "PUT", path: path, body: `{"available": false, "custom_status_uuid": "` + meeting + `"}`, status: 200, wantCustom: meeting},
			{name: "unassign_with_null", method: "PUT", path: path, body: `{"custom_status_uuid": null}`, status: 200},
			{name: "neither", method: "PUT", path: path, body: `{}`, status: 422},
			{name: "unknown_custom_status", method: "PUT", path: path, body: `{"custom_status_uuid": "00000000-0000-4000-8000-000000000000"}`, status: 422},
			{name: "available_not_a_boolean", method: "PUT", path: path, body: `{"available": "yes"}`, status: 422},
			{name: "unknown_user", method: "PUT", path: "/v1/users/0123456789abcdef0123456789abcdef/status", body: `{"available": true}`, status: 404},
			{name: "other_account", method: "PUT", path: path, body: `{"available": true}`, other: true, status: 404},
			{name: "again_custom_status", method: "PUT", path: path, body: `{"custom_status_uuid": "` + lunch + `"}`, status: 200, wantCustom: lunch},
			{name: "clear_other_account", method: "DELETE", path: path, other: true, status: 404},
			{name: "clear_unknown_user", method: "DELETE", path: "/v1/users/0123456789abcdef0123456789abcdef/status", status: 404},
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
			if r.Code == 200 {
				custom, _ := object(t, r.JSON(t), "user_status")["custom_status"].(map[string]any)
				if got, _ := custom["id"].(string); got != tc.wantCustom {
					t.Errorf("%s: custom status %q, want %q: %s", tc.name, got, tc.wantCustom, r)
				}
			}
			checkDirGolden(t, "users", tc.name, r)
		}

		// The team member shows what was set; DELETE takes the custom
		// status away and leaves the availability.
		members := s.do(t, "GET", "/v1/teams/"+ids["team Support"]+"/members", s.Key, "")
		if !strings.Contains(string(members.Body), `"userCustomStatus":{"id":"`+lunch+`"`) {
			t.Errorf("members after the status was set: %s", members)
		}
		if r := s.do(t, "DELETE", path, s.Key, ""); r.Code != 204 || len(r.Body) != 0 {
			t.Errorf("DELETE %s answered %s, want 204 without a body", path, r)
		}
		members = s.do(t, "GET", "/v1/teams/"+ids["team Support"]+"/members?status=away", s.Key, "")
		checkDirGolden(t, "users", "members_after_clear", members)
		if r := s.do(t, "DELETE", path, s.Key, ""); r.Code != 204 {
			t.Errorf("a second DELETE %s answered %s, want 204", path, r)
		}
	})
}
