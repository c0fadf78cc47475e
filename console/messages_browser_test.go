package console

import (
	"context"
	"strings"
	"testing"

	"github.com/carillon/carillon"
	"github.com/carillon/carillon/service"
	"github.com/chromedp/chromedp"
)

// failedMessage sends a message to the sandbox's number that is not on
// WhatsApp, and records the sandbox's refusal.
func (r *rig) failedMessage(t testing.TB) carillon.Message {
	t.Helper()
	failing := r.send(t, "+15550000001", "to nobody", "")
	m := failing
	m.Attempts = 1
	if _, err := r.svc.Messages.RecordOutcome(context.Background(), m, service.Outcome{Err: &carillon.SendError{Permanent: true,
		Code: "131026", Title: "Message undeliverable",
		Payload: []byte(`{"errors":[{"code":131026,"title":"Message undeliverable","message":"The recipient's number is not on WhatsApp"}]}`)}}); err != nil {
		t.Fatal(err)
	}
	return failing
}

// TestBrowserMessages filters the log in the browser and follows a row to
// its message.
func TestBrowserMessages(t *testing.T) {
	t.Parallel()
	r := newRig(t, service.Options{})
	r.inbound(t, "+31687654321", "a question")
	r.send(t, "+31612345678", "an answer", "")
	failing := r.failedMessage(t)
	tb := newTab(t)
	tb.signIn(r.srv.URL, roleUsers[carillon.RoleAgent])
	tb.do(chromedp.Navigate(r.srv.URL + "/messages"))
	if got := tb.text("tbody"); !strings.Contains(got, "a question") || !strings.Contains(got, "an answer") || !strings.Contains(got, "to nobody") {
		t.Errorf("the log shows %q", got)
	}
	tb.check("messages")

	tb.submit(map[string]string{"#f-direction": "out", "#f-status": "failed"}, `form.filters button`)
	if loc := tb.location(); loc != "/messages?channel=&direction=out&status=failed&number=&from=&to=" {
		t.Errorf("the filter led to %s", loc)
	}
	if got := tb.text("tbody"); !strings.Contains(got, "to nobody") || strings.Contains(got, "an answer") || strings.Contains(got, "a question") {
		t.Errorf("the failed messages out are %q", got)
	}
	tb.check("messages-filtered")

	tb.submit(nil, `tbody tr:first-child td:first-child a`)
	if loc := tb.location(); loc != "/messages/"+failing.UUID {
		t.Fatalf("the row led to %s", loc)
	}
}

// TestBrowserFailedMessage shows a failed message: its timeline with the
// provider's report and the failure explained; and a filter that cannot be
// read.
func TestBrowserFailedMessage(t *testing.T) {
	t.Parallel()
	r := newRig(t, service.Options{})
	failing := r.failedMessage(t)
	tb := newTab(t)
	tb.signIn(r.srv.URL, roleUsers[carillon.RoleAdmin])
	tb.do(chromedp.Navigate(r.srv.URL + "/messages/" + failing.UUID))
	if got := tb.text(".problem"); !strings.Contains(got, "131026") || !strings.Contains(got, "not on WhatsApp") {
		t.Errorf("the failure shows %q", got)
	}
	if got := tb.text(".timeline"); !strings.Contains(got, "enqueued") || !strings.Contains(got, "failed") {
		t.Errorf("the timeline shows %q", got)
	}
	tb.check("message-failed")

	tb.do(chromedp.Navigate(r.srv.URL + "/messages?status=lost&number=12345"))
	if got := tb.text("#filter-problem"); !strings.Contains(got, "lost") {
		t.Errorf("an unknown status shows %q", got)
	}
	tb.check("messages-problem")
}

// TestBrowserRestrictedMessages: a restricted agent's log lists only the
// messages of the contacts assigned to them, and another's message is a
// 404.
func TestBrowserRestrictedMessages(t *testing.T) {
	t.Parallel()
	r := newRig(t, service.Options{})
	restricted := roleUsers[carillon.RoleRestrictedAgent]
	r.send(t, "+31612345678", "assigned to me", restricted)
	others := r.inbound(t, "+31687654321", "someone else's")
	tb := newTab(t)
	tb.signIn(r.srv.URL, restricted)
	tb.do(chromedp.Navigate(r.srv.URL + "/messages"))
	if got := tb.text("tbody"); !strings.Contains(got, "assigned to me") || strings.Contains(got, "someone else's") {
		t.Errorf("a restricted agent's log shows %q", got)
	}
	tb.check("messages-restricted")
	tb.do(chromedp.Navigate(r.srv.URL + "/messages/" + others.UUID))
	if got := tb.text("h1"); !strings.HasPrefix(got, "404") {
		t.Errorf("another's message shows %q", got)
	}
	if got := tb.text("main"); strings.Contains(got, "someone else's") {
		t.Errorf("the 404 shows the message")
	}
}
