package console

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/carillon/carillon"
	"github.com/carillon/carillon/provider/telegram/telegramtest"
	"github.com/carillon/carillon/provider/whatsapp/whatsapptest"
	"github.com/carillon/carillon/service"
)

// telegramForm is the form of a Telegram channel against the rig's fake
// Bot API.
func (r *settingsRig) telegramForm(csrf, title, token string) url.Values {
	return url.Values{"csrf": {csrf}, "provider": {"telegram"}, "type": {"telegram"}, "title": {title},
		"setting.bot_token": {token}, "setting.base_url": {r.bot.URL()}, "setting.webhook_secret": {""}, "setting.mps": {""}}
}

func body(t testing.TB, resp *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestChannelPagesRoles: channels are an admin's pages.
func TestChannelPagesRoles(t *testing.T) {
	r := newSettingsRig(t)
	ch, _, err := r.svc.Resources.ConnectChannel(context.Background(), r.acct.Principal, sandboxForm("Another sandbox"))
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/settings/channels", "/settings/channels/new", "/settings/channels/new?provider=telegram", "/settings/channels/" + ch.UUID} {
		for role, email := range roleUsers {
			c, _ := r.client(t, email)
			want := http.StatusForbidden
			if role == carillon.RoleAdmin {
				want = http.StatusOK
			}
			if resp := get(t, c, r.srv.URL+path); resp.StatusCode != want {
				t.Errorf("GET %s as %s: %d, want %d", path, role, resp.StatusCode, want)
			}
		}
	}
	c, csrf := r.client(t, roleUsers[carillon.RoleSettingsAgent])
	if resp := post(t, c, r.srv.URL+"/settings/channels/new", r.telegramForm(csrf, "Sneaky", telegramtest.DefaultToken)); resp.StatusCode != http.StatusForbidden {
		t.Errorf("a settings agent adding a channel: %d, want 403", resp.StatusCode)
	}
	if n := channelCount(t, r); n != 2 {
		t.Errorf("%d channels after a refused form, want 2 (the account's first and the one added)", n)
	}
}

func sandboxForm(title string) service.ChannelForm {
	return service.ChannelForm{Title: title, Type: "whatsapp", Provider: "sandbox"}
}

func channelCount(t testing.TB, r *settingsRig) int {
	t.Helper()
	chs, _, err := r.svc.Resources.ListChannels(context.Background(), r.acct.Principal, service.ChannelFilter{}, service.PageRequest{Items: "100"})
	if err != nil {
		t.Fatal(err)
	}
	return len(chs)
}

