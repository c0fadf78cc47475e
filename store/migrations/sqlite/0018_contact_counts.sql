-- How many contacts each account has, so that a list of all its contacts
-- tells how many pages it has without counting them (store/contacts.go).
-- An account's count is the sum of its rows: a transaction that creates
-- or deletes contacts adds its change to one row of the account, picked
-- at random among a few shards, just before it commits, so that writers
-- on PostgreSQL seldom wait for each other's row. A shard may go below
-- zero (a contact counted in one shard, deleted from another); the sum
-- is what counts. Filled here from the contacts stored before.
CREATE TABLE contact_counts (
    account_id INTEGER NOT NULL,
    shard      INTEGER NOT NULL,
    contacts   INTEGER NOT NULL,
    PRIMARY KEY (account_id, shard)
);
INSERT INTO contact_counts (account_id, shard, contacts)
SELECT account_id, 0, COUNT(*) FROM contacts GROUP BY account_id;
