package service

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/carillon/carillon"
)

// The account resources as the API reads and changes them: channels, teams
// and their members, templates, funnels, custom statuses and the plan.

// Resources is the feature service of an account's resources: channels,
// teams and their members, users' statuses, templates, funnels, custom
// statuses, tags and custom fields, the plan, and the declaration file
// (Apply) that sets them all at once.
type Resources struct {
	*core
}

// Page sizes of the list endpoints.
const (
	DefaultPageSize = 25
	MaxPageSize     = 100
)

// Length limits of the names the API sets.
const (
	maxTitle       = 255
	maxStatusName  = 100
	maxStatusEmoji = 32
)

// PageRequest is a list request's page and items parameters, as given.
type PageRequest struct {
	Page  string
	Items string
}

// PageInfo is what a list answers in meta: the page served and how many
// pages there are (at least 1, even for an empty list).
type PageInfo struct {
	Page  int
	Pages int
	// Total is how many entries the whole list has.
	Total int
}

// parsePage reads page and items: absent ones take their defaults, a page
// below 1 reads as 1, items are kept between 1 and MaxPageSize, and a value
// that is not a whole number is refused, naming its parameter. A whole
// number too large for an int reads as the largest one: a page past the
// end of any list, or MaxPageSize items. It is the one reading of every
// list's page; carillon.Page.Offset turns it into rows without overflow.
func parsePage(r PageRequest) (carillon.Page, error) {
	p := carillon.Page{Number: 1, Size: DefaultPageSize}
	if s := strings.TrimSpace(r.Page); s != "" {
		n, err := wholeNumber(s)
		if err != nil {
			return p, carillon.Invalid("page", "page must be a whole number, not %q", r.Page)
		}
		p.Number = max(n, 1)
	}
	if s := strings.TrimSpace(r.Items); s != "" {
		n, err := wholeNumber(s)
		if err != nil {
			return p, carillon.Invalid("items", "items must be a whole number, not %q", r.Items)
		}
		p.Size = min(max(n, 1), MaxPageSize)
	}
	return p, nil
}

// wholeNumber reads a decimal integer; one beyond the range of an int reads
// as the nearest bound.
func wholeNumber(s string) (int, error) {
	n, err := strconv.Atoi(s)
	if errors.Is(err, strconv.ErrRange) {
		return n, nil // Atoi gives the bound it overflowed
	}
	return n, err
}

// pageInfo describes page p of a list of total entries, the total the
// store counted with the page.
func pageInfo(p carillon.Page, total int) PageInfo {
	pages := total / p.Size
	if total%p.Size != 0 {
		pages++ // written so, total+p.Size-1 could overflow
	}
	return PageInfo{Page: p.Number, Pages: max(1, pages), Total: total}
}

// notFound maps a store's ErrNotFound to the API's not_found for kind.
func (s *core) notFound(ctx context.Context, op, kind string, err error) error {
	if errors.Is(err, carillon.ErrNotFound) {
		return carillon.NotFound(kind)
	}
	return s.internal(ctx, op, err)
}

// checkName trims a name the API sets and checks it is not blank and not
// longer than limit characters.
func checkName(field, value string, limit int) (string, error) {
	v := strings.TrimSpace(value)
	if v == "" {
		return "", carillon.Invalid(field, "%s must not be blank", field)
	}
	if n := utf8.RuneCountInString(v); n > limit {
		return "", carillon.Invalid(field, "%s is %d characters long; at most %d are allowed", field, n, limit)
	}
	return v, nil
}

// Channels

// ChannelFilter selects channels in GET /channels: Type a channel type,
// Active "true" or "false"; empty ones select every channel.
type ChannelFilter struct {
	Type   string
	Active string
}

// ListChannels lists the account's channels, oldest first.
func (s *Resources) ListChannels(ctx context.Context, p Principal, f ChannelFilter, pr PageRequest) ([]carillon.Channel, PageInfo, error) {
	if f.Type != "" && !carillon.ValidChannelType(f.Type) {
		return nil, PageInfo{}, carillon.Invalid("type", "type must be one of whatsapp, facebook, instagram, telegram, not %q", f.Type)
	}
	sel := carillon.ChannelFilter{Type: carillon.ChannelType(f.Type)}
	if f.Active != "" {
		if f.Active != "true" && f.Active != "false" {
			return nil, PageInfo{}, carillon.Invalid("active", "active must be true or false, not %q", f.Active)
		}
		active := f.Active == "true"
		sel.Active = &active
	}
	page, err := parsePage(pr)
	if err != nil {
		return nil, PageInfo{}, err
	}
	list, total, err := s.store.ListChannels(ctx, p.Account.ID, sel, page)
	if err != nil {
		return nil, PageInfo{}, s.internal(ctx, "list channels", err)
	}
	return list, pageInfo(page, total), nil
}

