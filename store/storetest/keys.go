package storetest

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/carillon/carillon"
)

// API keys (store/keys.go).

func testAPIKeys(t *testing.T, e *env) {
	a, b := e.account("a"), e.account("b")
	u := carillon.User{UUID: carillon.NewUUID(), AccountID: a.ID, Email: "u@example.com", Name: "U", CreatedAt: base}
	e.must(e.s.CreateUser(e.ctx, &u), "CreateUser")

	k1 := carillon.APIKey{AccountID: a.ID, Name: "ci", Prefix: "crln_0123abcd", Hash: strings.Repeat("a1", 32), CreatedAt: sloppy(base)}
	k2 := carillon.APIKey{AccountID: a.ID, UserID: u.ID, Name: "agent", Prefix: "crln_4567ef01", Hash: strings.Repeat("b2", 32),
		CreatedAt: sloppy(at(time.Second)), LastUsedAt: sloppy(at(time.Minute)), RevokedAt: sloppy(at(time.Hour))}
	kb := carillon.APIKey{AccountID: b.ID, Name: "other", Prefix: "crln_89abcdef", Hash: strings.Repeat("c3", 32), CreatedAt: base}
	for _, k := range []*carillon.APIKey{&k1, &k2, &kb} {
		e.must(e.s.CreateAPIKey(e.ctx, k), "CreateAPIKey")
		if k.ID == 0 {
			t.Fatal("CreateAPIKey left the ID 0")
		}
	}
	normKey := func(k carillon.APIKey) carillon.APIKey {
		k.CreatedAt, k.LastUsedAt, k.RevokedAt = norm(k.CreatedAt), norm(k.LastUsedAt), norm(k.RevokedAt)
		return k
	}
	got, _, err := e.s.APIKeyByHash(e.ctx, k1.Hash)
	e.must(err, "APIKeyByHash")
	check(t, "APIKeyByHash", got, normKey(k1))
	if got.Revoked() || !got.LastUsedAt.IsZero() {
		t.Errorf("new key: revoked %v, last used %v", got.Revoked(), got.LastUsedAt)
	}
	got, _, err = e.s.APIKeyByHash(e.ctx, k2.Hash)
	e.must(err, "APIKeyByHash")
	check(t, "APIKeyByHash (every field set)", got, normKey(k2))

	list, err := e.s.ListAPIKeys(e.ctx, a.ID)
	e.must(err, "ListAPIKeys")
	check(t, "ListAPIKeys", list, []carillon.APIKey{normKey(k1), normKey(k2)})
	list, err = e.s.ListAPIKeys(e.ctx, b.ID)
	e.must(err, "ListAPIKeys")
	check(t, "ListAPIKeys of the other account", list, []carillon.APIKey{normKey(kb)})

	// Revoking: not from another account, once only.
	wantErr(t, "RevokeAPIKey of another account's key", e.s.RevokeAPIKey(e.ctx, b.ID, k1.ID, at(time.Hour)), carillon.ErrNotFound)
	wantErr(t, "RevokeAPIKey of a missing key", e.s.RevokeAPIKey(e.ctx, a.ID, k1.ID+k2.ID+kb.ID+100, at(time.Hour)), carillon.ErrNotFound)
	got, _, err = e.s.APIKeyByHash(e.ctx, k1.Hash)
	e.must(err, "APIKeyByHash")
	if got.Revoked() {
		t.Fatal("RevokeAPIKey with the wrong account revoked the key")
	}
	e.must(e.s.RevokeAPIKey(e.ctx, a.ID, k1.ID, sloppy(at(2*time.Hour))), "RevokeAPIKey")
	wantErr(t, "RevokeAPIKey twice", e.s.RevokeAPIKey(e.ctx, a.ID, k1.ID, at(3*time.Hour)), carillon.ErrNotFound)
	got, _, err = e.s.APIKeyByHash(e.ctx, k1.Hash)
	e.must(err, "APIKeyByHash")
	check(t, "revoked_at after revoking twice", got.RevokedAt, at(2*time.Hour))
	got, _, err = e.s.APIKeyByHash(e.ctx, kb.Hash)
	e.must(err, "APIKeyByHash")
	if got.Revoked() {
		t.Error("revoking a key revoked another account's key")
	}

	// Touching moves last_used forward only.
	touches := []struct {
		at   time.Time
		want time.Time
	}{
		{sloppy(at(10 * time.Minute)), at(10 * time.Minute)},
		{at(5 * time.Minute), at(10 * time.Minute)},
		{at(10 * time.Minute), at(10 * time.Minute)},
		{at(20 * time.Minute), at(20 * time.Minute)},
	}
	for _, tc := range touches {
		e.must(e.s.TouchAPIKey(e.ctx, kb.ID, tc.at), "TouchAPIKey")
		got, _, err := e.s.APIKeyByHash(e.ctx, kb.Hash)
		e.must(err, "APIKeyByHash")
		check(t, fmt.Sprintf("last_used_at after touching at %s", show(tc.at)), got.LastUsedAt, tc.want)
	}
	got, _, err = e.s.APIKeyByHash(e.ctx, k2.Hash)
	e.must(err, "APIKeyByHash")
	check(t, "another key after touching", got, normKey(k2))
}
