package service

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"time"

	"github.com/carillon/carillon"
	"github.com/carillon/carillon/wire"
)

// The webhook events each change records, in the transaction of the change:
// an event is never lost between the change and its delivery, and never
// recorded for a change that rolled back. An account without a webhook, or
// whose webhook does not subscribe to the event, records nothing: events
// that happen while no webhook exists are not kept.

// eventBody is a delivery's body, built once and sent byte for byte the same
// on every attempt.
type eventBody struct {
	Event   string `json:"event"`
	Payload any    `json:"payload"`
}

// subject is what an event is about. Its key orders deliveries: the
// events of one key are delivered one at a time, in the order they
// happened. The events of a contact name it as the change left it (and,
// for a change of it, as it was before): they are also changes of the
// account's chats, which the console's live inbox streams (chatChanged),
// recorded whether or not a webhook subscribes to them.
type subject struct {
	key     string
	contact *carillon.Contact
	was     *carillon.Contact
}

func contactSubject(c carillon.Contact) subject {
	return subject{key: "contact:" + c.UUID, contact: &c}
}
func userSubject(u carillon.User) subject { return subject{key: "user:" + u.UUID} }

// record records event: a contact's as a chat change, and for the
// account's webhook when it has one that subscribes to it. payload is
// called only then: building a payload may read several rows. Every
// change that makes a webhook event comes here, so one place decides what
// the webhooks and the live inbox are told.
func (s *core) record(ctx context.Context, q carillon.Queries, accountID int64, event string, subj subject, payload func() (any, error)) error {
	if subj.contact != nil {
		if err := s.chatChanged(ctx, q, event, *subj.contact, subj.was); err != nil {
			return err
		}
	}
	w, err := webhookOf(ctx, q, accountID)
	if errors.Is(err, carillon.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if !w.Subscribed(event) {
		return nil
	}
	p, err := payload()
	if err != nil {
		return err
	}
	body, err := json.Marshal(eventBody{Event: event, Payload: p})
	if err != nil {
		return err
	}
	now := s.clock.Now()
	// Due now, or, while an earlier event of its subject is pending,
	// waiting until the delivery of that one releases it: the store
	// decides as it writes the transaction's events together.
	e := &carillon.WebhookEvent{UUID: "msg_" + carillon.NewUUID(), AccountID: accountID, WebhookID: w.ID, Event: event,
		Subject: subj.key, Body: body, State: carillon.EventPending, NextAttemptAt: now, CreatedAt: now}
	if err := q.QueueWebhookEvent(ctx, e); err != nil {
		return err
	}
	s.eventsRecorded.Store(true)
	return nil
}

// WireContact converts a contact view to its API shape; withTypes adds
// customFieldsMetadata (include_field_types=true).
func (s *core) WireContact(v ContactView, withTypes bool) wire.Contact {
	return WireContactAt(s.publicURL, v, withTypes)
}

// WireContactAt is WireContact with the links under publicURL: the
// conversion alone, for an adapter's tests that fake the service.
func WireContactAt(publicURL string, v ContactView, withTypes bool) wire.Contact {
	x := wire.ContactExtras{Tags: v.Tags, CustomFields: make(map[string]string, len(v.Fields)), AssignedUser: v.AssignedUser}
	if withTypes {
		x.CustomFieldsMetadata = make(map[string]wire.FieldMeta, len(v.Fields))
	}
	for name, f := range v.Fields {
		x.CustomFields[name] = f.Value
		if withTypes {
			x.CustomFieldsMetadata[name] = wire.FieldMeta{Value: f.Value, Type: string(f.Type), Options: f.Options}
		}
	}
	if v.Team != nil {
		t := wire.FromTeam(v.Team.Team, v.Team.Members)
		x.Team = &t
	}
	return wire.FromContact(v.Contact, v.Channel, publicURL, x)
}

// contactPayload returns, once built, the API shape of contact c of channel
// ch as the transaction sees it.
func (s *core) contactPayload(ctx context.Context, q carillon.Queries, c carillon.Contact, ch carillon.Channel) func() (wire.Contact, error) {
	var built *wire.Contact
	return func() (wire.Contact, error) {
		if built != nil {
			return *built, nil
		}
		if ch.ID != c.ChannelID {
			var err error
			if ch, err = s.channelInTx(ctx, q, c.AccountID, c.ChannelID); err != nil {
				return wire.Contact{}, err
			}
		}
		views, err := s.contactViews(ctx, q, c.AccountID, []carillon.Contact{c}, map[int64]carillon.Channel{ch.ID: ch})
		if err != nil {
			return wire.Contact{}, err
		}
		w := s.WireContact(views[0], false)
		built = &w
		return w, nil
	}
}

// contactShown reports whether a change of a contact's row changes what the
// API shows of the contact, its conversation aside.
func contactShown(a, b carillon.Contact) bool {
	return a.Name != b.Name || a.Address != b.Address || a.BSUID != b.BSUID || a.AssignedUserID != b.AssignedUserID ||
		a.TeamID != b.TeamID || a.FunnelID != b.FunnelID || !a.BlockedAt.Equal(b.BlockedAt) || a.Note != b.Note
}

// contactEvents records the events of a change of a contact, made by user
// by (0: none), and the entries of its conversation's history: before is
// nil when the change created it; extras says whether its tags or custom
// field values changed.
func (s *core) contactEvents(ctx context.Context, q carillon.Queries, ch carillon.Channel, before *carillon.Contact, after carillon.Contact, extras bool, by int64) error {
	if changes := conversationChanges(before, after, by); len(changes) > 0 {
		if err := q.AddConversationChanges(ctx, changes); err != nil {
			return err
		}
	}
	contact := s.contactPayload(ctx, q, after, ch)
	asAny := func() (any, error) { return contact() }
	subject := contactSubject(after)
	subject.was = before
	switch {
	case before == nil:
		if err := s.record(ctx, q, after.AccountID, carillon.EventContactCreated, subject, asAny); err != nil {
			return err
		}
	case extras || contactShown(*before, after):
		if err := s.record(ctx, q, after.AccountID, carillon.EventContactUpdated, subject, asAny); err != nil {
			return err
		}
	}
	conversation := func(closing bool) func() (any, error) {
		return func() (any, error) {
			c, err := contact()
			if err != nil {
				return nil, err
			}
			out := wire.FromConversation(after, c, s.publicURL)
			if closing {
				out.ClosingReason = &after.ClosingReason
			}
			return out, nil
		}
	}
	wasOpen := before != nil && before.ConversationOpen()
	switch {
	case after.ConversationOpen() && !wasOpen:
		return s.record(ctx, q, after.AccountID, carillon.EventConversationOpened, subject, conversation(false))
	case !after.ConversationOpen() && wasOpen:
		return s.record(ctx, q, after.AccountID, carillon.EventConversationClosed, subject, conversation(true))
	}
	return nil
}

// messageCreated records message_created for a message just received or
// accepted for sending.
func (s *core) messageCreated(ctx context.Context, q carillon.Queries, ch carillon.Channel, c carillon.Contact, m carillon.Message) error {
	return s.record(ctx, q, m.AccountID, carillon.EventMessageCreated, contactSubject(c), func() (any, error) {
		contact, err := s.contactPayload(ctx, q, c, ch)()
		if err != nil {
			return nil, err
		}
		return wire.FromMessageCreated(m, c, ch, contact), nil
	})
}

// statusEvents records message_status_updated for each status the message
// reached, in order.
func (s *core) statusEvents(ctx context.Context, q carillon.Queries, m carillon.Message, c carillon.Contact, changes []carillon.StatusChange) error {
	var contact func() (wire.Contact, error)
	for _, sc := range changes {
		if !sc.Applied {
			continue
		}
		if contact == nil {
			contact = s.contactPayload(ctx, q, c, carillon.Channel{})
		}
		status, payload := sc.Status, sc.Payload
		err := s.record(ctx, q, m.AccountID, carillon.EventMessageStatusUpdated, contactSubject(c), func() (any, error) {
			ct, err := contact()
			if err != nil {
				return nil, err
			}
			return wire.FromMessageStatusUpdated(m, status, payload, ct), nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// member returns a user with its status, as team members are shown.
func member(ctx context.Context, q carillon.Queries, accountID int64, u carillon.User, st *carillon.UserStatus) (wire.TeamMember, error) {
	var status carillon.UserStatus
	if st != nil {
		status = *st
	} else {
		var err error
		if status, err = q.UserStatus(ctx, accountID, u.ID); err != nil && !errors.Is(err, carillon.ErrNotFound) {
			return wire.TeamMember{}, err
		}
	}
	cs, err := shownCustomStatus(ctx, q, accountID, status.CustomStatusID)
	if err != nil {
		return wire.TeamMember{}, err
	}
	m := Member{User: u, Status: status, CustomStatus: cs}
	return wire.FromTeamMember(u, status, cs, wire.Time(m.LastUpdatedAt())), nil
}

// agentStatusUpdated records agent_status_updated for a user whose status
// changed to st.
func (s *core) agentStatusUpdated(ctx context.Context, q carillon.Queries, accountID int64, u carillon.User, st carillon.UserStatus) error {
	return s.record(ctx, q, accountID, carillon.EventAgentStatusUpdated, userSubject(u), func() (any, error) {
		return member(ctx, q, accountID, u, &st)
	})
}

// membershipUpdated records team_membership_updated for a user added to
// (added true) or removed from a team. The team's members are counted,
// not read: a change of one member reads one team's count.
func (s *core) membershipUpdated(ctx context.Context, q carillon.Queries, t carillon.Team, u carillon.User, added bool, now time.Time) error {
	return s.record(ctx, q, t.AccountID, carillon.EventTeamMembershipUpdated, userSubject(u), func() (any, error) {
		members, err := q.TeamMemberCount(ctx, t.ID)
		if err != nil {
			return nil, err
		}
		m, err := member(ctx, q, t.AccountID, u, nil)
		if err != nil {
			return nil, err
		}
		reason := "agent_removed"
		if added {
			reason = "agent_added"
		}
		return wire.TeamMembershipUpdated{Team: wire.FromTeam(t, members), User: m, Reason: reason, LastUpdateAt: wire.Time(now)}, nil
	})
}

// invalidEventName returns the first of names that is not an event name.
func invalidEventName(names []string) (string, bool) {
	for _, n := range names {
		if !slices.Contains(carillon.WebhookEventNames, n) {
			return n, true
		}
	}
	return "", false
}
