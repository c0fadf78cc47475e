package providertest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/carillon/carillon"
)

// BaseURLPlaceholder, anywhere in an outbound case file, is replaced by the
// scripted server's URL (http://127.0.0.1:port) before the file is read.
const BaseURLPlaceholder = "{{base_url}}"

// caseTimeout bounds one case, so that a provider that hangs fails its case
// instead of the whole test binary.
const caseTimeout = 15 * time.Second

// RunOutbound runs every *.json file of dir as an OutboundCase, each in its
// own subtest named after the file.
func RunOutbound(t *testing.T, dir string, s Subject) {
	t.Helper()
	for _, f := range caseFiles(t, dir) {
		t.Run(strings.TrimSuffix(filepath.Base(f), ".json"), func(t *testing.T) {
			runOutbound(t, s, f)
		})
	}
}

// RunInbound runs every *.json file of dir as an InboundCase, each in its
// own subtest named after the file.
func RunInbound(t *testing.T, dir string, s Subject) {
	t.Helper()
	for _, f := range caseFiles(t, dir) {
		t.Run(strings.TrimSuffix(filepath.Base(f), ".json"), func(t *testing.T) {
			runInbound(t, s, f)
		})
	}
}

func caseFiles(t *testing.T, dir string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatalf("no case files in %s", dir)
	}
	slices.Sort(files)
	return files
}

// decodeStrict decodes a case file, refusing unknown fields so that a typo
// in a file does not silently turn a check off.
func decodeStrict(t *testing.T, data []byte, v any) {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		t.Fatalf("reading the case file: %v", err)
	}
}

// channelFor builds a case's channel from the subject's.
func channelFor(s Subject, c ChannelJSON) carillon.Channel {
	ch := s.Channel
	ch.Settings = maps.Clone(s.Channel.Settings)
	if ch.Settings == nil {
		ch.Settings = map[string]string{}
	}
	if c.ID != 0 {
		ch.ID = c.ID
	}
	if c.UUID != "" {
		ch.UUID = c.UUID
	}
	if c.AccountID != 0 {
		ch.AccountID = c.AccountID
	}
	maps.Copy(ch.Settings, c.Settings)
	return ch
}

// secretsOf lists the secret values of a channel, by its provider's
// description, and the subject's extra ones.
func secretsOf(t *testing.T, s Subject, ch carillon.Channel) []string {
	t.Helper()
	if s.Info.Name == "" {
		t.Fatal("the Subject has no Info: the harness cannot tell which settings are secret")
	}
	var secrets []string
	for _, name := range s.Info.SecretSettings() {
		if v := ch.Settings[name]; v != "" {
			secrets = append(secrets, v)
		}
	}
	return append(secrets, s.Secrets...)
}

// assertNoSecretsIn fails t if a secret appears in an error's string.
func assertNoSecretsIn(t *testing.T, err error, secrets []string) {
	t.Helper()
	if err == nil {
		return
	}
	msg := err.Error()
	for i, s := range secrets {
		if strings.Contains(msg, s) {
			t.Errorf("secret #%d (starting %q) appears in the error string", i, prefix(s))
		}
	}
}

// assertNoSecretsInBytes fails t if a secret appears in b.
func assertNoSecretsInBytes(t *testing.T, what string, b []byte, secrets []string) {
	t.Helper()
	for i, s := range secrets {
		if bytes.Contains(b, []byte(s)) {
			t.Errorf("secret #%d (starting %q) appears in %s", i, prefix(s), what)
		}
	}
}

