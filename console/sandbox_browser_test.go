package console

import (
	"strings"
	"testing"

	"github.com/carillon/carillon"
	"github.com/carillon/carillon/service"
	"github.com/chromedp/chromedp"
)

// TestBrowserSandbox plays a customer who writes a script: the message
// arrives, the page links to it, and the log and the message's page show
// it as text, with its timeline.
func TestBrowserSandbox(t *testing.T) {
	t.Parallel()
	r := newRig(t, service.Options{})
	tb := newTab(t)
	tb.signIn(r.srv.URL, roleUsers[carillon.RoleSettingsAgent])
	tb.do(chromedp.Navigate(r.srv.URL + "/sandbox"))
	if got := tb.text(".choices"); !strings.Contains(got, "+15550000001") {
		t.Errorf("the reserved numbers are %q", got)
	}
	tb.check("sandbox")

	tb.submit(map[string]string{"#s-from": "+31 6 1234 5678", "#s-text": xss}, `form[action="/sandbox"] button`)
	if got := tb.text(".notice"); !strings.Contains(got, "Message received") {
		t.Fatalf("after sending, the page shows %q", got)
	}
	tb.check("sandbox-sent")

	tb.submit(nil, `.notice a[href^="/messages/"]`)
	if got := tb.text(".facts .text"); got != xss {
		t.Errorf("the message's text shows as %q, want the text", got)
	}
	if got := tb.text(".timeline"); !strings.Contains(got, "received") {
		t.Errorf("the timeline shows %q", got)
	}
	tb.check("message")

	tb.do(chromedp.Navigate(r.srv.URL + "/messages"))
	if got := tb.text("tbody .preview"); got != xss {
		t.Errorf("the log shows the message as %q, want the text", got)
	}
}

// TestBrowserSandboxReserved refuses a number that is none, then lets a
// reserved number write, and leads to its conversation.
func TestBrowserSandboxReserved(t *testing.T) {
	t.Parallel()
	r := newRig(t, service.Options{})
	tb := newTab(t)
	tb.signIn(r.srv.URL, roleUsers[carillon.RoleAdmin])
	tb.do(chromedp.Navigate(r.srv.URL + "/sandbox"))
	tb.submit(map[string]string{"#s-from": "call me", "#s-text": "kept"}, `form[action="/sandbox"] button`)
	if got := tb.text("#sandbox-problem"); !strings.Contains(got, "phone number") {
		t.Errorf("a number that is none shows %q", got)
	}
	tb.check("sandbox-problem")
	if got, err := chromedp.Run(tb.ctx, chromedp.Value(chromedp.CSS("#s-text"))); err != nil || got != "kept" {
		t.Errorf("the text typed is not kept: %q (%v)", got, err)
	}
	// A reserved number chosen is taken over the number typed.
	tb.do(chromedp.Click(chromedp.CSS(`input[name="reserved"][value="15550000003"]`), chromedp.NodeVisible))
	tb.submit(map[string]string{"#s-text": "from a reserved number"}, `form[action="/sandbox"] button`)
	tb.submit(nil, `.notice a[href^="/chat/"]`)
	if got := tb.text(".facts"); !strings.Contains(got, "15550000003") {
		t.Errorf("the conversation of the reserved number shows %q", got)
	}
}
