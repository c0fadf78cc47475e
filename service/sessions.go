package service

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net/netip"
	"time"

	"github.com/carillon/carillon"
	"github.com/carillon/carillon/throttle"
)

// SignInClient is who is signing in, for throttling and the session list.
type SignInClient struct {
	Address   string // the client's IP address
	UserAgent string
}

// network is the client's address as failures are counted
// (throttle.Network); an address that cannot be read counts as one and
// the same.
func (c SignInClient) network() netip.Prefix {
	addr, err := netip.ParseAddr(c.Address)
	if err != nil {
		ap, err := netip.ParseAddrPort(c.Address)
		if err != nil {
			return netip.Prefix{}
		}
		addr = ap.Addr()
	}
	return throttle.Network(addr)
}

// sessionTouchEvery is how often, at most, a session's use is written: its
// expiry slides by the minute, which spares the store a write per request.
const sessionTouchEvery = time.Minute

// errSignIn is the one answer to a wrong email and a wrong password alike:
// which of the two was wrong is not told.
var errSignIn = &carillon.Error{Code: carillon.CodeUnauthorized, Message: "wrong email or password"}

// errNoSession is the answer to a token of no live session.
var errNoSession = &carillon.Error{Code: carillon.CodeUnauthorized, Message: "not signed in, or the session ended: sign in again"}

// throttledError is a sign-in refused because its client address or its
// email failed too often; RetryAfter reads its wait.
type throttledError struct {
	err  *carillon.Error
	wait time.Duration
}

func (e *throttledError) Error() string { return e.err.Error() }
func (e *throttledError) Unwrap() error { return e.err }

// RetryAfter is how long a sign-in refused for too many failures must wait,
// and whether err is such a refusal.
func RetryAfter(err error) (time.Duration, bool) {
	var t *throttledError
	if errors.As(err, &t) {
		return t.wait, true
	}
	return 0, false
}

func newToken() string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// throttled returns a throttledError when the client's address or the
// email may not try now.
func (p *People) throttled(c SignInClient, email string, now time.Time) error {
	if p.byAddress == nil {
		return nil
	}
	wa, blockedA := p.byAddress.Blocked(c.network(), now)
	we, blockedE := p.byEmail.Blocked(email, now)
	if !blockedA && !blockedE {
		return nil
	}
	wait := max(wa, we)
	return &throttledError{err: carillon.Errorf(carillon.CodeRateLimited, "too many failed sign-ins: try again in %s", wait.Round(time.Second)), wait: wait}
}

func (p *People) failed(c SignInClient, email string, now time.Time) {
	if p.byAddress == nil {
		return
	}
	p.byAddress.Failed(c.network(), now)
	p.byEmail.Failed(email, now)
}

// SignIn checks email and password (across accounts: the user whose password
// matches; the same email in several accounts signs into the oldest account
// whose password matches). Wrong email or wrong password: the same
// *carillon.Error with code unauthorized. Over the failure limit (per
// address, and per email): an error for which RetryAfter(err) reports the
// wait. The session's token is returned once; only its hash is kept.
func (p *People) SignIn(ctx context.Context, email, password string, c SignInClient) (string, carillon.Session, carillon.User, error) {
	now := p.clock.Now()
	clean, err := cleanEmail(email)
	if err != nil {
		clean = "" // no user has it: it fails below as a wrong email does
	}
	if err := p.throttled(c, clean, now); err != nil {
		return "", carillon.Session{}, carillon.User{}, err
	}
	u, err := p.userOfPassword(ctx, clean, password)
	if err != nil {
		if errors.Is(err, errSignIn) {
			p.failed(c, clean, now)
		}
		return "", carillon.Session{}, carillon.User{}, p.internal(ctx, "sign in", err)
	}
	var token string
	var s carillon.Session
	err = p.inTx(ctx, func(q carillon.Queries) error {
		var err error
		token, s, err = p.startSession(ctx, q, &u, c, p.clock.Now())
		return err
	})
	if err != nil {
		return "", carillon.Session{}, carillon.User{}, p.internal(ctx, "sign in", err)
	}
	return token, s, u, nil
}

// userOfPassword returns the user of email whose password matches: in the
// oldest account where one does. At least one hash is always computed, so
// that an unknown email takes as long as a wrong password.
func (p *People) userOfPassword(ctx context.Context, email, password string) (carillon.User, error) {
	var users []carillon.User
	if email != "" && len(password) <= 4*maxPasswordLen {
		var err error
		if users, err = p.store.UsersByEmail(ctx, email); err != nil {
			return carillon.User{}, err
		}
	}
	tried := false
	for _, u := range users {
		if !u.HasPassword {
			continue
		}
		hash, err := p.store.UserPasswordHash(ctx, u.AccountID, u.ID)
		if err != nil {
			return carillon.User{}, err
		}
		tried = true
		if passwordMatches(hash, password) {
			return u, nil
		}
	}
	if !tried {
		passwordMatches(p.dummyHash(), password)
	}
	return carillon.User{}, errSignIn
}

