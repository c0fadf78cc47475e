package client

import (
	"context"
	"net/http"
	"net/url"

	"github.com/carillon/carillon/wire"
)

// UserStatusParams are the parameters of PUT /v1/users/:uuid/status: at
// least one of Available, CustomStatusID and UnassignCustomStatus.
type UserStatusParams struct {
	// Available, when not nil, sets whether the user is available.
	Available *bool
	// CustomStatusID, when set, is the custom status (a dashed id) the
	// user shows from now on.
	CustomStatusID string
	// UnassignCustomStatus sends custom_status_uuid null: the user shows
	// no custom status. CustomStatusID wins when both are set.
	UnassignCustomStatus bool
}

func (p UserStatusParams) body() map[string]any {
	b := map[string]any{}
	if p.Available != nil {
		b["available"] = *p.Available
	}
	switch {
	case p.CustomStatusID != "":
		b["custom_status_uuid"] = p.CustomStatusID
	case p.UnassignCustomStatus:
		b["custom_status_uuid"] = nil
	}
	return b
}

// UserStatus is a user's status as PUT /v1/users/:uuid/status answers it.
// CustomStatus is nil when the user shows none.
type UserStatus = wire.UserStatus

// UserStatusCustom is the custom status a user shows, and when the user
// took it.
type UserStatusCustom = wire.UserStatusCustom

// UserAppearance is a user's availability, and when it last changed.
type UserAppearance = wire.UserAppearance

func userStatusPath(uuid string) string { return "/v1/users/" + url.PathEscape(uuid) + "/status" }

// SetUserStatus sets a user's availability and/or custom status (PUT
// /v1/users/:uuid/status).
func (c *Client) SetUserStatus(ctx context.Context, uuid string, p UserStatusParams) (UserStatus, error) {
	var out struct {
		UserStatus UserStatus `json:"user_status"`
	}
	_, err := c.Do(ctx, http.MethodPut, userStatusPath(uuid), p.body(), &out, nil)
	return out.UserStatus, err
}

// ClearUserStatus unassigns a user's custom status (DELETE
// /v1/users/:uuid/status).
func (c *Client) ClearUserStatus(ctx context.Context, uuid string) error {
	_, err := c.Do(ctx, http.MethodDelete, userStatusPath(uuid), nil, nil, nil)
	return err
}
