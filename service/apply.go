package service

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/carillon/carillon"
	"github.com/carillon/carillon/declaration"
)

// ApplyResult is what Apply did: a line per object created or changed, and
// the provider channels of the file, whose callback URLs the caller shows.
type ApplyResult struct {
	Changes  []string
	Channels []carillon.Channel
}

// applier applies a declaration in one transaction.
type applier struct {
	s         *Resources
	q         carillon.Queries
	accountID int64
	d         *declaration.Declaration
	probs     []declaration.Problem
	changes   []string
}

func (a *applier) addf(line int, format string, args ...any) {
	a.probs = append(a.probs, declaration.Problem{Line: line, Message: fmt.Sprintf(format, args...)})
}

func (a *applier) changef(format string, args ...any) {
	a.changes = append(a.changes, fmt.Sprintf(format, args...))
}

// errRefused rolls the transaction back when the store showed problems.
var errRefused = errors.New("declaration refused")

// Apply declares the account's resources as d says, in one transaction:
// what matches nothing is created, what differs is updated, nothing is
// deleted. A reference to nothing refuses the whole file with an
// *Error, and nothing is written.
func (s *Resources) Apply(ctx context.Context, accountID int64, d *declaration.Declaration) (ApplyResult, error) {
	var res ApplyResult
	var probs []declaration.Problem
	// The networks that check credentials are asked first, outside the
	// transaction: a refusal refuses the file, and nothing is written.
	for _, c := range d.Channels {
		if err := s.checkCredentials(ctx, c.Spec); err != nil {
			probs = append(probs, declaration.Problem{Line: c.At("settings"), Message: fmt.Sprintf("channel %s: %v", c.Spec.Title, err)})
		}
	}
	if len(probs) > 0 {
		return ApplyResult{}, &declaration.Error{File: d.File, Problems: probs}
	}
	err := s.inTx(ctx, func(q carillon.Queries) error {
		now := s.clock.Now()
		a := &applier{s: s, q: q, accountID: accountID, d: d}
		w, err := newChannelWriter(ctx, s.registry, q, accountID, now)
		if err != nil {
			return err
		}
		res = ApplyResult{}
		for _, c := range d.Channels {
			if probs := s.checkProviderSettings(c.Spec); len(probs) > 0 {
				for _, pr := range probs {
					a.addf(c.At(pr.Field), "channel %s: %s", c.Spec.Title, pr.Message)
				}
				continue
			}
			ch, err := w.upsert(ctx, c.Spec)
			var pe *ProblemError
			if errors.As(err, &pe) {
				for _, pr := range pe.Problems {
					a.addf(c.At(pr.Field), "channel %s: %s", c.Spec.Title, pr.Message)
				}
				continue
			}
			if err != nil {
				return err
			}
			if info, _ := s.registry.Lookup(ch.Provider); info.CallsBack {
				res.Channels = append(res.Channels, ch)
			}
		}
		a.changes = append(a.changes, w.changes...)
		steps := []func(context.Context, *applier, *channelWriter) error{
			applyUsers, applyTeams, applyTags, applyFields, applyTemplates, applyFunnels, applyStatuses,
		}
		for _, step := range steps {
			if err := step(ctx, a, w); err != nil {
				return err
			}
		}
		if len(a.probs) > 0 {
			probs = a.probs
			return errRefused
		}
		res.Changes = a.changes
		return nil
	})
	if errors.Is(err, errRefused) {
		sort.SliceStable(probs, func(i, j int) bool { return probs[i].Line < probs[j].Line })
		return ApplyResult{}, &declaration.Error{File: d.File, Problems: probs}
	}
	if err != nil {
		return ApplyResult{}, err
	}
	return res, nil
}

// notFound tells a missing row from a failure.
func notFound(err error) bool { return errors.Is(err, carillon.ErrNotFound) }

