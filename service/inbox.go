package service

import (
	"context"
	"encoding/base64"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/carillon/carillon"
)

// The shared inbox: the views of an account's conversations a console user
// works from (My chats, Unassigned, All, Closed, one per team), with their
// filters, orders and unread counts, as much of them as the user may see
// (visibility.go). A conversation is unread for a user when its customer
// wrote after the user last opened it (their read mark). The conversation
// itself, its thread, is in inbox_chat.go.

// Inbox is the feature service of the shared inbox: its views and a
// conversation's thread, read for one console user, and their read marks.
// The changes made from the inbox are the Contacts feature's, the API's.
type Inbox struct {
	*core
}

// The inbox's views.
const (
	ViewMine       = "mine"
	ViewUnassigned = "unassigned"
	ViewAll        = "all"
	ViewClosed     = "closed"
	ViewTeam       = "team"
)

// InboxPageSize is how many conversations a page of the inbox holds.
const InboxPageSize = 50

// InboxQuery is a view of the inbox and its filters as people write them
// (a link's query parameters); an empty field takes its default.
type InboxQuery struct {
	// View is mine, unassigned, all, closed or team (with Team). The
	// default is all, mine for a restricted agent (who sees only theirs).
	View string
	// Team is the uuid of the team of the team view.
	Team string
	// Status is open (the default), pending (open, the last message the
	// customer's) or closed; the closed view is always closed.
	Status string
	// Channel is a channel's uuid, Tag a tag's name, Funnel a funnel
	// stage's uuid.
	Channel, Tag, Funnel string
	// Sort is newest (the default), oldest or unassigned (first).
	Sort string
	// After is the cursor of the page before, "" for the first page.
	After string
}

// Values are the query's set fields, as a link's parameters; the cursor
// is left out.
func (q InboxQuery) Values() map[string]string {
	out := map[string]string{}
	for k, v := range map[string]string{"view": q.View, "team": q.Team, "status": q.Status, "channel": q.Channel,
		"tag": q.Tag, "funnel": q.Funnel, "sort": q.Sort} {
		if v != "" {
			out[k] = v
		}
	}
	return out
}

// InboxUnreadBound is the most unread conversations a view counts: past
// it, the count is shown as "99+". Counting stops there, so that a view's
// count costs the same whatever the number of its open conversations (a
// number in the hundreds of thousands is read by nobody; "99+" says what
// an agent acts on).
const InboxUnreadBound = 99

// InboxView is one of the views a user may open, with its unread count.
type InboxView struct {
	// View and Team name it, as InboxQuery does.
	View, Team string
	Label      string
	// Unread counts its open conversations the user has not read, up to
	// InboxUnreadBound; More is set when there are more than that. The
	// closed view has none (Counted false).
	Unread  int
	More    bool
	Counted bool
	// Current is the view shown.
	Current bool
}

// UnreadText is the view's unread count as shown: "7", or "99+" past
// InboxUnreadBound.
func (v InboxView) UnreadText() string { return unreadText(v.Unread, v.More) }

func unreadText(n int, more bool) string {
	if more {
		return strconv.Itoa(n) + "+"
	}
	return strconv.Itoa(n)
}

// InboxChat is a conversation of a page of the inbox.
type InboxChat struct {
	ContactView
	// Last is the contact's last message in or out, nil when none.
	Last *carillon.Message
	// AssignedName is the assigned user's name (their email when they
	// have none), "" when nobody is.
	AssignedName string
	// Unread is set when the customer wrote after the reader last
	// opened the conversation.
	Unread bool
}

// Pending reports whether the conversation waits for an answer: open, its
// last message the customer's.
func (c InboxChat) Pending() bool {
	return c.ConversationOpen() && c.LastMessageDirection == carillon.Inbound
}

// InboxPage is a page of a view of the inbox.
type InboxPage struct {
	// Query is the query read, its defaults filled in.
	Query InboxQuery
	Views []InboxView
	Chats []InboxChat
	// Next is the cursor of the next page (InboxQuery.After), "" on the
	// last one.
	Next string
	// Unread counts the current view's unread conversations, More past
	// InboxUnreadBound (Counted: not for the closed view).
	Unread  int
	More    bool
	Counted bool
	// The filters' choices: the account's channels, tags and funnel
	// stages.
	Channels []carillon.Channel
	Tags     []carillon.Tag
	Funnels  []carillon.Funnel
}

