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

// ListTags lists the account's tags.
func (s *Resources) ListTags(ctx context.Context, p Principal) ([]carillon.Tag, error) {
	tags, err := s.store.ListTags(ctx, p.Account.ID)
	if err != nil {
		return nil, s.internal(ctx, "list tags", err)
	}
	return tags, nil
}

// ListCustomFields lists the account's custom fields.
func (s *Resources) ListCustomFields(ctx context.Context, p Principal) ([]carillon.CustomField, error) {
	fields, err := s.store.ListCustomFields(ctx, p.Account.ID)
	if err != nil {
		return nil, s.internal(ctx, "list custom fields", err)
	}
	return fields, nil
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

// keyLines maps each line of indented JSON to the key it belongs to: the
// key written on it, or the one whose list it continues. Lines outside
// the entry map to "".
func keyLines(data []byte) map[int]string {
	out := map[int]string{}
	key := ""
	for i, line := range strings.Split(string(data), "\n") {
		depth := len(line) - len(strings.TrimLeft(line, " "))
		if m := jsonKey.FindStringSubmatch(line); m != nil && depth >= 6 {
			key = m[1]
		} else if depth < 6 {
			key = ""
		}
		out[i+1] = key
	}
	return out
}
