package console

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/carillon/carillon"
	"github.com/carillon/carillon/service"
	"github.com/chromedp/chromedp"
)

// waitFor waits until the JavaScript expression is true in the tab's page.
func (tb *tab) waitFor(what, expression string) {
	tb.t.Helper()
	if _, err := chromedp.Run(tb.ctx, chromedp.Poll[bool](expression,
		chromedp.WithPollingInterval(20*time.Millisecond), chromedp.WithPollingTimeout(20*time.Second))); err != nil {
		page, _ := chromedp.Run(tb.ctx, chromedp.Evaluate[string](`document.body.innerText`))
		tb.mu.Lock()
		problems := tb.problems
		tb.mu.Unlock()
		tb.t.Fatalf("waiting for %s: %v; the page shows %q; console: %q", what, err, page, problems)
	}
}

// shows is the expression true when the element sel holds text.
func shows(sel, text string) string {
	return "(document.querySelector(" + strconv.Quote(sel) + ") || {}).textContent.includes(" + strconv.Quote(text) + ")"
}

// streamCut is the network between one user's tabs and their live stream:
// cut, the streams in flight end and the tabs' attempts to reconnect wait
// until it is restored; the user's other requests go through.
type streamCut struct {
	next http.Handler
	user func(r *http.Request) string
	// email is the user whose stream is cut.
	email string

	mu       sync.Mutex
	cut      bool
	restore  chan struct{}
	inFlight map[*http.Request]context.CancelFunc
}

func (s *streamCut) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/inbox/events" || s.user(r) != s.email {
		s.next.ServeHTTP(w, r)
		return
	}
	s.mu.Lock()
	for s.cut {
		wait := s.restore
		s.mu.Unlock()
		select {
		case <-wait:
		case <-r.Context().Done():
			return
		}
		s.mu.Lock()
	}
	ctx, cancel := context.WithCancel(r.Context())
	s.inFlight[r] = cancel
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.inFlight, r)
		s.mu.Unlock()
		cancel()
	}()
	s.next.ServeHTTP(w, r.WithContext(ctx))
}

func (s *streamCut) down() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cut, s.restore = true, make(chan struct{})
	for _, cancel := range s.inFlight {
		cancel()
	}
}

func (s *streamCut) up() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cut = false
	close(s.restore)
}

// TestBrowserLive: two agents on the same chat, each in a browser of
// their own. Each sees that the other views it; a customer's message
// shows in both without a reload; the second agent's stream is cut while
// messages arrive, their page says it is reconnecting, and once the
// network is back it shows the messages, still without a reload.
func TestBrowserLive(t *testing.T) {
	t.Parallel()
	r := newRig(t, service.Options{})
	first, second := roleUsers[carillon.RoleAgent], roleUsers[carillon.RoleSettingsAgent]
	cut := &streamCut{next: r.srv.Config.Handler, email: second, inFlight: map[*http.Request]context.CancelFunc{},
		user: func(req *http.Request) string {
			c, err := req.Cookie(sessionCookie)
			if err != nil {
				return ""
			}
			_, u, err := r.svc.People.Session(req.Context(), c.Value)
			if err != nil {
				return ""
			}
			return u.Email
		}}
	r.srv.Config.Handler = cut
	c := r.customer(t, "+31622220001", "Hello, is anyone there?")
	chat := r.srv.URL + "/chat/" + c.ConversationUUID

	a, b := newTab(t), newTab(t)
	a.signIn(r.srv.URL, first)
	b.signIn(r.srv.URL, second)
	a.do(chromedp.Navigate(chat))
	b.do(chromedp.Navigate(chat))
	// A reload would forget this.
	for _, tb := range []*tab{a, b} {
		tb.do(chromedp.Evaluate[chromedp.Void](`window.notReloaded = true`))
	}

	// Each sees the other on the chat.
	a.waitFor("the first agent to see the second", shows("[data-presence]", "User settings_agent is viewing this conversation"))
	b.waitFor("the second agent to see the first", shows("[data-presence]", "User agent is viewing this conversation"))

	// A new message shows in both.
	sent := time.Now()
	r.inbound(t, "+31622220001", "I need help with my order")
	for _, tb := range []*tab{a, b} {
		tb.waitFor("the new message", shows("#thread", "I need help with my order"))
	}
	t.Logf("the new message showed in both tabs %v after it was stored", time.Since(sent))
	a.check("live-chat")

	// The second agent's stream is cut while messages arrive.
	cut.down()
	b.waitFor("the reconnecting state", shows("#live-status", "Reconnecting"))
	r.inbound(t, "+31622220001", "Order 1234")
	r.inbound(t, "+31622220001", "It has not arrived")
	a.waitFor("the messages to the first agent", shows("#thread", "It has not arrived"))
	if got := b.text("#thread"); containsAny(got, "Order 1234", "It has not arrived") {
		t.Errorf("the cut tab shows %q", got)
	}
	b.check("live-reconnecting")

	cut.up()
	b.waitFor("the missed messages", shows("#thread", "Order 1234")+" && "+shows("#thread", "It has not arrived"))
	b.waitFor("the stream back", `document.getElementById("live-status").textContent === "" || document.getElementById("live-status").classList.contains("up")`)
	for name, tb := range map[string]*tab{"first": a, "second": b} {
		if reloaded, err := chromedp.Run(tb.ctx, chromedp.Evaluate[bool](`window.notReloaded !== true`)); err != nil || reloaded {
			t.Errorf("the %s agent's page was reloaded (%v)", name, err)
		}
	}
	b.check("live-chat-back")
}

