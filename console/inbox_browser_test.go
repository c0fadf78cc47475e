package console

import (
	"bytes"
	"context"
	"encoding/json"
	"image"
	"image/color"
	"image/png"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/carillon/carillon"
	"github.com/carillon/carillon/service"
)

// inboxData is an account's inbox as the browser tests see it: teams,
// tags, custom fields, funnel stages, and conversations in every state,
// one of them (rich) with every kind of message the thread shows.
type inboxData struct {
	rich, restricted, closed service.ContactView
	// media serves the console and the files the thread previews.
	media *httptest.Server
}

// picture is the picture a customer sent: 240×160, shades of blue.
func picture() []byte {
	img := image.NewRGBA(image.Rect(0, 0, 240, 160))
	for x := range 240 {
		for y := range 160 {
			img.Set(x, y, color.RGBA{R: uint8(x / 4), G: uint8(90 + y/2), B: 200, A: 255})
		}
	}
	var b bytes.Buffer
	_ = png.Encode(&b, img)
	return b.Bytes()
}

// fillInbox fills the rig's account: the agent is in team Sales.
func fillInbox(t *testing.T, r *rig) inboxData {
	t.Helper()
	ctx := context.Background()
	svc, p := r.svc, r.acct.Principal
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	_, err := svc.Resources.DeclareTeam(ctx, p, service.TeamEntry{Name: "Sales", Members: []string{roleUsers[carillon.RoleAgent]}})
	must(err)
	_, err = svc.Resources.DeclareTeam(ctx, p, service.TeamEntry{Name: "Support"})
	must(err)
	teams, _, err := svc.Resources.ListTeams(ctx, p, service.PageRequest{})
	must(err)
	team := map[string]string{}
	for _, tm := range teams {
		team[tm.Name] = tm.UUID
	}
	for _, tag := range []string{"vip", "lead"} {
		_, err := svc.Resources.DeclareTag(ctx, p, tag)
		must(err)
	}
	for _, f := range []service.FieldEntry{{Name: "Plan", Type: "dropdown", Options: []string{"Free", "Pro"}},
		{Name: "Interests", Type: "checkbox", Options: []string{"Shoes", "Hats"}}, {Name: "Birthday", Type: "date"}, {Name: "Company", Type: "text"}} {
		_, err := svc.Resources.DeclareField(ctx, p, f)
		must(err)
	}
	for i, f := range []service.FunnelEntry{{Name: "New lead"}, {Name: "Won"}} {
		f.Position = i
		_, err := svc.Resources.DeclareFunnel(ctx, p, f)
		must(err)
	}
	ch, err := svc.Store().MainChannel(ctx, p.Account.ID, carillon.WhatsApp)
	must(err)
	receive := func(from, name string, in carillon.InboundMessage) service.ContactView {
		t.Helper()
		// Written now: after everything before it.
		in.ChannelID, in.From, in.ProfileName = ch.ID, from, name
		if in.ExternalID == "" {
			in.ExternalID = "wamid.in-" + carillon.NewUUID()
		}
		if in.Type == "" {
			in.Type = carillon.TypeText
		}
		_, err := svc.Messages.Receive(ctx, ch, in)
		must(err)
		c, err := svc.Contacts.ContactByPhone(ctx, p, "+"+from, "")
		must(err)
		return c
	}
	text := func(s string) carillon.InboundMessage {
		return carillon.InboundMessage{Content: carillon.Content{Text: s}}
	}
	update := func(c service.ContactView, u service.ContactUpdate) {
		t.Helper()
		_, err := svc.Contacts.UpdateContact(ctx, p, c.UUID, u)
		must(err)
	}
	str := func(s string) *string { return &s }

	var d inboxData
	// Conversations of every kind, oldest first.
	nobody := receive("31600000001", "Noor Visser", text("Do you ship to Belgium?"))
	update(nobody, service.ContactUpdate{Tags: []string{"lead"}})
	sales := receive("31600000002", "Sam de Vries", text("I would like a quote for 40 chairs"))
	update(sales, service.ContactUpdate{TeamUUID: str(team["Sales"]), Tags: []string{"vip"}})
	d.restricted = receive("31600000003", "Rosa Bakker", text("My order has not arrived"))
	update(d.restricted, service.ContactUpdate{AssignedUser: str(roleUsers[carillon.RoleRestrictedAgent]), TeamUUID: str(team["Support"])})
	d.closed = receive("31600000004", "Carl Jansen", text("Thanks, all good"))
	_, err = svc.Contacts.CloseConversation(ctx, p, d.closed.UUID, "solved")
	must(err)
	support := receive("31600000005", "Sofie Mulder", text("Can I change my delivery address?"))
	update(support, service.ContactUpdate{TeamUUID: str(team["Support"])})

	// The rich conversation: the agent's, in Sales, every kind of message.
	rich := receive("31612345678", "Ada Lovelace", text("Hello! Is the blue armchair still available?"))
	update(rich, service.ContactUpdate{AssignedUser: str(roleUsers[carillon.RoleAgent]), TeamUUID: str(team["Sales"]),
		Tags: []string{"vip", "lead"}, CustomFields: map[string]any{"Plan": "Pro", "Interests": []string{"Hats"}, "Company": "Analytical Engines Ltd"}})
	_, err = svc.Contacts.UpdateFunnel(ctx, p, rich.UUID, funnelUUID(t, r, "New lead"))
	must(err)
	sent, err := svc.Messages.Send(ctx, p, service.SendRequest{To: "+31612345678", From: "whatsapp", Type: "text", Content: &carillon.Content{Text: "Yes it is! Shall I reserve it for you?"}})
	must(err)
	m, err := svc.Messages.RecordOutcome(ctx, sent.Message, service.Outcome{Result: carillon.SendResult{ExternalID: "wamid.out-1"}})
	must(err)
	_, err = svc.Messages.ApplyReceipt(ctx, ch, carillon.Receipt{ChannelID: ch.ID, ExternalID: m.ExternalID, Status: carillon.StatusRead})
	must(err)
	detail := func(v any) json.RawMessage {
		b, _ := json.Marshal(v)
		return b
	}
	receive("31612345678", "", carillon.InboundMessage{Content: carillon.Content{Text: "Yes please!", Details: map[string]json.RawMessage{
		carillon.DetailContext: detail(carillon.MessageContext{ID: "wamid.out-1"})}}})
	receive("31612345678", "", carillon.InboundMessage{Type: "reaction", Content: carillon.Content{Text: "❤️", Details: map[string]json.RawMessage{
		carillon.DetailReaction: json.RawMessage(`{"messageId":"wamid.out-1","emoji":"❤️"}`)}}})
	receive("31612345678", "", carillon.InboundMessage{Type: carillon.TypeImage, Content: carillon.Content{Text: "This one",
		URL: svc.PublicURL() + "/media/0123456789abcdef0123456789abcdef.png"}})
	receive("31612345678", "", carillon.InboundMessage{Type: "location", Content: carillon.Content{Details: map[string]json.RawMessage{
		carillon.DetailLocation: detail(carillon.NewLocation(52.3731, 4.8926, "Dam Square", "Dam, 1012 JS Amsterdam"))}}})
	receive("31612345678", "", carillon.InboundMessage{Type: "contacts", Content: carillon.Content{Details: map[string]json.RawMessage{
		carillon.DetailContactCard: json.RawMessage(`{"contacts":[{"name":{"formatted_name":"Charles Babbage"},"phones":[{"phone":"+44 20 7946 0958"}]}]}`)}}})
	_, err = svc.Contacts.AddNote(ctx, p, rich.UUID, "Regular customer: offer free delivery.")
	must(err)
	failed, err := svc.Messages.Send(ctx, p, service.SendRequest{To: "+31612345678", From: "whatsapp", Type: "text", Content: &carillon.Content{Text: "Delivery is free for you."}})
	must(err)
	_, err = svc.Messages.RecordOutcome(ctx, failed.Message, service.Outcome{Err: &carillon.SendError{Code: "131047", Title: "Re-engagement message"}})
	must(err)
	d.rich = receive("31612345678", "", text(xss))

	// The files the thread shows, served beside the console.
	mux := http.NewServeMux()
	pic := picture()
	mux.HandleFunc("GET /media/{name}", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "image/png")
		_, _ = w.Write(pic)
	})
	mux.Handle("/", r.srv.Config.Handler)
	d.media = httptest.NewServer(mux)
	t.Cleanup(d.media.Close)
	return d
}

