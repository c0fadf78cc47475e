package console

import (
	"bytes"
	"context"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/textproto"
	"net/url"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/carillon/carillon"
	"github.com/carillon/carillon/internal/testrig"
	"github.com/carillon/carillon/media"
	"github.com/carillon/carillon/outbox"
	"github.com/carillon/carillon/provider/instagram"
	"github.com/carillon/carillon/provider/messenger"
	"github.com/carillon/carillon/provider/sandbox"
	"github.com/carillon/carillon/service"
)

// countingSandbox is the sandbox, counting the calls it gets for each
// message.
type countingSandbox struct {
	next  carillon.Provider
	mu    sync.Mutex
	calls map[string]int
}

func (p *countingSandbox) Send(ctx context.Context, out carillon.Outgoing) (carillon.SendResult, error) {
	p.mu.Lock()
	p.calls[out.Message.UUID]++
	p.mu.Unlock()
	return p.next.Send(ctx, out)
}

// callsFor counts the calls for the message uuid; total all of them.
func (p *countingSandbox) callsFor(uuid string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.calls[uuid]
}

func (p *countingSandbox) total() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for _, c := range p.calls {
		n += c
	}
	return n
}

// sendingRig is a rig whose sends leave through the send pipeline for the
// sandbox (without its delay), which counts its calls, as serve wires them;
// files are kept in a media folder.
type sendingRig struct {
	*rig
	sandbox *countingSandbox
	media   string
}

func newSendingRig(t testing.TB) *sendingRig {
	t.Helper()
	dir := t.TempDir()
	files, err := media.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	svc := testrig.Service(t, service.Options{Registry: providers, Media: files})
	r := &sendingRig{rig: newRigOf(t, svc), media: dir}
	r.sandbox = &countingSandbox{calls: map[string]int{}, next: sandbox.New(0, func(ctx context.Context, ch carillon.Channel, rc carillon.Receipt) {
		_, _ = svc.Messages.ApplyReceipt(ctx, ch, rc)
	})}
	box := outbox.New(outbox.Options{Store: svc.Store(), Recorder: svc.Messages, InstanceID: "test",
		Providers: map[string]carillon.Provider{carillon.ProviderSandbox: r.sandbox}, RetryBase: 5 * time.Millisecond})
	svc.Notifier().SubscribeSends(box)
	if err := box.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		box.Stop(ctx)
	})
	return r
}

// chat makes a customer write from number and returns their contact.
func (r *sendingRig) chat(t testing.TB, number string) carillon.Contact {
	t.Helper()
	return r.contactOf(t, r.inbound(t, number, "hello?"))
}

