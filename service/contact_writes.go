package service

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"unicode/utf8"

	"github.com/carillon/carillon"
	"github.com/carillon/carillon/wire"
)

// Contacts created, changed and deleted through the API: the checks of a
// body and the one transaction that writes a contact with its tags and
// custom field values.

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
func (s *Contacts) CreateContact(ctx context.Context, p Principal, in ContactInput) (ContactView, error) {
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
		// Without channel_uuid, the channel missing is the source's: the
		// answer names that field. Any other error (a store that cannot
		// answer) is left as it is, and is never changed in place: it may
		// be a value shared by every request (ErrStoreUnavailable).
		if e, ok := carillon.AsError(err); ok && in.ChannelUUID == "" && e.Code == carillon.CodeInvalidParameter {
			return ContactView{}, &carillon.Error{Code: e.Code, Field: "source", Message: e.Message}
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
		return s.contactEvents(ctx, q, ch, nil, c, true, p.userID())
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
func (s *Contacts) UpdateContact(ctx context.Context, p Principal, uuid string, u ContactUpdate) (ContactView, error) {
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
func (s *Contacts) changeContact(ctx context.Context, p Principal, op, uuid string, change func(ctx context.Context, q carillon.Queries, c *carillon.Contact, changes *contactChanges) error) (ContactView, error) {
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
		if err := q.UpdateContactFrom(ctx, prev, &c); err != nil {
			return err
		}
		out = c
		if err := changes.apply(ctx, q, c.ID); err != nil {
			return err
		}
		return s.contactEvents(ctx, q, carillon.Channel{}, &prev, c, changes.setTags || len(changes.values) > 0, p.userID())
	})
	if err != nil {
		return ContactView{}, s.notFound(ctx, op, "contact", err)
	}
	return s.view(ctx, p, out)
}

// contactMessagesPart bounds the messages one unit of a contact's deletion
// deletes before the last. A variable for the package's tests.
var contactMessagesPart = 50

// DeleteContact deletes a contact with its messages, for good.
func (s *Contacts) DeleteContact(ctx context.Context, p Principal, uuid string) error {
	c, err := s.store.ContactByUUID(ctx, p.Account.ID, uuid)
	if err != nil {
		return s.notFound(ctx, "delete contact", "contact", err)
	}
	// Once begun, the deletion goes on if the caller stops waiting: each
	// part is committed, and a client that gives up on a long history
	// would otherwise leave it half deleted.
	ctx = context.WithoutCancel(ctx)
	key := contactKey(c.ChannelID, c.Address+"|"+c.BSUID)
	// The history a part at a time, each in a unit of its own keyed like
	// the contact's other writes: deleting 5,000 messages in one unit held
	// SQLite's one writer, which every send waits for, 1.2 to 3.3 s
	// (docs/benchmarks.md). The contact and the rest of its history go
	// last, together.
	for {
		var deleted int
		err := s.commit.do(ctx, key, func(ctx context.Context, q carillon.Queries) (err error) {
			deleted, err = q.DeleteOldestContactMessages(ctx, p.Account.ID, c.ID, contactMessagesPart)
			return err
		})
		if err != nil {
			return s.notFound(ctx, "delete contact", "contact", err)
		}
		if deleted < contactMessagesPart {
			break
		}
	}
	err = s.commit.do(ctx, key, func(ctx context.Context, q carillon.Queries) error {
		if err := q.DeleteContact(ctx, p.Account.ID, c.ID); err != nil {
			return err
		}
		return s.record(ctx, q, p.Account.ID, carillon.EventContactDeleted, contactSubject(c), func() (any, error) {
			return wire.ContactDeleted{UUID: c.UUID, Deleted: wire.Time(s.clock.Now())}, nil
		})
	})
	return s.notFound(ctx, "delete contact", "contact", err)
}
