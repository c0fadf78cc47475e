package service

import (
	"context"
	"errors"
	"maps"
	"slices"
	"strings"

	"github.com/carillon/carillon"
	"github.com/carillon/carillon/phone"
)

// Contacts as the API reads them: their views, lists and lookups by
// address. Their writes are in contact_writes.go, the names a body
// resolves in contact_references.go, their history in contact_history.go,
// their conversations in conversations.go.

// Contacts is the feature service of contacts and their conversations:
// reading, creating, changing and deleting contacts, their history, their
// bot, notes and funnel, opening and closing their conversations. A send
// and an inbound message make contacts too, in their own transaction,
// through the store.
type Contacts struct {
	*core
}

// Limits of the contact endpoints.
const (
	maxContactName  = 255
	maxNote         = 1000
	maxFieldValue   = 4096
	maxIdentifier   = 128
	maxNoteText     = maxTextLength
	maxTagsInFilter = 50
)

// FieldValue is a contact's value of a custom field, with the field's type
// and options.
type FieldValue struct {
	Value   string
	Type    carillon.FieldType
	Options []string
}

// ContactView is a contact with what the API shows beside its row: its
// channel, tags, custom field values, assigned user and team.
type ContactView struct {
	carillon.Contact
	Channel carillon.Channel
	// Tags are the names of its tags, sorted.
	Tags []string
	// Fields are its custom field values, by field name.
	Fields map[string]FieldValue
	// AssignedUser is the email of the assigned user, "" when none.
	AssignedUser string
	// Team is the team of its conversation, nil when none.
	Team *TeamView
}

// ContactView loads what the API shows of a contact of channel ch.
func (s *Contacts) ContactView(ctx context.Context, c carillon.Contact, ch carillon.Channel) (ContactView, error) {
	views, err := s.contactViews(ctx, s.store, c.AccountID, []carillon.Contact{c}, map[int64]carillon.Channel{ch.ID: ch})
	if err != nil {
		return ContactView{}, s.internal(ctx, "read contact", err)
	}
	return views[0], nil
}

// contactViews loads the views of contacts of one account; channels holds
// the channels already known, by id. What the contacts share (their
// channels, assignees and teams) is read once for them all, one statement
// each, not once per contact.
func (s *core) contactViews(ctx context.Context, q carillon.Queries, accountID int64, list []carillon.Contact, channels map[int64]carillon.Channel) ([]ContactView, error) {
	out := make([]ContactView, len(list))
	if len(list) == 0 {
		return out, nil
	}
	ids := make([]int64, len(list))
	var missingChannels, userIDs, teamIDs []int64
	for i, c := range list {
		ids[i] = c.ID
		if _, ok := channels[c.ChannelID]; !ok && !slices.Contains(missingChannels, c.ChannelID) {
			missingChannels = append(missingChannels, c.ChannelID)
		}
		if c.AssignedUserID != 0 && !slices.Contains(userIDs, c.AssignedUserID) {
			userIDs = append(userIDs, c.AssignedUserID)
		}
		if c.TeamID != 0 && !slices.Contains(teamIDs, c.TeamID) {
			teamIDs = append(teamIDs, c.TeamID)
		}
	}
	if len(missingChannels) > 0 {
		read, err := q.ChannelsByIDs(ctx, missingChannels)
		if err != nil {
			return nil, err
		}
		for _, id := range missingChannels {
			if _, ok := read[id]; !ok {
				return nil, carillon.ErrNotFound
			}
		}
		if channels == nil {
			channels = read
		} else {
			channels = maps.Clone(channels)
			maps.Copy(channels, read)
		}
	}
	tags, values, err := q.ContactExtras(ctx, ids)
	if err != nil {
		return nil, err
	}
	var users map[int64]string
	if len(userIDs) > 0 {
		if users, err = q.UserEmails(ctx, accountID, userIDs); err != nil {
			return nil, err
		}
	}
	var teams map[int64]carillon.TeamWithMembers
	if len(teamIDs) > 0 {
		if teams, err = q.TeamsByIDs(ctx, accountID, teamIDs); err != nil {
			return nil, err
		}
	}
	var fields map[int64]carillon.CustomField
	for i, c := range list {
		v := ContactView{Contact: c, Channel: channels[c.ChannelID], Tags: tags[c.ID], Fields: map[string]FieldValue{},
			AssignedUser: users[c.AssignedUserID]}
		if v.Tags == nil {
			v.Tags = []string{}
		}
		if t, ok := teams[c.TeamID]; ok {
			v.Team = &TeamView{Team: t.Team, Members: t.Members}
		}
		if len(values[c.ID]) > 0 && fields == nil {
			all, err := q.AllCustomFields(ctx, accountID)
			if err != nil {
				return nil, err
			}
			fields = make(map[int64]carillon.CustomField, len(all))
			for _, f := range all {
				fields[f.ID] = f
			}
		}
		for fieldID, value := range values[c.ID] {
			if f, ok := fields[fieldID]; ok {
				v.Fields[f.Name] = FieldValue{Value: value, Type: f.Type, Options: f.Options}
			}
		}
		out[i] = v
	}
	return out, nil
}

