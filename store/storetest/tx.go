package storetest

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/carillon/carillon"
)

// Transactions: commit, rollback (the held status history included),
// concurrent writers, and multi-statement writes made atomic.

func testResourcesInTx(t *testing.T, e *env) {
	ctx := e.ctx
	f := e.fixture("a")
	a := f.acct
	u := e.user(a.ID, "u@example.com")
	tm := e.team(a.ID, "Team")
	cs := e.customStatus(a.ID, "Lunch")
	x, y := e.tag(a.ID, "x"), e.tag(a.ID, "y")
	field := e.field(a.ID, "Plan")
	e.must(e.s.SetContactTags(ctx, f.contact.ID, []int64{x.ID}), "SetContactTags")
	e.must(e.s.SetContactFieldValue(ctx, f.contact.ID, field.ID, "Free"), "SetContactFieldValue")
	e.must(e.s.AddTeamMember(ctx, tm.ID, u.ID, base), "AddTeamMember")
	st := carillon.UserStatus{Available: true, AvailabilityAt: base, CustomStatusID: cs.ID, CustomStatusAt: base}
	e.must(e.s.SetUserStatus(ctx, a.ID, u.ID, st), "SetUserStatus")
	boom := errors.New("boom")

	// Rolled back: nothing of it stays.
	err := e.s.InTx(ctx, func(q carillon.Queries) error {
		steps := []struct {
			name string
			fn   func() error
		}{
			{"SetContactTags", func() error { return q.SetContactTags(ctx, f.contact.ID, []int64{y.ID}) }},
			{"SetContactFieldValue", func() error { return q.SetContactFieldValue(ctx, f.contact.ID, field.ID, "") }},
			{"RemoveTeamMember", func() error { return q.RemoveTeamMember(ctx, tm.ID, u.ID) }},
			{"CreateTag", func() error { return q.CreateTag(ctx, &carillon.Tag{AccountID: a.ID, Name: "ghost", CreatedAt: base}) }},
			{"DeleteCustomStatus", func() error { return q.DeleteCustomStatus(ctx, a.ID, cs.ID) }},
			{"DeleteTag", func() error { _, err := q.DeleteTag(ctx, a.ID, x.ID); return err }},
			{"DeleteContact", func() error { return q.DeleteContact(ctx, a.ID, f.contact.ID) }},
		}
		for _, s := range steps {
			if err := s.fn(); err != nil {
				t.Errorf("%s inside the tx: %v", s.name, err)
			}
		}
		if _, err := q.ContactByID(ctx, a.ID, f.contact.ID); !errors.Is(err, carillon.ErrNotFound) {
			t.Errorf("the tx still sees the contact it deleted: %v", err)
		}
		if got, err := q.UserStatus(ctx, a.ID, u.ID); err != nil || got.CustomStatusID != 0 {
			t.Errorf("inside the tx, the user's custom status after its deletion: %d, %v", got.CustomStatusID, err)
		}
		return fmt.Errorf("failing on purpose: %w", boom)
	})
	if !errors.Is(err, boom) {
		t.Fatalf("InTx returned %v, want the function's error", err)
	}
	got, err := e.s.ContactByID(ctx, a.ID, f.contact.ID)
	e.must(err, "ContactByID after rollback")
	check(t, "contact after rollback", got, f.contact)
	gotM, err := e.s.MessageByID(ctx, a.ID, f.message.ID)
	e.must(err, "MessageByID after rollback")
	check(t, "message after rollback", gotM, f.message)
	tags := e.contactTags([]int64{f.contact.ID})
	check(t, "tags after rollback", tags, map[int64][]string{f.contact.ID: {"x"}})
	values := e.contactValues([]int64{f.contact.ID})
	check(t, "values after rollback", values, map[int64]map[int64]string{f.contact.ID: {field.ID: "Free"}})
	members, err := e.s.TeamMembers(ctx, tm.ID)
	e.must(err, "TeamMembers")
	check(t, "members after rollback", userEmails(members), []string{u.Email})
	_, err = e.s.TagByName(ctx, a.ID, "ghost")
	wantErr(t, "tag of a rolled back tx", err, carillon.ErrNotFound)
	_, err = e.s.TagByName(ctx, a.ID, "x")
	e.must(err, "TagByName of a tag deleted in a rolled back tx")
	_, err = e.s.CustomStatusByID(ctx, a.ID, cs.ID)
	e.must(err, "CustomStatusByID after rollback")
	gotS, err := e.s.UserStatus(ctx, a.ID, u.ID)
	e.must(err, "UserStatus after rollback")
	check(t, "user status after rollback", gotS, st)

	// Committed, with status history the tx added before deleting the
	// contact: none of it outlives the contact.
	err = e.s.InTx(ctx, func(q carillon.Queries) error {
		if err := q.AddStatusChange(ctx, carillon.StatusChange{MessageID: f.message.ID, Status: carillon.StatusSent, Applied: true, CreatedAt: base}); err != nil {
			return err
		}
		if err := q.DeleteCustomStatus(ctx, a.ID, cs.ID); err != nil {
			return err
		}
		return q.DeleteContact(ctx, a.ID, f.contact.ID)
	})
	e.must(err, "InTx")
	_, err = e.s.ContactByID(ctx, a.ID, f.contact.ID)
	wantErr(t, "contact deleted in a committed tx", err, carillon.ErrNotFound)
	hist, err := e.s.StatusHistory(ctx, f.message.ID)
	e.must(err, "StatusHistory")
	if len(hist) != 0 {
		t.Errorf("the deleted contact's message keeps %d status changes written in the same tx", len(hist))
	}
	gotS, err = e.s.UserStatus(ctx, a.ID, u.ID)
	e.must(err, "UserStatus")
	st.CustomStatusID = 0
	check(t, "user status after its custom status was deleted in a tx", gotS, st)
}

