// Package storetest is the conformance suite of carillon.Store: every store
// implementation runs it (see store's sqlite_test.go and postgres_test.go) and
// must pass it unchanged.
package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/carillon/carillon"
)

// Opener returns a fresh, migrated, empty store; it arranges for the store
// to be closed (t.Cleanup). It may be called from parallel subtests.
type Opener = func(t *testing.T) carillon.Store

// base is the time the suite's objects are stamped with.
var base = time.UnixMilli(1700000000123).UTC()

// zone is a non-UTC zone: times handed to the store in it must come back in
// UTC.
var zone = time.FixedZone("UTC+05:30", 5*3600+30*60)

// at returns base moved by d.
func at(d time.Duration) time.Time { return base.Add(d) }

// sloppy returns t with sub-millisecond noise, in another zone: the store
// keeps times to the millisecond and gives them back in UTC.
func sloppy(t time.Time) time.Time { return t.Add(789 * time.Microsecond).In(zone) }

// norm is what the store gives back for a time it was given.
func norm(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return time.UnixMilli(t.UnixMilli()).UTC()
}

// Run runs the conformance suite. Every subtest opens its own store with open
// and runs in parallel with the others.
func Run(t *testing.T, open Opener) {
	tests := []struct {
		name string
		fn   func(t *testing.T, e *env)
	}{
		{"Accounts", testAccounts},
		{"TeamsAndUsers", testTeamsAndUsers},
		{"APIKeys", testAPIKeys},
		{"APIKeysByHash", testAPIKeysByHash},
		{"Channels", testChannels},
		{"MainChannel", testMainChannel},
		{"UpdateChannel", testUpdateChannel},
		{"ChannelAddress", testChannelAddress},
		{"ChannelsVersion", testChannelsVersion},
		{"ListChannels", testListChannels},
		{"Contacts", testContacts},
		{"UpdateContact", testUpdateContact},
		{"Messages", testMessages},
		{"MessageIDsInOrder", testMessageIDsInOrder},
		{"UpdateMessage", testUpdateMessage},
		{"CreateMessageOnce", testCreateMessageOnce},
		{"CreateMessageOnceLater", testCreateMessageOnceLater},
		{"MessagesByExternalID", testMessagesByExternalID},
		{"PreloadContacts", testPreloadContacts},
		{"UpdateMessageFrom", testUpdateMessageFrom},
		{"UpdateMessageFromLater", testUpdateMessageFromLater},
		{"EraseMessage", testEraseMessage},
		{"StatusHistory", testStatusHistory},
		{"HeldStatusHistory", testHeldStatusHistory},
		{"Queue", testQueue},
		{"CheckQueued", testCheckQueued},
		{"CheckQueuedEarlier", testCheckQueuedEarlier},
		{"Instances", testInstances},
		{"AdoptMessages", testAdoptMessages},
		{"Idempotency", testIdempotency},
		{"Users", testUsers},
		{"UsersAfter", testUsersAfter},
		{"LockAccount", testLockAccount},
		{"UserStatus", testUserStatus},
		{"UserSignIn", testUserSignIn},
		{"Sessions", testSessions},
		{"SignInLinks", testSignInLinks},
		{"Teams", testTeams},
		{"TeamMembers", testTeamMembers},
		{"ListTeams", testListTeams},
		{"ListTeamMembers", testListTeamMembers},
		{"Tags", testTags},
		{"ContactTags", testContactTags},
		{"DeleteTag", testDeleteTag},
		{"DeleteTagWhileTagging", testDeleteTagWhileTagging},
		{"CustomFields", testCustomFields},
		{"ContactFieldValues", testContactFieldValues},
		{"Templates", testTemplates},
		{"ListTemplates", testListTemplates},
		{"Funnels", testFunnels},
		{"ListFunnels", testListFunnels},
		{"CustomStatuses", testCustomStatuses},
		{"ListCustomStatuses", testListCustomStatuses},
		{"DeleteCustomStatus", testDeleteCustomStatus},
		{"ListContacts", testListContacts},
		{"ContactMessages", testContactMessages},
		{"ContactMessageCounts", testContactMessageCounts},
		{"DeleteContact", testDeleteContact},
		{"DeleteOldestContactMessages", testDeleteOldestContactMessages},
		{"MessageAssignees", testMessageAssignees},
		{"ContactCount", testContactCount},
		{"TeamAndTagCounts", testTeamAndTagCounts},
		{"ContactPagesFarIn", testContactPagesFarIn},
		{"ResourcesInTx", testResourcesInTx},
		{"Webhooks", testWebhooks},
		{"WebhookEvents", testWebhookEvents},
		{"WebhookEventLog", testWebhookEventLog},
		{"WebhookEventBatches", testWebhookEventBatches},
		{"QueuedWebhookEvents", testQueuedWebhookEvents},
		{"WebhookAttempts", testWebhookAttempts},
		{"WebhookEventLogPages", testWebhookEventLogPages},
		{"Overview", testOverview},
		{"ContactByConversation", testContactByConversation},
		{"MessageLog", testMessageLog},
		{"SearchMessages", testSearchMessages},
		{"SearchContacts", testSearchContacts},
		{"SearchInTx", testSearchInTx},
		{"ChatChanges", testChatChanges},
		{"ChatChangesCommitOrder", testChatChangesCommitOrder},
		{"PruneChatChanges", testPruneChatChanges},
		{"ChatPresence", testChatPresence},
		{"Inbox", testInbox},
		{"InboxUnread", testInboxUnread},
		{"LastMessages", testLastMessages},
		{"ReadMarks", testReadMarks},
		{"ConversationHistory", testConversationHistory},
		{"NotFound", testNotFound},
		{"Conflicts", testConflicts},
		{"InvalidText", testInvalidText},
		{"InTxCommit", testInTxCommit},
		{"InTxRollback", testInTxRollback},
		{"ConcurrentWrites", testConcurrentWrites},
		{"Ready", testReady},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			// A guard against a hang, not a measure: under the race
			// detector on a busy machine, a case that writes thousands of
			// rows has taken more than 45 s.
			ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
			t.Cleanup(cancel)
			tc.fn(t, &env{t: t, ctx: ctx, s: open(t)})
		})
	}
}

