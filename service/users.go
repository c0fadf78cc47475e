package service

import (
	"context"
	"errors"
	"time"

	"github.com/carillon/carillon"
)

// Users' status, as PUT and DELETE /users/:uuid/status change it.

// UserStatusInput is the body of PUT /users/:uuid/status. Available nil
// leaves the availability as it is; SetCustomStatus false leaves the custom
// status as it is, and with CustomStatusID "" (null) unassigns it.
type UserStatusInput struct {
	Available       *bool
	SetCustomStatus bool
	CustomStatusID  string
}

// UserStatusView is a user's status as the API shows it: CustomStatus is
// the one the user shows, nil when none.
type UserStatusView struct {
	User         carillon.User
	Status       carillon.UserStatus
	CustomStatus *carillon.CustomStatus
}

// AvailabilityUpdatedAt is when the user's availability last changed, or
// when the user was made if it never did.
func (v UserStatusView) AvailabilityUpdatedAt() time.Time {
	if v.Status.AvailabilityAt.IsZero() {
		return v.User.CreatedAt
	}
	return v.Status.AvailabilityAt
}

// SetUserStatus sets a user's availability and/or custom status. An unknown
// user answers not_found; an unknown custom status invalid_parameter
// (custom_status_uuid); a body with neither field invalid_parameter. A time
// moves only when its value changes.
func (s *Resources) SetUserStatus(ctx context.Context, p Principal, userUUID string, in UserStatusInput) (UserStatusView, error) {
	var out UserStatusView
	err := s.inTx(ctx, func(q carillon.Queries) error {
		u, err := q.UserByUUID(ctx, p.Account.ID, userUUID)
		if err != nil {
			return err
		}
		if in.Available == nil && !in.SetCustomStatus {
			return carillon.Invalid("available", "give available (true or false), custom_status_uuid (a custom status id, or null to unassign), or both")
		}
		st, err := q.UserStatus(ctx, p.Account.ID, u.ID)
		if err != nil {
			return err
		}
		var cs *carillon.CustomStatus
		if in.SetCustomStatus && in.CustomStatusID != "" {
			c, err := q.CustomStatusByUUID(ctx, p.Account.ID, in.CustomStatusID)
			if errors.Is(err, carillon.ErrNotFound) {
				return carillon.Invalid("custom_status_uuid", "no custom status %q in this account", in.CustomStatusID)
			}
			if err != nil {
				return err
			}
			cs = &c
		}
		// Stored to the millisecond: answer what a later read returns.
		now := s.clock.Now().UTC().Truncate(time.Millisecond)
		next := st
		if in.Available != nil && *in.Available != st.Available {
			next.Available, next.AvailabilityAt = *in.Available, now
		}
		if in.SetCustomStatus {
			id := int64(0)
			if cs != nil {
				id = cs.ID
			}
			if id != st.CustomStatusID {
				next.CustomStatusID, next.CustomStatusAt = id, now
			}
		}
		if next != st {
			if err := q.SetUserStatus(ctx, p.Account.ID, u.ID, next); err != nil {
				return err
			}
			if err := s.agentStatusUpdated(ctx, q, p.Account.ID, u, next); err != nil {
				return err
			}
		}
		if cs == nil {
			if cs, err = shownCustomStatus(ctx, q, p.Account.ID, next.CustomStatusID); err != nil {
				return err
			}
		}
		out = UserStatusView{User: u, Status: next, CustomStatus: cs}
		return nil
	})
	if err != nil {
		return out, s.notFound(ctx, "set user status", "user", err)
	}
	return out, nil
}

// shownCustomStatus returns the custom status of id that a user shows: nil
// for none (id 0), or for one deleted since the user took it.
func shownCustomStatus(ctx context.Context, q carillon.Queries, accountID, id int64) (*carillon.CustomStatus, error) {
	if id == 0 {
		return nil, nil
	}
	cs, err := q.CustomStatusByID(ctx, accountID, id)
	if errors.Is(err, carillon.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &cs, nil
}

// ClearUserCustomStatus unassigns a user's custom status (DELETE
// /users/:uuid/status); a user who shows none is left as it is.
func (s *Resources) ClearUserCustomStatus(ctx context.Context, p Principal, userUUID string) error {
	_, err := s.SetUserStatus(ctx, p, userUUID, UserStatusInput{SetCustomStatus: true})
	return err
}
