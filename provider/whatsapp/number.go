package whatsapp

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"

	"github.com/carillon/carillon"
	"github.com/carillon/carillon/phone"
)

// ReadAddress asks the Graph API for the channel's number,
// GET /<phone_number_id>?fields=display_phone_number, and returns it as
// E.164 digits (Meta writes it "+1 555-078-3881").
func (p *Provider) ReadAddress(ctx context.Context, ch carillon.Channel) (string, error) {
	id := ch.Settings[SettingPhoneNumberID]
	if !isGraphID(id) {
		return "", fmt.Errorf("whatsapp: setting %s is not a numeric id", SettingPhoneNumberID)
	}
	q := url.Values{"fields": {"display_phone_number"}}
	a, err := p.call(ctx, ch, http.MethodGet, graphURL(ch, id)+"?"+q.Encode(), nil)
	if err != nil {
		return "", err
	}
	if a.Status != http.StatusOK {
		return "", describeError("reading the phone number", a)
	}
	var answer struct {
		DisplayPhoneNumber string `json:"display_phone_number"`
	}
	if err := json.Unmarshal(a.Body, &answer); err != nil {
		return "", fmt.Errorf("whatsapp: reading the phone number: the answer is not a phone number object")
	}
	digits := displayNumber(answer.DisplayPhoneNumber)
	if digits == "" {
		return "", fmt.Errorf("whatsapp: reading the phone number: the answer has no display_phone_number")
	}
	return digits, nil
}

// displayNumber reads a display_phone_number as E.164 digits, "" when it is
// not a number's digits.
func displayNumber(raw string) string {
	digits := phone.Clean(raw)
	if !phone.Reported(digits) {
		return ""
	}
	return digits
}

var _ carillon.AddressReader = (*Provider)(nil)
