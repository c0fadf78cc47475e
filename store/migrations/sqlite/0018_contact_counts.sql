-- How many contacts each channel of an account has, so that a list of
-- all the account's contacts, or of those of one source, tells how many
-- pages it has without counting them (store/contacts.go). A channel's
-- count is the sum of its rows: a transaction that creates or deletes
-- contacts adds its change to one row of the channel, picked at random
-- among a few shards, just before it commits, so that writers on
-- PostgreSQL seldom wait for each other's row. A shard may go below zero
-- (a contact counted in one shard, deleted from another); the sum is
-- what counts. A contact never changes channel. Filled here from the
-- contacts stored before.
CREATE TABLE contact_counts (
    account_id INTEGER NOT NULL,
    channel_id INTEGER NOT NULL,
    shard      INTEGER NOT NULL,
    contacts   INTEGER NOT NULL,
    PRIMARY KEY (account_id, channel_id, shard)
);
INSERT INTO contact_counts (account_id, channel_id, shard, contacts)
SELECT account_id, channel_id, 0, COUNT(*) FROM contacts GROUP BY account_id, channel_id;
