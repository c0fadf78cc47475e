-- How many messages each contact has, kept as contact_counts keeps each
-- channel's contacts (0018), so that a page of a contact's messages tells
-- how many pages there are without counting them: that count read every
-- message of the conversation, a cost that grew with it (store/messages.go).
-- One row per contact, written just before the transaction that stored its
-- messages commits: a transaction that stores a message mostly holds its
-- contact's row already (the contact's last message), so the count needs
-- no shards. Filled here from the messages stored before.
CREATE TABLE contact_message_counts (
    contact_id INTEGER PRIMARY KEY,
    account_id INTEGER NOT NULL,
    messages   INTEGER NOT NULL
);
INSERT INTO contact_message_counts (contact_id, account_id, messages)
SELECT contact_id, account_id, COUNT(*) FROM messages GROUP BY contact_id, account_id;