// env is one subtest's store with helpers to fill it.
type env struct {
	t   *testing.T
	ctx context.Context
	s   carillon.Store
}

func (e *env) must(err error, what string) {
	e.t.Helper()
	if err != nil {
		e.t.Fatalf("%s: %v", what, err)
	}
}

func (e *env) account(name string) carillon.Account {
	e.t.Helper()
	a := carillon.Account{UUID: carillon.NewUUID(), Name: name, CreatedAt: base}
	e.must(e.s.CreateAccount(e.ctx, &a), "CreateAccount")
	return a
}

// fixture is one account with a channel, a contact and a message.
type fixture struct {
	acct    carillon.Account
	channel carillon.Channel
	contact carillon.Contact
	message carillon.Message
}

func (e *env) fixture(name string) fixture {
	e.t.Helper()
	var f fixture
	f.acct = e.account(name)
	f.channel = e.channel(f.acct.ID, carillon.WhatsApp, true)
	f.contact = e.contact(f.channel, "5491100000001")
	f.message = e.message(f.contact, carillon.SendQueued, "inst")
	return f
}

// Comparison helpers.

// check reports got ≠ want, naming the fields that differ.
// lookup is one way of reading back what a test wrote.
type lookup[T any] struct {
	name string
	get  func() (T, error)
}

// checkLookups checks that every lookup reads back want.
func checkLookups[T any](t *testing.T, want T, lookups ...lookup[T]) {
	t.Helper()
	for _, l := range lookups {
		got, err := l.get()
		if err != nil {
			t.Errorf("%s: %v", l.name, err)
			continue
		}
		check(t, l.name, got, want)
	}
}

func check(t *testing.T, what string, got, want any) {
	t.Helper()
	if d := diff(got, want); d != "" {
		t.Errorf("%s differs (got ≠ want):%s", what, d)
	}
}

