package whatsapp

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
	"time"

	"github.com/carillon/carillon"
)

// graphAnswer is an HTTP answer of the Graph API, its body read.
type graphAnswer struct {
	Status int
	Header http.Header
	Body   []byte
}

// call makes one Graph API request with the channel's bearer token and reads
// the answer. body, when not nil, is sent as JSON. A transport failure comes
// back as an error whose text names the request by host and path only: the
// URL's query (media URLs carry signatures) and the token stay out of it.
func (p *Provider) call(ctx context.Context, ch carillon.Channel, method, rawURL string, body any) (graphAnswer, error) {
	var reader io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return graphAnswer{}, fmt.Errorf("whatsapp: encoding the request: %w", err)
		}
		reader = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, rawURL, reader)
	if err != nil {
		return graphAnswer{}, fmt.Errorf("whatsapp: %s %s: %v", method, describeURL(rawURL), unwrapURLError(err))
	}
	req.Header.Set("Authorization", "Bearer "+ch.Settings[SettingAccessToken])
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := p.client.Do(req)
	if err != nil {
		return graphAnswer{}, &transportError{op: method + " " + describeURL(rawURL), err: unwrapURLError(err)}
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswerSize))
	if err != nil {
		return graphAnswer{}, &transportError{op: "reading the answer to " + method + " " + describeURL(rawURL), err: err}
	}
	return graphAnswer{Status: resp.StatusCode, Header: resp.Header, Body: raw}, nil
}

// transportError is a request that got no complete answer.
type transportError struct {
	op  string
	err error
}

func (e *transportError) Error() string { return "whatsapp: " + e.op + ": " + e.err.Error() }
func (e *transportError) Unwrap() error { return e.err }

// unwrapURLError drops the *url.Error wrapper, whose text repeats the whole
// URL.
func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// describeURL is a URL fit for a log line or an error: scheme, host and path.
func describeURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable URL)"
	}
	return u.Scheme + "://" + u.Host + u.EscapedPath()
}

// graphError is the Graph API's error object:
// {"error":{"message","type","code","error_subcode","error_data":{"details"},"fbtrace_id"}}.
type graphError struct {
	Message        string          `json:"message"`
	Type           string          `json:"type"`
	Code           int             `json:"code"`
	ErrorSubcode   int             `json:"error_subcode,omitempty"`
	ErrorData      json.RawMessage `json:"error_data,omitempty"`
	ErrorUserTitle string          `json:"error_user_title,omitempty"`
	FBTraceID      string          `json:"fbtrace_id,omitempty"`
}

// parseGraphError reads the error of a Graph API answer; ok is false when the
// body is not Graph's error envelope (a proxy's HTML page, say).
func parseGraphError(body []byte) (graphError, bool) {
	var env struct {
		Error *graphError `json:"error"`
	}
	if err := json.Unmarshal(body, &env); err != nil || env.Error == nil || (env.Error.Code == 0 && env.Error.Message == "") {
		return graphError{}, false
	}
	return *env.Error, true
}

// codePrefix is the "(#131026) " that Graph puts before an error's title.
var codePrefix = regexp.MustCompile(`^\(#[0-9]+\)\s*`)

// title is the error's title: Meta writes it inside message, after the code.
func (g graphError) title() string {
	if t := codePrefix.ReplaceAllString(g.Message, ""); t != "" {
		return t
	}
	if g.ErrorUserTitle != "" {
		return g.ErrorUserTitle
	}
	return "Unknown error"
}

// describeError is an error for the non-send calls (media, templates): the
// Graph error's code and title, or the HTTP status.
func describeError(what string, a graphAnswer) error {
	if g, ok := parseGraphError(a.Body); ok {
		return fmt.Errorf("whatsapp: %s: Graph error %d: %s", what, g.Code, g.title())
	}
	return fmt.Errorf("whatsapp: %s: HTTP %d %s", what, a.Status, http.StatusText(a.Status))
}

// retryAfter reads a Retry-After header: seconds, or an HTTP date.
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