func testInTxCommit(t *testing.T, e *env) {
	ctx := e.ctx
	var f fixture
	err := e.s.InTx(ctx, func(q carillon.Queries) error {
		f.acct = carillon.Account{UUID: carillon.NewUUID(), Name: "tx", CreatedAt: base}
		if err := q.CreateAccount(ctx, &f.acct); err != nil {
			return err
		}
		got, err := q.AccountByName(ctx, "tx")
		if err != nil {
			return fmt.Errorf("reading the tx's own account: %w", err)
		}
		check(t, "account read inside the tx", got, f.acct)
		f.channel = carillon.Channel{UUID: carillon.NewUUID(), AccountID: f.acct.ID, Title: "c", Type: carillon.WhatsApp,
			Provider: carillon.ProviderSandbox, Main: true, Settings: map[string]string{"k": "v"}, CreatedAt: base, UpdatedAt: base}
		if err := q.CreateChannel(ctx, &f.channel); err != nil {
			return err
		}
		gotC, err := q.MainChannel(ctx, f.acct.ID, carillon.WhatsApp)
		if err != nil {
			return fmt.Errorf("reading the tx's own channel: %w", err)
		}
		check(t, "channel read inside the tx", gotC, f.channel)
		f.contact = carillon.Contact{UUID: carillon.NewUUID(), AccountID: f.acct.ID, ChannelID: f.channel.ID, Address: "1",
			CreatedAt: base, UpdatedAt: base}
		if err := q.CreateContact(ctx, &f.contact); err != nil {
			return err
		}
		f.contact.Name = "named in the tx"
		if err := q.UpdateContact(ctx, &f.contact); err != nil {
			return err
		}
		gotK, err := q.ContactByAddress(ctx, f.channel.ID, "1")
		if err != nil {
			return fmt.Errorf("reading the tx's own contact: %w", err)
		}
		check(t, "contact read inside the tx", gotK, f.contact)
		f.message = carillon.Message{UUID: carillon.NewUUID(), AccountID: f.acct.ID, ChannelID: f.channel.ID, ContactID: f.contact.ID,
			Direction: carillon.Outbound, Type: carillon.TypeText, Status: carillon.StatusEnqueued, CreatedAt: base, UpdatedAt: base,
			SendState: carillon.SendQueued, Owner: "tx"}
		if err := q.CreateMessage(ctx, &f.message); err != nil {
			return err
		}
		queued, err := q.QueuedMessages(ctx, "tx", 0, 10)
		if err != nil {
			return err
		}
		check(t, "queue inside the tx", ids(queued), []int64{f.message.ID})
		if n, err := q.CountQueued(ctx); err != nil || n != 1 {
			t.Errorf("CountQueued inside the tx = %d, %v; want 1", n, err)
		}
		if err := q.AddStatusChange(ctx, carillon.StatusChange{MessageID: f.message.ID, Status: carillon.StatusEnqueued, Applied: true, CreatedAt: base}); err != nil {
			return err
		}
		if err := q.SaveIdempotencyRecord(ctx, carillon.IdempotencyRecord{AccountID: f.acct.ID, Key: "k", MessageUUID: f.message.UUID, CreatedAt: base}); err != nil {
			return err
		}
		return q.RegisterInstance(ctx, "tx", base)
	})
	e.must(err, "InTx")

	got, err := e.s.AccountByName(ctx, "tx")
	e.must(err, "AccountByName after commit")
	check(t, "account after commit", got, f.acct)
	gotC, err := e.s.ChannelByUUID(ctx, f.acct.ID, f.channel.UUID)
	e.must(err, "ChannelByUUID after commit")
	check(t, "channel after commit", gotC, f.channel)
	gotK, err := e.s.ContactByID(ctx, f.acct.ID, f.contact.ID)
	e.must(err, "ContactByID after commit")
	check(t, "contact after commit", gotK, f.contact)
	gotM, err := e.s.MessageByID(ctx, f.acct.ID, f.message.ID)
	e.must(err, "MessageByID after commit")
	check(t, "message after commit", gotM, f.message)
	hist, err := e.s.StatusHistory(ctx, f.message.ID)
	e.must(err, "StatusHistory after commit")
	if len(hist) != 1 {
		t.Errorf("%d status changes after commit, want 1", len(hist))
	}
	_, err = e.s.IdempotencyRecord(ctx, f.acct.ID, "k")
	e.must(err, "IdempotencyRecord after commit")
	if n, err := e.s.CountInstances(ctx, base); err != nil || n != 1 {
		t.Errorf("CountInstances after commit = %d, %v; want 1", n, err)
	}

	// A conflict inside a transaction is ErrConflict too, and returning it
	// rolls the transaction back.
	err = e.s.InTx(ctx, func(q carillon.Queries) error {
		return q.CreateAccount(ctx, &carillon.Account{UUID: carillon.NewUUID(), Name: "tx", CreatedAt: base})
	})
	wantErr(t, "InTx creating a duplicate account", err, carillon.ErrConflict)
	// The store still works afterwards, in and out of transactions.
	e.must(e.s.InTx(ctx, func(q carillon.Queries) error {
		return q.CreateAccount(ctx, &carillon.Account{UUID: carillon.NewUUID(), Name: "after", CreatedAt: base})
	}), "InTx after a failed one")
	_, err = e.s.AccountByName(ctx, "after")
	e.must(err, "AccountByName")
}

