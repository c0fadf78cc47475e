// Package whatsapptest is a fake WhatsApp Cloud API (Graph API) for tests:
// a loopback HTTP server that accepts messages, serves media and template
// listings, records every request, and answers scripted errors on demand;
// plus helpers that post signed callbacks to carillon the way Meta does.
//
// Point a channel at it with the settings base_url = Server.URL and
// access_token = Server.AccessToken().
package whatsapptest

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// DefaultAccessToken is the bearer token a new Server expects.
const DefaultAccessToken = "whatsapptest-access-token"

// Request is a request the server received.
type Request struct {
	Method string
	Path   string
	Query  url.Values
	Header http.Header
	Body   []byte
}

// JSON decodes the request's body into a generic value (nil when it is not
// JSON).
func (r Request) JSON() map[string]any {
	var v map[string]any
	_ = json.Unmarshal(r.Body, &v)
	return v
}

// Answer is a scripted answer.
type Answer struct {
	Status int // default 200
	Header http.Header
	Body   string
}

// GraphError is an answer carrying the Graph API's error envelope, as the
// Cloud API writes it: message "(#code) title", error_data.details.
func GraphError(httpStatus, code int, title, details string) Answer {
	body, _ := json.Marshal(map[string]any{"error": map[string]any{
		"message":    fmt.Sprintf("(#%d) %s", code, title),
		"type":       "OAuthException",
		"code":       code,
		"error_data": map[string]any{"messaging_product": "whatsapp", "details": details},
		"fbtrace_id": "AfakeTraceID",
	}})
	return Answer{Status: httpStatus, Header: http.Header{"Content-Type": {"application/json"}}, Body: string(body)}
}

// Throttled is Meta's throughput error (130429), which pauses a channel.
func Throttled() Answer {
	return GraphError(http.StatusBadRequest, 130429, "Rate limit hit",
		"Message failed to send because there were too many messages sent from this phone number in a short period of time")
}

// Template is a message template as the Business Management API lists it.
type Template struct {
	ID         string      `json:"id"`
	Name       string      `json:"name"`
	Status     string      `json:"status"`   // APPROVED, PENDING, REJECTED…
	Category   string      `json:"category"` // MARKETING, UTILITY, AUTHENTICATION
	Language   string      `json:"language"`
	Components []Component `json:"components,omitempty"`
}

// Component is a part of a template.
type Component struct {
	Type    string   `json:"type"`             // HEADER, BODY, FOOTER, BUTTONS
	Format  string   `json:"format,omitempty"` // for HEADER: TEXT, IMAGE, VIDEO, DOCUMENT
	Text    string   `json:"text,omitempty"`
	Buttons []Button `json:"buttons,omitempty"` // for BUTTONS
	// AddSecurityRecommendation and CodeExpirationMinutes are the body's
	// and footer's options of an authentication template.
	AddSecurityRecommendation bool `json:"add_security_recommendation,omitempty"`
	CodeExpirationMinutes     int  `json:"code_expiration_minutes,omitempty"`
}

// Button is a button of a template's BUTTONS component.
type Button struct {
	Type        string   `json:"type"` // QUICK_REPLY, URL, PHONE_NUMBER, COPY_CODE, OTP
	Text        string   `json:"text,omitempty"`
	URL         string   `json:"url,omitempty"`
	PhoneNumber string   `json:"phone_number,omitempty"`
	OTPType     string   `json:"otp_type,omitempty"` // for OTP: COPY_CODE, ONE_TAP, ZERO_TAP
	Example     []string `json:"example,omitempty"`
}

// AuthenticationTemplate is a one-time password template with a copy code
// button, as the Business Management API lists the template of Meta's
// authentication template guide: the code fills the body's {{1}}, and a
// send gives it to the button too.
func AuthenticationTemplate(id, name, language string) Template {
	return Template{ID: id, Name: name, Status: "APPROVED", Category: "AUTHENTICATION", Language: language, Components: []Component{
		{Type: "BODY", Text: "*{{1}}* is your verification code. For your security, do not share this code.", AddSecurityRecommendation: true},
		{Type: "FOOTER", Text: "This code expires in 10 minutes.", CodeExpirationMinutes: 10},
		{Type: "BUTTONS", Buttons: []Button{{Type: "OTP", OTPType: "COPY_CODE", Text: "Copy code"}}},
	}}
}

