package carillon

import (
	"context"
	"time"
)

// The account resources that Callbell's dashboard makes and its API relies
// on: users' availability, tags, custom fields, funnels and custom
// statuses, each with the store's queries beside it.

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

// TagQueries keep the account's tags. A contact's tags are the contact's
// (ContactQueries).
type TagQueries interface {
	CreateTag(ctx context.Context, t *Tag) error
	// TagByName finds a tag whatever the case of name.
	TagByName(ctx context.Context, accountID int64, name string) (Tag, error)
	// ListTags lists a page of the account's tags, oldest first, and
	// counts them all.
	ListTags(ctx context.Context, accountID int64, page Page) ([]Tag, int, error)
	// LockTags locks the account's tags of those ids until the
	// transaction ends, in id order, and returns the ids of those found
	// (in id order): shared to give them to a contact, exclusive
	// (forDelete) to delete one. A unit of work that deletes a tag or
	// changes a contact's tags locks the tags first, before the contacts
	// and their links to tags, so that the two never wait for each other
	// in turn; a tag deleted meanwhile is not found.
	LockTags(ctx context.Context, accountID int64, ids []int64, forDelete bool) ([]int64, error)
	// DeleteTag deletes the tag and takes it off every contact that has
	// it; it answers how many contacts had it.
	DeleteTag(ctx context.Context, accountID, id int64) (int, error)
}

// CustomFieldQueries keep the account's custom fields. A contact's values
// are the contact's (ContactQueries).
type CustomFieldQueries interface {
	CreateCustomField(ctx context.Context, f *CustomField) error
	UpdateCustomField(ctx context.Context, f *CustomField) error
	CustomFieldByName(ctx context.Context, accountID int64, name string) (CustomField, error)
	// ListCustomFields lists a page of the account's custom fields,
	// oldest first, and counts them all.
	ListCustomFields(ctx context.Context, accountID int64, page Page) ([]CustomField, int, error)
	// AllCustomFields reads every custom field of the account, oldest
	// first: a contact's view names the fields of its values.
	AllCustomFields(ctx context.Context, accountID int64) ([]CustomField, error)
}

// FunnelQueries keep the account's funnel stages.
type FunnelQueries interface {
	CreateFunnel(ctx context.Context, f *Funnel) error
	UpdateFunnel(ctx context.Context, f *Funnel) error
	FunnelByUUID(ctx context.Context, accountID int64, uuid string) (Funnel, error)
	FunnelByName(ctx context.Context, accountID int64, name string) (Funnel, error)
	// ListFunnels lists a page of the account's funnel stages, by position
	// (then oldest first), and counts them all.
	ListFunnels(ctx context.Context, accountID int64, page Page) ([]Funnel, int, error)
}

// CustomStatusQueries keep the account's custom statuses.
type CustomStatusQueries interface {
	CreateCustomStatus(ctx context.Context, s *CustomStatus) error
	UpdateCustomStatus(ctx context.Context, s *CustomStatus) error
	// DeleteCustomStatus also unassigns it from every user.
	DeleteCustomStatus(ctx context.Context, accountID, id int64) error
	CustomStatusByID(ctx context.Context, accountID, id int64) (CustomStatus, error)
	CustomStatusByUUID(ctx context.Context, accountID int64, uuid string) (CustomStatus, error)
	CustomStatusByName(ctx context.Context, accountID int64, name string) (CustomStatus, error)
	// ListCustomStatuses lists a page of the account's custom statuses,
	// oldest first, and counts them all.
	ListCustomStatuses(ctx context.Context, accountID int64, page Page) ([]CustomStatus, int, error)
}
