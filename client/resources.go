package client

import (
	"context"
	"net/http"
	"net/url"
	"strconv"

	"github.com/carillon/carillon/wire"
)

// ListParams select a page of a list: zero values take the server's
// defaults (page 1, 25 items).
type ListParams struct {
	Page  int
	Items int
}

func (p ListParams) values() url.Values {
	v := url.Values{}
	if p.Page != 0 {
		v.Set("page", strconv.Itoa(p.Page))
	}
	if p.Items != 0 {
		v.Set("items", strconv.Itoa(p.Items))
	}
	return v
}

// withQuery appends the query to path, when there is one.
func withQuery(path string, v url.Values) string {
	if len(v) == 0 {
		return path
	}
	return path + "?" + v.Encode()
}

// Meta is where a page stands in its list.
type Meta = wire.Meta

// Channel is one of the account's channels. DiscardedAt is zero while the
// channel is active.
type Channel = wire.Channel

// ChannelFilter selects channels: Type a channel type, Active true or false
// (nil: both).
type ChannelFilter struct {
	Type   string
	Active *bool
	ListParams
}

// Channels lists the account's channels (GET /v1/channels).
func (c *Client) Channels(ctx context.Context, f ChannelFilter) ([]Channel, Meta, error) {
	v := f.values()
	if f.Type != "" {
		v.Set("type", f.Type)
	}
	if f.Active != nil {
		v.Set("active", strconv.FormatBool(*f.Active))
	}
	var out struct {
		Channels []Channel `json:"channels"`
		Meta     Meta      `json:"meta"`
	}
	_, err := c.Do(ctx, http.MethodGet, withQuery("/v1/channels", v), nil, &out, nil)
	return out.Channels, out.Meta, err
}

type channelEnvelope struct {
	Channel Channel `json:"channel"`
}

// Channel reads one channel (GET /v1/channels/:uuid).
func (c *Client) Channel(ctx context.Context, uuid string) (Channel, error) {
	var out channelEnvelope
	_, err := c.Do(ctx, http.MethodGet, "/v1/channels/"+url.PathEscape(uuid), nil, &out, nil)
	return out.Channel, err
}

// RenameChannel changes a channel's title (PATCH /v1/channels/:uuid).
func (c *Client) RenameChannel(ctx context.Context, uuid, title string) (Channel, error) {
	var out channelEnvelope
	_, err := c.Do(ctx, http.MethodPatch, "/v1/channels/"+url.PathEscape(uuid), map[string]string{"title": title}, &out, nil)
	return out.Channel, err
}

// Team is one of the account's teams; Members counts its users.
type Team = wire.Team

// Teams lists the account's teams (GET /v1/teams).
func (c *Client) Teams(ctx context.Context, p ListParams) ([]Team, Meta, error) {
	var out struct {
		Teams []Team `json:"teams"`
		Meta  Meta   `json:"meta"`
	}
	_, err := c.Do(ctx, http.MethodGet, withQuery("/v1/teams", p.values()), nil, &out, nil)
	return out.Teams, out.Meta, err
}

type teamEnvelope struct {
	Team Team `json:"team"`
}

// Team reads one team (GET /v1/teams/:uuid).
func (c *Client) Team(ctx context.Context, uuid string) (Team, error) {
	var out teamEnvelope
	_, err := c.Do(ctx, http.MethodGet, "/v1/teams/"+url.PathEscape(uuid), nil, &out, nil)
	return out.Team, err
}

// RenameTeam changes a team's name (PATCH /v1/teams/:uuid).
func (c *Client) RenameTeam(ctx context.Context, uuid, name string) (Team, error) {
	var out teamEnvelope
	_, err := c.Do(ctx, http.MethodPatch, "/v1/teams/"+url.PathEscape(uuid), map[string]string{"name": name}, &out, nil)
	return out.Team, err
}

// UserCustomStatus is the custom status a team member shows.
type UserCustomStatus = wire.UserCustomStatus

// TeamMember is a user of a team. UserCustomStatus is nil when the user
// shows none.
type TeamMember = wire.TeamMember

// TeamMembersParams select a team's members: Status "available" or "away"
// ("": all).
type TeamMembersParams struct {
	Status string
	ListParams
}

// TeamMembers lists a team's members (GET /v1/teams/:uuid/members).
func (c *Client) TeamMembers(ctx context.Context, uuid string, p TeamMembersParams) ([]TeamMember, Meta, error) {
	v := p.values()
	if p.Status != "" {
		v.Set("status", p.Status)
	}
	var out struct {
		Users []TeamMember `json:"users"`
		Meta  Meta         `json:"meta"`
	}
	_, err := c.Do(ctx, http.MethodGet, withQuery("/v1/teams/"+url.PathEscape(uuid)+"/members", v), nil, &out, nil)
	return out.Users, out.Meta, err
}