// URLButtonTemplate is a utility template whose first button opens a
// dynamic URL (a send gives the end of the address) and whose second is a
// quick reply, which takes no value.
func URLButtonTemplate(id, name, language string) Template {
	return Template{ID: id, Name: name, Status: "APPROVED", Category: "UTILITY", Language: language, Components: []Component{
		{Type: "BODY", Text: "Hi {{1}}, your order {{2}} is on its way."},
		{Type: "BUTTONS", Buttons: []Button{
			{Type: "URL", Text: "Track order", URL: "https://www.example.com/track/{{1}}", Example: []string{"https://www.example.com/track/A-1042"}},
			{Type: "QUICK_REPLY", Text: "Stop updates"},
		}},
	}}
}

type media struct {
	contentType string
	data        []byte
}

type script struct {
	match   func(*http.Request) bool
	answers []Answer
}

// Server is the fake Graph API.
type Server struct {
	*httptest.Server

	nonce   string
	counter atomic.Int64

	mu        sync.Mutex
	token     string
	requests  []Request
	sent      []Sent
	scripts   []*script
	media     map[string]media
	templates map[string][]Template
	pageSize  int
	// numbers are the display numbers of phone number ids set with
	// SetDisplayPhoneNumber; any other id that is not a media id reads
	// as a number displayed as FormattedDisplayPhoneNumber.
	numbers map[string]string
}

// New starts a fake Graph API on 127.0.0.1. With t, it is closed when the
// test ends; with nil, the caller closes it.
func New(t testing.TB) *Server {
	nonce := make([]byte, 4)
	_, _ = rand.Read(nonce)
	s := &Server{
		nonce: strings.ToUpper(hex.EncodeToString(nonce)), token: DefaultAccessToken,
		media: map[string]media{}, templates: map[string][]Template{}, pageSize: 100, numbers: map[string]string{},
	}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	if t != nil {
		t.Cleanup(s.Close)
	}
	return s
}

// AccessToken is the bearer token the server expects.
func (s *Server) AccessToken() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.token
}

// Requests returns the requests received so far, in order.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.requests)
}

// Sent is a message send the server accepted: the number it was sent to
// (or the user id, for a send by BSUID) and the id the server gave it.
type Sent struct {
	To, WAMID string
}

// SentMessages returns the message sends accepted so far, in the order
// they were answered: what status callbacks about them name.
func (s *Server) SentMessages() []Sent {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.sent)
}

// Messages returns the bodies of the message sends received so far.
func (s *Server) Messages() []map[string]any {
	var out []map[string]any
	for _, r := range s.Requests() {
		if r.Method == http.MethodPost && strings.HasSuffix(r.Path, "/messages") {
			out = append(out, r.JSON())
		}
	}
	return out
}

// Script queues answers for the requests whose path is path or ends with it
// ("/messages" matches every number's messages endpoint). Each matching
// request takes the next answer; once they are used up, the server answers
// as usual again.
func (s *Server) Script(path string, answers ...Answer) {
	s.ScriptFunc(func(r *http.Request) bool {
		return r.URL.Path == path || strings.HasSuffix(r.URL.Path, path)
	}, answers...)
}

// ScriptFunc queues answers for the requests that match reports.
func (s *Server) ScriptFunc(match func(*http.Request) bool, answers ...Answer) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.scripts = append(s.scripts, &script{match: match, answers: answers})
}

// AddMedia serves a media file: GET /<version>/<id> answers its metadata,
// whose url points back at this server.
func (s *Server) AddMedia(id, contentType string, data []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.media[id] = media{contentType: contentType, data: data}
}

// FormattedDisplayPhoneNumber is DisplayPhoneNumber as the Graph API
// writes a phone number object's display_phone_number.
const FormattedDisplayPhoneNumber = "+1 555-078-3881"

// SetDisplayPhoneNumber sets the display_phone_number that
// GET /<version>/<phoneNumberID>?fields=display_phone_number answers
// (FormattedDisplayPhoneNumber by default).
func (s *Server) SetDisplayPhoneNumber(phoneNumberID, display string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.numbers[phoneNumberID] = display
}

