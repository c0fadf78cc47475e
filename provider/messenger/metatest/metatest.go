// Package metatest is a fake of the parts of Meta's Graph API that the
// Messenger and Instagram providers call, for tests: a loopback HTTP
// server that takes Send API calls (POST /{version}/{id}/messages),
// answers the check of a page or account (GET /{version}/{id}), serves
// attachment files, records every request and answers scripted errors on
// demand; plus helpers that build Meta's documented webhook payloads and
// post them signed, the way Meta does.
//
// Point a channel at it with base_url = Server.URL and the token setting
// = Server.AccessToken().
package metatest

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
)

// DefaultAccessToken is the bearer token a new Server expects.
const DefaultAccessToken = "metatest-access-token"

// Request is a request the server received.
type Request struct {
	Method string
	Path   string
	Query  url.Values
	Header http.Header
	Body   []byte
}

// Answer is a scripted answer.
type Answer struct {
	Status int // default 200
	Header http.Header
	Body   string
}

// GraphError is an answer carrying the Graph API's error envelope, as the
// Send API writes it: message "(#code) title", an error_subcode when given.
func GraphError(httpStatus, code, subcode int, title string) Answer {
	e := map[string]any{"message": fmt.Sprintf("(#%d) %s", code, title), "type": "OAuthException", "code": code, "fbtrace_id": "AfakeTraceID"}
	if subcode != 0 {
		e["error_subcode"] = subcode
	}
	body, _ := json.Marshal(map[string]any{"error": e})
	return Answer{Status: httpStatus, Header: http.Header{"Content-Type": {"application/json"}}, Body: string(body)}
}

// Throttled is the Messenger platform's rate limit (80006), which pauses a
// channel.
func Throttled() Answer {
	return GraphError(http.StatusBadRequest, 80006, 0, "There have been too many messages sent to this user. Please wait a while before sending more.")
}

// OutsideWindow is Meta's refusal of a message sent outside the allowed
// window (10, subcode 2018278).
func OutsideWindow() Answer {
	return GraphError(http.StatusBadRequest, 10, 2018278, "This message is sent outside of allowed window.")
}

// Server is the fake Graph API.
type Server struct {
	*httptest.Server
	mu       sync.Mutex
	token    string
	requests []Request
	sent     []map[string]any
	scripts  map[string][]Answer
	media    map[string]media
	profiles map[string]map[string]any
	next     int
}

type media struct {
	contentType string
	data        []byte
}

// New starts a fake Graph API on loopback, closed when t ends.
func New(t testing.TB) *Server {
	s := &Server{token: DefaultAccessToken, scripts: map[string][]Answer{}, media: map[string]media{}, profiles: map[string]map[string]any{}}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

// AccessToken is the bearer token the server takes.
func (s *Server) AccessToken() string { return s.token }

// Script queues answers for the next requests whose path ends with suffix
// ("/messages", "/media/x"), before the server's own behaviour.
func (s *Server) Script(suffix string, answers ...Answer) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.scripts[suffix] = append(s.scripts[suffix], answers...)
}

// AddMedia serves a file at /media/{name} and returns its URL, as an
// attachment's payload.url.
func (s *Server) AddMedia(name, contentType string, data []byte) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.media[name] = media{contentType: contentType, data: data}
	return s.URL + "/media/" + name + "?oh=signature&oe=expiry"
}

// SetProfile makes GET /{version}/{id} answer the profile's fields
// (first_name and last_name on Messenger, name and username on Instagram)
// for a customer's scoped id.
func (s *Server) SetProfile(id string, fields map[string]any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.profiles[id] = fields
}

// Requests returns the requests received so far.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// Messages returns the bodies of the Send API calls it accepted, in order.
func (s *Server) Messages() []map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]map[string]any(nil), s.sent...)
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	s.mu.Lock()
	s.requests = append(s.requests, Request{Method: r.Method, Path: r.URL.Path, Query: r.URL.Query(), Header: r.Header.Clone(), Body: body})
	for suffix, answers := range s.scripts {
		if strings.HasSuffix(r.URL.Path, suffix) && len(answers) > 0 {
			a := answers[0]
			s.scripts[suffix] = answers[1:]
			s.mu.Unlock()
			write(w, a)
			return
		}
	}
	s.mu.Unlock()

	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	if len(parts) == 2 && parts[0] == "media" {
		s.mu.Lock()
		m, ok := s.media[parts[1]]
		s.mu.Unlock()
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", m.contentType)
		w.Write(m.data)
		return
	}
	if r.Header.Get("Authorization") != "Bearer "+s.token {
		write(w, GraphError(http.StatusUnauthorized, 190, 0, "Invalid OAuth access token - Cannot parse access token"))
		return
	}
	switch {
	case r.Method == http.MethodGet && len(parts) == 2:
		answer := map[string]any{"id": parts[1]}
		s.mu.Lock()
		for k, v := range s.profiles[parts[1]] {
			answer[k] = v
		}
		s.mu.Unlock()
		write(w, jsonAnswer(answer))
	case r.Method == http.MethodPost && len(parts) == 3 && parts[2] == "messages":
		var m map[string]any
		if err := json.Unmarshal(body, &m); err != nil {
			write(w, GraphError(http.StatusBadRequest, 100, 0, "Invalid parameter"))
			return
		}
		rcpt, _ := m["recipient"].(map[string]any)
		id, _ := rcpt["id"].(string)
		if id == "" {
			write(w, GraphError(http.StatusBadRequest, 100, 2018001, "No matching user found"))
			return
		}
		s.mu.Lock()
		s.sent = append(s.sent, m)
		s.next++
		mid := fmt.Sprintf("m_fake%06d", s.next)
		s.mu.Unlock()
		write(w, jsonAnswer(map[string]any{"recipient_id": id, "message_id": mid}))
	default:
		write(w, GraphError(http.StatusBadRequest, 100, 0, "Unsupported request"))
	}
}

