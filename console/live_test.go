package console

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/carillon/carillon"
	"github.com/carillon/carillon/service"
)

// sseEvent is an event of a stream as a browser parses it.
type sseEvent struct {
	name, id string
	data     liveData
}

// sseStream is a stream of GET /inbox/events read as a browser does.
type sseStream struct {
	t     *testing.T
	resp  *http.Response
	lines *bufio.Scanner
	retry string
}

// openStream opens the stream with headers, as the client c.
func (r *rig) openStream(t *testing.T, c *http.Client, query string, headers map[string]string) *sseStream {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, r.srv.URL+"/inbox/events"+query, nil)
	req.Header.Set("Accept", "text/event-stream")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return &sseStream{t: t, resp: resp, lines: bufio.NewScanner(resp.Body)}
}

// next reads the next event with data (comments and id-only events
// aside).
func (s *sseStream) next() sseEvent {
	s.t.Helper()
	var e sseEvent
	var data string
	for s.lines.Scan() {
		line := s.lines.Text()
		field, value, _ := strings.Cut(line, ": ")
		switch {
		case line == "":
			if data == "" {
				e = sseEvent{}
				continue
			}
			if err := json.Unmarshal([]byte(data), &e.data); err != nil {
				s.t.Fatalf("data %q: %v", data, err)
			}
			return e
		case field == "retry":
			s.retry = value
		case field == "event":
			e.name = value
		case field == "id":
			e.id = value
		case field == "data":
			data = value
		}
	}
	s.t.Fatalf("the stream ended: %v", s.lines.Err())
	return e
}

// until reads events until one of kind about contact, and returns them
// all.
func (s *sseStream) until(kind, contact string) []sseEvent {
	s.t.Helper()
	var all []sseEvent
	for {
		e := s.next()
		all = append(all, e)
		if e.data.Kind == kind && e.data.Contact == contact {
			return all
		}
	}
}

func kindsOf(evs []sseEvent) string {
	var out []string
	for _, e := range evs {
		out = append(out, e.data.Kind)
	}
	return strings.Join(out, ",")
}

// customer makes a customer write to the account's sandbox, and returns
// their contact.
func (r *rig) customer(t testing.TB, from, text string) carillon.Contact {
	t.Helper()
	m := r.inbound(t, from, text)
	c, err := r.svc.Store().ContactByID(context.Background(), r.acct.ID, m.ContactID)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestLiveEvents: the stream tells a tab the changes of the chats it may
// see, each with its id, and one that reconnects with Last-Event-ID what
// came after it; a tab behind what is kept is reset.
func TestLiveEvents(t *testing.T) {
	t.Parallel()
	r := newRig(t, service.Options{})
	agent, _ := r.client(t, roleUsers[carillon.RoleAgent])
	start, err := r.svc.Live.Position(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	c := r.customer(t, "+31611110001", "hello")

	s := r.openStream(t, agent, "?after="+strconv.FormatInt(start, 10), nil)
	if s.resp.StatusCode != http.StatusOK || s.resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("GET /inbox/events: %d %s", s.resp.StatusCode, s.resp.Header.Get("Content-Type"))
	}
	got := s.until(carillon.EventMessageCreated, c.UUID)
	if kinds := kindsOf(got); kinds != "contact_created,conversation_opened,message_created" {
		t.Errorf("events of a first message: %s", kinds)
	}
	if s.retry != "1000" {
		t.Errorf("retry: %q, want 1000", s.retry)
	}
	for _, e := range got {
		if e.name != "change" || e.id == "" || e.data.Conversation != c.ConversationUUID {
			t.Errorf("event %+v: want a change with an id, of conversation %s", e, c.ConversationUUID)
		}
	}

	// Reconnected after the first event: the others, not it again.
	again := r.openStream(t, agent, "?after="+strconv.FormatInt(start, 10), map[string]string{"Last-Event-ID": got[0].id})
	if kinds := kindsOf(again.until(carillon.EventMessageCreated, c.UUID)); kinds != "conversation_opened,message_created" {
		t.Errorf("events after Last-Event-ID %s: %s", got[0].id, kinds)
	}

	// What the first stream is told next: a message that arrives now.
	next := r.customer(t, "+31611110001", "still there?")
	if kinds := kindsOf(s.until(carillon.EventMessageCreated, next.UUID)); kinds != "message_created" {
		t.Errorf("events of the next message: %s", kinds)
	}

	// Pruned: a tab that comes back from before is reset.
	if _, err := r.svc.Store().PruneChatChanges(context.Background(), time.Now().Add(time.Hour), 0); err != nil {
		t.Fatal(err)
	}
	reset := r.openStream(t, agent, "", map[string]string{"Last-Event-ID": got[0].id}).next()
	if reset.name != "reset" || reset.data.Kind != "reset" {
		t.Errorf("a tab back from a pruned id is told %+v, want a reset", reset)
	}

	for _, tc := range []struct {
		name, query, header string
	}{
		{"Last-Event-ID not a number", "", "x1"},
		{"after negative", "?after=-1", ""},
	} {
		h := map[string]string{}
		if tc.header != "" {
			h["Last-Event-ID"] = tc.header
		}
		resp := r.openStream(t, agent, tc.query, h).resp
		if resp.StatusCode != http.StatusUnprocessableEntity {
			t.Errorf("%s: %d, want 422", tc.name, resp.StatusCode)
		}
	}
	anonymous, _ := r.client(t, "")
	if resp := r.openStream(t, anonymous, "", nil).resp; resp.StatusCode != http.StatusSeeOther {
		t.Errorf("a stream without a session: %d, want 303 to sign in", resp.StatusCode)
	}
}

// TestLiveEventsOfTheViewersChats: a restricted agent's tab is told
// nothing of the chats of others.
func TestLiveEventsOfTheViewersChats(t *testing.T) {
	t.Parallel()
	r := newRig(t, service.Options{})
	restricted, _ := r.client(t, roleUsers[carillon.RoleRestrictedAgent])
	s := r.openStream(t, restricted, "", nil)
	if s.resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /inbox/events: %d", s.resp.StatusCode)
	}
	r.customer(t, "+31611110002", "for the team")
	mine := r.customer(t, "+31611110003", "for the restricted agent")
	email := roleUsers[carillon.RoleRestrictedAgent]
	if _, err := r.svc.Contacts.UpdateContact(context.Background(), r.acct.Principal, mine.UUID, service.ContactUpdate{AssignedUser: &email}); err != nil {
		t.Fatal(err)
	}
	if e := s.next(); e.data.Kind != carillon.EventContactUpdated || e.data.Contact != mine.UUID {
		t.Errorf("the restricted agent's first event: %+v, want the assignment of their chat", e)
	}
}