// isPhoneNumber reports whether a GET of /<version>/<id> reads a phone
// number: an id set with SetDisplayPhoneNumber, or any id but a media
// file's when fields are asked for (media metadata is read without).
func (s *Server) isPhoneNumber(id string, r *http.Request) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, isMedia := s.media[id]
	_, isNumber := s.numbers[id]
	return isNumber || !isMedia && r.URL.Query().Has("fields")
}

// servePhoneNumber answers a phone number object with the fields asked for,
// as Graph does (id always).
func (s *Server) servePhoneNumber(w http.ResponseWriter, r *http.Request, id string) {
	s.mu.Lock()
	display, ok := s.numbers[id]
	s.mu.Unlock()
	if !ok {
		display = FormattedDisplayPhoneNumber
	}
	all := map[string]any{
		"display_phone_number": display, "verified_name": "Carillon Test", "quality_rating": "GREEN",
		"code_verification_status": "VERIFIED", "platform_type": "CLOUD_API",
	}
	answer := map[string]any{"id": id}
	for _, f := range strings.Split(r.URL.Query().Get("fields"), ",") {
		if v, ok := all[strings.TrimSpace(f)]; ok {
			answer[strings.TrimSpace(f)] = v
		}
	}
	writeJSON(w, http.StatusOK, answer)
}

// SetTemplates sets the templates that GET /<version>/<wabaID>/message_templates
// lists, paginated like Graph (limit, after, paging.next).
func (s *Server) SetTemplates(wabaID string, templates ...Template) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.templates[wabaID] = templates
}

// SetTemplatePageSize caps the templates a page holds (default 100), to
// exercise pagination with few templates.
func (s *Server) SetTemplatePageSize(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pageSize = max(n, 1)
}

// NextWAMID returns a new unique message id, as the server hands out:
// WAMIDFor a number of no one.
func (s *Server) NextWAMID() string { return s.WAMIDFor("0") }

// WAMIDFor returns a new unique id of a message to or from number, shaped
// as Graph's: "wamid." and the base64 of the number and of the message's
// own id in 18 hexadecimal digits, as in the documented example
// wamid.HBgLMTY1MDUwNzY1MjAVAgARGBI5QTNDQTVCM0Q0Q0Q2RTY3RTcA (16505076520,
// 9A3CA5B3D4CD6E67E7). So one number's ids begin alike, and the ids of
// many numbers are spread as a store indexing them sees real ones.
func (s *Server) WAMIDFor(number string) string {
	own := fmt.Sprintf("%s%010d", s.nonce, s.counter.Add(1)) // 8 + 10 digits
	b := append([]byte{0x1c, 0x18, byte(len(number))}, number...)
	b = append(b, 0x15, 0x02, 0x00, 0x11, 0x18, byte(len(own)))
	b = append(append(b, own...), 0x00)
	return "wamid." + base64.StdEncoding.EncodeToString(b)
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	s.mu.Lock()
	s.requests = append(s.requests, Request{
		Method: r.Method, Path: r.URL.Path, Query: r.URL.Query(), Header: r.Header.Clone(), Body: body,
	})
	token := s.token
	s.mu.Unlock()

	if r.Header.Get("Authorization") != "Bearer "+token {
		writeAnswer(w, GraphError(http.StatusUnauthorized, 190, "Invalid OAuth access token - Cannot parse access token", "The access token is missing or wrong"))
		return
	}
	if a, ok := s.scripted(r); ok {
		writeAnswer(w, a)
		return
	}

	segments := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	switch {
	case r.Method == http.MethodPost && len(segments) == 3 && segments[2] == "messages":
		s.acceptMessage(w, body)
	case r.Method == http.MethodGet && len(segments) == 2 && segments[0] == "media":
		s.serveMediaFile(w, segments[1])
	case r.Method == http.MethodGet && len(segments) == 3 && segments[2] == "message_templates":
		s.listTemplates(w, r, segments[1])
	case r.Method == http.MethodGet && len(segments) == 2 && s.isPhoneNumber(segments[1], r):
		s.servePhoneNumber(w, r, segments[1])
	case r.Method == http.MethodGet && len(segments) == 2:
		s.serveMediaMetadata(w, segments[1])
	default:
		writeAnswer(w, GraphError(http.StatusBadRequest, 100, "Invalid parameter",
			"Unsupported request: "+r.Method+" "+r.URL.Path+" is not served by the fake Graph API"))
	}
}

