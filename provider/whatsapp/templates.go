package whatsapp

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/carillon/carillon"
)

// ErrNoBusinessAccount is returned by FetchTemplates for a channel whose
// business_account_id setting is unset: templates belong to the WhatsApp
// Business Account, not to the number.
var ErrNoBusinessAccount = fmt.Errorf("whatsapp: the channel has no business_account_id setting, which template sync needs (WhatsApp → API Setup in Meta's console): %w", carillon.ErrNotConfigured)

// templatePages bounds the pages followed: 100 templates a page, and a WABA
// has at most a few thousand. It stops a server whose paging never ends.
const templatePages = 100

// templateFields are the template fields asked for.
const templateFields = "name,status,category,language,components"

// FetchTemplates lists the message templates of the channel's WhatsApp
// Business Account, every page of them.
func (p *Provider) FetchTemplates(ctx context.Context, ch carillon.Channel) ([]carillon.Template, error) {
	waba := ch.Settings[SettingBusinessAccountID]
	if waba == "" {
		return nil, ErrNoBusinessAccount
	}
	if !isGraphID(waba) {
		return nil, fmt.Errorf("whatsapp: setting %s is not a numeric id", SettingBusinessAccountID)
	}
	var templates []carillon.Template
	after := ""
	for page := 0; ; page++ {
		if page == templatePages {
			return nil, fmt.Errorf("whatsapp: message_templates: more than %d pages", templatePages)
		}
		q := url.Values{"fields": {templateFields}, "limit": {"100"}}
		if after != "" {
			q.Set("after", after)
		}
		a, err := p.call(ctx, ch, http.MethodGet, graphURL(ch, waba, "message_templates")+"?"+q.Encode(), nil)
		if err != nil {
			return nil, err
		}
		if a.Status != http.StatusOK {
			return nil, describeError("message_templates", a)
		}
		var answer struct {
			Data   []waTemplate `json:"data"`
			Paging struct {
				Cursors struct {
					After string `json:"after"`
				} `json:"cursors"`
				Next string `json:"next"`
			} `json:"paging"`
		}
		if err := json.Unmarshal(a.Body, &answer); err != nil {
			return nil, fmt.Errorf("whatsapp: message_templates: the answer is not JSON: %v", err)
		}
		for _, t := range answer.Data {
			templates = append(templates, t.template(ch))
		}
		// Graph sends "next" only while there are more pages; the cursor is
		// then used against the channel's own base URL, so the token never
		// goes to a host that an answer names.
		if answer.Paging.Next == "" || answer.Paging.Cursors.After == "" || answer.Paging.Cursors.After == after {
			break
		}
		after = answer.Paging.Cursors.After
	}
	p.log.Info("whatsapp templates fetched", "channel", ch.ID, "count", len(templates))
	return templates, nil
}

// waTemplate is a message template as the Business Management API lists it.
type waTemplate struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	Status     string `json:"status"`
	Category   string `json:"category"`
	Language   string `json:"language"`
	Components []struct {
		Type    string     `json:"type"`
		Format  string     `json:"format"`
		Text    string     `json:"text"`
		Buttons []waButton `json:"buttons"`
	} `json:"components"`
}

// waButton is a button of a template's BUTTONS component.
type waButton struct {
	Type        string `json:"type"` // QUICK_REPLY, URL, PHONE_NUMBER, COPY_CODE, OTP…
	Text        string `json:"text"`
	URL         string `json:"url"`
	PhoneNumber string `json:"phone_number"`
	OTPType     string `json:"otp_type"`
}

// button translates a listed button. A kind carillon does not know (flow,
// catalog…) is kept with its type, so that the others keep their index.
func (b waButton) button() carillon.TemplateButton {
	out := carillon.TemplateButton{Type: strings.ToLower(b.Type), Text: b.Text}
	switch out.Type {
	case carillon.ButtonURL:
		out.URL = b.URL
	case carillon.ButtonPhoneNumber:
		out.PhoneNumber = b.PhoneNumber
	case carillon.ButtonOTP:
		out.OTPType = strings.ToLower(b.OTPType)
		if out.OTPType == "" {
			out.OTPType = "copy_code"
		}
	}
	return out
}

func (t waTemplate) template(ch carillon.Channel) carillon.Template {
	out := carillon.Template{
		AccountID: ch.AccountID, ChannelID: ch.ID, Title: t.Name, Language: t.Language,
		Category: strings.ToUpper(t.Category), Status: strings.ToLower(t.Status), Type: carillon.TypeText, ExternalID: t.ID,
	}
	for _, c := range t.Components {
		switch strings.ToUpper(c.Type) {
		case "BODY":
			out.Text = c.Text
		case "BUTTONS":
			for _, b := range c.Buttons {
				out.Buttons = append(out.Buttons, b.button())
			}
		case "HEADER":
			switch f := strings.ToLower(c.Format); f {
			case carillon.TypeImage, carillon.TypeVideo, carillon.TypeDocument:
				out.Type = f
			}
		}
	}
	return out
}