func testInTxRollback(t *testing.T, e *env) {
	ctx := e.ctx
	f := e.fixture("a")
	e.must(e.s.RegisterInstance(ctx, "inst", base), "RegisterInstance")
	key := carillon.APIKey{AccountID: f.acct.ID, Name: "k", Prefix: "p", Hash: "h", CreatedAt: base}
	e.must(e.s.CreateAPIKey(ctx, &key), "CreateAPIKey")
	boom := errors.New("boom")

	err := e.s.InTx(ctx, func(q carillon.Queries) error {
		steps := []struct {
			name string
			fn   func() error
		}{
			{"CreateAccount", func() error {
				return q.CreateAccount(ctx, &carillon.Account{UUID: carillon.NewUUID(), Name: "ghost", CreatedAt: base})
			}},
			{"CreateTeam", func() error {
				return q.CreateTeam(ctx, &carillon.Team{UUID: carillon.NewUUID(), AccountID: f.acct.ID, Name: "ghost", CreatedAt: base})
			}},
			{"CreateUser", func() error {
				return q.CreateUser(ctx, &carillon.User{UUID: carillon.NewUUID(), AccountID: f.acct.ID, Email: "ghost@example.com", CreatedAt: base})
			}},
			{"CreateAPIKey", func() error {
				return q.CreateAPIKey(ctx, &carillon.APIKey{AccountID: f.acct.ID, Name: "ghost", Prefix: "g", Hash: "ghost", CreatedAt: base})
			}},
			{"RevokeAPIKey", func() error { return q.RevokeAPIKey(ctx, f.acct.ID, key.ID, base) }},
			{"TouchAPIKey", func() error { return q.TouchAPIKey(ctx, key.ID, at(time.Hour)) }},
			{"CreateChannel", func() error {
				return q.CreateChannel(ctx, &carillon.Channel{UUID: carillon.NewUUID(), AccountID: f.acct.ID, Title: "ghost",
					Type: carillon.Telegram, Provider: carillon.ProviderTelegram, Main: true, CreatedAt: base, UpdatedAt: base})
			}},
			{"UpdateChannel", func() error {
				c := f.channel
				c.Title = "ghost"
				return q.UpdateChannel(ctx, &c)
			}},
			{"CreateContact", func() error {
				return q.CreateContact(ctx, &carillon.Contact{UUID: carillon.NewUUID(), AccountID: f.acct.ID, ChannelID: f.channel.ID,
					Address: "ghost", CreatedAt: base, UpdatedAt: base})
			}},
			{"UpdateContact", func() error {
				c := f.contact
				c.Name = "ghost"
				return q.UpdateContact(ctx, &c)
			}},
			{"CreateMessage", func() error {
				return q.CreateMessage(ctx, &carillon.Message{UUID: carillon.NewUUID(), AccountID: f.acct.ID, ChannelID: f.channel.ID,
					ContactID: f.contact.ID, Direction: carillon.Outbound, Type: carillon.TypeText, Status: carillon.StatusEnqueued,
					CreatedAt: base, UpdatedAt: base, SendState: carillon.SendQueued, Owner: "inst"})
			}},
			{"UpdateMessage", func() error {
				m := f.message
				m.Status, m.SendState = carillon.StatusSent, carillon.SendDone
				return q.UpdateMessage(ctx, &m)
			}},
			{"EraseMessage", func() error {
				m, err := q.MessageByID(ctx, f.acct.ID, f.message.ID)
				if err != nil {
					return err
				}
				return q.EraseMessage(ctx, &m)
			}},
			{"AddStatusChange", func() error {
				return q.AddStatusChange(ctx, carillon.StatusChange{MessageID: f.message.ID, Status: carillon.StatusSent, CreatedAt: base})
			}},
			{"RegisterInstance", func() error { return q.RegisterInstance(ctx, "ghost", base) }},
			{"DeleteInstance", func() error { return q.DeleteInstance(ctx, "inst") }},
			{"SaveIdempotencyRecord", func() error {
				return q.SaveIdempotencyRecord(ctx, carillon.IdempotencyRecord{AccountID: f.acct.ID, Key: "ghost", CreatedAt: base})
			}},
		}
		for _, s := range steps {
			if err := s.fn(); err != nil {
				t.Errorf("%s inside the tx: %v", s.name, err)
			}
		}
		if n, err := q.AdoptMessages(ctx, "inst", "ghost"); err != nil || n != 1 {
			t.Errorf("AdoptMessages inside the tx = %d, %v; want 1", n, err)
		}
		if _, err := q.AccountByName(ctx, "ghost"); err != nil {
			t.Errorf("the tx does not see its own account: %v", err)
		}
		return fmt.Errorf("failing on purpose: %w", boom)
	})
	if !errors.Is(err, boom) {
		t.Fatalf("InTx returned %v, want the function's error", err)
	}

	// Nothing of the transaction is visible.
	_, err = e.s.AccountByName(ctx, "ghost")
	wantErr(t, "account of a rolled back tx", err, carillon.ErrNotFound)
	accts, err := e.s.ListAccounts(ctx)
	e.must(err, "ListAccounts")
	check(t, "accounts after rollback", accts, []carillon.Account{f.acct})
	teams, err := e.s.AllTeams(ctx, f.acct.ID)
	e.must(err, "AllTeams")
	if len(teams) != 0 {
		t.Errorf("%d teams after rollback, want 0", len(teams))
	}
	_, err = e.s.UserByEmail(ctx, f.acct.ID, "ghost@example.com")
	wantErr(t, "user of a rolled back tx", err, carillon.ErrNotFound)
	keys, err := e.s.ListAPIKeys(ctx, f.acct.ID)
	e.must(err, "ListAPIKeys")
	check(t, "keys after rollback", keys, []carillon.APIKey{key})
	chans, err := e.s.AllChannels(ctx, f.acct.ID)
	e.must(err, "AllChannels")
	check(t, "channels after rollback", chans, []carillon.Channel{f.channel})
	c, err := e.s.ContactByID(ctx, f.acct.ID, f.contact.ID)
	e.must(err, "ContactByID")
	check(t, "contact after rollback", c, f.contact)
	_, err = e.s.ContactByAddress(ctx, f.channel.ID, "ghost")
	wantErr(t, "contact of a rolled back tx", err, carillon.ErrNotFound)
	m, err := e.s.MessageByID(ctx, f.acct.ID, f.message.ID)
	e.must(err, "MessageByID")
	check(t, "message after rollback", m, f.message)
	if n, err := e.s.CountQueued(ctx); err != nil || n != 1 {
		t.Errorf("CountQueued after rollback = %d, %v; want 1", n, err)
	}
	hist, err := e.s.StatusHistory(ctx, f.message.ID)
	e.must(err, "StatusHistory")
	if len(hist) != 0 {
		t.Errorf("%d status changes after rollback, want 0", len(hist))
	}
	stale, err := e.s.StaleInstances(ctx, at(time.Hour))
	e.must(err, "StaleInstances")
	check(t, "instances after rollback", stale, []string{"inst"})
	_, err = e.s.IdempotencyRecord(ctx, f.acct.ID, "ghost")
	wantErr(t, "idempotency record of a rolled back tx", err, carillon.ErrNotFound)

	// A rolled back tx leaves the store usable.
	e.must(e.s.InTx(ctx, func(q carillon.Queries) error {
		return q.CreateAccount(ctx, &carillon.Account{UUID: carillon.NewUUID(), Name: "ghost", CreatedAt: base})
	}), "InTx after a rollback")
	_, err = e.s.AccountByName(ctx, "ghost")
	e.must(err, "AccountByName")
}

