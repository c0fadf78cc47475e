package store_test

import (
	"context"
	"database/sql"
	"fmt"
	"testing"
	"time"

	"github.com/carillon/carillon"
)

// An upgraded store finds what it held before its search index existed:
// migration 0012 indexes the messages and contacts already stored. Each
// test fills a store, takes it back to before 0012 (the index tables
// dropped, the migration unrecorded), opens it again, and searches.

// searchFixture is what fillForSearch wrote.
type searchFixture struct {
	account  carillon.Account
	messages int // messages with words, each "message <n> déjà"
	old      carillon.Message
	contact  carillon.Contact
}

// fillForSearch writes, in one transaction, an account with a contact
// named "Zoë Ångström" and more messages than the migration reads at once
// (a year-old one first), and a message without text every tenth.
func fillForSearch(t *testing.T, s carillon.Store) searchFixture {
	t.Helper()
	ctx := context.Background()
	var fx searchFixture
	now := time.UnixMilli(1700000000000).UTC()
	err := s.InTx(ctx, func(q carillon.Queries) error {
		fx.account = carillon.Account{UUID: carillon.NewUUID(), Name: "upgraded", CreatedAt: now}
		if err := q.CreateAccount(ctx, &fx.account); err != nil {
			return err
		}
		ch := carillon.Channel{UUID: carillon.NewUUID(), AccountID: fx.account.ID, Title: "wa", Type: carillon.WhatsApp,
			Provider: carillon.ProviderSandbox, Main: true, CreatedAt: now, UpdatedAt: now}
		if err := q.CreateChannel(ctx, &ch); err != nil {
			return err
		}
		fx.contact = carillon.Contact{UUID: carillon.NewUUID(), AccountID: fx.account.ID, ChannelID: ch.ID, Address: "31612345678",
			Name: "Zoë Ångström", ConversationUUID: carillon.NewUUID(), CreatedAt: now, UpdatedAt: now}
		if err := q.CreateContact(ctx, &fx.contact); err != nil {
			return err
		}
		for i := range 2300 {
			m := carillon.Message{UUID: carillon.NewUUID(), AccountID: fx.account.ID, ChannelID: ch.ID, ContactID: fx.contact.ID,
				Direction: carillon.Inbound, Type: carillon.TypeText, Content: carillon.Content{Text: fmt.Sprintf("Message %d: DÉJÀ vu", i)},
				Status: carillon.StatusReceived, CreatedAt: now.Add(time.Duration(i) * time.Minute), UpdatedAt: now}
			if i == 0 {
				m.CreatedAt = now.AddDate(-1, 0, 0)
			}
			if i%10 == 9 {
				m.Type, m.Content = "image", carillon.Content{URL: "https://example.com/a.jpg"}
			} else {
				fx.messages++
			}
			if err := q.CreateMessage(ctx, &m); err != nil {
				return err
			}
			if i == 0 {
				fx.old = m
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return fx
}

// unindex takes the store's database back to before migration 0012;
// prefix names the tables' schema ("" or "schema.").
func unindex(t *testing.T, raw *sql.DB, prefix string) {
	t.Helper()
	for _, stmt := range []string{"DROP TABLE " + prefix + "message_words", "DROP TABLE " + prefix + "contact_words",
		"DROP TABLE " + prefix + "search_words",
		"DELETE FROM " + prefix + "schema_migrations WHERE version = 12"} {
		if _, err := raw.Exec(stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
}

// checkUpgradedSearch searches the store opened again.
func checkUpgradedSearch(t *testing.T, s carillon.Store, fx searchFixture) {
	t.Helper()
	ctx := context.Background()
	f := carillon.SearchFilter{AccountID: fx.account.ID, Words: []string{"deja", "vu"}}
	var found int
	before := int64(0)
	for {
		page, err := s.SearchMessages(ctx, f, before, 500)
		if err != nil {
			t.Fatal(err)
		}
		found += len(page)
		if len(page) < 500 {
			break
		}
		before = page[len(page)-1].ID
	}
	if found != fx.messages {
		t.Errorf("found %d messages with their words after the upgrade, want %d", found, fx.messages)
	}
	old, err := s.SearchMessages(ctx, carillon.SearchFilter{AccountID: fx.account.ID, Words: []string{"message", "0"}}, 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(old) != 1 || old[0].UUID != fx.old.UUID {
		t.Errorf("the year-old message: found %v, want %s", old, fx.old.UUID)
	}
	cs, err := s.SearchContacts(ctx, carillon.SearchFilter{AccountID: fx.account.ID, Words: []string{"angstrom", "3161"}, Prefix: true}, 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(cs) != 1 || cs[0].ID != fx.contact.ID {
		t.Errorf("the contact: found %v, want %s", cs, fx.contact.UUID)
	}
}

func TestSQLiteSearchIndexesStoredRows(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	db := openSQLite(t, dir)
	fx := fillForSearch(t, db)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	unindex(t, rawSQLite(t, dir), "")
	checkUpgradedSearch(t, openSQLite(t, dir), fx)
}

func TestPostgresSearchIndexesStoredRows(t *testing.T) {
	postgresURL(t)
	t.Parallel()
	name, u, raw := postgresSchema(t)
	db := openPostgres(t, u)
	fx := fillForSearch(t, db)
	unindex(t, raw, name+".")
	checkUpgradedSearch(t, openPostgres(t, u), fx)
}