// teamUUID is the uuid of the account's team of that name.
func teamUUID(t *testing.T, r *rig, name string) string {
	t.Helper()
	tm, err := r.svc.Store().TeamByName(context.Background(), r.acct.ID, name)
	if err != nil {
		t.Fatal(err)
	}
	return tm.UUID
}

// words is s with each run of spaces and line breaks one space.
func words(s string) string { return strings.Join(strings.Fields(s), " ") }

// funnelUUID is the uuid of the account's funnel stage of that name.
func funnelUUID(t *testing.T, r *rig, name string) string {
	t.Helper()
	f, err := r.svc.Store().FunnelByName(context.Background(), r.acct.ID, name)
	if err != nil {
		t.Fatal(err)
	}
	return f.UUID
}

// keys presses keys in the page, as a person would.
func (tb *tab) keys(keys string) {
	tb.t.Helper()
	tb.do(chromedp.KeyEvent(keys))
}

// keysToPage presses keys that lead to another page, and waits for it.
func (tb *tab) keysToPage(keys string) {
	tb.t.Helper()
	loaded := chromedp.Events(tb.ctx, page.LoadEventFired)
	tb.keys(keys)
	for _, err := range loaded {
		if err != nil {
			tb.t.Fatal(err)
		}
		break
	}
}

