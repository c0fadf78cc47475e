package providertest

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"testing"

	"github.com/carillon/carillon"
)

// The calls that several providers' outbound cases name, over the domain's
// interfaces: a Subject lists those its provider answers.

// FetchMedia is "fetch_media": args {"id", "mime_type", "url"}, the ones
// the network uses; output {"content_type", "body"}.
func FetchMedia(c CallContext, args json.RawMessage) (any, error) {
	var a struct {
		ID       string `json:"id"`
		MimeType string `json:"mime_type"`
		URL      string `json:"url"`
	}
	if err := json.Unmarshal(args, &a); err != nil {
		return nil, fmt.Errorf("the case's args: %w", err)
	}
	body, contentType, err := c.Provider.(carillon.MediaFetcher).FetchMedia(c.Context, c.Channel,
		carillon.InboundMedia{ID: a.ID, MimeType: a.MimeType, URL: a.URL})
	if err != nil {
		return nil, err
	}
	defer body.Close()
	data, err := io.ReadAll(body)
	return map[string]string{"content_type": contentType, "body": string(data)}, err
}

// ReadAddress is "read_address": no args; output the channel's address.
func ReadAddress(c CallContext, _ json.RawMessage) (any, error) {
	return c.Provider.(carillon.AddressReader).ReadAddress(c.Context, c.Channel)
}

// ReadProfile is "read_profile": args {"address"}; output the profile.
func ReadProfile(c CallContext, args json.RawMessage) (any, error) {
	var a struct {
		Address string `json:"address"`
	}
	if err := json.Unmarshal(args, &a); err != nil {
		return nil, fmt.Errorf("the case's args: %w", err)
	}
	return c.Provider.(carillon.ProfileReader).ReadProfile(c.Context, c.Channel, a.Address)
}

// ParseFuzzed hands a fuzzed callback to p: the decoder must answer what it
// read, or a CallbackError that the HTTP adapter turns into a 4xx. ok is
// false when it refused the callback.
func ParseFuzzed(t *testing.T, p carillon.CallbackParser, ch carillon.Channel, cb carillon.Callback) (res carillon.CallbackResult, ok bool) {
	t.Helper()
	res, err := p.ParseCallback(ch, cb)
	if err != nil {
		var ce *carillon.CallbackError
		if !errors.As(err, &ce) || ce.Status < 400 || ce.Status > 499 {
			t.Fatalf("ParseCallback error %v is not a 4xx CallbackError", err)
		}
		return res, false
	}
	return res, true
}
