-- The console's messages log: an account's messages newest first, with a
-- filter by channel or by status, each read from an index in that order
-- (store/messagelog.go). A restricted agent's log starts from the contacts
-- assigned to them.
CREATE INDEX messages_log ON messages (account_id, created_at, id);
CREATE INDEX messages_log_channel ON messages (channel_id, created_at, id);
CREATE INDEX messages_log_status ON messages (account_id, status, created_at, id);
CREATE INDEX contacts_assigned ON contacts (account_id, assigned_user_id);
