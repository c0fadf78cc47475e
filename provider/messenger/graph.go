package messenger

import (
	"bytes"
	"context"
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

// graphAnswer is an HTTP answer of the Graph API, its body read.
type graphAnswer struct {
	Status int
	Header http.Header
	Body   []byte
}

// call makes one Graph API request with the channel's bearer token and
// reads the answer. A transport failure names the request by host and path
// only: queries and the token stay out of errors.
func (p *Provider) call(ctx context.Context, ch carillon.Channel, method, rawURL string, body any) (graphAnswer, error) {
	var reader io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return graphAnswer{}, fmt.Errorf("%s: encoding the request: %w", p.net.Label, err)
		}
		reader = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, rawURL, reader)
	if err != nil {
		return graphAnswer{}, fmt.Errorf("%s: %s %s: %v", p.net.Label, method, describeURL(rawURL), unwrapURLError(err))
	}
	req.Header.Set("Authorization", "Bearer "+ch.Settings[p.net.TokenSetting])
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := p.client.Do(req)
	if err != nil {
		return graphAnswer{}, &transportError{label: p.net.Label, op: method + " " + describeURL(rawURL), err: unwrapURLError(err)}
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswerSize))
	if err != nil {
		return graphAnswer{}, &transportError{label: p.net.Label, op: "reading the answer to " + method + " " + describeURL(rawURL), err: err}
	}
	return graphAnswer{Status: resp.StatusCode, Header: resp.Header, Body: raw}, nil
}

// transportError is a request that got no complete answer.
type transportError struct {
	label, op string
	err       error
}

func (e *transportError) Error() string { return e.label + ": " + e.op + ": " + e.err.Error() }
func (e *transportError) Unwrap() error { return e.err }

func isTransport(err error) bool {
	var te *transportError
	return errors.As(err, &te)
}

func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// describeURL is a URL fit for a log line or an error: scheme, host, path.
func describeURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable URL)"
	}
	return u.Scheme + "://" + u.Host + u.EscapedPath()
}

// graphError is the Graph API's error object.
type graphError struct {
	Message        string          `json:"message"`
	Type           string          `json:"type"`
	Code           int             `json:"code"`
	ErrorSubcode   int             `json:"error_subcode,omitempty"`
	ErrorData      json.RawMessage `json:"error_data,omitempty"`
	ErrorUserTitle string          `json:"error_user_title,omitempty"`
	FBTraceID      string          `json:"fbtrace_id,omitempty"`
}

func parseGraphError(body []byte) (graphError, bool) {
	var env struct {
		Error *graphError `json:"error"`
	}
	if err := json.Unmarshal(body, &env); err != nil || env.Error == nil || (env.Error.Code == 0 && env.Error.Message == "") {
		return graphError{}, false
	}
	return *env.Error, true
}

var codePrefix = regexp.MustCompile(`^\(#[0-9]+\)\s*`)

func (g graphError) title() string {
	if t := codePrefix.ReplaceAllString(g.Message, ""); t != "" {
		return t
	}
	if g.ErrorUserTitle != "" {
		return g.ErrorUserTitle
	}
	return "Unknown error"
}

// describeError is an error for the calls other than sends: the Graph
// error's code and title, or the HTTP status.
func (p *Provider) describeError(what string, a graphAnswer) error {
	if g, ok := parseGraphError(a.Body); ok {
		return fmt.Errorf("%s: %s: Graph error %d: %s", p.net.Label, what, g.Code, g.title())
	}
	return fmt.Errorf("%s: %s: HTTP %d %s", p.net.Label, what, a.Status, http.StatusText(a.Status))
}

// transientCodes are the Graph error codes of the Send API worth retrying,
// with what they hold back: rate limits hold the whole page or account
// back, the others only the message.
var transientCodes = map[int]carillon.ErrorScope{
	1:     carillon.ScopeRecipient, // An unknown error occurred (API Unknown)
	2:     carillon.ScopeChannel,   // Service temporarily unavailable
	4:     carillon.ScopeChannel,   // Application request limit reached
	17:    carillon.ScopeChannel,   // User request limit reached
	32:    carillon.ScopeChannel,   // Page request limit reached
	341:   carillon.ScopeChannel,   // Application limit reached
	613:   carillon.ScopeChannel,   // Calls to this API have exceeded the rate limit
	1200:  carillon.ScopeRecipient, // Temporary send message failure
	80002: carillon.ScopeChannel,   // Instagram platform rate limit
	80006: carillon.ScopeChannel,   // Messenger platform rate limit
}

// permanentCodes are refused for good whatever the HTTP status says.
var permanentCodes = map[int]bool{
	3: true, 10: true, 100: true, 190: true, 230: true, 368: true, 551: true, 2018001: true, 2018108: true, 2022: true,
}

