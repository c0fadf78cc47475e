package console

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/carillon/carillon"
	"github.com/carillon/carillon/service"
)

// searchFor opens /search?q= as client c, and returns the answer's status
// and page.
func searchFor(t *testing.T, r *rig, c *http.Client, query string) (int, string) {
	t.Helper()
	resp := get(t, c, r.srv.URL+"/search?"+query)
	return resp.StatusCode, readBody(t, resp)
}

var chatLink = regexp.MustCompile(`href="/chat/([0-9a-f]{32})"`)

// TestSearchPage searches as each role: everyone who reads conversations
// has the page in their navigation; a restricted agent finds only the
// chats assigned to them; nobody finds another account's messages.
func TestSearchPage(t *testing.T) {
	r := newRig(t, service.Options{})
	restricted := roleUsers[carillon.RoleRestrictedAgent]
	theirs := r.send(t, "+31612345678", "Déjà vu, assigned", restricted)
	others := r.inbound(t, "+31687654321", "DEJA VU, someone else's")
	// Another account's customer writes the same words.
	other, _, _, err := r.svc.Accounts.SetupAccount(context.Background(), "other", false)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.svc.Messages.SandboxInbound(context.Background(), service.Principal{Account: other}, "+31600000001", "déjà vu, another account's", ""); err != nil {
		t.Fatal(err)
	}
	for role, email := range roleUsers {
		t.Run(string(role), func(t *testing.T) {
			c, _ := r.client(t, email)
			status, page := searchFor(t, r, c, "q=vu+dej")
			if status != http.StatusOK {
				t.Fatalf("GET /search: %d", status)
			}
			if !strings.Contains(page, `href="/search"`) {
				t.Error("the navigation does not link to the search")
			}
			want := []string{others.UUID, theirs.UUID}
			if role == carillon.RoleRestrictedAgent {
				want = []string{theirs.UUID}
			}
			if got := listed(page); strings.Join(got, ",") != strings.Join(want, ",") {
				t.Errorf("found %v, want %v", got, want)
			}
			if strings.Contains(page, "another account") {
				t.Error("another account's message is found")
			}
			if len(chatLink.FindAllString(page, -1)) != len(want) {
				t.Errorf("the messages found do not each link to their conversation:\n%s", page)
			}
		})
	}
}

// TestSearchPageShowsText shows what people wrote as text, the words found
// marked.
func TestSearchPageShowsText(t *testing.T) {
	r := newRig(t, service.Options{})
	m := r.inbound(t, "+31612345678", `<script>alert("déjà")</script> <b>Déjà</b> vu`)
	c, _ := r.client(t, roleUsers[carillon.RoleAdmin])
	status, page := searchFor(t, r, c, "q=DEJA")
	if status != http.StatusOK {
		t.Fatalf("GET /search: %d", status)
	}
	if strings.Contains(page, "<script>alert") || strings.Contains(page, "<b>Déjà") {
		t.Errorf("a message's markup is on the page:\n%s", page)
	}
	if !strings.Contains(page, `&lt;script&gt;alert(&#34;<mark>déjà</mark>&#34;)&lt;/script&gt; &lt;b&gt;<mark>Déjà</mark>&lt;/b&gt; vu`) {
		t.Errorf("the snippet is not the message's text with its words marked:\n%s", page)
	}
	if !strings.Contains(page, `href="/messages/`+m.UUID+`"`) {
		t.Error("the message found does not link to its page")
	}
	// The query is shown back as text too.
	_, page = searchFor(t, r, c, "q="+url.QueryEscape(`"><script>x</script>`))
	if strings.Contains(page, "<script>x") || !strings.Contains(page, html.EscapeString(`"><script>x</script>`)) {
		t.Errorf("the query is not shown as text")
	}
}

// TestSearchPagePages follows the next pages of each list, and back.
func TestSearchPagePages(t *testing.T) {
	r := newRig(t, service.Options{})
	for i := range service.SearchMessagesPage + 3 {
		r.inbound(t, fmt.Sprintf("+3161000%04d", i), fmt.Sprint("Order ", i))
	}
	c, _ := r.client(t, roleUsers[carillon.RoleAgent])
	_, page := searchFor(t, r, c, "q=order")
	if n := len(listed(page)); n != service.SearchMessagesPage {
		t.Fatalf("the first page lists %d messages", n)
	}
	next := regexp.MustCompile(`href="(/search\?[^"]+)" rel="next">Older messages`).FindStringSubmatch(page)
	if next == nil {
		t.Fatalf("no link to the older messages:\n%s", page)
	}
	resp := get(t, c, r.srv.URL+html.UnescapeString(next[1]))
	page = readBody(t, resp)
	if resp.StatusCode != http.StatusOK || len(listed(page)) != 3 {
		t.Fatalf("the next page: %d, %d messages", resp.StatusCode, len(listed(page)))
	}
	if strings.Contains(page, `id="contacts-title"`) || !strings.Contains(page, `href="/search?q=order">Back to the first results`) {
		t.Errorf("the next page of messages shows contacts, or no way back:\n%s", page)
	}
}