// textOf is the text of the first element sel matches, shown or not (the
// inbox's list is beside a conversation on a wide screen only), "" when
// none does.
func (tb *tab) textOf(sel string) string {
	tb.t.Helper()
	s, err := chromedp.Run(tb.ctx, chromedp.Evaluate[string](`(document.querySelector(`+strconv.Quote(sel)+`) || {}).textContent || ""`))
	if err != nil {
		tb.t.Fatal(err)
	}
	return s
}

// focused is the id of the element that has the focus.
func (tb *tab) focused() string {
	tb.t.Helper()
	id, err := chromedp.Run(tb.ctx, chromedp.Evaluate[string](`document.activeElement ? document.activeElement.id : ""`))
	if err != nil {
		tb.t.Fatal(err)
	}
	return id
}

// TestBrowserInbox opens the inbox as an admin: the views with their
// unread counts, the tab's title, a view filtered.
func TestBrowserInbox(t *testing.T) {
	t.Parallel()
	r := newRig(t, service.Options{})
	d := fillInbox(t, r)
	tb := newTab(t)
	tb.signIn(d.media.URL, roleUsers[carillon.RoleAdmin])
	tb.do(chromedp.Navigate(d.media.URL + "/inbox"))
	if title, _ := chromedp.Run(tb.ctx, chromedp.Title()); title != "(5) All · Inbox · carillon" {
		t.Errorf("the inbox's title is %q, want the unread count of All", title)
	}
	if got := words(tb.text("#inbox-views")); !strings.Contains(got, "Unassigned 3 unread") || !strings.Contains(got, "Sales 2 unread") {
		t.Errorf("the views show %q", got)
	}
	if got := tb.text("#chat-list li:first-child"); !strings.Contains(got, "Ada Lovelace") || !strings.Contains(got, xss) || !strings.Contains(got, "Unread") {
		t.Errorf("the first conversation shows %q, want Ada's, unread, with her last message", got)
	}
	tb.check("inbox")

	tb.do(chromedp.Navigate(d.media.URL + "/inbox?status=pending&tag=vip"))
	if got := tb.text("#chat-list"); !strings.Contains(got, "Sam de Vries") || strings.Contains(got, "Noor Visser") {
		t.Errorf("pending vip conversations: %q", got)
	}
	tb.check("inbox-filtered")
}

