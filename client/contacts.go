package client

import (
	"context"
	"net/http"
	"net/url"

	"github.com/carillon/carillon/wire"
)

// FieldMeta is a custom field value with its field's type, as
// IncludeFieldTypes shows it.
type FieldMeta = wire.FieldMeta

// Contact is a customer on one channel; a pointer is nil, and a time
// zero, when the API answers null.
type Contact = wire.Contact

// ContactFilter selects contacts: Source a channel type, Tags tag names
// (every one must match), TeamUUID a team.
type ContactFilter struct {
	Source            string
	Tags              []string
	TeamUUID          string
	IncludeFieldTypes bool
	ListParams
}

type contactEnvelope struct {
	Contact Contact `json:"contact"`
}

func fieldTypes(include bool) url.Values {
	v := url.Values{}
	if include {
		v.Set("include_field_types", "true")
	}
	return v
}

// Contacts lists the account's contacts, newest first (GET /v1/contacts).
func (c *Client) Contacts(ctx context.Context, f ContactFilter) ([]Contact, Meta, error) {
	v := f.values()
	if f.Source != "" {
		v.Set("source", f.Source)
	}
	if len(f.Tags) > 0 {
		tags := ""
		for i, t := range f.Tags {
			if i > 0 {
				tags += ","
			}
			tags += t
		}
		v.Set("tags", tags)
	}
	if f.TeamUUID != "" {
		v.Set("team_uuid", f.TeamUUID)
	}
	if f.IncludeFieldTypes {
		v.Set("include_field_types", "true")
	}
	var out struct {
		Contacts []Contact `json:"contacts"`
		Meta     Meta      `json:"meta"`
	}
	_, err := c.Do(ctx, http.MethodGet, withQuery("/v1/contacts", v), nil, &out, nil)
	return out.Contacts, out.Meta, err
}

// Contact reads one contact (GET /v1/contacts/:uuid).
func (c *Client) Contact(ctx context.Context, uuid string, includeFieldTypes bool) (Contact, error) {
	var out contactEnvelope
	_, err := c.Do(ctx, http.MethodGet, withQuery("/v1/contacts/"+url.PathEscape(uuid), fieldTypes(includeFieldTypes)), nil, &out, nil)
	return out.Contact, err
}

// ContactByPhone finds a contact by phone number, or by chat id on a
// Telegram channel (GET /v1/contacts/phone/:number); channelUUID "" looks
// on the main WhatsApp channel.
func (c *Client) ContactByPhone(ctx context.Context, number, channelUUID string) (Contact, error) {
	v := url.Values{}
	if channelUUID != "" {
		v.Set("channel_uuid", channelUUID)
	}
	var out contactEnvelope
	_, err := c.Do(ctx, http.MethodGet, withQuery("/v1/contacts/phone/"+url.PathEscape(number), v), nil, &out, nil)
	return out.Contact, err
}

// ContactByBSUID finds a contact by its BSUID (GET /v1/contacts/bsuid/:bsuid).
func (c *Client) ContactByBSUID(ctx context.Context, bsuid, channelUUID string) (Contact, error) {
	v := url.Values{}
	if channelUUID != "" {
		v.Set("channel_uuid", channelUUID)
	}
	var out contactEnvelope
	_, err := c.Do(ctx, http.MethodGet, withQuery("/v1/contacts/bsuid/"+url.PathEscape(bsuid), v), nil, &out, nil)
	return out.Contact, err
}

// CreateContactParams is the body of POST /v1/contacts.
type CreateContactParams struct {
	Identifier   string         `json:"identifier"`
	Source       string         `json:"source"`
	Name         string         `json:"name"`
	Tags         []string       `json:"tags,omitempty"`
	CustomFields map[string]any `json:"custom_fields,omitempty"`
	AssignedUser string         `json:"assigned_user,omitempty"`
	TeamUUID     string         `json:"team_uuid,omitempty"`
	ChannelUUID  string         `json:"channel_uuid,omitempty"`
	BotStatus    string         `json:"bot_status,omitempty"`
	Note         string         `json:"note,omitempty"`
}

// CreateContact creates a contact (POST /v1/contacts).
func (c *Client) CreateContact(ctx context.Context, p CreateContactParams) (Contact, error) {
	var out contactEnvelope
	_, err := c.Do(ctx, http.MethodPost, "/v1/contacts", p, &out, nil)
	return out.Contact, err
}

// UpdateContactParams is the body of PATCH /v1/contacts/:uuid: nil fields
// are left out and leave the contact's as they are. Tags replace the
// contact's (an empty, non-nil slice removes them all); CustomFields merge
// (a nil value removes one).
type UpdateContactParams struct {
	Name         *string
	Tags         []string
	CustomFields map[string]any
	AssignedUser *string
	UnassignUser bool
	TeamUUID     *string
	BotStatus    *string
	Note         *string
}

