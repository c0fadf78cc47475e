package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/carillon/carillon"
)

// Messages. Their status history is in history.go, the send queue that
// walks them in queue.go.

const messageCols = `id, uuid, account_id, channel_id, contact_id, direction, type, content, template_uuid, template_values,
	status, status_payload, external_id, metadata, created_at, updated_at, send_state, attempts, next_attempt_at, owner, last_error, version, deleted_at`

func scanMessage(r interface{ Scan(...any) error }) (carillon.Message, error) {
	var m carillon.Message
	var dir, content, values, status, metadata, state string
	var payload sql.NullString
	var created, updated, next, deleted int64
	err := r.Scan(&m.ID, &m.UUID, &m.AccountID, &m.ChannelID, &m.ContactID, &dir, &m.Type, &content, &m.TemplateUUID, &values,
		&status, &payload, &m.ExternalID, &metadata, &created, &updated, &state, &m.Attempts, &next, &m.Owner, &m.LastError, &m.Version, &deleted)
	if err != nil {
		return m, err
	}
	m.Direction, m.Status, m.SendState = carillon.Direction(dir), carillon.Status(status), carillon.SendState(state)
	m.CreatedAt, m.UpdatedAt, m.NextAttemptAt, m.DeletedAt = at(created), at(updated), at(next), at(deleted)
	if payload.Valid {
		m.StatusPayload = json.RawMessage(payload.String)
	}
	if err := unmarshalIf(content, &m.Content); err != nil {
		return m, err
	}
	if err := unmarshalIf(values, &m.TemplateValues); err != nil {
		return m, err
	}
	return m, unmarshalIf(metadata, &m.Metadata)
}

// CreateMessage writes the message and the words search finds it by
// (search.go), in one transaction. The message keeps the user its contact
// is assigned to (the messages log's index, migration 0016), read from the
// contact as this transaction sees it: a unit of work that stores a
// message writes its contact first (service.lastMessage), which holds the
// contact's row until it commits, so that an assignment made meanwhile
// waits and then finds the message (UpdateContact). A customer's message
// to a known contact is stored before its contact is written
// (CreateMessageOnce tells a repeat first): an assignment committed between
// the two makes the contact's write its own again (UpdateContactFrom finds
// the assignee changed and leaves the row to UpdateContact), so the message
// and its contact end with the same assignee, as when the assignment is
// committed between the unit's read of the contact and its write. A note
// is stored without its contact written, and may keep an assignee changed
// meanwhile: notes are never in the log.
func (q *queries) CreateMessage(ctx context.Context, m *carillon.Message) error {
	_, err := q.createMessage(ctx, m, "", false)
	return err
}

// CreateMessageLater is CreateMessage for a caller that does not read m.ID
// before its transaction commits. In a transaction on PostgreSQL the
// message's INSERT then goes with the transaction's next statement
// (insertLater), and m.ID is written once that statement is answered, at
// the latest by the commit: a send's unit then takes no round trip of its
// own (docs/architecture.md). Elsewhere it is CreateMessage.
func (q *queries) CreateMessageLater(ctx context.Context, m *carillon.Message) error {
	_, err := q.createMessage(ctx, m, "", q.session != nil)
	return err
}

// CreateMessageOnce is CreateMessage for a message its network may deliver
// again: when the channel holds a message with m's external id already, it
// writes nothing and reports false. The unique index on the external id
// decides (ON CONFLICT … DO NOTHING), in the INSERT itself: a receiver
// needs no read before it to tell a repeat.
func (q *queries) CreateMessageOnce(ctx context.Context, m *carillon.Message) (bool, error) {
	return q.createMessage(ctx, m, onceOnly, false)
}

// CreateMessageOnceLater queues the INSERT of CreateMessageOnce in a
// pipelining transaction (PostgreSQL), as CreateMessageLater does: a
// repeat, told by its answer (no row), fails the transaction with
// ErrConflict, and the answer is read before the COMMIT is sent. On SQLite
// it is CreateMessageOnce.
func (q *queries) CreateMessageOnceLater(ctx context.Context, m *carillon.Message) (bool, error) {
	return q.createMessage(ctx, m, onceOnly, q.session != nil)
}

// onceOnly is the clause that makes a message's INSERT write nothing when
// its channel holds a message with its external id already.
const onceOnly = ` ON CONFLICT (channel_id, external_id) WHERE external_id <> '' DO NOTHING`