// ContactFilter selects contacts in GET /contacts, as given: Source a
// channel type, Tags comma-separated tag names, TeamUUID a team.
type ContactFilter struct {
	Source   string
	Tags     string
	TeamUUID string
}

// ListContacts lists the account's contacts, newest first.
func (s *Contacts) ListContacts(ctx context.Context, p Principal, f ContactFilter, pr PageRequest) ([]ContactView, PageInfo, error) {
	var filter carillon.ContactFilter
	if f.Source != "" {
		if !carillon.ValidChannelType(f.Source) {
			return nil, PageInfo{}, carillon.Invalid("source", "source must be one of whatsapp, facebook, instagram, telegram, not %q", f.Source)
		}
		filter.ChannelType = carillon.ChannelType(f.Source)
	}
	page, err := parsePage(pr)
	if err != nil {
		return nil, PageInfo{}, err
	}
	var names []string
	for _, name := range strings.Split(f.Tags, ",") {
		if name = strings.TrimSpace(name); name != "" {
			names = append(names, name)
		}
	}
	if len(names) > maxTagsInFilter {
		return nil, PageInfo{}, carillon.Invalid("tags", "tags names at most %d tags", maxTagsInFilter)
	}
	for _, name := range names {
		t, err := s.store.TagByName(ctx, p.Account.ID, name)
		if errors.Is(err, carillon.ErrNotFound) {
			return nil, PageInfo{}, carillon.Invalid("tags", "no tag %q in this account", name)
		}
		if err != nil {
			return nil, PageInfo{}, s.internal(ctx, "list contacts", err)
		}
		if !slices.Contains(filter.TagIDs, t.ID) {
			filter.TagIDs = append(filter.TagIDs, t.ID)
		}
	}
	if f.TeamUUID != "" {
		t, err := s.store.TeamByUUID(ctx, p.Account.ID, f.TeamUUID)
		if errors.Is(err, carillon.ErrNotFound) {
			return nil, PageInfo{}, carillon.Invalid("team_uuid", "no team %q in this account", f.TeamUUID)
		}
		if err != nil {
			return nil, PageInfo{}, s.internal(ctx, "list contacts", err)
		}
		filter.TeamID = t.ID
	}
	list, total, err := s.store.ListContacts(ctx, p.Account.ID, filter, page)
	if err != nil {
		return nil, PageInfo{}, s.internal(ctx, "list contacts", err)
	}
	channels, err := s.channelsByID(ctx, p)
	if err != nil {
		return nil, PageInfo{}, s.internal(ctx, "list contacts", err)
	}
	views, err := s.contactViews(ctx, s.store, p.Account.ID, list, channels)
	if err != nil {
		return nil, PageInfo{}, s.internal(ctx, "list contacts", err)
	}
	return views, pageInfo(page, total), nil
}

// Contact returns one of the account's contacts.
func (s *Contacts) Contact(ctx context.Context, p Principal, uuid string) (ContactView, error) {
	c, err := s.store.ContactByUUID(ctx, p.Account.ID, uuid)
	if err != nil {
		return ContactView{}, s.notFound(ctx, "read contact", "contact", err)
	}
	return s.view(ctx, p, c)
}