func applyUsers(ctx context.Context, a *applier, w *channelWriter) error {
	if len(a.d.Users) == 0 {
		return nil
	}
	// A role taken away may be the last admin's who can sign in: the
	// account's changes of role take turns (signInAdmins).
	if err := a.q.LockAccount(ctx, a.accountID); err != nil {
		return err
	}
	var demoted []*declaration.User
	for _, u := range a.d.Users {
		var cur carillon.User
		var err error
		if u.UUID != "" {
			cur, err = a.q.UserByUUID(ctx, a.accountID, u.UUID)
			if notFound(err) {
				a.addf(u.At("uuid"), "user %s: no user has the uuid %q", u.Email, u.UUID)
				continue
			}
			if err != nil {
				return err
			}
			if other, err := a.q.UserByEmail(ctx, a.accountID, u.Email); err == nil && other.ID != cur.ID {
				a.addf(u.At("email"), "user %s: another user (uuid %s) has that email", u.Email, other.UUID)
				continue
			} else if err != nil && !notFound(err) {
				return err
			}
		} else {
			cur, err = a.q.UserByEmail(ctx, a.accountID, u.Email)
			if notFound(err) {
				nu := carillon.User{UUID: carillon.NewUUID(), AccountID: a.accountID, Email: u.Email, Name: u.Name, CreatedAt: w.now, Role: u.Role}
				if nu.Role == "" {
					nu.Role = carillon.RoleAgent
				}
				if err := a.q.CreateUser(ctx, &nu); err != nil {
					return err
				}
				a.changef("created user %s (uuid %s)", nu.Email, nu.UUID)
				continue
			}
			if err != nil {
				return err
			}
		}
		var what []string
		if cur.Email != u.Email {
			cur.Email, what = u.Email, append(what, "email")
		}
		if cur.Name != u.Name {
			cur.Name, what = u.Name, append(what, "name")
		}
		if u.Role != "" && cur.Role != u.Role {
			if cur.Role == carillon.RoleAdmin && cur.HasPassword {
				demoted = append(demoted, u)
			}
			cur.Role, what = u.Role, append(what, "role")
		}
		if len(what) > 0 {
			if err := a.q.UpdateUser(ctx, &cur); err != nil {
				return err
			}
			a.changef("updated user %s: %s", cur.Email, strings.Join(what, ", "))
		}
	}
	// Counted once every entry is written: a file may make another admin
	// after the one it demotes.
	if len(demoted) > 0 {
		n, err := signInAdmins(ctx, a.q, a.accountID)
		if err != nil {
			return err
		}
		if n == 0 {
			for _, u := range demoted {
				a.addf(u.At("role"), "user %s: the account would have no admin left who can sign in (with a password): keep this one an admin, or make another user an admin first", u.Email)
			}
		}
	}
	return nil
}

func applyTeams(ctx context.Context, a *applier, w *channelWriter) error {
	for _, t := range a.d.Teams {
		// The members, by email; every one must exist by now.
		var want []carillon.User
		missing := false
		for i, e := range t.Members {
			u, err := a.q.UserByEmail(ctx, a.accountID, e)
			if notFound(err) {
				a.addf(t.MemberLine[i], "team %s: no user has the email %q in the file or the account", t.Name, e)
				missing = true
				continue
			}
			if err != nil {
				return err
			}
			want = append(want, u)
		}
		var cur carillon.Team
		var err error
		created := false
		if t.UUID != "" {
			cur, err = a.q.TeamByUUID(ctx, a.accountID, t.UUID)
			if notFound(err) {
				a.addf(t.At("uuid"), "team %s: no team has the uuid %q", t.Name, t.UUID)
				continue
			}
			if err != nil {
				return err
			}
			if other, err := a.q.TeamByName(ctx, a.accountID, t.Name); err == nil && other.ID != cur.ID {
				a.addf(t.At("name"), "team %s: another team (uuid %s) has that name", t.Name, other.UUID)
				continue
			} else if err != nil && !notFound(err) {
				return err
			}
		} else {
			cur, err = a.q.TeamByName(ctx, a.accountID, t.Name)
			if notFound(err) {
				cur = carillon.Team{UUID: carillon.NewUUID(), AccountID: a.accountID, Name: t.Name, CreatedAt: w.now}
				if err := a.q.CreateTeam(ctx, &cur); err != nil {
					return err
				}
				a.changef("created team %s (uuid %s)", cur.Name, cur.UUID)
				created, err = true, nil
			}
			if err != nil {
				return err
			}
		}
		if missing {
			continue
		}
		var what []string
		if cur.Name != t.Name {
			cur.Name = t.Name
			if err := a.q.UpdateTeam(ctx, &cur); err != nil {
				return err
			}
			what = append(what, "name")
		}
		if t.HasMembers {
			changed, err := a.setMembers(ctx, cur, want, w)
			if err != nil {
				return err
			}
			if changed {
				what = append(what, "members")
			}
		}
		if len(what) > 0 && !created {
			a.changef("updated team %s: %s", cur.Name, strings.Join(what, ", "))
		}
	}
	return nil
}

