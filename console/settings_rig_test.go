package console

import (
	"context"
	"net/http/httptest"
	"testing"

	"github.com/carillon/carillon"
	"github.com/carillon/carillon/internal/testrig"
	"github.com/carillon/carillon/provider/instagram"
	"github.com/carillon/carillon/provider/messenger"
	"github.com/carillon/carillon/provider/messenger/metatest"
	"github.com/carillon/carillon/provider/sandbox"
	"github.com/carillon/carillon/provider/telegram"
	"github.com/carillon/carillon/provider/telegram/telegramtest"
	"github.com/carillon/carillon/provider/whatsapp"
	"github.com/carillon/carillon/provider/whatsapp/whatsapptest"
	"github.com/carillon/carillon/service"
)

// settingsRig is a rig whose service runs the providers as serve does
// (against fakes of the Bot API and of the Graph API on loopback), with
// every page of the console served: channels and the catalogues included.
type settingsRig struct {
	*rig
	bot   *telegramtest.Server
	graph *whatsapptest.Server
	meta  *metatest.Server
}

func newSettingsRig(t testing.TB) *settingsRig {
	t.Helper()
	bot := telegramtest.New()
	t.Cleanup(bot.Close)
	registry, err := carillon.NewProviderRegistry(sandbox.Info(), whatsapp.Info(), telegram.Info(), messenger.Info(), instagram.Info())
	if err != nil {
		t.Fatal(err)
	}
	svc := testrig.Service(t, service.Options{Registry: registry, Providers: map[string]carillon.Provider{
		carillon.ProviderTelegram:  telegram.New(telegram.Options{}),
		carillon.ProviderWhatsApp:  whatsapp.New(whatsapp.Options{}),
		carillon.ProviderMessenger: messenger.New(messenger.Options{}),
		carillon.ProviderInstagram: instagram.New(instagram.Options{}),
	}})
	acct := testrig.DefaultAccount(t, svc)
	for role, email := range roleUsers {
		if _, err := svc.People.CreateUser(context.Background(), acct.ID, email, "User "+string(role), role, password); err != nil {
			t.Fatal(err)
		}
	}
	c := New(Options{People: svc.People, Accounts: svc.Accounts, Contacts: svc.Contacts, Inbox: svc.Inbox, Channels: svc.Resources, Networks: svc.Messages,
		Catalogues: svc.Resources, PublicURL: svc.PublicURL()})
	srv := httptest.NewServer(c)
	t.Cleanup(srv.Close)
	return &settingsRig{rig: &rig{svc: svc, acct: acct, srv: srv}, bot: bot, graph: whatsapptest.New(t), meta: metatest.New(t)}
}
