package service_test

import (
	"context"
	"strings"
	"testing"

	"github.com/carillon/carillon"
	"github.com/carillon/carillon/service"
)

// logUUIDs lists the uuids of a page of the log, in order.
func logUUIDs(l service.MessageLog) []string {
	var out []string
	for _, m := range l.Messages {
		out = append(out, m.UUID)
	}
	return out
}

// TestMessageLogViewers reads the log as each role: the account's
// messages, or only those of the contacts assigned to a restricted agent;
// a role the rule does not know sees nothing.
func TestMessageLogViewers(t *testing.T) {
	t.Parallel()
	f := setup(t)
	ctx := context.Background()
	agent := carillon.User{UUID: carillon.NewUUID(), AccountID: f.p.Account.ID, Email: "ada@example.com", Name: "Ada"}
	if err := f.db.CreateUser(ctx, &agent); err != nil {
		t.Fatal(err)
	}
	assigned := text("+31612345678", "for Ada")
	assigned.AssignedUser = agent.Email
	mine, err := f.svc.Messages.Send(ctx, f.p, assigned)
	if err != nil {
		t.Fatal(err)
	}
	others, err := f.svc.Messages.Send(ctx, f.p, text("+31687654321", "for someone else"))
	if err != nil {
		t.Fatal(err)
	}
	everything := []string{others.Message.UUID, mine.Message.UUID}
	cases := []struct {
		viewer service.Viewer
		want   []string
	}{
		{service.Viewer{UserID: 99, Role: "admin"}, everything},
		{service.Viewer{UserID: 99, Role: "settings_agent"}, everything},
		{service.Viewer{UserID: 99, Role: "agent"}, everything},
		{service.Viewer{UserID: agent.ID, Role: "restricted_agent"}, []string{mine.Message.UUID}},
		{service.Viewer{UserID: agent.ID + 1, Role: "restricted_agent"}, nil},
	}
	for _, tc := range cases {
		l, err := f.svc.Messages.MessageLog(ctx, f.p, tc.viewer, service.MessageQuery{})
		if err != nil {
			t.Fatalf("%+v: %v", tc.viewer, err)
		}
		if got := logUUIDs(l); strings.Join(got, ",") != strings.Join(tc.want, ",") {
			t.Errorf("%+v sees %v, want %v", tc.viewer, got, tc.want)
		}
		// The message page follows the same rule.
		for _, id := range everything {
			_, err := f.svc.Messages.Message(ctx, f.p, tc.viewer, id)
			visible := strings.Contains(strings.Join(tc.want, ","), id)
			if visible && err != nil {
				t.Errorf("%+v reading %s: %v", tc.viewer, id, err)
			}
			if !visible {
				wantCode(t, err, carillon.CodeNotFound, "")
			}
		}
	}
	for _, v := range []service.Viewer{{UserID: 1, Role: "owner"}, {Role: "restricted_agent"}, {}} {
		_, err := f.svc.Messages.MessageLog(ctx, f.p, v, service.MessageQuery{})
		wantCode(t, err, carillon.CodeNotFound, "")
		_, err = f.svc.Messages.Message(ctx, f.p, v, mine.Message.UUID)
		wantCode(t, err, carillon.CodeNotFound, "")
	}
}

// TestMessageLogQuery reads the filters as people write them, and names
// the field of one that cannot be read.
func TestMessageLogQuery(t *testing.T) {
	t.Parallel()
	f := setup(t)
	ctx := context.Background()
	admin := service.Viewer{UserID: 1, Role: "admin"}
	out, err := f.svc.Messages.Send(ctx, f.p, text("+31612345678", "out"))
	if err != nil {
		t.Fatal(err)
	}
	in, err := f.svc.Messages.SandboxInbound(ctx, f.p, "+31 6 8765 4321", "in", "")
	if err != nil {
		t.Fatal(err)
	}
	good := []struct {
		q    service.MessageQuery
		want []string
	}{
		{service.MessageQuery{}, []string{in.UUID, out.Message.UUID}},
		{service.MessageQuery{Direction: "in"}, []string{in.UUID}},
		{service.MessageQuery{Direction: "out"}, []string{out.Message.UUID}},
		{service.MessageQuery{Status: "enqueued"}, []string{out.Message.UUID}},
		{service.MessageQuery{Status: "failed"}, nil},
		{service.MessageQuery{Channel: f.sandbox.UUID}, []string{in.UUID, out.Message.UUID}},
		// A number in any form people write one.
		{service.MessageQuery{Number: "+31 6 8765 4321"}, []string{in.UUID}},
		{service.MessageQuery{Number: "31687654321"}, []string{in.UUID}},
		{service.MessageQuery{From: "2000-01-01T00:00", To: "2999-01-01T00:00"}, []string{in.UUID, out.Message.UUID}},
		{service.MessageQuery{To: "2000-01-01T00:00:00Z"}, nil},
	}
	for _, tc := range good {
		l, err := f.svc.Messages.MessageLog(ctx, f.p, admin, tc.q)
		if err != nil {
			t.Fatalf("%+v: %v", tc.q, err)
		}
		if got := logUUIDs(l); strings.Join(got, ",") != strings.Join(tc.want, ",") {
			t.Errorf("%+v: %v, want %v", tc.q, got, tc.want)
		}
	}
	bad := []struct {
		q     service.MessageQuery
		field string
	}{
		{service.MessageQuery{Channel: carillon.NewUUID()}, "channel"},
		{service.MessageQuery{Direction: "note"}, "direction"},
		{service.MessageQuery{Status: "lost"}, "status"},
		{service.MessageQuery{Status: "note"}, "status"},
		{service.MessageQuery{From: "yesterday"}, "from"},
		{service.MessageQuery{To: "2026-13-01T00:00"}, "to"},
		{service.MessageQuery{From: "2026-01-02T00:00", To: "2026-01-01T00:00"}, "to"},
		{service.MessageQuery{After: "not a cursor"}, "after"},
		{service.MessageQuery{After: "MTIz"}, "after"}, // "123": no id
	}
	for _, tc := range bad {
		_, err := f.svc.Messages.MessageLog(ctx, f.p, admin, tc.q)
		wantCode(t, err, carillon.CodeInvalidParameter, tc.field)
	}
}

