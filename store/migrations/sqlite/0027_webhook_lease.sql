-- A claimed event's lease in a column of its own (PostgreSQL: so that the
-- claim, which sets it alone, updates the row in place, without an entry
-- in each of the table's indexes). next_attempt_at keeps the time the
-- event came due; an event is claimable when it is due and its lease, if
-- any, has ended (store/webhooks.go). SQLite rewrites only the indexes
-- over the columns an update sets: the due index holds the lease, so that
-- the claim, which walks over the events claimed already at the index's
-- top, reads their leases from the index rather than from each row.
-- Events claimed before this migration keep their lease in next_attempt_at
-- and come due when it ends, as they would have.
ALTER TABLE webhook_events ADD COLUMN lease_until INTEGER NOT NULL DEFAULT 0;
DROP INDEX webhook_events_due;
CREATE INDEX webhook_events_due ON webhook_events (webhook_id, next_attempt_at, id, lease_until) WHERE state = 'pending' AND next_attempt_at > 0;
