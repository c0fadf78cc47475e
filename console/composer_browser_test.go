package console

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/carillon/carillon"
	"github.com/carillon/carillon/provider/sandbox"
)

// focusByTab presses Tab until the element of id has the focus, and fails
// after limit presses.
func (tb *tab) focusByTab(id string, limit int) {
	tb.t.Helper()
	for range limit {
		tb.do(chromedp.KeyEvent(kb.Tab))
		if got, _ := chromedp.Run(tb.ctx, chromedp.Evaluate[string](`document.activeElement ? document.activeElement.id : ""`)); got == id {
			return
		}
	}
	tb.t.Fatalf("#%s did not get the focus after %d presses of Tab", id, limit)
}

// keysThenLoad presses keys and waits for the page they load.
func (tb *tab) keysThenLoad(keys string) {
	tb.t.Helper()
	loaded := chromedp.Events(tb.ctx, page.LoadEventFired)
	tb.do(chromedp.KeyEvent(keys))
	for _, err := range loaded {
		if err != nil {
			tb.t.Fatal(err)
		}
		break
	}
}

// TestBrowserComposer answers a conversation in the browser: a reply typed
// and sent with the keyboard alone; a failed message with its reason and
// its retry (a second provider call); a double click that sends once (one
// provider call), a file with its caption.
func TestBrowserComposer(t *testing.T) {
	t.Parallel()
	r := newSendingRig(t)
	c := r.chat(t, "+"+sandbox.NumberNotOnWhatsApp)
	tb := newTab(t)
	tb.signIn(r.srv.URL, roleUsers[carillon.RoleAgent])
	chat := r.srv.URL + "/chat/" + c.ConversationUUID
	tb.do(chromedp.Navigate(chat))
	tb.check("composer")

	// The keyboard alone: Tab to the message, type, Tab to Send, Enter.
	tb.focusByTab("composer-text", 60)
	tb.do(chromedp.KeyEvent("Is this your number?"))
	tb.do(chromedp.KeyEvent(kb.Tab)) // the file
	tb.do(chromedp.KeyEvent(kb.Tab)) // Send
	tb.keysThenLoad(kb.Enter)
	if loc := tb.location(); loc != "/chat/"+c.ConversationUUID+"#composer" {
		t.Fatalf("the send led to %s", loc)
	}
	sent := r.sent(t, c)
	if len(sent) != 1 || sent[0].Content.Text != "Is this your number?" {
		t.Fatalf("sent %+v", sent)
	}
	failed := r.waitStatus(t, sent[0].UUID, carillon.StatusFailed)

	// The failed message shows why, and its retry sends it again.
	tb.do(chromedp.Navigate(chat))
	msg := "#message-" + failed.UUID
	if got := tb.text(msg + " .msg-failure"); !strings.Contains(got, "131026") || !strings.Contains(got, "not on WhatsApp") {
		t.Errorf("the failed message shows %q", got)
	}
	if got := tb.text(msg + " .retry"); strings.TrimSpace(got) != "Retry" {
		t.Errorf("the retry form shows %q, want its button alone (the reason is above it)", got)
	}
	if got := tb.text(msg); strings.Count(got, "131026") != 1 {
		t.Errorf("the failed message shows its reason more than once: %q", got)
	}
	tb.check("composer-failed")
	tb.submit(nil, `.retry button`)
	if sent = r.sent(t, c); len(sent) != 2 || sent[0].UUID == failed.UUID || sent[0].Content.Text != failed.Content.Text {
		t.Fatalf("after the retry: %+v", sent)
	}
	r.waitStatus(t, sent[0].UUID, carillon.StatusFailed)
	if n := r.sandbox.total(); n != 2 {
		t.Errorf("the provider got %d calls, want 2 (the message and its retry)", n)
	}

	// A double click sends once, and the file goes with its caption.
	dir := t.TempDir()
	photo := filepath.Join(dir, "photo.png")
	if err := os.WriteFile(photo, []byte(pngBytes), 0o600); err != nil {
		t.Fatal(err)
	}
	tb.do(chromedp.SetValue(chromedp.CSS("#composer-text"), "The photo"))
	tb.do(chromedp.SetUploadFiles(chromedp.CSS("#composer-file"), []string{photo}))
	loaded := chromedp.Events(tb.ctx, page.LoadEventFired)
	tb.do(chromedp.DoubleClick(chromedp.CSS(`.composer-write button`), chromedp.NodeVisible))
	for range loaded {
		break
	}
	// On a busy machine the load event taken may be a late one of the
	// page before: the send is waited for, then counted.
	sent = r.sentAtLeast(t, c, 3)
	if len(sent) != 3 || sent[0].Type != carillon.TypeImage || sent[0].Content.Text != "The photo" {
		t.Fatalf("after the double click: %+v", sent)
	}
	r.waitStatus(t, sent[0].UUID, carillon.StatusFailed)
	if n := r.sandbox.total(); n != 3 {
		t.Errorf("the provider got %d calls, want 3", n)
	}

}