func diff(got, want any) string {
	if reflect.DeepEqual(got, want) {
		return ""
	}
	g, w := reflect.ValueOf(got), reflect.ValueOf(want)
	if g.Kind() == reflect.Struct && g.Type() == w.Type() {
		var b strings.Builder
		for i := range g.NumField() {
			gf, wf := g.Field(i).Interface(), w.Field(i).Interface()
			if !reflect.DeepEqual(gf, wf) {
				fmt.Fprintf(&b, "\n\t%s: %s ≠ %s", g.Type().Field(i).Name, show(gf), show(wf))
			}
		}
		return b.String()
	}
	if g.Kind() == reflect.Slice && w.Kind() == reflect.Slice && g.Len() == w.Len() {
		var b strings.Builder
		for i := range g.Len() {
			if d := diff(g.Index(i).Interface(), w.Index(i).Interface()); d != "" {
				fmt.Fprintf(&b, "\n\t[%d]: %s", i, strings.ReplaceAll(d, "\n\t", "\n\t\t"))
			}
		}
		return b.String()
	}
	return fmt.Sprintf("\n\t%s ≠ %s", show(got), show(want))
}

func show(v any) string {
	switch v := v.(type) {
	case time.Time:
		if v.IsZero() {
			return "zero time"
		}
		return v.Format("2006-01-02T15:04:05.000000000 MST") + " (" + v.Location().String() + ")"
	case json.RawMessage:
		if v == nil {
			return "nil RawMessage"
		}
		return fmt.Sprintf("RawMessage(%q)", string(v))
	}
	return fmt.Sprintf("%#v", v)
}

// wantErr fails unless err is target.
func wantErr(t *testing.T, what string, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Errorf("%s: error %v, want %v", what, err, target)
	}
}

func testReady(t *testing.T, e *env) {
	if err := e.s.Ready(e.ctx); err != nil {
		t.Fatalf("Ready on a fresh store: %v", err)
	}
	e.account("a")
	if err := e.s.Ready(e.ctx); err != nil {
		t.Fatalf("Ready: %v", err)
	}
}

// wantNotFound fails unless each call returns ErrNotFound.
func wantNotFound(t *testing.T, cases map[string]func() error) {
	t.Helper()
	for name, call := range cases {
		wantErr(t, name, call(), carillon.ErrNotFound)
	}
}

// Paged lists.

// whole reads a paged list in one page of 100 rows, enough for the lists
// of these tests, checks that its total counts them, and returns them.
func whole[T any](t *testing.T, what string, list func(carillon.Page) ([]T, int, error)) []T {
	t.Helper()
	got, n, err := list(carillon.Page{Number: 1, Size: 100})
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	if n != len(got) {
		t.Errorf("%s: total %d for %d rows", what, n, len(got))
	}
	return got
}

// checkPages checks a paged list against want, the whole list in its
// order: every page of 2 rows, from the first to one past the last, holds
// the rows of want it should (a middle page, a last page cut short, an
// empty page past the end), so do a page of 3 and a page of 100, pages
// whose offset would not fit in 64 bits are past the end too (never page
// 1 again, never a negative OFFSET), and every page counts len(want) in
// all.
func checkPages[T any](t *testing.T, what string, want []T, list func(carillon.Page) ([]T, int, error)) {
	t.Helper()
	pages := []carillon.Page{{Number: 1, Size: 100}, {Number: 2, Size: 3}, {Number: 2, Size: 100},
		{Number: 1<<62 + 1, Size: 2}, {Number: math.MaxInt, Size: 100}}
	for n := 1; n <= (len(want)+1)/2+1; n++ {
		pages = append(pages, carillon.Page{Number: n, Size: 2})
	}
	for _, p := range pages {
		got, total, err := list(p)
		name := fmt.Sprintf("%s, page %d of %d", what, p.Number, p.Size)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		from := min(p.Offset(), len(want))
		page := want[from:min(from+p.Size, len(want))]
		if len(got) != 0 || len(page) != 0 {
			check(t, name, got, page)
		}
		if total != len(want) {
			t.Errorf("%s: total %d, want %d", name, total, len(want))
		}
	}
}
