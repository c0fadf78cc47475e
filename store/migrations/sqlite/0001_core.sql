-- carillon's core schema. Times are Unix milliseconds; 0 means "not set".
CREATE TABLE accounts (
    id         INTEGER PRIMARY KEY,
    uuid       TEXT    NOT NULL UNIQUE,
    name       TEXT    NOT NULL UNIQUE,
    created_at INTEGER NOT NULL
);

CREATE TABLE teams (
    id         INTEGER PRIMARY KEY,
    uuid       TEXT    NOT NULL UNIQUE,
    account_id INTEGER NOT NULL REFERENCES accounts (id),
    name       TEXT    NOT NULL,
    is_default INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL
);
CREATE INDEX teams_account ON teams (account_id, name);

CREATE TABLE users (
    id         INTEGER PRIMARY KEY,
    uuid       TEXT    NOT NULL UNIQUE,
    account_id INTEGER NOT NULL REFERENCES accounts (id),
    email      TEXT    NOT NULL,
    name       TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    UNIQUE (account_id, email)
);

CREATE TABLE api_keys (
    id           INTEGER PRIMARY KEY,
    account_id   INTEGER NOT NULL REFERENCES accounts (id),
    user_id      INTEGER NOT NULL DEFAULT 0,
    name         TEXT    NOT NULL,
    prefix       TEXT    NOT NULL,
    hash         TEXT    NOT NULL UNIQUE,
    created_at   INTEGER NOT NULL,
    last_used_at INTEGER NOT NULL DEFAULT 0,
    revoked_at   INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX api_keys_account ON api_keys (account_id, id);

CREATE TABLE channels (
    id           INTEGER PRIMARY KEY,
    uuid         TEXT    NOT NULL UNIQUE,
    account_id   INTEGER NOT NULL REFERENCES accounts (id),
    title        TEXT    NOT NULL,
    type         TEXT    NOT NULL,
    provider     TEXT    NOT NULL,
    main         INTEGER NOT NULL DEFAULT 0,
    settings     TEXT    NOT NULL,
    discarded_at INTEGER NOT NULL DEFAULT 0,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL
);
CREATE INDEX channels_account ON channels (account_id, type, main);

CREATE TABLE contacts (
    id                      INTEGER PRIMARY KEY,
    uuid                    TEXT    NOT NULL UNIQUE,
    account_id              INTEGER NOT NULL,
    channel_id              INTEGER NOT NULL,
    address                 TEXT    NOT NULL DEFAULT '',
    bsuid                   TEXT    NOT NULL DEFAULT '',
    name                    TEXT    NOT NULL DEFAULT '',
    created_at              INTEGER NOT NULL,
    updated_at              INTEGER NOT NULL,
    last_inbound_at         INTEGER NOT NULL DEFAULT 0,
    conversation_uuid       TEXT    NOT NULL,
    conversation_created_at INTEGER NOT NULL DEFAULT 0,
    closed_at               INTEGER NOT NULL DEFAULT 0,
    closing_reason          TEXT    NOT NULL DEFAULT '',
    assigned_user_id        INTEGER NOT NULL DEFAULT 0,
    team_id                 INTEGER NOT NULL DEFAULT 0,
    funnel_id               TEXT    NOT NULL DEFAULT '',
    blocked_at              INTEGER NOT NULL DEFAULT 0,
    note                    TEXT    NOT NULL DEFAULT '',
    bot_status              TEXT    NOT NULL DEFAULT '',
    bot_started_at          INTEGER NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX contacts_address ON contacts (channel_id, address) WHERE address <> '';
CREATE UNIQUE INDEX contacts_bsuid ON contacts (channel_id, bsuid) WHERE bsuid <> '';
CREATE INDEX contacts_account ON contacts (account_id, id);

-- An outgoing message row is also its own send job (send_state, attempts,
-- next_attempt_at, owner): accepting a message is one insert.
CREATE TABLE messages (
    id              INTEGER PRIMARY KEY,
    uuid            TEXT    NOT NULL UNIQUE,
    account_id      INTEGER NOT NULL,
    channel_id      INTEGER NOT NULL,
    contact_id      INTEGER NOT NULL,
    direction       TEXT    NOT NULL,
    type            TEXT    NOT NULL,
    content         TEXT    NOT NULL,
    template_uuid   TEXT    NOT NULL DEFAULT '',
    template_values TEXT    NOT NULL DEFAULT '',
    status          TEXT    NOT NULL,
    status_payload  TEXT,
    external_id     TEXT    NOT NULL DEFAULT '',
    metadata        TEXT    NOT NULL DEFAULT '',
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    send_state      TEXT    NOT NULL DEFAULT '',
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL DEFAULT 0,
    owner           TEXT    NOT NULL DEFAULT '',
    last_error      TEXT    NOT NULL DEFAULT '',
    version         INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX messages_contact ON messages (contact_id, id);
CREATE UNIQUE INDEX messages_external ON messages (channel_id, external_id) WHERE external_id <> '';
CREATE INDEX messages_queued ON messages (owner, id) WHERE send_state = 'queued';

CREATE TABLE message_statuses (
    id         INTEGER PRIMARY KEY,
    message_id INTEGER NOT NULL,
    status     TEXT    NOT NULL,
    payload    TEXT,
    applied    INTEGER NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX message_statuses_message ON message_statuses (message_id, id);

CREATE TABLE idempotency_keys (
    account_id   INTEGER NOT NULL,
    idem_key     TEXT    NOT NULL,
    request_hash TEXT    NOT NULL,
    message_uuid TEXT    NOT NULL,
    fields       TEXT    NOT NULL,
    created_at   INTEGER NOT NULL,
    PRIMARY KEY (account_id, idem_key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);

CREATE TABLE instances (
    id           TEXT    PRIMARY KEY,
    started_at   INTEGER NOT NULL,
    heartbeat_at INTEGER NOT NULL
);