// Channel returns one of the account's channels.
func (s *Resources) Channel(ctx context.Context, p Principal, uuid string) (carillon.Channel, error) {
	ch, err := s.store.ChannelByUUID(ctx, p.Account.ID, uuid)
	if err != nil {
		return ch, s.notFound(ctx, "read channel", "channel", err)
	}
	return ch, nil
}

// ChannelUpdate is the body of PATCH /channels/:uuid; nil leaves a field
// as it is.
type ChannelUpdate struct {
	Title *string
}

// UpdateChannel renames a channel. Two channels of an account may not
// share a title (carillon apply and the channel commands find channels by
// title): a title in use by another channel answers already_exists.
func (s *Resources) UpdateChannel(ctx context.Context, p Principal, uuid string, u ChannelUpdate) (carillon.Channel, error) {
	var title string
	if u.Title != nil {
		t, err := checkName("title", *u.Title, maxTitle)
		if err != nil {
			return carillon.Channel{}, err
		}
		title = t
	}
	var out carillon.Channel
	err := s.inTx(ctx, func(q carillon.Queries) error {
		ch, err := q.ChannelByUUID(ctx, p.Account.ID, uuid)
		if err != nil {
			return err
		}
		if u.Title != nil && title != ch.Title {
			others, err := q.AllChannels(ctx, p.Account.ID)
			if err != nil {
				return err
			}
			for _, o := range others {
				if o.ID != ch.ID && o.Title == title {
					return &carillon.Error{Code: carillon.CodeAlreadyExists, Field: "title", Message: "another channel of the account is titled " + strconv.Quote(title)}
				}
			}
			ch.Title, ch.UpdatedAt = title, s.clock.Now()
			if err := q.UpdateChannel(ctx, &ch); err != nil {
				return err
			}
		}
		out = ch
		return nil
	})
	if err != nil {
		return out, s.notFound(ctx, "update channel", "channel", err)
	}
	return out, nil
}

// Teams

// TeamView is a team with its member count, as the API shows it.
type TeamView struct {
	carillon.Team
	Members int
}

// withMembers gives teams of the account their member counts.
func (s *Resources) withMembers(ctx context.Context, accountID int64, ts []carillon.Team) ([]TeamView, error) {
	counts, err := s.store.CountTeamMembers(ctx, accountID)
	if err != nil {
		return nil, s.internal(ctx, "count team members", err)
	}
	out := make([]TeamView, len(ts))
	for i, t := range ts {
		out[i] = TeamView{Team: t, Members: counts[t.ID]}
	}
	return out, nil
}

// ListTeams lists the account's teams, oldest first.
func (s *Resources) ListTeams(ctx context.Context, p Principal, pr PageRequest) ([]TeamView, PageInfo, error) {
	page, err := parsePage(pr)
	if err != nil {
		return nil, PageInfo{}, err
	}
	ts, total, err := s.store.ListTeams(ctx, p.Account.ID, page)
	if err != nil {
		return nil, PageInfo{}, s.internal(ctx, "list teams", err)
	}
	list, err := s.withMembers(ctx, p.Account.ID, ts)
	if err != nil {
		return nil, PageInfo{}, err
	}
	return list, pageInfo(page, total), nil
}

// teamView returns the team with its member count.
func (s *Resources) teamView(ctx context.Context, t carillon.Team) (TeamView, error) {
	views, err := s.withMembers(ctx, t.AccountID, []carillon.Team{t})
	if err != nil {
		return TeamView{}, err
	}
	return views[0], nil
}

// Team returns one of the account's teams.
func (s *Resources) Team(ctx context.Context, p Principal, uuid string) (TeamView, error) {
	t, err := s.store.TeamByUUID(ctx, p.Account.ID, uuid)
	if err != nil {
		return TeamView{}, s.notFound(ctx, "read team", "team", err)
	}
	return s.teamView(ctx, t)
}

