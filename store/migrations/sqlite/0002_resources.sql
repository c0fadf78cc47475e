-- The account resources that Callbell's dashboard makes and its API relies
-- on. Times are Unix milliseconds; 0 means "not set". Lists are JSON text.

-- A user's availability and custom status (0: none).
ALTER TABLE users ADD COLUMN available        INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN availability_at  INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN custom_status_id INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN custom_status_at INTEGER NOT NULL DEFAULT 0;

CREATE TABLE team_members (
    team_id  INTEGER NOT NULL REFERENCES teams (id),
    user_id  INTEGER NOT NULL REFERENCES users (id),
    added_at INTEGER NOT NULL,
    PRIMARY KEY (team_id, user_id)
);

-- name_key is the lower-cased name: tag names compare case-insensitively.
CREATE TABLE tags (
    id         INTEGER PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts (id),
    name       TEXT    NOT NULL,
    name_key   TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    UNIQUE (account_id, name_key)
);

CREATE TABLE contact_tags (
    contact_id INTEGER NOT NULL REFERENCES contacts (id),
    tag_id     INTEGER NOT NULL REFERENCES tags (id),
    PRIMARY KEY (contact_id, tag_id)
);
CREATE INDEX contact_tags_tag ON contact_tags (tag_id, contact_id);

CREATE TABLE custom_fields (
    id         INTEGER PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts (id),
    name       TEXT    NOT NULL,
    type       TEXT    NOT NULL,
    options    TEXT    NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    UNIQUE (account_id, name)
);

CREATE TABLE contact_field_values (
    contact_id INTEGER NOT NULL REFERENCES contacts (id),
    field_id   INTEGER NOT NULL REFERENCES custom_fields (id),
    value      TEXT    NOT NULL,
    PRIMARY KEY (contact_id, field_id)
);

CREATE TABLE templates (
    id          INTEGER PRIMARY KEY,
    uuid        TEXT    NOT NULL UNIQUE,
    account_id  INTEGER NOT NULL REFERENCES accounts (id),
    channel_id  INTEGER NOT NULL REFERENCES channels (id),
    title       TEXT    NOT NULL,
    text        TEXT    NOT NULL,
    type        TEXT    NOT NULL,
    category    TEXT    NOT NULL,
    status      TEXT    NOT NULL,
    language    TEXT    NOT NULL,
    external_id TEXT    NOT NULL DEFAULT '',
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    UNIQUE (channel_id, title, language)
);
CREATE INDEX templates_account ON templates (account_id, id);

CREATE TABLE funnels (
    id         INTEGER PRIMARY KEY,
    uuid       TEXT    NOT NULL UNIQUE,
    account_id INTEGER NOT NULL REFERENCES accounts (id),
    name       TEXT    NOT NULL,
    emoji      TEXT    NOT NULL DEFAULT '',
    position   INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    UNIQUE (account_id, name)
);

CREATE TABLE custom_statuses (
    id         INTEGER PRIMARY KEY,
    uuid       TEXT    NOT NULL UNIQUE,
    account_id INTEGER NOT NULL REFERENCES accounts (id),
    name       TEXT    NOT NULL,
    emoji      TEXT    NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    UNIQUE (account_id, name)
);
