package store

import (
	"context"
	"database/sql"
	"slices"
	"time"

	"github.com/carillon/carillon"
)

// The webhook events a transaction queues are written late, together.
//
// Why: every change a webhook subscribes to adds an event in the change's
// own transaction, and the committer groups the changes of many requests
// in one: a sandbox message's send and its three statuses add four events.
// Written one at a time, each event took three statements (is an earlier
// event of its subject pending? the event; its body). Held until the
// transaction commits, its events take one read per webhook for all their
// subjects, one INSERT of the events and one of their bodies (at most two
// statements for every 64 events, rowsAStatement: each one of a few texts,
// kept prepared, rather than a text of its own for every number of
// events).
//
// What keeps it safe:
//   - The events are written in the order they were queued, in the
//     transaction of the change they describe, before it commits (runTx):
//     their ids, which order the deliveries of a subject, are in that
//     order, and an event commits with its change or not at all.
//   - Whether an event waits behind an earlier one of its subject is
//     decided as it is written: an event queued after another of its
//     subject in the transaction waits; the first of a subject waits when
//     a committed event of the subject is pending. On PostgreSQL the
//     oldest pending event of each subject is locked to the commit, as
//     PendingWebhookEvent locks it.
//   - Every other statement on webhook_events first writes what the
//     transaction holds (writeHeldEvents), so that nothing the transaction
//     reads, updates or deletes misses an event it queued.
//
// Outside a transaction nothing is held: an event is queued in a
// transaction of its own.

func (q *queries) QueueWebhookEvent(ctx context.Context, e *carillon.WebhookEvent) error {
	if q.tx == nil {
		return q.atomic(ctx, func(q *queries) error { return q.QueueWebhookEvent(ctx, e) })
	}
	q.heldEvents = append(q.heldEvents, e)
	return nil
}

// writeHeldEvents writes the events the transaction queued, and sets their
// ids. Every other statement on webhook_events calls it first.
func (q *queries) writeHeldEvents(ctx context.Context) error {
	if q.tx == nil || len(q.heldEvents) == 0 {
		return nil // outside a transaction q is shared: leave it untouched
	}
	held := q.heldEvents
	q.heldEvents = nil
	if err := q.markWaiting(ctx, held); err != nil {
		return err
	}
	for len(held) > 0 {
		n := rowsAStatement(len(held))
		if err := q.insertEvents(ctx, held[:n]); err != nil {
			return err
		}
		held = held[n:]
	}
	return nil
}

type eventSubject struct {
	webhook int64
	subject string
}

// markWaiting makes wait (no next attempt) each event that has an earlier
// pending event of its subject: one queued before it, or, for the first of
// its subject, one committed.
func (q *queries) markWaiting(ctx context.Context, events []*carillon.WebhookEvent) error {
	first := map[eventSubject]*carillon.WebhookEvent{}
	subjects := map[int64][]string{} // by webhook
	var webhooks []int64
	for _, e := range events {
		k := eventSubject{e.WebhookID, e.Subject}
		if _, seen := first[k]; seen {
			e.NextAttemptAt = time.Time{}
			continue
		}
		first[k] = e
		if _, ok := subjects[e.WebhookID]; !ok {
			webhooks = append(webhooks, e.WebhookID)
		}
		subjects[e.WebhookID] = append(subjects[e.WebhookID], e.Subject)
	}
	// In one order, webhook then subject, in every transaction: two that
	// lock the same subjects' events (PostgreSQL) lock them alike.
	slices.Sort(webhooks)
	for _, w := range webhooks {
		list := slices.Sorted(slices.Values(subjects[w]))
		for len(list) > 0 {
			n := rowsAStatement(len(list))
			pending, err := q.pendingSubjects(ctx, w, list[:n])
			if err != nil {
				return err
			}
			for _, s := range pending {
				first[eventSubject{w, s}].NextAttemptAt = time.Time{}
			}
			list = list[n:]
		}
	}
	return nil
}

