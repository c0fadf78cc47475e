package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/carillon/carillon"
)

// The delivery log as the console reads it: each event's attempts, and the
// events of a webhook by keyset.

const webhookAttemptCols = `id, event_id, number, attempted_at, duration_us, request_headers, success,
	response_code, response_headers, response_body, error`

func scanWebhookAttempt(r interface{ Scan(...any) error }) (carillon.WebhookAttempt, error) {
	var a carillon.WebhookAttempt
	var attempted, duration, success int64
	var request, response string
	if err := r.Scan(&a.ID, &a.EventID, &a.Number, &attempted, &duration, &request, &success,
		&a.Response.Code, &response, &a.Response.Body, &a.Error); err != nil {
		return a, err
	}
	a.At, a.Duration, a.Success = at(attempted), time.Duration(duration)*time.Microsecond, success != 0
	if err := unmarshalHeaders(request, &a.RequestHeaders); err != nil {
		return a, fmt.Errorf("store: webhook attempt request headers: %w", err)
	}
	if err := unmarshalHeaders(response, &a.Response.Headers); err != nil {
		return a, fmt.Errorf("store: webhook attempt response headers: %w", err)
	}
	return a, nil
}

func unmarshalHeaders(s string, h *map[string]string) error {
	if s == "" {
		return nil
	}
	return json.Unmarshal([]byte(s), h)
}

// attemptChunk bounds the rows of one INSERT: 11 arguments each, well
// within both databases' limits, and few distinct statements prepared.
const attemptChunk = 64

func (q *queries) AddWebhookAttempts(ctx context.Context, attempts []carillon.WebhookAttempt) error {
	if err := q.writeHeldEvents(ctx); err != nil {
		return err
	}
	for len(attempts) > 0 {
		n := min(len(attempts), attemptChunk)
		if err := q.addWebhookAttempts(ctx, attempts[:n]); err != nil {
			return err
		}
		attempts = attempts[n:]
	}
	return nil
}

// addWebhookAttempts inserts the attempts with one multi-row INSERT: they
// are recorded on the delivery's hot path, a batch at a time.
func (q *queries) addWebhookAttempts(ctx context.Context, attempts []carillon.WebhookAttempt) error {
	const row = "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
	args := make([]any, 0, 10*len(attempts))
	for _, a := range attempts {
		request, err := responseHeaders(a.RequestHeaders)
		if err != nil {
			return err
		}
		response, err := responseHeaders(a.Response.Headers)
		if err != nil {
			return err
		}
		args = append(args, a.EventID, a.Number, ms(a.At), a.Duration.Microseconds(), request, boolInt(a.Success),
			a.Response.Code, response, a.Response.Body, a.Error)
	}
	_, err := q.exec(ctx, `INSERT INTO webhook_attempts (event_id, number, attempted_at, duration_us, request_headers, success,
		response_code, response_headers, response_body, error) VALUES `+row+strings.Repeat(", "+row, len(attempts)-1), args...)
	return err
}

func (q *queries) WebhookAttempts(ctx context.Context, eventID int64) ([]carillon.WebhookAttempt, error) {
	if err := q.writeHeldEvents(ctx); err != nil {
		return nil, err
	}
	return list(q, ctx, scanWebhookAttempt, "SELECT "+webhookAttemptCols+" FROM webhook_attempts WHERE event_id = ? ORDER BY id", eventID)
}

// WebhookEventLog reads a page of the delivery log from the index that
// holds its events in id order (migrations 0011 and 0016):
//
//   - one event name: webhook_events_event (webhook_id, event, id), that
//     event's entries alone, however rare it is;
//   - a state: webhook_events_state (webhook_id, state, id);
//   - a period with both ends (and no other filter): its entries in
//     webhook_events_created (webhook_id, created_at, id), read from the
//     index alone and sorted by id, then the page's rows, so that a
//     period long past is not reached through the entries of every newer
//     event; a page reads as many entries as the period holds;
//   - else webhook_events_log (webhook_id, id, event, created_at), walked
//     from the cursor down, the names and times checked on its entries.
//
// The columns that must not choose the index are written as expressions
// (+e.created_at, e.id + 0), which no index serves: SQLite has no
// statistics to choose by, and PostgreSQL, planning a prepared statement
// once for every value, may keep a plan that walks the whole log for a
// name none of its events has (measured in docs/benchmarks.md).
func (q *queries) WebhookEventLog(ctx context.Context, webhookID int64, f carillon.WebhookLogFilter) ([]carillon.WebhookEvent, error) {
	if err := q.writeHeldEvents(ctx); err != nil {
		return nil, err
	}
	where := []string{"e.webhook_id = ?"}
	args := []any{webhookID}
	switch len(f.Events) {
	case 0:
	case 1:
		where = append(where, "e.event = ?")
		args = append(args, f.Events[0])
	default:
		where = append(where, "e.event IN ("+placeholders(len(f.Events))+")")
		for _, e := range f.Events {
			args = append(args, e)
		}
	}
	if f.State != "" {
		where = append(where, "e.state = ?")
		args = append(args, string(f.State))
	}
	if f.Success != nil {
		where = append(where, "e.attempts > 0", "e.success = ?")
		args = append(args, boolInt(*f.Success))
	}
	period := !f.From.IsZero() && !f.To.IsZero() && len(f.Events) == 0 && f.State == "" && f.Success == nil
	created, id := "+e.created_at", "e.id"
	if period {
		created, id = "e.created_at", "e.id + 0"
	}
	if !f.From.IsZero() {
		where = append(where, created+" >= ?")
		args = append(args, ms(f.From))
	}
	if !f.To.IsZero() {
		where = append(where, created+" < ?")
		args = append(args, ms(f.To))
	}
	if f.Before != 0 {
		where = append(where, "e.id < ?")
		args = append(args, f.Before)
	}
	if f.After != 0 {
		where = append(where, "e.id > ?")
		args = append(args, f.After)
	}
	dir := " DESC"
	if f.OldestFirst {
		dir = ""
	}
	page := "SELECT e.* FROM webhook_events e WHERE " + strings.Join(where, " AND ") + " ORDER BY " + id + dir + " LIMIT ?"
	if period {
		// The page's ids from the index alone, then their rows.
		page = "SELECT e.* FROM webhook_events e WHERE e.id IN (SELECT e.id FROM webhook_events e WHERE " +
			strings.Join(where, " AND ") + " ORDER BY " + id + dir + " LIMIT ?)"
	}
	return list(q, ctx, scanWebhookEvent, "SELECT "+webhookEventCols+" FROM "+pageWithBodies(page)+" ORDER BY e.id"+dir,
		append(args, f.Limit)...)
}

// pageWithBodies joins the events of page, a SELECT of webhook_events e
// with its LIMIT, to their bodies: the page is read first, then a body
// per event. Joined before the LIMIT, PostgreSQL may merge the two tables
// in id order and read every body above a page's cursor (measured: 50,000
// of them for a page half way down a log of 100,000 events).
func pageWithBodies(page string) string {
	return "(" + page + ") e JOIN webhook_event_bodies b ON b.event_id = e.id"
}
