package console

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/carillon/carillon"
	"github.com/carillon/carillon/internal/testrig"
	"github.com/carillon/carillon/provider/messenger"
	"github.com/carillon/carillon/provider/sandbox"
	"github.com/carillon/carillon/provider/telegram/telegramtest"
	"github.com/carillon/carillon/service"
)

// TestBrowserChannels shows the channels, the sandbox's reserved numbers
// and the form of a new channel.
func TestBrowserChannels(t *testing.T) {
	t.Parallel()
	r := newSettingsRig(t)
	tb := newTab(t)
	tb.signIn(r.srv.URL, roleUsers[carillon.RoleAdmin])
	tb.do(chromedp.Navigate(r.srv.URL + "/settings/channels"))
	tb.check("channels")
	if got := tb.text("main"); !strings.Contains(got, "+15550000001") {
		t.Errorf("the channels page lists no reserved number: %q", got)
	}
	tb.submit(nil, `a[href="/settings/channels/new"]`)
	if got := tb.text("fieldset"); !strings.Contains(got, "phone_number_id (required)") {
		t.Errorf("the form of a new channel asks for %q, want WhatsApp's settings", got)
	}
	tb.check("channel-new")
}

// TestBrowserAddTelegramChannel adds a Telegram channel against the fake
// Bot API: a wrong token is refused with the Bot API's reason on the form,
// the right one saved and its callback URL shown.
func TestBrowserAddTelegramChannel(t *testing.T) {
	t.Parallel()
	r := newSettingsRig(t)
	tb := newTab(t)
	tb.signIn(r.srv.URL, roleUsers[carillon.RoleAdmin])
	tb.do(chromedp.Navigate(r.srv.URL + "/settings/channels/new"))
	tb.do(chromedp.SetValue(chromedp.CSS("#pick-provider"), "telegram"))
	tb.submit(nil, `form.provider-pick button`)
	if loc := tb.location(); loc != "/settings/channels/new?provider=telegram" {
		t.Fatalf("picking the provider led to %s", loc)
	}
	fields := map[string]string{"#title": "Support " + xss, "#setting-bot_token": "999:WrongToken", "#setting-base_url": r.bot.URL()}
	tb.submit(fields, `form.stack button[type="submit"]`)
	if got := tb.text("#form-problems"); !strings.Contains(got, "telegram refused these settings") || !strings.Contains(got, "Unauthorized") {
		t.Errorf("a wrong token shows %q", got)
	}
	if got, _ := chromedp.Run(tb.ctx, chromedp.Value(chromedp.CSS("#title"))); got != "Support "+xss {
		t.Errorf("the title typed is not kept: %q", got)
	}
	tb.check("channel-refused")

	fields["#setting-bot_token"] = telegramtest.DefaultToken
	tb.submit(fields, `form.stack button[type="submit"]`)
	if loc := tb.location(); !strings.HasPrefix(loc, "/settings/channels/") || !strings.HasSuffix(loc, "?saved=1") {
		t.Fatalf("saving led to %s", loc)
	}
	if got := tb.text("h1"); got != "Support "+xss {
		t.Errorf("the channel's title shows as %q", got)
	}
	uuid := strings.TrimSuffix(strings.TrimPrefix(tb.location(), "/settings/channels/"), "?saved=1")
	if got := tb.text("#callback-url"); got != "http://carillon.test/callbacks/telegram/"+uuid {
		t.Errorf("the callback URL shows as %q", got)
	}
	if hook, _ := r.bot.Webhook(); hook != "http://carillon.test/callbacks/telegram/"+uuid {
		t.Errorf("the Bot API was told %q", hook)
	}
	html, _ := chromedp.Run(tb.ctx, chromedp.OuterHTML(chromedp.CSS("html")))
	if strings.Contains(html, telegramtest.DefaultToken) {
		t.Error("the channel's page shows the bot token")
	}
	tb.check("channel-saved")
}

