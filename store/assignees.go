package store

import (
	"context"
	"errors"
	"math"

	"github.com/carillon/carillon"
)

// Each message keeps its contact's assignee (migration 0016), for a
// restricted agent's message log. Rewriting them all in the transaction
// that assigns the contact held SQLite's one writer, which every send
// waits for, about 0.1 ms a message: 0.44 to 0.55 s for a contact of 5,000
// messages (docs/benchmarks.md). So an assignment rewrites the newest
// assigneeRewriteNow messages at once, and queues the contact
// (message_assignee_queue, 0028) for the older ones, which
// RewriteQueuedMessageAssignees rewrites a part at a time. Until then the
// message log checks each entry's contact (MessageLog): a message not
// rewritten yet is never shown to its former assignee, only missing from
// its new one's log for a while.

// assigneeRewriteNow is how many of a contact's newest messages its
// assignment rewrites itself: the head of the new assignee's log. A
// variable for the store's tests.
var assigneeRewriteNow = 50

// followAssignee rewrites the assignee of c's newest messages, and queues
// c for the others when it has more.
func (q *queries) followAssignee(ctx context.Context, c *carillon.Contact) error {
	bound, err := q.nthNewestMessage(ctx, c.AccountID, c.ID, math.MaxInt64, assigneeRewriteNow)
	if err != nil {
		return err
	}
	if _, err := q.exec(ctx, "UPDATE messages SET assigned_user_id = ? WHERE contact_id = ? AND account_id = ? AND id >= ?",
		c.AssignedUserID, c.ID, c.AccountID, bound); err != nil {
		return err
	}
	if bound == 0 {
		// Every message rewritten: whatever an earlier assignment left
		// queued is done.
		_, err := q.exec(ctx, "DELETE FROM message_assignee_queue WHERE contact_id = ?", c.ID)
		return err
	}
	_, err = q.exec(ctx, `INSERT INTO message_assignee_queue (contact_id, account_id, below_id, generation) VALUES (?, ?, ?, 1)
		ON CONFLICT (contact_id) DO UPDATE SET below_id = excluded.below_id, generation = message_assignee_queue.generation + 1`,
		c.ID, c.AccountID, bound)
	return err
}

// nthNewestMessage returns the id of the contact's n-th newest message of
// those with an id below below, read from the index messages_contact
// (contact_id, account_id, id); 0 when there are fewer.
func (q *queries) nthNewestMessage(ctx context.Context, accountID, contactID, below int64, n int) (int64, error) {
	var id int64
	err := q.queryRow(ctx, "SELECT id FROM messages WHERE contact_id = ? AND account_id = ? AND id < ? ORDER BY id DESC LIMIT 1 OFFSET ?",
		contactID, accountID, below, n-1).Scan(&id)
	if errors.Is(err, carillon.ErrNotFound) {
		return 0, nil
	}
	return id, err
}

func (q *queries) RewriteQueuedMessageAssignees(ctx context.Context, limit int) (bool, error) {
	made := false
	err := q.atomic(ctx, func(q *queries) error {
		var contactID, accountID, below, generation int64
		err := q.queryRow(ctx, "SELECT contact_id, account_id, below_id, generation FROM message_assignee_queue ORDER BY contact_id LIMIT 1").
			Scan(&contactID, &accountID, &below, &generation)
		if errors.Is(err, carillon.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		made = true
		// The part: the limit messages below the place, newest first;
		// the last part when fewer are left.
		lower, err := q.nthNewestMessage(ctx, accountID, contactID, below, limit)
		if err != nil {
			return err
		}
		// The contact's assignee as it is now, whatever assignment
		// queued it.
		if _, err := q.exec(ctx, `UPDATE messages SET assigned_user_id = COALESCE((SELECT assigned_user_id FROM contacts WHERE id = ?), 0)
			WHERE contact_id = ? AND account_id = ? AND id < ? AND id >= ?`, contactID, contactID, accountID, below, lower); err != nil {
			return err
		}
		// The place moves, or the contact leaves the queue, only if no
		// other part moved it (another instance) and no assignment came
		// since (which set a place of its own).
		if lower == 0 {
			_, err = q.exec(ctx, "DELETE FROM message_assignee_queue WHERE contact_id = ? AND below_id = ? AND generation = ?",
				contactID, below, generation)
		} else {
			_, err = q.exec(ctx, "UPDATE message_assignee_queue SET below_id = ? WHERE contact_id = ? AND below_id = ? AND generation = ?",
				lower, contactID, below, generation)
		}
		return err
	})
	return made, err
}