// TestAddTelegramChannel: a form refused by the provider's checks or by
// the Bot API is answered 422 with the reason and the values kept, and
// nothing saved; a good one is saved, its callback URL registered with the
// network and shown, and its secrets never shown back.
func TestAddTelegramChannel(t *testing.T) {
	r := newSettingsRig(t)
	c, csrf := r.client(t, roleUsers[carillon.RoleAdmin])
	before := channelCount(t, r)
	refused := []struct {
		name  string
		form  url.Values
		wants []string
	}{
		{"no title", r.telegramForm(csrf, " ", telegramtest.DefaultToken), []string{"<strong>title</strong>", "a channel needs a title"}},
		{"a token of the wrong shape", r.telegramForm(csrf, "Support bot", "not-a-token"), []string{"<strong>settings</strong>", "bot_token is not a Bot API token", `value="Support bot"`}},
		{"a token the Bot API refuses", r.telegramForm(csrf, "Support bot", "999:WrongToken"), []string{"<strong>settings</strong>", "telegram refused these settings", "Unauthorized", `value="Support bot"`, `value="` + r.bot.URL() + `"`}},
		{"no token", r.telegramForm(csrf, "Support bot", ""), []string{"needs the setting bot_token"}},
		{"an unknown provider", url.Values{"csrf": {csrf}, "provider": {"pigeon"}, "type": {"telegram"}, "title": {"x"}}, []string{"<strong>provider</strong>", "pigeon"}},
	}
	for _, tc := range refused {
		t.Run(tc.name, func(t *testing.T) {
			resp := post(t, c, r.srv.URL+"/settings/channels/new", tc.form)
			b := body(t, resp)
			if resp.StatusCode != http.StatusUnprocessableEntity {
				t.Fatalf("status %d, want 422", resp.StatusCode)
			}
			for _, w := range tc.wants {
				if !strings.Contains(b, w) {
					t.Errorf("the page does not show %q", w)
				}
			}
			if strings.Contains(b, "999:WrongToken") {
				t.Error("the page shows the secret typed back")
			}
		})
	}
	if n := channelCount(t, r); n != before {
		t.Fatalf("%d channels after refused forms, want %d", n, before)
	}

	resp := post(t, c, r.srv.URL+"/settings/channels/new", r.telegramForm(csrf, "Support bot", telegramtest.DefaultToken))
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("a good form: %d, want 303: %s", resp.StatusCode, body(t, resp))
	}
	loc := resp.Header.Get("Location")
	uuid := strings.TrimSuffix(strings.TrimPrefix(loc, "/settings/channels/"), "?saved=1")
	ch, err := r.svc.Resources.Channel(context.Background(), r.acct.Principal, uuid)
	if err != nil {
		t.Fatalf("the answer leads to %s: %v", loc, err)
	}
	if ch.Settings["bot_token"] != telegramtest.DefaultToken || ch.Address != "carillon_test_bot" || ch.Settings["webhook_secret"] == "" {
		t.Errorf("saved %+v (address %q)", ch.Settings, ch.Address)
	}
	callback := "http://carillon.test/callbacks/telegram/" + ch.UUID
	if hook, secret := r.bot.Webhook(); hook != callback || secret != ch.Settings["webhook_secret"] {
		t.Errorf("the Bot API was told %q, want %q with the channel's secret", hook, callback)
	}
	page := body(t, get(t, c, r.srv.URL+loc))
	for _, w := range []string{callback, "carillon_test_bot", "Saved"} {
		if !strings.Contains(page, w) {
			t.Errorf("the channel's page does not show %q", w)
		}
	}
	for _, secret := range []string{telegramtest.DefaultToken, ch.Settings["webhook_secret"]} {
		if strings.Contains(page, secret) {
			t.Error("the channel's page shows a secret")
		}
	}

	// The same title again is refused, not the channel replaced.
	resp = post(t, c, r.srv.URL+"/settings/channels/new", r.telegramForm(csrf, "Support bot", telegramtest.DefaultToken))
	if b := body(t, resp); resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(b, "another channel is titled") {
		t.Errorf("a second channel of the same title: %d", resp.StatusCode)
	}

	// Editing with the secrets left blank keeps them.
	form := r.telegramForm(csrf, "Support", "")
	resp = post(t, c, r.srv.URL+"/settings/channels/"+ch.UUID, form)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("an edit with blank secrets: %d: %s", resp.StatusCode, body(t, resp))
	}
	after, _ := r.svc.Resources.Channel(context.Background(), r.acct.Principal, ch.UUID)
	if after.Title != "Support" || after.Settings["bot_token"] != ch.Settings["bot_token"] || after.Settings["webhook_secret"] != ch.Settings["webhook_secret"] {
		t.Errorf("after the edit: %q, settings kept %v", after.Title, after.Settings["bot_token"] == ch.Settings["bot_token"])
	}
}

// TestChannelFormsCSRFAndTenancy: a form without its token is refused, and
// another account's channel is not found.
func TestChannelFormsCSRFAndTenancy(t *testing.T) {
	r := newSettingsRig(t)
	ctx := context.Background()
	c, csrf := r.client(t, roleUsers[carillon.RoleAdmin])
	form := r.telegramForm("", "Bot", telegramtest.DefaultToken)
	if resp := post(t, c, r.srv.URL+"/settings/channels/new", form); resp.StatusCode != http.StatusForbidden {
		t.Errorf("no CSRF token: %d, want 403", resp.StatusCode)
	}
	other, _, _, err := r.svc.Accounts.SetupAccount(ctx, "other", false)
	if err != nil {
		t.Fatal(err)
	}
	theirs, _, err := r.svc.Resources.ConnectChannel(ctx, service.Principal{Account: other}, sandboxForm("Theirs"))
	if err != nil {
		t.Fatal(err)
	}
	if resp := get(t, c, r.srv.URL+"/settings/channels/"+theirs.UUID); resp.StatusCode != http.StatusNotFound {
		t.Errorf("another account's channel: %d, want 404", resp.StatusCode)
	}
	if resp := post(t, c, r.srv.URL+"/settings/channels/"+theirs.UUID, r.telegramForm(csrf, "Mine now", telegramtest.DefaultToken)); resp.StatusCode != http.StatusNotFound {
		t.Errorf("editing another account's channel: %d, want 404", resp.StatusCode)
	}
	if ch, _ := r.svc.Resources.Channel(ctx, service.Principal{Account: other}, theirs.UUID); ch.Title != "Theirs" || ch.Provider != carillon.ProviderSandbox {
		t.Errorf("another account's channel changed: %+v", ch)
	}
}