// setMembers makes the team's membership exactly want.
func (a *applier) setMembers(ctx context.Context, t carillon.Team, want []carillon.User, w *channelWriter) (bool, error) {
	have, err := a.q.TeamMembers(ctx, t.ID)
	if err != nil && !notFound(err) {
		return false, err
	}
	in := map[int64]bool{}
	for _, u := range have {
		in[u.ID] = true
	}
	keep := map[int64]bool{}
	changed := false
	for _, u := range want {
		keep[u.ID] = true
		if !in[u.ID] {
			if err := a.q.AddTeamMember(ctx, t.ID, u.ID, w.now); err != nil {
				return false, err
			}
			if err := a.s.membershipUpdated(ctx, a.q, t, u, true, w.now); err != nil {
				return false, err
			}
			changed = true
		}
	}
	for _, u := range have {
		if !keep[u.ID] {
			if err := a.q.RemoveTeamMember(ctx, t.ID, u.ID); err != nil && !notFound(err) {
				return false, err
			}
			if err := a.s.membershipUpdated(ctx, a.q, t, u, false, w.now); err != nil {
				return false, err
			}
			changed = true
		}
	}
	return changed, nil
}

func applyTags(ctx context.Context, a *applier, w *channelWriter) error {
	for _, t := range a.d.Tags {
		_, err := a.q.TagByName(ctx, a.accountID, t.Name)
		if err == nil {
			continue
		}
		if !notFound(err) {
			return err
		}
		tag := carillon.Tag{AccountID: a.accountID, Name: t.Name, CreatedAt: w.now}
		if err := a.q.CreateTag(ctx, &tag); err != nil {
			return err
		}
		a.changef("created tag %s", tag.Name)
	}
	return nil
}

func applyFields(ctx context.Context, a *applier, w *channelWriter) error {
	for _, f := range a.d.Fields {
		cur, err := a.q.CustomFieldByName(ctx, a.accountID, f.Name)
		if notFound(err) {
			nf := carillon.CustomField{AccountID: a.accountID, Name: f.Name, Type: f.Type, Options: f.Options, CreatedAt: w.now, UpdatedAt: w.now}
			if err := a.q.CreateCustomField(ctx, &nf); err != nil {
				return err
			}
			a.changef("created custom field %s", nf.Name)
			continue
		}
		if err != nil {
			return err
		}
		var what []string
		if cur.Type != f.Type {
			cur.Type, what = f.Type, append(what, "type")
		}
		if strings.Join(cur.Options, "\x00") != strings.Join(f.Options, "\x00") {
			cur.Options, what = f.Options, append(what, "options")
		}
		if len(what) > 0 {
			cur.UpdatedAt = w.now
			if err := a.q.UpdateCustomField(ctx, &cur); err != nil {
				return err
			}
			a.changef("updated custom field %s: %s", cur.Name, strings.Join(what, ", "))
		}
	}
	return nil
}

func applyTemplates(ctx context.Context, a *applier, w *channelWriter) error {
	for _, t := range a.d.Templates {
		ci := w.byTitle(t.Channel)
		if ci < 0 {
			a.addf(t.At("channel"), "template %s: no channel is titled %q in the file or the account", t.Title, t.Channel)
			continue
		}
		ch := w.channels[ci]
		if info, _ := a.s.registry.Lookup(ch.Provider); info.NoTemplates {
			a.addf(t.At("channel"), "template %s: channel %s is a %s channel, and %s takes no templates", t.Title, ch.Title, ch.Type, info.Title)
			continue
		}
		var cur carillon.Template
		var err error
		if t.UUID != "" {
			cur, err = a.q.TemplateByUUID(ctx, a.accountID, t.UUID)
			if notFound(err) {
				a.addf(t.At("uuid"), "template %s: no template has the uuid %q", t.Title, t.UUID)
				continue
			}
			if err != nil {
				return err
			}
			if other, err := a.q.TemplateByKey(ctx, ch.ID, t.Title, t.Language); err == nil && other.ID != cur.ID {
				a.addf(t.At("title"), "template %s: another template (uuid %s) of channel %s has that title and language", t.Title, other.UUID, ch.Title)
				continue
			} else if err != nil && !notFound(err) {
				return err
			}
		} else {
			cur, err = a.q.TemplateByKey(ctx, ch.ID, t.Title, t.Language)
			if notFound(err) {
				nt := carillon.Template{
					UUID: carillon.NewUUID(), AccountID: a.accountID, ChannelID: ch.ID, Title: t.Title, Text: t.Text,
					Type: t.Type, Category: t.Category, Status: t.Status, Language: t.Language, Buttons: t.Buttons,
					CreatedAt: w.now, UpdatedAt: w.now,
				}
				if err := a.q.CreateTemplate(ctx, &nt); err != nil {
					return err
				}
				a.changef("created template %s (uuid %s)", nt.Title, nt.UUID)
				continue
			}
			if err != nil {
				return err
			}
		}
		var what []string
		set := func(field string, dst *string, v string) {
			if *dst != v {
				*dst, what = v, append(what, field)
			}
		}
		if cur.ChannelID != ch.ID {
			cur.ChannelID, what = ch.ID, append(what, "channel")
		}
		set("title", &cur.Title, t.Title)
		set("text", &cur.Text, t.Text)
		set("type", &cur.Type, t.Type)
		set("category", &cur.Category, t.Category)
		set("status", &cur.Status, t.Status)
		set("language", &cur.Language, t.Language)
		if !sameButtons(cur.Buttons, t.Buttons) {
			cur.Buttons, what = t.Buttons, append(what, "buttons")
		}
		if len(what) > 0 {
			cur.UpdatedAt = w.now
			if err := a.q.UpdateTemplate(ctx, &cur); err != nil {
				return err
			}
			a.changef("updated template %s: %s", cur.Title, strings.Join(what, ", "))
		}
	}
	return nil
}

