-- How many of an account's contacts with each tag fall in each block of
-- 2,048 contact ids (block = contact id / 2048, as contact_blocks, 0021),
-- kept as tag_counts is (0020): a page of one tag's contacts far from the
-- first, newest first, sums the blocks' counts from the newest until it
-- reaches its offset, then steps over the tag's entries of one block at
-- most, instead of every entry of the tag before it. A count is the sum of its
-- rows; a transaction that tags, untags or deletes contacts adds its change
-- to one of a few shards just before it commits. Filled here from the
-- contacts tagged before.
CREATE TABLE tag_blocks (
    account_id BIGINT NOT NULL,
    tag_id     BIGINT NOT NULL,
    block      BIGINT NOT NULL,
    shard      BIGINT NOT NULL,
    contacts   BIGINT NOT NULL,
    PRIMARY KEY (account_id, tag_id, block, shard)
);
INSERT INTO tag_blocks (account_id, tag_id, block, shard, contacts)
SELECT contacts.account_id, contact_tags.tag_id, contacts.id / 2048, 0, COUNT(*)
FROM contact_tags JOIN contacts ON contacts.id = contact_tags.contact_id
GROUP BY contacts.account_id, contact_tags.tag_id, contacts.id / 2048;