// startSession makes a session for u, records the sign-in and its event,
// and forgets the sessions that expired; it returns the session's token.
func (p *People) startSession(ctx context.Context, q carillon.Queries, u *carillon.User, c SignInClient, now time.Time) (string, carillon.Session, error) {
	token := newToken()
	s := carillon.Session{AccountID: u.AccountID, UserID: u.ID, Hash: HashKey(token), Address: c.Address, UserAgent: c.UserAgent,
		CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(p.lifetime)}
	if !carillon.ValidText(s.Address) {
		s.Address = ""
	}
	if !carillon.ValidText(s.UserAgent) {
		s.UserAgent = ""
	}
	if err := q.CreateSession(ctx, &s); err != nil {
		return "", s, err
	}
	if err := q.TouchUserSignIn(ctx, u.AccountID, u.ID, now); err != nil {
		return "", s, err
	}
	u.LastSignInAt = now
	if _, err := q.DeleteExpiredSessions(ctx, now); err != nil {
		return "", s, err
	}
	return token, s, p.sessionUpdated(ctx, q, *u, actionLoggedIn)
}

// Session finds the session of a token and slides its expiry (at most once
// a minute, to spare the store). Unknown or expired: code unauthorized.
func (p *People) Session(ctx context.Context, token string) (carillon.Session, carillon.User, error) {
	s, u, err := p.liveSession(ctx, token)
	if err != nil {
		return s, u, p.internal(ctx, "session", err)
	}
	now := p.clock.Now()
	if now.Sub(s.LastSeenAt) < sessionTouchEvery {
		return s, u, nil
	}
	s.LastSeenAt, s.ExpiresAt = now, now.Add(p.lifetime)
	err = p.inTx(ctx, func(q carillon.Queries) error {
		return q.TouchSession(ctx, s.AccountID, s.ID, s.LastSeenAt, s.ExpiresAt)
	})
	return s, u, p.internal(ctx, "session", err)
}

func (p *People) liveSession(ctx context.Context, token string) (carillon.Session, carillon.User, error) {
	if token == "" || !carillon.ValidText(token) {
		return carillon.Session{}, carillon.User{}, errNoSession
	}
	s, err := p.store.SessionByHash(ctx, HashKey(token))
	if errors.Is(err, carillon.ErrNotFound) || err == nil && !p.clock.Now().Before(s.ExpiresAt) {
		return carillon.Session{}, carillon.User{}, errNoSession
	}
	if err != nil {
		return s, carillon.User{}, err
	}
	u, err := p.store.UserByID(ctx, s.AccountID, s.UserID)
	if errors.Is(err, carillon.ErrNotFound) {
		return carillon.Session{}, carillon.User{}, errNoSession
	}
	return s, u, err
}

// SignOut ends the session of a token (agent_session_updated
// user_logged_out). A token of no session is signed out already: nil.
func (p *People) SignOut(ctx context.Context, token string) error {
	if token == "" || !carillon.ValidText(token) {
		return nil
	}
	s, err := p.store.SessionByHash(ctx, HashKey(token))
	if errors.Is(err, carillon.ErrNotFound) {
		return nil
	}
	if err != nil {
		return p.internal(ctx, "sign out", err)
	}
	err = p.inTx(ctx, func(q carillon.Queries) error {
		if err := q.DeleteSession(ctx, s.AccountID, s.ID); errors.Is(err, carillon.ErrNotFound) {
			return nil // ended at the same moment elsewhere, its event with it
		} else if err != nil {
			return err
		}
		u, err := q.UserByID(ctx, s.AccountID, s.UserID)
		if err != nil {
			return err
		}
		return p.sessionUpdated(ctx, q, u, actionLoggedOut)
	})
	return p.internal(ctx, "sign out", err)
}

// SignOutEverywhere ends every session of the user (one
// agent_session_updated user_logged_out, when there were some).
func (p *People) SignOutEverywhere(ctx context.Context, accountID, userID int64) error {
	err := p.inTx(ctx, func(q carillon.Queries) error {
		u, err := q.UserByID(ctx, accountID, userID)
		if errors.Is(err, carillon.ErrNotFound) {
			return carillon.NotFound("user")
		}
		if err != nil {
			return err
		}
		return p.endSessions(ctx, q, u, actionLoggedOut)
	})
	return p.internal(ctx, "sign out everywhere", err)
}

// endSessions ends every session of u and records action when there were
// some.
func (p *People) endSessions(ctx context.Context, q carillon.Queries, u carillon.User, action string) error {
	n, err := q.DeleteUserSessions(ctx, u.AccountID, u.ID)
	if err != nil || n == 0 {
		return err
	}
	return p.sessionUpdated(ctx, q, u, action)
}

// Sessions lists the user's sessions, oldest first, the expired ones
// aside.
func (p *People) Sessions(ctx context.Context, accountID, userID int64) ([]carillon.Session, error) {
	all, err := p.store.ListUserSessions(ctx, accountID, userID)
	if err != nil {
		return nil, p.internal(ctx, "sessions", err)
	}
	now := p.clock.Now()
	live := all[:0]
	for _, s := range all {
		if now.Before(s.ExpiresAt) {
			live = append(live, s)
		}
	}
	return live, nil
}
