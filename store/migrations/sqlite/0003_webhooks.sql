-- Outgoing webhooks: one per account, and the events waiting for or done
-- with their delivery (the delivery log). Times are Unix milliseconds; 0
-- means "not set". Secrets are sealed like channel settings.

CREATE TABLE webhooks (
    id                    INTEGER PRIMARY KEY,
    account_id            INTEGER NOT NULL UNIQUE REFERENCES accounts (id),
    url                   TEXT    NOT NULL,
    subscriptions         TEXT    NOT NULL,
    secret                TEXT    NOT NULL,
    previous_secret       TEXT    NOT NULL DEFAULT '',
    previous_secret_until INTEGER NOT NULL DEFAULT 0,
    enabled               INTEGER NOT NULL,
    last_success_at       INTEGER NOT NULL DEFAULT 0,
    last_check_at         INTEGER NOT NULL DEFAULT 0,
    created_at            INTEGER NOT NULL,
    updated_at            INTEGER NOT NULL
);

-- next_attempt_at is 0 while an event waits behind an earlier pending event
-- of its subject.
CREATE TABLE webhook_events (
    id               INTEGER PRIMARY KEY,
    uuid             TEXT    NOT NULL UNIQUE,
    account_id       INTEGER NOT NULL REFERENCES accounts (id),
    webhook_id       INTEGER NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    event            TEXT    NOT NULL,
    subject          TEXT    NOT NULL,
    state            TEXT    NOT NULL,
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  INTEGER NOT NULL DEFAULT 0,
    first_attempt_at INTEGER NOT NULL DEFAULT 0,
    last_attempt_at  INTEGER NOT NULL DEFAULT 0,
    success          INTEGER NOT NULL DEFAULT 0,
    response_code    INTEGER NOT NULL DEFAULT 0,
    response_body    TEXT    NOT NULL DEFAULT '',
    response_headers TEXT    NOT NULL DEFAULT '',
    created_at       INTEGER NOT NULL
);
-- A body is written once and read at each attempt; kept apart, it is not
-- rewritten by the many small updates of its event's delivery state.
CREATE TABLE webhook_event_bodies (
    event_id INTEGER PRIMARY KEY REFERENCES webhook_events (id) ON DELETE CASCADE,
    body     TEXT    NOT NULL
);

CREATE INDEX webhook_events_due ON webhook_events (webhook_id, next_attempt_at, id) WHERE state = 'pending' AND next_attempt_at > 0;
CREATE INDEX webhook_events_subject ON webhook_events (webhook_id, subject, id) WHERE state = 'pending';
CREATE INDEX webhook_events_log ON webhook_events (webhook_id, id) WHERE attempts > 0;
