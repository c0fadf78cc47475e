package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/carillon/carillon"
	"github.com/carillon/carillon/api"
	"github.com/carillon/carillon/httpapi"
	"github.com/carillon/carillon/internal/testrig"
	"github.com/carillon/carillon/provider/sandbox"
	"github.com/carillon/carillon/service"
	"github.com/carillon/carillon/store"
	"github.com/carillon/carillon/webhook"
)

// loadDocument loads and validates the embedded OpenAPI document.
func loadDocument(t *testing.T) *openapi3.T {
	t.Helper()
	doc, err := openapi3.NewLoader().LoadFromData(api.OpenAPI)
	if err != nil {
		t.Fatalf("loading api/openapi.yaml: %v", err)
	}
	if err := doc.Validate(t.Context()); err != nil {
		t.Fatalf("api/openapi.yaml is not a valid OpenAPI document: %v", err)
	}
	return doc
}

func TestOpenAPIDocumentIsValid(t *testing.T) {
	t.Parallel()
	doc := loadDocument(t)
	if !doc.IsOpenAPI31OrLater() || doc.OpenAPIMajorMinor() != "3.1" {
		t.Fatalf("openapi = %q, want 3.1.x", doc.OpenAPI)
	}
	if doc.Components == nil || doc.Components.SecuritySchemes["bearer"] == nil {
		t.Fatal("the document has no bearer security scheme")
	}
}

// frozenClock never moves: a rate limit of 1 then refuses every request of
// a key after its first.
type frozenClock struct{ t time.Time }

func (c frozenClock) Now() time.Time { return c.t }

// failingStore is a store whose every key look-up and readiness check
// fails: the API then answers 500 and 503.
type failingStore struct{ carillon.Store }

var errStoreDown = errors.New("the store is down")

func (failingStore) APIKeysByHash(context.Context, []string) ([]carillon.KeyByHash, error) {
	return nil, errStoreDown
}

func (failingStore) Ready(context.Context) error { return errStoreDown }

// apiFixture is the real API in process, on a SQLite store, behind three
// test servers: one without a rate limit, one whose keys may make a single
// request, and one whose store fails.
type apiFixture struct {
	db      *store.DB
	svc     *service.Service
	acct    carillon.Account
	key     string
	main    *httptest.Server
	limited *httptest.Server
	broken  *httptest.Server
}

func newAPIFixture(t *testing.T) *apiFixture {
	t.Helper()
	db := testrig.SQLite(t)
	f := &apiFixture{db: db}
	f.main = httptest.NewUnstartedServer(nil)
	t.Cleanup(f.main.Close)
	publicURL := "http://" + f.main.Listener.Addr().String()
	// The sandbox's description decides that a channel set to enforce
	// the window refuses a free-form message outside it.
	providers, err := carillon.NewProviderRegistry(sandbox.Info())
	if err != nil {
		t.Fatal(err)
	}
	f.svc = testrig.Service(t, service.Options{Store: db, InstanceID: "openapi-test", PublicURL: publicURL, Registry: providers})
	first := testrig.DefaultAccount(t, f.svc)
	f.acct, f.key = first.Account, first.Key

	f.main.Config.Handler = httpapi.New(testrig.APIOptions(f.svc))
	f.main.Start()

	limited := testrig.APIOptions(f.svc)
	limited.RateLimit, limited.Clock = 1, frozenClock{time.Now()}
	f.limited = testrig.API(t, limited)

	down := testrig.Service(t, service.Options{Store: failingStore{db}, InstanceID: "openapi-test-down", PublicURL: publicURL})
	f.broken = testrig.API(t, testrig.APIOptions(down))
	return f
}

// call is one request of the conformance test and what it must get.
type call struct {
	name   string
	server *httptest.Server
	method string
	path   string
	header map[string]string
	body   string
	// docValid says whether the document accepts the request: a request the
	// server refuses for its shape (malformed, missing, of the wrong type,
	// too long) must be refused by the document too.
	docValid bool
	status   int
	// code and field are the error's, for an error answer.
	code  string
	field string
}

// conformance sends requests to the API and checks each request and answer
// against the document, recording which operation answered which status.
type conformance struct {
	t      *testing.T
	doc    *openapi3.T
	router routers.Router
	f      *apiFixture
	seen   map[string]bool
}

func newConformance(t *testing.T, f *apiFixture) *conformance {
	doc := loadDocument(t)
	// Route the test servers' addresses as the document's server.
	doc.Servers = openapi3.Servers{{URL: f.main.URL}, {URL: f.limited.URL}, {URL: f.broken.URL}}
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}
	return &conformance{t: t, doc: doc, router: router, f: f, seen: map[string]bool{}}
}