func runOutbound(t *testing.T, s Subject, file string) {
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	srv := NewScriptedServer(t)
	raw = bytes.ReplaceAll(raw, []byte(BaseURLPlaceholder), []byte(srv.URL))
	var c OutboundCase
	decodeStrict(t, raw, &c)
	srv.Push(c.Answers...)

	ch := channelFor(s, c.Channel)
	if _, ok := c.Channel.Settings["base_url"]; !ok {
		ch.Settings["base_url"] = srv.URL
	}
	logger, log := NewLog()
	client := Client()
	t.Cleanup(client.CloseIdleConnections)
	p := s.New(client, logger)
	ctx, cancel := context.WithTimeout(context.Background(), caseTimeout)
	defer cancel()

	var (
		result carillon.SendResult
		output any
	)
	if c.Call == "" {
		out := carillon.Outgoing{
			Channel: ch,
			Message: carillon.Message{
				UUID: c.Message.UUID, AccountID: ch.AccountID, ChannelID: ch.ID, Direction: carillon.Outbound,
				Type: c.Message.Type, Content: c.Message.Content, TemplateValues: c.Message.TemplateValues,
				Status: carillon.StatusEnqueued,
			},
			To: c.To, BSUID: c.BSUID, Attempt: max(c.Attempt, 1),
		}
		if tpl := c.Template; tpl != nil {
			out.Template = &carillon.Template{
				AccountID: ch.AccountID, ChannelID: ch.ID, Title: tpl.Title, Language: tpl.Language,
				Type: tpl.Type, Text: tpl.Text, Category: tpl.Category, Status: "approved", ExternalID: tpl.ExternalID,
				Buttons: tpl.Buttons,
			}
		}
		result, err = p.Send(ctx, out)
	} else {
		call, ok := s.Calls[c.Call]
		if !ok {
			t.Fatalf("the case names call %q, which the subject does not define", c.Call)
		}
		output, err = call(CallContext{Context: ctx, Provider: p, Channel: ch}, c.Args)
	}

	secrets := secretsOf(t, s, ch)
	log.AssertNoSecrets(t, secrets...)
	assertNoSecretsIn(t, err, secrets)
	var se *carillon.SendError
	if errors.As(err, &se) {
		// The payload is stored as messageStatusPayload and shown by the API.
		assertNoSecretsInBytes(t, "the error payload", se.Payload, secrets)
	}
	compareRequests(t, c.Expect.Requests, srv.Requests())
	if n := srv.Unused(); n > 0 {
		t.Errorf("%d scripted answer(s) were not asked for", n)
	}

	switch {
	case c.Expect.Error != nil:
		compareError(t, *c.Expect.Error, err)
	case err != nil:
		t.Fatalf("unexpected error: %v", err)
	case c.Call == "":
		if c.Expect.Result == nil {
			t.Fatalf("the case expects neither a result nor an error; got result %+v", result)
		}
		want := c.Expect.Result
		if result.ExternalID != want.ExternalID {
			t.Errorf("external id = %q, want %q", result.ExternalID, want.ExternalID)
		}
		if result.Address != want.Address {
			t.Errorf("address = %q, want %q", result.Address, want.Address)
		}
		if want.Payload != nil {
			assertJSONEqual(t, "result payload", want.Payload, result.Payload)
		}
	default:
		if c.Expect.Output != nil {
			got, err := json.Marshal(output)
			if err != nil {
				t.Fatalf("encoding the call's output: %v", err)
			}
			assertJSONEqual(t, "output", c.Expect.Output, got)
		}
	}
}

func compareRequests(t *testing.T, want []RequestJSON, got []RecordedRequest) {
	t.Helper()
	if len(got) != len(want) {
		var lines []string
		for _, r := range got {
			lines = append(lines, r.Method+" "+r.Path)
		}
		t.Errorf("the provider made %d request(s), want %d: %v", len(got), len(want), lines)
	}
	for i := range min(len(got), len(want)) {
		w, g := want[i], got[i]
		where := fmt.Sprintf("request %d (%s %s)", i, g.Method, g.Path)
		if g.Method != w.Method || g.Path != w.Path {
			t.Errorf("%s: want %s %s", where, w.Method, w.Path)
		}
		if w.Query != nil {
			wq := url.Values{}
			for k, v := range w.Query {
				wq.Set(k, v)
			}
			if !reflect.DeepEqual(wq, g.Query) {
				t.Errorf("%s: query = %v, want %v", where, g.Query, wq)
			}
		}
		for name, v := range w.Headers {
			if gv := g.Header.Get(name); gv != v {
				if v == "" {
					t.Errorf("%s: header %s is set, want it absent", where, name)
				} else {
					t.Errorf("%s: header %s = %q, want %q", where, name, gv, v)
				}
			}
		}
		switch {
		case w.Body != nil:
			assertJSONEqual(t, where+" body", w.Body, g.Body)
		case w.BodyRaw != nil && string(g.Body) != *w.BodyRaw:
			t.Errorf("%s: body = %q, want %q", where, g.Body, *w.BodyRaw)
		}
	}
}

