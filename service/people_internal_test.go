package service

import (
	"fmt"
	"strings"
	"testing"

	"golang.org/x/crypto/argon2"
)

// TestPasswordHashes checks that a hash carries its parameters: one made
// with others than today's still verifies, and what is not a hash of ours
// matches nothing.
func TestPasswordHashes(t *testing.T) {
	t.Parallel()
	salt := []byte("0123456789abcdef")
	older := fmt.Sprintf("$argon2id$v=19$m=8192,t=1,p=2$%s$%s", b64.EncodeToString(salt),
		b64.EncodeToString(argon2.IDKey([]byte("pass word"), salt, 1, 8192, 2, 24)))
	p := &People{hashing: DefaultPasswordHashing}
	current := p.hashPassword("pass word")
	if !strings.Contains(current, "$m=19456,t=2,p=1$") {
		t.Errorf("a new hash is %q, not at the default cost", current)
	}
	tests := []struct {
		name, hash, password string
		want                 bool
	}{
		{"current parameters", current, "pass word", true},
		{"current parameters, wrong password", current, "pass worD", false},
		{"older parameters", older, "pass word", true},
		{"older parameters, wrong password", older, "password", false},
		{"empty", "", "", false},
		{"another algorithm", strings.Replace(older, "argon2id", "argon2i", 1), "pass word", false},
		{"another version", strings.Replace(older, "v=19", "v=16", 1), "pass word", false},
		{"parameters unreadable", strings.Replace(older, "m=8192,t=1,p=2", "m=x", 1), "pass word", false},
		{"memory beyond reason", strings.Replace(older, "m=8192", "m=99999999", 1), "pass word", false},
		{"salt not base64", strings.Replace(older, b64.EncodeToString(salt), "!!", 1), "pass word", false},
		{"no key", older[:strings.LastIndex(older, "$")+1], "pass word", false},
	}
	for _, tc := range tests {
		if got := passwordMatches(tc.hash, tc.password); got != tc.want {
			t.Errorf("%s: matches %v, want %v", tc.name, got, tc.want)
		}
	}
	if again := p.hashPassword("pass word"); again == current {
		t.Error("two hashes of one password are the same: no salt")
	}
}
