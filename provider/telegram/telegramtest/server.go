// Package telegramtest is a fake Telegram Bot API server for tests: it
// listens on 127.0.0.1, answers the methods carillon calls the way Telegram
// does, records every call, and plays Telegram's part in the other
// direction by posting updates to a callback URL.
//
// Point a Telegram channel at it with the settings base_url = s.URL() and
// bot_token = one of its tokens (DefaultToken unless New was given others).
package telegramtest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// DefaultToken is the bot token a server made by New() accepts.
const DefaultToken = "123456789:AAFakeTokenForCarillonTests_0123456789"

// SecretTokenHeader is the header carrying setWebhook's secret_token.
const SecretTokenHeader = "X-Telegram-Bot-Api-Secret-Token"

// Call is one Bot API call the server received.
type Call struct {
	Token  string
	Method string
	// Params are the call's parameters as a JSON object, whether they came
	// as JSON, as a form or in the query string.
	Params json.RawMessage
	At     time.Time
}

// Param returns a parameter of the call as text ("" when absent; numbers
// as written).
func (c Call) Param(name string) string {
	var params map[string]json.RawMessage
	if json.Unmarshal(c.Params, &params) != nil {
		return ""
	}
	raw, ok := params[name]
	if !ok {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	return string(raw)
}

// Answer is a scripted answer to one call.
type Answer struct {
	Status int
	Body   []byte
	// Hangup closes the connection without answering, like a network
	// failure.
	Hangup bool
}

// OK is a successful answer with result.
func OK(result any) Answer {
	b, err := json.Marshal(map[string]any{"ok": true, "result": result})
	if err != nil {
		panic(err)
	}
	return Answer{Status: http.StatusOK, Body: b}
}

// Error is an ok-false answer, as Telegram gives them: the HTTP status is the
// error code.
func Error(code int, description string) Answer {
	b, _ := json.Marshal(map[string]any{"ok": false, "error_code": code, "description": description})
	return Answer{Status: code, Body: b}
}

// TooManyRequests is Telegram's flood-control answer.
func TooManyRequests(retryAfter int) Answer {
	b, _ := json.Marshal(map[string]any{
		"ok": false, "error_code": 429,
		"description": fmt.Sprintf("Too Many Requests: retry after %d", retryAfter),
		"parameters":  map[string]any{"retry_after": retryAfter},
	})
	return Answer{Status: http.StatusTooManyRequests, Body: b}
}

// Hangup is an answer that never comes: the connection is closed.
var Hangup = Answer{Hangup: true}

// file is a file getFile and the file server know.
type file struct {
	path        string
	contentType string
	data        []byte
}

// webhook is what setWebhook set for a bot.
type webhook struct {
	url, secret    string
	allowedUpdates []string
}

// Server is a fake Bot API server. Its methods are safe for concurrent use.
type Server struct {
	srv *httptest.Server

	mu        sync.Mutex
	tokens    map[string]bool
	calls     []Call
	scripts   map[string][]Answer // by lower-case method name
	files     map[string]file     // by file id
	webhooks  map[string]webhook  // by token
	lastHook  webhook
	messageID int64
	updateID  int64
}

// New starts a server that accepts the given bot tokens (DefaultToken when
// none is given). Close it when done.
func New(tokens ...string) *Server {
	if len(tokens) == 0 {
		tokens = []string{DefaultToken}
	}
	s := &Server{
		tokens:   map[string]bool{},
		scripts:  map[string][]Answer{},
		files:    map[string]file{},
		webhooks: map[string]webhook{},
		updateID: 100000,
	}
	for _, t := range tokens {
		s.tokens[t] = true
	}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

// URL is the server's base URL, for a channel's base_url setting.
func (s *Server) URL() string { return s.srv.URL }

// Close shuts the server down.
func (s *Server) Close() { s.srv.Close() }

// Script queues answers for a method (case-insensitive, as the Bot API's
// method names are): the next calls of it get them in order, then the
// default answers again.
func (s *Server) Script(method string, answers ...Answer) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := strings.ToLower(method)
	s.scripts[m] = append(s.scripts[m], answers...)
}

// AddFile makes a file known to getFile (as fileID, at path) and to the
// file server (served with contentType).
func (s *Server) AddFile(fileID, path, contentType string, data []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.files[fileID] = file{path: strings.TrimPrefix(path, "/"), contentType: contentType, data: slices.Clone(data)}
}

// Calls returns every call received so far, in order.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.calls)
}

// CallsTo returns the calls of one method (case-insensitive).
func (s *Server) CallsTo(method string) []Call {
	var out []Call
	for _, c := range s.Calls() {
		if strings.EqualFold(c.Method, method) {
			out = append(out, c)
		}
	}
	return out
}