// TestWhatsAppChannelAndTemplates adds a WhatsApp channel against the fake
// Graph API: a token Graph refuses is answered 422; the right one is saved,
// its page shows the callback URL and the verify token (Meta's console
// asks for it), naming the network as people do, but no other secret; Sync
// now reads its templates.
func TestWhatsAppChannelAndTemplates(t *testing.T) {
	r := newSettingsRig(t)
	c, csrf := r.client(t, roleUsers[carillon.RoleAdmin])
	form := url.Values{"csrf": {csrf}, "provider": {"whatsapp"}, "type": {"whatsapp"}, "title": {"Main line"},
		"setting.phone_number_id": {"1234567890"}, "setting.business_account_id": {"555"}, "setting.access_token": {"wrong-token"},
		"setting.app_secret": {"the-app-secret"}, "setting.verify_token": {"the-verify-token"}, "setting.base_url": {r.graph.URL}}
	resp := post(t, c, r.srv.URL+"/settings/channels/new", form)
	if b := body(t, resp); resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(b, "whatsapp refused these settings") {
		t.Fatalf("a token Graph refuses: %d\n%s", resp.StatusCode, b)
	}
	form.Set("setting.access_token", r.graph.AccessToken())
	resp = post(t, c, r.srv.URL+"/settings/channels/new", form)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("the right settings: %d\n%s", resp.StatusCode, body(t, resp))
	}
	page := body(t, get(t, c, r.srv.URL+resp.Header.Get("Location")))
	uuid := strings.TrimSuffix(strings.TrimPrefix(resp.Header.Get("Location"), "/settings/channels/"), "?saved=1")
	for _, w := range []string{"http://carillon.test/callbacks/whatsapp/" + uuid, "the-verify-token", "15550783881",
		"WhatsApp Cloud API accepted the settings", "Connect it at WhatsApp Cloud API"} {
		if !strings.Contains(page, w) {
			t.Errorf("the channel's page does not show %q", w)
		}
	}
	for _, secret := range []string{r.graph.AccessToken(), "the-app-secret"} {
		if strings.Contains(page, secret) {
			t.Errorf("the channel's page shows a secret")
		}
	}

	r.graph.SetTemplates("555", whatsapptest.Template{ID: "tpl-1", Name: "order_shipped", Status: "APPROVED", Category: "UTILITY", Language: "en_US",
		Components: []whatsapptest.Component{{Type: "BODY", Text: "Hello {{1}}, <b>order</b> {{2}} has shipped"}}})
	agent, agentCSRF := r.client(t, roleUsers[carillon.RoleSettingsAgent])
	resp = post(t, agent, r.srv.URL+"/settings/templates/sync", url.Values{"csrf": {agentCSRF}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/settings/templates?synced=1" {
		t.Fatalf("sync: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	page = body(t, get(t, agent, r.srv.URL+"/settings/templates?synced=1"))
	for _, w := range []string{"order_shipped", "Main line", "approved", "&lt;b&gt;order&lt;/b&gt;", "1 template(s) created or changed"} {
		if !strings.Contains(page, w) {
			t.Errorf("the templates page does not show %q", w)
		}
	}
	// A network that fails is said on the page.
	r.graph.Script("/555/message_templates", whatsapptest.GraphError(http.StatusUnauthorized, 190, "OAuthException", "token expired"))
	resp = post(t, agent, r.srv.URL+"/settings/templates/sync", url.Values{"csrf": {agentCSRF}})
	if b := body(t, resp); resp.StatusCode != http.StatusBadGateway || !strings.Contains(b, "The sync did not finish") {
		t.Errorf("a failed sync: %d", resp.StatusCode)
	}
}
