-- The shared inbox (store/inbox.go).
--
-- Each contact keeps the time and direction of its last message in or out
-- (notes aside), written with the message: the inbox sorts conversations
-- by it, and one whose last message is the customer's is pending. Filled
-- here from the messages stored before, the last one by creation time,
-- then id, as the service picks it.
ALTER TABLE contacts ADD COLUMN last_message_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE contacts ADD COLUMN last_message_direction TEXT NOT NULL DEFAULT '';
UPDATE contacts SET (last_message_at, last_message_direction) = (
    SELECT m.created_at, m.direction FROM messages m
    WHERE m.contact_id = contacts.id AND m.direction <> 'note'
    ORDER BY m.created_at DESC, m.id DESC LIMIT 1)
WHERE EXISTS (SELECT 1 FROM messages m WHERE m.contact_id = contacts.id AND m.direction <> 'note');

-- The inbox's pages, each walked from an index in its order (last message
-- time, then id) from the cursor on: open conversations of the account
-- (All), of one assigned user or of nobody (My chats, Unassigned), of one
-- team; closed ones of the account and of one assigned user (a
-- restricted agent's). Partial: a conversation is in the open ones or in
-- the closed ones, and a contact that never had one in neither.
CREATE INDEX contacts_inbox_open ON contacts (account_id, last_message_at, id,
    assigned_user_id, team_id, channel_id, last_message_direction, funnel_id)
    WHERE closed_at = 0 AND conversation_created_at <> 0;
CREATE INDEX contacts_inbox_open_assigned ON contacts (account_id, assigned_user_id, last_message_at, id)
    WHERE closed_at = 0 AND conversation_created_at <> 0;
CREATE INDEX contacts_inbox_open_team ON contacts (account_id, team_id, last_message_at, id)
    WHERE closed_at = 0 AND conversation_created_at <> 0;
CREATE INDEX contacts_inbox_closed ON contacts (account_id, last_message_at, id,
    assigned_user_id, team_id, channel_id, funnel_id)
    WHERE closed_at <> 0;
CREATE INDEX contacts_inbox_closed_assigned ON contacts (account_id, assigned_user_id, last_message_at, id)
    WHERE closed_at <> 0;
-- The unread open conversations of each view are counted from the index
-- alone (and each one's read mark): the open conversations the customer
-- wrote in, by team and assigned user.
CREATE INDEX contacts_inbox_unread ON contacts (account_id, assigned_user_id, team_id, last_inbound_at)
    WHERE closed_at = 0 AND conversation_created_at <> 0 AND last_inbound_at <> 0;

-- Each user's read mark on a conversation: the time of the customer's
-- last message when the user last opened it. A conversation is unread for
-- a user when its contact wrote after their mark.
CREATE TABLE read_marks (
    user_id    INTEGER NOT NULL,
    contact_id INTEGER NOT NULL,
    read_at    INTEGER NOT NULL,
    PRIMARY KEY (user_id, contact_id)
);
CREATE INDEX read_marks_contact ON read_marks (contact_id);

-- A conversation's history: opened, reopened, closed (with the reason),
-- assigned to a user or to nobody, moved to a team or to none; by whom
-- (0: no user, the customer or an API key of the account).
CREATE TABLE conversation_changes (
    id         INTEGER PRIMARY KEY,
    contact_id INTEGER NOT NULL,
    kind       TEXT    NOT NULL,
    by_user_id INTEGER NOT NULL DEFAULT 0,
    user_id    INTEGER NOT NULL DEFAULT 0,
    team_id    INTEGER NOT NULL DEFAULT 0,
    reason     TEXT    NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL
);
CREATE INDEX conversation_changes_contact ON conversation_changes (contact_id, created_at, id);