func applyFunnels(ctx context.Context, a *applier, w *channelWriter) error {
	for _, f := range a.d.Funnels {
		var cur carillon.Funnel
		var err error
		if f.UUID != "" {
			cur, err = a.q.FunnelByUUID(ctx, a.accountID, f.UUID)
			if notFound(err) {
				a.addf(f.At("uuid"), "funnel %s: no funnel has the uuid %q", f.Name, f.UUID)
				continue
			}
			if err != nil {
				return err
			}
			if other, err := a.q.FunnelByName(ctx, a.accountID, f.Name); err == nil && other.ID != cur.ID {
				a.addf(f.At("name"), "funnel %s: another funnel (uuid %s) has that name", f.Name, other.UUID)
				continue
			} else if err != nil && !notFound(err) {
				return err
			}
		} else {
			cur, err = a.q.FunnelByName(ctx, a.accountID, f.Name)
			if notFound(err) {
				nf := carillon.Funnel{UUID: carillon.NewDashedUUID(), AccountID: a.accountID, Name: f.Name, Emoji: f.Emoji, Position: f.Position, CreatedAt: w.now}
				if err := a.q.CreateFunnel(ctx, &nf); err != nil {
					return err
				}
				a.changef("created funnel %s (uuid %s)", nf.Name, nf.UUID)
				continue
			}
			if err != nil {
				return err
			}
		}
		var what []string
		if cur.Name != f.Name {
			cur.Name, what = f.Name, append(what, "name")
		}
		if cur.Emoji != f.Emoji {
			cur.Emoji, what = f.Emoji, append(what, "emoji")
		}
		if cur.Position != f.Position {
			cur.Position, what = f.Position, append(what, "position")
		}
		if len(what) > 0 {
			if err := a.q.UpdateFunnel(ctx, &cur); err != nil {
				return err
			}
			a.changef("updated funnel %s: %s", cur.Name, strings.Join(what, ", "))
		}
	}
	return nil
}

func applyStatuses(ctx context.Context, a *applier, w *channelWriter) error {
	for _, s := range a.d.Statuses {
		var cur carillon.CustomStatus
		var err error
		if s.ID != "" {
			cur, err = a.q.CustomStatusByUUID(ctx, a.accountID, s.ID)
			if notFound(err) {
				a.addf(s.At("id"), "custom status %s: no custom status has the id %q", s.Name, s.ID)
				continue
			}
			if err != nil {
				return err
			}
			if other, err := a.q.CustomStatusByName(ctx, a.accountID, s.Name); err == nil && other.ID != cur.ID {
				a.addf(s.At("name"), "custom status %s: another custom status (id %s) has that name", s.Name, other.UUID)
				continue
			} else if err != nil && !notFound(err) {
				return err
			}
		} else {
			cur, err = a.q.CustomStatusByName(ctx, a.accountID, s.Name)
			if notFound(err) {
				ns := carillon.CustomStatus{UUID: carillon.NewDashedUUID(), AccountID: a.accountID, Name: s.Name, Emoji: s.Emoji, CreatedAt: w.now, UpdatedAt: w.now}
				if err := a.q.CreateCustomStatus(ctx, &ns); err != nil {
					return err
				}
				a.changef("created custom status %s (id %s)", ns.Name, ns.UUID)
				continue
			}
			if err != nil {
				return err
			}
		}
		var what []string
		if cur.Name != s.Name {
			cur.Name, what = s.Name, append(what, "name")
		}
		if cur.Emoji != s.Emoji {
			cur.Emoji, what = s.Emoji, append(what, "emoji")
		}
		if len(what) > 0 {
			cur.UpdatedAt = w.now
			if err := a.q.UpdateCustomStatus(ctx, &cur); err != nil {
				return err
			}
			a.changef("updated custom status %s: %s", cur.Name, strings.Join(what, ", "))
		}
	}
	return nil
}

// sameButtons reports whether two lists of template buttons are the same,
// in the same order.
func sameButtons(a, b []carillon.TemplateButton) bool {
	return slices.Equal(a, b)
}