func (s *Contacts) view(ctx context.Context, p Principal, c carillon.Contact) (ContactView, error) {
	channels, err := s.channelsByID(ctx, p)
	if err != nil {
		return ContactView{}, s.internal(ctx, "read contact", err)
	}
	views, err := s.contactViews(ctx, s.store, p.Account.ID, []carillon.Contact{c}, channels)
	if err != nil {
		return ContactView{}, s.internal(ctx, "read contact", err)
	}
	return views[0], nil
}

// lookupChannel resolves the channel of a lookup: channelUUID, else the
// account's main channel of type typ.
func (s *Contacts) lookupChannel(ctx context.Context, p Principal, typ carillon.ChannelType, channelUUID string) (carillon.Channel, error) {
	if channelUUID != "" {
		ch, err := s.channelByUUID(ctx, p, undashed(channelUUID))
		if errors.Is(err, carillon.ErrNotFound) {
			return ch, carillon.Invalid("channel_uuid", "no channel %q in this account", channelUUID)
		}
		return ch, s.internal(ctx, "find channel", err)
	}
	ch, err := s.mainChannel(ctx, p, typ)
	if errors.Is(err, carillon.ErrNotFound) {
		return ch, carillon.Invalid("channel_uuid", "the account has no main %s channel: name one with channel_uuid", typ)
	}
	return ch, s.internal(ctx, "find channel", err)
}

// address reads a contact's identifier as channel ch writes it: the chat id
// on Telegram, E.164 digits elsewhere.
func address(ch carillon.Channel, field, raw string) (string, error) {
	v := strings.TrimSpace(raw)
	if v == "" {
		return "", carillon.Invalid(field, "%s is required", field)
	}
	if scopedIDs(ch) {
		if !scopedID(v) {
			return "", carillon.Invalid(field, "%q is not a %s scoped user id: use the id carillon received from that customer (the contact's phoneNumber)", raw, ch.Type)
		}
		return v, nil
	}
	if ch.Type == carillon.Telegram {
		if len(v) > maxTelegramChatID || strings.ContainsAny(v, " \t\r\n") {
			return "", carillon.Invalid(field, "%q is not a Telegram chat id", raw)
		}
		return v, nil
	}
	digits, err := phone.Normalize(v, ch.Provider == carillon.ProviderSandbox)
	if err != nil {
		return "", carillon.Invalid(field, "%q is not a possible phone number: write it in international form, country code first (+31 6 1234 5678)", raw)
	}
	return digits, nil
}

// ContactByPhone finds a contact by its phone number (or, on a Telegram
// channel, its chat id) on channel channelUUID, else on the main WhatsApp
// channel.
func (s *Contacts) ContactByPhone(ctx context.Context, p Principal, number, channelUUID string) (ContactView, error) {
	ch, err := s.lookupChannel(ctx, p, carillon.WhatsApp, channelUUID)
	if err != nil {
		return ContactView{}, err
	}
	addr, err := s.channelAddress(ctx, ch, "number", number)
	if err != nil {
		return ContactView{}, s.internal(ctx, "read contact", err)
	}
	c, err := s.store.ContactByAddress(ctx, ch.ID, addr)
	if err != nil {
		return ContactView{}, s.notFound(ctx, "read contact", "contact", err)
	}
	return s.view(ctx, p, c)
}

// ContactByBSUID finds a contact by its BSUID on channel channelUUID, else
// on the main WhatsApp channel.
func (s *Contacts) ContactByBSUID(ctx context.Context, p Principal, bsuid, channelUUID string) (ContactView, error) {
	bsuid = strings.TrimSpace(bsuid)
	if bsuid == "" || len(bsuid) > maxBSUIDLength {
		return ContactView{}, carillon.Invalid("bsuid", "a BSUID is 1 to %d characters long", maxBSUIDLength)
	}
	ch, err := s.lookupChannel(ctx, p, carillon.WhatsApp, channelUUID)
	if err != nil {
		return ContactView{}, err
	}
	c, err := s.store.ContactByBSUID(ctx, ch.ID, bsuid)
	if err != nil {
		return ContactView{}, s.notFound(ctx, "read contact", "contact", err)
	}
	return s.view(ctx, p, c)
}
