package console

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/carillon/carillon"
	"github.com/carillon/carillon/internal/testrig"
	"github.com/carillon/carillon/service"
	"github.com/chromedp/chromedp"
)

// TestBrowserSearch types "deja" in the search and finds a "Déjà vu" a
// customer wrote a year ago, its word marked, and follows it to its
// conversation; a restricted agent searching the same words finds only
// the chat assigned to them, not the other.
func TestBrowserSearch(t *testing.T) {
	t.Parallel()
	db := testrig.SQLite(t)
	r := newRig(t, service.Options{Store: db})
	ctx := context.Background()
	restricted := roleUsers[carillon.RoleRestrictedAgent]

	// A conversation a year old: the customer's message then, and a
	// newer one.
	first := r.inbound(t, "+31612345678", "Bonjour")
	zoe, err := db.ContactByID(ctx, r.acct.ID, first.ContactID)
	if err != nil {
		t.Fatal(err)
	}
	zoe.Name = "Zoë Ångström"
	if err := db.UpdateContact(ctx, &zoe); err != nil {
		t.Fatal(err)
	}
	yearAgo := time.Now().AddDate(-1, 0, 0)
	old := carillon.Message{UUID: carillon.NewUUID(), AccountID: r.acct.ID, ChannelID: first.ChannelID, ContactID: zoe.ID,
		Direction: carillon.Inbound, Type: carillon.TypeText, Content: carillon.Content{Text: "Déjà vu : la commande n'est jamais arrivée"},
		Status: carillon.StatusReceived, CreatedAt: yearAgo, UpdatedAt: yearAgo}
	if err := db.CreateMessage(ctx, &old); err != nil {
		t.Fatal(err)
	}
	r.send(t, "+31687654321", "Déjà expédié, assigned to the restricted agent", restricted)
	// Enough since for the year-old message to be before the thread's
	// latest page.
	for i := range service.ThreadPageSize {
		r.inbound(t, "+31612345678", fmt.Sprintf("Later message %d", i))
	}

	tb := newTab(t)
	tb.signIn(r.srv.URL, roleUsers[carillon.RoleAgent])
	tb.do(chromedp.Navigate(r.srv.URL + "/"))
	tb.submit(nil, `nav a[href="/search"]`)
	tb.check("search-empty")
	tb.submit(map[string]string{"#q": "deja"}, `form.search button`)
	if loc := tb.location(); loc != "/search?q=deja" {
		t.Errorf("the search led to %s", loc)
	}
	got := tb.text("section[aria-labelledby=messages-title]")
	if !strings.Contains(got, "Déjà vu : la commande") || !strings.Contains(got, yearAgo.UTC().Format("2006-01-02")) || !strings.Contains(got, "Déjà expédié") {
		t.Errorf("the messages found show %q", got)
	}
	if marked := tb.text("ul.found mark"); marked != "Déjà" {
		t.Errorf("the word marked is %q", marked)
	}
	tb.check("search")

	tb.submit(map[string]string{"#q": "zoe 3161"}, `form.search button`)
	if got := tb.text("section[aria-labelledby=contacts-title]"); !strings.Contains(got, "Zoë Ångström") {
		t.Errorf("the contacts found show %q", got)
	}
	tb.check("search-contacts")

	// From the year-old message to its conversation.
	tb.submit(map[string]string{"#q": "jamais arr"}, `form.search button`)
	tb.submit(nil, `ul.found .found-meta a`)
	if loc := tb.location(); loc != "/chat/"+zoe.ConversationUUID {
		t.Errorf("the message led to %s", loc)
	}

	// From a view of the inbox: the search keeps it, and the message found
	// opens beside it, at the message, on the page of the thread that ends
	// there.
	tb.do(chromedp.Navigate(r.srv.URL + "/inbox?view=unassigned"))
	tb.submit(map[string]string{"#inbox-q": "jamais arr"}, `form.inbox-search button`)
	if loc := tb.location(); !strings.Contains(loc, "view=unassigned") || !strings.Contains(loc, "q=jamais+arr") {
		t.Errorf("the inbox's search led to %s", loc)
	}
	tb.check("search-from-inbox")
	tb.submit(nil, `ul.found a.found-message`)
	loc := tb.location()
	if !strings.HasPrefix(loc, "/chat/"+zoe.ConversationUUID+"?") || !strings.Contains(loc, "view=unassigned") || !strings.HasSuffix(loc, "#message-"+old.UUID) {
		t.Errorf("the message found led to %s", loc)
	}
	if back := tb.textOf("#side-title"); back != "Unassigned" {
		t.Errorf("the conversation opened beside %q, want the view searched from", back)
	}
	// The message is the page's target, in the window.
	inView, err := chromedp.Run(tb.ctx, chromedp.Evaluate[bool](`(function () {
		var m = document.querySelector(":target");
		if (!m || m.id !== "message-`+old.UUID+`") { return false; }
		var b = m.getBoundingClientRect();
		return b.top >= 0 && b.bottom <= window.innerHeight;
	})()`))
	if err != nil || !inView {
		t.Errorf("the message found is not the page's target in the window (%v)", err)
	}
	if got := tb.text(":target .text"); !strings.Contains(got, "jamais arrivée") {
		t.Errorf("the target shows %q", got)
	}
	tb.check("search-found-message")

	// A restricted agent: the chat assigned to them, not the other.
	rb := newTab(t)
	rb.signIn(r.srv.URL, restricted)
	rb.do(chromedp.Navigate(r.srv.URL + "/search?q=DÉJÀ"))
	got = rb.text("section[aria-labelledby=messages-title]") + rb.text("section[aria-labelledby=contacts-title]")
	if !strings.Contains(got, "Déjà expédié") || strings.Contains(got, "Déjà vu") || strings.Contains(got, "Zoë") {
		t.Errorf("a restricted agent finds %q", got)
	}
	rb.check("search-restricted")

	rb.do(chromedp.Navigate(r.srv.URL + "/search?q=deja&in=messages&after=damaged"))
	if got := rb.text("#search-problem"); !strings.Contains(got, "damaged") {
		t.Errorf("a damaged link shows %q", got)
	}
	rb.check("search-problem")
}
