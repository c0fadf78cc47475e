package service

import (
	"context"
	"errors"

	"github.com/carillon/carillon"
)

// The signed-in user's own sessions and password, for the console's
// account page.

// EndSession ends one session of the user (agent_session_updated
// user_logged_out). A session that is not the user's, or is gone already,
// is not_found.
func (p *People) EndSession(ctx context.Context, accountID, userID, sessionID int64) error {
	err := p.inTx(ctx, func(q carillon.Queries) error {
		sessions, err := q.ListUserSessions(ctx, accountID, userID)
		if err != nil {
			return err
		}
		for _, s := range sessions {
			if s.ID != sessionID {
				continue
			}
			if err := q.DeleteSession(ctx, accountID, s.ID); errors.Is(err, carillon.ErrNotFound) {
				break
			} else if err != nil {
				return err
			}
			u, err := q.UserByID(ctx, accountID, userID)
			if err != nil {
				return err
			}
			return p.sessionUpdated(ctx, q, u, actionLoggedOut)
		}
		return carillon.NotFound("session")
	})
	return p.internal(ctx, "end session", err)
}

// ChangePassword sets the user's password when current is their password
// now. The session of keepToken (the browser that asks) stays signed in;
// every other session of the user ends (agent_session_updated
// system_logged_out when there were some), as SetPassword ends them all. A
// wrong current password is an invalid_parameter on current_password, and
// counts as a failed sign-in of the user's email and the client's
// address, so that a session left open cannot be used to guess it.
func (p *People) ChangePassword(ctx context.Context, accountID, userID int64, current, password, keepToken string, c SignInClient) error {
	u, err := p.store.UserByID(ctx, accountID, userID)
	if errors.Is(err, carillon.ErrNotFound) {
		return carillon.NotFound("user")
	}
	if err != nil {
		return p.internal(ctx, "change password", err)
	}
	now := p.clock.Now()
	if err := p.throttled(c, u.Email, now); err != nil {
		return err
	}
	matches := false
	if u.HasPassword && len(current) <= 4*maxPasswordLen {
		hash, err := p.store.UserPasswordHash(ctx, accountID, userID)
		if err != nil {
			return p.internal(ctx, "change password", err)
		}
		matches = passwordMatches(hash, current)
	}
	if !matches {
		p.failed(c, u.Email, now)
		return carillon.Invalid("current_password", "the current password is wrong")
	}
	if err := checkPassword(password); err != nil {
		return err
	}
	hash := p.hashPassword(password)
	keep := HashKey(keepToken)
	err = p.inTx(ctx, func(q carillon.Queries) error {
		if err := q.SetUserPassword(ctx, accountID, userID, hash); err != nil {
			return err
		}
		sessions, err := q.ListUserSessions(ctx, accountID, userID)
		if err != nil {
			return err
		}
		ended := 0
		for _, s := range sessions {
			if keepToken != "" && s.Hash == keep {
				continue
			}
			if err := q.DeleteSession(ctx, accountID, s.ID); errors.Is(err, carillon.ErrNotFound) {
				continue
			} else if err != nil {
				return err
			}
			ended++
		}
		if ended == 0 {
			return nil
		}
		return p.sessionUpdated(ctx, q, u, actionSystemLoggedOut)
	})
	return p.internal(ctx, "change password", err)
}
