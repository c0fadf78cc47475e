package service

import (
	"context"
	"encoding/json"
	"errors"
	"regexp"
	"strings"

	"github.com/carillon/carillon"
	"github.com/carillon/carillon/declaration"
)

// The account's catalogues as the console's forms change them: each form
// declares one entry, which is checked and written as a declaration file
// of that entry alone would be by `carillon apply` (Parse, then Apply):
// one set of rules for both.

// ListTags lists a page of the account's tags, oldest first.
func (s *Resources) ListTags(ctx context.Context, p Principal, pr PageRequest) ([]carillon.Tag, PageInfo, error) {
	page, err := parsePage(pr)
	if err != nil {
		return nil, PageInfo{}, err
	}
	tags, total, err := s.store.ListTags(ctx, p.Account.ID, page)
	if err != nil {
		return nil, PageInfo{}, s.internal(ctx, "list tags", err)
	}
	return tags, pageInfo(page, total), nil
}

// DeleteTag deletes the account's tag of that name (whatever its case)
// and takes it off every contact that has it, in one transaction; it
// answers the tag and how many contacts had it. Neither the API nor a
// declaration deletes tags (apply never deletes): the console does. Each
// of those contacts records contact_updated, with its tags after, as a
// change of its tags through the API does: a receiver that keeps
// contacts' tags learns of it. A webhook that does not subscribe to the
// event costs no read of the contacts.
func (s *Resources) DeleteTag(ctx context.Context, p Principal, name string) (carillon.Tag, int, error) {
	var tag carillon.Tag
	var n int
	if !carillon.ValidText(name) {
		return tag, 0, carillon.NotFound("tag")
	}
	deleteTag := func(q carillon.Queries) error {
		var err error
		if tag, err = q.TagByName(ctx, p.Account.ID, name); err != nil {
			return err
		}
		// The tag first, then its contacts (as a change of a contact's
		// tags locks them first, tagIDs): read after the lock, they
		// include a contact given the tag by a change that committed
		// meanwhile.
		locked, err := q.LockTags(ctx, p.Account.ID, []int64{tag.ID}, true)
		if err != nil {
			return err
		}
		if len(locked) == 0 {
			return carillon.ErrNotFound
		}
		tagged, err := taggedContacts(ctx, q, p.Account.ID, tag)
		if err != nil {
			return err
		}
		if n, err = q.DeleteTag(ctx, p.Account.ID, tag.ID); err != nil {
			return err
		}
		channels := map[int64]carillon.Channel{}
		for _, c := range tagged {
			ch, ok := channels[c.ChannelID]
			if !ok {
				if ch, err = q.ChannelByID(ctx, c.ChannelID); err != nil {
					return err
				}
				channels[c.ChannelID] = ch
			}
			if err := s.contactEvents(ctx, q, ch, &c, c, true, p.userID()); err != nil {
				return err
			}
		}
		return nil
	}
	// The changes of contacts' tags that the committer writes together in
	// one transaction lock a tag after another contact's links: one of
	// them holding a link of this tag and waiting for it would deadlock
	// with this deletion (PostgreSQL), which is then run again.
	var err error
	for try := 0; try < 3; try++ {
		if err = s.inTx(ctx, deleteTag); err == nil || ctx.Err() != nil || errors.Is(err, carillon.ErrNotFound) {
			break
		}
	}
	if err != nil {
		return tag, 0, s.notFound(ctx, "delete tag", "tag", err)
	}
	return tag, n, nil
}

// taggedContacts reads the contacts that have the tag, when the account's
// webhook subscribes to contact_updated (none otherwise: nothing records
// their change).
func taggedContacts(ctx context.Context, q carillon.Queries, accountID int64, tag carillon.Tag) ([]carillon.Contact, error) {
	w, err := q.WebhookByAccount(ctx, accountID)
	if errors.Is(err, carillon.ErrNotFound) || (err == nil && !w.Subscribed(carillon.EventContactUpdated)) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var all []carillon.Contact
	page := carillon.Page{Number: 1, Size: 1000}
	for ; ; page.Number++ {
		list, total, err := q.ListContacts(ctx, accountID, carillon.ContactFilter{TagIDs: []int64{tag.ID}}, page)
		if err != nil {
			return nil, err
		}
		all = append(all, list...)
		if len(list) < page.Size || len(all) >= total {
			return all, nil
		}
	}
}

