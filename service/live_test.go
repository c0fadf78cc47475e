package service_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/carillon/carillon"
	"github.com/carillon/carillon/internal/testrig"
	"github.com/carillon/carillon/service"
	"github.com/carillon/carillon/store"
	"github.com/carillon/carillon/telemetry"
)

// liveFixture is a service over a store of the subtest's kind, with the
// default account, two agents of a team each and a restricted agent.
type liveFixture struct {
	svc                *service.Service
	db                 carillon.Store
	p                  service.Principal
	admin, ann, bob    service.Viewer
	restricted         service.Viewer
	annUser, restUser  carillon.User
	annTeam, bobTeam   carillon.Team
	failing            *failingCommits
	sandboxNumberCount atomic.Int64
}

// failingCommits is a store whose transactions all roll back while armed:
// their work runs, then they fail.
type failingCommits struct {
	carillon.Store
	armed atomic.Bool
}

func (s *failingCommits) InTx(ctx context.Context, fn func(q carillon.Queries) error) error {
	return s.Store.InTx(ctx, func(q carillon.Queries) error {
		if err := fn(q); err != nil || !s.armed.Load() {
			return err
		}
		return errors.New("the database went away")
	})
}

func liveSetup(t *testing.T, db *store.DB) *liveFixture {
	t.Helper()
	ctx := context.Background()
	f := &liveFixture{db: db, failing: &failingCommits{Store: db}}
	f.svc = testrig.Service(t, service.Options{Store: f.failing, Registry: providers})
	f.p = testrig.DefaultAccount(t, f.svc).Principal
	acct := f.p.Account.ID
	now := time.Now()
	user := func(email string, role carillon.Role) carillon.User {
		u := carillon.User{UUID: carillon.NewUUID(), AccountID: acct, Email: email, Name: "User " + email, Role: role, CreatedAt: now}
		if err := db.CreateUser(ctx, &u); err != nil {
			t.Fatal(err)
		}
		return u
	}
	team := func(name string, u carillon.User) carillon.Team {
		tm := carillon.Team{UUID: carillon.NewUUID(), AccountID: acct, Name: name, CreatedAt: now}
		if err := db.CreateTeam(ctx, &tm); err != nil {
			t.Fatal(err)
		}
		if err := db.AddTeamMember(ctx, tm.ID, u.ID, now); err != nil {
			t.Fatal(err)
		}
		return tm
	}
	f.annUser = user("ann@example.com", carillon.RoleAgent)
	bob := user("bob@example.com", carillon.RoleAgent)
	f.restUser = user("rest@example.com", carillon.RoleRestrictedAgent)
	admin := user("admin@example.com", carillon.RoleAdmin)
	f.annTeam, f.bobTeam = team("Ann's", f.annUser), team("Bob's", bob)
	viewer := func(u carillon.User) service.Viewer {
		v, err := f.svc.Contacts.ViewerOf(ctx, f.p, u)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	f.admin, f.ann, f.bob, f.restricted = viewer(admin), viewer(f.annUser), viewer(bob), viewer(f.restUser)
	return f
}

// inbound receives a message from a new customer and returns its contact.
func (f *liveFixture) inbound(t *testing.T, text string) carillon.Contact {
	t.Helper()
	from := fmt.Sprintf("+3161000%04d", f.sandboxNumberCount.Add(1))
	return f.inboundFrom(t, from, text)
}

func (f *liveFixture) inboundFrom(t *testing.T, from, text string) carillon.Contact {
	t.Helper()
	m, err := f.svc.Messages.SandboxInbound(context.Background(), f.p, from, text, "")
	if err != nil {
		t.Fatal(err)
	}
	c, err := f.db.ContactByID(context.Background(), f.p.Account.ID, m.ContactID)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// update changes a contact as the API does.
func (f *liveFixture) update(t *testing.T, c carillon.Contact, u service.ContactUpdate) {
	t.Helper()
	if _, err := f.svc.Contacts.UpdateContact(context.Background(), f.p, c.UUID, u); err != nil {
		t.Fatal(err)
	}
}

func (f *liveFixture) subscribe(t *testing.T, v service.Viewer, after int64, resume bool) *follower {
	t.Helper()
	st, err := f.svc.Live.Subscribe(context.Background(), f.p, v, after, resume)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(st.Close)
	return &follower{st: st}
}

func (f *liveFixture) position(t *testing.T) int64 {
	t.Helper()
	p, err := f.svc.Live.Position(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// follower reads a stream as a tab does, keeping the events read past
// the one it waited for.
type follower struct {
	st   *service.LiveStream
	left []service.LiveEvent
}

// until reads the stream until an event done accepts, and returns every
// event read, that one last.
func until(t *testing.T, fo *follower, done func(service.LiveEvent) bool) []service.LiveEvent {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var all []service.LiveEvent
	for {
		evs := fo.left
		fo.left = nil
		if len(evs) == 0 {
			var err error
			if evs, err = fo.st.Next(ctx); err != nil {
				t.Fatalf("stream ended after %v: %v", describe(all), err)
			}
		}
		for i, e := range evs {
			all = append(all, e)
			if done(e) {
				fo.left = evs[i+1:]
				return all
			}
		}
	}
}

// messageOf accepts the message_created event of contact c.
func messageOf(c carillon.Contact) func(service.LiveEvent) bool {
	return func(e service.LiveEvent) bool { return e.Kind == carillon.EventMessageCreated && e.Contact == c.UUID }
}

func describe(evs []service.LiveEvent) []string {
	var out []string
	for _, e := range evs {
		out = append(out, fmt.Sprintf("%d %s %s", e.ID, e.Kind, e.Contact))
	}
	return out
}

// contactsOf are the contacts the events name, each once, in order.
func contactsOf(evs []service.LiveEvent) []string {
	var out []string
	for _, e := range evs {
		if len(out) == 0 || out[len(out)-1] != e.Contact {
			out = append(out, e.Contact)
		}
	}
	return out
}

// TestLiveStreamsCommittedChanges: a tab is told each committed change
// of a chat it may see, with its contact and conversation, and never one
// of a change that rolled back.
func TestLiveStreamsCommittedChanges(t *testing.T) {
	t.Parallel()
	testrig.EachStore(t, func(t *testing.T, open func() *store.DB) {
		f := liveSetup(t, open())
		st := f.subscribe(t, f.admin, 0, false)

		c := f.inbound(t, "hello")
		got := until(t, st, messageOf(c))
		kinds := []string{}
		for _, e := range got {
			kinds = append(kinds, e.Kind)
			if e.Contact != c.UUID || e.Conversation != c.ConversationUUID {
				t.Errorf("event %d %s names contact %s, conversation %s; want %s, %s", e.ID, e.Kind, e.Contact, e.Conversation, c.UUID, c.ConversationUUID)
			}
		}
		check(t, "the kinds of a first inbound message", fmt.Sprint(kinds),
			fmt.Sprint([]string{carillon.EventContactCreated, carillon.EventConversationOpened, carillon.EventMessageCreated}))
		for i := 1; i < len(got); i++ {
			if got[i].ID <= got[i-1].ID {
				t.Errorf("ids not increasing: %v", describe(got))
			}
		}

		// Rolled back: the customer's message is not stored, and no tab
		// hears of it; the next committed change is the next event.
		f.failing.armed.Store(true)
		if _, err := f.svc.Messages.SandboxInbound(context.Background(), f.p, "+31610009999", "lost", ""); err == nil {
			t.Fatal("an inbound message was stored by a transaction that failed")
		}
		f.failing.armed.Store(false)
		f.update(t, c, service.ContactUpdate{Note: ptr("called back")})
		got = until(t, st, func(service.LiveEvent) bool { return true })
		if got[0].Kind != carillon.EventContactUpdated || got[0].Contact != c.UUID {
			t.Errorf("the event after a rolled back change: %v, want %s of %s", describe(got), carillon.EventContactUpdated, c.UUID)
		}
	})
}

// TestLiveReplay: a tab that comes back with the id of the last event it
// saw is told every change after it; one whose changes are no longer kept
// (or whose id this record never gave) is reset.
func TestLiveReplay(t *testing.T) {
	t.Parallel()
	testrig.EachStore(t, func(t *testing.T, open func() *store.DB) {
		f := liveSetup(t, open())
		start := f.position(t)
		a, b, c := f.inbound(t, "a"), f.inbound(t, "b"), f.inbound(t, "c")

		got := until(t, f.subscribe(t, f.ann, start, true), messageOf(c))
		check(t, "contacts replayed from the start", contactsOf(got), []string{a.UUID, b.UUID, c.UUID})
		var afterB int64
		for _, e := range got {
			if messageOf(b)(e) {
				afterB = e.ID
			}
		}
		got = until(t, f.subscribe(t, f.ann, afterB, true), messageOf(c))
		check(t, "contacts replayed after b's message", contactsOf(got), []string{c.UUID})

		// A page that knows its position starts there, like a tab back.
		d := f.inbound(t, "d")
		got = until(t, f.subscribe(t, f.ann, f.position(t)-1, true), messageOf(d))
		check(t, "events from a page's position", describe(got), describe(got[len(got)-1:]))

		// Pruned: a tab behind the record is reset, then goes on.
		if _, err := f.db.PruneChatChanges(context.Background(), time.Now().Add(time.Hour), 0); err != nil {
			t.Fatal(err)
		}
		for _, from := range []int64{start, f.position(t) + 100} {
			st := f.subscribe(t, f.ann, from, true)
			got = until(t, st, func(service.LiveEvent) bool { return true })
			if got[0].Kind != service.LiveReset || got[0].ID != f.position(t) {
				t.Errorf("first event of a tab back from %d: %v, want a reset at %d", from, describe(got), f.position(t))
			}
			e := f.inbound(t, "e")
			got = until(t, st, messageOf(e))
			check(t, "contacts after the reset", contactsOf(got), []string{e.UUID})
		}
	})
}

// TestLiveVisibility: a tab is told the changes of the chats its viewer
// may see (service/visibility.go), and of a chat taken away from them,
// that change, not the next.
func TestLiveVisibility(t *testing.T) {
	t.Parallel()
	testrig.EachStore(t, func(t *testing.T, open func() *store.DB) {
		f := liveSetup(t, open())
		annChat, bobChat, restChat := f.inbound(t, "to ann's team"), f.inbound(t, "to bob's team"), f.inbound(t, "to rest")
		f.update(t, annChat, service.ContactUpdate{TeamUUID: ptr(f.annTeam.UUID)})
		f.update(t, bobChat, service.ContactUpdate{TeamUUID: ptr(f.bobTeam.UUID)})
		f.update(t, restChat, service.ContactUpdate{AssignedUser: ptr(f.restUser.Email), TeamUUID: ptr(f.bobTeam.UUID)})

		streams := map[string]*follower{
			"admin": f.subscribe(t, f.admin, 0, false), "ann": f.subscribe(t, f.ann, 0, false),
			"bob": f.subscribe(t, f.bob, 0, false), "restricted": f.subscribe(t, f.restricted, 0, false),
		}
		f.inboundFrom(t, "+"+annChat.Address, "again")
		f.inboundFrom(t, "+"+bobChat.Address, "again")
		f.inboundFrom(t, "+"+restChat.Address, "again")
		// A chat of no team is the common queue of agents.
		common := f.inbound(t, "nobody's")
		last := map[string]carillon.Contact{"admin": common, "ann": common, "bob": common, "restricted": restChat}
		want := map[string][]string{
			"admin":      {annChat.UUID, bobChat.UUID, restChat.UUID, common.UUID},
			"ann":        {annChat.UUID, common.UUID},
			"bob":        {bobChat.UUID, restChat.UUID, common.UUID},
			"restricted": {restChat.UUID},
		}
		for name, st := range streams {
			check(t, name+"'s chats", contactsOf(until(t, st, messageOf(last[name]))), want[name])
		}

		// Taken away: the restricted agent is told of the change that
		// moved the chat to Ann's team, then of nothing of it.
		f.update(t, restChat, service.ContactUpdate{UnassignUser: true, TeamUUID: ptr(f.annTeam.UUID)})
		f.inboundFrom(t, "+"+restChat.Address, "after the move")
		mine := f.inbound(t, "for rest")
		f.update(t, mine, service.ContactUpdate{AssignedUser: ptr(f.restUser.Email)})
		got := until(t, streams["restricted"], func(e service.LiveEvent) bool { return e.Contact == mine.UUID })
		check(t, "the restricted agent's events after the move", describe(got), describe([]service.LiveEvent{got[0], got[len(got)-1]}))
		if got[0].Kind != carillon.EventContactUpdated || got[0].Contact != restChat.UUID {
			t.Errorf("the restricted agent's event of the move: %v", describe(got[:1]))
		}
		got = until(t, streams["ann"], messageOf(restChat))
		check(t, "Ann's chats after the move", contactsOf(got), []string{restChat.UUID})
	})
}

// TestLivePresence: who views or types in a conversation reaches the
// other tabs that may see it, and ends when they leave.
func TestLivePresence(t *testing.T) {
	t.Parallel()
	testrig.EachStore(t, func(t *testing.T, open func() *store.DB) {
		f := liveSetup(t, open())
		ctx := context.Background()
		chat := f.inbound(t, "hello")
		f.update(t, chat, service.ContactUpdate{TeamUUID: ptr(f.annTeam.UUID)})
		annStream, adminStream := f.subscribe(t, f.ann, 0, false), f.subscribe(t, f.admin, 0, false)
		presence := func(e service.LiveEvent) bool { return e.Kind == carillon.ChangePresence }

		for _, tc := range []struct {
			state           string
			viewing, typing bool
		}{
			{carillon.PresenceViewing, true, false},
			{carillon.PresenceTyping, true, true},
			{"left", false, false},
		} {
			if err := f.svc.Live.SetPresence(ctx, f.p, f.ann, chat.ConversationUUID, tc.state); err != nil {
				t.Fatalf("SetPresence %s: %v", tc.state, err)
			}
			got := until(t, adminStream, presence)
			e := got[len(got)-1]
			if e.Conversation != chat.ConversationUUID {
				t.Errorf("%s: presence of conversation %s, want %s", tc.state, e.Conversation, chat.ConversationUUID)
			}
			switch {
			case !tc.viewing && len(e.Presence) != 0:
				t.Errorf("%s: the admin sees %+v", tc.state, e.Presence)
			case tc.viewing && (len(e.Presence) != 1 || e.Presence[0].UserUUID != f.annUser.UUID || e.Presence[0].Name != f.annUser.Name ||
				e.Presence[0].Viewing <= 0 || (e.Presence[0].Typing > 0) != tc.typing):
				t.Errorf("%s: the admin sees %+v", tc.state, e.Presence)
			}
			got = until(t, annStream, presence)
			if p := got[len(got)-1].Presence; len(p) != 0 {
				t.Errorf("%s: Ann sees herself: %+v", tc.state, p)
			}
		}

		for _, tc := range []struct {
			name, conversation, state string
			v                         service.Viewer
			code                      carillon.ErrorCode
			field                     string
		}{
			{"a state that is none", chat.ConversationUUID, "sleeping", f.ann, carillon.CodeInvalidParameter, "state"},
			{"no conversation", "", carillon.PresenceViewing, f.ann, carillon.CodeInvalidParameter, "conversation"},
			{"an unknown conversation", carillon.NewUUID(), carillon.PresenceViewing, f.ann, carillon.CodeNotFound, ""},
			{"a chat the viewer may not see", chat.ConversationUUID, carillon.PresenceViewing, f.restricted, carillon.CodeNotFound, ""},
		} {
			err := f.svc.Live.SetPresence(ctx, f.p, tc.v, tc.conversation, tc.state)
			if e, ok := carillon.AsError(err); !ok || e.Code != tc.code || e.Field != tc.field {
				t.Errorf("%s: %v, want %s (%s)", tc.name, err, tc.code, tc.field)
			}
		}
	})
}

// TestLiveAcrossInstances: each instance streams what any instance
// committed (they share the store: PostgreSQL, or here a SQLite file two
// services share), read every 250 ms.
func TestLiveAcrossInstances(t *testing.T) {
	t.Parallel()
	testrig.EachStore(t, func(t *testing.T, open func() *store.DB) {
		f := liveSetup(t, open())
		other := testrig.Service(t, service.Options{Store: f.db, Registry: providers, InstanceID: "other"})
		st := f.subscribe(t, f.admin, 0, false)
		for i := range 3 {
			start := time.Now()
			m, err := other.Messages.SandboxInbound(context.Background(), f.p, fmt.Sprintf("+3162000%04d", i), "via the other instance", "")
			if err != nil {
				t.Fatal(err)
			}
			committed := time.Since(start)
			c, err := f.db.ContactByID(context.Background(), f.p.Account.ID, m.ContactID)
			if err != nil {
				t.Fatal(err)
			}
			until(t, st, messageOf(c))
			t.Logf("told %v after the other instance's commit", time.Since(start)-committed)
		}
	})
}

// fakeNetwork is a provider whose callbacks carry an image, and the
// image.
type fakeNetwork struct{}

func (fakeNetwork) Send(context.Context, carillon.Outgoing) (carillon.SendResult, error) {
	return carillon.SendResult{}, errors.New("not sent")
}

func (fakeNetwork) ParseCallback(carillon.Channel, carillon.Callback) (carillon.CallbackResult, error) {
	return carillon.CallbackResult{Messages: []carillon.InboundMessage{{From: "31612340000", ExternalID: "wamid.1", Type: "image",
		Media: &carillon.InboundMedia{ID: "media-1", MimeType: "image/png"}, At: time.Now()}}}, nil
}

func (fakeNetwork) FetchMedia(context.Context, carillon.Channel, carillon.InboundMedia) (io.ReadCloser, string, error) {
	return io.NopCloser(strings.NewReader("\x89PNG\r\n\x1a\n")), "image/png", nil
}

// memoryMedia keeps files in memory.
type memoryMedia struct {
	mu    sync.Mutex
	files map[string][]byte
}

func (m *memoryMedia) Put(_ context.Context, r io.Reader, _, _ string) (string, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return "", err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	name := fmt.Sprintf("file%d.png", len(m.files))
	m.files[name] = b
	return name, nil
}

func (m *memoryMedia) Open(_ context.Context, name string) (carillon.MediaFile, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	b, ok := m.files[name]
	if !ok {
		return carillon.MediaFile{}, carillon.ErrNotFound
	}
	return carillon.MediaFile{Name: name, ContentType: "image/png", Size: int64(len(b)), Content: io.NopCloser(bytes.NewReader(b))}, nil
}

func (m *memoryMedia) Delete(_ context.Context, name string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.files, name)
	return nil
}

// TestLiveMediaBeforeTheEvent: a customer's file is stored before any tab
// is told of its message: the attachment a tab shows opens.
func TestLiveMediaBeforeTheEvent(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := testrig.SQLite(t)
	files := &memoryMedia{files: map[string][]byte{}}
	svc := testrig.Service(t, service.Options{Store: db, Registry: providers, Media: files,
		Providers: map[string]carillon.Provider{"fakenet": fakeNetwork{}}})
	p := testrig.DefaultAccount(t, svc).Principal
	ch := carillon.Channel{UUID: carillon.NewUUID(), AccountID: p.Account.ID, Title: "Fake", Type: carillon.WhatsApp, Provider: "fakenet",
		CreatedAt: time.Now(), UpdatedAt: time.Now()}
	if err := db.CreateChannel(ctx, &ch); err != nil {
		t.Fatal(err)
	}
	st, err := svc.Live.Subscribe(ctx, p, service.Viewer{UserID: 1, Role: carillon.RoleAdmin}, 0, false)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(st.Close)
	done := make(chan error, 1)
	go func() {
		_, err := svc.Messages.Callback(ctx, ch, carillon.Callback{Method: http.MethodPost})
		done <- err
	}()
	got := until(t, &follower{st: st}, func(e service.LiveEvent) bool { return e.Kind == carillon.EventMessageCreated })
	m, err := db.MessageByExternalID(ctx, ch.ID, "wamid.1")
	if err != nil {
		t.Fatalf("the message told of (%v) is not stored: %v", describe(got), err)
	}
	name := m.Content.URL[strings.LastIndex(m.Content.URL, "/")+1:]
	f, err := svc.Messages.Media(ctx, name)
	if err != nil {
		t.Fatalf("the file of the message told of (%s) does not open: %v", m.Content.URL, err)
	}
	f.Content.Close()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// TestLiveStreamsCounted: the metrics count the open streams and the
// events told.
func TestLiveStreamsCounted(t *testing.T) {
	t.Parallel()
	m := telemetry.New()
	svc := testrig.Service(t, service.Options{Metrics: m, Registry: providers})
	p := testrig.DefaultAccount(t, svc).Principal
	admin := service.Viewer{UserID: 1, Role: carillon.RoleAdmin}
	scrape := func() string { return metricsText(m) }
	var streams []*service.LiveStream
	for range 2 {
		st, err := svc.Live.Subscribe(context.Background(), p, admin, 0, false)
		if err != nil {
			t.Fatal(err)
		}
		streams = append(streams, st)
	}
	if got := scrape(); !strings.Contains(got, "carillon_live_streams 2\n") {
		t.Errorf("two streams open: %s", got)
	}
	if _, err := svc.Messages.SandboxInbound(context.Background(), p, "+31610000001", "hello", ""); err != nil {
		t.Fatal(err)
	}
	until(t, &follower{st: streams[0]}, func(e service.LiveEvent) bool { return e.Kind == carillon.EventMessageCreated })
	streams[0].Close()
	streams[1].Close()
	got := scrape()
	for _, want := range []string{"carillon_live_streams 0\n", `carillon_live_events_total{type="change"} 3` + "\n"} {
		if !strings.Contains(got, want) {
			t.Errorf("the metrics lack %q", want)
		}
	}
}

// check reports got ≠ want.
func check[T any](t *testing.T, what string, got, want T) {
	t.Helper()
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("%s: got %v, want %v", what, got, want)
	}
}

// TestLiveOneChangePerTransaction: a transaction that changes a chat the
// same way several times (a send's outcome with its receipts: sent,
// delivered and read, each a message_status_updated of the contact)
// records it once; the changes of a transaction that differ are each
// recorded.
func TestLiveOneChangePerTransaction(t *testing.T) {
	t.Parallel()
	testrig.EachStore(t, func(t *testing.T, open func() *store.DB) {
		f := liveSetup(t, open())
		ctx := context.Background()
		c := f.inbound(t, "hello")
		kindsAfter := func(pos int64) []string {
			t.Helper()
			changes, err := f.db.ChatChanges(ctx, pos, 100)
			if err != nil {
				t.Fatal(err)
			}
			var kinds []string
			for _, ch := range changes {
				if ch.ContactID != c.ID {
					t.Errorf("change %d is of contact %d, want %d", ch.ID, ch.ContactID, c.ID)
				}
				kinds = append(kinds, ch.Kind)
			}
			return kinds
		}
		res, err := f.svc.Messages.Send(ctx, f.p, text(c.Address, "thanks"))
		if err != nil {
			t.Fatal(err)
		}
		pos := f.position(t)
		report := func(st carillon.Status) carillon.Receipt {
			return carillon.Receipt{Status: st, Payload: json.RawMessage(`{"status":"` + string(st) + `"}`)}
		}
		_, err = f.svc.Messages.RecordOutcome(ctx, res.Message, service.Outcome{Result: carillon.SendResult{ExternalID: "wamid.once",
			Receipts: []carillon.Receipt{report(carillon.StatusDelivered), report(carillon.StatusRead)}}})
		if err != nil {
			t.Fatal(err)
		}
		check(t, "the changes of an outcome with two receipts", fmt.Sprint(kindsAfter(pos)),
			fmt.Sprint([]string{carillon.EventMessageStatusUpdated}))

		// A first message from a customer: three changes of its chat,
		// each told.
		pos = f.position(t)
		c = f.inbound(t, "new here")
		check(t, "the changes of a first inbound message", fmt.Sprint(kindsAfter(pos)),
			fmt.Sprint([]string{carillon.EventContactCreated, carillon.EventConversationOpened, carillon.EventMessageCreated}))
	})
}
