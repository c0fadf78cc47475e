package service

import (
	"context"
	"testing"
	"time"

	"github.com/carillon/carillon"
)

// writesRecorder records which of the store's writes of a message ran.
type writesRecorder struct {
	carillon.Queries
	ran string
}

func (r *writesRecorder) UpdateMessage(context.Context, *carillon.Message) error {
	r.ran = "UpdateMessage"
	return nil
}

func (r *writesRecorder) UpdateMessageStatus(context.Context, *carillon.Message) error {
	r.ran = "UpdateMessageStatus"
	return nil
}

func (r *writesRecorder) EraseMessage(context.Context, *carillon.Message) error {
	r.ran = "EraseMessage"
	return nil
}

// A change of a message's status alone writes only the status; a change
// that moved the rest of its send job too writes all of it, whatever the
// caller asked for, so that nothing it changed is left unwritten.
func TestMessageWrite(t *testing.T) {
	read := carillon.Message{ID: 1, Status: carillon.StatusSent, SendState: carillon.SendDone, ExternalID: "wamid.1",
		Attempts: 1, Owner: "instance-1"}
	for _, tc := range []struct {
		name   string
		w      messageWrite
		change func(m *carillon.Message)
		want   string
	}{
		{"a receipt", writeStatus, func(m *carillon.Message) { m.Status = carillon.StatusRead }, "UpdateMessageStatus"},
		{"a receipt before the send's outcome", writeStatus, func(m *carillon.Message) { m.SendState = carillon.SendDone }, "UpdateMessageStatus"},
		{"a status with a new external id", writeStatus, func(m *carillon.Message) { m.ExternalID = "wamid.2" }, "UpdateMessage"},
		{"a status with another attempt", writeStatus, func(m *carillon.Message) { m.Attempts++ }, "UpdateMessage"},
		{"a status with a next attempt", writeStatus, func(m *carillon.Message) { m.NextAttemptAt = time.Unix(1, 0) }, "UpdateMessage"},
		{"a status with another owner", writeStatus, func(m *carillon.Message) { m.Owner = "instance-2" }, "UpdateMessage"},
		{"a status with an error", writeStatus, func(m *carillon.Message) { m.LastError = "timeout" }, "UpdateMessage"},
		{"a send's outcome", writeSendJob, func(m *carillon.Message) { m.Status = carillon.StatusSent }, "UpdateMessage"},
		{"a deletion", eraseContent, func(m *carillon.Message) { m.Status = carillon.StatusDeleted }, "EraseMessage"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q := &writesRecorder{}
			m := read
			tc.change(&m)
			if err := tc.w.write(context.Background(), q, read, &m); err != nil {
				t.Fatal(err)
			}
			if q.ran != tc.want {
				t.Errorf("wrote with %s, want %s", q.ran, tc.want)
			}
		})
	}
}