func compareError(t *testing.T, want SendErrorExpect, err error) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want %+v", want)
	}
	if want.Contains != "" && !strings.Contains(err.Error(), want.Contains) {
		t.Errorf("error %q does not contain %q", err, want.Contains)
	}
	if want.Code == "" && !want.Permanent {
		return
	}
	var se *carillon.SendError
	if !errors.As(err, &se) {
		t.Fatalf("error %v (%T) is not a *carillon.SendError", err, err)
	}
	if se.Permanent != want.Permanent {
		t.Errorf("permanent = %v, want %v (%v)", se.Permanent, want.Permanent, se)
	}
	if se.Code != want.Code {
		t.Errorf("code = %q, want %q", se.Code, want.Code)
	}
	if want.Title != "" && se.Title != want.Title {
		t.Errorf("title = %q, want %q", se.Title, want.Title)
	}
	wantScope := carillon.ScopeRecipient
	switch want.Scope {
	case "", "recipient":
	case "channel":
		wantScope = carillon.ScopeChannel
	default:
		t.Fatalf("unknown scope %q in the case (recipient or channel)", want.Scope)
	}
	if se.Scope != wantScope {
		t.Errorf("scope = %v, want %v (%s)", se.Scope, wantScope, want.Scope)
	}
	var wantWait time.Duration
	if want.RetryAfter != "" {
		d, err := time.ParseDuration(want.RetryAfter)
		if err != nil {
			t.Fatalf("retry_after in the case: %v", err)
		}
		wantWait = d
	}
	if se.RetryAfter != wantWait {
		t.Errorf("retry after = %v, want %v", se.RetryAfter, wantWait)
	}
	if want.Payload != nil {
		assertJSONEqual(t, "error payload", want.Payload, se.Payload)
	}
}

