-- A claimed event's lease in a column of its own, which no index holds.
-- The claim moved next_attempt_at, which webhook_events_due holds, so
-- every claim wrote a new entry in each of the table's nine indexes (an
-- update that changes no indexed column is made in place, HOT, and writes
-- none). next_attempt_at now keeps the time the event came due, and a
-- claim sets lease_until alone; an event is claimable when it is due and
-- its lease, if any, has ended (store/webhooks.go). The claimed events of
-- the instances delivering are walked over by the claim, in the due index,
-- at the top of which they stay: up to a few thousand entries, read from
-- pages in memory.
-- Events claimed before this migration keep their lease in next_attempt_at
-- and come due when it ends, as they would have.
ALTER TABLE webhook_events ADD COLUMN lease_until BIGINT NOT NULL DEFAULT 0;
-- Room on each page for the claim's new version of the row, which an
-- update in place needs: rows are appended, and claimed moments later.
ALTER TABLE webhook_events SET (fillfactor = 80);
