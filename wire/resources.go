package wire

import "github.com/carillon/carillon"

// Meta is a list answer's page information.
type Meta struct {
	Page  int `json:"page"`
	Pages int `json:"pages"`
}

// FromTeam converts a team with its member count.
func FromTeam(t carillon.Team, members int) Team {
	return Team{UUID: t.UUID, Name: t.Name, CreatedAt: Time(t.CreatedAt), Default: t.Default, Members: members}
}

// UserCustomStatus is the custom status a team member shows.
type UserCustomStatus struct {
	ID        string  `json:"id"`
	Name      string  `json:"name"`
	Emoji     *string `json:"emoji"`
	UpdatedAt Time    `json:"updatedAt"`
}

// TeamMember is a user of a team as the API shows it. UserCustomStatus is
// absent when the user shows none.
type TeamMember struct {
	Email            string            `json:"email"`
	Name             string            `json:"name"`
	Available        bool              `json:"available"`
	LastUpdatedAt    Time              `json:"lastUpdatedAt"`
	UserCustomStatus *UserCustomStatus `json:"userCustomStatus,omitempty"`
	UUID             string            `json:"uuid"`
}

// FromTeamMember converts a user with its status; cs is the custom status
// it shows, or nil, and at the time it last changed.
func FromTeamMember(u carillon.User, st carillon.UserStatus, cs *carillon.CustomStatus, lastUpdatedAt Time) TeamMember {
	out := TeamMember{Email: u.Email, Name: u.Name, Available: st.Available, LastUpdatedAt: lastUpdatedAt, UUID: u.UUID}
	if cs != nil {
		out.UserCustomStatus = &UserCustomStatus{ID: cs.UUID, Name: cs.Name, Emoji: NullString(cs.Emoji), UpdatedAt: Time(st.CustomStatusAt)}
	}
	return out
}

// Template is a message template as the API shows it.
type Template struct {
	UUID         string `json:"uuid"`
	Title        string `json:"title"`
	Text         string `json:"text"`
	TemplateType string `json:"templateType"`
	Category     string `json:"category"`
	Status       string `json:"status"`
	CreatedAt    Time   `json:"createdAt"`
	// Buttons is a carillon addition: a send gives a value to each button
	// that takes one, after the body's.
	Buttons []TemplateButton `json:"buttons"`
}

// TemplateButton is a button of a template as the API shows it: url,
// phoneNumber and otpType only for the kinds that have them.
type TemplateButton struct {
	Type        string  `json:"type"`
	Text        *string `json:"text"`
	URL         string  `json:"url,omitempty"`
	PhoneNumber string  `json:"phoneNumber,omitempty"`
	OTPType     string  `json:"otpType,omitempty"`
	// TakesValue says whether a send gives the button a value.
	TakesValue bool `json:"takesValue"`
}

// FromTemplate converts a template.
func FromTemplate(t carillon.Template) Template {
	out := Template{UUID: t.UUID, Title: t.Title, Text: t.Text, TemplateType: t.Type, Category: t.Category, Status: t.Status,
		CreatedAt: Time(t.CreatedAt), Buttons: make([]TemplateButton, len(t.Buttons))}
	for i, b := range t.Buttons {
		out.Buttons[i] = TemplateButton{Type: b.Type, Text: NullString(b.Text), URL: b.URL, PhoneNumber: b.PhoneNumber,
			OTPType: b.OTPType, TakesValue: b.TakesValue()}
	}
	return out
}

// Funnel is a funnel stage as the API shows it.
type Funnel struct {
	UUID      string  `json:"uuid"`
	Name      string  `json:"name"`
	Emoji     *string `json:"emoji"`
	Position  int     `json:"position"`
	CreatedAt Time    `json:"createdAt"`
}

// FromFunnel converts a funnel stage.
func FromFunnel(f carillon.Funnel) Funnel {
	return Funnel{UUID: f.UUID, Name: f.Name, Emoji: NullString(f.Emoji), Position: f.Position, CreatedAt: Time(f.CreatedAt)}
}

// CustomStatus is a custom status as the API shows it; its id is a dashed
// UUID.
type CustomStatus struct {
	ID        string  `json:"id"`
	Name      string  `json:"name"`
	Emoji     *string `json:"emoji"`
	CreatedAt Time    `json:"createdAt"`
	UpdatedAt Time    `json:"updatedAt"`
}

// FromCustomStatus converts a custom status.
func FromCustomStatus(s carillon.CustomStatus) CustomStatus {
	return CustomStatus{ID: s.UUID, Name: s.Name, Emoji: NullString(s.Emoji), CreatedAt: Time(s.CreatedAt), UpdatedAt: Time(s.UpdatedAt)}
}

// Plan is the account's plan as GET /v1/plan shows it: a limit is null when
// there is none.
type Plan struct {
	Plan             string `json:"plan"`
	IncludedChannels *int   `json:"includedChannels"`
	Licenses         *int   `json:"licenses"`
	ActiveUsers      int    `json:"activeUsers"`
	Teams            []Team `json:"teams"`
}

// PlanName is the plan every carillon account is on.
const PlanName = "self_hosted"
