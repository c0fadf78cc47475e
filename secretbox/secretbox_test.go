package secretbox

import (
	"bytes"
	"path/filepath"
	"testing"
)

func TestSealOpen(t *testing.T) {
	t.Parallel()
	key := bytes.Repeat([]byte{7}, KeySize)
	box, err := New(key)
	if err != nil {
		t.Fatal(err)
	}
	sealed := box.Seal([]byte("access-token"))
	if bytes.Contains(sealed, []byte("access-token")) {
		t.Fatal("sealed data holds the plaintext")
	}
	got, err := box.Open(sealed)
	if err != nil || string(got) != "access-token" {
		t.Fatalf("Open = %q, %v", got, err)
	}
	other, _ := New(bytes.Repeat([]byte{8}, KeySize))
	if _, err := other.Open(sealed); err != ErrWrongKey {
		t.Fatalf("Open with another key: %v, want ErrWrongKey", err)
	}
	if _, err := New([]byte("short")); err == nil {
		t.Fatal("a short key was accepted")
	}
}

func TestKeyFile(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "data", "secret.key")
	k1, err := LoadOrCreateKeyFile(path)
	if err != nil {
		t.Fatal(err)
	}
	k2, err := LoadOrCreateKeyFile(path)
	if err != nil || !bytes.Equal(k1, k2) {
		t.Fatalf("second load = %x, %v; want the first key", k2, err)
	}
	if _, err := DecodeKey("bm90IDMyIGJ5dGVz"); err == nil {
		t.Fatal("a key of the wrong size was accepted")
	}
}