// TeamUpdate is the body of PATCH /teams/:uuid; nil leaves a field as it
// is.
type TeamUpdate struct {
	Name *string
}

// UpdateTeam renames a team. Two teams of an account may not share a name:
// a name in use by another team answers already_exists.
func (s *Resources) UpdateTeam(ctx context.Context, p Principal, uuid string, u TeamUpdate) (TeamView, error) {
	var name string
	if u.Name != nil {
		n, err := checkName("name", *u.Name, maxTitle)
		if err != nil {
			return TeamView{}, err
		}
		name = n
	}
	var out carillon.Team
	err := s.inTx(ctx, func(q carillon.Queries) error {
		t, err := q.TeamByUUID(ctx, p.Account.ID, uuid)
		if err != nil {
			return err
		}
		if u.Name != nil && name != t.Name {
			// Another team of that name: t itself is not named so.
			if _, err := q.TeamByName(ctx, p.Account.ID, name); err == nil {
				return &carillon.Error{Code: carillon.CodeAlreadyExists, Field: "name", Message: "another team of the account is named " + strconv.Quote(name)}
			} else if !errors.Is(err, carillon.ErrNotFound) {
				return err
			}
			t.Name = name
			if err := q.UpdateTeam(ctx, &t); err != nil {
				return err
			}
		}
		out = t
		return nil
	})
	if err != nil {
		return TeamView{}, s.notFound(ctx, "update team", "team", err)
	}
	return s.teamView(ctx, out)
}

// Member is a team member as the API shows it: the user, its availability,
// and its custom status (nil when it has none).
type Member struct {
	User         carillon.User
	Status       carillon.UserStatus
	CustomStatus *carillon.CustomStatus
}

// LastUpdatedAt is when the member's availability or custom status last
// changed, or when the user was made if neither ever did.
func (m Member) LastUpdatedAt() time.Time {
	t := m.User.CreatedAt
	for _, at := range []time.Time{m.Status.AvailabilityAt, m.Status.CustomStatusAt} {
		if at.After(t) {
			t = at
		}
	}
	return t
}

// TeamMembers lists a team's members by email; status "available" or
// "away" keeps those that are, or are not, available.
func (s *Resources) TeamMembers(ctx context.Context, p Principal, uuid, status string, pr PageRequest) ([]Member, PageInfo, error) {
	var f carillon.TeamMemberFilter
	if status != "" {
		if status != "available" && status != "away" {
			return nil, PageInfo{}, carillon.Invalid("status", "status must be available or away, not %q", status)
		}
		available := status == "available"
		f.Available = &available
	}
	page, err := parsePage(pr)
	if err != nil {
		return nil, PageInfo{}, err
	}
	t, err := s.store.TeamByUUID(ctx, p.Account.ID, uuid)
	if err != nil {
		return nil, PageInfo{}, s.notFound(ctx, "read team", "team", err)
	}
	users, total, err := s.store.ListTeamMembers(ctx, t.ID, f, page)
	if err != nil {
		return nil, PageInfo{}, s.internal(ctx, "list team members", err)
	}
	list := make([]Member, len(users))
	for i, u := range users {
		m := Member{User: u}
		if m.Status, err = s.store.UserStatus(ctx, p.Account.ID, u.ID); err != nil {
			return nil, PageInfo{}, s.internal(ctx, "read user status", err)
		}
		if m.CustomStatus, err = shownCustomStatus(ctx, s.store, p.Account.ID, m.Status.CustomStatusID); err != nil {
			return nil, PageInfo{}, s.internal(ctx, "read custom status", err)
		}
		list[i] = m
	}
	return list, pageInfo(page, total), nil
}

// Templates

// ListTemplates lists the account's templates, oldest first.
func (s *Resources) ListTemplates(ctx context.Context, p Principal, pr PageRequest) ([]carillon.Template, PageInfo, error) {
	page, err := parsePage(pr)
	if err != nil {
		return nil, PageInfo{}, err
	}
	list, total, err := s.store.ListTemplates(ctx, p.Account.ID, page)
	if err != nil {
		return nil, PageInfo{}, s.internal(ctx, "list templates", err)
	}
	return list, pageInfo(page, total), nil
}