// createMessage inserts m, with onConflict after its VALUES; it reports
// whether the row was written (the clause may leave it out). later queues
// the INSERT (insertLater), m.ID written when its answer comes; a row the
// clause left out then fails the transaction with ErrConflict.
func (q *queries) createMessage(ctx context.Context, m *carillon.Message, onConflict string, later bool) (bool, error) {
	content, _ := json.Marshal(m.Content)
	insert := `INSERT INTO messages (uuid, account_id, channel_id, contact_id, direction, type, content,
		template_uuid, template_values, status, status_payload, external_id, metadata, created_at, updated_at,
		send_state, attempts, next_attempt_at, owner, last_error, deleted_at, assigned_user_id)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,
		COALESCE((SELECT assigned_user_id FROM contacts WHERE id = ?), 0))` + onConflict + ` RETURNING id`
	args := []any{m.UUID, m.AccountID, m.ChannelID, m.ContactID, string(m.Direction), m.Type, string(content),
		m.TemplateUUID, marshalIf(m.TemplateValues, len(m.TemplateValues) == 0), string(m.Status), nullJSON(m.StatusPayload),
		m.ExternalID, marshalIf(m.Metadata, len(m.Metadata) == 0), ms(m.CreatedAt), ms(m.UpdatedAt),
		string(m.SendState), m.Attempts, ms(m.NextAttemptAt), m.Owner, m.LastError, ms(m.DeletedAt), m.ContactID}
	created := true
	err := q.atomic(ctx, func(q *queries) error {
		var id any
		if later {
			var repeat func() error
			if onConflict != "" {
				repeat = func() error {
					return fmt.Errorf("%w: channel %d holds a message with external id %q already", carillon.ErrConflict, m.ChannelID, m.ExternalID)
				}
			}
			if err := q.insertLater(&m.ID, repeat, insert, args...); err != nil {
				return err
			}
			id = &m.ID
		} else {
			err := q.insertRow(ctx, insert, args...).Scan(&m.ID)
			if onConflict != "" && errors.Is(err, carillon.ErrNotFound) {
				created = false
				return nil
			}
			if err != nil {
				return err
			}
			id = m.ID
		}
		q.holdMessageCount(m.AccountID, m.ContactID, 1)
		return q.writeWords(ctx, "message_words", id, m.SearchText(), false)
	})
	return created && err == nil, err
}

// UpdateMessage checks the version in the UPDATE itself, without reading
// the row first: it leaves the content and with it the words search finds
// the message by, which only EraseMessage changes. The row is read only
// when nothing was updated, to tell a stale version from a missing message.
func (q *queries) UpdateMessage(ctx context.Context, m *carillon.Message) error {
	return q.changeMessage(ctx, m, messageUpdates[allMessageGroups], messageUpdateArgs(m, allMessageGroups)...)
}

// UpdateMessageFrom is UpdateMessage for a caller that read the message as
// was, at m.Version: it writes the columns of an index only where m differs
// from was (messageColumns). Its UPDATE proves the rest: it writes only
// while the row still has was's values in the columns it leaves; a row
// that has not (a caller's copy changed in memory, an owner moved by
// AdoptMessages, which keeps the version) or is gone or stale is left to
// UpdateMessage, which writes every column and tells which.
func (q *queries) UpdateMessageFrom(ctx context.Context, was carillon.Message, m *carillon.Message) error {
	set, args := messageUpdateFrom(&was, m)
	if set == allMessageGroups {
		return q.UpdateMessage(ctx, m)
	}
	updated, err := changedRow(q.exec(ctx, messageUpdates[set], args...))
	if err != nil {
		return err
	}
	if !updated {
		return q.UpdateMessage(ctx, m)
	}
	m.Version++
	return nil
}

// UpdateMessageFromLater is UpdateMessageFrom for a caller that runs its
// transaction again when it fails. In a transaction on PostgreSQL the
// UPDATE then goes with the transaction's next statement, or before its
// COMMIT (execLaterChecked): a receipt's unit takes no round trip of its
// own (docs/architecture.md). m.Version moves on at once; should the row
// no longer hold was at that version, the transaction fails with ErrStale
// (ErrNotFound when the message is gone), whatever the caller of the
// statement that brought the answer makes of it: run again, the caller
// reads the message as it is, and UpdateMessageFrom writes it, every
// column when needed. Elsewhere it is UpdateMessageFrom.
func (q *queries) UpdateMessageFromLater(ctx context.Context, was carillon.Message, m *carillon.Message) error {
	if q.session == nil {
		return q.UpdateMessageFrom(ctx, was, m)
	}
	set, args := messageUpdateFrom(&was, m)
	notWritten := func() error { return q.messageNotWritten(ctx, m) }
	if err := q.execLaterChecked(notWritten, messageUpdates[set], args...); err != nil {
		return err
	}
	m.Version++
	return nil
}