// TestBrowserAddMessengerChannel adds a Messenger channel against the fake
// Graph API: a token Meta refuses is refused on the form with Meta's code,
// and nothing is saved; the right one saves the channel, whose page shows
// the callback URL and the verify token to paste in Meta's console, never
// the Page token or the app secret.
func TestBrowserAddMessengerChannel(t *testing.T) {
	t.Parallel()
	r := newSettingsRig(t)
	tb := newTab(t)
	tb.signIn(r.srv.URL, roleUsers[carillon.RoleAdmin])
	tb.do(chromedp.Navigate(r.srv.URL + "/settings/channels/new?provider=messenger"))
	if got := tb.text("fieldset"); !strings.Contains(got, "page_id (required)") || !strings.Contains(got, "page_access_token (required)") {
		t.Errorf("the Messenger form asks for %q", got)
	}
	fields := map[string]string{"#title": "Facebook page", "#setting-page_id": "104857603392714", "#setting-page_access_token": "wrong-token",
		"#setting-app_secret": "meta-app-secret", "#setting-verify_token": "verify-me-please", "#setting-base_url": r.meta.URL}
	tb.submit(fields, `form.stack button[type="submit"]`)
	if got := tb.text("#form-problems"); !strings.Contains(got, "messenger refused these settings") || !strings.Contains(got, "190") {
		t.Errorf("a refused token shows %q", got)
	}
	tb.check("channel-messenger-refused")
	chs, err := r.svc.Store().AllChannels(context.Background(), r.acct.ID)
	if err != nil || len(chs) != 1 {
		t.Fatalf("channels after a refused token: %d, %v", len(chs), err)
	}

	fields["#setting-page_access_token"] = r.meta.AccessToken()
	tb.submit(fields, `form.stack button[type="submit"]`)
	if loc := tb.location(); !strings.HasPrefix(loc, "/settings/channels/") || !strings.HasSuffix(loc, "?saved=1") {
		t.Fatalf("saving led to %s", loc)
	}
	uuid := strings.TrimSuffix(strings.TrimPrefix(tb.location(), "/settings/channels/"), "?saved=1")
	if got := tb.text("#callback-url"); got != "http://carillon.test/callbacks/messenger/"+uuid {
		t.Errorf("the callback URL shows as %q", got)
	}
	html, _ := chromedp.Run(tb.ctx, chromedp.OuterHTML(chromedp.CSS("html")))
	if !strings.Contains(html, "verify-me-please") {
		t.Error("the channel's page does not show the verify token to paste in Meta's console")
	}
	for _, secret := range []string{r.meta.AccessToken(), "meta-app-secret"} {
		if strings.Contains(html, secret) {
			t.Errorf("the channel's page shows a secret")
		}
	}
	tb.check("channel-messenger-saved")
}

// TestBrowserSettings: a settings agent sees the settings, gets 403 on the
// channels, and adds a tag whose name is a script (shown as text).
func TestBrowserSettings(t *testing.T) {
	t.Parallel()
	r := newSettingsRig(t)
	tb := newTab(t)
	tb.signIn(r.srv.URL, roleUsers[carillon.RoleSettingsAgent])
	if nav := tb.text("header nav"); !strings.Contains(nav, "Settings") || strings.Contains(nav, "Channels") {
		t.Errorf("a settings agent's navigation: %q", nav)
	}
	tb.do(chromedp.Navigate(r.srv.URL + "/settings/channels"))
	if got := tb.text("h1"); !strings.HasPrefix(got, "403") {
		t.Errorf("a settings agent on the channels page sees %q", got)
	}

	tb.do(chromedp.Navigate(r.srv.URL + "/settings/tags"))
	tb.submit(map[string]string{"#tag-name": xss}, `form[action="/settings/tags"] button`)
	if got := tb.text("tbody .tag"); got != xss {
		t.Errorf("the tag shows as %q, want the text", got)
	}
	tb.check("tags")
}

