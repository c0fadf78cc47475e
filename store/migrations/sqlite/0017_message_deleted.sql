-- When the customer deleted (unsent) an inbound message on the network
-- (Instagram's is_deleted), in Unix ms; 0 when they did not. Nothing to
-- fill in: no deletion was recorded before.
ALTER TABLE messages ADD COLUMN deleted_at INTEGER NOT NULL DEFAULT 0;