// messageUpdateFrom returns the groups of columns an update of a message
// read as was to m writes, and the arguments of messageUpdates[set]: the
// values it writes, then those of the columns it leaves, which its
// condition checks.
func messageUpdateFrom(was, m *carillon.Message) (messageGroup, []any) {
	before, after := messageGroupArgs(was), messageGroupArgs(m)
	set := changedGroups(messageColumns[:], before[:], after[:])
	args := messageUpdateArgs(m, set)
	for i, col := range messageColumns {
		if set&col.group == 0 {
			args = append(args, before[i])
		}
	}
	return set, args
}

// messageUpdateArgs returns the arguments of messageUpdates[set] but the
// conditions on the columns it leaves.
func messageUpdateArgs(m *carillon.Message, set messageGroup) []any {
	args := make([]any, 0, 5+2*len(messageColumns)+3)
	args = append(args, nullJSON(m.StatusPayload), ms(m.UpdatedAt), m.Attempts, ms(m.NextAttemptAt), m.LastError)
	for i, v := range messageGroupArgs(m) {
		if set&messageColumns[i].group != 0 {
			args = append(args, v)
		}
	}
	return append(args, m.ID, m.AccountID, m.Version)
}

// messageColumns are the columns of a message that indexes hold, each in
// the group of the indexes it feeds; an update writes a group only when
// one of its columns changed. Why: SQLite rewrites a row's entry in every
// index over a column its SET names, changed or not (docs/architecture.md,
// "An update writes what changed"), and a receipt, the most frequent
// update, changes the status alone: written whole, it also took the
// message's entry out of messages_external and put it back, a page of that
// index (keyed by the provider's id, so anywhere in it) written for
// nothing. The other columns an update writes are in no index and go
// every time.
var messageColumns = [...]groupedColumn[messageGroup]{
	{"status", messageStatus}, {"external_id", messageExternal}, {"send_state", messageQueue}, {"owner", messageQueue},
}

// messageGroupArgs returns m's values of messageColumns, in their order.
func messageGroupArgs(m *carillon.Message) [len(messageColumns)]any {
	return [...]any{string(m.Status), m.ExternalID, string(m.SendState), m.Owner}
}

// messageGroup is a bit of a set of messageColumns' groups.
type messageGroup uint8

const (
	messageStatus    messageGroup = 1 << iota // messages_log_status
	messageExternal                           // messages_external
	messageQueue                              // the queue's partial indexes, on the owner and by send_state
	messageGroups    = iota
	allMessageGroups = messageGroup(1<<messageGroups - 1)
)

// messageUpdates holds, for each set of groups, the UPDATE of a message
// at its version that writes their columns and those in no index, on the
// condition that the columns of the other groups hold the values given
// last.
var messageUpdates = func() (texts [1 << messageGroups]string) {
	for set := range texts {
		cols := []string{"status_payload = ?", "updated_at = ?", "attempts = ?", "next_attempt_at = ?", "last_error = ?"}
		var conds []string
		for _, c := range messageColumns {
			if messageGroup(set)&c.group != 0 {
				cols = append(cols, c.name+" = ?")
			} else {
				conds = append(conds, " AND "+c.name+" = ?")
			}
		}
		texts[set] = "UPDATE messages SET " + strings.Join(cols, ", ") + ", version = version + 1 WHERE " + messageByID + " AND version = ?" +
			strings.Join(conds, "")
	}
	return texts
}()

// EraseMessage writes what UpdateMessage writes, and the erased content,
// template values and deletion time, and removes the words search found
// the message by.
func (q *queries) EraseMessage(ctx context.Context, m *carillon.Message) error {
	m.Content, m.TemplateValues = carillon.Content{}, nil
	content, _ := json.Marshal(m.Content)
	return q.atomic(ctx, func(q *queries) error {
		err := q.changeMessage(ctx, m, `UPDATE messages SET content = ?, template_values = '', status = ?, status_payload = ?, external_id = ?,
		updated_at = ?, send_state = ?, attempts = ?, next_attempt_at = ?, owner = ?, last_error = ?, deleted_at = ?, version = version + 1
		WHERE `+messageByID+` AND version = ?`,
			string(content), string(m.Status), nullJSON(m.StatusPayload), m.ExternalID, ms(m.UpdatedAt),
			string(m.SendState), m.Attempts, ms(m.NextAttemptAt), m.Owner, m.LastError, ms(m.DeletedAt), m.ID, m.AccountID, m.Version)
		if err != nil {
			return err
		}
		return q.holdWords(ctx, "DELETE FROM message_words WHERE rowid = ?", m.ID)
	})
}

