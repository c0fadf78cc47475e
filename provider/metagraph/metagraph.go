// Package metagraph is what Meta's networks share of the Graph API: the
// default host and version, URLs and their settings, calls,
// errors and webhook signatures. Each provider keeps what differs: its
// label in errors, its token setting, its tables of transient and permanent
// error codes and the shape of its failure payload.
package metagraph

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/carillon/carillon"
)

// DefaultAPIVersion is the Graph API version used when a channel sets no
// api_version; docs/channels/*.md name it too.
const DefaultAPIVersion = "v25.0"

// DefaultBaseURL is Meta's Graph API host.
const DefaultBaseURL = "https://graph.facebook.com"

// apiVersionPattern is what an api_version setting looks like.
var apiVersionPattern = regexp.MustCompile(`^v[0-9]+\.[0-9]+$`)

// CheckURLSettings reports what is wrong with the base_url and api_version
// settings named (a URL that cannot be used, a version that does not look
// like one), label starting each error; the errors name settings, never
// their values.
func CheckURLSettings(label string, settings map[string]string, baseURLSetting, apiVersionSetting string) []error {
	var errs []error
	if raw := settings[baseURLSetting]; raw != "" {
		u, err := url.Parse(raw)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" {
			errs = append(errs, fmt.Errorf("%s: setting %s must be an absolute http(s) URL without a query", label, baseURLSetting))
		}
	}
	if v := settings[apiVersionSetting]; v != "" && !apiVersionPattern.MatchString(v) {
		errs = append(errs, fmt.Errorf("%s: setting %s must look like %s", label, apiVersionSetting, DefaultAPIVersion))
	}
	return errs
}

// URL is the URL of a Graph API path: base (its trailing slashes dropped),
// the version, then the segments, each escaped.
func URL(base, version string, segments ...string) string {
	escaped := make([]string, len(segments))
	for i, s := range segments {
		escaped[i] = url.PathEscape(s)
	}
	return strings.TrimRight(base, "/") + "/" + version + "/" + strings.Join(escaped, "/")
}

// MaxAnswerSize bounds what is read of a Graph API answer: real answers are
// a few kilobytes, and a misbehaving server must not exhaust memory.
const MaxAnswerSize = 1 << 20

// Answer is an HTTP answer of the Graph API, its body read.
type Answer struct {
	Status int
	Header http.Header
	Body   []byte
}

// Call makes one Graph API request with a bearer token and reads the answer.
// body, when not nil, is sent as JSON. label starts every error. A transport
// failure comes back as a *TransportError whose text names the request by
// host and path only: the URL's query (media URLs carry signatures) and the
// token stay out of it.
func Call(ctx context.Context, client *http.Client, label, token, method, rawURL string, body any) (Answer, error) {
	var reader io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return Answer{}, fmt.Errorf("%s: encoding the request: %w", label, err)
		}
		reader = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, rawURL, reader)
	if err != nil {
		return Answer{}, fmt.Errorf("%s: %s %s: %v", label, method, DescribeURL(rawURL), UnwrapURLError(err))
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := client.Do(req)
	if err != nil {
		return Answer{}, &TransportError{Label: label, Op: method + " " + DescribeURL(rawURL), Err: UnwrapURLError(err)}
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, MaxAnswerSize))
	if err != nil {
		return Answer{}, &TransportError{Label: label, Op: "reading the answer to " + method + " " + DescribeURL(rawURL), Err: err}
	}
	return Answer{Status: resp.StatusCode, Header: resp.Header, Body: raw}, nil
}

// TransportError is a request that got no complete answer.
type TransportError struct {
	Label, Op string
	Err       error
}

func (e *TransportError) Error() string { return e.Label + ": " + e.Op + ": " + e.Err.Error() }
func (e *TransportError) Unwrap() error { return e.Err }

// IsTransport reports whether err is a request that got no answer.
func IsTransport(err error) bool {
	var te *TransportError
	return errors.As(err, &te)
}