// TestMessageLogPages walks the log a page at a time: every message once,
// newest first, with the filter kept.
func TestMessageLogPages(t *testing.T) {
	t.Parallel()
	f := setup(t)
	ctx := context.Background()
	admin := service.Viewer{UserID: 1, Role: "admin"}
	var sent []string
	for range service.MessageLogPage + 3 {
		m, err := f.svc.Messages.SandboxInbound(ctx, f.p, "+31612345678", "hello", "")
		if err != nil {
			t.Fatal(err)
		}
		sent = append([]string{m.UUID}, sent...)
	}
	q := service.MessageQuery{Direction: "in"}
	var walked []string
	for range 5 {
		l, err := f.svc.Messages.MessageLog(ctx, f.p, admin, q)
		if err != nil {
			t.Fatal(err)
		}
		walked = append(walked, logUUIDs(l)...)
		if l.Next == "" {
			break
		}
		q.After = l.Next
	}
	if strings.Join(walked, ",") != strings.Join(sent, ",") {
		t.Errorf("walked %d messages, want the %d sent, newest first", len(walked), len(sent))
	}
}

// TestMessageTimeline reads a failed message: its timeline from its
// acceptance, the provider's payload, and the failure explained.
func TestMessageTimeline(t *testing.T) {
	t.Parallel()
	f := setup(t)
	ctx := context.Background()
	res, err := f.svc.Messages.Send(ctx, f.p, text("+15550000001", "hi"))
	if err != nil {
		t.Fatal(err)
	}
	m := res.Message
	m.Attempts = 1
	if _, err := f.svc.Messages.RecordOutcome(ctx, m, service.Outcome{Err: &carillon.SendError{Permanent: true, Code: "131026",
		Title: "Message undeliverable", Payload: []byte(`{"errors":[{"code":131026,"title":"Message undeliverable","message":"Not on WhatsApp"}]}`)}}); err != nil {
		t.Fatal(err)
	}
	d, err := f.svc.Messages.Message(ctx, f.p, service.Viewer{UserID: 1, Role: "agent"}, m.UUID)
	if err != nil {
		t.Fatal(err)
	}
	if d.Contact.Address != "15550000001" || d.Channel.UUID != f.sandbox.UUID || d.Status != carillon.StatusFailed {
		t.Errorf("message of %q on %q, %s", d.Contact.Address, d.Channel.UUID, d.Status)
	}
	if len(d.Timeline) != 2 || d.Timeline[0].Status != carillon.StatusEnqueued || d.Timeline[1].Status != carillon.StatusFailed {
		t.Fatalf("timeline %+v, want enqueued then failed", d.Timeline)
	}
	failed := d.Timeline[1]
	if !strings.Contains(failed.Payload, `"code": 131026`) || failed.Failure == nil || d.Failure == nil {
		t.Fatalf("failed step %+v, message's failure %+v", failed, d.Failure)
	}
	want := service.Failure{Code: "131026", Title: "Message undeliverable", Message: "Not on WhatsApp"}
	got := *d.Failure
	if got.Explanation == "" || !strings.Contains(got.Explanation, "not on WhatsApp") {
		t.Errorf("explanation %q does not say the number is not on WhatsApp", got.Explanation)
	}
	got.Explanation = ""
	if got != want {
		t.Errorf("failure %+v, want %+v", got, want)
	}

	// An inbound message starts its timeline received, and has no failure.
	in, err := f.svc.Messages.SandboxInbound(ctx, f.p, "+31612345678", "hello", "")
	if err != nil {
		t.Fatal(err)
	}
	d, err = f.svc.Messages.Message(ctx, f.p, service.Viewer{UserID: 1, Role: "admin"}, in.UUID)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Timeline) != 1 || d.Timeline[0].Status != carillon.StatusReceived || d.Failure != nil || d.Content.Text != "hello" {
		t.Errorf("inbound message: timeline %+v, failure %+v, text %q", d.Timeline, d.Failure, d.Content.Text)
	}
	_, err = f.svc.Messages.Message(ctx, f.p, service.Viewer{UserID: 1, Role: "admin"}, carillon.NewUUID())
	wantCode(t, err, carillon.CodeNotFound, "")
}

// TestSandboxChannels lists the account's sandbox channels and the
// reserved numbers as the sandbox describes them.
func TestSandboxChannels(t *testing.T) {
	t.Parallel()
	f := setup(t)
	sb, err := f.svc.Messages.SandboxChannels(context.Background(), f.p)
	if err != nil {
		t.Fatal(err)
	}
	if len(sb.Channels) != 1 || sb.Channels[0].UUID != f.sandbox.UUID {
		t.Errorf("sandbox channels %+v, want the account's main one", sb.Channels)
	}
	if len(sb.Reserved) == 0 || sb.Reserved[0].Address != "15550000001" || sb.Reserved[0].Behaviour == "" {
		t.Errorf("reserved numbers %+v, want the sandbox's, +15550000001 first", sb.Reserved)
	}
}