// TestLivePresenceForm: POST /inbox/presence takes a state of a
// conversation the user may see, with the form's CSRF token.
func TestLivePresenceForm(t *testing.T) {
	t.Parallel()
	r := newRig(t, service.Options{})
	c := r.customer(t, "+31611110004", "hello")
	agent, csrf := r.client(t, roleUsers[carillon.RoleAgent])
	restricted, restrictedCSRF := r.client(t, roleUsers[carillon.RoleRestrictedAgent])
	for _, tc := range []struct {
		name   string
		client *http.Client
		form   url.Values
		status int
	}{
		{"viewing", agent, url.Values{"csrf": {csrf}, "conversation": {c.ConversationUUID}, "state": {"viewing"}}, http.StatusNoContent},
		{"typing", agent, url.Values{"csrf": {csrf}, "conversation": {c.ConversationUUID}, "state": {"typing"}}, http.StatusNoContent},
		{"left", agent, url.Values{"csrf": {csrf}, "conversation": {c.ConversationUUID}, "state": {"left"}}, http.StatusNoContent},
		{"no CSRF token", agent, url.Values{"conversation": {c.ConversationUUID}, "state": {"viewing"}}, http.StatusForbidden},
		{"a state that is none", agent, url.Values{"csrf": {csrf}, "conversation": {c.ConversationUUID}, "state": {"away"}}, http.StatusUnprocessableEntity},
		{"an unknown conversation", agent, url.Values{"csrf": {csrf}, "conversation": {carillon.NewUUID()}, "state": {"viewing"}}, http.StatusNotFound},
		{"a chat the user may not see", restricted, url.Values{"csrf": {restrictedCSRF}, "conversation": {c.ConversationUUID}, "state": {"viewing"}}, http.StatusNotFound},
	} {
		if resp := post(t, tc.client, r.srv.URL+"/inbox/presence", tc.form); resp.StatusCode != tc.status {
			t.Errorf("%s: %d, want %d", tc.name, resp.StatusCode, tc.status)
		}
	}
}

// TestLivePages: a page of a user who may open the conversations carries
// where its stream starts; a conversation's page (and a contact's, which
// is its conversation's) opts in with its regions.
func TestLivePages(t *testing.T) {
	t.Parallel()
	r := newRig(t, service.Options{})
	c := r.customer(t, "+31611110005", "hello")
	pos, err := r.svc.Live.Position(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	agent, _ := r.client(t, roleUsers[carillon.RoleAgent])
	chat := readBody(t, get(t, agent, r.srv.URL+"/chat/"+c.ConversationUUID))
	for _, want := range []string{`<script src="/assets/live.js" defer>`, `id="live-status"`, `data-live-from="` + strconv.FormatInt(pos, 10) + `"`,
		`data-live="chat:` + c.ConversationUUID + `"`, `id="thread" data-live-region`, `id="chat-list" data-live-region`, `data-presence`} {
		if !strings.Contains(chat, want) {
			t.Errorf("the chat page lacks %s", want)
		}
	}
	// A contact's page is its conversation's, and follows it too.
	contact := readBody(t, get(t, agent, r.srv.URL+"/contacts/"+c.UUID))
	if !strings.Contains(contact, `data-live="chat:`+c.ConversationUUID+`"`) {
		t.Error("a contact's page does not follow its conversation")
	}
	signIn := readBody(t, get(t, &http.Client{}, r.srv.URL+"/sign-in"))
	if strings.Contains(signIn, "live.js") || strings.Contains(signIn, "live-status") {
		t.Error("the sign-in page loads the live inbox")
	}
}

// TestLiveEventsEndWithTheTab: a stream ends when its tab goes: the
// server, which waits for every answer before it closes, closes.
func TestLiveEventsEndWithTheTab(t *testing.T) {
	t.Parallel()
	r := newRig(t, service.Options{})
	agent, _ := r.client(t, roleUsers[carillon.RoleAgent])
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, r.srv.URL+"/inbox/events", nil)
	resp, err := agent.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	lines := bufio.NewScanner(resp.Body)
	if !lines.Scan() || lines.Text() != "retry: 1000" {
		t.Fatalf("the stream starts with %q", lines.Text())
	}
	cancel()
	resp.Body.Close()
	closed := make(chan struct{})
	go func() {
		r.srv.Close()
		close(closed)
	}()
	select {
	case <-closed:
	case <-time.After(20 * time.Second):
		t.Fatal("the stream of a tab gone still runs")
	}
}