// UnwrapURLError drops the *url.Error wrapper, whose text repeats the whole
// URL.
func UnwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// DescribeURL is a URL fit for a log line or an error: scheme, host and path.
func DescribeURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable URL)"
	}
	return u.Scheme + "://" + u.Host + u.EscapedPath()
}

// Error is the Graph API's error object:
// {"error":{"message","type","code","error_subcode","error_data":{"details"},"fbtrace_id"}}.
type Error struct {
	Message        string          `json:"message"`
	Type           string          `json:"type"`
	Code           int             `json:"code"`
	ErrorSubcode   int             `json:"error_subcode,omitempty"`
	ErrorData      json.RawMessage `json:"error_data,omitempty"`
	ErrorUserTitle string          `json:"error_user_title,omitempty"`
	FBTraceID      string          `json:"fbtrace_id,omitempty"`
}

// ParseError reads the error of a Graph API answer; ok is false when the
// body is not Graph's error envelope (a proxy's HTML page, say).
func ParseError(body []byte) (Error, bool) {
	var env struct {
		Error *Error `json:"error"`
	}
	if err := json.Unmarshal(body, &env); err != nil || env.Error == nil || (env.Error.Code == 0 && env.Error.Message == "") {
		return Error{}, false
	}
	return *env.Error, true
}

// codePrefix is the "(#131026) " that Graph puts before an error's title.
var codePrefix = regexp.MustCompile(`^\(#[0-9]+\)\s*`)

// Title is the error's title: Meta writes it inside message, after the code.
func (g Error) Title() string {
	if t := codePrefix.ReplaceAllString(g.Message, ""); t != "" {
		return t
	}
	if g.ErrorUserTitle != "" {
		return g.ErrorUserTitle
	}
	return "Unknown error"
}

// DescribeError is an error for the calls other than sends: the Graph
// error's code and title, or the HTTP status.
func DescribeError(label, what string, a Answer) error {
	if g, ok := ParseError(a.Body); ok {
		return fmt.Errorf("%s: %s: Graph error %d: %s", label, what, g.Code, g.Title())
	}
	return fmt.Errorf("%s: %s: HTTP %d %s", label, what, a.Status, http.StatusText(a.Status))
}

// Codes are a network's Graph error codes of sends: the transient ones,
// worth retrying, with what they hold back, and those refused for good
// whatever the HTTP status says (Graph answers some permission errors with
// a 500).
type Codes struct {
	Transient map[int]carillon.ErrorScope
	Permanent map[int]bool
	// Subcode puts Meta's error_subcode, when it gave one, in the failure
	// payload.
	Subcode bool
}

// Classify turns a refused send into a SendError: the transient codes,
// unknown 429s and 5xx are retried; the permanent codes, 200–299 (permission
// errors) and any other 4xx fail the message.
func (c Codes) Classify(a Answer, now time.Time) *carillon.SendError {
	g, ok := ParseError(a.Body)
	se := &carillon.SendError{}
	if ok {
		subcode := 0
		if c.Subcode {
			subcode = g.ErrorSubcode
		}
		se.Code = strconv.Itoa(g.Code)
		se.Title = g.Title()
		se.Payload = ErrorsPayload(g.Code, subcode, se.Title, g.Message, g.ErrorData)
	} else {
		se.Code = "http_" + strconv.Itoa(a.Status)
		se.Title = fmt.Sprintf("HTTP %d %s", a.Status, http.StatusText(a.Status))
		se.Payload = ErrorsPayload(a.Status, 0, se.Title, Snippet(a.Body), nil)
	}
	scope, transient := c.Transient[g.Code]
	switch {
	case ok && transient:
		se.Scope = scope
	case ok && (c.Permanent[g.Code] || (g.Code >= 200 && g.Code <= 299)):
		se.Permanent = true
	case a.Status == http.StatusTooManyRequests:
		// Rate limiting whose code is unknown: the channel is the safe unit.
		se.Scope = carillon.ScopeChannel
	case a.Status >= 500:
		// Meta's side failed; the message itself may be fine.
	default:
		se.Permanent = true
	}
	if !se.Permanent {
		se.RetryAfter = RetryAfter(a.Header, now)
	}
	return se
}