func jsonAnswer(v any) Answer {
	b, _ := json.Marshal(v)
	return Answer{Header: http.Header{"Content-Type": {"application/json"}}, Body: string(b)}
}

func write(w http.ResponseWriter, a Answer) {
	for k, v := range a.Header {
		w.Header()[k] = v
	}
	if a.Status == 0 {
		a.Status = http.StatusOK
	}
	w.WriteHeader(a.Status)
	io.WriteString(w, a.Body)
}

// Sign is the X-Hub-Signature-256 of body for appSecret.
func Sign(appSecret string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(appSecret))
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// Verify makes Meta's verification handshake against a callback URL.
func Verify(ctx context.Context, callback, verifyToken, challenge string) (*http.Response, error) {
	q := url.Values{"hub.mode": {"subscribe"}, "hub.verify_token": {verifyToken}, "hub.challenge": {challenge}}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, callback+"?"+q.Encode(), nil)
	if err != nil {
		return nil, err
	}
	return http.DefaultClient.Do(req)
}

// Post posts body to a callback URL, signed with appSecret.
func Post(ctx context.Context, callback, appSecret string, body []byte) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, callback, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Hub-Signature-256", Sign(appSecret, body))
	return http.DefaultClient.Do(req)
}

// Webhook is a messaging webhook of object ("page" for Messenger,
// "instagram") for the page or account id, carrying events.
func Webhook(object, id string, events ...map[string]any) []byte {
	b, _ := json.Marshal(map[string]any{"object": object, "entry": []any{
		map[string]any{"id": id, "time": 1767225600000, "messaging": events},
	}})
	return b
}

// Text is a customer's text message event, from the scoped user id from
// to the page or account id to.
func Text(from, to, mid, text string, timestamp int64) map[string]any {
	return map[string]any{"sender": map[string]any{"id": from}, "recipient": map[string]any{"id": to}, "timestamp": timestamp,
		"message": map[string]any{"mid": mid, "text": text}}
}

// Attachment is a customer's message with one attachment of type typ
// (image, video, audio, file) at url.
func Attachment(from, to, mid, typ, url string, timestamp int64) map[string]any {
	return map[string]any{"sender": map[string]any{"id": from}, "recipient": map[string]any{"id": to}, "timestamp": timestamp,
		"message": map[string]any{"mid": mid, "attachments": []any{map[string]any{"type": typ, "payload": map[string]any{"url": url}}}}}
}

// Deleted is Instagram's event of a message the customer from unsent
// (is_deleted).
func Deleted(from, to, mid string, timestamp int64) map[string]any {
	return map[string]any{"sender": map[string]any{"id": from}, "recipient": map[string]any{"id": to}, "timestamp": timestamp,
		"message": map[string]any{"mid": mid, "is_deleted": true}}
}

// Echo is the echo of a message the page sent to the customer to, with the
// metadata the send carried ("" for none).
func Echo(page, to, mid, text, metadata string, timestamp int64) map[string]any {
	m := map[string]any{"is_echo": true, "app_id": 1517776481860111, "mid": mid, "text": text}
	if metadata != "" {
		m["metadata"] = metadata
	}
	return map[string]any{"sender": map[string]any{"id": page}, "recipient": map[string]any{"id": to}, "timestamp": timestamp, "message": m}
}

// Delivery is Messenger's message_deliveries event: mids (may be empty)
// and the watermark, Unix milliseconds.
func Delivery(from, page string, mids []string, watermark int64) map[string]any {
	return map[string]any{"sender": map[string]any{"id": from}, "recipient": map[string]any{"id": page},
		"delivery": map[string]any{"mids": mids, "watermark": watermark}}
}

// Read is Messenger's message_reads event, with its watermark.
func Read(from, page string, watermark, timestamp int64) map[string]any {
	return map[string]any{"sender": map[string]any{"id": from}, "recipient": map[string]any{"id": page}, "timestamp": timestamp,
		"read": map[string]any{"watermark": watermark}}
}

// Seen is Instagram's messaging_seen event: the last message read.
func Seen(from, account, mid string, timestamp int64) map[string]any {
	return map[string]any{"sender": map[string]any{"id": from}, "recipient": map[string]any{"id": account}, "timestamp": timestamp,
		"read": map[string]any{"mid": mid}}
}
