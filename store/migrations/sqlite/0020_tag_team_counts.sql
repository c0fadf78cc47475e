-- How many contacts of each account have each tag and each team, kept as
-- contact_counts keeps each channel's (0018), so that a list of a tag's or
-- a team's contacts tells how many pages it has without counting them:
-- that count read every contact of the tag or team, a cost that grew with
-- the store (store/contacts.go). A count is the sum of its rows; a
-- transaction adds its change to one of a few shards just before it
-- commits. A tag's rows go with it when it is deleted. Filled here from the
-- contacts stored before.
CREATE TABLE tag_counts (
    account_id INTEGER NOT NULL,
    tag_id     INTEGER NOT NULL,
    shard      INTEGER NOT NULL,
    contacts   INTEGER NOT NULL,
    PRIMARY KEY (account_id, tag_id, shard)
);
CREATE INDEX tag_counts_tag ON tag_counts (tag_id);
INSERT INTO tag_counts (account_id, tag_id, shard, contacts)
SELECT contacts.account_id, contact_tags.tag_id, 0, COUNT(*)
FROM contact_tags JOIN contacts ON contacts.id = contact_tags.contact_id
GROUP BY contacts.account_id, contact_tags.tag_id;

CREATE TABLE team_counts (
    account_id INTEGER NOT NULL,
    team_id    INTEGER NOT NULL,
    shard      INTEGER NOT NULL,
    contacts   INTEGER NOT NULL,
    PRIMARY KEY (account_id, team_id, shard)
);
INSERT INTO team_counts (account_id, team_id, shard, contacts)
SELECT account_id, team_id, 0, COUNT(*) FROM contacts WHERE team_id <> 0 GROUP BY account_id, team_id;
