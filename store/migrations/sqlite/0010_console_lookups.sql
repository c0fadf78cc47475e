-- Lookups of the console's pages that walked a whole account on a large
-- store (measured with bench/consolepages, docs/benchmarks.md):
-- a contact's messages counted with both its account and its id in one
-- index (SQLite, without statistics, otherwise counts on an index of the
-- account alone, every message of it); a conversation found by its uuid
-- (/chat/{uuid}); a webhook's pending events counted by state.
DROP INDEX messages_contact;
CREATE INDEX messages_contact ON messages (contact_id, account_id, id);
CREATE INDEX contacts_conversation ON contacts (account_id, conversation_uuid);
CREATE INDEX webhook_events_state ON webhook_events (webhook_id, state, id);