// TestBrowserChat opens a conversation from a view as an admin: the
// thread with every kind of message (a customer's script shown as text,
// running nothing), the contact's panel; opening it reads it.
func TestBrowserChat(t *testing.T) {
	t.Parallel()
	r := newRig(t, service.Options{})
	d := fillInbox(t, r)
	tb := newTab(t)
	tb.signIn(d.media.URL, roleUsers[carillon.RoleAdmin])
	tb.do(chromedp.Navigate(d.media.URL + "/inbox?view=team&team=" + teamUUID(t, r, "Sales")))
	tb.submit(nil, `#chat-list li:first-child a`)
	if loc := tb.location(); !strings.HasPrefix(loc, "/chat/"+d.rich.ConversationUUID+"?") {
		t.Fatalf("the first conversation led to %s", loc)
	}
	if got := tb.text(".thread li:last-child .text"); got != xss {
		t.Errorf("the customer's script shows as %q, want the text", got)
	}
	thread := tb.text(".thread")
	for _, want := range []string{"In reply to your message: “Yes it is! Shall I reserve it for you?”", "Reacted ❤️ to “Yes it is!",
		"Location: Dam Square, Dam, 1012 JS Amsterdam", "Open it in Google Maps", "Contact card: Charles Babbage · +44 20 7946 0958", "Internal note", "Regular customer",
		"Not delivered: Re-engagement message (code 131047)", "24 hours", "✓✓ read", "Assigned to User agent", "Moved to the team Sales"} {
		if !strings.Contains(thread, want) {
			t.Errorf("the thread lacks %q", want)
		}
	}
	// The picture loads by itself (lazily): wait for it.
	if _, err := chromedp.Run(tb.ctx, chromedp.Poll[bool](`(function () { var i = document.querySelector(".media-preview img"); return i !== null && i.complete && i.naturalWidth === 240; })()`,
		chromedp.WithPollingTimeout(20*time.Second))); err != nil {
		t.Errorf("the picture does not show: %v", err)
	}
	if got := tb.text("#contact-panel"); !strings.Contains(got, "Analytical Engines Ltd") || !strings.Contains(got, "New lead") ||
		!strings.Contains(got, "Hats") || !strings.Contains(got, "User agent") {
		t.Errorf("the contact's panel shows %q", got)
	}
	tb.check("chat")

	// Read now: the inbox counts one fewer.
	tb.do(chromedp.Navigate(d.media.URL + "/inbox"))
	if title, _ := chromedp.Run(tb.ctx, chromedp.Title()); title != "(4) All · Inbox · carillon" {
		t.Errorf("after reading Ada's conversation, the title is %q", title)
	}

}

// TestBrowserChatActions sends an action with the mouse, and one the
// service refuses, shown beside its form.
func TestBrowserChatActions(t *testing.T) {
	t.Parallel()
	r := newRig(t, service.Options{})
	d := fillInbox(t, r)
	tb := newTab(t)
	tb.signIn(d.media.URL, roleUsers[carillon.RoleAdmin])
	tb.do(chromedp.Navigate(d.media.URL + "/chat/" + d.rich.ConversationUUID))
	tb.do(chromedp.SetValue(chromedp.CSS("#assign-user"), roleUsers[carillon.RoleSettingsAgent]))
	tb.submit(nil, `form[action^="/chat/`+d.rich.ConversationUUID+`/assign"] button`)
	if got := tb.text(".chat-status"); !strings.Contains(got, "Assigned to User settings_agent") {
		t.Errorf("after assigning, the conversation shows %q", got)
	}
	tb.do(chromedp.Click(chromedp.CSS("#close-details summary"), chromedp.NodeVisible))
	tb.submit(map[string]string{"#close-reason": strings.Repeat("x", 1001)}, `#close-details button`)
	if got := tb.text("#problem-close"); !strings.Contains(got, "at most 1000") {
		t.Errorf("a reason too long shows %q", got)
	}
	if got, _ := chromedp.Run(tb.ctx, chromedp.Value(chromedp.CSS("#close-reason"))); got != strings.Repeat("x", 1001) {
		t.Errorf("the reason typed is not kept: %d characters", len(got))
	}
	tb.check("chat-problem")
}

// tabTo presses Tab until the element that has the focus matches the CSS
// selector sel, and fails after limit presses.
func (tb *tab) tabTo(sel string, limit int) {
	tb.t.Helper()
	for range limit {
		tb.keys(kb.Tab)
		if ok, _ := chromedp.Run(tb.ctx, chromedp.Evaluate[bool](`document.activeElement !== null && document.activeElement.matches(`+strconv.Quote(sel)+`)`)); ok {
			return
		}
	}
	tb.t.Fatalf("%s did not get the focus after %d presses of Tab", sel, limit)
}

