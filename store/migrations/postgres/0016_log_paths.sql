-- A restricted agent's messages log (store/messagelog.go): each message
-- keeps the user its contact is assigned to (0: nobody), written with the
-- message from its contact and again on every message of a contact when
-- the contact is assigned to someone else (store/contacts.go), so that the
-- log is read from an index in its order, a page of entries for a page,
-- however few of the account's messages are the agent's. Partial: most
-- messages are of contacts assigned to nobody.
ALTER TABLE messages ADD COLUMN assigned_user_id BIGINT NOT NULL DEFAULT 0;
UPDATE messages m SET assigned_user_id = c.assigned_user_id FROM contacts c
WHERE c.id = m.contact_id AND c.assigned_user_id <> 0;
CREATE INDEX messages_log_assigned ON messages (assigned_user_id, created_at, id) WHERE assigned_user_id <> 0;
-- The delivery log filtered by an event name (store/webhook_attempts.go):
-- that event's entries in id order, a seek instead of a walk over every
-- newer event. One more index written with each event recorded.
CREATE INDEX webhook_events_event ON webhook_events (webhook_id, event, id);
-- The delivery log filtered by a period: the period's entries, read from
-- the index alone, instead of a walk over every newer event.
CREATE INDEX webhook_events_created ON webhook_events (webhook_id, created_at, id);
-- The planner's statistics of the new column, which autovacuum would
-- gather only later: without them it estimates a restricted agent's
-- messages at a few rows and reads all of them to sort them.
ANALYZE messages (assigned_user_id);
