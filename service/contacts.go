package service

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/mail"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/carillon/carillon"
	"github.com/carillon/carillon/phone"
	"github.com/carillon/carillon/wire"
)

// Contacts and their conversations as the API reads and changes them.

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
func (s *Service) ContactView(ctx context.Context, c carillon.Contact, ch carillon.Channel) (ContactView, error) {
	views, err := s.contactViews(ctx, s.store, c.AccountID, []carillon.Contact{c}, map[int64]carillon.Channel{ch.ID: ch})
	if err != nil {
		return ContactView{}, s.internal(ctx, "read contact", err)
	}
	return views[0], nil
}

// contactViews loads the views of contacts of one account; channels holds
// the channels already known, by id.
func (s *Service) contactViews(ctx context.Context, q carillon.Queries, accountID int64, list []carillon.Contact, channels map[int64]carillon.Channel) ([]ContactView, error) {
	out := make([]ContactView, len(list))
	if len(list) == 0 {
		return out, nil
	}
	if channels == nil {
		channels = map[int64]carillon.Channel{}
	}
	ids := make([]int64, len(list))
	for i, c := range list {
		ids[i] = c.ID
	}
	tags, err := q.ContactTags(ctx, ids)
	if err != nil {
		return nil, err
	}
	values, err := q.ContactFieldValues(ctx, ids)
	if err != nil {
		return nil, err
	}
	var fields map[int64]carillon.CustomField
	var teamMembers map[int64]int
	users := map[int64]string{}
	teams := map[int64]carillon.Team{}
	for i, c := range list {
		v := ContactView{Contact: c, Tags: tags[c.ID], Fields: map[string]FieldValue{}}
		if v.Tags == nil {
			v.Tags = []string{}
		}
		ch, ok := channels[c.ChannelID]
		if !ok {
			if ch, err = q.ChannelByID(ctx, c.ChannelID); err != nil {
				return nil, err
			}
			channels[c.ChannelID] = ch
		}
		v.Channel = ch
		if len(values[c.ID]) > 0 && fields == nil {
			all, err := q.ListCustomFields(ctx, accountID)
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
		if c.AssignedUserID != 0 {
			email, ok := users[c.AssignedUserID]
			if !ok {
				u, err := q.UserByID(ctx, accountID, c.AssignedUserID)
				if err != nil && !errors.Is(err, carillon.ErrNotFound) {
					return nil, err
				}
				email = u.Email
				users[c.AssignedUserID] = email
			}
			v.AssignedUser = email
		}
		if c.TeamID != 0 {
			t, ok := teams[c.TeamID]
			if !ok {
				if t, err = q.TeamByID(ctx, accountID, c.TeamID); err != nil && !errors.Is(err, carillon.ErrNotFound) {
					return nil, err
				}
				teams[c.TeamID] = t
			}
			if t.ID != 0 {
				if teamMembers == nil {
					if teamMembers, err = q.CountTeamMembers(ctx, accountID); err != nil {
						return nil, err
					}
				}
				v.Team = &TeamView{Team: t, Members: teamMembers[t.ID]}
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
func (s *Service) ListContacts(ctx context.Context, p Principal, f ContactFilter, pr PageRequest) ([]ContactView, PageInfo, error) {
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
	views, err := s.contactViews(ctx, s.store, p.Account.ID, list, nil)
	if err != nil {
		return nil, PageInfo{}, s.internal(ctx, "list contacts", err)
	}
	return views, pageInfo(page, total), nil
}

// Contact returns one of the account's contacts.
func (s *Service) Contact(ctx context.Context, p Principal, uuid string) (ContactView, error) {
	c, err := s.store.ContactByUUID(ctx, p.Account.ID, uuid)
	if err != nil {
		return ContactView{}, s.notFound(ctx, "read contact", "contact", err)
	}
	return s.view(ctx, p, c)
}

func (s *Service) view(ctx context.Context, p Principal, c carillon.Contact) (ContactView, error) {
	views, err := s.contactViews(ctx, s.store, p.Account.ID, []carillon.Contact{c}, nil)
	if err != nil {
		return ContactView{}, s.internal(ctx, "read contact", err)
	}
	return views[0], nil
}

// lookupChannel resolves the channel of a lookup: channelUUID, else the
// account's main channel of type typ.
func (s *Service) lookupChannel(ctx context.Context, p Principal, typ carillon.ChannelType, channelUUID string) (carillon.Channel, error) {
	if channelUUID != "" {
		ch, err := s.store.ChannelByUUID(ctx, p.Account.ID, undashed(channelUUID))
		if errors.Is(err, carillon.ErrNotFound) {
			return ch, carillon.Invalid("channel_uuid", "no channel %q in this account", channelUUID)
		}
		return ch, s.internal(ctx, "find channel", err)
	}
	ch, err := s.store.MainChannel(ctx, p.Account.ID, typ)
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
func (s *Service) ContactByPhone(ctx context.Context, p Principal, number, channelUUID string) (ContactView, error) {
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
func (s *Service) ContactByBSUID(ctx context.Context, p Principal, bsuid, channelUUID string) (ContactView, error) {
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

// ContactInput is the body of POST /contacts. Tags and CustomFields are
// nil when absent.
type ContactInput struct {
	Identifier   string
	Source       string
	Name         string
	Tags         []string
	CustomFields map[string]any
	AssignedUser string
	TeamUUID     string
	ChannelUUID  string
	BotStatus    string
	Note         *string
}

// ContactUpdate is the body of PATCH /contacts/:uuid; nil (or false) leaves
// a field as it is.
type ContactUpdate struct {
	Name         *string
	Tags         []string // nil: absent; empty: remove every tag
	CustomFields map[string]any
	AssignedUser *string
	UnassignUser bool
	TeamUUID     *string
	BotStatus    *string
	Note         *string
}

// contactChanges are the checked changes of a create or update.
type contactChanges struct {
	tagIDs  []int64
	setTags bool
	values  map[int64]string // field id → value, "" removes it
}

func checkBotStatus(v string) error {
	if v != "bot_start" && v != "bot_end" {
		return carillon.Invalid("bot_status", "bot_status must be bot_start or bot_end, not %q", v)
	}
	return nil
}

func checkNote(v string) error {
	if n := utf8.RuneCountInString(v); n > maxNote {
		return carillon.Invalid("note", "note is %d characters long; at most %d are allowed", n, maxNote)
	}
	return nil
}

// tagIDs resolves tag names, whatever their case; every one must exist.
func tagIDs(ctx context.Context, q carillon.Queries, accountID int64, names []string) ([]int64, error) {
	ids := []int64{}
	for _, name := range names {
		t, err := q.TagByName(ctx, accountID, strings.TrimSpace(name))
		if errors.Is(err, carillon.ErrNotFound) {
			return nil, carillon.Invalid("tags", "no tag %q in this account: create it first", name)
		}
		if err != nil {
			return nil, err
		}
		if !slices.Contains(ids, t.ID) {
			ids = append(ids, t.ID)
		}
	}
	return ids, nil
}

// fieldValues checks custom field values against their fields' types and
// returns them as stored, by field id.
func fieldValues(ctx context.Context, q carillon.Queries, accountID int64, in map[string]any) (map[int64]string, error) {
	out := make(map[int64]string, len(in))
	names := make([]string, 0, len(in))
	for name := range in {
		names = append(names, name)
	}
	slices.Sort(names) // the first fault reported is always the same
	for _, name := range names {
		f, err := q.CustomFieldByName(ctx, accountID, name)
		if errors.Is(err, carillon.ErrNotFound) {
			return nil, carillon.Invalid("custom_fields."+name, "no custom field %q in this account: create it first", name)
		}
		if err != nil {
			return nil, err
		}
		v, err := FieldValueOf(f, in[name])
		if err != nil {
			return nil, err
		}
		out[f.ID] = v
	}
	return out, nil
}

// FieldValueOf checks a value given for custom field f and returns it as
// stored: a number as its decimal text, a checkbox as a JSON array string.
// null and "" give "", which removes the value.
func FieldValueOf(f carillon.CustomField, value any) (string, error) {
	field := "custom_fields." + f.Name
	bad := func(format string, args ...any) (string, error) {
		return "", carillon.Invalid(field, field+" "+format, args...)
	}
	if value == nil {
		return "", nil
	}
	if s, ok := value.(string); ok && strings.TrimSpace(s) == "" {
		return "", nil
	}
	if f.Type == carillon.FieldNumber {
		switch v := value.(type) {
		case float64:
			return strconv.FormatFloat(v, 'f', -1, 64), nil
		case json.Number:
			value = string(v)
		}
	}
	if f.Type == carillon.FieldCheckbox {
		var items []any
		switch v := value.(type) {
		case []any:
			items = v
		case []string:
			for _, s := range v {
				items = append(items, s)
			}
		case string:
			if json.Unmarshal([]byte(v), &items) != nil {
				return bad("must be an array of strings, each one of %s", strings.Join(f.Options, ", "))
			}
		default:
			return bad("must be an array of strings, each one of %s", strings.Join(f.Options, ", "))
		}
		chosen := []string{}
		for _, it := range items {
			s, ok := it.(string)
			if !ok || !slices.Contains(f.Options, s) {
				return bad("takes only %s, not %v", strings.Join(f.Options, ", "), it)
			}
			if !slices.Contains(chosen, s) {
				chosen = append(chosen, s)
			}
		}
		if len(chosen) == 0 {
			return "", nil
		}
		b, _ := json.Marshal(chosen)
		return string(b), nil
	}
	s, ok := value.(string)
	if !ok {
		return bad("must be a string")
	}
	s = strings.TrimSpace(s)
	if n := utf8.RuneCountInString(s); n > maxFieldValue {
		return bad("is %d characters long; at most %d are allowed", n, maxFieldValue)
	}
	switch f.Type {
	case carillon.FieldEmail:
		a, err := mail.ParseAddress(s)
		if err != nil || a.Address != s || !strings.Contains(s[strings.LastIndex(s, "@")+1:], ".") {
			return bad("must be an email address, not %q", s)
		}
	case carillon.FieldNumber:
		if _, err := strconv.ParseFloat(s, 64); err != nil || strings.ContainsAny(s, "xXpPnN_") {
			return bad("must be a number, not %q", s)
		}
	case carillon.FieldDate:
		if _, err := time.Parse(time.DateOnly, s); err != nil {
			return bad("must be a date written YYYY-MM-DD, not %q", s)
		}
	case carillon.FieldDropdown:
		if !slices.Contains(f.Options, s) {
			return bad("must be one of %s, not %q", strings.Join(f.Options, ", "), s)
		}
	}
	return s, nil
}

// userID resolves the email of a user of the account.
func userID(ctx context.Context, q carillon.Queries, accountID int64, email string) (int64, error) {
	u, err := q.UserByEmail(ctx, accountID, strings.TrimSpace(email))
	if errors.Is(err, carillon.ErrNotFound) {
		return 0, carillon.Invalid("assigned_user", "no user %q in this account", email)
	}
	return u.ID, err
}

// teamID resolves a team of the account.
func teamID(ctx context.Context, q carillon.Queries, accountID int64, uuid string) (int64, error) {
	t, err := q.TeamByUUID(ctx, accountID, uuid)
	if errors.Is(err, carillon.ErrNotFound) {
		return 0, carillon.Invalid("team_uuid", "no team %q in this account", uuid)
	}
	return t.ID, err
}

// apply writes the changes that live outside the contact's row, after the
// row itself.
func (ch contactChanges) apply(ctx context.Context, q carillon.Queries, contactID int64) error {
	if ch.setTags {
		if err := q.SetContactTags(ctx, contactID, ch.tagIDs); err != nil {
			return err
		}
	}
	ids := make([]int64, 0, len(ch.values))
	for id := range ch.values {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		if err := q.SetContactFieldValue(ctx, contactID, id, ch.values[id]); err != nil {
			return err
		}
	}
	return nil
}

// CreateContact creates a contact on channel ChannelUUID, else on the main
// channel of type Source.
func (s *Service) CreateContact(ctx context.Context, p Principal, in ContactInput) (ContactView, error) {
	if in.Source == "" {
		return ContactView{}, carillon.Invalid("source", "source is required: the channel type (whatsapp, telegram, facebook, instagram)")
	}
	if !carillon.ValidChannelType(in.Source) {
		return ContactView{}, carillon.Invalid("source", "unknown channel type %q: use whatsapp, telegram, facebook or instagram", in.Source)
	}
	if len(in.Identifier) > maxIdentifier {
		return ContactView{}, carillon.Invalid("identifier", "identifier is longer than %d characters", maxIdentifier)
	}
	name, err := checkName("name", in.Name, maxContactName)
	if err != nil {
		return ContactView{}, err
	}
	if in.BotStatus != "" {
		if err := checkBotStatus(in.BotStatus); err != nil {
			return ContactView{}, err
		}
	}
	if in.Note != nil {
		if err := checkNote(*in.Note); err != nil {
			return ContactView{}, err
		}
	}
	typ := carillon.ChannelType(in.Source)
	ch, err := s.lookupChannel(ctx, p, typ, in.ChannelUUID)
	if err != nil {
		if e, ok := carillon.AsError(err); ok && in.ChannelUUID == "" {
			e.Field = "source"
		}
		return ContactView{}, err
	}
	if ch.Type != typ {
		return ContactView{}, carillon.Invalid("channel_uuid", "channel %q is a %s channel, not %s", in.ChannelUUID, ch.Type, typ)
	}
	if !ch.Active() {
		return ContactView{}, carillon.Invalid("channel_uuid", "channel %q is discarded", ch.UUID)
	}
	addr, err := s.channelAddress(ctx, ch, "identifier", in.Identifier)
	if err != nil {
		return ContactView{}, s.internal(ctx, "create contact", err)
	}
	var out carillon.Contact
	// The writer of the contact's key, as sends and inbound messages that
	// may create the same contact use.
	err = s.commit.do(ctx, contactKey(ch.ID, addr+"|"), func(ctx context.Context, q carillon.Queries) error {
		if _, err := q.ContactByAddress(ctx, ch.ID, addr); err == nil {
			return alreadyExists(addr)
		} else if !errors.Is(err, carillon.ErrNotFound) {
			return err
		}
		var changes contactChanges
		if in.Tags != nil {
			if changes.tagIDs, err = tagIDs(ctx, q, p.Account.ID, in.Tags); err != nil {
				return err
			}
			changes.setTags = true
		}
		if changes.values, err = fieldValues(ctx, q, p.Account.ID, in.CustomFields); err != nil {
			return err
		}
		now := s.clock.Now()
		c := newContact(p.Account.ID, ch, addr, "", now)
		c.Name = name
		if in.AssignedUser != "" {
			if c.AssignedUserID, err = userID(ctx, q, p.Account.ID, in.AssignedUser); err != nil {
				return err
			}
		}
		if in.TeamUUID != "" {
			if c.TeamID, err = teamID(ctx, q, p.Account.ID, in.TeamUUID); err != nil {
				return err
			}
		}
		if in.BotStatus != "" {
			setBotStatus(&c, in.BotStatus, now)
		}
		if in.Note != nil {
			c.Note = *in.Note
		}
		// A conflict here (another instance made the contact first) aborts
		// the shared transaction; the committer runs this unit again alone,
		// and it then finds the contact and answers already_exists.
		if err := q.CreateContact(ctx, &c); err != nil {
			return err
		}
		out = c
		if err := changes.apply(ctx, q, c.ID); err != nil {
			return err
		}
		return s.contactEvents(ctx, q, ch, nil, c, true)
	})
	if err != nil {
		return ContactView{}, s.internal(ctx, "create contact", err)
	}
	views, err := s.contactViews(ctx, s.store, p.Account.ID, []carillon.Contact{out}, map[int64]carillon.Channel{ch.ID: ch})
	if err != nil {
		return ContactView{}, s.internal(ctx, "create contact", err)
	}
	return views[0], nil
}

func alreadyExists(addr string) error {
	return &carillon.Error{Code: carillon.CodeAlreadyExists, Field: "identifier", Message: "a contact with identifier " + strconv.Quote(addr) + " already exists on this channel"}
}

// UpdateContact changes a contact, all or nothing.
func (s *Service) UpdateContact(ctx context.Context, p Principal, uuid string, u ContactUpdate) (ContactView, error) {
	var name string
	if u.Name != nil {
		n, err := checkName("name", *u.Name, maxContactName)
		if err != nil {
			return ContactView{}, err
		}
		name = n
	}
	if u.BotStatus != nil {
		if err := checkBotStatus(*u.BotStatus); err != nil {
			return ContactView{}, err
		}
	}
	if u.Note != nil {
		if err := checkNote(*u.Note); err != nil {
			return ContactView{}, err
		}
	}
	if u.UnassignUser && u.AssignedUser != nil && *u.AssignedUser != "" {
		return ContactView{}, carillon.Invalid("unassign_user", "give either assigned_user or unassign_user, not both")
	}
	return s.changeContact(ctx, p, "update contact", uuid, func(ctx context.Context, q carillon.Queries, c *carillon.Contact, changes *contactChanges) error {
		var err error
		if u.Tags != nil {
			if changes.tagIDs, err = tagIDs(ctx, q, p.Account.ID, u.Tags); err != nil {
				return err
			}
			changes.setTags = true
		}
		if changes.values, err = fieldValues(ctx, q, p.Account.ID, u.CustomFields); err != nil {
			return err
		}
		if u.Name != nil {
			c.Name = name
		}
		if u.AssignedUser != nil && *u.AssignedUser != "" {
			if c.AssignedUserID, err = userID(ctx, q, p.Account.ID, *u.AssignedUser); err != nil {
				return err
			}
		}
		if u.UnassignUser {
			c.AssignedUserID = 0
		}
		if u.TeamUUID != nil {
			if *u.TeamUUID == "" {
				c.TeamID = 0
			} else if c.TeamID, err = teamID(ctx, q, p.Account.ID, *u.TeamUUID); err != nil {
				return err
			}
		}
		if u.BotStatus != nil {
			setBotStatus(c, *u.BotStatus, s.clock.Now())
		}
		if u.Note != nil {
			c.Note = *u.Note
		}
		return nil
	})
}

// changeContact reads a contact, lets change modify it and writes it back,
// in one transaction. change must refuse (with a *carillon.Error) before it
// writes anything, as every unit of the committer.
func (s *Service) changeContact(ctx context.Context, p Principal, op, uuid string, change func(ctx context.Context, q carillon.Queries, c *carillon.Contact, changes *contactChanges) error) (ContactView, error) {
	// The write goes through the writer of the contact's key, the one that
	// sends and inbound messages to the contact use, so that they do not
	// overwrite each other's changes.
	before, err := s.store.ContactByUUID(ctx, p.Account.ID, uuid)
	if err != nil {
		return ContactView{}, s.notFound(ctx, op, "contact", err)
	}
	var out carillon.Contact
	err = s.commit.do(ctx, contactKey(before.ChannelID, before.Address+"|"+before.BSUID), func(ctx context.Context, q carillon.Queries) error {
		c, err := q.ContactByID(ctx, p.Account.ID, before.ID)
		if err != nil {
			return err
		}
		prev := c
		var changes contactChanges
		if err := change(ctx, q, &c, &changes); err != nil {
			return err
		}
		c.UpdatedAt = s.clock.Now()
		if err := q.UpdateContact(ctx, &c); err != nil {
			return err
		}
		out = c
		if err := changes.apply(ctx, q, c.ID); err != nil {
			return err
		}
		return s.contactEvents(ctx, q, carillon.Channel{}, &prev, c, changes.setTags || len(changes.values) > 0)
	})
	if err != nil {
		return ContactView{}, s.notFound(ctx, op, "contact", err)
	}
	return s.view(ctx, p, out)
}

// DeleteContact deletes a contact with its messages, for good.
func (s *Service) DeleteContact(ctx context.Context, p Principal, uuid string) error {
	c, err := s.store.ContactByUUID(ctx, p.Account.ID, uuid)
	if err != nil {
		return s.notFound(ctx, "delete contact", "contact", err)
	}
	err = s.commit.do(ctx, contactKey(c.ChannelID, c.Address+"|"+c.BSUID), func(ctx context.Context, q carillon.Queries) error {
		if err := q.DeleteContact(ctx, p.Account.ID, c.ID); err != nil {
			return err
		}
		return s.record(ctx, q, p.Account.ID, carillon.EventContactDeleted, contactSubject(c), func() (any, error) {
			return wire.ContactDeleted{UUID: c.UUID, Deleted: wire.Time(s.clock.Now())}, nil
		})
	})
	return s.notFound(ctx, "delete contact", "contact", err)
}

// HistoryMessage is a message of a contact's history with its channel.
type HistoryMessage struct {
	carillon.Message
	Channel carillon.Channel
	Contact carillon.Contact
}

// ContactMessages lists a contact's messages, notes included, newest first.
func (s *Service) ContactMessages(ctx context.Context, p Principal, uuid string, pr PageRequest) ([]HistoryMessage, PageInfo, error) {
	page, err := parsePage(pr)
	if err != nil {
		return nil, PageInfo{}, err
	}
	c, err := s.store.ContactByUUID(ctx, p.Account.ID, uuid)
	if err != nil {
		return nil, PageInfo{}, s.notFound(ctx, "list messages", "contact", err)
	}
	ch, err := s.store.ChannelByID(ctx, c.ChannelID)
	if err != nil {
		return nil, PageInfo{}, s.internal(ctx, "list messages", err)
	}
	list, total, err := s.store.ContactMessages(ctx, p.Account.ID, c.ID, page)
	if err != nil {
		return nil, PageInfo{}, s.internal(ctx, "list messages", err)
	}
	out := make([]HistoryMessage, len(list))
	for i, m := range list {
		out[i] = HistoryMessage{Message: m, Channel: ch, Contact: c}
	}
	return out, pageInfo(page, total), nil
}

// Bot is a contact's bot state, as GET /contacts/:uuid/bot shows it.
type Bot struct {
	UUID      string
	Status    string // started, ended
	StartedAt time.Time
}

func botOf(c carillon.Contact) Bot {
	sum := sha256.Sum256([]byte("bot:" + c.UUID))
	b := Bot{UUID: hex.EncodeToString(sum[:16]), Status: "ended", StartedAt: c.BotStartedAt}
	if c.BotStatus == "bot_start" {
		b.Status = "started"
	}
	return b
}

// ContactBot returns a contact's bot state.
func (s *Service) ContactBot(ctx context.Context, p Principal, uuid string) (Bot, error) {
	c, err := s.store.ContactByUUID(ctx, p.Account.ID, uuid)
	if err != nil {
		return Bot{}, s.notFound(ctx, "read bot", "contact", err)
	}
	return botOf(c), nil
}

// SetContactBot sets a contact's bot status: bot_start or bot_end.
func (s *Service) SetContactBot(ctx context.Context, p Principal, uuid, status string) (Bot, error) {
	if status != "bot_start" && status != "bot_end" {
		return Bot{}, carillon.Invalid("status", "status must be bot_start or bot_end, not %q", status)
	}
	v, err := s.changeContact(ctx, p, "set bot", uuid, func(_ context.Context, _ carillon.Queries, c *carillon.Contact, _ *contactChanges) error {
		setBotStatus(c, status, s.clock.Now())
		return nil
	})
	if err != nil {
		return Bot{}, err
	}
	return botOf(v.Contact), nil
}

// OpenConversation opens the contact's conversation, or reopens it.
func (s *Service) OpenConversation(ctx context.Context, p Principal, uuid string) (ContactView, error) {
	return s.changeContact(ctx, p, "open conversation", uuid, func(_ context.Context, _ carillon.Queries, c *carillon.Contact, _ *contactChanges) error {
		if !c.ConversationOpen() {
			openConversation(c, s.clock.Now())
		}
		return nil
	})
}

// CloseConversation closes the contact's open conversation; a conversation
// that is closed already, or was never opened, stays as it is.
func (s *Service) CloseConversation(ctx context.Context, p Principal, uuid, reason string) (ContactView, error) {
	reason = strings.TrimSpace(reason)
	if n := utf8.RuneCountInString(reason); n > maxNote {
		return ContactView{}, carillon.Invalid("closing_reason", "closing_reason is %d characters long; at most %d are allowed", n, maxNote)
	}
	return s.changeContact(ctx, p, "close conversation", uuid, func(_ context.Context, _ carillon.Queries, c *carillon.Contact, _ *contactChanges) error {
		if c.ConversationOpen() {
			c.ClosedAt, c.ClosingReason = s.clock.Now(), reason
		}
		return nil
	})
}

// AddNote adds an internal note to the contact's conversation: a message
// of direction note, never sent.
func (s *Service) AddNote(ctx context.Context, p Principal, uuid, text string) (carillon.Message, error) {
	text = strings.TrimSpace(text)
	if text == "" {
		return carillon.Message{}, carillon.Invalid("text", "text is required")
	}
	if n := utf8.RuneCountInString(text); n > maxNoteText {
		return carillon.Message{}, carillon.Invalid("text", "text is %d characters long; at most %d are allowed", n, maxNoteText)
	}
	c, err := s.store.ContactByUUID(ctx, p.Account.ID, uuid)
	if err != nil {
		return carillon.Message{}, s.notFound(ctx, "add note", "contact", err)
	}
	now := s.clock.Now()
	m := carillon.Message{UUID: carillon.NewUUID(), AccountID: p.Account.ID, ChannelID: c.ChannelID, ContactID: c.ID,
		Direction: carillon.Note, Type: carillon.TypeText, Content: carillon.Content{Text: text}, Status: carillon.StatusNote,
		CreatedAt: now, UpdatedAt: now}
	if err := s.store.CreateMessage(ctx, &m); err != nil {
		return carillon.Message{}, s.internal(ctx, "add note", err)
	}
	return m, nil
}

// UpdateFunnel sets the funnel stage of the contact's conversation.
func (s *Service) UpdateFunnel(ctx context.Context, p Principal, uuid, funnelID string) (ContactView, error) {
	funnelID = strings.TrimSpace(funnelID)
	if funnelID == "" {
		return ContactView{}, carillon.Invalid("funnel_id", "funnel_id is required: the uuid of one of the account's funnels")
	}
	return s.changeContact(ctx, p, "update funnel", uuid, func(ctx context.Context, q carillon.Queries, c *carillon.Contact, _ *contactChanges) error {
		f, err := q.FunnelByUUID(ctx, p.Account.ID, funnelID)
		if errors.Is(err, carillon.ErrNotFound) {
			return carillon.Invalid("funnel_id", "no funnel %q in this account", funnelID)
		}
		if err != nil {
			return err
		}
		c.FunnelID = f.UUID
		return nil
	})
}
