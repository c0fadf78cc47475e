-- The webhook's event attempted last (the home and webhook pages), read
-- from the top of an index instead of sorting every attempted event
-- (store/overview.go). Events not attempted yet (the backlog, written on
-- every message's path) stay out of it.
CREATE INDEX webhook_events_attempted ON webhook_events (webhook_id, last_attempt_at, id) WHERE last_attempt_at > 0;
-- The delivery log walked with a filter by event name or by period
-- (store/webhook_attempts.go): the index it walks holds both, so that the
-- events that do not match are skipped without reading their rows. Wider
-- entries, the same number of indexes written: neither column changes
-- once the event is recorded.
DROP INDEX webhook_events_log;
CREATE INDEX webhook_events_log ON webhook_events (webhook_id, id, event, created_at);
