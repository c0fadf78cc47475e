package store

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/carillon/carillon"
)

// Webhooks and their events: the delivery log, the per-subject order and
// the leases that let instances deliver side by side.

// sealSecret encrypts a webhook secret like channel settings; "" stays "".
func (q *queries) sealSecret(secret string) (string, error) {
	if secret == "" {
		return "", nil
	}
	return q.seal([]byte(secret), "webhook secret")
}

func (q *queries) openSecret(sealed string) (string, error) {
	if sealed == "" {
		return "", nil
	}
	plain, err := q.open(sealed, "webhook secret")
	return string(plain), err
}

const webhookCols = `id, account_id, url, subscriptions, secret, previous_secret, previous_secret_until, enabled,
	last_success_at, last_check_at, created_at, updated_at`

func (q *queries) scanWebhook(r interface{ Scan(...any) error }) (carillon.Webhook, error) {
	var w carillon.Webhook
	var subs, secret, previous string
	var until, enabled, success, check, created, updated int64
	if err := r.Scan(&w.ID, &w.AccountID, &w.URL, &subs, &secret, &previous, &until, &enabled,
		&success, &check, &created, &updated); err != nil {
		return w, err
	}
	if err := json.Unmarshal([]byte(subs), &w.Subscriptions); err != nil {
		return w, fmt.Errorf("store: webhook subscriptions: %w", err)
	}
	var err error
	if w.Secret, err = q.openSecret(secret); err != nil {
		return w, err
	}
	if w.PreviousSecret, err = q.openSecret(previous); err != nil {
		return w, err
	}
	w.PreviousSecretUntil, w.Enabled = at(until), enabled != 0
	w.LastSuccessAt, w.LastCheckAt, w.CreatedAt, w.UpdatedAt = at(success), at(check), at(created), at(updated)
	return w, nil
}

func (q *queries) WebhookByAccount(ctx context.Context, accountID int64) (carillon.Webhook, error) {
	return q.scanWebhook(q.queryRow(ctx, "SELECT "+webhookCols+" FROM webhooks WHERE account_id = ?", accountID))
}

func (q *queries) ListWebhooks(ctx context.Context) ([]carillon.Webhook, error) {
	return list(q, ctx, q.scanWebhook, "SELECT "+webhookCols+" FROM webhooks ORDER BY id")
}

func (q *queries) SaveWebhook(ctx context.Context, w *carillon.Webhook) error {
	subs, err := json.Marshal(w.Subscriptions)
	if err != nil {
		return err
	}
	secret, err := q.sealSecret(w.Secret)
	if err != nil {
		return err
	}
	previous, err := q.sealSecret(w.PreviousSecret)
	if err != nil {
		return err
	}
	return q.insertRow(ctx, `INSERT INTO webhooks (account_id, url, subscriptions, secret, previous_secret, previous_secret_until,
		enabled, last_success_at, last_check_at, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (account_id) DO UPDATE SET url = excluded.url, subscriptions = excluded.subscriptions,
		secret = excluded.secret, previous_secret = excluded.previous_secret, previous_secret_until = excluded.previous_secret_until,
		enabled = excluded.enabled, last_success_at = excluded.last_success_at, last_check_at = excluded.last_check_at,
		created_at = excluded.created_at, updated_at = excluded.updated_at
		RETURNING id`,
		w.AccountID, w.URL, string(subs), secret, previous, ms(w.PreviousSecretUntil), boolInt(w.Enabled),
		ms(w.LastSuccessAt), ms(w.LastCheckAt), ms(w.CreatedAt), ms(w.UpdatedAt)).Scan(&w.ID)
}

// webhookDeleteChunk bounds the events one transaction of DeleteWebhook
// deletes before the last. The delivery log is kept as long as its
// webhook: deleting 232,000 events with their bodies and attempts in one
// transaction held SQLite's one writer, which every send waits for, 5.0
// to 5.3 s (docs/benchmarks.md). A variable for the store's tests.
var webhookDeleteChunk = 500