// TestSearchPageProblems answers a query that cannot be read with the
// form and its problem (422); an empty query with the form alone.
func TestSearchPageProblems(t *testing.T) {
	r := newRig(t, service.Options{})
	c, _ := r.client(t, roleUsers[carillon.RoleAgent])
	for _, tc := range []struct{ query, want string }{
		{"q=" + strings.Repeat("a", service.MaxSearchLength+1), "at most 200 characters"},
		{"q=deja&in=notes", "in contacts or messages"},
		{"q=deja&in=messages&after=nope", "page marker is damaged"},
		{"q=d%E9j%E0", "not valid UTF-8"},
	} {
		status, page := searchFor(t, r, c, tc.query)
		if status != http.StatusUnprocessableEntity || !strings.Contains(page, tc.want) || !strings.Contains(page, `role="search"`) {
			t.Errorf("%s: %d, want 422 with %q and the form:\n%s", tc.query, status, tc.want, page)
		}
	}
	status, page := searchFor(t, r, c, "q=")
	if status != http.StatusOK || strings.Contains(page, `id="messages-title"`) {
		t.Errorf("an empty search: %d, or results shown", status)
	}
}

// TestSearchOpensTheInbox: a search made from a view of the inbox opens
// what it finds beside that view, and a message found at its place in the
// thread, even one older than the thread's latest page; a search made
// elsewhere opens the conversation's page.
func TestSearchOpensTheInbox(t *testing.T) {
	r := newInboxRig(t)
	var c service.ContactView
	for i := range 60 {
		text := fmt.Sprintf("message %02d", i)
		if i == 3 {
			text = "Is the Zanzibar armchair back in stock?"
		}
		c = r.customer(t, "31600000001", "Noor", text)
	}
	msgs, err := r.svc.Store().ContactMessagesBefore(context.Background(), r.acct.ID, c.ID, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	var found carillon.Message
	for _, m := range msgs {
		if strings.Contains(m.Content.Text, "Zanzibar") {
			found = m
		}
	}
	admin, _ := r.client(t, roleUsers[carillon.RoleAdmin])
	anchor := "#message-" + found.UUID

	// The inbox's search form carries its view.
	inbox := readBody(t, get(t, admin, r.srv.URL+"/inbox?view=unassigned"))
	if !strings.Contains(inbox, `<input type="hidden" name="view" value="unassigned">`) {
		t.Fatalf("the inbox's search form does not carry its view")
	}
	hrefs := regexp.MustCompile(`<a href="([^"]*)"[^>]*>`)
	links := func(page string) []string {
		var out []string
		for _, m := range hrefs.FindAllStringSubmatch(page, -1) {
			out = append(out, html.UnescapeString(m[1]))
		}
		return out
	}
	for _, tc := range []struct {
		name, query, chat string
	}{
		{"from a view", "q=zanzibar&sort=newest&status=open&view=unassigned", "/chat/" + c.ConversationUUID + "?sort=newest&status=open&view=unassigned"},
		{"from elsewhere", "q=zanzibar", "/chat/" + c.ConversationUUID},
	} {
		status, page := searchFor(t, r.rig, admin, tc.query)
		if status != http.StatusOK {
			t.Fatalf("%s: %d", tc.name, status)
		}
		var toChat, toMessage string
		for _, l := range links(page) {
			if l == tc.chat {
				toChat = l
			}
			if strings.HasPrefix(l, tc.chat) && strings.HasSuffix(l, anchor) {
				toMessage = l
			}
		}
		if toChat == "" || toMessage == "" {
			t.Errorf("%s: no link to the conversation (%q) or to the message (%q) in %q", tc.name, toChat, toMessage, links(page))
			continue
		}
		if strings.Contains(tc.query, "view=") != strings.Contains(page, `<input type="hidden" name="view" value="unassigned">`) {
			t.Errorf("%s: the search form does not keep the view as it came", tc.name)
		}
		path, _, _ := strings.Cut(toMessage, "#")
		resp := get(t, admin, r.srv.URL+path)
		chat := readBody(t, resp)
		if resp.StatusCode != http.StatusOK || !strings.Contains(chat, `id="message-`+found.UUID+`"`) || !strings.Contains(chat, "Zanzibar armchair") {
			t.Errorf("%s: the message's link shows %d without the message", tc.name, resp.StatusCode)
		}
		if strings.Contains(tc.query, "view=") && !strings.Contains(chat, `<a href="/inbox?sort=newest&amp;status=open&amp;view=unassigned">Back to Unassigned</a>`) {
			t.Errorf("%s: the conversation does not open beside the view", tc.name)
		}
	}
	// The message is older than the thread's latest page.
	if latest := readBody(t, get(t, admin, r.srv.URL+"/chat/"+c.ConversationUUID)); strings.Contains(latest, "Zanzibar") {
		t.Error("the message found is on the thread's latest page: the test shows nothing")
	}
}
