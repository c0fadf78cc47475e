-- The record of chat changes is read and pruned by id alone. A live
-- stream's catch-up (AccountChatChanges) reads one account's changes in a
-- range of ids it knows, by the primary key: the range holds the changes
-- the stream missed, of every account, which a single account's server
-- reads all of anyway. Pruning by age finds the first change made within
-- the kept time by the primary key too, stepping over the changes it is
-- about to delete (store/live.go). The two indexes cost two entries for
-- each change (a message accepted, each outcome or receipt applied), on
-- the one writer that bounds the send path (docs/benchmarks.md).
DROP INDEX chat_changes_account;
DROP INDEX chat_changes_created;