// scripted takes the next scripted answer for r, if any.
func (s *Server) scripted(r *http.Request) (Answer, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, sc := range s.scripts {
		if len(sc.answers) > 0 && sc.match(r) {
			a := sc.answers[0]
			sc.answers = sc.answers[1:]
			if len(sc.answers) == 0 {
				s.scripts = slices.Delete(s.scripts, i, i+1)
			}
			return a, true
		}
	}
	return Answer{}, false
}

func (s *Server) acceptMessage(w http.ResponseWriter, body []byte) {
	var req struct {
		MessagingProduct string        `json:"messaging_product"`
		To               string        `json:"to"`
		Recipient        string        `json:"recipient"`
		Type             string        `json:"type"`
		Template         *sentTemplate `json:"template"`
	}
	if err := json.Unmarshal(body, &req); err != nil || req.MessagingProduct != "whatsapp" || req.Type == "" || (req.To == "" && req.Recipient == "") {
		writeAnswer(w, GraphError(http.StatusBadRequest, 100, "Invalid parameter",
			"messaging_product must be whatsapp, and type and to (or recipient) are required"))
		return
	}
	if req.Template != nil {
		if problem := s.checkTemplate(*req.Template); problem != "" {
			writeAnswer(w, GraphError(http.StatusBadRequest, 132000, "Number of parameters does not match the expected number of params", problem))
			return
		}
	}
	contact := map[string]any{"input": req.To, "wa_id": req.To}
	sent := Sent{To: req.To}
	if req.To == "" {
		contact = map[string]any{"input": req.Recipient, "user_id": req.Recipient}
		sent.To = req.Recipient
	}
	sent.WAMID = s.WAMIDFor(sent.To)
	s.mu.Lock()
	s.sent = append(s.sent, sent)
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{
		"messaging_product": "whatsapp",
		"contacts":          []any{contact},
		"messages":          []any{map[string]any{"id": sent.WAMID}},
	})
}

// sentTemplate is the template object of a template message.
type sentTemplate struct {
	Name     string `json:"name"`
	Language struct {
		Code string `json:"code"`
	} `json:"language"`
	Components []struct {
		Type       string            `json:"type"`
		SubType    string            `json:"sub_type"`
		Index      string            `json:"index"`
		Parameters []json.RawMessage `json:"parameters"`
	} `json:"components"`
}

// checkTemplate refuses, as Meta does, a send of a listed template whose
// parameters do not match it: one body parameter per placeholder, one
// button component per button that takes a value, at its index and of its
// kind. A template the server does not list is not checked.
func (s *Server) checkTemplate(sent sentTemplate) string {
	s.mu.Lock()
	var tpl *Template
	for _, list := range s.templates {
		for i := range list {
			if list[i].Name == sent.Name && list[i].Language == sent.Language.Code {
				tpl = &list[i]
			}
		}
	}
	s.mu.Unlock()
	if tpl == nil {
		return ""
	}
	bodyParams := 0
	buttons := map[string]string{}
	for _, c := range sent.Components {
		switch c.Type {
		case "body":
			bodyParams = len(c.Parameters)
		case "button":
			if len(c.Parameters) != 1 {
				return fmt.Sprintf("button %s has %d parameters, expected 1", c.Index, len(c.Parameters))
			}
			buttons[c.Index] = c.SubType
		}
	}
	for _, c := range tpl.Components {
		switch c.Type {
		case "BODY":
			if want := strings.Count(c.Text, "{{"); bodyParams != want {
				return fmt.Sprintf("body: number of localizable_params (%d) does not match the expected number of params (%d)", bodyParams, want)
			}
		case "BUTTONS":
			for i, b := range c.Buttons {
				index := strconv.Itoa(i)
				var want string
				switch {
				case b.Type == "OTP", b.Type == "URL" && strings.Contains(b.URL, "{{"):
					want = "url"
				case b.Type == "COPY_CODE":
					want = "copy_code"
				}
				if got := buttons[index]; got != want {
					if want == "" {
						return fmt.Sprintf("buttons: button at index %s takes no parameter", index)
					}
					return fmt.Sprintf("buttons: button at index %s of type %s requires a parameter (sub_type %s)", index, b.Type, want)
				}
				delete(buttons, index)
			}
		}
	}
	for index := range buttons {
		return fmt.Sprintf("buttons: the template has no button at index %s", index)
	}
	return ""
}

