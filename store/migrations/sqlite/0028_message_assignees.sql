-- Contacts whose older messages do not keep their assignee yet. Each
-- message keeps its contact's assignee (0016); an assignment rewrites the
-- contact's newest messages at once and queues the contact here, and the
-- older ones, those with an id below below_id, are rewritten a part at a
-- time, newest first (store/assignees.go). generation moves at each
-- assignment, so that a part of an earlier one does not move the place
-- of a later one.
CREATE TABLE message_assignee_queue (
    contact_id INTEGER PRIMARY KEY,
    account_id INTEGER NOT NULL,
    below_id   INTEGER NOT NULL,
    generation INTEGER NOT NULL
);