// TagContacts returns the account's tag of that name (whatever its case)
// and how many contacts have it: those that deleting it takes it off.
func (s *Resources) TagContacts(ctx context.Context, p Principal, name string) (carillon.Tag, int, error) {
	if !carillon.ValidText(name) {
		return carillon.Tag{}, 0, carillon.NotFound("tag")
	}
	tag, err := s.store.TagByName(ctx, p.Account.ID, name)
	if err != nil {
		return tag, 0, s.notFound(ctx, "read tag", "tag", err)
	}
	_, n, err := s.store.ListContacts(ctx, p.Account.ID, carillon.ContactFilter{TagIDs: []int64{tag.ID}}, carillon.Page{Number: 1, Size: 1})
	if err != nil {
		return tag, 0, s.internal(ctx, "count tagged contacts", err)
	}
	return tag, n, nil
}

// ListCustomFields lists a page of the account's custom fields, oldest
// first.
func (s *Resources) ListCustomFields(ctx context.Context, p Principal, pr PageRequest) ([]carillon.CustomField, PageInfo, error) {
	page, err := parsePage(pr)
	if err != nil {
		return nil, PageInfo{}, err
	}
	fields, total, err := s.store.ListCustomFields(ctx, p.Account.ID, page)
	if err != nil {
		return nil, PageInfo{}, s.internal(ctx, "list custom fields", err)
	}
	return fields, pageInfo(page, total), nil
}

// CustomField returns the account's custom field of that name.
func (s *Resources) CustomField(ctx context.Context, p Principal, name string) (carillon.CustomField, error) {
	if !carillon.ValidText(name) {
		return carillon.CustomField{}, carillon.NotFound("custom field")
	}
	f, err := s.store.CustomFieldByName(ctx, p.Account.ID, name)
	if err != nil {
		return f, s.notFound(ctx, "read custom field", "custom field", err)
	}
	return f, nil
}

// Funnel returns the account's funnel stage of that uuid.
func (s *Resources) Funnel(ctx context.Context, p Principal, uuid string) (carillon.Funnel, error) {
	if !carillon.ValidText(uuid) {
		return carillon.Funnel{}, carillon.NotFound("funnel")
	}
	f, err := s.store.FunnelByUUID(ctx, p.Account.ID, uuid)
	if err != nil {
		return f, s.notFound(ctx, "read funnel", "funnel", err)
	}
	return f, nil
}

// DeclareTag declares a tag, as a file's tags entry: one of that name
// (whatever its case) is kept, else it is made.
func (s *Resources) DeclareTag(ctx context.Context, p Principal, name string) ([]string, error) {
	return s.declareOne(ctx, p, "tags", name)
}

// FieldEntry is a custom field as a file declares it.
type FieldEntry struct {
	Name    string   `json:"name"`
	Type    string   `json:"type"`
	Options []string `json:"options,omitempty"`
}

// DeclareField declares a custom field: the one of that name takes the
// type and options, or one is made.
func (s *Resources) DeclareField(ctx context.Context, p Principal, f FieldEntry) ([]string, error) {
	return s.declareOne(ctx, p, "custom_fields", f)
}

// FunnelEntry is a funnel stage as a file declares it; UUID picks the one
// to change (and may rename it).
type FunnelEntry struct {
	UUID     string `json:"uuid,omitempty"`
	Name     string `json:"name"`
	Emoji    string `json:"emoji,omitempty"`
	Position int    `json:"position"`
}

// DeclareFunnel declares a funnel stage.
func (s *Resources) DeclareFunnel(ctx context.Context, p Principal, f FunnelEntry) ([]string, error) {
	return s.declareOne(ctx, p, "funnels", f)
}