// DeleteWebhook deletes the webhook's events as they stood when it began,
// oldest first, a chunk a transaction: the delivered, the given up, then
// the pending; then, in one transaction, the webhook with the events left
// (those recorded meanwhile, and any the chunks did not meet). Stopped
// between the two, the webhook is still there without its oldest events.
// Inside a transaction, the chunks are its statements.
func (q *queries) DeleteWebhook(ctx context.Context, accountID int64) error {
	var webhookID, last int64
	if err := q.queryRow(ctx, "SELECT id FROM webhooks WHERE account_id = ?", accountID).Scan(&webhookID); err != nil {
		return err
	}
	if err := q.queryRow(ctx, "SELECT COALESCE(MAX(id), 0) FROM webhook_events WHERE webhook_id = ?", webhookID).Scan(&last); err != nil {
		return err
	}
	for _, state := range []carillon.WebhookEventState{carillon.EventDelivered, carillon.EventGivenUp, carillon.EventPending} {
		for {
			var n int64
			err := q.atomic(ctx, func(q *queries) (err error) {
				n, err = q.deleteWebhookEventsChunk(ctx, webhookID, state, last, math.MaxInt64)
				return err
			})
			if err != nil {
				return err
			}
			if n < int64(webhookDeleteChunk) {
				break
			}
		}
	}
	return q.atomic(ctx, func(q *queries) error {
		if err := q.writeHeldEvents(ctx); err != nil {
			return err
		}
		for _, stmt := range []string{
			"DELETE FROM webhook_event_bodies WHERE event_id IN (SELECT e.id FROM webhook_events e JOIN webhooks w ON w.id = e.webhook_id WHERE w.account_id = ?)",
			"DELETE FROM webhook_events WHERE webhook_id IN (SELECT id FROM webhooks WHERE account_id = ?)",
		} {
			if _, err := q.exec(ctx, stmt, accountID); err != nil {
				return err
			}
		}
		return affected(q.exec(ctx, "DELETE FROM webhooks WHERE account_id = ?", accountID))
	})
}

// DeleteWebhookEventsBefore deletes one chunk of an unsubscription's size
// (webhookDeleteChunk, in a transaction of its own) of the events created
// before before that are delivered or given up: those of the first
// webhook that has any, the delivered then the given up, oldest first.
// The chunk walks the events by state and id (webhook_events_state) up to
// the newest event created before the bound, read from the index by time
// (webhook_events_created): bounded in time alone, the last chunk of each
// state would walk every newer event of that state. An event dated before
// the bound but written after that newest one (ids follow commits, times
// the clocks of the instances) waits for a later pass. Pending events
// stay, whatever their age.
func (q *queries) DeleteWebhookEventsBefore(ctx context.Context, before time.Time) (int64, error) {
	webhooks, err := list(q, ctx, scanID, "SELECT id FROM webhooks ORDER BY id")
	if err != nil {
		return 0, err
	}
	for _, webhookID := range webhooks {
		var last int64
		err := q.queryRow(ctx, "SELECT id FROM webhook_events WHERE webhook_id = ? AND created_at < ? ORDER BY created_at DESC, id DESC LIMIT 1",
			webhookID, ms(before)).Scan(&last)
		if errors.Is(err, carillon.ErrNotFound) {
			continue
		}
		if err != nil {
			return 0, err
		}
		for _, state := range []carillon.WebhookEventState{carillon.EventDelivered, carillon.EventGivenUp} {
			var n int64
			err := q.atomic(ctx, func(q *queries) (err error) {
				n, err = q.deleteWebhookEventsChunk(ctx, webhookID, state, last, ms(before))
				return err
			})
			if err != nil || n > 0 {
				return n, err
			}
		}
	}
	return 0, nil
}

// deleteWebhookEventsChunk deletes the oldest webhookDeleteChunk events,
// up to id last and created before createdBefore, of the webhook in
// state, read from the index of its events by state
// (webhook_events_state), with their bodies and attempts (deleted with
// them: ON DELETE CASCADE), and returns how many. The state is checked
// again as each is deleted, as another transaction may have changed it
// meanwhile (PostgreSQL): an event that moved is left to the chunks of its
// new state or to the last transaction. A pending event deleted may be
// the first of its subject, its delivery in flight: the attempt's
// recording skips an event gone (LockWebhookEvents), and the sweep
// releases the next event of the subject (ReleaseOrphanWebhookEvents) if
// the webhook is still there then.
func (q *queries) deleteWebhookEventsChunk(ctx context.Context, webhookID int64, state carillon.WebhookEventState, last, createdBefore int64) (int64, error) {
	return rowsChanged(q.exec(ctx, `DELETE FROM webhook_events WHERE id IN (SELECT id FROM webhook_events
		WHERE webhook_id = ? AND state = ? AND id <= ? AND created_at < ? ORDER BY id LIMIT ?) AND state = ?`,
		webhookID, string(state), last, createdBefore, webhookDeleteChunk, string(state)))
}