// testConcurrentWrites writes from several goroutines at once, in and out of
// transactions, while others read: nothing is lost and nothing fails.
func testConcurrentWrites(t *testing.T, e *env) {
	f := e.fixture("a")
	const workers, each = 6, 8
	var wg sync.WaitGroup
	errs := make(chan error, workers*each*3)
	for w := range workers {
		wg.Go(func() {
			owner := fmt.Sprintf("w%d", w)
			for i := range each {
				m := carillon.Message{UUID: carillon.NewUUID(), AccountID: f.acct.ID, ChannelID: f.channel.ID, ContactID: f.contact.ID,
					Direction: carillon.Outbound, Type: carillon.TypeText, Status: carillon.StatusEnqueued,
					CreatedAt: base, UpdatedAt: base, SendState: carillon.SendQueued, Owner: owner}
				var err error
				if i%2 == 0 {
					err = e.s.CreateMessage(e.ctx, &m)
				} else {
					err = e.s.InTx(e.ctx, func(q carillon.Queries) error {
						if err := q.CreateMessage(e.ctx, &m); err != nil {
							return err
						}
						return q.AddStatusChange(e.ctx, carillon.StatusChange{MessageID: m.ID, Status: carillon.StatusEnqueued, Applied: true, CreatedAt: base})
					})
				}
				if err != nil {
					errs <- err
					continue
				}
				if _, err := e.s.MessageByID(e.ctx, f.acct.ID, m.ID); err != nil {
					errs <- fmt.Errorf("reading a message just written: %w", err)
				}
				if _, err := e.s.QueuedMessages(e.ctx, owner, 0, 100); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	n, err := e.s.CountQueued(e.ctx)
	e.must(err, "CountQueued")
	if n != workers*each+1 {
		t.Errorf("CountQueued = %d after concurrent writes, want %d", n, workers*each+1)
	}
}