// TestBrowserDeleteTag deletes a tag whose name is a script from the
// contact that has it, once confirmed.
func TestBrowserDeleteTag(t *testing.T) {
	t.Parallel()
	r := newSettingsRig(t)
	ctx := context.Background()
	if _, err := r.svc.Resources.DeclareTag(ctx, r.acct.Principal, xss); err != nil {
		t.Fatal(err)
	}
	contact, err := r.svc.Contacts.CreateContact(ctx, r.acct.Principal, service.ContactInput{Identifier: "+31612345678", Source: "whatsapp", Name: "Tagged", Tags: []string{xss}})
	if err != nil {
		t.Fatal(err)
	}
	tb := newTab(t)
	tb.signIn(r.srv.URL, roleUsers[carillon.RoleSettingsAgent])
	tb.do(chromedp.Navigate(r.srv.URL + "/settings/tags"))
	tb.submit(nil, `form[action="/settings/tags/delete"] button`)
	if got := tb.text(".confirm"); !strings.Contains(got, "Delete the tag "+xss+"?") || !strings.Contains(got, "1 contact(s) have it") {
		t.Errorf("the delete asks %q", got)
	}
	tb.check("tags-delete-confirm")
	tb.submit(nil, `.confirm button`)
	if got := tb.text(".notice"); !strings.Contains(got, "Deleted the tag "+xss) {
		t.Errorf("after the delete the page says %q", got)
	}
	tb.check("tags-deleted")
	if v, _ := r.svc.Contacts.Contact(ctx, r.acct.Principal, contact.UUID); len(v.Tags) != 0 {
		t.Errorf("the contact keeps the tags %v", v.Tags)
	}
}

// TestBrowserFields: a dropdown field without options is refused on the
// form; with them it is added.
func TestBrowserFields(t *testing.T) {
	t.Parallel()
	r := newSettingsRig(t)
	tb := newTab(t)
	tb.signIn(r.srv.URL, roleUsers[carillon.RoleSettingsAgent])
	tb.do(chromedp.Navigate(r.srv.URL + "/settings/fields"))
	tb.do(chromedp.SetValue(chromedp.CSS("#field-type"), "dropdown"))
	tb.submit(map[string]string{"#field-name": "Size"}, `form[action="/settings/fields"] button`)
	if got := tb.text("#form-problems"); !strings.Contains(got, "needs options") {
		t.Errorf("a dropdown without options shows %q", got)
	}
	tb.check("fields-refused")
	tb.do(chromedp.SetValue(chromedp.CSS("#field-type"), "dropdown"))
	tb.submit(map[string]string{"#field-name": "Size", "#field-options": "S\nM\nL"}, `form[action="/settings/fields"] button`)
	if got := tb.text("tbody"); !strings.Contains(got, "Size") || !strings.Contains(got, "S, M, L") {
		t.Errorf("the fields show %q", got)
	}
	tb.check("fields")
}

// TestBrowserTeams adds a team whose name is a script: it shows as text.
func TestBrowserTeams(t *testing.T) {
	t.Parallel()
	r := newSettingsRig(t)
	tb := newTab(t)
	tb.signIn(r.srv.URL, roleUsers[carillon.RoleSettingsAgent])
	tb.do(chromedp.Navigate(r.srv.URL + "/settings/teams"))
	tb.submit(map[string]string{"#team-name": xss}, `form[action="/settings/teams"] button`)
	if got := tb.text("tbody"); !strings.Contains(got, xss) {
		t.Errorf("the teams show %q, want the name as text", got)
	}
	tb.check("teams")
	tb.submit(nil, `tbody tr:last-child a`)
	if got := tb.text("h1"); got != xss {
		t.Errorf("the team's page is titled %q", got)
	}
	tb.check("team")
}

// TestBrowserCatalogues adds a funnel stage and a custom status whose
// names are scripts (shown as text), and shows the templates.
func TestBrowserCatalogues(t *testing.T) {
	t.Parallel()
	r := newSettingsRig(t)
	tb := newTab(t)
	tb.signIn(r.srv.URL, roleUsers[carillon.RoleAdmin])
	tb.do(chromedp.Navigate(r.srv.URL + "/settings/funnels"))
	tb.submit(map[string]string{"#funnel-name": xss, "#funnel-emoji": "🌱"}, `form[action="/settings/funnels"] button`)
	if got := tb.text("tbody"); !strings.Contains(got, xss) {
		t.Errorf("the stages show %q, want the name as text", got)
	}
	tb.check("funnels")
	tb.do(chromedp.Navigate(r.srv.URL + "/settings/statuses"))
	tb.submit(map[string]string{"#status-name": xss}, `form[action="/settings/statuses"] button`)
	if got := tb.text("tbody"); !strings.Contains(got, xss) {
		t.Errorf("the statuses show %q, want the name as text", got)
	}
	tb.check("statuses")
	tb.do(chromedp.Navigate(r.srv.URL + "/settings/templates"))
	tb.submit(nil, `form[action="/settings/templates/sync"] button`)
	if got := tb.text(".notice"); !strings.Contains(got, "0 template(s)") {
		t.Errorf("a sync with no WhatsApp channel says %q", got)
	}
	tb.check("templates-synced")
}