// classify turns a refused send into a SendError: Meta's throttling codes,
// unknown 429s and 5xx are retried; a closed window (10 with subcode
// 2018278), an unavailable person (551), an invalid recipient, a refused
// token and any other 4xx fail the message.
func classify(a graphAnswer, now time.Time) *carillon.SendError {
	g, ok := parseGraphError(a.Body)
	se := &carillon.SendError{}
	if ok {
		se.Code = strconv.Itoa(g.Code)
		se.Title = g.title()
		se.Payload = errorsPayload(g.Code, g.ErrorSubcode, se.Title, g.Message, g.ErrorData)
	} else {
		se.Code = "http_" + strconv.Itoa(a.Status)
		se.Title = fmt.Sprintf("HTTP %d %s", a.Status, http.StatusText(a.Status))
		se.Payload = errorsPayload(a.Status, 0, se.Title, snippet(a.Body), nil)
	}
	scope, transient := transientCodes[g.Code]
	switch {
	case ok && transient:
		se.Scope = scope
	case ok && (permanentCodes[g.Code] || (g.Code >= 200 && g.Code <= 299)):
		se.Permanent = true
	case a.Status == http.StatusTooManyRequests:
		se.Scope = carillon.ScopeChannel
	case a.Status >= 500:
	default:
		se.Permanent = true
	}
	if !se.Permanent {
		se.RetryAfter = retryAfter(a.Header, now)
	}
	return se
}

// errorsPayload is the status payload of a failed message, in the shape
// the WhatsApp provider uses: {"errors":[{"code","title","message",…}]},
// with Meta's error_subcode when it gave one.
func errorsPayload(code, subcode int, title, message string, errorData json.RawMessage) json.RawMessage {
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

func snippet(body []byte) string {
	const max = 256
	s := strings.ToValidUTF8(string(body), "")
	if len(s) > max {
		s = strings.ToValidUTF8(s[:max], "") + "…"
	}
	return strings.TrimSpace(s)
}

func retryAfter(h http.Header, now time.Time) time.Duration {
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

// ReadProfile reads a customer's name, GET /{api_version}/{scoped id}
// ?fields=…: Messenger's first_name and last_name, Instagram's name, else
// its username. Meta answers only for a person who wrote to the page or
// account, and may withhold fields; "" then.
func (p *Provider) ReadProfile(ctx context.Context, ch carillon.Channel, address string) (string, error) {
	if !IsGraphID(address) || len(p.net.ProfileFields) == 0 {
		return "", nil
	}
	fields := append([]string(nil), p.net.ProfileFields...)
	if p.net.ProfileFallback != "" {
		fields = append(fields, p.net.ProfileFallback)
	}
	a, err := p.call(ctx, ch, http.MethodGet, p.graphURL(ch, address)+"?"+url.Values{"fields": {strings.Join(fields, ",")}}.Encode(), nil)
	if err != nil {
		return "", err
	}
	if a.Status != http.StatusOK {
		return "", p.describeError("reading a profile", a)
	}
	var profile map[string]any
	if err := json.Unmarshal(a.Body, &profile); err != nil {
		return "", fmt.Errorf("%s: reading a profile: the answer is not a profile", p.net.Label)
	}
	str := func(k string) string { v, _ := profile[k].(string); return strings.TrimSpace(v) }
	var parts []string
	for _, f := range p.net.ProfileFields {
		if v := str(f); v != "" {
			parts = append(parts, v)
		}
	}
	if len(parts) == 0 && p.net.ProfileFallback != "" {
		return str(p.net.ProfileFallback), nil
	}
	return strings.Join(parts, " "), nil
}

// CheckCredentials is the check made when a channel is declared
// (ReadAddress's call): Meta's refusal of the id or token (190, 100…)
// refuses the declaration; a Graph API that cannot be reached does not.
func (p *Provider) CheckCredentials(ctx context.Context, ch carillon.Channel) error {
	_, err := p.ReadAddress(ctx, ch)
	if isTransport(err) {
		p.log.Warn(p.net.Label+" credentials not checked: the Graph API did not answer", "error", err)
		return nil
	}
	return err
}

// ReadAddress is the check made when a channel is declared: one Graph call,
// GET /{api_version}/{id}?fields=id, that proves the token works for the
// page or account. It returns the id, the channel's own address.
func (p *Provider) ReadAddress(ctx context.Context, ch carillon.Channel) (string, error) {
	id := ch.Settings[p.net.IDSetting]
	if !IsGraphID(id) {
		return "", fmt.Errorf("%s: setting %s is not a numeric id", p.net.Label, p.net.IDSetting)
	}
	a, err := p.call(ctx, ch, http.MethodGet, p.graphURL(ch, id)+"?"+url.Values{"fields": {"id"}}.Encode(), nil)
	if err != nil {
		return "", err
	}
	if a.Status != http.StatusOK {
		return "", p.describeError("checking "+p.net.IDSetting+" and "+p.net.TokenSetting, a)
	}
	var answer struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(a.Body, &answer); err != nil || answer.ID == "" {
		return "", fmt.Errorf("%s: checking %s: the answer names no id", p.net.Label, p.net.IDSetting)
	}
	return id, nil
}