// Webhook returns the URL and secret token of the latest setWebhook call,
// whichever bot made it.
func (s *Server) Webhook() (url, secret string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lastHook.url, s.lastHook.secret
}

// WebhookOf returns what setWebhook set for one bot.
func (s *Server) WebhookOf(token string) (url, secret string, allowedUpdates []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	w := s.webhooks[token]
	return w.url, w.secret, slices.Clone(w.allowedUpdates)
}

// PostUpdate acts like Telegram delivering an update: it posts update (any
// value, encoded as JSON; []byte and json.RawMessage are sent as they are)
// to callbackURL, with secret in the secret-token header when not empty.
// Only loopback URLs are allowed: a test must not reach anything else.
func (s *Server) PostUpdate(ctx context.Context, callbackURL, secret string, update any) (*http.Response, error) {
	u, err := url.Parse(callbackURL)
	if err != nil {
		return nil, err
	}
	if !isLoopback(u.Hostname()) {
		return nil, fmt.Errorf("telegramtest: refusing to post to %s: not a loopback address", u.Host)
	}
	var body []byte
	switch v := update.(type) {
	case []byte:
		body = v
	case json.RawMessage:
		body = v
	default:
		if body, err = json.Marshal(v); err != nil {
			return nil, err
		}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, callbackURL, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	if secret != "" {
		req.Header.Set(SecretTokenHeader, secret)
	}
	client := &http.Client{Transport: &http.Transport{Proxy: nil}, Timeout: 30 * time.Second}
	return client.Do(req)
}

// TextUpdate builds the Update Telegram sends when a user writes text to
// the bot in a private chat (the chat's id is the user's). Each call takes
// the next update_id and message_id.
func (s *Server) TextUpdate(chatID int64, firstName, text string) map[string]any {
	s.mu.Lock()
	s.updateID++
	s.messageID++
	updateID, messageID := s.updateID, s.messageID
	s.mu.Unlock()
	u := map[string]any{"id": chatID, "is_bot": false, "first_name": firstName}
	return map[string]any{
		"update_id": updateID,
		"message": map[string]any{
			"message_id": messageID,
			"from":       u,
			"chat":       map[string]any{"id": chatID, "first_name": firstName, "type": "private"},
			"date":       time.Now().Unix(),
			"text":       text,
		},
	}
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// serve routes /bot<token>/<method> and /file/bot<token>/<path>.
func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	if rest, ok := strings.CutPrefix(r.URL.Path, "/file/bot"); ok {
		s.serveFile(w, rest)
		return
	}
	rest, ok := strings.CutPrefix(r.URL.Path, "/bot")
	token, method, found := strings.Cut(rest, "/")
	if !ok || !found || method == "" || strings.Contains(method, "/") {
		write(w, Error(http.StatusNotFound, "Not Found"))
		return
	}
	params, err := readParams(r)
	if err != nil {
		write(w, Error(http.StatusBadRequest, "Bad Request: "+err.Error()))
		return
	}

	s.mu.Lock()
	known := s.tokens[token]
	s.calls = append(s.calls, Call{Token: token, Method: method, Params: mustJSON(params), At: time.Now()})
	var a *Answer
	if known {
		if queue := s.scripts[strings.ToLower(method)]; len(queue) > 0 {
			a = &queue[0]
			s.scripts[strings.ToLower(method)] = queue[1:]
		}
	}
	s.mu.Unlock()

	switch {
	case !known:
		write(w, Error(http.StatusUnauthorized, "Unauthorized"))
	case a != nil && a.Hangup:
		hangup(w)
	case a != nil:
		write(w, *a)
	default:
		write(w, s.answer(token, method, params))
	}
}

// answer is the default answer to a call, as Telegram would give it.
func (s *Server) answer(token, method string, params map[string]any) Answer {
	m := strings.ToLower(method)
	switch m {
	case "getme":
		id, _, _ := strings.Cut(token, ":")
		n, _ := strconv.ParseInt(id, 10, 64)
		return OK(map[string]any{"id": n, "is_bot": true, "first_name": "carillon test bot", "username": "carillon_test_bot"})
	case "setwebhook":
		hook := webhook{url: str(params["url"]), secret: str(params["secret_token"])}
		if v, ok := params["allowed_updates"].([]any); ok {
			for _, u := range v {
				hook.allowedUpdates = append(hook.allowedUpdates, str(u))
			}
		}
		s.mu.Lock()
		s.webhooks[token], s.lastHook = hook, hook
		s.mu.Unlock()
		return OK(true)
	case "deletewebhook":
		s.mu.Lock()
		delete(s.webhooks, token)
		s.mu.Unlock()
		return OK(true)
	case "getfile":
		s.mu.Lock()
		f, ok := s.files[str(params["file_id"])]
		s.mu.Unlock()
		if !ok {
			return Error(http.StatusBadRequest, "Bad Request: invalid file_id")
		}
		return OK(map[string]any{"file_id": str(params["file_id"]), "file_unique_id": "u" + str(params["file_id"]),
			"file_size": len(f.data), "file_path": f.path})
	case "sendmessage", "sendphoto", "senddocument", "sendaudio", "sendvideo", "sendvoice", "sendsticker", "sendlocation", "sendcontact":
		return s.sent(m, params)
	}
	return Error(http.StatusNotFound, "Not Found")
}

// sent answers a send method with the Message it made.
func (s *Server) sent(method string, params map[string]any) Answer {
	chatID, ok := chatID(params["chat_id"])
	if !ok {
		return Error(http.StatusBadRequest, "Bad Request: chat_id is empty")
	}
	if method == "sendmessage" && str(params["text"]) == "" {
		return Error(http.StatusBadRequest, "Bad Request: message text is empty")
	}
	s.mu.Lock()
	s.messageID++
	id := s.messageID
	s.mu.Unlock()
	result := map[string]any{
		"message_id": id,
		"from":       map[string]any{"id": 123456789, "is_bot": true, "first_name": "carillon test bot", "username": "carillon_test_bot"},
		"chat":       map[string]any{"id": chatID, "type": "private"},
		"date":       time.Now().Unix(),
	}
	if t := str(params["text"]); t != "" {
		result["text"] = t
	}
	if c := str(params["caption"]); c != "" {
		result["caption"] = c
	}
	return OK(result)
}

// chatID reads chat_id: a number, its text, or a public "@username" (given
// a made-up channel id).
func chatID(v any) (int64, bool) {
	switch v := v.(type) {
	case json.Number:
		n, err := v.Int64()
		return n, err == nil && n != 0
	case string:
		if n, err := strconv.ParseInt(v, 10, 64); err == nil {
			return n, n != 0
		}
		if strings.HasPrefix(v, "@") && len(v) > 1 {
			return -1001000000001, true
		}
	}
	return 0, false
}

func (s *Server) serveFile(w http.ResponseWriter, rest string) {
	token, filePath, _ := strings.Cut(rest, "/")
	s.mu.Lock()
	known := s.tokens[token]
	var found *file
	for _, f := range s.files {
		if f.path == filePath {
			found = &f
			break
		}
	}
	s.mu.Unlock()
	switch {
	case !known:
		write(w, Error(http.StatusUnauthorized, "Unauthorized"))
	case found == nil:
		write(w, Error(http.StatusNotFound, "Not Found"))
	default:
		ct := found.contentType
		if ct == "" {
			ct = "application/octet-stream" // what Telegram's file server says
		}
		w.Header().Set("Content-Type", ct)
		w.Header().Set("Content-Length", strconv.Itoa(len(found.data)))
		w.Write(found.data)
	}
}

// readParams reads a call's parameters from a JSON body, a form, or the
// query string: the Bot API takes all three.
func readParams(r *http.Request) (map[string]any, error) {
	params := map[string]any{}
	for k, v := range r.URL.Query() {
		params[k] = v[0]
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 10<<20))
	if err != nil {
		return nil, err
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return params, nil
	}
	ct := r.Header.Get("Content-Type")
	switch {
	case strings.HasPrefix(ct, "application/json"):
		var fromJSON map[string]any
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.UseNumber() // chat ids need all their 64 bits
		if err := dec.Decode(&fromJSON); err != nil {
			return nil, errors.New("can't parse JSON object")
		}
		for k, v := range fromJSON {
			params[k] = v
		}
	case strings.HasPrefix(ct, "application/x-www-form-urlencoded"):
		form, err := url.ParseQuery(string(body))
		if err != nil {
			return nil, errors.New("can't parse form")
		}
		for k, v := range form {
			params[k] = v[0]
		}
	default:
		return nil, fmt.Errorf("unsupported content type %q", ct)
	}
	return params, nil
}

func write(w http.ResponseWriter, a Answer) {
	w.Header().Set("Content-Type", "application/json")
	status := a.Status
	if status == 0 {
		status = http.StatusOK
	}
	w.WriteHeader(status)
	w.Write(a.Body)
}

func hangup(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic("telegramtest: cannot hijack the connection")
	}
	if conn, _, err := hj.Hijack(); err == nil {
		conn.Close()
	}
}

func str(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case json.Number:
		return v.String()
	case nil:
		return ""
	}
	return fmt.Sprint(v)
}

func mustJSON(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}
