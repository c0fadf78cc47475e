-- The queued messages by owner, under a predicate that only a statement
-- naming the owner satisfies (owner = ? implies owner IS NOT NULL; owner is
-- never NULL, so the index holds the same entries as before). The check
-- before each attempt on PostgreSQL, whether an earlier message to the
-- recipient is still queued, names no owner: the planner, which had
-- counted no entry in either index of queued messages when they were last
-- analyzed, chose this one and read every entry of the queue, sent ones
-- not yet vacuumed with them, at every attempt (104 pages where the index
-- of the queued messages by recipient, 0019, reads 3). It now cannot.
CREATE INDEX messages_queued_owner ON messages (owner, id) WHERE send_state = 'queued' AND owner IS NOT NULL;
DROP INDEX messages_queued;