func (q *queries) MarkWebhookSuccess(ctx context.Context, id int64, t time.Time) error {
	_, err := q.exec(ctx, "UPDATE webhooks SET last_success_at = ? WHERE id = ? AND last_success_at < ?", ms(t), id, ms(t))
	return err
}

func (q *queries) DisableWebhook(ctx context.Context, id int64, quietSince, t time.Time) (bool, error) {
	return changedRow(q.exec(ctx, "UPDATE webhooks SET enabled = 0, updated_at = ? WHERE id = ? AND enabled = 1 AND last_success_at < ?",
		ms(t), id, ms(quietSince)))
}

func (q *queries) MarkWebhookChecked(ctx context.Context, id int64, prev, t time.Time) (bool, error) {
	return changedRow(q.exec(ctx, "UPDATE webhooks SET last_check_at = ? WHERE id = ? AND last_check_at = ?", ms(t), id, ms(prev)))
}

// Webhook events

// webhookEventCols are the columns scanWebhookEvent reads, the body taken
// from webhook_event_bodies b, joined on e.
// A claimed event's next attempt is its lease's end (migration 0027 keeps
// the lease apart from the time the event came due).
const webhookEventCols = `e.id, e.uuid, e.account_id, e.webhook_id, e.event, e.subject, b.body, e.state, e.attempts,
	CASE WHEN e.lease_until > e.next_attempt_at THEN e.lease_until ELSE e.next_attempt_at END,
	e.first_attempt_at, e.last_attempt_at, e.success, e.response_code, e.response_body, e.response_headers, e.created_at`

const webhookEventsWithBodies = "webhook_events e JOIN webhook_event_bodies b ON b.event_id = e.id"

func scanWebhookEvent(r interface{ Scan(...any) error }) (carillon.WebhookEvent, error) {
	var e carillon.WebhookEvent
	var body, state, headers string
	var next, first, last, success, created int64
	if err := r.Scan(&e.ID, &e.UUID, &e.AccountID, &e.WebhookID, &e.Event, &e.Subject, &body, &state, &e.Attempts, &next,
		&first, &last, &success, &e.Response.Code, &e.Response.Body, &headers, &created); err != nil {
		return e, err
	}
	e.Body, e.State = json.RawMessage(body), carillon.WebhookEventState(state)
	e.NextAttemptAt, e.FirstAttemptAt, e.LastAttemptAt = at(next), at(first), at(last)
	e.Success, e.CreatedAt = success != 0, at(created)
	if headers != "" {
		if err := json.Unmarshal([]byte(headers), &e.Response.Headers); err != nil {
			return e, fmt.Errorf("store: webhook response headers: %w", err)
		}
	}
	return e, nil
}

func responseHeaders(h map[string]string) (string, error) {
	if h == nil {
		return "", nil
	}
	b, err := json.Marshal(h)
	return string(b), err
}