// TestBrowserInboxKeyboard goes through the inbox with the keyboard alone,
// as an agent: sign in; the next and previous conversations of the list,
// on the inbox and beside a conversation; the shortcuts' list; a reply, a
// note, an assignment and the closing of a conversation; a search from
// the view, and the message it finds opened at its place.
func TestBrowserInboxKeyboard(t *testing.T) {
	t.Parallel()
	r := newRig(t, service.Options{})
	d := fillInbox(t, r)
	tb := newTab(t)
	tb.do(chromedp.Navigate(d.media.URL + "/inbox"))
	for range 5 {
		if tb.focused() == "email" {
			break
		}
		tb.keys("\t")
	}
	if tb.focused() != "email" {
		t.Fatal("Tab never reached the email field")
	}
	tb.keys(roleUsers[carillon.RoleAgent] + "\t" + password)
	tb.keysToPage("\r")
	if loc := tb.location(); loc != "/inbox" {
		t.Fatalf("signing in led to %s", loc)
	}

	// The list: j and k move in it on the inbox, Enter opens.
	current := func() string { return tb.textOf("#chat-list a[aria-current=page] .chat-name") }
	tb.keys("j")
	if got := tb.text("#chat-list a:focus .chat-name"); got != "Ada Lovelace" {
		t.Errorf("j focused %q, want the first conversation", got)
	}
	tb.keys("j")
	if got := tb.text("#chat-list a:focus .chat-name"); got != "Sam de Vries" {
		t.Errorf("j again focused %q, want the second conversation", got)
	}
	tb.keys("k")
	tb.keysToPage("\r")
	if loc := tb.location(); !strings.HasPrefix(loc, "/chat/"+d.rich.ConversationUUID) {
		t.Fatalf("Enter on the first conversation led to %s", loc)
	}
	// Beside a conversation, j and k open the next and previous ones.
	tb.keysToPage("j")
	if got := current(); got != "Sam de Vries" || tb.text("h1") != "Sam de Vries" {
		t.Errorf("j beside Ada's conversation opened %q (%s)", got, tb.location())
	}
	tb.keysToPage("k")
	if got := current(); got != "Ada Lovelace" || !strings.HasPrefix(tb.location(), "/chat/"+d.rich.ConversationUUID) {
		t.Fatalf("k opened %q (%s), want Ada's conversation again", got, tb.location())
	}

	tb.keys("?")
	if open, _ := chromedp.Run(tb.ctx, chromedp.Evaluate[bool](`document.getElementById("shortcuts").open`)); !open {
		t.Error("? did not show the shortcuts")
	}
	tb.check("chat-shortcuts")
	tb.keys("\x1b") // Escape
	if open, _ := chromedp.Run(tb.ctx, chromedp.Evaluate[bool](`document.getElementById("shortcuts").open`)); open {
		t.Error("Escape did not close the shortcuts")
	}

	// A reply: r, the text, Tab past the file to Send.
	tb.keys("r")
	if got := tb.focused(); got != "composer-text" {
		t.Fatalf("r focused %q", got)
	}
	tb.keys("Reserved for you until Friday.")
	tb.tabTo(`.composer-write button[value="send"]`, 3)
	tb.keysToPage("\r")
	if got := tb.text(".thread li.msg-out:last-of-type .text"); got != "Reserved for you until Friday." {
		t.Errorf("the reply is not the thread's last message sent: %q", got)
	}

	// A note: n, the text, Tab to its button.
	tb.keys("n")
	if got := tb.focused(); got != "note-text" {
		t.Fatalf("n focused %q", got)
	}
	tb.keys("Checked with the keyboard\t")
	tb.keysToPage("\r")
	if got := tb.text(".thread"); !strings.Contains(got, "Checked with the keyboard") {
		t.Errorf("the note is not in the thread: %q", got)
	}

	// An assignment: a, the arrows to the user, Tab to Assign.
	tb.keys("a")
	if got := tb.focused(); got != "assign-user" {
		t.Fatalf("a focused %q", got)
	}
	other := roleUsers[carillon.RoleSettingsAgent]
	tb.keys(kb.Home) // Nobody, the first
	for range 10 {
		if v, _ := chromedp.Run(tb.ctx, chromedp.Value(chromedp.CSS("#assign-user"))); v == other {
			break
		}
		tb.keys(kb.ArrowDown)
	}
	tb.keys("\x1b") // closes nothing: a select keeps the focus
	tb.tabTo(`form[action*="/assign"] button`, 1)
	tb.keysToPage("\r")
	if got := tb.text(".chat-status"); !strings.Contains(got, "Assigned to User settings_agent") {
		t.Errorf("after assigning with the keyboard, the conversation shows %q", got)
	}

	// Closing: c, the reason, Enter.
	tb.keys("c")
	if got := tb.focused(); got != "close-reason" {
		t.Fatalf("c focused %q", got)
	}
	tb.keys("done by keyboard")
	tb.keysToPage("\r")
	c, err := r.svc.Contacts.Contact(context.Background(), r.acct.Principal, d.rich.UUID)
	if err != nil {
		t.Fatal(err)
	}
	if c.ConversationOpen() || c.ClosingReason != "done by keyboard" || c.AssignedUserID == 0 {
		t.Errorf("after c and Enter, the conversation is open %v with reason %q", c.ConversationOpen(), c.ClosingReason)
	}
	if got := tb.text(".thread"); !strings.Contains(got, "Conversation closed by User agent: “done by keyboard”") {
		t.Errorf("the thread does not show the closing: %q", got)
	}

	// Search from the view: /, the words, Enter; Tab to the message found,
	// Enter: its conversation, at the message, beside the view.
	tb.keysToPage("/")
	if loc := tb.location(); loc != "/search?sort=newest&status=open&view=all" {
		t.Errorf("/ led to %s, want the search from the view shown", loc)
	}
	tb.tabTo("#q", 20)
	tb.keys("armchair")
	tb.keysToPage("\r")
	tb.tabTo("a.found-message", 20)
	tb.keysToPage("\r")
	if loc := tb.location(); !strings.HasPrefix(loc, "/chat/"+d.rich.ConversationUUID+"?") || !strings.Contains(loc, "view=all") || !strings.Contains(loc, "#message-") {
		t.Errorf("the message found led to %s", loc)
	}
	if got := tb.text(":target .text"); got != "Hello! Is the blue armchair still available?" {
		t.Errorf("the message found opened at %q", got)
	}
}

