package console

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/carillon/carillon"
	"github.com/carillon/carillon/internal/testrig"
	"github.com/carillon/carillon/media"
	"github.com/carillon/carillon/provider/instagram"
	"github.com/carillon/carillon/provider/sandbox"
	"github.com/carillon/carillon/service"
)

// TestBrowserInstagramChat: on an Instagram conversation, a message the
// customer deleted shows as deleted, the composer says Instagram's own
// files, and a PDF is refused with the reason before it is kept.
func TestBrowserInstagramChat(t *testing.T) {
	t.Parallel()
	registry, err := carillon.NewProviderRegistry(sandbox.Info(), instagram.Info())
	if err != nil {
		t.Fatal(err)
	}
	files, err := media.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	r := newRigOf(t, testrig.Service(t, service.Options{Registry: registry, Media: files}))
	ctx := context.Background()
	ch, _, err := r.svc.Resources.ConnectChannel(ctx, r.acct.Principal, service.ChannelForm{Title: "Instagram", Type: "instagram", Provider: carillon.ProviderInstagram,
		Settings: map[string]string{"account_id": "17841405822304914", "access_token": "t", "app_secret": "s", "verify_token": "v"}})
	if err != nil {
		t.Fatal(err)
	}
	var last carillon.Message
	for i, text := range []string{"Do you ship to Lisbon?", "my card is 4111 1111 1111 1111"} {
		last, err = r.svc.Messages.Receive(ctx, ch, carillon.InboundMessage{ChannelID: ch.ID, From: "1234567890123456", ProfileName: "Rita Lopes",
			ExternalID: "m_" + string(rune('a'+i)), Type: carillon.TypeText, Content: carillon.Content{Text: text}, At: time.Now().Add(time.Duration(i-2) * time.Minute)})
		if err != nil {
			t.Fatal(err)
		}
	}
	if ok, err := r.svc.Messages.DeletedByCustomer(ctx, ch, carillon.Deletion{ChannelID: ch.ID, ExternalID: last.ExternalID, From: "1234567890123456"}); !ok || err != nil {
		t.Fatalf("DeletedByCustomer = %v, %v", ok, err)
	}
	c, err := r.svc.Store().ContactByID(ctx, r.acct.ID, last.ContactID)
	if err != nil {
		t.Fatal(err)
	}
	tb := newTab(t)
	tb.signIn(r.srv.URL, roleUsers[carillon.RoleAdmin])
	tb.do(chromedp.Navigate(r.srv.URL + "/chat/" + c.ConversationUUID))
	if got := tb.text("#message-" + last.UUID + " .msg-deleted"); !strings.HasPrefix(got, "This message was deleted by the customer") {
		t.Errorf("the deleted message reads %q", got)
	}
	if got := tb.text("#composer-file-hint"); !strings.Contains(got, "up to 8 MB") || !strings.Contains(got, "no other file") {
		t.Errorf("the composer's file hint on Instagram: %q", got)
	}
	tb.check("instagram-chat")

	pdf := filepath.Join(t.TempDir(), "invoice.pdf")
	if err := os.WriteFile(pdf, []byte(pdfBytes), 0o600); err != nil {
		t.Fatal(err)
	}
	tb.do(chromedp.SetUploadFiles(chromedp.CSS("#composer-file"), []string{pdf}))
	loaded := chromedp.Events(tb.ctx, page.LoadEventFired)
	tb.do(chromedp.Click(chromedp.CSS(`.composer-write button`), chromedp.NodeVisible))
	for range loaded {
		break
	}
	if got := tb.text("#composer-problem"); !strings.Contains(got, "instagram sends no other files than its media") || !strings.Contains(got, "application/pdf") {
		t.Errorf("a PDF on Instagram: %q", got)
	}
	tb.check("instagram-composer-refused")
}