// Template returns one of the account's templates.
func (s *Resources) Template(ctx context.Context, p Principal, uuid string) (carillon.Template, error) {
	if !carillon.ValidText(uuid) {
		return carillon.Template{}, carillon.NotFound("template")
	}
	t, err := s.store.TemplateByUUID(ctx, p.Account.ID, uuid)
	if err != nil {
		return t, s.notFound(ctx, "read template", "template", err)
	}
	return t, nil
}

// TemplateUpdate is the body of PATCH /templates/:uuid; nil leaves a field
// as it is.
type TemplateUpdate struct {
	Title *string
}

// UpdateTemplate renames a template. A channel's templates of one language
// may not share a title: a title in use answers already_exists.
func (s *Resources) UpdateTemplate(ctx context.Context, p Principal, uuid string, u TemplateUpdate) (carillon.Template, error) {
	var title string
	if u.Title != nil {
		t, err := checkName("title", *u.Title, maxTitle)
		if err != nil {
			return carillon.Template{}, err
		}
		title = t
	}
	var out carillon.Template
	err := s.inTx(ctx, func(q carillon.Queries) error {
		t, err := q.TemplateByUUID(ctx, p.Account.ID, uuid)
		if err != nil {
			return err
		}
		if u.Title != nil && title != t.Title {
			t.Title, t.UpdatedAt = title, s.clock.Now()
			if err := q.UpdateTemplate(ctx, &t); errors.Is(err, carillon.ErrConflict) {
				return &carillon.Error{Code: carillon.CodeAlreadyExists, Field: "title",
					Message: "another template of the channel in that language is titled " + strconv.Quote(title)}
			} else if err != nil {
				return err
			}
		}
		out = t
		return nil
	})
	if err != nil {
		return out, s.notFound(ctx, "update template", "template", err)
	}
	return out, nil
}

// Funnels

// ListFunnels lists the account's funnel stages by position.
func (s *Resources) ListFunnels(ctx context.Context, p Principal, pr PageRequest) ([]carillon.Funnel, PageInfo, error) {
	page, err := parsePage(pr)
	if err != nil {
		return nil, PageInfo{}, err
	}
	list, total, err := s.store.ListFunnels(ctx, p.Account.ID, page)
	if err != nil {
		return nil, PageInfo{}, s.internal(ctx, "list funnels", err)
	}
	return list, pageInfo(page, total), nil
}

// Custom statuses

// ListCustomStatuses lists the account's custom statuses, oldest first.
func (s *Resources) ListCustomStatuses(ctx context.Context, p Principal, pr PageRequest) ([]carillon.CustomStatus, PageInfo, error) {
	page, err := parsePage(pr)
	if err != nil {
		return nil, PageInfo{}, err
	}
	list, total, err := s.store.ListCustomStatuses(ctx, p.Account.ID, page)
	if err != nil {
		return nil, PageInfo{}, s.internal(ctx, "list custom statuses", err)
	}
	return list, pageInfo(page, total), nil
}

// CustomStatus returns one of the account's custom statuses by its id.
func (s *Resources) CustomStatus(ctx context.Context, p Principal, id string) (carillon.CustomStatus, error) {
	if !carillon.ValidText(id) {
		return carillon.CustomStatus{}, carillon.NotFound("custom status")
	}
	cs, err := s.store.CustomStatusByUUID(ctx, p.Account.ID, id)
	if err != nil {
		return cs, s.notFound(ctx, "read custom status", "custom status", err)
	}
	return cs, nil
}

// CustomStatusInput is the body of POST and PUT /custom_statuses; nil
// leaves a field as it is (POST requires the name).
type CustomStatusInput struct {
	Name  *string
	Emoji *string
}

// check trims and checks the input's fields.
func (in *CustomStatusInput) check(create bool) error {
	if in.Name == nil && create {
		return carillon.Invalid("name", "name is required")
	}
	if in.Name != nil {
		n, err := checkName("name", *in.Name, maxStatusName)
		if err != nil {
			return err
		}
		in.Name = &n
	}
	if in.Emoji != nil {
		e := strings.TrimSpace(*in.Emoji)
		if n := utf8.RuneCountInString(e); n > maxStatusEmoji {
			return carillon.Invalid("emoji", "emoji is %d characters long; at most %d are allowed", n, maxStatusEmoji)
		}
		in.Emoji = &e
	}
	return nil
}

