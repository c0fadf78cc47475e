-- Each delivery attempt of a webhook event, kept as long as its event: the
-- headers sent (the body is the event's, the same on every attempt), the
-- answer (its body bounded like the event's), how long it took, and why no
-- answer came. Times are Unix milliseconds; durations microseconds.
CREATE TABLE webhook_attempts (
    id               INTEGER PRIMARY KEY,
    event_id         INTEGER NOT NULL REFERENCES webhook_events (id) ON DELETE CASCADE,
    number           INTEGER NOT NULL,
    attempted_at     INTEGER NOT NULL,
    duration_us      INTEGER NOT NULL,
    request_headers  TEXT    NOT NULL,
    success          INTEGER NOT NULL,
    response_code    INTEGER NOT NULL,
    response_headers TEXT    NOT NULL,
    response_body    TEXT    NOT NULL,
    error            TEXT    NOT NULL
);
CREATE INDEX webhook_attempts_event ON webhook_attempts (event_id, id);

-- The console's log lists every event of a webhook, attempted or not, by
-- id: the index of the attempted ones alone becomes one of all.
DROP INDEX webhook_events_log;
CREATE INDEX webhook_events_log ON webhook_events (webhook_id, id);
