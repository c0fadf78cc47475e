package client_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/carillon/carillon"
	"github.com/carillon/carillon/client"
	"github.com/carillon/carillon/internal/testrig"
	"github.com/carillon/carillon/service"
)

func strp(s string) *string { return &s }

// TestContacts drives the contact methods against a real server.
func TestContacts(t *testing.T) {
	ctx := context.Background()
	db := testrig.SQLite(t)
	svc := testrig.Service(t, service.Options{Store: db, InstanceID: "client-test", PublicURL: "http://127.0.0.1"})
	first := testrig.DefaultAccount(t, svc)
	acct, key := first.Account, first.Key
	now := time.Now()
	funnel := carillon.Funnel{UUID: carillon.NewDashedUUID(), AccountID: acct.ID, Name: "Lead", Position: 1, CreatedAt: now}
	for _, err := range []error{
		db.CreateTag(ctx, &carillon.Tag{AccountID: acct.ID, Name: "VIP", CreatedAt: now}),
		db.CreateCustomField(ctx, &carillon.CustomField{AccountID: acct.ID, Name: "Seats", Type: carillon.FieldNumber, CreatedAt: now, UpdatedAt: now}),
		db.CreateFunnel(ctx, &funnel),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	srv := testrig.API(t, testrig.APIOptions(svc))
	c := client.New(srv.URL, key)

	kim, err := c.CreateContact(ctx, client.CreateContactParams{Identifier: "+31 6 1234 5678", Source: "whatsapp", Name: "Kim",
		Tags: []string{"vip"}, CustomFields: map[string]any{"Seats": 3}, Note: "Prefers mornings"})
	if err != nil || kim.PhoneNumber == nil || *kim.PhoneNumber != "31612345678" || len(kim.Tags) != 1 || kim.CustomFields["Seats"] != "3" {
		t.Fatalf("CreateContact: %+v, %v", kim, err)
	}
	_, err = c.CreateContact(ctx, client.CreateContactParams{Identifier: "31612345678", Source: "whatsapp", Name: "Kim"})
	var apiErr *client.Error
	if !errors.As(err, &apiErr) || apiErr.Code != "already_exists" || apiErr.Field != "identifier" || apiErr.StatusCode != 422 {
		t.Fatalf("CreateContact of an existing identifier: %v", err)
	}
	if l, meta, err := c.Contacts(ctx, client.ContactFilter{Source: "whatsapp", Tags: []string{"VIP"}, IncludeFieldTypes: true}); err != nil ||
		len(l) != 1 || meta.Pages != 1 || l[0].CustomFieldsMetadata["Seats"].Type != "number" {
		t.Fatalf("Contacts: %+v, %+v, %v", l, meta, err)
	}
	if got, err := c.Contact(ctx, kim.UUID, false); err != nil || got.UUID != kim.UUID || got.CustomFieldsMetadata != nil {
		t.Fatalf("Contact: %+v, %v", got, err)
	}
	if got, err := c.ContactByPhone(ctx, "+31612345678", ""); err != nil || got.UUID != kim.UUID {
		t.Fatalf("ContactByPhone: %+v, %v", got, err)
	}
	if _, err := c.ContactByBSUID(ctx, "US.1", ""); !errors.As(err, &apiErr) || apiErr.StatusCode != 404 {
		t.Fatalf("ContactByBSUID of an unknown BSUID: %v", err)
	}
	got, err := c.UpdateContact(ctx, kim.UUID, client.UpdateContactParams{Name: strp("Kim B"), Tags: []string{}, Note: strp(""),
		CustomFields: map[string]any{"Seats": nil}})
	if err != nil || *got.Name != "Kim B" || len(got.Tags) != 0 || got.Note != nil || len(got.CustomFields) != 0 {
		t.Fatalf("UpdateContact: %+v, %v", got, err)
	}
	if got, err = c.OpenConversation(ctx, kim.UUID); err != nil || got.ConversationHref == nil || !got.ClosedAt.Time().IsZero() {
		t.Fatalf("OpenConversation: %+v, %v", got, err)
	}
	if got, err = c.CloseConversation(ctx, kim.UUID, "solved"); err != nil || got.ClosedAt.Time().IsZero() {
		t.Fatalf("CloseConversation: %+v, %v", got, err)
	}
	if got, err = c.UpdateFunnel(ctx, kim.UUID, funnel.UUID); err != nil || got.FunnelID == nil || *got.FunnelID != funnel.UUID {
		t.Fatalf("UpdateFunnel: %+v, %v", got, err)
	}
	if b, err := c.SetContactBot(ctx, kim.UUID, "bot_start"); err != nil || b.Status != "started" || b.ConversationStartedAt.Time().IsZero() {
		t.Fatalf("SetContactBot: %+v, %v", b, err)
	}
	if b, err := c.ContactBot(ctx, kim.UUID); err != nil || b.Status != "started" || b.Name != "default" || b.Version != 1 {
		t.Fatalf("ContactBot: %+v, %v", b, err)
	}
	if err := c.AddNote(ctx, kim.UUID, "@Alex call back"); err != nil {
		t.Fatal(err)
	}
	if l, _, err := c.ContactMessages(ctx, kim.UUID, client.ListParams{Items: 10}); err != nil || len(l) != 1 || l[0].Status != "note" || *l[0].Text != "@Alex call back" {
		t.Fatalf("ContactMessages: %+v, %v", l, err)
	}
	if err := c.DeleteContact(ctx, kim.UUID); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Contact(ctx, kim.UUID, false); !errors.As(err, &apiErr) || apiErr.StatusCode != 404 {
		t.Fatalf("Contact after a delete: %v", err)
	}
}
