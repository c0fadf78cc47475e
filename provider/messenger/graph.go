package messenger

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/carillon/carillon"
	"github.com/carillon/carillon/provider/metagraph"
)

// call makes one Graph API request with the channel's bearer token and
// reads the answer (metagraph.Call).
func (p *Provider) call(ctx context.Context, ch carillon.Channel, method, rawURL string, body any) (metagraph.Answer, error) {
	return metagraph.Call(ctx, p.client, p.net.Label, ch.Settings[p.net.TokenSetting], method, rawURL, body)
}

// describeError is an error for the calls other than sends: the Graph
// error's code and title, or the HTTP status.
func (p *Provider) describeError(what string, a metagraph.Answer) error {
	return metagraph.DescribeError(p.net.Label, what, a)
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
// token and any other 4xx fail the message. The failure payload carries
// Meta's error_subcode when it gave one.
func classify(a metagraph.Answer, now time.Time) *carillon.SendError {
	return metagraph.Codes{Transient: transientCodes, Permanent: permanentCodes, Subcode: true}.Classify(a, now)
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
	if metagraph.IsTransport(err) {
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