// UnreadText is the current view's unread count as shown (InboxView's).
func (p InboxPage) UnreadText() string { return unreadText(p.Unread, p.More) }

// View reads a page of a view of the inbox for viewer. A field of q that
// cannot be read is an invalid_parameter error naming it (the page's
// views and choices are set all the same, to show the form again).
func (s *Inbox) View(ctx context.Context, p Principal, viewer Viewer, q InboxQuery) (InboxPage, error) {
	ch, err := viewer.chats()
	if err != nil {
		return InboxPage{}, err
	}
	out := InboxPage{Query: q}
	if out.Channels, _, err = s.store.ListChannels(ctx, p.Account.ID, carillon.ChannelFilter{}, carillon.Page{Number: 1, Size: MaxPageSize}); err != nil {
		return out, s.internal(ctx, "read inbox", err)
	}
	if out.Tags, _, err = s.store.ListTags(ctx, p.Account.ID, carillon.Page{Number: 1, Size: MaxPageSize}); err != nil {
		return out, s.internal(ctx, "read inbox", err)
	}
	if out.Funnels, _, err = s.store.ListFunnels(ctx, p.Account.ID, carillon.Page{Number: 1, Size: MaxPageSize}); err != nil {
		return out, s.internal(ctx, "read inbox", err)
	}
	teams, err := s.viewerTeams(ctx, p, viewer)
	if err != nil {
		return out, err
	}
	f := carillon.InboxFilter{AccountID: p.Account.ID, AssignedUserID: ch.assignedTo, Agent: ch.agent}
	views, err := s.views(ctx, viewer, f, teams)
	if err != nil {
		return out, err
	}
	out.Views = views
	q, err = s.inboxFilter(ctx, p, viewer, q, teams, &f)
	out.Query = q
	for i, v := range out.Views {
		if v.View == q.View && v.Team == q.Team {
			out.Views[i].Current = true
			out.Unread, out.More, out.Counted = v.Unread, v.More, v.Counted
		}
	}
	if err != nil {
		return out, err
	}
	var after carillon.InboxCursor
	if q.After != "" {
		if after, err = decodeInboxCursor(q.After); err != nil {
			return out, err
		}
	}
	list, err := s.store.Inbox(ctx, f, after, InboxPageSize+1)
	if err != nil {
		return out, s.internal(ctx, "read inbox", err)
	}
	if len(list) > InboxPageSize {
		list = list[:InboxPageSize]
		out.Next = encodeInboxCursor(list[len(list)-1])
	}
	if out.Chats, err = s.inboxChats(ctx, p, viewer, list); err != nil {
		return out, s.internal(ctx, "read inbox", err)
	}
	return out, nil
}

// viewerTeams are the teams whose views a viewer is offered: every team of
// the account for those who see every chat, an agent's own teams, none for
// a restricted agent.
func (s *Inbox) viewerTeams(ctx context.Context, p Principal, viewer Viewer) ([]carillon.Team, error) {
	ch, err := viewer.chats()
	if err != nil || ch.assignedTo != 0 {
		return nil, err
	}
	all, err := s.store.AllTeams(ctx, p.Account.ID)
	if err != nil {
		return nil, s.internal(ctx, "read inbox", err)
	}
	if ch.all {
		return all, nil
	}
	var out []carillon.Team
	for _, t := range all {
		if slices.Contains(ch.agent.TeamIDs, t.ID) {
			out = append(out, t)
		}
	}
	return out, nil
}

