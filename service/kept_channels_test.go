package service_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/carillon/carillon"
	"github.com/carillon/carillon/internal/testrig"
	"github.com/carillon/carillon/service"
	"github.com/carillon/carillon/store"
)

// A channel changed by another instance (here: a second service on the
// same store, as a second carillon serve on the same PostgreSQL) is what
// the next API request of this one sees, though this one keeps its
// account's channels in memory.
func TestKeptChannelsFollowChangesOfOtherInstances(t *testing.T) {
	t.Parallel()
	db := testrig.SQLite(t)
	ctx := context.Background()
	here := testrig.Service(t, service.Options{Store: db, InstanceID: "here", Registry: providers})
	there := testrig.Service(t, service.Options{Store: db, InstanceID: "there", Registry: providers})
	acct := testrig.DefaultAccount(t, there)
	principal := func() service.Principal {
		t.Helper()
		p, err := here.Accounts.Authenticate(ctx, acct.Key)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	mainOf := func(p service.Principal) carillon.Channel {
		t.Helper()
		res, err := here.Messages.Send(ctx, p, text("+4915112340000", "hello"))
		if err != nil {
			t.Fatal(err)
		}
		return res.Channel
	}
	contactChannel := func(p service.Principal) carillon.Channel {
		t.Helper()
		list, _, err := here.Contacts.ListContacts(ctx, p, service.ContactFilter{}, service.PageRequest{})
		if err != nil || len(list) != 1 {
			t.Fatalf("ListContacts: %d contacts, %v", len(list), err)
		}
		return list[0].Channel
	}

	first := mainOf(principal())
	if got := contactChannel(principal()).Title; got != first.Title {
		t.Fatalf("the contact's channel is titled %q, want %q", got, first.Title)
	}

	// Another instance renames the channel and changes its settings.
	renamed := first
	renamed.Title, renamed.UpdatedAt = "Ventas", time.Now()
	renamed.Settings = map[string]string{"number": "+4930123456"}
	if err := db.UpdateChannel(ctx, &renamed); err != nil {
		t.Fatal(err)
	}
	if got := mainOf(principal()); got.Title != "Ventas" || got.Setting("number", "") != "+4930123456" {
		t.Errorf("after the change elsewhere, the send went out on %q with settings %v, want \"Ventas\" with the new number", got.Title, got.Settings)
	}
	if got := contactChannel(principal()).Title; got != "Ventas" {
		t.Errorf("after the change elsewhere, the contact's channel is titled %q, want \"Ventas\"", got)
	}

	// Another instance discards it: this one refuses to send on it.
	renamed.DiscardedAt = time.Now()
	if err := db.UpdateChannel(ctx, &renamed); err != nil {
		t.Fatal(err)
	}
	_, err := here.Messages.Send(ctx, principal(), text("+4915112340000", "again"))
	wantCode(t, err, carillon.CodeInvalidParameter, "from")

	// A new main channel made elsewhere is the one sends go out on.
	other := carillon.Channel{UUID: carillon.NewUUID(), AccountID: acct.ID, Title: "New line", Type: carillon.WhatsApp,
		Provider: carillon.ProviderSandbox, Main: true, CreatedAt: time.Now(), UpdatedAt: time.Now()}
	renamed.Main = false
	if err := db.UpdateChannel(ctx, &renamed); err != nil {
		t.Fatal(err)
	}
	if err := db.CreateChannel(ctx, &other); err != nil {
		t.Fatal(err)
	}
	if got := mainOf(principal()); got.ID != other.ID {
		t.Errorf("the send went out on channel %d (%q), want the new main channel %d", got.ID, got.Title, other.ID)
	}
}

// The events a transaction records name their contact's channel (its
// source) as the transaction sees it: from the channels this instance
// keeps while they are at the version the transaction reads, from the
// store once another instance changed one.
func TestStatusEventsNameTheChannelAsTheTransactionSeesIt(t *testing.T) {
	t.Parallel()
	db := testrig.SQLite(t)
	ctx := context.Background()
	here := testrig.Service(t, service.Options{Store: db, InstanceID: "here", Registry: providers})
	acct := testrig.DefaultAccount(t, here)
	p, err := here.Accounts.Authenticate(ctx, acct.Key)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := here.Webhooks.Subscribe(ctx, p, "https://hooks.example.com/x", []string{carillon.EventMessageStatusUpdated}); err != nil {
		t.Fatal(err)
	}
	res, err := here.Messages.Send(ctx, p, text("+4915112340000", "hello")) // keeps the account's channels
	if err != nil {
		t.Fatal(err)
	}
	ch := res.Channel
	f := &fixture{svc: here, db: db, p: p, sandbox: ch}
	sourceOfReceipt := func(st carillon.Status) any {
		t.Helper()
		if _, err := here.Messages.ApplyReceipt(ctx, ch, carillon.Receipt{ChannelID: ch.ID, MessageUUID: res.Message.UUID, Status: st}); err != nil {
			t.Fatal(err)
		}
		events := pendingEvents(t, f)
		if len(events) == 0 {
			t.Fatalf("no event recorded for %s", st)
		}
		return payloadOf(t, events[len(events)-1])["contact"].(map[string]any)["source"]
	}
	if got := sourceOfReceipt(carillon.StatusSent); got != "whatsapp" {
		t.Errorf("contact's source in the event = %v, want whatsapp", got)
	}
	// Another writer changes the channel's type: the kept channels are
	// behind the version the next transaction reads.
	changed := ch
	changed.Type, changed.UpdatedAt = carillon.Telegram, time.Now()
	if err := db.UpdateChannel(ctx, &changed); err != nil {
		t.Fatal(err)
	}
	if got := sourceOfReceipt(carillon.StatusDelivered); got != "telegram" {
		t.Errorf("after the change elsewhere, the contact's source in the event = %v, want telegram", got)
	}
}

// A provider's callback takes its channel from the channels kept in
// memory, and still checks its signature with the channel's secret as it
// is now: one changed by another instance is the one the next callback
// gets.
func TestCallbackChannelFollowsChangesOfOtherInstances(t *testing.T) {
	t.Parallel()
	db := testrig.SQLite(t)
	ctx := context.Background()
	here := testrig.Service(t, service.Options{Store: db, InstanceID: "here", Registry: providers,
		Providers: map[string]carillon.Provider{"fakenet": fakeNetwork{}}})
	acct := testrig.DefaultAccount(t, here)
	wa := carillon.Channel{UUID: carillon.NewUUID(), AccountID: acct.ID, Title: "wa", Type: carillon.WhatsApp, Provider: "fakenet",
		Settings: map[string]string{"app_secret": "first"}, CreatedAt: time.Now(), UpdatedAt: time.Now()}
	if err := db.CreateChannel(ctx, &wa); err != nil {
		t.Fatal(err)
	}
	secret := func() string {
		t.Helper()
		ch, err := here.Messages.CallbackChannel(ctx, "fakenet", wa.UUID)
		if err != nil {
			t.Fatal(err)
		}
		if ch.ID != wa.ID {
			t.Fatalf("the callback's channel is %d, want %d", ch.ID, wa.ID)
		}
		return ch.Setting("app_secret", "")
	}
	for _, step := range []struct {
		what   string
		change func() error
		want   string
	}{
		{"as created", func() error { return nil }, "first"},
		{"asked again", func() error { return nil }, "first"},
		{"its secret changed elsewhere", func() error {
			wa.Settings, wa.UpdatedAt = map[string]string{"app_secret": "second"}, time.Now()
			return db.UpdateChannel(ctx, &wa)
		}, "second"},
		{"another channel of the account made elsewhere", func() error {
			other := carillon.Channel{UUID: carillon.NewUUID(), AccountID: acct.ID, Title: "wa 2", Type: carillon.WhatsApp, Provider: "fakenet",
				CreatedAt: time.Now(), UpdatedAt: time.Now()}
			return db.CreateChannel(ctx, &other)
		}, "second"},
	} {
		if err := step.change(); err != nil {
			t.Fatal(err)
		}
		if got := secret(); got != step.want {
			t.Errorf("%s: the callback checks with secret %q, want %q", step.what, got, step.want)
		}
	}
	for _, tc := range []struct{ what, provider, uuid string }{
		{"another provider's callback URL", "telegram", wa.UUID},
		{"no channel", "fakenet", carillon.NewUUID()},
	} {
		_, err := here.Messages.CallbackChannel(ctx, tc.provider, tc.uuid)
		wantCode(t, err, carillon.CodeNotFound, "")
	}
}

// heldChannelReads is a store whose first read of a callback's channel
// waits until every callback of a test has started, and then a little, so
// that the others come while it is in flight; it counts the reads.
type heldChannelReads struct {
	carillon.Store
	started   atomic.Int64
	callbacks int64
	reads     atomic.Int64
}

func (s *heldChannelReads) ChannelVersionByUUID(ctx context.Context, uuid string) (int64, int64, int64, error) {
	if s.reads.Add(1) == 1 {
		waitForAll(&s.started, s.callbacks)
	}
	return s.Store.ChannelVersionByUUID(ctx, uuid)
}

// TestConcurrentCallbacksFindTheirChannels: each of many callbacks that
// come at the same time gets its own channel, and one to no channel none;
// on PostgreSQL their channels are read together, each channel once.
func TestConcurrentCallbacksFindTheirChannels(t *testing.T) {
	t.Parallel()
	testrig.EachStore(t, func(t *testing.T, open func() *store.DB) {
		db := open()
		ctx := context.Background()
		held := &heldChannelReads{Store: db, callbacks: 300}
		svc := testrig.Service(t, service.Options{Store: held, Registry: providers,
			Providers: map[string]carillon.Provider{"fakenet": fakeNetwork{}}})
		acct := testrig.DefaultAccount(t, svc)
		var channels []carillon.Channel
		for _, title := range []string{"north", "south"} {
			ch := carillon.Channel{UUID: carillon.NewUUID(), AccountID: acct.ID, Title: title, Type: carillon.WhatsApp, Provider: "fakenet",
				CreatedAt: time.Now(), UpdatedAt: time.Now()}
			if err := db.CreateChannel(ctx, &ch); err != nil {
				t.Fatal(err)
			}
			channels = append(channels, ch)
		}
		channels = append(channels, carillon.Channel{UUID: carillon.NewUUID()}) // no such channel

		var wg sync.WaitGroup
		for i := range int(held.callbacks) {
			want := channels[i%len(channels)]
			wg.Add(1)
			go func() {
				defer wg.Done()
				held.started.Add(1)
				ch, err := svc.Messages.CallbackChannel(ctx, "fakenet", want.UUID)
				switch {
				case want.ID == 0:
					wantCode(t, err, carillon.CodeNotFound, "")
				case err != nil:
					t.Errorf("callback %d: %v", i, err)
				case ch.ID != want.ID || ch.Title != want.Title:
					t.Errorf("callback %d to channel %d got channel %d %q", i, want.ID, ch.ID, ch.Title)
				}
			}()
		}
		wg.Wait()
		if reads := held.reads.Load(); db.Shared() && reads > held.callbacks/4 {
			t.Errorf("%d callbacks read their channels %d times, want them read together", held.callbacks, reads)
		}
	})
}