func (s *Server) serveMediaMetadata(w http.ResponseWriter, id string) {
	s.mu.Lock()
	m, ok := s.media[id]
	s.mu.Unlock()
	if !ok {
		writeAnswer(w, GraphError(http.StatusBadRequest, 100, "Invalid parameter",
			"Unsupported get request. Object with ID '"+id+"' does not exist"))
		return
	}
	sum := sha256.Sum256(m.data)
	writeJSON(w, http.StatusOK, map[string]any{
		"messaging_product": "whatsapp",
		// Like Meta's lookaside URLs, signed and short-lived (the
		// signature here is decoration).
		"url":       s.URL + "/media/" + url.PathEscape(id) + "?ext=" + strconv.Itoa(len(m.data)) + "&hash=ATfake",
		"mime_type": m.contentType,
		"sha256":    hex.EncodeToString(sum[:]),
		"file_size": strconv.Itoa(len(m.data)),
		"id":        id,
	})
}

func (s *Server) serveMediaFile(w http.ResponseWriter, id string) {
	s.mu.Lock()
	m, ok := s.media[id]
	s.mu.Unlock()
	if !ok {
		http.NotFound(w, nil)
		return
	}
	w.Header().Set("Content-Type", m.contentType)
	w.Header().Set("Content-Length", strconv.Itoa(len(m.data)))
	_, _ = w.Write(m.data)
}

func (s *Server) listTemplates(w http.ResponseWriter, r *http.Request, waba string) {
	s.mu.Lock()
	all, ok := s.templates[waba]
	size := s.pageSize
	s.mu.Unlock()
	if !ok {
		writeAnswer(w, GraphError(http.StatusBadRequest, 100, "Invalid parameter",
			"Unsupported get request. Object with ID '"+waba+"' does not exist"))
		return
	}
	if n, err := strconv.Atoi(r.URL.Query().Get("limit")); err == nil && n > 0 {
		size = min(size, n)
	}
	start := 0
	if after := r.URL.Query().Get("after"); after != "" {
		b, err := base64.RawURLEncoding.DecodeString(after)
		n, err2 := strconv.Atoi(string(b))
		if err != nil || err2 != nil || n < 0 || n > len(all) {
			writeAnswer(w, GraphError(http.StatusBadRequest, 100, "Invalid parameter", "Invalid cursor"))
			return
		}
		start = n
	}
	end := min(start+size, len(all))
	page := all[start:end]
	paging := map[string]any{"cursors": map[string]any{
		"before": base64.RawURLEncoding.EncodeToString([]byte(strconv.Itoa(start))),
		"after":  base64.RawURLEncoding.EncodeToString([]byte(strconv.Itoa(end))),
	}}
	if end < len(all) {
		q := r.URL.Query()
		q.Set("after", base64.RawURLEncoding.EncodeToString([]byte(strconv.Itoa(end))))
		paging["next"] = s.URL + r.URL.Path + "?" + q.Encode()
	}
	if page == nil {
		page = []Template{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": page, "paging": paging})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, _ := json.Marshal(v)
	writeAnswer(w, Answer{Status: status, Header: http.Header{"Content-Type": {"application/json"}}, Body: string(b)})
}

func writeAnswer(w http.ResponseWriter, a Answer) {
	for k, v := range a.Header {
		w.Header()[k] = v
	}
	if w.Header().Get("Content-Type") == "" && json.Valid([]byte(a.Body)) {
		w.Header().Set("Content-Type", "application/json")
	}
	status := a.Status
	if status == 0 {
		status = http.StatusOK
	}
	w.WriteHeader(status)
	_, _ = io.Copy(w, bytes.NewReader([]byte(a.Body)))
}