func containsAny(s string, subs ...string) bool {
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

// TestBrowserLiveAnswer: two agents, each signed in in a browser of their
// own, on the same chat. The first types an answer: the second sees them
// typing; the first sends it: the second sees it in the thread, without a
// reload.
func TestBrowserLiveAnswer(t *testing.T) {
	t.Parallel()
	r := newSendingRig(t)
	c := r.chat(t, "+31612345678")
	chat := r.srv.URL + "/chat/" + c.ConversationUUID

	a, b := newTab(t), newTab(t)
	a.signIn(r.srv.URL, roleUsers[carillon.RoleAgent])
	b.signIn(r.srv.URL, roleUsers[carillon.RoleSettingsAgent])
	a.do(chromedp.Navigate(chat))
	b.do(chromedp.Navigate(chat))
	// A reload would forget this.
	b.do(chromedp.Evaluate[chromedp.Void](`window.notReloaded = true`))
	b.waitFor("the second agent to see the first on the chat", shows("[data-presence]", "User agent is viewing this conversation"))

	// The first agent types: the second sees it.
	a.do(chromedp.SendKeys(chromedp.CSS("#composer-text"), "Your parcel leaves today."))
	b.waitFor("the second agent to see the first typing", shows("[data-presence]", "User agent is typing"))
	b.check("live-typing")

	// The first agent sends: the answer is in the second agent's thread.
	a.submit(nil, `.composer-write button[value="send"]`)
	if got := a.text("#thread"); !strings.Contains(got, "Your parcel leaves today.") {
		t.Fatalf("the first agent's thread after sending: %q", got)
	}
	b.waitFor("the answer in the second agent's thread", shows("#thread .msg-out", "Your parcel leaves today."))
	// And its delivery, as the network reports it.
	b.waitFor("the answer's delivery", `document.querySelector("#thread .msg-out .ticks-read") !== null`)
	if reloaded, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool](`window.notReloaded !== true`)); err != nil || reloaded {
		t.Errorf("the second agent's page was reloaded (%v)", err)
	}
	if n := r.sandbox.total(); n != 1 {
		t.Errorf("the provider got %d calls, want 1", n)
	}
	b.check("live-answer")
}

// TestBrowserLiveUnreadBound shows a view's unread count pass its bound
// live: at 99 unread the tab reads "(99)", and when one more customer
// writes it turns "(99+)" in the title and the views' badges, without a
// reload.
func TestBrowserLiveUnreadBound(t *testing.T) {
	t.Parallel()
	r := newRig(t, service.Options{})
	n := strconv.Itoa(service.InboxUnreadBound)
	for i := range service.InboxUnreadBound {
		r.inbound(t, fmt.Sprintf("+316222%05d", i), "hello")
	}
	tb := newTab(t)
	tb.signIn(r.srv.URL, roleUsers[carillon.RoleAdmin])
	tb.do(chromedp.Navigate(r.srv.URL + "/inbox"))
	if title, _ := chromedp.Run(tb.ctx, chromedp.Title()); title != "("+n+") All · Inbox · carillon" {
		t.Errorf("the inbox's title at the bound is %q, want (%s)", title, n)
	}
	tb.do(chromedp.Evaluate[chromedp.Void](`window.notReloaded = true`))

	r.inbound(t, "+31622299999", "one more")
	tb.waitFor("the title past the bound", `document.title === `+strconv.Quote("("+n+"+) All · Inbox · carillon"))
	tb.waitFor("the badges past the bound", shows("#inbox-views", "All "+n+"+ unread")+" && "+shows("#inbox-views", "Unassigned "+n+"+ unread"))
	if reloaded, err := chromedp.Run(tb.ctx, chromedp.Evaluate[bool](`window.notReloaded !== true`)); err != nil || reloaded {
		t.Errorf("the page was reloaded (%v)", err)
	}
	tb.check("inbox-unread-bound")
}