func (r *sendingRig) contactOf(t testing.TB, m carillon.Message) carillon.Contact {
	t.Helper()
	c, err := r.svc.Store().ContactByID(context.Background(), r.acct.ID, m.ContactID)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// sent lists the messages sent to contact c, newest first.
func (r *sendingRig) sent(t testing.TB, c carillon.Contact) []carillon.Message {
	t.Helper()
	list, err := r.svc.Store().ContactMessagesBefore(context.Background(), r.acct.ID, c.ID, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	var out []carillon.Message
	for _, m := range list {
		if m.Direction == carillon.Outbound {
			out = append(out, m)
		}
	}
	return out
}

// sentAtLeast waits until at least n messages were sent to c, and returns
// them all.
func (r *sendingRig) sentAtLeast(t testing.TB, c carillon.Contact, n int) []carillon.Message {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		sent := r.sent(t, c)
		if len(sent) >= n || time.Now().After(deadline) {
			return sent
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// waitStatus waits until message uuid has status want.
func (r *sendingRig) waitStatus(t testing.TB, uuid string, want carillon.Status) carillon.Message {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		m, err := r.svc.Store().MessageByUUID(context.Background(), r.acct.ID, uuid)
		if err == nil && m.Status == want {
			return m
		}
		if time.Now().After(deadline) {
			t.Fatalf("message %s is %s (%v), not %s", uuid, m.Status, err, want)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// enforceWindow makes the account's sandbox enforce the 24-hour window.
func (r *sendingRig) enforceWindow(t testing.TB) carillon.Channel {
	t.Helper()
	ctx := context.Background()
	ch, err := r.svc.Store().MainChannel(ctx, r.acct.ID, carillon.WhatsApp)
	if err != nil {
		t.Fatal(err)
	}
	ch.Settings[sandbox.SettingWindow] = "enforced"
	if err := r.svc.Store().UpdateChannel(ctx, &ch); err != nil {
		t.Fatal(err)
	}
	return ch
}

// template adds an approved template of channel ch: "Hello {{1}}, order
// {{2}} has shipped", with a quick reply and a dynamic URL button.
func (r *sendingRig) template(t testing.TB, ch carillon.Channel, title string) carillon.Template {
	t.Helper()
	now := time.Now()
	tm := carillon.Template{UUID: carillon.NewUUID(), AccountID: r.acct.ID, ChannelID: ch.ID, Title: title, Text: "Hello {{1}}, order {{2}} has shipped",
		Type: carillon.TypeText, Category: "UTILITY", Status: "approved", Language: "en", CreatedAt: now, UpdatedAt: now,
		Buttons: []carillon.TemplateButton{{Type: carillon.ButtonQuickReply, Text: "Stop"}, {Type: carillon.ButtonURL, Text: "Track", URL: "https://example.com/track/{{1}}"}}}
	if err := r.svc.Store().CreateTemplate(context.Background(), &tm); err != nil {
		t.Fatal(err)
	}
	return tm
}

var formKey = regexp.MustCompile(`name="key" value="([0-9a-f]{32})"`)

// composerKey opens the conversation's page and returns the key of its
// forms.
func composerKey(t testing.TB, c *http.Client, base, conversation string) string {
	t.Helper()
	resp := get(t, c, base+"/chat/"+conversation)
	body := readBody(t, resp)
	m := formKey.FindStringSubmatch(body)
	if resp.StatusCode != http.StatusOK || m == nil {
		t.Fatalf("GET /chat/%s: %d without a form key", conversation, resp.StatusCode)
	}
	return m[1]
}

// attached is a file of a multipart form.
type attached struct {
	field, name, contentType string
	data                     []byte
}

// postMultipart sends a multipart form.
func postMultipart(t testing.TB, c *http.Client, u string, values url.Values, files ...attached) *http.Response {
	t.Helper()
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	for k, vs := range values {
		for _, v := range vs {
			_ = w.WriteField(k, v)
		}
	}
	for _, f := range files {
		h := textproto.MIMEHeader{}
		h.Set("Content-Disposition", fmt.Sprintf(`form-data; name=%q; filename=%q`, f.field, f.name))
		h.Set("Content-Type", f.contentType)
		part, err := w.CreatePart(h)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = part.Write(f.data)
	}
	_ = w.Close()
	resp, err := c.Post(u, w.FormDataContentType(), &body)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

// wantRedirect checks that resp redirects to the conversation's page.
func wantRedirect(t testing.TB, resp *http.Response, conversation string) {
	t.Helper()
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/chat/"+conversation+"#composer" {
		t.Fatalf("answer %d to %q, want 303 to the conversation: %s", resp.StatusCode, resp.Header.Get("Location"), readBody(t, resp))
	}
}

// TestComposerSendsOnce sends text from the composer: it goes through the
// pipeline to the provider; the same form sent again, twice at once or
// after the first answer, is answered with the first message and makes no
// second provider call; the same key with another text is refused.
func TestComposerSendsOnce(t *testing.T) {
	t.Parallel()
	r := newSendingRig(t)
	c := r.chat(t, "+31612345678")
	client, csrf := r.client(t, roleUsers[carillon.RoleAgent])
	key := composerKey(t, client, r.srv.URL, c.ConversationUUID)
	form := url.Values{"csrf": {csrf}, "key": {key}, "text": {"On its way!"}, "action": {"send"}}
	target := r.srv.URL + "/chat/" + c.ConversationUUID + "/messages"

	// A double click: the same form twice at once.
	var wg sync.WaitGroup
	answers := make([]*http.Response, 2)
	for i := range answers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			answers[i] = postMultipart(t, client, target, form)
		}()
	}
	wg.Wait()
	for _, resp := range answers {
		wantRedirect(t, resp, c.ConversationUUID)
	}
	// And again, once answered (a form sent again from the history).
	wantRedirect(t, postMultipart(t, client, target, form), c.ConversationUUID)

	sent := r.sent(t, c)
	if len(sent) != 1 || sent[0].Content.Text != "On its way!" || sent[0].Type != carillon.TypeText {
		t.Fatalf("the conversation has %d messages sent (%+v), want the one", len(sent), sent)
	}
	r.waitStatus(t, sent[0].UUID, carillon.StatusRead)
	if n := r.sandbox.total(); n != 1 {
		t.Errorf("the provider got %d calls, want 1", n)
	}

	other := url.Values{"csrf": {csrf}, "key": {key}, "text": {"Something else"}, "action": {"send"}}
	resp := postMultipart(t, client, target, other)
	body := readBody(t, resp)
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "this form was sent already") || !strings.Contains(body, "Something else") {
		t.Errorf("the key again with another text: %d %s", resp.StatusCode, body)
	}
	if m := formKey.FindStringSubmatch(body); m == nil || m[1] == key {
		t.Errorf("the form shown again keeps the used key")
	}
	if n := len(r.sent(t, c)); n != 1 {
		t.Errorf("%d messages sent, want 1", n)
	}

	// A form with nothing to send, or without its key, is shown again.
	for _, tc := range []struct {
		form  url.Values
		field string
	}{
		{url.Values{"csrf": {csrf}, "key": {carillon.NewUUID()}, "text": {"  "}}, `id="composer-text" name="text" rows="3" maxlength="4096" aria-invalid="true"`},
		{url.Values{"csrf": {csrf}, "text": {"no key"}}, "reload the page"},
	} {
		resp := postMultipart(t, client, target, tc.form)
		if body := readBody(t, resp); resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, tc.field) {
			t.Errorf("POST %v: %d, want 422 with %q: %s", tc.form, resp.StatusCode, tc.field, body)
		}
	}
	// A form of the urlencoded kind works as well (a browser sends it so
	// when it has no file input).
	resp = post(t, client, target, url.Values{"csrf": {csrf}, "key": {carillon.NewUUID()}, "text": {"plain form"}})
	wantRedirect(t, resp, c.ConversationUUID)
	if n := len(r.sent(t, c)); n != 2 {
		t.Errorf("%d messages sent, want 2", n)
	}
}

// TestComposerWindow: outside the 24-hour window of a channel that
// enforces it, the page offers templates instead of text, a text form is
// refused before anything is sent, and a template goes.
func TestComposerWindow(t *testing.T) {
	t.Parallel()
	r := newSendingRig(t)
	ch := r.enforceWindow(t)
	tm := r.template(t, ch, "shipping")
	_, conversation := contactWithConversation(t, r.svc, r.acct.Principal, "Ana", "a note")
	client, csrf := r.client(t, roleUsers[carillon.RoleAdmin])

	resp := get(t, client, r.srv.URL+"/chat/"+conversation)
	page := readBody(t, resp)
	if !strings.Contains(page, "The 24-hour window is closed") || strings.Contains(page, `id="composer-text"`) ||
		!strings.Contains(page, `<option value="`+tm.UUID+`">shipping (en)</option>`) {
		t.Fatalf("the closed window's page: %s", page)
	}
	key := formKey.FindStringSubmatch(page)[1]
	target := r.srv.URL + "/chat/" + conversation + "/messages"
	resp = postMultipart(t, client, target, url.Values{"csrf": {csrf}, "key": {key}, "text": {"Are you there?"}, "action": {"send"}})
	body := readBody(t, resp)
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "has not written in the last 24 hours") ||
		!strings.Contains(body, "The 24-hour window is closed") {
		t.Errorf("text outside the window: %d %s", resp.StatusCode, body)
	}
	c, err := r.svc.Store().ContactByConversation(context.Background(), r.acct.ID, conversation)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(r.sent(t, c)); n != 0 {
		t.Fatalf("%d messages sent outside the window", n)
	}

	templateForm := url.Values{"csrf": {csrf}, "key": {key}, "template": {tm.UUID}, "shown": {tm.UUID}, "value": {"Ana", "42", "ABC"}, "action": {"send"}}
	resp = postMultipart(t, client, target, templateForm)
	if body := readBody(t, resp); resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "agreed to receive") ||
		!strings.Contains(body, `id="composer-optin" name="optin" value="yes" aria-invalid="true"`) {
		t.Errorf("a template without opt-in: %d %s", resp.StatusCode, body)
	}
	templateForm.Set("optin", "yes")
	wantRedirect(t, postMultipart(t, client, target, templateForm), conversation)
	sent := r.sent(t, c)
	if len(sent) != 1 || sent[0].TemplateUUID != tm.UUID || sent[0].Content.Text != "Hello Ana, order 42 has shipped" ||
		strings.Join(sent[0].TemplateValues, ",") != "Ana,42,ABC" {
		t.Fatalf("sent %+v, want the template filled", sent)
	}
	r.waitStatus(t, sent[0].UUID, carillon.StatusRead)
	if n := r.sandbox.total(); n != 1 {
		t.Errorf("the provider got %d calls, want 1", n)
	}
}

