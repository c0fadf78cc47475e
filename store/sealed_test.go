package store_test

import (
	"context"
	"database/sql"
	"encoding/base64"
	"strings"
	"testing"

	"github.com/carillon/carillon"
)

// checkSettingsSealed writes channel settings holding secrets through s and
// checks, with column (which reads a channel's raw settings column), that no
// secret is stored in plain text, nor merely encoded. It returns the
// channel's id.
func checkSettingsSealed(t *testing.T, s carillon.Store, column func(id int64) string) (channelID int64) {
	t.Helper()
	ctx := context.Background()
	const secret, secret2 = "EAAG-very-secret-token-0123456789", "rotated-secret-9876543210"
	a := carillon.Account{UUID: carillon.NewUUID(), Name: "sealed", CreatedAt: carillon.UnixMilli(1700000000123)}
	if err := s.CreateAccount(ctx, &a); err != nil {
		t.Fatal(err)
	}
	ch := carillon.Channel{UUID: carillon.NewUUID(), AccountID: a.ID, Title: "c", Type: carillon.WhatsApp,
		Provider: carillon.ProviderWhatsApp, Settings: map[string]string{"access_token": secret, "phone_number_id": "1"},
		CreatedAt: a.CreatedAt, UpdatedAt: a.CreatedAt}
	if err := s.CreateChannel(ctx, &ch); err != nil {
		t.Fatal(err)
	}
	plainIn := func(stored, secret string) bool {
		if stored == "" || strings.Contains(stored, secret) || strings.Contains(stored, "access_token") {
			return true
		}
		for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
			if b, err := enc.DecodeString(stored); err == nil && strings.Contains(string(b), secret) {
				return true
			}
		}
		return false
	}
	stored := column(ch.ID)
	if plainIn(stored, secret) {
		t.Errorf("the settings column shows the secret: %q", stored)
	}
	ch.Settings["access_token"] = secret2
	if err := s.UpdateChannel(ctx, &ch); err != nil {
		t.Fatal(err)
	}
	stored2 := column(ch.ID)
	if plainIn(stored2, secret2) {
		t.Errorf("the settings column shows the secret after UpdateChannel: %q", stored2)
	}
	if stored2 == stored {
		t.Error("UpdateChannel left the sealed settings as they were")
	}
	got, err := s.ChannelByID(ctx, ch.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Settings["access_token"] != secret2 {
		t.Errorf("settings read back: %v", got.Settings)
	}
	return ch.ID
}

// checkReadyBehind forgets the newest migration in table, through raw, and
// checks that Ready then fails, and fails once db is closed.
func checkReadyBehind(t *testing.T, db carillon.Store, raw *sql.DB, table string) {
	t.Helper()
	ctx := context.Background()
	if err := db.Ready(ctx); err != nil {
		t.Fatalf("Ready: %v", err)
	}
	if _, err := raw.ExecContext(ctx, "DELETE FROM "+table+" WHERE version = (SELECT MAX(version) FROM "+table+")"); err != nil {
		t.Fatal(err)
	}
	if err := db.Ready(ctx); err == nil {
		t.Error("Ready returned nil with the newest migration missing")
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if err := db.Ready(ctx); err == nil {
		t.Error("Ready returned nil on a closed store")
	}
}