// TestBrowserInboxRestricted: a restricted agent's inbox lists only their
// conversation, and another's conversation opened by its URL is not
// found.
func TestBrowserInboxRestricted(t *testing.T) {
	t.Parallel()
	r := newRig(t, service.Options{})
	d := fillInbox(t, r)
	tb := newTab(t)
	tb.signIn(d.media.URL, roleUsers[carillon.RoleRestrictedAgent])
	tb.do(chromedp.Navigate(d.media.URL + "/inbox"))
	if got := words(tb.text("#inbox-views")); got != "My chats 1 unread Closed" {
		t.Errorf("a restricted agent's views: %q", got)
	}
	if got := tb.text("#chat-list"); !strings.Contains(got, "Rosa Bakker") || strings.Contains(got, "Ada") {
		t.Errorf("a restricted agent's inbox lists %q", got)
	}
	if nav := tb.text(".top nav li:first-child"); nav != "Inbox" {
		t.Errorf("the navigation starts with %q, want Inbox", nav)
	}
	tb.check("inbox-restricted")
	for _, path := range []string{"/chat/" + d.rich.ConversationUUID, "/contacts/" + d.rich.UUID, "/chat/" + d.closed.ConversationUUID} {
		tb.do(chromedp.Navigate(d.media.URL + path))
		if got := tb.text("h1"); !strings.HasPrefix(got, "404") {
			t.Errorf("%s shows %q to a restricted agent, want 404", path, got)
		}
		if html, _ := chromedp.Run(tb.ctx, chromedp.OuterHTML(chromedp.CSS("html"))); strings.Contains(html, "Ada") || strings.Contains(html, "Carl") {
			t.Errorf("%s answered 404 with the conversation's contact", path)
		}
	}
	tb.do(chromedp.Navigate(d.media.URL + "/chat/" + d.restricted.ConversationUUID))
	if got := tb.text("h1"); got != "Rosa Bakker" {
		t.Errorf("the restricted agent's own conversation shows %q", got)
	}
}