// Template is a message template of one of the account's channels.
type Template = wire.Template

// Templates lists the account's templates (GET /v1/templates).
func (c *Client) Templates(ctx context.Context, p ListParams) ([]Template, Meta, error) {
	var out struct {
		Templates []Template `json:"templates"`
		Meta      Meta       `json:"meta"`
	}
	_, err := c.Do(ctx, http.MethodGet, withQuery("/v1/templates", p.values()), nil, &out, nil)
	return out.Templates, out.Meta, err
}

type templateEnvelope struct {
	Template Template `json:"template"`
}

// Template reads one template (GET /v1/templates/:uuid).
func (c *Client) Template(ctx context.Context, uuid string) (Template, error) {
	var out templateEnvelope
	_, err := c.Do(ctx, http.MethodGet, "/v1/templates/"+url.PathEscape(uuid), nil, &out, nil)
	return out.Template, err
}

// RenameTemplate changes a template's title (PATCH /v1/templates/:uuid).
func (c *Client) RenameTemplate(ctx context.Context, uuid, title string) (Template, error) {
	var out templateEnvelope
	_, err := c.Do(ctx, http.MethodPatch, "/v1/templates/"+url.PathEscape(uuid), map[string]string{"title": title}, &out, nil)
	return out.Template, err
}

// Funnel is a stage of the account's sales funnel; its UUID is dashed.
type Funnel = wire.Funnel

// Funnels lists the account's funnel stages by position (GET /v1/funnels).
func (c *Client) Funnels(ctx context.Context, p ListParams) ([]Funnel, Meta, error) {
	var out struct {
		Funnels []Funnel `json:"funnels"`
		Meta    Meta     `json:"meta"`
	}
	_, err := c.Do(ctx, http.MethodGet, withQuery("/v1/funnels", p.values()), nil, &out, nil)
	return out.Funnels, out.Meta, err
}

// CustomStatus is a status users may show; its ID is a dashed UUID.
type CustomStatus = wire.CustomStatus

// CustomStatusParams are the body of POST and PUT /v1/custom_statuses:
// nil fields are not sent (PUT leaves them as they are; POST requires the
// name), and an empty Emoji removes the emoji.
type CustomStatusParams struct {
	Name  *string `json:"name,omitempty"`
	Emoji *string `json:"emoji,omitempty"`
}

// CustomStatuses lists the account's custom statuses (GET
// /v1/custom_statuses).
func (c *Client) CustomStatuses(ctx context.Context, p ListParams) ([]CustomStatus, Meta, error) {
	var out struct {
		CustomStatuses []CustomStatus `json:"customStatuses"`
		Meta           Meta           `json:"meta"`
	}
	_, err := c.Do(ctx, http.MethodGet, withQuery("/v1/custom_statuses", p.values()), nil, &out, nil)
	return out.CustomStatuses, out.Meta, err
}

type customStatusEnvelope struct {
	CustomStatus CustomStatus `json:"customStatus"`
}

// CustomStatus reads one custom status (GET /v1/custom_statuses/:id).
func (c *Client) CustomStatus(ctx context.Context, id string) (CustomStatus, error) {
	var out customStatusEnvelope
	_, err := c.Do(ctx, http.MethodGet, "/v1/custom_statuses/"+url.PathEscape(id), nil, &out, nil)
	return out.CustomStatus, err
}

// CreateCustomStatus makes a custom status (POST /v1/custom_statuses).
func (c *Client) CreateCustomStatus(ctx context.Context, p CustomStatusParams) (CustomStatus, error) {
	var out customStatusEnvelope
	_, err := c.Do(ctx, http.MethodPost, "/v1/custom_statuses", p, &out, nil)
	return out.CustomStatus, err
}

// UpdateCustomStatus changes a custom status (PUT /v1/custom_statuses/:id).
func (c *Client) UpdateCustomStatus(ctx context.Context, id string, p CustomStatusParams) (CustomStatus, error) {
	var out customStatusEnvelope
	_, err := c.Do(ctx, http.MethodPut, "/v1/custom_statuses/"+url.PathEscape(id), p, &out, nil)
	return out.CustomStatus, err
}

// DeleteCustomStatus deletes a custom status (DELETE
// /v1/custom_statuses/:id).
func (c *Client) DeleteCustomStatus(ctx context.Context, id string) error {
	_, err := c.Do(ctx, http.MethodDelete, "/v1/custom_statuses/"+url.PathEscape(id), nil, nil, nil)
	return err
}

// Plan is the server's plan: a nil limit is unlimited.
type Plan = wire.Plan

// Plan reads the plan (GET /v1/plan).
func (c *Client) Plan(ctx context.Context) (Plan, error) {
	var out Plan
	_, err := c.Do(ctx, http.MethodGet, "/v1/plan", nil, &out, nil)
	return out, err
}