// ErrorsPayload is the status payload of a failed message, in the shape
// WhatsApp's failed statuses use:
// {"errors":[{"code","title","message","error_data"}]}, with error_subcode
// when subcode is not 0.
func ErrorsPayload(code, subcode int, title, message string, errorData json.RawMessage) json.RawMessage {
	e := map[string]any{"code": code, "title": title, "message": message}
	if subcode != 0 {
		e["error_subcode"] = subcode
	}
	if len(errorData) > 0 && json.Valid(errorData) {
		e["error_data"] = errorData
	}
	b, _ := json.Marshal(map[string]any{"errors": []any{e}})
	return b
}

// Snippet is the start of a body that is not Graph's error JSON, kept for
// the status payload.
func Snippet(body []byte) string {
	const max = 256
	s := strings.ToValidUTF8(string(body), "")
	if len(s) > max {
		s = strings.ToValidUTF8(s[:max], "") + "…"
	}
	return strings.TrimSpace(s)
}

// RetryAfter reads a Retry-After header: seconds, or an HTTP date.
func RetryAfter(h http.Header, now time.Time) time.Duration {
	v := h.Get("Retry-After")
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(v); err == nil {
		if s < 0 {
			return 0
		}
		return time.Duration(s) * time.Second
	}
	if at, err := http.ParseTime(v); err == nil && at.After(now) {
		return at.Sub(now).Round(time.Second)
	}
	return 0
}

// SignatureHeader carries Meta's signature of a callback body:
// "sha256=" + hex HMAC-SHA256 of the raw body keyed with the app secret.
const SignatureHeader = "X-Hub-Signature-256"

// Sign returns the X-Hub-Signature-256 value of body for appSecret, as Meta
// computes it.
func Sign(appSecret string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(appSecret))
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// Handshake answers the GET Meta makes when the callback URL is saved in
// its console: the challenge, echoed, proves that we know verifyToken.
func Handshake(verifyToken string, cb carillon.Callback) (carillon.CallbackResult, error) {
	got := cb.Query.Get("hub.verify_token")
	if cb.Query.Get("hub.mode") != "subscribe" {
		return carillon.CallbackResult{}, &carillon.CallbackError{Status: http.StatusForbidden, Reason: "hub.mode is not subscribe"}
	}
	if verifyToken == "" || subtle.ConstantTimeCompare([]byte(got), []byte(verifyToken)) != 1 {
		return carillon.CallbackResult{}, &carillon.CallbackError{Status: http.StatusForbidden, Reason: "hub.verify_token does not match the channel's verify token"}
	}
	return carillon.CallbackResult{Reply: &carillon.CallbackReply{
		Status: http.StatusOK, ContentType: "text/plain; charset=utf-8", Body: []byte(cb.Query.Get("hub.challenge")),
	}}, nil
}

// CheckSignature authenticates a POST with the app secret before anything
// of its body is read.
func CheckSignature(appSecret string, cb carillon.Callback) *carillon.CallbackError {
	if appSecret == "" {
		return &carillon.CallbackError{Status: http.StatusForbidden, Reason: "the channel has no app_secret to check signatures with"}
	}
	header := cb.Header.Get(SignatureHeader)
	if header == "" {
		return &carillon.CallbackError{Status: http.StatusForbidden, Reason: "missing " + SignatureHeader}
	}
	hexSig, ok := strings.CutPrefix(header, "sha256=")
	got, err := hex.DecodeString(hexSig)
	if !ok || err != nil {
		return &carillon.CallbackError{Status: http.StatusForbidden, Reason: SignatureHeader + " is not sha256=<hex>"}
	}
	mac := hmac.New(sha256.New, []byte(appSecret))
	mac.Write(cb.Body)
	if !hmac.Equal(got, mac.Sum(nil)) {
		return &carillon.CallbackError{Status: http.StatusForbidden, Reason: "wrong " + SignatureHeader}
	}
	return nil
}