// pendingSubjects returns those of subjects that have a pending event of
// the webhook, one index seek per subject. On PostgreSQL it locks the
// oldest pending event of each to the commit, for the reason
// PendingWebhookEvent gives, and in the same way: a LIMIT 1 … FOR UPDATE
// per subject, which, when the event it waited for was delivered
// meanwhile, goes on to the next pending one (the one that delivery
// released) instead of finding nothing. The subjects are locked in the
// order given.
func (q *queries) pendingSubjects(ctx context.Context, webhookID int64, subjects []string) ([]string, error) {
	args := make([]any, 0, len(subjects)+1)
	args = append(args, webhookID)
	for _, s := range subjects {
		args = append(args, s)
	}
	names := q.db.dialect.valuesColumns(1)
	rows, err := q.query(ctx, `SELECT s.column1, (SELECT p.id FROM webhook_events p WHERE p.webhook_id = w.id AND p.subject = s.column1 AND p.state = 'pending'
			ORDER BY p.id LIMIT 1`+q.db.dialect.lockRows+`)
		FROM (SELECT CAST(? AS BIGINT) AS id) AS w, (VALUES `+valuesRows("(?)", len(subjects))+`) AS s`+names, args...)
	list, err := scanAll(rows, err, func(r interface{ Scan(...any) error }) (pendingSubject, error) {
		var p pendingSubject
		err := r.Scan(&p.subject, &p.oldest)
		return p, err
	})
	if err != nil {
		return nil, err
	}
	var pending []string
	for _, p := range list {
		if p.oldest.Valid {
			pending = append(pending, p.subject)
		}
	}
	return pending, nil
}

type pendingSubject struct {
	subject string
	oldest  sql.NullInt64
}

// insertEvents writes events and their bodies, and sets their ids. The
// rows of a multi-row INSERT get their ids in the order of its VALUES; the
// ids are matched back by uuid, not by the order RETURNING gives them in.
// The bodies follow with execRowsLater: on PostgreSQL they go with the
// transaction's next batch.
func (q *queries) insertEvents(ctx context.Context, events []*carillon.WebhookEvent) error {
	args := make([]any, 0, 15*len(events))
	byUUID := make(map[string]*carillon.WebhookEvent, len(events))
	for _, e := range events {
		headers, err := responseHeaders(e.Response.Headers)
		if err != nil {
			return err
		}
		args = append(args, e.UUID, e.AccountID, e.WebhookID, e.Event, e.Subject, string(e.State), e.Attempts,
			ms(e.NextAttemptAt), ms(e.FirstAttemptAt), ms(e.LastAttemptAt), boolInt(e.Success), e.Response.Code, e.Response.Body,
			headers, ms(e.CreatedAt))
		byUUID[e.UUID] = e
	}
	rows, err := q.queryOn(ctx, q.db.writer, `INSERT INTO webhook_events (uuid, account_id, webhook_id, event, subject, state, attempts,
		next_attempt_at, first_attempt_at, last_attempt_at, success, response_code, response_body, response_headers, created_at) VALUES `+
		valuesRows("(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", len(events))+" RETURNING id, uuid", args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var uuid string
		if err := rows.Scan(&id, &uuid); err != nil {
			return err
		}
		if e := byUUID[uuid]; e != nil {
			e.ID = id
		}
	}
	// A conflict (a uuid used twice) may surface only here, as the rows
	// are read.
	if err := rows.Err(); err != nil {
		return mapError(err)
	}
	if err := rows.Close(); err != nil {
		return mapError(err)
	}
	bodies := make([][]any, len(events))
	for i, e := range events {
		bodies[i] = []any{e.ID, string(e.Body)}
	}
	return q.execRowsLater(ctx, bodies, func(n int) string {
		return "INSERT INTO webhook_event_bodies (event_id, body) VALUES " + valuesRows("(?, ?)", n)
	})
}