// changeMessage runs update, an UPDATE of message m at m.Version, and moves
// m.Version on. No row updated is ErrStale when the message is there (another
// writer changed it since it was read), else ErrNotFound.
func (q *queries) changeMessage(ctx context.Context, m *carillon.Message, update string, args ...any) error {
	err := affected(q.exec(ctx, update, args...))
	if errors.Is(err, carillon.ErrNotFound) {
		return q.messageNotWritten(ctx, m)
	}
	if err != nil {
		return err
	}
	m.Version++
	return nil
}

// messageNotWritten is the error of an update of message m that wrote no
// row (rowNotWritten).
func (q *queries) messageNotWritten(ctx context.Context, m *carillon.Message) error {
	return q.rowNotWritten(ctx, "message", m.ID, "SELECT version FROM messages WHERE "+messageByID, m.ID, m.AccountID)
}

// messageByID is the condition that picks a message by its id (the first
// argument) within its account (the second), written so that only the
// primary key can serve it: with "account_id = ? AND id = ?", PostgreSQL
// may take an index that begins with account_id and holds the id further
// in (messages_log, messages_log_status), and walk every entry of the
// account. It did, on a new table never analyzed, in the plan it keeps for
// a prepared statement: 20 to 30 ms a statement (docs/benchmarks.md). "+ 0"
// keeps account_id out of any index's condition; SQLite looks a rowid up
// either way.
const messageByID = "id = ? AND account_id + 0 = ?"

func (q *queries) MessageByID(ctx context.Context, accountID, id int64) (carillon.Message, error) {
	return scanMessage(q.queryRow(ctx, "SELECT "+messageCols+" FROM messages WHERE "+messageByID, id, accountID))
}

func (q *queries) MessageByUUID(ctx context.Context, accountID int64, uuid string) (carillon.Message, error) {
	return scanMessage(q.queryRow(ctx, "SELECT "+messageCols+" FROM messages WHERE account_id = ? AND uuid = ?", accountID, uuid))
}

func (q *queries) MessageByExternalID(ctx context.Context, channelID int64, externalID string) (carillon.Message, error) {
	return scanMessage(q.queryRow(ctx, "SELECT "+messageCols+" FROM messages WHERE channel_id = ? AND external_id = ? AND external_id <> ''", channelID, externalID))
}

// maxExternalAtOnce is the most provider ids one statement of
// MessagesByExternalID reads; more go in several.
const maxExternalAtOnce = 64

func (q *queries) MessagesByExternalID(ctx context.Context, channelID int64, externalIDs []string) ([]carillon.Message, error) {
	distinct := make([]string, 0, len(externalIDs))
	seen := make(map[string]bool, len(externalIDs))
	for _, id := range externalIDs {
		if id != "" && !seen[id] {
			seen[id] = true
			distinct = append(distinct, id)
		}
	}
	out := make([]carillon.Message, 0, len(distinct))
	// external_id <> '' is the condition of the index messages_external,
	// written out so that both databases use it, as MessageByExternalID's.
	err := inLists(ctx, q, distinct, maxExternalAtOnce, "SELECT "+messageCols+" FROM messages WHERE channel_id = ? AND external_id IN (%s) AND external_id <> ''",
		func(r interface{ Scan(...any) error }) error {
			m, err := scanMessage(r)
			if err != nil {
				return err
			}
			out = append(out, m)
			return nil
		}, channelID)
	return out, err
}

// ContactMessagesBefore reads the index messages_contact (contact_id,
// account_id, id) from before down.
func (q *queries) ContactMessagesBefore(ctx context.Context, accountID, contactID, before int64, limit int) ([]carillon.Message, error) {
	if before <= 0 {
		before = math.MaxInt64
	}
	return list(q, ctx, scanMessage, "SELECT "+messageCols+" FROM messages WHERE contact_id = ? AND account_id = ? AND id < ? ORDER BY id DESC LIMIT ?",
		contactID, accountID, before, limit)
}

// ContactMessages reads a page of a long conversation by its ids first,
// from the index messages_contact (listPageByIDs), and the number of its
// messages from contact_message_counts: counting them read every one.
func (q *queries) ContactMessages(ctx context.Context, accountID, contactID int64, page carillon.Page) ([]carillon.Message, int, error) {
	return listPageByIDs(q, ctx, scanMessage, messageCols, "messages", "account_id = ? AND contact_id = ?",
		"SELECT COALESCE(SUM(messages), 0) FROM contact_message_counts WHERE account_id = ? AND contact_id = ?", page, accountID, contactID)
}