// errStatusNameTaken answers a name that another custom status has.
func errStatusNameTaken(name string) error {
	return &carillon.Error{Code: carillon.CodeAlreadyExists, Field: "name", Message: "the account has a custom status named " + strconv.Quote(name) + " already"}
}

// CreateCustomStatus makes a custom status; names are unique in an account.
func (s *Resources) CreateCustomStatus(ctx context.Context, p Principal, in CustomStatusInput) (carillon.CustomStatus, error) {
	if err := in.check(true); err != nil {
		return carillon.CustomStatus{}, err
	}
	now := s.clock.Now()
	cs := carillon.CustomStatus{UUID: carillon.NewDashedUUID(), AccountID: p.Account.ID, Name: *in.Name, CreatedAt: now, UpdatedAt: now}
	if in.Emoji != nil {
		cs.Emoji = *in.Emoji
	}
	err := s.inTx(ctx, func(q carillon.Queries) error { return q.CreateCustomStatus(ctx, &cs) })
	if errors.Is(err, carillon.ErrConflict) {
		return cs, errStatusNameTaken(cs.Name)
	}
	if err != nil {
		return cs, s.internal(ctx, "create custom status", err)
	}
	return cs, nil
}

// UpdateCustomStatus changes a custom status's name or emoji ("" clears the
// emoji).
func (s *Resources) UpdateCustomStatus(ctx context.Context, p Principal, id string, in CustomStatusInput) (carillon.CustomStatus, error) {
	if err := in.check(false); err != nil {
		return carillon.CustomStatus{}, err
	}
	var out carillon.CustomStatus
	err := s.inTx(ctx, func(q carillon.Queries) error {
		cs, err := q.CustomStatusByUUID(ctx, p.Account.ID, id)
		if err != nil {
			return err
		}
		changed := false
		if in.Name != nil && *in.Name != cs.Name {
			cs.Name, changed = *in.Name, true
		}
		if in.Emoji != nil && *in.Emoji != cs.Emoji {
			cs.Emoji, changed = *in.Emoji, true
		}
		if changed {
			cs.UpdatedAt = s.clock.Now()
			if err := q.UpdateCustomStatus(ctx, &cs); errors.Is(err, carillon.ErrConflict) {
				return errStatusNameTaken(cs.Name)
			} else if err != nil {
				return err
			}
		}
		out = cs
		return nil
	})
	if err != nil {
		return out, s.notFound(ctx, "update custom status", "custom status", err)
	}
	return out, nil
}

// DeleteCustomStatus deletes a custom status; users who showed it show
// none.
func (s *Resources) DeleteCustomStatus(ctx context.Context, p Principal, id string) error {
	if !carillon.ValidText(id) {
		return carillon.NotFound("custom status")
	}
	err := s.inTx(ctx, func(q carillon.Queries) error {
		cs, err := q.CustomStatusByUUID(ctx, p.Account.ID, id)
		if err != nil {
			return err
		}
		return q.DeleteCustomStatus(ctx, p.Account.ID, cs.ID)
	})
	if err != nil {
		return s.notFound(ctx, "delete custom status", "custom status", err)
	}
	return nil
}

// Plan

// Plan is what GET /plan answers: the limits the server is configured with
// (nil: unlimited), how many users the account has, and its teams.
type Plan struct {
	IncludedChannels *int
	Licenses         *int
	ActiveUsers      int
	Teams            []TeamView
}

// Plan returns the account's plan.
func (s *Resources) Plan(ctx context.Context, p Principal) (Plan, error) {
	users, err := s.store.CountUsers(ctx, p.Account.ID, carillon.UserFilter{})
	if err != nil {
		return Plan{}, s.internal(ctx, "count users", err)
	}
	ts, err := s.store.AllTeams(ctx, p.Account.ID)
	if err != nil {
		return Plan{}, s.internal(ctx, "list teams", err)
	}
	teams, err := s.withMembers(ctx, p.Account.ID, ts)
	if err != nil {
		return Plan{}, err
	}
	return Plan{IncludedChannels: s.planChannels, Licenses: s.planLicenses, ActiveUsers: users, Teams: teams}, nil
}
