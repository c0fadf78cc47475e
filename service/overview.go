package service

import (
	"context"
	"errors"
	"time"

	"github.com/carillon/carillon"
)

// Overview is an account at a glance: what the console's home page shows.
type Overview struct {
	Account carillon.Account
	// Channels are the account's live channels (discarded ones left out),
	// the first overviewChannels of them; ChannelCount counts them all.
	Channels     []carillon.Channel
	ChannelCount int
	// Since is the start of today (UTC), from which MessagesToday counts.
	Since time.Time
	// MessagesToday counts the messages created since Since, by status.
	MessagesToday map[carillon.Status]int
	// Webhook is nil when the account has none.
	Webhook *WebhookOverview
	// BaseURL is where the account's API is reached.
	BaseURL string
}

// WebhookOverview is the state of an account's webhook at a glance.
type WebhookOverview struct {
	URL     string
	Enabled bool
	// Backlog counts the events waiting for their delivery.
	Backlog int
	// LastDelivery is the event attempted last; nil when none was.
	LastDelivery *carillon.WebhookEvent
}

// overviewChannels is how many channels the overview lists.
const overviewChannels = 100

// Overview reads the account's figures at a glance.
func (s *Accounts) Overview(ctx context.Context, accountID int64) (Overview, error) {
	acct, err := s.account(ctx, accountID)
	if err != nil {
		return Overview{}, s.notFound(ctx, "read overview", "account", err)
	}
	now := s.clock.Now().UTC()
	o := Overview{Account: acct, Since: time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC), BaseURL: s.publicURL + "/v1"}
	active := true
	o.Channels, o.ChannelCount, err = s.store.ListChannels(ctx, accountID, carillon.ChannelFilter{Active: &active}, carillon.Page{Number: 1, Size: overviewChannels})
	if err != nil {
		return Overview{}, s.internal(ctx, "read overview", err)
	}
	if o.MessagesToday, err = s.store.CountMessagesByStatus(ctx, accountID, o.Since); err != nil {
		return Overview{}, s.internal(ctx, "read overview", err)
	}
	w, err := s.store.WebhookByAccount(ctx, accountID)
	switch {
	case errors.Is(err, carillon.ErrNotFound):
		return o, nil
	case err != nil:
		return Overview{}, s.internal(ctx, "read overview", err)
	}
	o.Webhook = &WebhookOverview{URL: w.URL, Enabled: w.Enabled}
	if o.Webhook.Backlog, err = s.store.CountWebhookBacklog(ctx, w.ID); err != nil {
		return Overview{}, s.internal(ctx, "read overview", err)
	}
	last, err := s.store.LastWebhookDelivery(ctx, w.ID)
	switch {
	case err == nil:
		o.Webhook.LastDelivery = &last
	case !errors.Is(err, carillon.ErrNotFound):
		return Overview{}, s.internal(ctx, "read overview", err)
	}
	return o, nil
}

// AccountOf returns the account with that id (the console's sessions name
// their account by id).
func (s *Accounts) AccountOf(ctx context.Context, id int64) (carillon.Account, error) {
	acct, err := s.account(ctx, id)
	if err != nil {
		return carillon.Account{}, s.notFound(ctx, "read account", "account", err)
	}
	return acct, nil
}

// ContactByConversation is the contact whose conversation has that uuid,
// as Contact shows it (the console's /chat/{uuid}).
func (s *Contacts) ContactByConversation(ctx context.Context, p Principal, conversationUUID string) (ContactView, error) {
	c, err := s.store.ContactByConversation(ctx, p.Account.ID, conversationUUID)
	if err != nil {
		return ContactView{}, s.notFound(ctx, "read conversation", "conversation", err)
	}
	return s.view(ctx, p, c)
}