// TestComposerTemplatePreview picks a template (its values asked, its
// placeholders marked missing), previews it with values (as the customer
// reads it, the URL button filled), and sends nothing meanwhile; a
// template picked instead of the one shown is shown, not sent.
func TestComposerTemplatePreview(t *testing.T) {
	t.Parallel()
	r := newSendingRig(t)
	ch, err := r.svc.Store().MainChannel(context.Background(), r.acct.ID, carillon.WhatsApp)
	if err != nil {
		t.Fatal(err)
	}
	tm := r.template(t, ch, "shipping")
	other := r.template(t, ch, "another")
	c := r.chat(t, "+31612345678")
	client, csrf := r.client(t, roleUsers[carillon.RoleAgent])
	key := composerKey(t, client, r.srv.URL, c.ConversationUUID)
	target := r.srv.URL + "/chat/" + c.ConversationUUID + "/messages"

	for _, tc := range []struct {
		name        string
		form        url.Values
		want, wantN []string
	}{
		{"picked", url.Values{"template": {tm.UUID}, "action": {"preview"}},
			[]string{`<label for="composer-value-1">Value 1: <span class="slot-label">{{1}} in the text</span></label>`,
				`<label for="composer-value-3">Value 3: <span class="slot-label">button 2 (URL): the end of https://example.com/track/</span></label>`,
				`Hello <mark data-slot="1" data-placeholder="{{1}}" class="missing">{{1}}</mark>, order <mark data-slot="2" data-placeholder="{{2}}" class="missing">{{2}}</mark> has shipped`,
				`<details class="composer-templates" open>`, `<option value="` + tm.UUID + `" selected>`},
			[]string{`value="Ana"`}},
		{"previewed", url.Values{"template": {tm.UUID}, "shown": {tm.UUID}, "value": {"Ana", "", "ABC"}, "action": {"preview"}},
			[]string{`Hello <mark data-slot="1" data-placeholder="{{1}}">Ana</mark>, order <mark data-slot="2" data-placeholder="{{2}}" class="missing">{{2}}</mark> has shipped`,
				`https://example.com/track/<mark data-slot="3" data-placeholder="value 3">ABC</mark>`, `<span class="button-text">Stop</span>`,
				`id="composer-value-1" name="value" value="Ana"`},
			nil},
		{"another picked on send", url.Values{"template": {other.UUID}, "shown": {tm.UUID}, "value": {"Ana", "42", "ABC"}, "optin": {"yes"}, "action": {"send"}},
			[]string{`<option value="` + other.UUID + `" selected>`, `id="composer-value-1" name="value" value=""`},
			[]string{`value="Ana"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.form.Set("csrf", csrf)
			tc.form.Set("key", key)
			resp := postMultipart(t, client, target, tc.form)
			body := readBody(t, resp)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("%d: %s", resp.StatusCode, body)
			}
			for _, w := range tc.want {
				if !strings.Contains(body, w) {
					t.Errorf("the page lacks %s", w)
				}
			}
			for _, w := range tc.wantN {
				if strings.Contains(body, w) {
					t.Errorf("the page shows %s", w)
				}
			}
			if m := formKey.FindStringSubmatch(body); m == nil || m[1] != key {
				t.Errorf("the page shown again has another key")
			}
		})
	}
	if n := len(r.sent(t, c)); n != 0 {
		t.Errorf("previews sent %d messages", n)
	}
}

// Bytes of a few formats, as much of their start as their signatures need.
const (
	pngBytes = "\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR a tiny png"
	oggBytes = "OggS\x00\x02\x00\x00\x00\x00\x00\x00\x00\x00OpusHead a voice note"
	pdfBytes = "%PDF-1.7\n% an invoice"
)

// TestComposerFiles sends files: each is kept in the media folder, served
// at <public URL>/media/<name> and sent by that URL as the type the
// channel takes it as; one the rules refuse is not kept; one sent twice
// is kept and sent once.
func TestComposerFiles(t *testing.T) {
	t.Parallel()
	r := newSendingRig(t)
	c := r.chat(t, "+31612345678")
	client, csrf := r.client(t, roleUsers[carillon.RoleAgent])
	target := r.srv.URL + "/chat/" + c.ConversationUUID + "/messages"
	bigPNG := pngBytes + strings.Repeat("\x00", 5<<20)
	cases := []struct {
		name, text string
		file       attached
		typ        string // "" when refused
		problem    string
	}{
		{"an image with a caption", "the receipt", attached{"file", "receipt.png", "image/png", []byte(pngBytes)}, carillon.TypeImage, ""},
		{"a document", "", attached{"file", "invoice.pdf", "application/pdf", []byte(pdfBytes)}, carillon.TypeDocument, ""},
		{"an image too large for one", "", attached{"file", "big.png", "image/png", []byte(bigPNG)}, carillon.TypeDocument, ""},
		{"an audio", "", attached{"file", "voice.ogg", "audio/ogg", []byte(oggBytes)}, carillon.TypeAudio, ""},
		{"an audio with a caption", "listen", attached{"file", "voice.ogg", "audio/ogg", []byte(oggBytes)}, "", "WhatsApp sends audio without a caption"},
		{"an empty file", "", attached{"file", "empty.txt", "text/plain", nil}, "", "the file is empty"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := len(r.sent(t, c))
			form := url.Values{"csrf": {csrf}, "key": {carillon.NewUUID()}, "text": {tc.text}, "action": {"send"}}
			resp := postMultipart(t, client, target, form, tc.file)
			if tc.typ == "" {
				body := readBody(t, resp)
				if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, tc.problem) || !strings.Contains(body, "Choose the file again") {
					t.Errorf("%d: %s", resp.StatusCode, body)
				}
				if n := len(r.sent(t, c)); n != before {
					t.Errorf("a refused file was sent")
				}
				return
			}
			// Sent twice: kept once, sent once.
			wantRedirect(t, resp, c.ConversationUUID)
			wantRedirect(t, postMultipart(t, client, target, form, tc.file), c.ConversationUUID)
			sent := r.sent(t, c)
			if len(sent) != before+1 {
				t.Fatalf("%d messages sent, want %d", len(sent), before+1)
			}
			m := sent[0]
			name, ok := strings.CutPrefix(m.Content.URL, r.svc.PublicURL()+"/media/")
			if m.Type != tc.typ || m.Content.Text != tc.text || !ok {
				t.Fatalf("sent %s %q at %q, want %s %q at the public URL's /media/", m.Type, m.Content.Text, m.Content.URL, tc.typ, tc.text)
			}
			f, err := r.svc.Messages.Media(context.Background(), name)
			if err != nil {
				t.Fatalf("the file sent is not kept: %v", err)
			}
			f.Content.Close()
			if f.Size != int64(len(tc.file.data)) {
				t.Errorf("kept %d bytes, want %d", f.Size, len(tc.file.data))
			}
			r.waitStatus(t, m.UUID, carillon.StatusRead)
			if n := r.sandbox.callsFor(m.UUID); n != 1 {
				t.Errorf("the provider got %d calls for it, want 1", n)
			}
		})
	}
	// Each file sent is kept once (a file and its description), and no
	// other.
	entries, err := os.ReadDir(r.media)
	if err != nil {
		t.Fatal(err)
	}
	if want := 2 * 4; len(entries) != want {
		t.Errorf("the media folder holds %d entries, want %d", len(entries), want)
	}
}

// TestComposerRetry sends a message that fails, then retries it: the retry
// is a new message with a second provider call, the failed one stays as
// it was; the retry form sent twice retries once; a message that did not
// fail is not retried.
func TestComposerRetry(t *testing.T) {
	t.Parallel()
	r := newSendingRig(t)
	c := r.chat(t, "+"+sandbox.NumberNotOnWhatsApp)
	client, csrf := r.client(t, roleUsers[carillon.RoleAgent])
	key := composerKey(t, client, r.srv.URL, c.ConversationUUID)
	target := r.srv.URL + "/chat/" + c.ConversationUUID + "/messages"
	wantRedirect(t, postMultipart(t, client, target, url.Values{"csrf": {csrf}, "key": {key}, "text": {"Are you there?"}}), c.ConversationUUID)
	failed := r.waitStatus(t, r.sent(t, c)[0].UUID, carillon.StatusFailed)

	resp := get(t, client, r.srv.URL+"/chat/"+c.ConversationUUID)
	page := readBody(t, resp)
	retryAction := `action="/chat/` + c.ConversationUUID + `/messages/` + failed.UUID + `/retry"`
	if !strings.Contains(page, retryAction) || !strings.Contains(page, "131026") || !strings.Contains(page, "not on WhatsApp") {
		t.Fatalf("the failed message shows no retry with its reason: %s", page)
	}
	// The reason is shown once, in the thread, and describes the retry.
	if n := strings.Count(page, "131026"); n != 1 {
		t.Errorf("the failed message's reason shows %d times, want once", n)
	}
	if !strings.Contains(page, `id="failure-`+failed.UUID+`"`) || !strings.Contains(page, `aria-describedby="failure-`+failed.UUID+`">Retry</button>`) {
		t.Errorf("the retry button is not described by the failure's reason")
	}
	key = formKey.FindStringSubmatch(page)[1]
	retry := r.srv.URL + "/chat/" + c.ConversationUUID + "/messages/" + failed.UUID + "/retry"
	for range 2 {
		wantRedirect(t, post(t, client, retry, url.Values{"csrf": {csrf}, "key": {key}}), c.ConversationUUID)
	}
	sent := r.sent(t, c)
	if len(sent) != 2 || sent[0].UUID == failed.UUID || sent[0].Content.Text != "Are you there?" {
		t.Fatalf("after the retry: %+v, want a new message with the same text", sent)
	}
	r.waitStatus(t, sent[0].UUID, carillon.StatusFailed)
	if r.sandbox.callsFor(failed.UUID) != 1 || r.sandbox.callsFor(sent[0].UUID) != 1 || r.sandbox.total() != 2 {
		t.Errorf("provider calls: %d for the failed message, %d for its retry, %d in all; want 1, 1, 2",
			r.sandbox.callsFor(failed.UUID), r.sandbox.callsFor(sent[0].UUID), r.sandbox.total())
	}
	after, err := r.svc.Store().MessageByUUID(context.Background(), r.acct.ID, failed.UUID)
	if err != nil {
		t.Fatal(err)
	}
	if after.Status != failed.Status || after.Version != failed.Version || !after.UpdatedAt.Equal(failed.UpdatedAt) || after.Attempts != failed.Attempts {
		t.Errorf("the failed message changed: %+v, was %+v", after, failed)
	}

	// A message that did not fail, or of another conversation, is not
	// retried.
	other := r.chat(t, "+31612345678")
	okKey := composerKey(t, client, r.srv.URL, other.ConversationUUID)
	wantRedirect(t, postMultipart(t, client, r.srv.URL+"/chat/"+other.ConversationUUID+"/messages", url.Values{"csrf": {csrf}, "key": {okKey}, "text": {"fine"}}), other.ConversationUUID)
	fine := r.waitStatus(t, r.sent(t, other)[0].UUID, carillon.StatusRead)
	resp = post(t, client, r.srv.URL+"/chat/"+other.ConversationUUID+"/messages/"+fine.UUID+"/retry", url.Values{"csrf": {csrf}, "key": {okKey}})
	if body := readBody(t, resp); resp.StatusCode != http.StatusConflict || !strings.Contains(body, "only a failed message can be sent again") {
		t.Errorf("retry of a read message: %d %s", resp.StatusCode, body)
	}
	resp = post(t, client, r.srv.URL+"/chat/"+other.ConversationUUID+"/messages/"+failed.UUID+"/retry", url.Values{"csrf": {csrf}, "key": {okKey}})
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("retry of another conversation's message: %d", resp.StatusCode)
	}
	if n := r.sandbox.total(); n != 3 {
		t.Errorf("the provider got %d calls, want 3", n)
	}
}

// TestComposerRoles: a restricted agent answers the chats assigned to them
// and no other (404, nothing sent, as a chat of another account); a form
// without its CSRF token is refused.
func TestComposerRoles(t *testing.T) {
	t.Parallel()
	r := newSendingRig(t)
	restricted := roleUsers[carillon.RoleRestrictedAgent]
	mine := r.chat(t, "+31612345678")
	assignTo(t, r.svc, r.acct.Principal, mine.UUID, restricted)
	others := r.chat(t, "+31687654321")
	failing := r.send(t, "+"+sandbox.NumberNotOnWhatsApp, "to nobody", "")
	r.waitStatus(t, failing.UUID, carillon.StatusFailed)
	failed := r.contactOf(t, failing)
	client, csrf := r.client(t, restricted)
	key := carillon.NewUUID()

	for _, c := range []carillon.Contact{others, failed} {
		resp := postMultipart(t, client, r.srv.URL+"/chat/"+c.ConversationUUID+"/messages", url.Values{"csrf": {csrf}, "key": {key}, "text": {"not mine"}})
		if resp.StatusCode != http.StatusNotFound || strings.Contains(readBody(t, resp), "not mine") {
			t.Errorf("a restricted agent's send to another's chat: %d, want 404", resp.StatusCode)
		}
	}
	m := r.sent(t, failed)[0]
	resp := post(t, client, r.srv.URL+"/chat/"+failed.ConversationUUID+"/messages/"+m.UUID+"/retry", url.Values{"csrf": {csrf}, "key": {key}})
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("a restricted agent's retry in another's chat: %d, want 404", resp.StatusCode)
	}
	resp = postMultipart(t, client, r.srv.URL+"/chat/"+mine.ConversationUUID+"/messages", url.Values{"key": {key}, "text": {"no token"}})
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("a form without its token: %d, want 403", resp.StatusCode)
	}
	if n := len(r.sent(t, others)) + len(r.sent(t, mine)); n != 0 || len(r.sent(t, failed)) != 1 {
		t.Fatalf("sent %d messages to chats the agent may not answer", n)
	}
	wantRedirect(t, postMultipart(t, client, r.srv.URL+"/chat/"+mine.ConversationUUID+"/messages", url.Values{"csrf": {csrf}, "key": {key}, "text": {"mine"}}), mine.ConversationUUID)
	if sent := r.sent(t, mine); len(sent) != 1 || sent[0].Content.Text != "mine" {
		t.Errorf("the restricted agent's own chat got %+v", sent)
	}
}

// TestComposerRefusesLargeForms: a form larger than the largest file any
// network takes is refused before its body is read.
func TestComposerRefusesLargeForms(t *testing.T) {
	t.Parallel()
	r := newSendingRig(t)
	c := r.chat(t, "+31612345678")
	client, _ := r.client(t, roleUsers[carillon.RoleAgent])
	u, _ := url.Parse(r.srv.URL)
	req := httptest.NewRequest(http.MethodPost, "/chat/"+c.ConversationUUID+"/messages", strings.NewReader("never read"))
	req.ContentLength = maxReplyBody + 1
	req.Header.Set("Content-Type", "multipart/form-data; boundary=x")
	for _, cookie := range client.Jar.Cookies(u) {
		req.AddCookie(cookie)
	}
	w := httptest.NewRecorder()
	r.srv.Config.Handler.ServeHTTP(w, req)
	if w.Code != http.StatusUnprocessableEntity || !strings.Contains(w.Body.String(), "choose a smaller file") {
		t.Errorf("a form of %d bytes: %d %s", req.ContentLength, w.Code, w.Body.String())
	}
	if n := len(r.sent(t, c)); n != 0 {
		t.Errorf("%d messages sent", n)
	}
}

// TestComposerMetaFiles: the composer says the files of each channel's own
// network, as its provider describes them, offers no templates (Meta's
// networks take none), and on Instagram, which sends no documents,
// refuses a file that is not one of its media before keeping it, saying
// why.
func TestComposerMetaFiles(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	files, err := media.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	registry, err := carillon.NewProviderRegistry(sandbox.Info(), messenger.Info(), instagram.Info())
	if err != nil {
		t.Fatal(err)
	}
	r := newRigOf(t, testrig.Service(t, service.Options{Registry: registry, Media: files}))
	ctx := context.Background()
	client, csrf := r.client(t, roleUsers[carillon.RoleAgent])
	for _, tc := range []struct {
		typ, provider, id string
		settings          map[string]string
		hint, accept      string
		refused           bool
	}{
		{"facebook", carillon.ProviderMessenger, "104857603392714", map[string]string{"page_id": "104857603392714", "page_access_token": "t"},
			"A JPEG, PNG or GIF image up to 8 MB goes as an image; an MP4 video up to 25 MB goes as a video; an AAC, MP3, M4A or WAV audio up to 25 MB goes as an audio; any other file, or a larger one, as a document up to 25 MB.",
			"", false},
		{"instagram", carillon.ProviderInstagram, "17841405822304914", map[string]string{"account_id": "17841405822304914", "access_token": "t"},
			"A JPEG or PNG image up to 8 MB goes as an image; an MP4, Ogg, AVI, MOV or WebM video up to 25 MB goes as a video; an AAC, M4A or WAV audio up to 25 MB goes as an audio; no other file.",
			`accept="image/jpeg,image/png,video/mp4,`, true},
	} {
		t.Run(tc.provider, func(t *testing.T) {
			tc.settings["app_secret"], tc.settings["verify_token"] = "s", "v"
			ch, _, err := r.svc.Resources.ConnectChannel(ctx, r.acct.Principal, service.ChannelForm{Title: tc.provider, Type: tc.typ, Provider: tc.provider, Settings: tc.settings})
			if err != nil {
				t.Fatal(err)
			}
			in, err := r.svc.Messages.Receive(ctx, ch, carillon.InboundMessage{ChannelID: ch.ID, From: "6345432765432123",
				ExternalID: "m_" + tc.provider, Type: carillon.TypeText, Content: carillon.Content{Text: "hello?"}})
			if err != nil {
				t.Fatal(err)
			}
			c, err := r.svc.Store().ContactByID(ctx, r.acct.ID, in.ContactID)
			if err != nil {
				t.Fatal(err)
			}
			body := readBody(t, get(t, client, r.srv.URL+"/chat/"+c.ConversationUUID))
			if !strings.Contains(body, `<p class="hint" id="composer-file-hint">`+tc.hint+`</p>`) {
				t.Errorf("the composer does not say %s's files: %s", tc.provider, between(body, `id="composer-file-hint">`, "</p>"))
			}
			if strings.Contains(body, "Send a template") || strings.Contains(body, "approved template") {
				t.Errorf("the composer of a %s conversation offers templates: %s", tc.provider, between(body, `id="composer"`, "</section>"))
			}
			if got := strings.Contains(body, `accept="`); tc.accept == "" && got || tc.accept != "" && !strings.Contains(body, tc.accept) {
				t.Errorf("the file input's accept: %s, want %q", between(body, `id="composer-file"`, ">"), tc.accept)
			}
			form := url.Values{"csrf": {csrf}, "key": {carillon.NewUUID()}, "action": {"send"}}
			resp := postMultipart(t, client, r.srv.URL+"/chat/"+c.ConversationUUID+"/messages", form, attached{"file", "invoice.pdf", "application/pdf", []byte(pdfBytes)})
			if !tc.refused {
				wantRedirect(t, resp, c.ConversationUUID)
				return
			}
			body = readBody(t, resp)
			if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "instagram sends no other files than its media: a JPEG or PNG image up to 8 MB") ||
				!strings.Contains(body, "(this file is application/pdf") {
				t.Errorf("a PDF on Instagram: %d %s", resp.StatusCode, between(body, `id="composer-problem"`, "</p>"))
			}
		})
	}
	// The PDF sent on Messenger is kept (a file and its description); the
	// one Instagram refused is not.
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 2 {
		t.Errorf("the media folder holds %d entries, want 2", len(entries))
	}
}

// between is the part of s after the first start, up to end.
func between(s, start, end string) string {
	_, after, _ := strings.Cut(s, start)
	part, _, _ := strings.Cut(after, end)
	return part
}
