-- The webhook's event attempted last (the home and webhook pages), read
-- from the top of an index instead of sorting every attempted event
-- (store/overview.go). Events not attempted yet (the backlog, written on
-- every message's path) stay out of it.
CREATE INDEX webhook_events_attempted ON webhook_events (webhook_id, last_attempt_at, id) WHERE last_attempt_at > 0;