// AddWebhookEvent writes e at once, as it is. What the transaction holds
// is written first, so that ids stay in the order events were recorded.
func (q *queries) AddWebhookEvent(ctx context.Context, e *carillon.WebhookEvent) error {
	if err := q.writeHeldEvents(ctx); err != nil {
		return err
	}
	headers, err := responseHeaders(e.Response.Headers)
	if err != nil {
		return err
	}
	if err := q.insertRow(ctx, `INSERT INTO webhook_events (uuid, account_id, webhook_id, event, subject, state, attempts,
		next_attempt_at, first_attempt_at, last_attempt_at, success, response_code, response_body, response_headers, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		e.UUID, e.AccountID, e.WebhookID, e.Event, e.Subject, string(e.State), e.Attempts,
		ms(e.NextAttemptAt), ms(e.FirstAttemptAt), ms(e.LastAttemptAt), boolInt(e.Success), e.Response.Code, e.Response.Body,
		headers, ms(e.CreatedAt)).Scan(&e.ID); err != nil {
		return err
	}
	_, err = q.exec(ctx, "INSERT INTO webhook_event_bodies (event_id, body) VALUES (?, ?)", e.ID, string(e.Body))
	return err
}

func (q *queries) PendingWebhookEvent(ctx context.Context, webhookID int64, subject string) (bool, error) {
	if err := q.writeHeldEvents(ctx); err != nil {
		return false, err
	}
	// On PostgreSQL, the oldest pending event is locked: a transaction that
	// ends it (and releases the next) then waits for this one to commit, and
	// so sees the event it adds; or this one waits for that one, and sees
	// the event ended. Without the lock, each could miss the other and
	// leave the new event waiting behind nothing. SQLite's single writer
	// serialises the two already.
	var id int64
	err := q.queryRow(ctx, "SELECT id FROM webhook_events WHERE webhook_id = ? AND subject = ? AND state = 'pending' ORDER BY id LIMIT 1"+q.db.dialect.lockRows,
		webhookID, subject).Scan(&id)
	if err == carillon.ErrNotFound {
		return false, nil
	}
	return err == nil, err
}

func (q *queries) ReleaseOrphanWebhookEvents(ctx context.Context, webhookID int64, t time.Time) (int64, error) {
	if err := q.writeHeldEvents(ctx); err != nil {
		return 0, err
	}
	orphans, err := q.orphanWebhookEvents(ctx, webhookID)
	if err != nil {
		return 0, err
	}
	return q.releaseFirstOfSubjects(ctx, orphans, t)
}

// orphanWebhookEvents finds the oldest pending event of each subject, in
// one pass over the subject index, when it waits: a correlated "nothing
// earlier" test per waiting event would cost a probe for each of them. The
// pass is a read, made outside the writer (on SQLite, on a reader): over a
// long backlog it takes a while (0.15 to 0.19 s at 1,000,000 pending
// events), which inside the UPDATE every write waited for
// (docs/benchmarks.md).
func (q *queries) orphanWebhookEvents(ctx context.Context, webhookID int64) ([]int64, error) {
	return list(q, ctx, scanID, `SELECT id FROM webhook_events WHERE id IN (
		SELECT MIN(id) FROM webhook_events WHERE webhook_id = ? AND state = 'pending' GROUP BY subject)
		AND next_attempt_at = 0`, webhookID)
}

// releaseFirstOfSubjects makes due at t those of the events that still
// wait with nothing of their subject pending before them: what the read
// found may have changed since (an earlier event resent, pending again).
func (q *queries) releaseFirstOfSubjects(ctx context.Context, ids []int64, t time.Time) (int64, error) {
	var released int64
	for len(ids) > 0 {
		n := min(len(ids), updateChunk)
		args := []any{ms(t)}
		for _, id := range ids[:n] {
			args = append(args, id)
		}
		k, err := rowsChanged(q.exec(ctx, `UPDATE webhook_events SET next_attempt_at = ? WHERE id IN (`+placeholders(n)+`)
			AND state = 'pending' AND next_attempt_at = 0 AND NOT EXISTS (SELECT 1 FROM webhook_events p
				WHERE p.webhook_id = webhook_events.webhook_id AND p.subject = webhook_events.subject AND p.state = 'pending' AND p.id < webhook_events.id)`, args...))
		released += k
		if err != nil {
			return released, err
		}
		ids = ids[n:]
	}
	return released, nil
}

// dueWebhookEvents selects the ids of a webhook's events due at a time
// (the second and third arguments) and under no lease then, oldest due
// first, up to a limit: through webhook_events_due, from its entries alone
// on SQLite (TestQueuePlans).
const dueWebhookEvents = `SELECT id FROM webhook_events WHERE webhook_id = ? AND state = 'pending' AND next_attempt_at > 0
		AND next_attempt_at <= ? AND lease_until <= ? ORDER BY next_attempt_at, id LIMIT ?`

func (q *queries) ClaimWebhookEvents(ctx context.Context, webhookID int64, now, leaseUntil time.Time, limit int) ([]carillon.WebhookEvent, error) {
	if err := q.writeHeldEvents(ctx); err != nil {
		return nil, err
	}
	// Several instances claim from one PostgreSQL database: SKIP LOCKED
	// lets each take rows the others are not taking. SQLite has one
	// writer, which serialises claims by itself.
	// The lease goes in a column of its own, which no PostgreSQL index
	// holds, so that the row is updated in place (migration 0027); the
	// events under a lease stay at the top of the due index, walked over.
	// SQLite's RETURNING names the updated table only: the bodies are read
	// next, in one query.
	returned := strings.NewReplacer("e.", "", "b.body", "''").Replace(webhookEventCols)
	events, err := listWritten(q, ctx, scanWebhookEvent, `UPDATE webhook_events SET lease_until = ? WHERE id IN (
		`+dueWebhookEvents+q.db.dialect.claimRows+`) RETURNING `+returned,
		ms(leaseUntil), webhookID, ms(now), ms(now), limit)
	if err != nil || len(events) == 0 {
		return events, err
	}
	slices.SortFunc(events, func(a, b carillon.WebhookEvent) int { return cmp.Compare(a.ID, b.ID) })
	args := make([]any, len(events))
	at := make(map[int64]int, len(events))
	for i, e := range events {
		args[i], at[e.ID] = e.ID, i
	}
	rows, err := q.queryOn(ctx, q.db.writer, "SELECT event_id, body FROM webhook_event_bodies WHERE event_id IN ("+
		placeholders(len(events))+")", args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var body string
		if err := rows.Scan(&id, &body); err != nil {
			return nil, err
		}
		events[at[id]].Body = json.RawMessage(body)
	}
	return events, rows.Err()
}

func (q *queries) UnclaimWebhookEvents(ctx context.Context, events []carillon.WebhookEvent, t time.Time) error {
	if err := q.writeHeldEvents(ctx); err != nil {
		return err
	}
	// The events of one claim share its lease: a statement per lease.
	byLease := map[int64][]any{}
	for _, e := range events {
		byLease[ms(e.NextAttemptAt)] = append(byLease[ms(e.NextAttemptAt)], e.ID)
	}
	for lease, ids := range byLease {
		for len(ids) > 0 {
			n := min(len(ids), updateChunk)
			if _, err := q.exec(ctx, "UPDATE webhook_events SET next_attempt_at = ?, lease_until = 0 WHERE state = 'pending' AND lease_until = ? AND id IN ("+
				placeholders(n)+")", append([]any{ms(t), lease}, ids[:n]...)...); err != nil {
				return err
			}
			ids = ids[n:]
		}
	}
	return nil
}

func (q *queries) LockWebhookEvents(ctx context.Context, ids []int64) ([]int64, error) {
	if err := q.writeHeldEvents(ctx); err != nil {
		return nil, err
	}
	var held []int64
	ids = slices.Sorted(slices.Values(ids))
	for len(ids) > 0 {
		n := min(len(ids), updateChunk)
		args := make([]any, n)
		for i, id := range ids[:n] {
			args[i] = id
		}
		// On the writer, in id order: the rows are locked for its
		// transaction (SQLite: read in it).
		in := "SELECT id FROM webhook_events WHERE id IN (" + placeholders(n) + ") ORDER BY id"
		locked, err := listWritten(q, ctx, scanID, in+q.db.dialect.claimRows, args...)
		if err != nil {
			return nil, err
		}
		if len(locked) < n {
			// Skipped, or gone (a webhook deleted meanwhile): those that
			// exist are held.
			exist, err := listWritten(q, ctx, scanID, in, args...)
			if err != nil {
				return nil, err
			}
			for _, id := range exist {
				if !slices.Contains(locked, id) {
					held = append(held, id)
				}
			}
		}
		ids = ids[n:]
	}
	return held, nil
}

// updateChunk bounds the rows of one batched statement, and so the number of
// distinct statements prepared for batches of every size.
const updateChunk = 64

func (q *queries) UpdateWebhookEvents(ctx context.Context, events []carillon.WebhookEvent) error {
	if err := q.writeHeldEvents(ctx); err != nil {
		return err
	}
	for len(events) > 0 {
		n := min(len(events), updateChunk)
		if err := q.updateWebhookEvents(ctx, events[:n]); err != nil {
			return err
		}
		events = events[n:]
	}
	return nil
}

// updateWebhookEvents updates the events with one UPDATE … FROM (VALUES …),
// a form both SQLite and PostgreSQL take; SQLite names the columns of a
// VALUES list column1, column2…, and PostgreSQL is given those names.
func (q *queries) updateWebhookEvents(ctx context.Context, events []carillon.WebhookEvent) error {
	const row = "(CAST(? AS BIGINT), ?, CAST(? AS BIGINT), CAST(? AS BIGINT), CAST(? AS BIGINT), CAST(? AS BIGINT), CAST(? AS BIGINT), CAST(? AS BIGINT), ?, ?)"
	args := make([]any, 0, 10*len(events))
	for _, e := range events {
		headers, err := responseHeaders(e.Response.Headers)
		if err != nil {
			return err
		}
		args = append(args, e.ID, string(e.State), e.Attempts, ms(e.NextAttemptAt), ms(e.FirstAttemptAt), ms(e.LastAttemptAt),
			boolInt(e.Success), e.Response.Code, e.Response.Body, headers)
	}
	names := q.db.dialect.valuesColumns(10)
	_, err := q.exec(ctx, `UPDATE webhook_events SET state = v.column2, attempts = v.column3, next_attempt_at = v.column4, lease_until = 0,
		first_attempt_at = v.column5, last_attempt_at = v.column6, success = v.column7, response_code = v.column8,
		response_body = v.column9, response_headers = v.column10
		FROM (VALUES `+row+strings.Repeat(", "+row, len(events)-1)+`) AS v`+names+` WHERE webhook_events.id = v.column1
		AND (webhook_events.state <> 'delivered' OR v.column2 = 'delivered')`, args...)
	return err
}

func (q *queries) ReleaseWebhookEvents(ctx context.Context, webhookID int64, subjects []string, t time.Time) error {
	if err := q.writeHeldEvents(ctx); err != nil {
		return err
	}
	for len(subjects) > 0 {
		n := min(len(subjects), updateChunk)
		args := []any{ms(t), webhookID}
		for _, s := range subjects[:n] {
			args = append(args, s)
		}
		names := q.db.dialect.valuesColumns(1)
		// One index seek per subject for its oldest pending event: a
		// GROUP BY would read every pending event of the subjects.
		if _, err := q.exec(ctx, `UPDATE webhook_events SET next_attempt_at = ? WHERE id IN (
			SELECT (SELECT p.id FROM webhook_events p WHERE p.webhook_id = w.id AND p.subject = s.column1 AND p.state = 'pending'
				ORDER BY p.id LIMIT 1)
			FROM (SELECT CAST(? AS BIGINT) AS id) AS w, (VALUES (?)`+strings.Repeat(", (?)", n-1)+`) AS s`+names+`)
			AND next_attempt_at = 0`, args...); err != nil {
			return err
		}
		subjects = subjects[n:]
	}
	return nil
}

func (q *queries) WebhookEventByUUID(ctx context.Context, accountID int64, uuid string) (carillon.WebhookEvent, error) {
	if err := q.writeHeldEvents(ctx); err != nil {
		return carillon.WebhookEvent{}, err
	}
	return scanWebhookEvent(q.queryRow(ctx, "SELECT "+webhookEventCols+" FROM "+webhookEventsWithBodies+" WHERE e.account_id = ? AND e.uuid = ?", accountID, uuid))
}

func (q *queries) ListWebhookEvents(ctx context.Context, webhookID int64, f carillon.WebhookEventFilter, page carillon.Page) ([]carillon.WebhookEvent, int, error) {
	if err := q.writeHeldEvents(ctx); err != nil {
		return nil, 0, err
	}
	where := []string{"e.webhook_id = ?", "e.attempts > 0"}
	args := []any{webhookID}
	if f.Success != nil {
		where = append(where, "e.success = ?")
		args = append(args, boolInt(*f.Success))
	}
	if len(f.Events) > 0 {
		where = append(where, "e.event IN ("+placeholders(len(f.Events))+")")
		for _, e := range f.Events {
			args = append(args, e)
		}
	}
	cond := strings.Join(where, " AND ")
	return listPage(q, ctx, scanWebhookEvent, "SELECT "+webhookEventCols+" FROM "+webhookEventsWithBodies+" WHERE "+cond+
		" ORDER BY e.created_at DESC, e.id DESC", "SELECT COUNT(*) FROM webhook_events e WHERE "+cond, page, args...)
}

func (q *queries) CountPendingWebhookEvents(ctx context.Context) (int64, error) {
	if err := q.writeHeldEvents(ctx); err != nil {
		return 0, err
	}
	var n int64
	err := q.queryRow(ctx, "SELECT COUNT(*) FROM webhook_events WHERE state = 'pending'").Scan(&n)
	return n, err
}