// TestBrowserTemplates declares a template with a button: a button
// missing its URL is refused on the form, with what was typed kept; then
// the template is made, shown as text, and changed from its row.
func TestBrowserTemplates(t *testing.T) {
	t.Parallel()
	r := newSettingsRig(t)
	tb := newTab(t)
	tb.signIn(r.srv.URL, roleUsers[carillon.RoleSettingsAgent])
	tb.do(chromedp.Navigate(r.srv.URL + "/settings/templates"))
	tb.do(chromedp.SetValue(chromedp.CSS("#button-1-type"), "url"))
	fields := map[string]string{"#template-title": "order_shipped", "#template-text": "Hello {{1}}, " + xss, "#button-1-text": "Track"}
	tb.submit(fields, `form.template-form button[type="submit"]`)
	if got := tb.text("#form-problems"); !strings.Contains(got, "button 1: a url button needs url") {
		t.Errorf("a url button without its URL says %q", got)
	}
	if got, _ := chromedp.Run(tb.ctx, chromedp.Value(chromedp.CSS("#button-1-text"))); got != "Track" {
		t.Errorf("the refused form kept the button's text %q", got)
	}
	tb.check("templates-refused")
	tb.submit(map[string]string{"#button-1-url": "https://example.com/track/{{1}}"}, `form.template-form button[type="submit"]`)
	if got := tb.text("tbody tr"); !strings.Contains(got, "order_shipped") || !strings.Contains(got, xss) || !strings.Contains(got, "url: Track") {
		t.Errorf("the template shows as %q", got)
	}
	tb.check("templates")
	tb.submit(nil, `tbody tr a[href*="edit="]`)
	if got := tb.text("#form-title"); got != "Change the template order_shipped" {
		t.Errorf("the form of the template is titled %q", got)
	}
	tb.do(chromedp.SetValue(chromedp.CSS("#template-status"), "paused"))
	tb.submit(nil, `form.template-form button[type="submit"]`)
	if got := tb.text("tbody tr"); !strings.Contains(got, "paused") {
		t.Errorf("the changed template shows as %q", got)
	}
}

// TestBrowserComposerHumanAgent: on a Messenger conversation whose
// customer wrote two days ago, the composer stays open and says that the
// answer goes with Meta's HUMAN_AGENT tag, until 7 days after.
func TestBrowserComposerHumanAgent(t *testing.T) {
	t.Parallel()
	registry, err := carillon.NewProviderRegistry(sandbox.Info(), messenger.Info())
	if err != nil {
		t.Fatal(err)
	}
	r := newRigOf(t, testrig.Service(t, service.Options{Registry: registry}))
	ctx := context.Background()
	ch, _, err := r.svc.Resources.ConnectChannel(ctx, r.acct.Principal, service.ChannelForm{Title: "Facebook page", Type: "facebook", Provider: carillon.ProviderMessenger,
		Settings: map[string]string{"page_id": "104857603392714", "page_access_token": "t", "app_secret": "s", "verify_token": "v"}})
	if err != nil {
		t.Fatal(err)
	}
	in, err := r.svc.Messages.Receive(ctx, ch, carillon.InboundMessage{ChannelID: ch.ID, From: "6345432765432123", ProfileName: "Ana Silva",
		ExternalID: "m_in", Type: carillon.TypeText, Content: carillon.Content{Text: "Is my order on its way?"}, At: time.Now().Add(-48 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	c, err := r.svc.Store().ContactByID(ctx, r.acct.ID, in.ContactID)
	if err != nil {
		t.Fatal(err)
	}
	tb := newTab(t)
	tb.signIn(r.srv.URL, roleUsers[carillon.RoleAdmin])
	tb.do(chromedp.Navigate(r.srv.URL + "/chat/" + c.ConversationUUID))
	if got := tb.text(".hint.window"); !strings.Contains(got, "HUMAN_AGENT") || !strings.Contains(got, "7 days") {
		t.Errorf("the composer's hint on a Messenger chat two days old: %q", got)
	}
	tb.check("composer-human-agent")
}
