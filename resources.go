package carillon

import (
	"context"
	"math"
	"time"
)

// The account resources that Callbell's dashboard makes and its API relies
// on: users and their availability, team membership, tags, custom fields,
// templates, funnels and custom statuses.

// UserStatus is a user's availability and custom status, as PUT
// /users/:uuid/status sets them.
type UserStatus struct {
	Available      bool
	AvailabilityAt time.Time
	CustomStatusID int64 // 0: none
	CustomStatusAt time.Time
}

// Tag is a label of contacts. Names compare case-insensitively.
type Tag struct {
	ID        int64
	AccountID int64
	Name      string
	CreatedAt time.Time
}

// FieldType is the type of a custom field, which decides how its values are
// checked.
type FieldType string

// The custom field types.
const (
	FieldText     FieldType = "text"
	FieldEmail    FieldType = "email"
	FieldNumber   FieldType = "number"
	FieldDate     FieldType = "date"
	FieldDropdown FieldType = "dropdown"
	FieldCheckbox FieldType = "checkbox"
)

// CustomField defines a field that contacts of the account may have a value
// for. Options are the choices of dropdown and checkbox fields.
type CustomField struct {
	ID        int64
	AccountID int64
	Name      string
	Type      FieldType
	Options   []string
	CreatedAt time.Time
	UpdatedAt time.Time
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

// Funnel is a stage of the account's sales funnel; a contact's conversation
// may stand at one. Its UUID is dashed, as Callbell writes it.
type Funnel struct {
	ID        int64
	UUID      string
	AccountID int64
	Name      string
	Emoji     string
	Position  int
	CreatedAt time.Time
}

// CustomStatus is a status a user may show (Lunch, In a meeting…). Its UUID
// is dashed, as Callbell writes it.
type CustomStatus struct {
	ID        int64
	UUID      string
	AccountID int64
	Name      string
	Emoji     string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// ContactFilter selects contacts in lists. Zero fields select everything.
type ContactFilter struct {
	// ChannelType keeps the contacts of channels of that type (source).
	ChannelType ChannelType
	// TagIDs keeps the contacts that have every one of the tags.
	TagIDs []int64
	TeamID int64
}

// Page selects a page of a list: Number is 1-based, Size at most 100.
type Page struct {
	Number int
	Size   int
}

// Offset is the number of rows before the page. It never overflows: a page
// so far that its offset would not fit in an int gives math.MaxInt, past
// the end of any list; a page below 1 gives 0.
func (p Page) Offset() int {
	if p.Number <= 1 || p.Size <= 0 {
		return 0
	}
	if p.Number-1 > math.MaxInt/p.Size {
		return math.MaxInt
	}
	return (p.Number - 1) * p.Size
}

// ResourceQueries are the store's reads and writes of account resources; a
// Store's Queries include them. Lookups return ErrNotFound, unique
// violations ErrConflict, as everywhere.
type ResourceQueries interface {
	UpdateUser(ctx context.Context, u *User) error
	UserByUUID(ctx context.Context, accountID int64, uuid string) (User, error)
	ListUsers(ctx context.Context, accountID int64) ([]User, error)
	UserStatus(ctx context.Context, accountID, userID int64) (UserStatus, error)
	SetUserStatus(ctx context.Context, accountID, userID int64, s UserStatus) error

	UpdateTeam(ctx context.Context, t *Team) error
	TeamByID(ctx context.Context, accountID, id int64) (Team, error)
	TeamByUUID(ctx context.Context, accountID int64, uuid string) (Team, error)
	TeamByName(ctx context.Context, accountID int64, name string) (Team, error)
	// TeamMembers lists a team's users, by email.
	TeamMembers(ctx context.Context, teamID int64) ([]User, error)
	// CountTeamMembers counts the members of each of the account's teams.
	CountTeamMembers(ctx context.Context, accountID int64) (map[int64]int, error)
	AddTeamMember(ctx context.Context, teamID, userID int64, at time.Time) error
	// RemoveTeamMember returns ErrNotFound when the user was no member.
	RemoveTeamMember(ctx context.Context, teamID, userID int64) error

	CreateTag(ctx context.Context, t *Tag) error
	// TagByName finds a tag whatever the case of name.
	TagByName(ctx context.Context, accountID int64, name string) (Tag, error)
	ListTags(ctx context.Context, accountID int64) ([]Tag, error)
	// SetContactTags makes the contact's tags exactly tagIDs.
	SetContactTags(ctx context.Context, contactID int64, tagIDs []int64) error
	// ContactTags returns the names of the contacts' tags, by contact id,
	// sorted by name.
	ContactTags(ctx context.Context, contactIDs []int64) (map[int64][]string, error)

	CreateCustomField(ctx context.Context, f *CustomField) error
	UpdateCustomField(ctx context.Context, f *CustomField) error
	CustomFieldByName(ctx context.Context, accountID int64, name string) (CustomField, error)
	ListCustomFields(ctx context.Context, accountID int64) ([]CustomField, error)
	// SetContactFieldValue sets (or, with "", removes) a contact's value.
	SetContactFieldValue(ctx context.Context, contactID, fieldID int64, value string) error
	// ContactFieldValues returns the contacts' values, by contact id then
	// field id.
	ContactFieldValues(ctx context.Context, contactIDs []int64) (map[int64]map[int64]string, error)

	CreateTemplate(ctx context.Context, t *Template) error
	UpdateTemplate(ctx context.Context, t *Template) error
	TemplateByUUID(ctx context.Context, accountID int64, uuid string) (Template, error)
	// TemplateByKey finds a channel's template by title and language.
	TemplateByKey(ctx context.Context, channelID int64, title, language string) (Template, error)
	ListTemplates(ctx context.Context, accountID int64, page Page) ([]Template, int, error)

	CreateFunnel(ctx context.Context, f *Funnel) error
	UpdateFunnel(ctx context.Context, f *Funnel) error
	FunnelByUUID(ctx context.Context, accountID int64, uuid string) (Funnel, error)
	FunnelByName(ctx context.Context, accountID int64, name string) (Funnel, error)
	// ListFunnels lists the account's funnel stages by position.
	ListFunnels(ctx context.Context, accountID int64) ([]Funnel, error)

	CreateCustomStatus(ctx context.Context, s *CustomStatus) error
	UpdateCustomStatus(ctx context.Context, s *CustomStatus) error
	// DeleteCustomStatus also unassigns it from every user.
	DeleteCustomStatus(ctx context.Context, accountID, id int64) error
	CustomStatusByID(ctx context.Context, accountID, id int64) (CustomStatus, error)
	CustomStatusByUUID(ctx context.Context, accountID int64, uuid string) (CustomStatus, error)
	CustomStatusByName(ctx context.Context, accountID int64, name string) (CustomStatus, error)
	ListCustomStatuses(ctx context.Context, accountID int64) ([]CustomStatus, error)

	// ListContacts lists the account's contacts, newest first, and counts
	// all that match.
	ListContacts(ctx context.Context, accountID int64, f ContactFilter, page Page) ([]Contact, int, error)
	// DeleteContact deletes the contact with its messages, their status
	// history, its tags and its field values.
	DeleteContact(ctx context.Context, accountID, id int64) error
	// ContactMessages lists a contact's messages, newest first, and counts
	// them all.
	ContactMessages(ctx context.Context, accountID, contactID int64, page Page) ([]Message, int, error)
}
