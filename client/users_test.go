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

func TestUserStatus(t *testing.T) {
	const (
		user    = "3d2c1b0a9f8e4d7c6b5a4f3e2d1c0b9a"
		unknown = "00000000000000000000000000000000"
		lunch   = "9a4c1f3e-2b7d-4e8a-9f0c-1d2e3f4a5b6c"
	)
	var bodies []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		bodies = append(bodies, r.Method+" "+r.URL.Path+" "+string(b))
		switch {
		case r.URL.Path != "/v1/users/"+user+"/status":
			w.WriteHeader(http.StatusNotFound)
			_, _ = io.WriteString(w, `{"error":{"code":"not_found","message":"user not found"}}`)
		case r.Method == http.MethodDelete:
			w.WriteHeader(http.StatusNoContent)
		case string(b) == `{"custom_status_uuid":null}`:
			_, _ = io.WriteString(w, `{"user_status":{"custom_status":null,"appearance":{"available":false,"last_updated_at":"2026-11-25T22:21:11Z"}}}`)
		default:
			_, _ = io.WriteString(w, `{"user_status":{"custom_status":{"id":"`+lunch+`","name":"Lunch","last_updated_at":"2026-11-25T22:21:12Z"},"appearance":{"available":true,"last_updated_at":"2026-11-25T22:21:11Z"}}}`)
		}
	}))
	defer srv.Close()
	c := client.New(srv.URL, "crln_test")
	ctx := context.Background()

	yes := true
	st, err := c.SetUserStatus(ctx, user, client.UserStatusParams{Available: &yes, CustomStatusID: lunch})
	if err != nil || st.CustomStatus == nil || st.CustomStatus.ID != lunch || !st.Appearance.Available ||
		!st.CustomStatus.LastUpdatedAt.Time().Equal(time.Date(2026, 11, 25, 22, 21, 12, 0, time.UTC)) {
		t.Errorf("SetUserStatus = %+v, %v", st, err)
	}
	st, err = c.SetUserStatus(ctx, user, client.UserStatusParams{UnassignCustomStatus: true})
	if err != nil || st.CustomStatus != nil || st.Appearance.Available {
		t.Errorf("SetUserStatus unassigning = %+v, %v", st, err)
	}
	if err := c.ClearUserStatus(ctx, user); err != nil {
		t.Errorf("ClearUserStatus: %v", err)
	}
	var apiErr *client.Error
	if err := c.ClearUserStatus(ctx, unknown); !errors.As(err, &apiErr) || apiErr.StatusCode != 404 || apiErr.Code != "not_found" {
		t.Errorf("ClearUserStatus of an unknown user: %v", err)
	}
	want := []string{
		"PUT /v1/users/" + user + `/status {"available":true,"custom_status_uuid":"` + lunch + `"}`,
		"PUT /v1/users/" + user + `/status {"custom_status_uuid":null}`,
		"DELETE /v1/users/" + user + "/status ",
		"DELETE /v1/users/" + unknown + "/status ",
	}
	if len(bodies) != len(want) {
		t.Fatalf("requests %q, want %q", bodies, want)
	}
	for i := range want {
		if bodies[i] != want[i] {
			t.Errorf("request %d: %q, want %q", i, bodies[i], want[i])
		}
	}
}