// TemplateEntry is a template as a file declares it; UUID picks the one to
// change (and may rename it or move it to another channel). Channel is a
// channel's title. Empty Type, Status and Language take the file's
// defaults (text, approved, en).
type TemplateEntry struct {
	UUID     string                    `json:"uuid,omitempty"`
	Title    string                    `json:"title"`
	Channel  string                    `json:"channel"`
	Language string                    `json:"language,omitempty"`
	Category string                    `json:"category"`
	Type     string                    `json:"type,omitempty"`
	Status   string                    `json:"status,omitempty"`
	Text     string                    `json:"text"`
	Buttons  []carillon.TemplateButton `json:"buttons,omitempty"`
}

// DeclareTemplate declares a template: the one of the uuid, or of the
// channel, title and language, takes every field of the entry (buttons
// included: none when it has none), or one is made. A problem of a button
// is given at the field buttons, its message naming the button.
func (s *Resources) DeclareTemplate(ctx context.Context, p Principal, t TemplateEntry) ([]string, error) {
	return s.declareOne(ctx, p, "templates", t)
}

// TemplateChoices are the values a declared template's keys may take.
type TemplateChoices = declaration.TemplateChoices

// TemplateOptions returns what a form that declares a template offers.
func TemplateOptions() TemplateChoices { return declaration.Choices() }

// TeamEntry is a team as a file declares it; UUID picks the one to change
// (and may rename it); Members, the emails of its users, are its whole
// membership unless nil (left as it is).
type TeamEntry struct {
	UUID    string   `json:"uuid,omitempty"`
	Name    string   `json:"name"`
	Members []string `json:"members"`
}

// DeclareTeam declares a team.
func (s *Resources) DeclareTeam(ctx context.Context, p Principal, t TeamEntry) ([]string, error) {
	var entry any = t
	if t.Members == nil {
		entry = struct {
			UUID string `json:"uuid,omitempty"`
			Name string `json:"name"`
		}{t.UUID, t.Name}
	}
	return s.declareOne(ctx, p, "teams", entry)
}

// declareOne writes a declaration file of one entry of the section and
// applies it. The file is JSON (which YAML reads), indented so that each
// key of the entry has a line of its own: a problem, given at a line, is
// given back at its field. The changes are apply's lines.
func (s *Resources) declareOne(ctx context.Context, p Principal, section string, entry any) ([]string, error) {
	data, err := json.MarshalIndent(map[string][]any{section: {entry}}, "", "  ")
	if err != nil {
		return nil, err
	}
	decl, err := declaration.Parse("form", data, s.registry)
	if err == nil {
		var res ApplyResult
		res, err = s.Apply(ctx, p.Account.ID, decl)
		if err == nil {
			return res.Changes, nil
		}
	}
	var de *declaration.Error
	if !errors.As(err, &de) {
		return nil, s.internal(ctx, "declare "+section, err)
	}
	fields := keyLines(data)
	pe := &ProblemError{}
	for _, pr := range de.Problems {
		pe.Problems = append(pe.Problems, declaration.FieldProblem{Field: fields[pr.Line], Message: pr.Message})
	}
	return nil, pe
}

var jsonKey = regexp.MustCompile(`^\s*"([a-z_]+)": `)

// keyLines maps each line of indented JSON to the key of the entry it
// belongs to: the key written on it, or the one whose list it continues
// (a team's members, a template's buttons and their own keys). Lines
// outside the entry map to "".
func keyLines(data []byte) map[int]string {
	out := map[int]string{}
	key := ""
	for i, line := range strings.Split(string(data), "\n") {
		depth := len(line) - len(strings.TrimLeft(line, " "))
		if m := jsonKey.FindStringSubmatch(line); m != nil && depth == 6 {
			key = m[1]
		} else if depth < 6 {
			key = ""
		}
		out[i+1] = key
	}
	return out
}