func runInbound(t *testing.T, s Subject, file string) {
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var c InboundCase
	decodeStrict(t, raw, &c)
	ch := channelFor(s, c.Channel)

	cb := carillon.Callback{Method: c.Callback.Method, Query: url.Values{}, Header: http.Header{}}
	if cb.Method == "" {
		cb.Method = http.MethodPost
	}
	for k, v := range c.Callback.Query {
		cb.Query.Set(k, v)
	}
	for k, v := range c.Callback.Headers {
		cb.Header.Set(k, v)
	}
	if c.Callback.Body != nil {
		// json.RawMessage keeps the bytes as the file writes them, so the
		// signature covers exactly what the provider reads.
		cb.Body = []byte(c.Callback.Body)
	} else {
		cb.Body = []byte(c.Callback.BodyRaw)
	}
	if c.Callback.Sign {
		if s.Sign == nil {
			t.Fatal("the case asks for a signed callback, but the subject has no Sign")
		}
		s.Sign(ch, &cb)
	}

	logger, log := NewLog()
	p := s.New(Client(), logger)
	parser, ok := p.(carillon.CallbackParser)
	if !ok {
		t.Fatalf("%T is not a carillon.CallbackParser", p)
	}
	res, err := parser.ParseCallback(ch, cb)

	secrets := secretsOf(t, s, ch)
	log.AssertNoSecrets(t, secrets...)
	assertNoSecretsIn(t, err, secrets)
	if res.Reply != nil {
		assertNoSecretsInBytes(t, "the reply", res.Reply.Body, secrets)
	}

	want := c.Expect
	if want.Error != nil {
		var ce *carillon.CallbackError
		if !errors.As(err, &ce) {
			t.Fatalf("error = %v (%T), want a *carillon.CallbackError with status %d", err, err, want.Error.Status)
		}
		if ce.Status != want.Error.Status {
			t.Errorf("callback error status = %d, want %d (%s)", ce.Status, want.Error.Status, ce.Reason)
		}
		if want.Error.ReasonContains != "" && !strings.Contains(ce.Reason, want.Error.ReasonContains) {
			t.Errorf("callback error reason %q does not contain %q", ce.Reason, want.Error.ReasonContains)
		}
		return
	}
	if err != nil {
		t.Fatalf("unexpected error: %v", err)
	}
	switch {
	case want.Reply != nil && res.Reply == nil:
		t.Errorf("no reply, want %+v", *want.Reply)
	case want.Reply == nil && res.Reply != nil:
		t.Errorf("unexpected reply %d %q", res.Reply.Status, res.Reply.Body)
	case want.Reply != nil:
		got := ReplyJSON{Status: res.Reply.Status, ContentType: res.Reply.ContentType, Body: string(res.Reply.Body)}
		if got != *want.Reply {
			t.Errorf("reply = %+v, want %+v", got, *want.Reply)
		}
	}

	for i, m := range res.Messages {
		if m.ChannelID != ch.ID {
			t.Errorf("message %d: channel id = %d, want %d", i, m.ChannelID, ch.ID)
		}
	}
	for i, r := range res.Receipts {
		if r.ChannelID != ch.ID {
			t.Errorf("receipt %d: channel id = %d, want %d", i, r.ChannelID, ch.ID)
		}
	}
	gotMessages := make([]InboundMessageJSON, 0, len(res.Messages))
	for _, m := range res.Messages {
		gotMessages = append(gotMessages, MessageToJSON(m))
	}
	wantMessages := make([]InboundMessageJSON, 0, len(want.Messages))
	for _, m := range want.Messages {
		if m.Content != nil && emptyContent(*m.Content) {
			m.Content = nil
		}
		wantMessages = append(wantMessages, m)
	}
	assertJSONEqual(t, "messages", mustJSON(t, wantMessages), mustJSON(t, gotMessages))

	gotReceipts := make([]ReceiptJSON, 0, len(res.Receipts))
	for _, r := range res.Receipts {
		gotReceipts = append(gotReceipts, ReceiptToJSON(r))
	}
	wantReceipts := want.Receipts
	if wantReceipts == nil {
		wantReceipts = []ReceiptJSON{}
	}
	assertJSONEqual(t, "receipts", mustJSON(t, wantReceipts), mustJSON(t, gotReceipts))
	gotDeletions := make([]DeletionJSON, 0, len(res.Deletions))
	for i, d := range res.Deletions {
		if d.ChannelID != ch.ID {
			t.Errorf("deletion %d: channel id = %d, want %d", i, d.ChannelID, ch.ID)
		}
		gotDeletions = append(gotDeletions, DeletionJSON{ExternalID: d.ExternalID, From: d.From, At: timeJSON(d.At)})
	}
	wantDeletions := want.Deletions
	if wantDeletions == nil {
		wantDeletions = []DeletionJSON{}
	}
	assertJSONEqual(t, "deletions", mustJSON(t, wantDeletions), mustJSON(t, gotDeletions))
	if res.Ignored != want.Ignored {
		t.Errorf("ignored = %d, want %d", res.Ignored, want.Ignored)
	}
	if res.ChannelAddress != want.ChannelAddress {
		t.Errorf("channel address = %q, want %q", res.ChannelAddress, want.ChannelAddress)
	}
}

// MessageToJSON writes an InboundMessage as the case files do.
func MessageToJSON(m carillon.InboundMessage) InboundMessageJSON {
	j := InboundMessageJSON{
		From: m.From, BSUID: m.BSUID, ProfileName: m.ProfileName, ExternalID: m.ExternalID,
		Type: m.Type, Details: m.Details, At: timeJSON(m.At), Echo: m.Echo, EchoOf: m.EchoOf,
	}
	if !emptyContent(m.Content) {
		c := m.Content
		j.Content = &c
	}
	if m.Media != nil {
		j.Media = &MediaJSON{ID: m.Media.ID, MimeType: m.Media.MimeType, Filename: m.Media.Filename, SHA256: m.Media.SHA256, URL: m.Media.URL}
	}
	return j
}

