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
	got, _ := e.keyByHash(k1.Hash)
	check(t, "APIKeysByHash", got, normKey(k1))
	if got.Revoked() || !got.LastUsedAt.IsZero() {
		t.Errorf("new key: revoked %v, last used %v", got.Revoked(), got.LastUsedAt)
	}
	got, _ = e.keyByHash(k2.Hash)
	check(t, "APIKeysByHash (every field set)", got, normKey(k2))

	list, err := e.s.ListAPIKeys(e.ctx, a.ID)
	e.must(err, "ListAPIKeys")
	check(t, "ListAPIKeys", list, []carillon.APIKey{normKey(k1), normKey(k2)})
	list, err = e.s.ListAPIKeys(e.ctx, b.ID)
	e.must(err, "ListAPIKeys")
	check(t, "ListAPIKeys of the other account", list, []carillon.APIKey{normKey(kb)})

	// Revoking: not from another account, once only.
	wantErr(t, "RevokeAPIKey of another account's key", e.s.RevokeAPIKey(e.ctx, b.ID, k1.ID, at(time.Hour)), carillon.ErrNotFound)
	wantErr(t, "RevokeAPIKey of a missing key", e.s.RevokeAPIKey(e.ctx, a.ID, k1.ID+k2.ID+kb.ID+100, at(time.Hour)), carillon.ErrNotFound)
	got, _ = e.keyByHash(k1.Hash)
	if got.Revoked() {
		t.Fatal("RevokeAPIKey with the wrong account revoked the key")
	}
	e.must(e.s.RevokeAPIKey(e.ctx, a.ID, k1.ID, sloppy(at(2*time.Hour))), "RevokeAPIKey")
	wantErr(t, "RevokeAPIKey twice", e.s.RevokeAPIKey(e.ctx, a.ID, k1.ID, at(3*time.Hour)), carillon.ErrNotFound)
	got, _ = e.keyByHash(k1.Hash)
	check(t, "revoked_at after revoking twice", got.RevokedAt, at(2*time.Hour))
	got, _ = e.keyByHash(kb.Hash)
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
		got, _ := e.keyByHash(kb.Hash)
		check(t, fmt.Sprintf("last_used_at after touching at %s", show(tc.at)), got.LastUsedAt, tc.want)
	}
	got, _ = e.keyByHash(k2.Hash)
	check(t, "another key after touching", got, normKey(k2))
}

// keyByHash reads the key with that hash alone, and the version of its
// account's channels read with it; the test fails when there is none.
func (e *env) keyByHash(hash string) (carillon.APIKey, int64) {
	e.t.Helper()
	read, err := e.s.APIKeysByHash(e.ctx, []string{hash})
	e.must(err, "APIKeysByHash")
	if len(read) != 1 || !read[0].Found {
		e.t.Fatalf("APIKeysByHash of one existing key: %+v", read)
	}
	return read[0].Key, read[0].ChannelsVersion
}

// testAPIKeysByHash: the keys of many requests read at once, each answer
// in its request's place, whatever the account, revoked or not; a hash
// that names no key is not found; a hash asked twice is answered twice;
// more hashes than one statement reads.
func testAPIKeysByHash(t *testing.T, e *env) {
	a, b := e.account("a"), e.account("b")
	version := func(accountID int64) int64 {
		v, err := e.s.ChannelsVersion(e.ctx, accountID)
		e.must(err, "ChannelsVersion")
		return v
	}
	e.channel(b.ID, carillon.WhatsApp, true)
	va, vb := version(a.ID), version(b.ID)
	if va == vb {
		t.Fatalf("the two accounts' channels versions are both %d: the test cannot tell them apart", va)
	}
	var keys []carillon.APIKey
	for i := range 70 {
		k := carillon.APIKey{AccountID: a.ID, Name: fmt.Sprintf("k%d", i), Prefix: fmt.Sprintf("crln_%08d", i), Hash: fmt.Sprintf("%064x", i+1), CreatedAt: base}
		switch {
		case i%7 == 3:
			k.AccountID = b.ID
		case i%5 == 4:
			k.RevokedAt = at(time.Hour)
		}
		e.must(e.s.CreateAPIKey(e.ctx, &k), "CreateAPIKey")
		keys = append(keys, k)
	}
	wantOf := func(k carillon.APIKey) carillon.KeyByHash {
		v := va
		if k.AccountID == b.ID {
			v = vb
		}
		k.CreatedAt, k.LastUsedAt, k.RevokedAt = norm(k.CreatedAt), norm(k.LastUsedAt), norm(k.RevokedAt)
		return carillon.KeyByHash{Found: true, Key: k, ChannelsVersion: v}
	}
	missing := carillon.KeyByHash{}
	for _, tc := range []struct {
		name   string
		hashes []string
		want   []carillon.KeyByHash
	}{
		{"none", nil, []carillon.KeyByHash{}},
		{"one", []string{keys[0].Hash}, []carillon.KeyByHash{wantOf(keys[0])}},
		{"another account's and a revoked one", []string{keys[3].Hash, keys[4].Hash}, []carillon.KeyByHash{wantOf(keys[3]), wantOf(keys[4])}},
		{"missing, empty and a prefix", []string{strings.Repeat("f", 64), "", keys[1].Hash[:10]}, []carillon.KeyByHash{missing, missing, missing}},
		{"the same key asked three times, among others", []string{keys[2].Hash, keys[5].Hash, keys[2].Hash, "nope", keys[2].Hash},
			[]carillon.KeyByHash{wantOf(keys[2]), wantOf(keys[5]), wantOf(keys[2]), missing, wantOf(keys[2])}},
	} {
		got, err := e.s.APIKeysByHash(e.ctx, tc.hashes)
		e.must(err, "APIKeysByHash "+tc.name)
		check(t, "APIKeysByHash "+tc.name, got, tc.want)
	}
	// Every key and a missing hash, last first: more than one statement.
	var hashes []string
	var want []carillon.KeyByHash
	for i := len(keys) - 1; i >= 0; i-- {
		hashes = append(hashes, keys[i].Hash)
		want = append(want, wantOf(keys[i]))
	}
	hashes, want = append(hashes, "nope"), append(want, missing)
	got, err := e.s.APIKeysByHash(e.ctx, hashes)
	e.must(err, "APIKeysByHash of every key")
	check(t, "APIKeysByHash of every key", got, want)
}