// views are the views a viewer is offered, with their unread counts: My
// chats, Unassigned, All, Closed and one per team; a restricted agent, who
// sees only the chats assigned to them, has My chats and Closed. Each open
// view counts its unread conversations up to InboxUnreadBound: the store
// is asked for one more, which says there are more.
func (s *Inbox) views(ctx context.Context, viewer Viewer, scope carillon.InboxFilter, teams []carillon.Team) ([]InboxView, error) {
	count := func(v InboxView, f carillon.InboxFilter) (InboxView, error) {
		n, err := s.store.InboxUnread(ctx, f, viewer.UserID, InboxUnreadBound+1)
		if err != nil {
			return v, s.internal(ctx, "read inbox", err)
		}
		v.Counted, v.Unread, v.More = true, min(n, InboxUnreadBound), n > InboxUnreadBound
		return v, nil
	}
	mineF := scope
	mineF.Assignee = viewer.UserID
	mine, err := count(InboxView{View: ViewMine, Label: "My chats"}, mineF)
	if err != nil {
		return nil, err
	}
	closed := InboxView{View: ViewClosed, Label: "Closed"}
	if viewer.Role == carillon.RoleRestrictedAgent {
		return []InboxView{mine, closed}, nil
	}
	unassignedF := scope
	unassignedF.Unassigned = true
	unassigned, err := count(InboxView{View: ViewUnassigned, Label: "Unassigned"}, unassignedF)
	if err != nil {
		return nil, err
	}
	all, err := count(InboxView{View: ViewAll, Label: "All"}, scope)
	if err != nil {
		return nil, err
	}
	out := []InboxView{mine, unassigned, all, closed}
	for _, tm := range teams {
		f := scope
		f.TeamID = tm.ID
		v, err := count(InboxView{View: ViewTeam, Team: tm.UUID, Label: tm.Name}, f)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// inboxFilter reads q into f, whose scope is set, and returns q with its
// defaults.
func (s *Inbox) inboxFilter(ctx context.Context, p Principal, viewer Viewer, q InboxQuery, teams []carillon.Team, f *carillon.InboxFilter) (InboxQuery, error) {
	q.View, q.Status, q.Sort = strings.TrimSpace(q.View), strings.TrimSpace(q.Status), strings.TrimSpace(q.Sort)
	if q.View == "" {
		q.View = ViewAll
		if viewer.Role == carillon.RoleRestrictedAgent {
			q.View = ViewMine
		}
	}
	if q.View != ViewTeam {
		q.Team = ""
	}
	if q.Status == "" || q.View == ViewClosed {
		q.Status = string(carillon.StateOpen)
		if q.View == ViewClosed {
			q.Status = string(carillon.StateClosed)
		}
	}
	if q.Sort == "" {
		q.Sort = string(carillon.InboxNewest)
	}
	switch q.View {
	case ViewMine:
		f.Assignee = viewer.UserID
	case ViewUnassigned:
		f.Unassigned = true
	case ViewAll, ViewClosed:
	case ViewTeam:
		i := slices.IndexFunc(teams, func(t carillon.Team) bool { return t.UUID == q.Team })
		if i < 0 {
			return q, carillon.Invalid("team", "there is no team %q among your teams", q.Team)
		}
		f.TeamID = teams[i].ID
	default:
		return q, carillon.Invalid("view", "there is no view %q: mine, unassigned, all, closed or team", q.View)
	}
	switch st := carillon.ConversationState(q.Status); st {
	case carillon.StateOpen, carillon.StatePending, carillon.StateClosed:
		f.State = st
	default:
		return q, carillon.Invalid("status", "status is open, pending or closed, not %q", q.Status)
	}
	switch o := carillon.InboxOrder(q.Sort); o {
	case carillon.InboxNewest, carillon.InboxOldest, carillon.InboxUnassignedFirst:
		f.Order = o
	default:
		return q, carillon.Invalid("sort", "sort is newest, oldest or unassigned, not %q", q.Sort)
	}
	if q.Channel != "" {
		c, err := s.store.ChannelByUUID(ctx, p.Account.ID, q.Channel)
		if errors.Is(err, carillon.ErrNotFound) {
			return q, carillon.Invalid("channel", "the account has no channel %q", q.Channel)
		}
		if err != nil {
			return q, s.internal(ctx, "read inbox", err)
		}
		f.ChannelID = c.ID
	}
	if q.Tag != "" {
		t, err := s.store.TagByName(ctx, p.Account.ID, q.Tag)
		if errors.Is(err, carillon.ErrNotFound) {
			return q, carillon.Invalid("tag", "the account has no tag %q", q.Tag)
		}
		if err != nil {
			return q, s.internal(ctx, "read inbox", err)
		}
		f.TagID = t.ID
	}
	if q.Funnel != "" {
		fu, err := s.store.FunnelByUUID(ctx, p.Account.ID, q.Funnel)
		if errors.Is(err, carillon.ErrNotFound) {
			return q, carillon.Invalid("funnel", "the account has no funnel stage %q", q.Funnel)
		}
		if err != nil {
			return q, s.internal(ctx, "read inbox", err)
		}
		f.FunnelID = fu.UUID
	}
	return q, nil
}

// inboxChats are the conversations of a page with their views, last
// messages, assigned users' names and whether the viewer read them.
func (s *Inbox) inboxChats(ctx context.Context, p Principal, viewer Viewer, list []carillon.Contact) ([]InboxChat, error) {
	views, err := s.contactViews(ctx, s.store, p.Account.ID, list, nil)
	if err != nil {
		return nil, err
	}
	last, err := s.store.LastMessages(ctx, list)
	if err != nil {
		return nil, err
	}
	ids := make([]int64, len(list))
	for i, c := range list {
		ids[i] = c.ID
	}
	marks, err := s.store.ReadMarks(ctx, viewer.UserID, ids)
	if err != nil {
		return nil, err
	}
	names, err := s.userNames(ctx, p.Account.ID)
	if err != nil {
		return nil, err
	}
	out := make([]InboxChat, len(list))
	for i, v := range views {
		out[i] = InboxChat{ContactView: v, AssignedName: names[v.AssignedUserID], Unread: unread(v.Contact, marks)}
		if m, ok := last[v.ID]; ok {
			out[i].Last = &m
		}
	}
	return out, nil
}

// unread is the rule: a conversation is unread for a reader when its
// customer wrote after the reader's read mark, or ever wrote when the
// reader has none. (The store's InboxUnread counts by the same rule, up to
// the bound views gives it.)
func unread(c carillon.Contact, marks map[int64]time.Time) bool {
	return !c.LastInboundAt.IsZero() && c.LastInboundAt.After(marks[c.ID])
}

// userNames are the account's users' names by id (their email when they
// have none): the account's users are a short list.
func (s *Inbox) userNames(ctx context.Context, accountID int64) (map[int64]string, error) {
	users, err := s.store.ListUsers(ctx, accountID)
	if err != nil {
		return nil, err
	}
	out := make(map[int64]string, len(users))
	for _, u := range users {
		out[u.ID] = u.Name
		if u.Name == "" {
			out[u.ID] = u.Email
		}
	}
	return out, nil
}

// An inbox cursor is opaque to its reader, as the log's: whether the last
// conversation was assigned, its last message time and its id.

func encodeInboxCursor(c carillon.Contact) string {
	side := "0"
	if c.AssignedUserID != 0 {
		side = "1"
	}
	return base64.RawURLEncoding.EncodeToString([]byte(side + "." + strconv.FormatInt(carillon.Millis(c.LastMessageAt), 10) +
		"." + strconv.FormatInt(c.ID, 10)))
}

func decodeInboxCursor(s string) (carillon.InboxCursor, error) {
	bad := carillon.Invalid("after", "this link's page marker is damaged: start again from the first page")
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return carillon.InboxCursor{}, bad
	}
	parts := strings.Split(string(raw), ".")
	if len(parts) != 3 || (parts[0] != "0" && parts[0] != "1") {
		return carillon.InboxCursor{}, bad
	}
	ms, err1 := strconv.ParseInt(parts[1], 10, 64)
	id, err2 := strconv.ParseInt(parts[2], 10, 64)
	if err1 != nil || err2 != nil || ms < 0 || id <= 0 {
		return carillon.InboxCursor{}, bad
	}
	return carillon.InboxCursor{Assigned: parts[0] == "1", LastMessageAt: carillon.UnixMilli(ms), ID: id}, nil
}