// UpdateContact changes a contact, all or nothing (PATCH /v1/contacts/:uuid).
func (c *Client) UpdateContact(ctx context.Context, uuid string, p UpdateContactParams) (Contact, error) {
	body := map[string]any{}
	if p.Name != nil {
		body["name"] = *p.Name
	}
	if p.Tags != nil {
		body["tags"] = p.Tags
	}
	if p.CustomFields != nil {
		body["custom_fields"] = p.CustomFields
	}
	if p.AssignedUser != nil {
		body["assigned_user"] = *p.AssignedUser
	}
	if p.UnassignUser {
		body["unassign_user"] = true
	}
	if p.TeamUUID != nil {
		body["team_uuid"] = *p.TeamUUID
	}
	if p.BotStatus != nil {
		body["bot_status"] = *p.BotStatus
	}
	if p.Note != nil {
		body["note"] = *p.Note
	}
	var out contactEnvelope
	_, err := c.Do(ctx, http.MethodPatch, "/v1/contacts/"+url.PathEscape(uuid), body, &out, nil)
	return out.Contact, err
}

// DeleteContact deletes a contact with its messages, for good
// (DELETE /v1/contacts/:uuid).
func (c *Client) DeleteContact(ctx context.Context, uuid string) error {
	_, err := c.Do(ctx, http.MethodDelete, "/v1/contacts/"+url.PathEscape(uuid), nil, nil, nil)
	return err
}

// HistoryMessage is a message of a contact's history. Status is the
// direction: sent, received or note.
type HistoryMessage = wire.Message

// ContactMessages lists a contact's messages, newest first, notes included
// (GET /v1/contacts/:uuid/messages).
func (c *Client) ContactMessages(ctx context.Context, uuid string, p ListParams) ([]HistoryMessage, Meta, error) {
	var out struct {
		Messages []HistoryMessage `json:"messages"`
		Meta     Meta             `json:"meta"`
	}
	_, err := c.Do(ctx, http.MethodGet, withQuery("/v1/contacts/"+url.PathEscape(uuid)+"/messages", p.values()), nil, &out, nil)
	return out.Messages, out.Meta, err
}

// Bot is a contact's bot state.
type Bot = wire.Bot

type botEnvelope struct {
	Bot Bot `json:"bot"`
}

// ContactBot reads a contact's bot (GET /v1/contacts/:uuid/bot).
func (c *Client) ContactBot(ctx context.Context, uuid string) (Bot, error) {
	var out botEnvelope
	_, err := c.Do(ctx, http.MethodGet, "/v1/contacts/"+url.PathEscape(uuid)+"/bot", nil, &out, nil)
	return out.Bot, err
}

// SetContactBot sets a contact's bot status, bot_start or bot_end
// (POST /v1/contacts/:uuid/bot).
func (c *Client) SetContactBot(ctx context.Context, uuid, status string) (Bot, error) {
	var out botEnvelope
	_, err := c.Do(ctx, http.MethodPost, "/v1/contacts/"+url.PathEscape(uuid)+"/bot", map[string]string{"status": status}, &out, nil)
	return out.Bot, err
}

// OpenConversation opens or reopens a contact's conversation
// (POST /v1/contacts/:uuid/conversation/open).
func (c *Client) OpenConversation(ctx context.Context, uuid string) (Contact, error) {
	var out contactEnvelope
	_, err := c.Do(ctx, http.MethodPost, "/v1/contacts/"+url.PathEscape(uuid)+"/conversation/open", map[string]string{}, &out, nil)
	return out.Contact, err
}

// CloseConversation closes a contact's conversation, with an optional
// reason (POST /v1/contacts/:uuid/conversation/close).
func (c *Client) CloseConversation(ctx context.Context, uuid, reason string) (Contact, error) {
	body := map[string]string{}
	if reason != "" {
		body["closing_reason"] = reason
	}
	var out contactEnvelope
	_, err := c.Do(ctx, http.MethodPost, "/v1/contacts/"+url.PathEscape(uuid)+"/conversation/close", body, &out, nil)
	return out.Contact, err
}

// AddNote adds an internal note to a contact's conversation
// (POST /v1/contacts/:uuid/conversation/note).
func (c *Client) AddNote(ctx context.Context, uuid, text string) error {
	_, err := c.Do(ctx, http.MethodPost, "/v1/contacts/"+url.PathEscape(uuid)+"/conversation/note", map[string]string{"text": text}, nil, nil)
	return err
}

// UpdateFunnel sets the funnel stage of a contact's conversation
// (PUT /v1/contacts/:uuid/conversation/update_funnel).
func (c *Client) UpdateFunnel(ctx context.Context, uuid, funnelID string) (Contact, error) {
	var out contactEnvelope
	_, err := c.Do(ctx, http.MethodPut, "/v1/contacts/"+url.PathEscape(uuid)+"/conversation/update_funnel", map[string]string{"funnel_id": funnelID}, &out, nil)
	return out.Contact, err
}
