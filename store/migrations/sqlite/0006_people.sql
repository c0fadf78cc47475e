-- Console users: a role (agent for the users declared before roles
-- existed), the hash of a password ('' until one is set) and the last
-- sign-in; the sessions of signed-in browsers and one-time sign-in links,
-- each kept by the hash of its token. Times are Unix milliseconds; 0 means
-- "not set".

ALTER TABLE users ADD COLUMN role TEXT NOT NULL DEFAULT 'agent';
ALTER TABLE users ADD COLUMN password_hash TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN last_sign_in_at INTEGER NOT NULL DEFAULT 0;
CREATE INDEX users_email ON users (email, account_id);

CREATE TABLE sessions (
    id           INTEGER PRIMARY KEY,
    account_id   INTEGER NOT NULL REFERENCES accounts (id),
    user_id      INTEGER NOT NULL REFERENCES users (id),
    hash         TEXT    NOT NULL UNIQUE,
    address      TEXT    NOT NULL,
    user_agent   TEXT    NOT NULL,
    created_at   INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL
);
CREATE INDEX sessions_user ON sessions (account_id, user_id, id);
CREATE INDEX sessions_expiry ON sessions (expires_at);

-- user_id is 0 for a first admin's link: whoever uses it becomes the user.
CREATE TABLE sign_in_links (
    id         INTEGER PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts (id),
    user_id    INTEGER NOT NULL DEFAULT 0,
    hash       TEXT    NOT NULL UNIQUE,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at    INTEGER NOT NULL DEFAULT 0
);
