package service

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"
	"time"

	"github.com/carillon/carillon"
)

// Accounts is the feature service of accounts and their API keys: setting
// up an account, making, listing and revoking keys, and authenticating a
// request by its key (the operator's commands and every API request).
type Accounts struct {
	*core
}

// KeyPrefix starts every API key, so that a leaked key is recognisable (and
// found by secret scanners).
const KeyPrefix = "crln_"

// keyPrefixLen is how much of a key lists show: enough to tell keys apart,
// far too little to guess the rest (the random part has 192 bits).
const keyPrefixLen = len(KeyPrefix) + 8

// HashKey returns the hash under which a key's secret is stored. A fast hash
// is right here: keys are long random strings, not passwords.
func HashKey(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

func newKeySecret() string {
	var b [24]byte
	_, _ = rand.Read(b[:])
	return KeyPrefix + hex.EncodeToString(b[:])
}

// CreateKey makes an API key of the account, acting for the user with that
// email when one is given. The secret is returned once and never stored.
func (s *Accounts) CreateKey(ctx context.Context, accountID int64, name, userEmail string) (string, carillon.APIKey, error) {
	var key carillon.APIKey
	var secret string
	name = strings.TrimSpace(name)
	if name == "" {
		return "", key, carillon.Invalid("name", "a key needs a name")
	}
	err := s.inTx(ctx, func(q carillon.Queries) error {
		var err error
		secret, key, err = createKey(ctx, q, accountID, name, userEmail, s.clock.Now())
		return err
	})
	return secret, key, err
}

func createKey(ctx context.Context, q carillon.Queries, accountID int64, name, userEmail string, now time.Time) (string, carillon.APIKey, error) {
	secret := newKeySecret()
	key := carillon.APIKey{AccountID: accountID, Name: name, Prefix: secret[:keyPrefixLen], Hash: HashKey(secret), CreatedAt: now}
	if userEmail != "" {
		u, err := q.UserByEmail(ctx, accountID, strings.ToLower(strings.TrimSpace(userEmail)))
		if errors.Is(err, carillon.ErrNotFound) {
			return "", key, carillon.Invalid("user", "no user with email %q in this account", userEmail)
		}
		if err != nil {
			return "", key, err
		}
		key.UserID = u.ID
	}
	return secret, key, q.CreateAPIKey(ctx, &key)
}

// ListKeys lists the account's keys, revoked ones included.
func (s *Accounts) ListKeys(ctx context.Context, accountID int64) ([]carillon.APIKey, error) {
	return s.store.ListAPIKeys(ctx, accountID)
}

// RevokeKey revokes the key with that name or prefix. A name that several
// live keys share is refused: the prefix tells them apart.
func (s *Accounts) RevokeKey(ctx context.Context, accountID int64, nameOrPrefix string) (carillon.APIKey, error) {
	keys, err := s.store.ListAPIKeys(ctx, accountID)
	if err != nil {
		return carillon.APIKey{}, err
	}
	var match []carillon.APIKey
	for _, k := range keys {
		if k.Revoked() {
			continue
		}
		if k.Name == nameOrPrefix || (len(nameOrPrefix) >= len(KeyPrefix)+4 && strings.HasPrefix(k.Prefix, nameOrPrefix)) {
			match = append(match, k)
		}
	}
	switch len(match) {
	case 0:
		return carillon.APIKey{}, carillon.NotFound("live API key " + nameOrPrefix)
	case 1:
	default:
		return carillon.APIKey{}, carillon.Errorf(carillon.CodeConflict, "%d live keys are named %q: give the prefix of the one to revoke", len(match), nameOrPrefix)
	}
	k := match[0]
	k.RevokedAt = s.clock.Now()
	return k, s.store.RevokeAPIKey(ctx, accountID, k.ID, k.RevokedAt)
}

// Principal is who an API request acts for.
type Principal struct {
	Account carillon.Account
	Key     carillon.APIKey
	User    *carillon.User // nil when the key acts for the account
	// channelsVersion is the version of the account's channels read
	// with the key (kept_channels.go); 0 when not read with a key.
	channelsVersion int64
}

// userID is the id of the principal's user, 0 when none: the user a
// change is made by, in a conversation's history.
func (p Principal) userID() int64 {
	if p.User == nil {
		return 0
	}
	return p.User.ID
}

var errUnauthorized = &carillon.Error{Code: carillon.CodeUnauthorized, Message: "missing, unknown or revoked API key: send Authorization: Bearer <api key>"}

// Authenticate returns the principal of an API key's secret. Keys are read
// from the store on every request, so a key works, or stops working, at
// once, also when another process (an admin command) changed it. The keys
// of requests that come while one is read are read together next, in one
// statement: each read still starts after its request came.
func (s *Accounts) Authenticate(ctx context.Context, secret string) (Principal, error) {
	if !strings.HasPrefix(secret, KeyPrefix) {
		return Principal{}, errUnauthorized
	}
	read, err := s.keys.Do(ctx, HashKey(secret))
	if err != nil {
		return Principal{}, s.internal(ctx, "authenticate", err)
	}
	if !read.Found || read.Key.Revoked() {
		return Principal{}, errUnauthorized
	}
	key, channelsVersion := read.Key, read.ChannelsVersion
	acct, err := s.account(ctx, key.AccountID)
	if err != nil {
		return Principal{}, s.internal(ctx, "authenticate", err)
	}
	p := Principal{Account: acct, Key: key, channelsVersion: channelsVersion}
	if key.UserID != 0 {
		u, err := s.store.UserByID(ctx, key.AccountID, key.UserID)
		if err == nil {
			p.User = &u
		}
	}
	s.touchKey(key)
	return p, nil
}

// touchKey records a key's use at most once a minute, off the request's
// path: "last used" is for people reading a list, not an audit log.
func (s *Accounts) touchKey(key carillon.APIKey) {
	now := s.clock.Now()
	if v, ok := s.touched.Load(key.ID); ok && now.UnixMilli()-v.(int64) < time.Minute.Milliseconds() {
		return
	}
	s.touched.Store(key.ID, now.UnixMilli())
	go func() {
		_ = s.commit.do(context.Background(), uint64(key.ID), func(ctx context.Context, q carillon.Queries) error {
			return q.TouchAPIKey(ctx, key.ID, now)
		})
	}()
}