// TestBrowserComposerTemplate: the window closed (the channel enforces it,
// and this customer never wrote), the composer offers the template picker
// instead of the text; the preview follows the values as they are typed;
// a template without the opt-in is refused, and with it, sent.
func TestBrowserComposerTemplate(t *testing.T) {
	t.Parallel()
	r := newSendingRig(t)
	ch := r.enforceWindow(t)
	tm := r.template(t, ch, "shipping")
	_, conversation := contactWithConversation(t, r.svc, r.acct.Principal, "Ana", "a note")
	tb := newTab(t)
	tb.signIn(r.srv.URL, roleUsers[carillon.RoleAgent])
	tb.do(chromedp.Navigate(r.srv.URL + "/chat/" + conversation))
	if got := tb.text("#window-closed"); !strings.Contains(got, "The 24-hour window is closed") {
		t.Errorf("the closed window says %q", got)
	}
	if n, _ := chromedp.Run(tb.ctx, chromedp.Evaluate[int](`document.querySelectorAll("#composer-text").length`)); n != 0 {
		t.Error("the closed window offers the text field")
	}
	tb.check("composer-window-closed")
	tb.do(chromedp.SetValue(chromedp.CSS("#composer-template"), tm.UUID))
	tb.submit(nil, `button[value="preview"]`)
	tb.do(chromedp.SendKeys(chromedp.CSS("#composer-value-1"), "Ana"))
	tb.do(chromedp.SendKeys(chromedp.CSS("#composer-value-2"), "42"))
	if got := tb.text(".preview .text"); got != "Hello Ana, order 42 has shipped" {
		t.Errorf("the preview shows %q as the values are typed", got)
	}
	tb.do(chromedp.SendKeys(chromedp.CSS("#composer-value-3"), "ABC"))
	tb.submit(nil, `button[value="send"]`)
	if got := tb.text("#composer-problem"); !strings.Contains(got, "agreed to receive") {
		t.Errorf("a template without opt-in says %q", got)
	}
	tb.check("composer-problem")
	tb.do(chromedp.Click(chromedp.CSS("#composer-optin")))
	tb.submit(nil, `button[value="preview"]`)
	if got := tb.text(".preview"); !strings.Contains(got, "Hello Ana, order 42 has shipped") || !strings.Contains(got, "https://example.com/track/ABC") {
		t.Errorf("the preview shows %q", got)
	}
	tb.check("composer-template")
	tb.submit(nil, `button[value="send"]`)
	contact, err := r.svc.Store().ContactByConversation(context.Background(), r.acct.ID, conversation)
	if err != nil {
		t.Fatal(err)
	}
	if sent := r.sent(t, contact); len(sent) != 1 || sent[0].Content.Text != "Hello Ana, order 42 has shipped" {
		t.Fatalf("the template sent %+v", sent)
	}
}
