-- The record of committed changes of an account's chats, which the
-- console's live streams read (service/live.go), and who views or types
-- in which conversation. Times are Unix milliseconds.
--
-- A change's id is not the database's: it is taken from
-- chat_change_log.last_id just before its transaction commits
-- (store/live.go), so ids are in commit order and a reader that has seen
-- an id has seen every lower one. pruned_through is the highest id
-- pruning deleted: a reader behind it has missed changes.
CREATE TABLE chat_changes (
    id                   BIGINT  PRIMARY KEY,
    account_id           BIGINT  NOT NULL,
    kind                 TEXT    NOT NULL,
    contact_id           BIGINT  NOT NULL,
    contact_uuid         TEXT    NOT NULL,
    conversation_uuid    TEXT    NOT NULL,
    assigned_user_id     BIGINT  NOT NULL,
    team_id              BIGINT  NOT NULL,
    was_assigned_user_id BIGINT  NOT NULL,
    was_team_id          BIGINT  NOT NULL,
    created_at           BIGINT  NOT NULL
);
CREATE INDEX chat_changes_account ON chat_changes (account_id, id);
CREATE INDEX chat_changes_created ON chat_changes (created_at);

CREATE TABLE chat_change_log (
    id             BIGINT  PRIMARY KEY CHECK (id = 1),
    last_id        BIGINT  NOT NULL,
    pruned_through BIGINT  NOT NULL
);
INSERT INTO chat_change_log (id, last_id, pruned_through) VALUES (1, 0, 0);

-- A user's presence on a contact's conversation: viewing and typing each
-- last until a time (0: not in that state).
CREATE TABLE chat_presence (
    contact_id    BIGINT  NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    user_id       BIGINT  NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    account_id    BIGINT  NOT NULL,
    viewing_until BIGINT  NOT NULL,
    typing_until  BIGINT  NOT NULL,
    PRIMARY KEY (contact_id, user_id)
);
CREATE INDEX chat_presence_until ON chat_presence (viewing_until);
