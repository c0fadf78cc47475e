package carillon

import (
	"context"
	"regexp"
	"strconv"
	"time"
)

// The rules of templates' values: what a send of a template must give.

// The kinds of template button.
const (
	ButtonQuickReply  = "quick_reply"
	ButtonURL         = "url"
	ButtonPhoneNumber = "phone_number"
	ButtonCopyCode    = "copy_code"
	// ButtonOTP is the one-time password button of an authentication
	// template (OTPType copy_code, one_tap or zero_tap).
	ButtonOTP = "otp"
)

// TemplateButton is a button of a template, as WhatsApp defines them.
type TemplateButton struct {
	Type string `json:"type"`
	Text string `json:"text,omitempty"`
	// URL is the address of a url button; a placeholder ({{1}}) at its end
	// makes it dynamic: each send gives the rest of the address.
	URL         string `json:"url,omitempty"`
	PhoneNumber string `json:"phone_number,omitempty"`
	// OTPType is how an otp button hands the code over: copy_code,
	// one_tap or zero_tap.
	OTPType string `json:"otp_type,omitempty"`
}

// TakesValue reports whether a send must give the button a value: the rest
// of a dynamic URL, the code to copy, the one-time password.
func (b TemplateButton) TakesValue() bool {
	switch b.Type {
	case ButtonCopyCode, ButtonOTP:
		return true
	case ButtonURL:
		return placeholder.MatchString(b.URL)
	}
	return false
}

// Label names the button's kind for people: "copy code", "URL"…
func (b TemplateButton) Label() string {
	switch b.Type {
	case ButtonURL:
		return "URL"
	case ButtonCopyCode:
		return "copy code"
	case ButtonPhoneNumber:
		return "phone number"
	case ButtonQuickReply:
		return "quick reply"
	case ButtonOTP:
		switch b.OTPType {
		case "one_tap":
			return "one-tap autofill"
		case "zero_tap":
			return "zero-tap"
		}
		return "copy code"
	}
	return b.Type
}

// placeholder matches a template's {{N}}.
var placeholder = regexp.MustCompile(`\{\{\s*([0-9]+)\s*\}\}`)

// BodyPlaceholders returns the highest N of the {{N}} placeholders of the
// template's text (templates are checked when made: numbered from 1
// without a gap), 0 when it has none.
func (t Template) BodyPlaceholders() int {
	n := 0
	for _, m := range placeholder.FindAllStringSubmatch(t.Text, -1) {
		if k, err := strconv.Atoi(m[1]); err == nil && k > n {
			n = k
		}
	}
	return n
}

// ValueCount is how many values a send of the template takes: one per
// placeholder of its text, then one per button that takes a value.
func (t Template) ValueCount() int {
	n := t.BodyPlaceholders()
	for _, b := range t.Buttons {
		if b.TakesValue() {
			n++
		}
	}
	return n
}

// Template is a message template of a channel: the only messages WhatsApp
// lets a business send outside the 24-hour window.
type Template struct {
	ID        int64
	UUID      string
	AccountID int64
	ChannelID int64
	Title     string
	Text      string // with placeholders {{1}}, {{2}}…
	Type      string // text, image, video, document
	Category  string // MARKETING, UTILITY, AUTHENTICATION
	Status    string // approved, pending, rejected, paused, disabled, deleted…
	Language  string
	// Buttons are the template's buttons, in the order the recipient sees
	// them; those that take a value when sent (TemplateButton.TakesValue)
	// are filled after the body's placeholders.
	Buttons []TemplateButton
	// ExternalID is the provider's id of the template, when synced.
	ExternalID string
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// TemplateQueries keep the channels' message templates.
type TemplateQueries interface {
	CreateTemplate(ctx context.Context, t *Template) error
	// UpdateTemplate writes every field but the template's identity and
	// its channel.
	UpdateTemplate(ctx context.Context, t *Template) error
	TemplateByUUID(ctx context.Context, accountID int64, uuid string) (Template, error)
	// TemplateByKey finds a channel's template by title and language.
	TemplateByKey(ctx context.Context, channelID int64, title, language string) (Template, error)
	ListTemplates(ctx context.Context, accountID int64, page Page) ([]Template, int, error)
}