// ReceiptToJSON writes a Receipt as the case files do.
func ReceiptToJSON(r carillon.Receipt) ReceiptJSON {
	return ReceiptJSON{ExternalID: r.ExternalID, MessageUUID: r.MessageUUID, Status: r.Status, Payload: r.Payload,
		Code: r.Code, Reason: r.Reason, Corrected: r.CorrectedAddress, At: timeJSON(r.At),
		Recipient: r.Recipient, Through: timeJSON(r.Through), AndEarlier: r.AndEarlier}
}

func timeJSON(at time.Time) string {
	if at.IsZero() {
		return ""
	}
	return at.UTC().Format(time.RFC3339Nano)
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("encoding %T: %v", v, err)
	}
	return b
}

// assertJSONEqual fails t unless want and got are the same JSON value
// (whatever their spacing and key order), printing both indented.
func assertJSONEqual(t *testing.T, what string, want, got []byte) {
	t.Helper()
	var w, g any
	if err := json.Unmarshal(want, &w); err != nil {
		t.Fatalf("%s: the expected value is not JSON: %v", what, err)
	}
	if err := json.Unmarshal(got, &g); err != nil {
		t.Errorf("%s: got no JSON (%v): %q", what, err, got)
		return
	}
	if !reflect.DeepEqual(w, g) {
		wi, _ := json.MarshalIndent(w, "", "  ")
		gi, _ := json.MarshalIndent(g, "", "  ")
		t.Errorf("%s differ\n--- got:\n%s\n--- want:\n%s", what, gi, wi)
	}
}

// RecordedRequest is a request the scripted server received.
type RecordedRequest struct {
	Method string
	Path   string
	Query  url.Values
	Header http.Header
	Body   []byte
}

// ScriptedServer is a loopback HTTP server that answers each request with
// the next scripted Answer and records what it received. Requests beyond
// the script get a 599 with an explanation.
type ScriptedServer struct {
	*httptest.Server

	mu       sync.Mutex
	answers  []Answer
	requests []RecordedRequest
}

// NewScriptedServer starts a scripted server, closed when t ends.
func NewScriptedServer(t testing.TB) *ScriptedServer {
	s := &ScriptedServer{}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

// Push queues answers.
func (s *ScriptedServer) Push(answers ...Answer) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.answers = append(s.answers, answers...)
}

// Requests returns the requests received so far.
func (s *ScriptedServer) Requests() []RecordedRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.requests)
}

// Unused counts the answers not asked for.
func (s *ScriptedServer) Unused() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.answers)
}

func (s *ScriptedServer) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	s.mu.Lock()
	s.requests = append(s.requests, RecordedRequest{
		Method: r.Method, Path: r.URL.Path, Query: r.URL.Query(), Header: r.Header.Clone(), Body: body,
	})
	var a Answer
	scripted := len(s.answers) > 0
	if scripted {
		a, s.answers = s.answers[0], s.answers[1:]
	}
	s.mu.Unlock()

	if !scripted {
		http.Error(w, "providertest: no scripted answer left for "+r.Method+" "+r.URL.Path, 599)
		return
	}
	if a.NetworkError {
		hj, ok := w.(http.Hijacker)
		if !ok {
			panic("providertest: the server cannot hijack connections")
		}
		conn, _, err := hj.Hijack()
		if err == nil {
			conn.Close()
		}
		return
	}
	for k, v := range a.Headers {
		w.Header().Set(k, v)
	}
	body = []byte(a.BodyRaw)
	if a.Body != nil {
		body = a.Body
		if w.Header().Get("Content-Type") == "" {
			w.Header().Set("Content-Type", "application/json")
		}
	}
	status := a.Status
	if status == 0 {
		status = http.StatusOK
	}
	w.WriteHeader(status)
	w.Write(body)
}

// emptyContent reports whether a message carries no content.
func emptyContent(c carillon.Content) bool { return c.Text == "" && c.URL == "" && len(c.Details) == 0 }
