-- How many contacts of each channel of an account fall in each block of
-- 2,048 contact ids (block = id / 2048; store/contacts.go's
-- contactBlockSize), kept as contact_counts is (0018): a page of contacts
-- far from the first, newest first, sums the blocks' counts from the
-- newest until it reaches its offset, then steps over the entries of one
-- block at most, instead of every contact before it. A count is the sum of
-- its rows; a transaction that creates or deletes contacts adds its change
-- to one of a few shards just before it commits. Filled here from the
-- contacts stored before.
CREATE TABLE contact_blocks (
    account_id BIGINT NOT NULL,
    block      BIGINT NOT NULL,
    channel_id BIGINT NOT NULL,
    shard      BIGINT NOT NULL,
    contacts   BIGINT NOT NULL,
    PRIMARY KEY (account_id, block, channel_id, shard)
);
INSERT INTO contact_blocks (account_id, block, channel_id, shard, contacts)
SELECT account_id, id / 2048, channel_id, 0, COUNT(*) FROM contacts GROUP BY account_id, id / 2048, channel_id;