// bearerAuth is the document's bearer scheme as a validator sees it: a
// request without a bearer token is refused; whether the key is known is
// the server's to say.
func bearerAuth(_ context.Context, in *openapi3filter.AuthenticationInput) error {
	if in.SecuritySchemeName != "bearer" {
		return fmt.Errorf("unknown security scheme %q", in.SecuritySchemeName)
	}
	scheme, token, ok := strings.Cut(in.RequestValidationInput.Request.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "" {
		return errors.New("no bearer token")
	}
	return nil
}

func (c *conformance) newRequest(tc call) *http.Request {
	c.t.Helper()
	var body io.Reader
	if tc.body != "" {
		body = strings.NewReader(tc.body)
	}
	req, err := http.NewRequestWithContext(c.t.Context(), tc.method, tc.server.URL+tc.path, body)
	if err != nil {
		c.t.Fatal(err)
	}
	if tc.body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range tc.header {
		req.Header.Set(k, v)
	}
	return req
}

// answer is what the server answered a call.
type answer struct {
	header http.Header
	body   []byte
}

// message reads the message of a send or status answer.
func (a answer) message(t *testing.T) map[string]any {
	t.Helper()
	var m struct{ Message map[string]any }
	if err := json.Unmarshal(a.body, &m); err != nil || m.Message == nil {
		t.Fatalf("not a message answer: %s", a.body)
	}
	return m.Message
}

// do makes the call, checks the request and the answer against the
// document, and returns the answer.
func (c *conformance) do(tc call) answer {
	t := c.t
	t.Helper()
	if tc.server == nil {
		tc.server = c.f.main
	}
	vreq := c.newRequest(tc)
	route, params, err := c.router.FindRoute(vreq)
	if err != nil {
		t.Fatalf("%s: %s %s is not an operation of the document: %v", tc.name, tc.method, tc.path, err)
	}
	in := &openapi3filter.RequestValidationInput{Request: vreq, PathParams: params, Route: route, Options: validationOptions()}
	err = openapi3filter.ValidateRequest(t.Context(), in)
	switch {
	case tc.docValid && err != nil:
		t.Errorf("%s: the document refuses the request: %v", tc.name, err)
	case !tc.docValid && err == nil:
		t.Errorf("%s: the document accepts a request that the server refuses", tc.name)
	}

	resp, err := tc.server.Client().Do(c.newRequest(tc))
	if err != nil {
		t.Fatalf("%s: %v", tc.name, err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatalf("%s: reading the answer: %v", tc.name, err)
	}
	if resp.StatusCode != tc.status {
		t.Fatalf("%s: status %d, want %d: %s", tc.name, resp.StatusCode, tc.status, body)
	}
	if tc.code != "" {
		var e struct {
			Error struct{ Code, Field string }
		}
		if err := json.Unmarshal(body, &e); err != nil || e.Error.Code != tc.code || e.Error.Field != tc.field {
			t.Errorf("%s: error %s, want code %s field %q", tc.name, body, tc.code, tc.field)
		}
	}

	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: resp.StatusCode, Header: resp.Header,
		Body: io.NopCloser(bytes.NewReader(body)), Options: validationOptions()}
	if err := openapi3filter.ValidateResponse(t.Context(), out); err != nil {
		t.Errorf("%s: the answer %d does not match the document: %v\nbody: %.2000s", tc.name, resp.StatusCode, err, body)
	}
	c.seen[route.Method+" "+route.Path+" "+responseKey(route.Operation, resp.StatusCode)] = true
	return answer{header: resp.Header, body: body}
}

// validationOptions are the validator's options: every error at once, each
// in one line that names where it is (without a dump of the schema).
func validationOptions() *openapi3filter.Options {
	o := &openapi3filter.Options{AuthenticationFunc: bearerAuth, IncludeResponseStatus: true, MultiError: true}
	o.WithCustomSchemaErrorFunc(func(e *openapi3.SchemaError) string {
		reason := e.Reason
		if reason == "" {
			reason = "does not match " + e.SchemaField
		}
		return fmt.Sprintf("at /%s: %s", strings.Join(e.JSONPointer(), "/"), reason)
	})
	return o
}

// responseKey is the key of the document's response that a status selects.
func responseKey(op *openapi3.Operation, status int) string {
	key := strconv.Itoa(status)
	if op.Responses.Value(key) == nil {
		key = key[:1] + "XX"
	}
	return key
}

// checkCoverage fails for every response of the document that no call got.
func (c *conformance) checkCoverage() {
	var missing []string
	for path, item := range c.doc.Paths.Map() {
		for method, op := range item.Operations() {
			for status := range op.Responses.Map() {
				if k := method + " " + path + " " + status; !c.seen[k] {
					missing = append(missing, k)
				}
			}
		}
	}
	slices.Sort(missing)
	for _, m := range missing {
		c.t.Errorf("no request checked the document's response %s", m)
	}
}

// TestOpenAPIConformance drives every operation of the document through the
// real API, and checks every request and answer against the document: the
// test that keeps the document and the code from drifting apart.
func TestOpenAPIConformance(t *testing.T) {
	t.Parallel()
	f := newAPIFixture(t)
	c := newConformance(t, f)
	ctx := t.Context()
	headers := func(extra ...string) map[string]string {
		h := map[string]string{"Authorization": "Bearer " + f.key}
		for i := 0; i+1 < len(extra); i += 2 {
			h[extra[i]] = extra[i+1]
		}
		return h
	}
	auth := headers()
	send := func(name, body string, h map[string]string) call {
		return call{name: name, method: "POST", path: "/v1/messages/send", header: h, body: body, docValid: true, status: 200}
	}
	get := func(name, path string) call {
		return call{name: name, method: "GET", path: path, header: auth, docValid: true, status: 200}
	}
	const textBody = `{"to":"+31612345678","from":"whatsapp","type":"text","content":{"text":"Hello from Callbell API!"}}`

	// Operational endpoints and the document itself, without a key.
	c.do(call{name: "healthz", method: "GET", path: "/healthz", docValid: true, status: 200})
	c.do(call{name: "readyz", method: "GET", path: "/readyz", docValid: true, status: 200})
	c.do(call{name: "metrics", method: "GET", path: "/metrics", docValid: true, status: 200})
	if a := c.do(call{name: "openapi.yaml", method: "GET", path: "/v1/openapi.yaml", docValid: true, status: 200}); !bytes.Equal(a.body, api.OpenAPI) {
		t.Errorf("GET /v1/openapi.yaml is not the embedded document")
	}
	c.do(get("auth/me", "/v1/auth/me"))

	// Sends, and what they answer.
	a := c.do(send("send a text", textBody, headers("X-Request-Id", "conformance-1")))
	sent := a.message(t)
	if sent["status"] != "enqueued" || sent["messageStatusPayload"] != nil || a.header.Get("X-Request-Id") != "conformance-1" {
		t.Errorf("send answered %v, X-Request-Id %q", sent, a.header.Get("X-Request-Id"))
	}
	both := c.do(send("send an image with the contact and conversation",
		`{"to":"+31 6 1234 5670","from":"whatsapp","type":"image","content":{"url":"https://example.com/receipt.png","text":"Your receipt"},
		"fields":"contact,conversation","metadata":{"order_id":"A-1042"},"bot_status":"bot_start","template_values":[],"optin_contact":false}`,
		auth)).message(t)
	if both["contact"] == nil || both["conversation"] == nil {
		t.Errorf("fields=contact,conversation answered %v", both)
	}
	byBSUID := c.do(send("send a document to a BSUID with the contact",
		`{"bsuid":"US.13491208655302741918","from":"whatsapp","type":"document","content":{"url":"https://example.com/terms.pdf"},"fields":"contact"}`,
		auth)).message(t)
	if contact, _ := byBSUID["contact"].(map[string]any); contact == nil || contact["bsuid"] == nil || contact["phoneNumber"] != nil {
		t.Errorf("a send to a BSUID answered the contact %v", byBSUID["contact"])
	}
	idem := headers("Idempotency-Key", "order-1042-shipped")
	first := c.do(send("send with an Idempotency-Key", `{"to":"+31612345678","from":"whatsapp","type":"text","content":{"text":"Order 1042 shipped"}}`, idem)).message(t)
	a = c.do(send("the same send again", `{ "from":"whatsapp", "content":{"text":"Order 1042 shipped"}, "type":"text","to":"+31612345678"}`, idem))
	if again := a.message(t); again["uuid"] != first["uuid"] || a.header.Get("Idempotent-Replayed") != "true" {
		t.Errorf("a replay answered %v (Idempotent-Replayed %q), first %v", again, a.header.Get("Idempotent-Replayed"), first)
	}

	// Status, a provider's report, deletion.
	uuid, _ := sent["uuid"].(string)
	c.do(get("status enqueued", "/v1/messages/status/"+uuid))
	ch, err := f.db.MainChannel(ctx, f.acct.ID, carillon.WhatsApp)
	if err != nil {
		t.Fatal(err)
	}
	report := fmt.Sprintf(`{"id":"wamid.sandbox.%s","recipient_id":"31612345678","status":"delivered","timestamp":"%d"}`, uuid, time.Now().Unix())
	receipt := carillon.Receipt{ChannelID: ch.ID, MessageUUID: uuid, Status: carillon.StatusDelivered, Payload: json.RawMessage(report), At: time.Now()}
	if ok, err := f.svc.Messages.ApplyReceipt(ctx, ch, receipt); !ok || err != nil {
		t.Fatalf("ApplyReceipt = %v, %v", ok, err)
	}
	if m := c.do(get("status delivered", "/v1/messages/status/"+uuid)).message(t); m["status"] != "delivered" || m["messageStatusPayload"] == nil {
		t.Errorf("status after a report: %v", m)
	}
	c.do(call{name: "delete", method: "DELETE", path: "/v1/messages/" + uuid, header: auth, docValid: true, status: 204})
	if m := c.do(get("status deleted", "/v1/messages/status/"+uuid)).message(t); m["status"] != "deleted" {
		t.Errorf("status after a delete: %v", m)
	}
	unknown := strings.Repeat("0", 32)
	c.do(call{name: "status of an unknown message", method: "GET", path: "/v1/messages/status/" + unknown, header: auth, docValid: true, status: 404, code: "not_found"})
	c.do(call{name: "delete an unknown message", method: "DELETE", path: "/v1/messages/" + unknown, header: auth, docValid: true, status: 404, code: "not_found"})

	// The sandbox.
	inbound := c.do(call{name: "sandbox inbound", method: "POST", path: "/v1/sandbox/inbound", header: auth,
		body: `{"from":"+31612345678","text":"Where is my order?"}`, docValid: true, status: 200}).message(t)
	if m := c.do(get("status received", "/v1/messages/status/"+inbound["uuid"].(string))).message(t); m["status"] != "received" {
		t.Errorf("status of an inbound message: %v", m)
	}

	// 400: bodies that are not JSON objects.
	c.do(call{name: "send broken JSON", method: "POST", path: "/v1/messages/send", header: auth, body: `{"to":`, status: 400, code: "malformed_json"})
	c.do(call{name: "sandbox inbound array", method: "POST", path: "/v1/sandbox/inbound", header: auth, body: `[1]`, status: 400, code: "malformed_json"})

	// 413: bodies over 1 MiB.
	huge := strings.Repeat("x", 1<<20)
	c.do(call{name: "send over 1 MiB", method: "POST", path: "/v1/messages/send", header: auth,
		body: `{"to":"+31612345678","from":"whatsapp","type":"text","content":{"text":"` + huge + `"}}`, status: 413, code: "payload_too_large"})
	c.do(call{name: "sandbox inbound over 1 MiB", method: "POST", path: "/v1/sandbox/inbound", header: auth,
		body: `{"from":"+31612345678","text":"` + huge + `"}`, status: 413, code: "payload_too_large"})

	// 422: refused parameters, each naming its field.
	strict := carillon.Channel{UUID: carillon.NewUUID(), AccountID: f.acct.ID, Title: "strict", Type: carillon.WhatsApp,
		Provider: carillon.ProviderSandbox, Settings: map[string]string{"window": "enforced"}, CreatedAt: time.Now(), UpdatedAt: time.Now()}
	if err := f.db.CreateChannel(ctx, &strict); err != nil {
		t.Fatal(err)
	}
	const hi = `"type":"text","content":{"text":"hi"}`
	for _, tc := range []call{
		{name: "send to an invalid number", body: `{"to":"12345","from":"whatsapp",` + hi + `}`, docValid: true, code: "invalid_parameter", field: "to"},
		{name: "send to a JSON number", body: `{"to":31612345678,"from":"whatsapp",` + hi + `}`, code: "invalid_parameter", field: "to"},
		{name: "send without from", body: `{"to":"+31612345678",` + hi + `}`, code: "invalid_parameter", field: "from"},
		{name: "send without a recipient", body: `{"from":"whatsapp",` + hi + `}`, code: "invalid_parameter", field: "to"},
		{name: "send on a type without a channel", body: `{"to":"12345","from":"telegram",` + hi + `}`, docValid: true, code: "invalid_parameter", field: "from"},
		{name: "send a blank text", body: `{"to":"+31612345678","from":"whatsapp","type":"text","content":{"text":"  "}}`, code: "invalid_parameter", field: "content.text"},
		{name: "send media without a URL", body: `{"to":"+31612345678","from":"whatsapp","type":"video","content":{"text":"look"}}`, code: "invalid_parameter", field: "content.url"},
		{name: "send a text too long", body: `{"to":"+31612345678","from":"whatsapp","type":"text","content":{"text":"` + strings.Repeat("é", 4097) + `"}}`, code: "invalid_parameter", field: "content.text"},
		{name: "send a location", body: `{"to":"+31612345678","from":"whatsapp","type":"location","content":{"text":"hi"}}`, code: "not_supported", field: "type"},
		{name: "send a fax", body: `{"to":"+31612345678","from":"whatsapp","type":"fax","content":{"text":"hi"}}`, code: "invalid_parameter", field: "type"},
		{name: "send an unknown template", body: `{"to":"+31612345678","from":"whatsapp",` + hi + `,"template_uuid":"` + unknown + `","optin_contact":true}`, docValid: true, code: "invalid_parameter", field: "template_uuid"},
		{name: "send a template without opt-in", body: `{"to":"+31612345678","from":"whatsapp",` + hi + `,"template_uuid":"` + unknown + `"}`, docValid: true, code: "invalid_parameter", field: "optin_contact"},
		{name: "send to an unknown team", body: `{"to":"+31612345678","from":"whatsapp",` + hi + `,"team_uuid":"` + unknown + `"}`, docValid: true, code: "invalid_parameter", field: "team_uuid"},
		{name: "send assigned to an unknown user", body: `{"to":"+31612345678","from":"whatsapp",` + hi + `,"assigned_user":"nobody@example.com"}`, docValid: true, code: "invalid_parameter", field: "assigned_user"},
		{name: "send asking for unknown fields", body: `{"to":"+31612345678","from":"whatsapp",` + hi + `,"fields":"contact,history"}`, code: "invalid_parameter", field: "fields"},
		{name: "send a number as metadata", body: `{"to":"+31612345678","from":"whatsapp",` + hi + `,"metadata":{"a":1}}`, code: "invalid_parameter", field: "metadata"},
		{name: "send a bad bot_status", body: `{"to":"+31612345678","from":"whatsapp",` + hi + `,"bot_status":"bot_pause"}`, code: "invalid_parameter", field: "bot_status"},
		{name: "send on an unknown channel", body: `{"to":"+31612345678","from":"whatsapp","channel_uuid":"` + unknown + `",` + hi + `}`, docValid: true, code: "invalid_parameter", field: "channel_uuid"},
		{name: "send outside the 24-hour window", body: `{"to":"+31612345678","from":"whatsapp","channel_uuid":"` + strict.UUID + `",` + hi + `}`, docValid: true, code: "outside_customer_service_window", field: "to"},
		{name: "send with an Idempotency-Key too long", header: headers("Idempotency-Key", strings.Repeat("k", 256)), body: textBody, code: "invalid_parameter", field: "Idempotency-Key"},
		{name: "reuse an Idempotency-Key with another body", header: idem, body: `{"to":"+31612345678","from":"whatsapp","type":"text","content":{"text":"Order 1043 shipped"}}`, docValid: true, code: "idempotency_key_reused", field: "Idempotency-Key"},
	} {
		tc.method, tc.path, tc.status = "POST", "/v1/messages/send", 422
		if tc.header == nil {
			tc.header = auth
		}
		c.do(tc)
	}
	for _, tc := range []call{
		{name: "sandbox inbound without from", body: `{"text":"hi"}`, code: "invalid_parameter", field: "from"},
		{name: "sandbox inbound from an invalid number", body: `{"from":"12345","text":"hi"}`, docValid: true, code: "invalid_parameter", field: "from"},
		{name: "sandbox inbound with a blank text", body: `{"from":"+31612345678","text":" "}`, code: "invalid_parameter", field: "text"},
		{name: "sandbox inbound on an unknown channel", body: `{"from":"+31612345678","text":"hi","channel_uuid":"` + unknown + `"}`, docValid: true, code: "invalid_parameter", field: "channel_uuid"},
	} {
		tc.method, tc.path, tc.status, tc.header = "POST", "/v1/sandbox/inbound", 422, auth
		c.do(tc)
	}

	// The account's resources.
	now := time.Now()
	tmpl := carillon.Template{UUID: carillon.NewUUID(), AccountID: f.acct.ID, ChannelID: ch.ID, Title: "order_shipped",
		Text: "Hello {{1}}, your order has shipped.", Type: "text", Category: "UTILITY", Status: "approved", Language: "en", CreatedAt: now, UpdatedAt: now}
	tmpl2 := carillon.Template{UUID: carillon.NewUUID(), AccountID: f.acct.ID, ChannelID: ch.ID, Title: "order_paid",
		Text: "Paid.", Type: "text", Category: "UTILITY", Status: "approved", Language: "en", CreatedAt: now, UpdatedAt: now}
	funnel := carillon.Funnel{UUID: carillon.NewDashedUUID(), AccountID: f.acct.ID, Name: "Lead", Emoji: "🌱", Position: 1, CreatedAt: now}
	sales := carillon.Team{UUID: carillon.NewUUID(), AccountID: f.acct.ID, Name: "Sales", CreatedAt: now}
	agent := carillon.User{UUID: carillon.NewUUID(), AccountID: f.acct.ID, Email: "alex@example.com", Name: "Alex", CreatedAt: now}
	idle := carillon.User{UUID: carillon.NewUUID(), AccountID: f.acct.ID, Email: "kim@example.com", Name: "Kim", CreatedAt: now}
	for _, err := range []error{f.db.CreateTemplate(ctx, &tmpl), f.db.CreateTemplate(ctx, &tmpl2), f.db.CreateFunnel(ctx, &funnel),
		f.db.CreateTeam(ctx, &sales), f.db.CreateUser(ctx, &agent), f.db.CreateUser(ctx, &idle)} {
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, u := range []carillon.User{agent, idle} {
		if err := f.db.AddTeamMember(ctx, sales.ID, u.ID, now); err != nil {
			t.Fatal(err)
		}
	}
	list := func(a answer, field string) []any {
		t.Helper()
		var m map[string]any
		if err := json.Unmarshal(a.body, &m); err != nil {
			t.Fatal(err)
		}
		l, _ := m[field].([]any)
		if l == nil || m["meta"] == nil {
			t.Fatalf("not a list of %s: %s", field, a.body)
		}
		return l
	}
	one := func(a answer, field string) map[string]any {
		t.Helper()
		var m map[string]any
		if err := json.Unmarshal(a.body, &m); err != nil {
			t.Fatal(err)
		}
		o, _ := m[field].(map[string]any)
		if o == nil {
			t.Fatalf("not an answer of one %s: %s", field, a.body)
		}
		return o
	}
	body := func(name, method, path, b string) call {
		return call{name: name, method: method, path: path, header: auth, body: b, docValid: true, status: 200}
	}
	fail := func(name, method, path, b string, status int, code, field string, docValid bool) call {
		return call{name: name, method: method, path: path, header: auth, body: b, docValid: docValid, status: status, code: code, field: field}
	}
	c.do(call{name: "delete named in the body", method: "DELETE", path: "/v1/messages", header: auth, body: `{"uuid":"` + uuid + `"}`, docValid: true, status: 204})
	c.do(fail("delete an unknown message named in the body", "DELETE", "/v1/messages", `{"uuid":"`+unknown+`"}`, 404, "not_found", "", true))
	c.do(fail("delete without a uuid in the body", "DELETE", "/v1/messages", `{}`, 422, "invalid_parameter", "uuid", false))
	c.do(fail("delete with broken JSON", "DELETE", "/v1/messages", `{"uuid":`, 400, "malformed_json", "", false))
	c.do(fail("delete with a body over 1 MiB", "DELETE", "/v1/messages", `{"uuid":"`+strings.Repeat("u", 1<<20)+`"}`, 413, "payload_too_large", "", true))
	if l := list(c.do(get("channels", "/v1/channels?type=whatsapp&active=true&page=1&items=10")), "channels"); len(l) != 2 {
		t.Errorf("channels: %v", l)
	}
	c.do(get("one channel", "/v1/channels/"+ch.UUID))
	if o := one(c.do(body("rename a channel", "PATCH", "/v1/channels/"+ch.UUID, `{"title":"Support line"}`)), "channel"); o["title"] != "Support line" {
		t.Errorf("renamed channel: %v", o)
	}
	teams := list(c.do(get("teams", "/v1/teams")), "teams")
	if len(teams) != 2 {
		t.Errorf("teams: %v", teams)
	}
	c.do(get("one team", "/v1/teams/"+sales.UUID))
	c.do(body("rename a team", "PATCH", "/v1/teams/"+sales.UUID, `{"name":"Sales EU"}`))
	cs := one(c.do(body("create a custom status", "POST", "/v1/custom_statuses", `{"name":"Lunch","emoji":"🍔"}`)), "customStatus")
	csID, _ := cs["id"].(string)
	meeting := one(c.do(body("create a custom status without emoji", "POST", "/v1/custom_statuses", `{"name":"Meeting"}`)), "customStatus")
	if meeting["emoji"] != nil {
		t.Errorf("a custom status without emoji: %v", meeting)
	}
	lunch, err := f.db.CustomStatusByUUID(ctx, f.acct.ID, csID)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.db.SetUserStatus(ctx, f.acct.ID, agent.ID, carillon.UserStatus{Available: true, AvailabilityAt: now, CustomStatusID: lunch.ID, CustomStatusAt: now}); err != nil {
		t.Fatal(err)
	}
	if l := list(c.do(get("team members", "/v1/teams/"+sales.UUID+"/members")), "users"); len(l) != 2 {
		t.Errorf("members: %v", l)
	}
	c.do(get("available team members", "/v1/teams/"+sales.UUID+"/members?status=available&items=1"))
	c.do(get("templates", "/v1/templates?page=2&items=1"))
	c.do(get("one template", "/v1/templates/"+tmpl.UUID))
	c.do(body("rename a template", "PATCH", "/v1/templates/"+tmpl.UUID, `{"title":"order_sent"}`))
	c.do(get("funnels", "/v1/funnels"))
	c.do(get("custom statuses", "/v1/custom_statuses"))
	c.do(get("one custom status", "/v1/custom_statuses/"+csID))
	c.do(body("change a custom status", "PUT", "/v1/custom_statuses/"+csID, `{"name":"Lunch break","emoji":""}`))
	c.do(get("plan", "/v1/plan"))
	unknownDashed := "00000000-0000-0000-0000-000000000000"

	// Template sends, assignment, and users' status.
	tm := one(c.do(send("send a template assigned to a user and a team",
		`{"to":"+31612345679","from":"whatsapp","type":"text","content":{"text":"Ana"},"template_uuid":"`+tmpl.UUID+
			`","optin_contact":true,"assigned_user":"alex@example.com","team_uuid":"`+sales.UUID+`"}`, auth)), "message")
	if tm["status"] != "enqueued" {
		t.Errorf("a template send answered %v", tm)
	}
	c.do(send("send a template with its values and no content",
		`{"to":"+31612345679","from":"whatsapp","type":"text","template_uuid":"`+tmpl.UUID+`","template_values":["Ana"],"optin_contact":true}`, auth))
	c.do(call{name: "send a template with a wrong count of values", method: "POST", path: "/v1/messages/send", header: auth, docValid: true, status: 422,
		body: `{"to":"+31612345679","from":"whatsapp","type":"text","template_uuid":"` + tmpl.UUID + `","template_values":["Ana","Bo"],"optin_contact":true}`,
		code: "invalid_parameter", field: "template_values"})
	c.do(call{name: "send a text without content", method: "POST", path: "/v1/messages/send", header: auth, status: 422,
		body: `{"to":"+31612345679","from":"whatsapp","type":"text"}`, code: "invalid_parameter", field: "content"})
	userStatus := "/v1/users/" + agent.UUID + "/status"
	st := one(c.do(body("set a user's status", "PUT", userStatus, `{"available":true,"custom_status_uuid":"`+meeting["id"].(string)+`"}`)), "user_status")
	if custom, _ := st["custom_status"].(map[string]any); custom == nil || custom["id"] != meeting["id"] {
		t.Errorf("user status: %v", st)
	}
	if st := one(c.do(body("unassign a user's custom status with null", "PUT", userStatus, `{"custom_status_uuid":null}`)), "user_status"); st["custom_status"] != nil {
		t.Errorf("user status after null: %v", st)
	}
	c.do(call{name: "clear a user's custom status", method: "DELETE", path: userStatus, header: auth, docValid: true, status: 204})
	for _, tc := range []call{
		fail("status of an unknown user", "PUT", "/v1/users/"+unknown+"/status", `{"available":true}`, 404, "not_found", "", true),
		fail("clear the status of an unknown user", "DELETE", "/v1/users/"+unknown+"/status", "", 404, "not_found", "", true),
		fail("a user's status without a field", "PUT", userStatus, `{}`, 422, "invalid_parameter", "available", false),
		fail("a user's status with an unknown custom status", "PUT", userStatus, `{"custom_status_uuid":"`+unknownDashed+`"}`, 422, "invalid_parameter", "custom_status_uuid", true),
		fail("a user's availability not a boolean", "PUT", userStatus, `{"available":"yes"}`, 422, "invalid_parameter", "available", false),
	} {
		c.do(tc)
	}
	for _, tc := range []call{
		fail("unknown channel", "GET", "/v1/channels/"+unknown, "", 404, "not_found", "", true),
		fail("rename an unknown channel", "PATCH", "/v1/channels/"+unknown, `{"title":"x"}`, 404, "not_found", "", true),
		fail("unknown team", "GET", "/v1/teams/"+unknown, "", 404, "not_found", "", true),
		fail("rename an unknown team", "PATCH", "/v1/teams/"+unknown, `{"name":"x"}`, 404, "not_found", "", true),
		fail("members of an unknown team", "GET", "/v1/teams/"+unknown+"/members", "", 404, "not_found", "", true),
		fail("unknown template", "GET", "/v1/templates/"+unknown, "", 404, "not_found", "", true),
		fail("rename an unknown template", "PATCH", "/v1/templates/"+unknown, `{"title":"x"}`, 404, "not_found", "", true),
		fail("unknown custom status", "GET", "/v1/custom_statuses/"+unknownDashed, "", 404, "not_found", "", true),
		fail("change an unknown custom status", "PUT", "/v1/custom_statuses/"+unknownDashed, `{"name":"x"}`, 404, "not_found", "", true),
		body("delete a custom status", "DELETE", "/v1/custom_statuses/"+csID, ""),
		fail("delete a deleted custom status", "DELETE", "/v1/custom_statuses/"+csID, "", 404, "not_found", "", true),

		fail("channels of an unknown type", "GET", "/v1/channels?type=fax", "", 422, "invalid_parameter", "type", false),
		fail("channels with a page not a number", "GET", "/v1/channels?page=two", "", 422, "invalid_parameter", "page", false),
		fail("teams with items not a number", "GET", "/v1/teams?items=x", "", 422, "invalid_parameter", "items", false),
		fail("members with an unknown status", "GET", "/v1/teams/"+sales.UUID+"/members?status=busy", "", 422, "invalid_parameter", "status", false),
		fail("templates with a page not a number", "GET", "/v1/templates?page=x", "", 422, "invalid_parameter", "page", false),
		fail("funnels with items not a number", "GET", "/v1/funnels?items=x", "", 422, "invalid_parameter", "items", false),
		fail("custom statuses with a page not a number", "GET", "/v1/custom_statuses?page=x", "", 422, "invalid_parameter", "page", false),
		fail("rename a channel to blank", "PATCH", "/v1/channels/"+ch.UUID, `{"title":" "}`, 422, "invalid_parameter", "title", true),
		fail("rename a channel to a number", "PATCH", "/v1/channels/"+ch.UUID, `{"title":1}`, 422, "invalid_parameter", "title", false),
		fail("rename a channel to another channel's title", "PATCH", "/v1/channels/"+strict.UUID, `{"title":"Support line"}`, 422, "already_exists", "title", true),
		fail("rename a team to another team's name", "PATCH", "/v1/teams/"+sales.UUID, `{"name":"General"}`, 422, "already_exists", "name", true),
		fail("rename a template to a title in use", "PATCH", "/v1/templates/"+tmpl.UUID, `{"title":"order_paid"}`, 422, "already_exists", "title", true),
		fail("create a custom status without a name", "POST", "/v1/custom_statuses", `{"emoji":"x"}`, 422, "invalid_parameter", "name", false),
		fail("create a custom status with a name in use", "POST", "/v1/custom_statuses", `{"name":"Meeting"}`, 422, "already_exists", "name", true),
		fail("change a custom status to a blank name", "PUT", "/v1/custom_statuses/"+meeting["id"].(string), `{"name":" "}`, 422, "invalid_parameter", "name", true),
	} {
		c.do(tc)
	}
	for _, op := range []struct{ method, path, field string }{
		{"PATCH", "/v1/channels/" + ch.UUID, "title"},
		{"PATCH", "/v1/teams/" + sales.UUID, "name"},
		{"PATCH", "/v1/templates/" + tmpl.UUID, "title"},
		{"POST", "/v1/custom_statuses", "name"},
		{"PUT", "/v1/custom_statuses/" + meeting["id"].(string), "name"},
		{"PUT", "/v1/users/" + agent.UUID + "/status", "custom_status_uuid"},
	} {
		name := op.method + " " + op.path
		c.do(fail(name+" broken JSON", op.method, op.path, `{"`+op.field+`":`, 400, "malformed_json", "", false))
		c.do(fail(name+" over 1 MiB", op.method, op.path, `{"`+op.field+`":"`+huge+`"}`, 413, "payload_too_large", "", false))
	}

	// Contacts and their conversations.
	for _, err := range []error{
		f.db.CreateTag(ctx, &carillon.Tag{AccountID: f.acct.ID, Name: "VIP", CreatedAt: now}),
		f.db.CreateCustomField(ctx, &carillon.CustomField{AccountID: f.acct.ID, Name: "Plan", Type: carillon.FieldDropdown,
			Options: []string{"free", "pro"}, CreatedAt: now, UpdatedAt: now}),
		f.db.CreateCustomField(ctx, &carillon.CustomField{AccountID: f.acct.ID, Name: "Products", Type: carillon.FieldCheckbox,
			Options: []string{"chat", "voice"}, CreatedAt: now, UpdatedAt: now}),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	tg := carillon.Channel{UUID: carillon.NewUUID(), AccountID: f.acct.ID, Title: "Bot", Type: carillon.Telegram,
		Provider: carillon.ProviderSandbox, Main: true, CreatedAt: now, UpdatedAt: now}
	if err := f.db.CreateChannel(ctx, &tg); err != nil {
		t.Fatal(err)
	}
	kim := one(c.do(body("create a contact", "POST", "/v1/contacts", `{"identifier":"+31 6 1111 2222","source":"whatsapp","name":"Kim",
		"tags":["vip"],"custom_fields":{"Plan":"pro","Products":["chat","voice"]},"assigned_user":"alex@example.com",
		"team_uuid":"`+sales.UUID+`","channel_uuid":"`+ch.UUID+`","bot_status":"bot_start","note":"Prefers mornings"}`)), "contact")
	kimUUID, _ := kim["uuid"].(string)
	if kim["phoneNumber"] != "31611112222" || kim["assignedUser"] != "alex@example.com" || kim["team"] == nil || kim["customFieldsMetadata"] != nil {
		t.Errorf("created contact: %v", kim)
	}
	c.do(body("create a telegram contact", "POST", "/v1/contacts", `{"identifier":"4242","source":"telegram","name":"Tom"}`))
	if l := list(c.do(get("contacts", "/v1/contacts?source=whatsapp&tags=VIP&team_uuid="+sales.UUID+"&include_field_types=true&page=1&items=10")), "contacts"); len(l) != 1 {
		t.Errorf("filtered contacts: %v", l)
	} else if md, _ := l[0].(map[string]any)["customFieldsMetadata"].(map[string]any); md["Plan"] == nil {
		t.Errorf("contacts with field types: %v", l[0])
	}
	list(c.do(get("every contact", "/v1/contacts")), "contacts")
	c.do(get("one contact", "/v1/contacts/"+kimUUID+"?include_field_types=false"))
	c.do(get("contact by phone", "/v1/contacts/phone/+31611112222?include_field_types=true"))
	c.do(get("contact by chat id", "/v1/contacts/phone/4242?channel_uuid="+tg.UUID))
	if o := one(c.do(body("update a contact", "PATCH", "/v1/contacts/"+kimUUID, `{"name":"Kim B","tags":[],"custom_fields":{"Plan":null},
		"unassign_user":true,"team_uuid":"","bot_status":"bot_end","note":""}`)), "contact"); o["note"] != nil || o["assignedUser"] != nil || len(o["tags"].([]any)) != 0 {
		t.Errorf("updated contact: %v", o)
	}
	c.do(body("open a conversation", "POST", "/v1/contacts/"+kimUUID+"/conversation/open", ""))
	if o := one(c.do(body("close a conversation", "POST", "/v1/contacts/"+kimUUID+"/conversation/close", `{"closing_reason":"solved"}`)), "contact"); o["closedAt"] == nil {
		t.Errorf("closed contact: %v", o)
	}
	c.do(body("add a note", "POST", "/v1/contacts/"+kimUUID+"/conversation/note", `{"text":"@Alex call her back"}`))
	c.do(body("set the funnel", "PUT", "/v1/contacts/"+kimUUID+"/conversation/update_funnel", `{"funnel_id":"`+funnel.UUID+`"}`))
	if o := one(c.do(body("start the bot", "POST", "/v1/contacts/"+kimUUID+"/bot", `{"status":"bot_start"}`)), "bot"); o["status"] != "started" {
		t.Errorf("bot: %v", o)
	}
	c.do(get("the bot", "/v1/contacts/"+kimUUID+"/bot"))
	sender, err := f.db.ContactByAddress(ctx, ch.ID, "31612345678")
	if err != nil {
		t.Fatal(err)
	}
	if l := list(c.do(get("a contact's messages", "/v1/contacts/"+sender.UUID+"/messages?page=1&items=100")), "messages"); len(l) < 2 {
		t.Errorf("messages: %v", l)
	}
	c.do(get("a note in the messages", "/v1/contacts/"+kimUUID+"/messages"))
	bsuid := one(c.do(send("send to a BSUID", `{"bsuid":"US.1349","from":"whatsapp","type":"text","content":{"text":"hi"},"fields":"contact"}`, auth)), "message")
	if ct, _ := bsuid["contact"].(map[string]any); ct == nil || ct["bsuid"] != "US.1349" {
		t.Errorf("send answer's contact: %v", bsuid)
	}
	c.do(get("contact by BSUID", "/v1/contacts/bsuid/US.1349"))
	c.do(body("delete a contact", "DELETE", "/v1/contacts/"+kimUUID, ""))
	for _, tc := range []call{
		fail("deleted contact", "GET", "/v1/contacts/"+kimUUID, "", 404, "not_found", "", true),
		fail("unknown contact", "GET", "/v1/contacts/"+unknown, "", 404, "not_found", "", true),
		fail("unknown phone number", "GET", "/v1/contacts/phone/31612340000", "", 404, "not_found", "", true),
		fail("unknown BSUID", "GET", "/v1/contacts/bsuid/US.0", "", 404, "not_found", "", true),
		fail("update an unknown contact", "PATCH", "/v1/contacts/"+unknown, `{"name":"x"}`, 404, "not_found", "", true),
		fail("delete an unknown contact", "DELETE", "/v1/contacts/"+unknown, "", 404, "not_found", "", true),
		fail("messages of an unknown contact", "GET", "/v1/contacts/"+unknown+"/messages", "", 404, "not_found", "", true),
		fail("bot of an unknown contact", "GET", "/v1/contacts/"+unknown+"/bot", "", 404, "not_found", "", true),
		fail("set the bot of an unknown contact", "POST", "/v1/contacts/"+unknown+"/bot", `{"status":"bot_end"}`, 404, "not_found", "", true),
		fail("open an unknown conversation", "POST", "/v1/contacts/"+unknown+"/conversation/open", "", 404, "not_found", "", true),
		fail("close an unknown conversation", "POST", "/v1/contacts/"+unknown+"/conversation/close", "", 404, "not_found", "", true),
		fail("note on an unknown contact", "POST", "/v1/contacts/"+unknown+"/conversation/note", `{"text":"x"}`, 404, "not_found", "", true),
		fail("funnel of an unknown contact", "PUT", "/v1/contacts/"+unknown+"/conversation/update_funnel", `{"funnel_id":"`+funnel.UUID+`"}`, 404, "not_found", "", true),

		fail("contacts with an unknown tag", "GET", "/v1/contacts?tags=Gold", "", 422, "invalid_parameter", "tags", true),
		fail("contacts with include_field_types maybe", "GET", "/v1/contacts?include_field_types=maybe", "", 422, "invalid_parameter", "include_field_types", false),
		fail("contact with include_field_types maybe", "GET", "/v1/contacts/"+sender.UUID+"?include_field_types=maybe", "", 422, "invalid_parameter", "include_field_types", false),
		fail("contact by an invalid number", "GET", "/v1/contacts/phone/123", "", 422, "invalid_parameter", "number", true),
		fail("contact by BSUID on an unknown channel", "GET", "/v1/contacts/bsuid/US.1349?channel_uuid="+unknown, "", 422, "invalid_parameter", "channel_uuid", true),
		fail("messages with a page not a number", "GET", "/v1/contacts/"+sender.UUID+"/messages?page=x", "", 422, "invalid_parameter", "page", false),
		fail("create a contact without a name", "POST", "/v1/contacts", `{"identifier":"+31611113333","source":"whatsapp"}`, 422, "invalid_parameter", "name", false),
		fail("create a contact with a blank name", "POST", "/v1/contacts", `{"identifier":"+31611113333","source":"whatsapp","name":" "}`, 422, "invalid_parameter", "name", true),
		fail("create a contact that exists", "POST", "/v1/contacts", `{"identifier":"31612345678","source":"whatsapp","name":"A"}`, 422, "already_exists", "identifier", true),
		fail("create a contact with an unknown tag", "POST", "/v1/contacts", `{"identifier":"+31611113333","source":"whatsapp","name":"A","tags":["Gold"]}`, 422, "invalid_parameter", "tags", true),
		fail("create a contact with a bad field value", "POST", "/v1/contacts", `{"identifier":"+31611113333","source":"whatsapp","name":"A","custom_fields":{"Plan":"gold"}}`, 422, "invalid_parameter", "custom_fields.Plan", true),
		fail("create a contact with a long note", "POST", "/v1/contacts", `{"identifier":"+31611113333","source":"whatsapp","name":"A","note":"`+strings.Repeat("n", 1001)+`"}`, 422, "invalid_parameter", "note", false),
		fail("update a contact with an unknown field", "PATCH", "/v1/contacts/"+sender.UUID, `{"custom_fields":{"Size":"L"}}`, 422, "invalid_parameter", "custom_fields.Size", true),
		fail("update a contact with a bad bot status", "PATCH", "/v1/contacts/"+sender.UUID, `{"bot_status":"on"}`, 422, "invalid_parameter", "bot_status", false),
		fail("set a bad bot status", "POST", "/v1/contacts/"+sender.UUID+"/bot", `{"status":"on"}`, 422, "invalid_parameter", "status", false),
		fail("close with a numeric reason", "POST", "/v1/contacts/"+sender.UUID+"/conversation/close", `{"closing_reason":5}`, 422, "invalid_parameter", "closing_reason", false),
		fail("a blank note", "POST", "/v1/contacts/"+sender.UUID+"/conversation/note", `{"text":" "}`, 422, "invalid_parameter", "text", true),
		fail("an unknown funnel", "PUT", "/v1/contacts/"+sender.UUID+"/conversation/update_funnel", `{"funnel_id":"`+unknownDashed+`"}`, 422, "invalid_parameter", "funnel_id", true),
	} {
		c.do(tc)
	}
	for _, op := range []struct{ method, path, field string }{
		{"POST", "/v1/contacts", "name"},
		{"PATCH", "/v1/contacts/" + sender.UUID, "name"},
		{"POST", "/v1/contacts/" + sender.UUID + "/bot", "status"},
		{"POST", "/v1/contacts/" + sender.UUID + "/conversation/open", "x"},
		{"POST", "/v1/contacts/" + sender.UUID + "/conversation/close", "closing_reason"},
		{"POST", "/v1/contacts/" + sender.UUID + "/conversation/note", "text"},
		{"PUT", "/v1/contacts/" + sender.UUID + "/conversation/update_funnel", "funnel_id"},
	} {
		name := op.method + " " + op.path
		c.do(fail(name+" broken JSON", op.method, op.path, `{"`+op.field+`":`, 400, "malformed_json", "", false))
		c.do(fail(name+" over 1 MiB", op.method, op.path, `{"`+op.field+`":"`+huge+`"}`, 413, "payload_too_large", "", false))
	}
	contactOps := []call{
		{method: "GET", path: "/v1/contacts"},
		{method: "POST", path: "/v1/contacts", body: `{"identifier":"+31611113333","source":"whatsapp","name":"A"}`},
		{method: "GET", path: "/v1/contacts/phone/31612345678"},
		{method: "GET", path: "/v1/contacts/bsuid/US.1349"},
		{method: "GET", path: "/v1/contacts/" + sender.UUID},
		{method: "PATCH", path: "/v1/contacts/" + sender.UUID, body: `{"name":"x"}`},
		{method: "DELETE", path: "/v1/contacts/" + unknown},
		{method: "GET", path: "/v1/contacts/" + sender.UUID + "/messages"},
		{method: "GET", path: "/v1/contacts/" + sender.UUID + "/bot"},
		{method: "POST", path: "/v1/contacts/" + sender.UUID + "/bot", body: `{"status":"bot_end"}`},
		{method: "POST", path: "/v1/contacts/" + sender.UUID + "/conversation/open"},
		{method: "POST", path: "/v1/contacts/" + sender.UUID + "/conversation/close"},
		{method: "POST", path: "/v1/contacts/" + sender.UUID + "/conversation/note", body: `{"text":"x"}`},
		{method: "PUT", path: "/v1/contacts/" + sender.UUID + "/conversation/update_funnel", body: `{"funnel_id":"` + funnel.UUID + `"}`},
	}

	// The account's webhook and its delivery log. The fixture's service
	// refuses private targets, so the webhook aims at a public name; its
	// deliveries go to an in-process receiver through the deliverer's
	// transport, and the deliverer is never run: events are attempted only
	// when redelivered.
	const hookURL = "https://hooks.example.com/carillon"
	noEvent := "msg_" + unknown
	for _, tc := range []call{
		get("the delivery log without a webhook", "/v1/webhooks/events"),
		fail("unsubscribe without a webhook", "DELETE", "/v1/webhooks/unsubscribe", "", 404, "not_found", "", true),
		fail("rotate the secret without a webhook", "POST", "/v1/webhooks/rotate_secret", "", 404, "not_found", "", true),
		fail("redeliver without a webhook", "POST", "/v1/webhooks/events/"+noEvent+"/redeliver", "", 404, "not_found", "", true),
	} {
		c.do(tc)
	}
	hook := one(c.do(body("subscribe", "POST", "/v1/webhooks/subscribe",
		`{"url":"`+hookURL+`","subscriptions":["contact_created","contact_updated","contact_created"]}`)), "webhook")
	firstSecret, _ := hook["secret"].(string)
	if !strings.HasPrefix(firstSecret, "whsec_") || hook["url"] != hookURL || hook["enabled"] != true || len(hook["subscriptions"].([]any)) != 2 {
		t.Errorf("subscribe answered %v", hook)
	}
	if o := one(c.do(body("subscribe again", "POST", "/v1/webhooks/subscribe",
		`{"url":"`+hookURL+`","subscriptions":["contact_created","contact_updated"]}`)), "webhook"); o["secret"] != nil {
		t.Errorf("a replaced webhook shows its secret: %v", o)
	}
	for _, tc := range []call{
		fail("subscribe without a url", "POST", "/v1/webhooks/subscribe", `{"subscriptions":["contact_created"]}`, 422, "invalid_parameter", "url", false),
		fail("subscribe to an ftp url", "POST", "/v1/webhooks/subscribe", `{"url":"ftp://example.com/x","subscriptions":["contact_created"]}`, 422, "invalid_parameter", "url", true),
		fail("subscribe to a relative url", "POST", "/v1/webhooks/subscribe", `{"url":"/hooks","subscriptions":["contact_created"]}`, 422, "invalid_parameter", "url", true),
		fail("subscribe to localhost", "POST", "/v1/webhooks/subscribe", `{"url":"http://localhost:8080/hooks","subscriptions":["contact_created"]}`, 422, "invalid_parameter", "url", true),
		fail("subscribe to a loopback address", "POST", "/v1/webhooks/subscribe", `{"url":"http://127.0.0.1/hooks","subscriptions":["contact_created"]}`, 422, "invalid_parameter", "url", true),
		fail("subscribe to the metadata address", "POST", "/v1/webhooks/subscribe", `{"url":"http://169.254.169.254/latest","subscriptions":["contact_created"]}`, 422, "invalid_parameter", "url", true),
		fail("subscribe to a url too long", "POST", "/v1/webhooks/subscribe", `{"url":"https://example.com/`+strings.Repeat("a", 2048)+`","subscriptions":["contact_created"]}`, 422, "invalid_parameter", "url", false),
		fail("subscribe to a url not a string", "POST", "/v1/webhooks/subscribe", `{"url":5,"subscriptions":["contact_created"]}`, 422, "invalid_parameter", "url", false),
		fail("subscribe without subscriptions", "POST", "/v1/webhooks/subscribe", `{"url":"`+hookURL+`"}`, 422, "invalid_parameter", "subscriptions", false),
		fail("subscribe to no event", "POST", "/v1/webhooks/subscribe", `{"url":"`+hookURL+`","subscriptions":[]}`, 422, "invalid_parameter", "subscriptions", false),
		fail("subscribe to an unknown event", "POST", "/v1/webhooks/subscribe", `{"url":"`+hookURL+`","subscriptions":["contact_created","order_paid"]}`, 422, "invalid_parameter", "subscriptions", false),
		fail("subscribe with subscriptions not a list", "POST", "/v1/webhooks/subscribe", `{"url":"`+hookURL+`","subscriptions":"contact_created"}`, 422, "invalid_parameter", "subscriptions", false),
		fail("subscribe with broken JSON", "POST", "/v1/webhooks/subscribe", `{"url":`, 400, "malformed_json", "", false),
		fail("subscribe with a body over 1 MiB", "POST", "/v1/webhooks/subscribe", `{"url":"`+huge+`"}`, 413, "payload_too_large", "", false),
	} {
		c.do(tc)
	}

	// Two events, recorded with the contacts they are about; neither is
	// attempted yet, so the log lists neither.
	c.do(body("create a contact for the webhook", "POST", "/v1/contacts", `{"identifier":"+31611114444","source":"whatsapp","name":"Ana"}`))
	c.do(body("create another contact for the webhook", "POST", "/v1/contacts", `{"identifier":"+31611115555","source":"whatsapp","name":"Bo"}`))
	if l := list(c.do(get("the delivery log before any attempt", "/v1/webhooks/events")), "webhook_events"); len(l) != 0 {
		t.Errorf("events not attempted are listed: %v", l)
	}
	stored, err := f.db.WebhookByAccount(ctx, f.acct.ID)
	if err != nil {
		t.Fatal(err)
	}
	recorded, err := f.svc.Webhooks.ClaimWebhookEvents(ctx, stored, 10, time.Minute)
	if err != nil || len(recorded) != 2 {
		t.Fatalf("recorded events: %v, %v", recorded, err)
	}
	answered, refused := recorded[0].UUID, recorded[1].UUID
	c.do(fail("redeliver on a server that delivers no webhooks", "POST", "/v1/webhooks/events/"+answered+"/redeliver", "", 422, "not_supported", "", true))

	var receiverDown atomic.Bool
	receiverDown.Store(true)
	f.svc.Notifier().ServeRedeliveries(webhook.New(webhook.Options{Service: f.svc.Webhooks, Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		if r.Header.Get("webhook-id") == refused {
			return nil, errors.New("connection refused")
		}
		status, text := http.StatusOK, `{"ok":true}`
		if receiverDown.Load() {
			status, text = http.StatusServiceUnavailable, "try again later"
		}
		return &http.Response{StatusCode: status, Header: http.Header{"Content-Type": {"text/plain"}, "X-Receiver": {"a", "b"}},
			Body: io.NopCloser(strings.NewReader(text)), Request: r}, nil
	})}))
	redeliver := func(name, id string) map[string]any {
		return one(c.do(body(name, "POST", "/v1/webhooks/events/"+id+"/redeliver", "")), "webhook_event")
	}
	if e := redeliver("redeliver to a receiver that answers 503", answered); e["success"] != false || e["nextAttemptAt"] == nil ||
		e["response"].(map[string]any)["code"] != float64(503) || e["event"] != "contact_created" {
		t.Errorf("a failed redelivery answered %v", e)
	}
	if e := redeliver("redeliver to a receiver that refuses connections", refused); e["success"] != false ||
		e["response"].(map[string]any)["code"] != nil || e["response"].(map[string]any)["headers"] != nil {
		t.Errorf("a redelivery with no answer answered %v", e)
	}
	receiverDown.Store(false)
	if e := redeliver("redeliver to a receiver that answers 200", answered); e["success"] != true || e["nextAttemptAt"] != nil || e["attempts"] != float64(2) {
		t.Errorf("a successful redelivery answered %v", e)
	}
	if l := list(c.do(get("the delivery log", "/v1/webhooks/events")), "webhook_events"); len(l) != 2 {
		t.Errorf("delivery log: %v", l)
	}
	if l := list(c.do(get("the delivered events", "/v1/webhooks/events?status=success&subscriptions=contact_created,contact_updated&page=1&items=10")), "webhook_events"); len(l) != 1 ||
		l[0].(map[string]any)["id"] != answered {
		t.Errorf("delivered events: %v", l)
	}
	if l := list(c.do(get("the failed events", "/v1/webhooks/events?status=failed")), "webhook_events"); len(l) != 1 || l[0].(map[string]any)["id"] != refused {
		t.Errorf("failed events: %v", l)
	}
	if l := list(c.do(get("the events of another name", "/v1/webhooks/events?subscriptions=contact_deleted")), "webhook_events"); len(l) != 0 {
		t.Errorf("contact_deleted events: %v", l)
	}
	for _, tc := range []call{
		fail("the delivery log with an unknown status", "GET", "/v1/webhooks/events?status=pending", "", 422, "invalid_parameter", "status", false),
		fail("the delivery log of an unknown event", "GET", "/v1/webhooks/events?subscriptions=contact_created,order_paid", "", 422, "invalid_parameter", "subscriptions", true),
		fail("the delivery log with a page not a number", "GET", "/v1/webhooks/events?page=x", "", 422, "invalid_parameter", "page", false),
		fail("redeliver an unknown event", "POST", "/v1/webhooks/events/"+noEvent+"/redeliver", "", 404, "not_found", "", true),
	} {
		c.do(tc)
	}
	if o := one(c.do(body("rotate the secret", "POST", "/v1/webhooks/rotate_secret", "")), "webhook"); o["secret"] == firstSecret || !strings.HasPrefix(o["secret"].(string), "whsec_") {
		t.Errorf("rotate answered %v", o)
	}
	c.do(body("unsubscribe", "DELETE", "/v1/webhooks/unsubscribe", ""))
	for _, tc := range []call{
		fail("unsubscribe again", "DELETE", "/v1/webhooks/unsubscribe", "", 404, "not_found", "", true),
		fail("rotate the secret after unsubscribing", "POST", "/v1/webhooks/rotate_secret", "", 404, "not_found", "", true),
		fail("redeliver an event of a deleted webhook", "POST", "/v1/webhooks/events/"+answered+"/redeliver", "", 404, "not_found", "", true),
	} {
		c.do(tc)
	}
	webhookOps := []call{
		{method: "POST", path: "/v1/webhooks/subscribe", body: `{"url":"` + hookURL + `","subscriptions":["contact_created"]}`},
		{method: "DELETE", path: "/v1/webhooks/unsubscribe"},
		{method: "POST", path: "/v1/webhooks/rotate_secret"},
		{method: "GET", path: "/v1/webhooks/events"},
		{method: "POST", path: "/v1/webhooks/events/" + answered + "/redeliver"},
	}

	// Every operation that needs a key: 401 without one or with an unknown
	// one, 429 above the rate limit, 500 when the store fails.
	c.do(call{name: "the limited key's one request", server: f.limited, method: "GET", path: "/v1/auth/me", header: auth, docValid: true, status: 200})
	for _, op := range []call{
		{method: "GET", path: "/v1/auth/me"},
		{method: "POST", path: "/v1/messages/send", body: textBody},
		{method: "GET", path: "/v1/messages/status/" + uuid},
		{method: "DELETE", path: "/v1/messages/" + uuid},
		{method: "DELETE", path: "/v1/messages", body: `{"uuid":"` + uuid + `"}`},
		{method: "POST", path: "/v1/sandbox/inbound", body: `{"from":"+31612345678","text":"hi"}`},
		{method: "GET", path: "/v1/channels"},
		{method: "GET", path: "/v1/channels/" + ch.UUID},
		{method: "PATCH", path: "/v1/channels/" + ch.UUID, body: `{"title":"x"}`},
		{method: "GET", path: "/v1/teams"},
		{method: "GET", path: "/v1/teams/" + sales.UUID},
		{method: "PATCH", path: "/v1/teams/" + sales.UUID, body: `{"name":"x"}`},
		{method: "GET", path: "/v1/teams/" + sales.UUID + "/members"},
		{method: "GET", path: "/v1/templates"},
		{method: "GET", path: "/v1/templates/" + tmpl.UUID},
		{method: "PATCH", path: "/v1/templates/" + tmpl.UUID, body: `{"title":"x"}`},
		{method: "GET", path: "/v1/funnels"},
		{method: "GET", path: "/v1/custom_statuses"},
		{method: "POST", path: "/v1/custom_statuses", body: `{"name":"x"}`},
		{method: "GET", path: "/v1/custom_statuses/" + unknownDashed},
		{method: "PUT", path: "/v1/custom_statuses/" + unknownDashed, body: `{"name":"x"}`},
		{method: "DELETE", path: "/v1/custom_statuses/" + unknownDashed},
		{method: "GET", path: "/v1/plan"},
		{method: "PUT", path: "/v1/users/" + agent.UUID + "/status", body: `{"available":true}`},
		{method: "DELETE", path: "/v1/users/" + agent.UUID + "/status"},
	} {
		name := op.method + " " + op.path
		tc := op
		tc.name, tc.status, tc.code = name+" without a key", 401, "unauthorized"
		c.do(tc)
		tc.name, tc.header, tc.docValid = name+" with an unknown key", map[string]string{"Authorization": "Bearer crln_0000"}, true
		c.do(tc)
		tc.name, tc.server, tc.header, tc.status, tc.code = name+" above the rate limit", f.limited, auth, 429, "rate_limited"
		if a := c.do(tc); a.header.Get("Retry-After") != "1" {
			t.Errorf("%s: Retry-After %q, want 1", tc.name, a.header.Get("Retry-After"))
		}
		tc.name, tc.server, tc.status, tc.code = name+" with a failing store", f.broken, 500, "internal"
		c.do(tc)
	}
	for _, op := range slices.Concat(contactOps, webhookOps) {
		name := op.method + " " + op.path
		tc := op
		tc.name, tc.status, tc.code = name+" without a key", 401, "unauthorized"
		c.do(tc)
		tc.name, tc.header, tc.docValid = name+" with an unknown key", map[string]string{"Authorization": "Bearer crln_0000"}, true
		c.do(tc)
		tc.name, tc.server, tc.header, tc.status, tc.code = name+" above the rate limit", f.limited, auth, 429, "rate_limited"
		c.do(tc)
		tc.name, tc.server, tc.status, tc.code = name+" with a failing store", f.broken, 500, "internal"
		c.do(tc)
	}
	c.do(call{name: "readyz with a failing store", server: f.broken, method: "GET", path: "/readyz", docValid: true, status: 503})

	// A query value that is not valid text answers 422 naming it on every
	// operation, also those that read no query parameter: it is checked
	// once, before any handler.
	dashed := "00000000-0000-0000-0000-000000000000"
	for _, op := range []struct{ method, path string }{
		{"GET", "/v1/messages/status/" + unknown}, {"DELETE", "/v1/messages/" + unknown}, {"GET", "/v1/auth/me"},
		{"GET", "/v1/channels/" + unknown}, {"GET", "/v1/teams/" + unknown}, {"GET", "/v1/templates/" + unknown},
		{"GET", "/v1/custom_statuses/" + dashed}, {"DELETE", "/v1/custom_statuses/" + dashed}, {"DELETE", "/v1/users/" + unknown + "/status"},
		{"DELETE", "/v1/contacts/" + unknown}, {"GET", "/v1/contacts/" + unknown + "/bot"}, {"POST", "/v1/contacts/" + unknown + "/conversation/open"},
		{"GET", "/v1/plan"}, {"DELETE", "/v1/webhooks/unsubscribe"}, {"POST", "/v1/webhooks/rotate_secret"},
	} {
		c.do(call{name: op.method + " " + op.path + " with a query value that is not UTF-8", method: op.method, path: op.path + "?ref=%ff",
			header: auth, docValid: true, status: 422, code: "invalid_parameter", field: "ref"})
	}

	c.checkCoverage()
}

// roundTripFunc answers a webhook delivery in process.
type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
