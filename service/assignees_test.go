package service_test

import (
	"context"
	"testing"
	"time"

	"github.com/carillon/carillon"
	"github.com/carillon/carillon/service"
)

// TestOlderMessagesFollowTheAssignee: assigning a contact of 120 messages
// gives its newest 50 their new assignee at once (a restricted agent's
// log shows them), and FollowAssignees the older ones soon after.
func TestOlderMessagesFollowTheAssignee(t *testing.T) {
	t.Parallel()
	f := setup(t)
	ctx := context.Background()
	agent := carillon.User{UUID: carillon.NewUUID(), AccountID: f.p.Account.ID, Email: "agent@example.com", Name: "Agent",
		Role: carillon.RoleAgent, CreatedAt: time.UnixMilli(1000)}
	if err := f.db.CreateUser(ctx, &agent); err != nil {
		t.Fatal(err)
	}
	v, err := f.svc.Contacts.CreateContact(ctx, f.p, service.ContactInput{Identifier: "+31 6 1234 5678", Source: "whatsapp", Name: "Kim"})
	if err != nil {
		t.Fatal(err)
	}
	c := storeHistory(t, f.db, f.p.Account.ID, v.UUID, 120)
	inLog := func() int {
		t.Helper()
		msgs, err := f.db.MessageLog(ctx, carillon.MessageLogFilter{AccountID: c.AccountID, AssignedUserID: agent.ID}, carillon.MessageLogCursor{}, 1000)
		if err != nil {
			t.Fatal(err)
		}
		return len(msgs)
	}
	if _, err := f.svc.Contacts.UpdateContact(ctx, f.p, v.UUID, service.ContactUpdate{AssignedUser: &agent.Email}); err != nil {
		t.Fatal(err)
	}
	if n := inLog(); n != 50 {
		t.Errorf("the agent's log right after the assignment holds %d messages, want the newest 50", n)
	}
	loop, stop := context.WithCancel(ctx)
	defer stop()
	go f.svc.FollowAssignees(loop)
	for deadline := time.Now().Add(10 * time.Second); inLog() != 120; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the agent's log holds %d messages 10 s after the assignment, want all 120", inLog())
		}
	}
}
