package store

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"

	"github.com/carillon/carillon"
)

// Contacts, with what belongs to one contact alone: its tags and its
// custom field values (link rows that go with it). The tag and field
// catalogues are the account's (resources.go).

const contactCols = `id, uuid, account_id, channel_id, address, bsuid, name, created_at, updated_at, last_inbound_at,
	conversation_uuid, conversation_created_at, closed_at, closing_reason, assigned_user_id, team_id, funnel_id,
	blocked_at, note, bot_status, bot_started_at, last_message_at, last_message_direction`

func scanContact(r interface{ Scan(...any) error }) (carillon.Contact, error) {
	var c carillon.Contact
	var created, updated, inbound, convCreated, closed, blocked, botStarted, lastMessage int64
	var lastDirection string
	err := r.Scan(&c.ID, &c.UUID, &c.AccountID, &c.ChannelID, &c.Address, &c.BSUID, &c.Name, &created, &updated, &inbound,
		&c.ConversationUUID, &convCreated, &closed, &c.ClosingReason, &c.AssignedUserID, &c.TeamID, &c.FunnelID,
		&blocked, &c.Note, &c.BotStatus, &botStarted, &lastMessage, &lastDirection)
	c.CreatedAt, c.UpdatedAt, c.LastInboundAt = at(created), at(updated), at(inbound)
	c.LastMessageAt, c.LastMessageDirection = at(lastMessage), carillon.Direction(lastDirection)
	c.ConversationCreatedAt, c.ClosedAt, c.BlockedAt, c.BotStartedAt = at(convCreated), at(closed), at(blocked), at(botStarted)
	return c, err
}

func contactArgs(c *carillon.Contact) []any {
	return []any{c.Address, c.BSUID, c.Name, ms(c.UpdatedAt), ms(c.LastInboundAt), c.ConversationUUID,
		ms(c.ConversationCreatedAt), ms(c.ClosedAt), c.ClosingReason, c.AssignedUserID, c.TeamID, c.FunnelID,
		ms(c.BlockedAt), c.Note, c.BotStatus, ms(c.BotStartedAt), ms(c.LastMessageAt), string(c.LastMessageDirection)}
}

// CreateContact writes the contact and the words search finds it by
// (search.go), in one transaction.
func (q *queries) CreateContact(ctx context.Context, c *carillon.Contact) error {
	args := append([]any{c.UUID, c.AccountID, c.ChannelID, ms(c.CreatedAt)}, contactArgs(c)...)
	return q.atomic(ctx, func(q *queries) error {
		err := q.insertRow(ctx, `INSERT INTO contacts (uuid, account_id, channel_id, created_at, address, bsuid, name, updated_at,
		last_inbound_at, conversation_uuid, conversation_created_at, closed_at, closing_reason, assigned_user_id, team_id,
		funnel_id, blocked_at, note, bot_status, bot_started_at, last_message_at, last_message_direction)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`, args...).Scan(&c.ID)
		if err != nil {
			return err
		}
		q.holdContactCount(c.AccountID, c.ChannelID, c.ID, 1)
		q.holdTeamCount(c.AccountID, c.TeamID, 1)
		return q.writeWords(ctx, "contact_words", c.ID, c.SearchText(), false)
	})
}

// contactColumns are the columns an update of a contact may write, in
// the order of contactArgs, each in the group of the indexes it feeds. An
// UPDATE writes only the groups that hold a changed column: SQLite
// rewrites a row's entry in every index over a column its SET names,
// changed or not, and a contact has thirteen (docs/architecture.md, "An
// update writes what changed"). Groups rather than single columns keep the
// statement texts few: one per set of groups.
var contactColumns = [...]groupedColumn[contactGroup]{
	{"address", contactIdentity}, {"bsuid", contactIdentity}, {"name", contactIdentity},
	{"updated_at", contactUpdated}, {"last_inbound_at", contactInbound},
	{"conversation_uuid", contactConversation}, {"conversation_created_at", contactConversation},
	{"closed_at", contactConversation}, {"closing_reason", contactConversation},
	{"assigned_user_id", contactRouting}, {"team_id", contactRouting}, {"funnel_id", contactRouting},
	{"blocked_at", contactProfile}, {"note", contactProfile}, {"bot_status", contactProfile},
	{"bot_started_at", contactProfile}, {"last_message_at", contactActivity}, {"last_message_direction", contactActivity},
}

// contactGroup is a bit of a set of contactColumns' groups.
type contactGroup uint8

const (
	contactIdentity     contactGroup = 1 << iota // the address and bsuid indexes, the words
	contactRouting                               // the assignee and team indexes, the inbox's
	contactConversation                          // the conversation index, the inbox's conditions
	contactActivity                              // the inbox's order
	contactInbound                               // the inbox's unread counts: the customer's last message, which a send leaves
	contactProfile                               // no index
	contactUpdated                               // updated_at alone, always written: an update writes something
	contactGroups       = iota
)

// contactUpdates holds, for each set of groups, the UPDATE that writes
// their columns; conditions may follow it. contactUpdatesFrom holds the
// same UPDATEs written only while the row is as its writer read it: each
// of contactColumns still has the value of contactArgs(was).
var contactUpdates, contactUpdatesFrom = func() (texts, from [1 << contactGroups]string) {
	unchanged := make([]string, len(contactColumns))
	for i, c := range contactColumns {
		unchanged[i] = c.name + " = ?"
	}
	for set := range texts {
		var cols []string
		for _, c := range contactColumns {
			if contactGroup(set)&c.group != 0 {
				cols = append(cols, c.name+" = ?")
			}
		}
		texts[set] = "UPDATE contacts SET " + strings.Join(cols, ", ") + " WHERE account_id = ? AND id = ?"
		from[set] = texts[set] + " AND " + strings.Join(unchanged, " AND ")
	}
	return texts, from
}()

// contactUpdate returns the arguments of the SET of contact c's UPDATE,
// stored as was: the groups of columns where c differs from was, and
// updated_at; the set of those groups, which picks the statement
// (contactUpdates, contactUpdatesFrom); and was's values of
// contactColumns, which contactUpdatesFrom's conditions are given.
func contactUpdate(was, c *carillon.Contact) (args []any, set contactGroup, before []any) {
	before, after := contactArgs(was), contactArgs(c)
	set = contactUpdated | changedGroups(contactColumns[:], before, after)
	args = make([]any, 0, 2*len(after)+2)
	for i, col := range contactColumns {
		if set&col.group != 0 {
			args = append(args, after[i])
		}
	}
	return args, set, before
}

// UpdateContact reads the stored contact first, so that the words search
// finds it by are written again only when its SearchText changed, and its
// messages' assignee only when it is assigned to someone else. The row is
// locked as it is read (PostgreSQL), so that what it is compared with is
// what this update replaces.
func (q *queries) UpdateContact(ctx context.Context, c *carillon.Contact) error {
	return q.atomic(ctx, func(q *queries) error {
		q.writesContact(ctx, c.ID)
		stored, err := scanContact(q.queryRow(ctx, "SELECT "+contactCols+" FROM contacts WHERE account_id = ? AND id = ?"+q.db.dialect.lockRows,
			c.AccountID, c.ID))
		if err != nil {
			return err
		}
		args, set, _ := contactUpdate(&stored, c)
		if err := affected(q.exec(ctx, contactUpdates[set], append(args, c.AccountID, c.ID)...)); err != nil {
			return err
		}
		q.keepContact(ctx, rowAfter(stored, *c))
		return q.contactRewritten(ctx, stored, c)
	})
}

// UpdateContactFrom writes c without reading the row first: was, the row
// as the caller read it in this transaction, says what changes. The UPDATE
// proves it: it writes only while every column is still was's. When
// another transaction changed the row since the caller read it (on
// PostgreSQL, whose transactions read what others committed meanwhile), it
// is ErrStale and nothing is written: what the caller made of the row
// (the conversation it opened or found open, the assignee it kept, the
// window it checked) may not hold for the row as it is now, so the caller
// must read it again and make its change anew; writing its view over the
// row would take back what the other transaction did, writing only the
// columns it changed would keep a closed conversation closed under a new
// message. A row gone is ErrNotFound. SQLite's writer holds the database
// from its transaction's first read to its commit: there the row is was.
func (q *queries) UpdateContactFrom(ctx context.Context, was carillon.Contact, c *carillon.Contact) error {
	args, set, before := contactUpdate(&was, c)
	args = append(append(args, c.AccountID, c.ID), before...)
	return q.atomic(ctx, func(q *queries) error {
		kept, isKept := q.writesContact(ctx, c.ID)
		if q.session != nil {
			// PostgreSQL: no round trip of its own (every send's and
			// inbound message's unit writes its contact); a row not
			// written fails the transaction (execLaterChecked).
			notWritten := func() error { return q.contactNotWritten(ctx, c) }
			if err := q.execLaterChecked(notWritten, contactUpdatesFrom[set], args...); err != nil {
				return err
			}
		} else if updated, err := changedRow(q.exec(ctx, contactUpdatesFrom[set], args...)); err != nil {
			return err
		} else if !updated {
			return q.contactNotWritten(ctx, c)
		}
		// The row was was (== is strict: a time read at another
		// location only misses the keep): the columns not written
		// are c's too.
		if isKept && kept == was {
			q.keepContact(ctx, rowAfter(kept, *c))
		}
		return q.contactRewritten(ctx, was, c)
	})
}

// contactNotWritten is the error of an update of contact c that wrote no
// row (rowNotWritten).
func (q *queries) contactNotWritten(ctx context.Context, c *carillon.Contact) error {
	return q.rowNotWritten(ctx, "contact", c.ID, "SELECT id FROM contacts WHERE account_id = ? AND id = ?", c.AccountID, c.ID)
}

// rowNotWritten is the error of an update of a row that wrote none:
// ErrNotFound when the row, read by query, is gone, else ErrStale (it
// changed since its writer read it).
func (q *queries) rowNotWritten(ctx context.Context, kind string, id int64, query string, args ...any) error {
	var found int64
	if err := q.queryRow(ctx, query, args...).Scan(&found); err != nil {
		return err
	}
	return fmt.Errorf("%w: %s %d changed since it was read", carillon.ErrStale, kind, id)
}

// contactRewritten follows a contact's row rewritten from stored to c:
// its messages' assignee, its teams' numbers of contacts, and the words
// search finds it by.
func (q *queries) contactRewritten(ctx context.Context, stored carillon.Contact, c *carillon.Contact) error {
	if c.TeamID != stored.TeamID {
		q.holdTeamCount(c.AccountID, stored.TeamID, -1)
		q.holdTeamCount(c.AccountID, c.TeamID, 1)
	}
	if c.AssignedUserID != stored.AssignedUserID {
		// Each message keeps its contact's assignee (CreateMessage): the
		// newest now, the others a part at a time (assignees.go).
		if err := q.followAssignee(ctx, c); err != nil {
			return err
		}
	}
	if text := c.SearchText(); text != stored.SearchText() {
		return q.writeWords(ctx, "contact_words", c.ID, text, true)
	}
	return nil
}

func (q *queries) ContactByID(ctx context.Context, accountID, id int64) (carillon.Contact, error) {
	c, kept := q.keptContact(ctx, accountID, id)
	return q.keptOrRead(ctx, c, kept, "SELECT "+contactCols+" FROM contacts WHERE account_id = ? AND id = ?", accountID, id)
}

func (q *queries) ContactByUUID(ctx context.Context, accountID int64, uuid string) (carillon.Contact, error) {
	return scanContact(q.queryRow(ctx, "SELECT "+contactCols+" FROM contacts WHERE account_id = ? AND uuid = ?", accountID, uuid))
}

func (q *queries) ContactByAddress(ctx context.Context, channelID int64, address string) (carillon.Contact, error) {
	c, kept := q.keptContactAt(ctx, channelID, address)
	return q.keptOrRead(ctx, c, kept, "SELECT "+contactCols+" FROM contacts WHERE channel_id = ? AND address = ? AND address <> ''", channelID, address)
}

func (q *queries) ContactByBSUID(ctx context.Context, channelID int64, bsuid string) (carillon.Contact, error) {
	return scanContact(q.queryRow(ctx, "SELECT "+contactCols+" FROM contacts WHERE channel_id = ? AND bsuid = ? AND bsuid <> ''", channelID, bsuid))
}

// placeholders returns n comma-separated ? placeholders, for IN lists.
func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}

// idsPerQuery bounds the ids of one IN list, far below both databases'
// parameter limits; lists of a page of contacts fit in one query.
const idsPerQuery = 500

// byIDs runs query, whose every %s is replaced by an IN list of ids, for
// the ids, idsPerQuery at a time (inLists).
func (q *queries) byIDs(ctx context.Context, ids []int64, query string, scan func(r interface{ Scan(...any) error }) error, lead ...any) error {
	return inLists(ctx, q, ids, idsPerQuery, query, scan, lead...)
}

// inLists runs query, whose every %s is replaced by an IN list of items,
// for the items, per at a time, and hands each row to scan; lead are the
// arguments of the placeholders before the first list, and no
// placeholder may come between two lists. per also bounds the number of
// statement texts, one for each length of list, that are prepared and
// kept.
func inLists[T any](ctx context.Context, q *queries, items []T, per int, query string, scan func(r interface{ Scan(...any) error }) error, lead ...any) error {
	lists := strings.Count(query, "%s")
	for len(items) > 0 {
		n := min(len(items), per)
		args := make([]any, len(lead), len(lead)+lists*n)
		copy(args, lead)
		for range lists {
			for _, item := range items[:n] {
				args = append(args, item)
			}
		}
		if err := q.scanRows(ctx, scan, strings.ReplaceAll(query, "%s", placeholders(n)), args...); err != nil {
			return err
		}
		items = items[n:]
	}
	return nil
}

func (q *queries) SetContactTags(ctx context.Context, contactID int64, tagIDs []int64) error {
	// A set: a tag named twice is kept once.
	seen := make(map[int64]bool, len(tagIDs))
	args := make([]any, 0, 2*len(tagIDs))
	for _, id := range tagIDs {
		if !seen[id] {
			seen[id] = true
			args = append(args, contactID, id)
		}
	}
	return q.atomic(ctx, func(q *queries) error {
		// The account whose tags' numbers of contacts change.
		var accountID int64
		if err := q.queryRow(ctx, "SELECT account_id FROM contacts WHERE id = ?", contactID).Scan(&accountID); err != nil {
			return err
		}
		had, err := q.deleteContactTags(ctx, contactID)
		if err != nil {
			return err
		}
		for _, id := range had {
			if seen[id] {
				delete(seen, id) // kept: its count stays
			} else {
				q.holdTagCounts(accountID, contactID, []int64{id}, -1)
			}
		}
		for id := range seen {
			q.holdTagCounts(accountID, contactID, []int64{id}, 1)
		}
		if len(args) == 0 {
			return nil
		}
		values := strings.TrimSuffix(strings.Repeat("(?, ?), ", len(args)/2), ", ")
		_, err = q.exec(ctx, "INSERT INTO contact_tags (contact_id, tag_id) VALUES "+values, args...)
		return err
	})
}

func (q *queries) SetContactFieldValue(ctx context.Context, contactID, fieldID int64, value string) error {
	if value == "" {
		_, err := q.exec(ctx, "DELETE FROM contact_field_values WHERE contact_id = ? AND field_id = ?", contactID, fieldID)
		return err
	}
	_, err := q.exec(ctx, `INSERT INTO contact_field_values (contact_id, field_id, value) VALUES (?, ?, ?)
		ON CONFLICT (contact_id, field_id) DO UPDATE SET value = excluded.value`, contactID, fieldID, value)
	return err
}

// ContactExtras reads the tags' names and the field values in one
// statement, the rows of both tables one after the other: a tag's row has
// field id 0, which no field has. Every contact asked for gets an entry in
// both, empty when it has no tag or value; names are sorted in Go, by
// bytes, for the reason TeamMembers gives.
func (q *queries) ContactExtras(ctx context.Context, contactIDs []int64) (map[int64][]string, map[int64]map[int64]string, error) {
	tags := make(map[int64][]string, len(contactIDs))
	values := make(map[int64]map[int64]string, len(contactIDs))
	for _, id := range contactIDs {
		tags[id], values[id] = []string{}, map[int64]string{}
	}
	err := q.byIDs(ctx, contactIDs, `SELECT contact_tags.contact_id, 0, tags.name FROM contact_tags
		JOIN tags ON tags.id = contact_tags.tag_id WHERE contact_tags.contact_id IN (%s)
		UNION ALL SELECT contact_id, field_id, value FROM contact_field_values WHERE contact_id IN (%s)`,
		func(r interface{ Scan(...any) error }) error {
			var contact, field int64
			var text string
			if err := r.Scan(&contact, &field, &text); err != nil {
				return err
			}
			if field == 0 {
				tags[contact] = append(tags[contact], text)
			} else {
				values[contact][field] = text
			}
			return nil
		})
	if err != nil {
		return nil, nil, err
	}
	for _, names := range tags {
		sort.Strings(names)
	}
	return tags, values, nil
}

// ListContacts builds its WHERE clause from the filter's set fields. The
// total of a list of all the account's contacts, of one source's, of one
// team's or of one tag's is the sum of the counts the store keeps
// (contact_counts, team_counts, tag_counts), not a count of the rows. One
// tag alone pages through the tag's index (contact_tags_tag), far in from
// its counts by block (tag_blocks); a tag combined with other filters is
// an EXISTS for the page, which walks the newest contacts and stops at the
// page's end; where filters combine, the count reads the team's contacts,
// or each tag's from its index, rather than every contact of the account;
// every tag adds its own, so that a contact must have them all. The page
// is read by its ids first (listPageByIDs), from contacts_account,
// contacts_team or contact_tags_tag alone.
func (q *queries) ListContacts(ctx context.Context, accountID int64, f carillon.ContactFilter, page carillon.Page) ([]carillon.Contact, int, error) {
	where := "account_id = ?"
	args := []any{accountID}
	if f.ChannelType != "" {
		where += " AND channel_id IN (SELECT id FROM channels WHERE account_id = ? AND type = ?)"
		args = append(args, accountID, string(f.ChannelType))
	}
	const keptSum = "SELECT CAST(COALESCE(SUM(contacts), 0) AS BIGINT) FROM "
	count := keptSum + "contact_counts WHERE " + where
	if f.TeamID != 0 || len(f.TagIDs) > 0 {
		countWhere := where
		if f.TeamID != 0 {
			where += " AND team_id = ?"
			countWhere += " AND team_id = ?"
			args = append(args, f.TeamID)
		}
		for _, tag := range f.TagIDs {
			where += " AND EXISTS (SELECT 1 FROM contact_tags WHERE contact_tags.contact_id = contacts.id AND contact_tags.tag_id = ?)"
			countWhere += " AND id IN (SELECT contact_id FROM contact_tags WHERE tag_id = ?)"
			args = append(args, tag)
		}
		count = "SELECT COUNT(*) FROM contacts WHERE " + countWhere
		// One team or one tag alone: its kept count (the same arguments
		// as the page's).
		switch {
		case f.ChannelType != "":
		case len(f.TagIDs) == 0:
			count = keptSum + "team_counts WHERE account_id = ? AND team_id = ?"
		case f.TeamID == 0 && len(f.TagIDs) == 1:
			count = keptSum + "tag_counts WHERE account_id = ? AND tag_id = ?"
		}
	}
	if f.TeamID == 0 && f.ChannelType == "" && len(f.TagIDs) == 1 {
		// One tag's contacts: the page's ids from the tag's own index, so
		// that the page steps over the tag's entries, not over every
		// contact of the account to test each for the tag; far in, from
		// the block its tag_blocks' counts place it in.
		//
		// The walk from an eighth of a block: each entry the page steps
		// over is checked against the account (below), about 1 µs on
		// SQLite, so that stepping over a thousand cost more than the walk
		// and a block's entries (docs/benchmarks.md); the contacts' own
		// pages step over bare index entries, a block's worth before the
		// walk pays.
		tag := f.TagIDs[0]
		bound, skip, found, err := q.contactBlockAt(ctx, "tag_blocks", "account_id = ? AND tag_id = ?", []any{accountID, tag}, page.Offset(),
			contactBlockSize/8)
		if err != nil {
			return nil, 0, err
		}
		// The tag's entries of the account's contacts alone: a contact of
		// another account may carry the tag. Each entry's contact is read
		// by its id, a subquery per entry: as an EXISTS, PostgreSQL joins
		// every contact of the account to the tag's entries instead.
		idsQuery, idsArgs, offset := `SELECT contact_id FROM contact_tags WHERE tag_id = ?
			AND (SELECT account_id FROM contacts WHERE contacts.id = contact_tags.contact_id) = ?`, []any{tag, accountID}, page.Offset()
		if found {
			idsQuery, idsArgs, offset = idsQuery+" AND contact_id < ?", append(idsArgs, bound), skip
		}
		return listPageOfIDs(q, ctx, scanContact, contactCols, "contacts", idsQuery+" ORDER BY contact_id DESC LIMIT ? OFFSET ?", idsArgs,
			count, args, page.Size, offset)
	}
	if f.TeamID == 0 && len(f.TagIDs) == 0 {
		bound, skip, found, err := q.contactBlockAt(ctx, "contact_blocks", where, args, page.Offset(), contactBlockSize)
		if err != nil {
			return nil, 0, err
		}
		if found {
			return listPageByIDsFrom(q, ctx, scanContact, contactCols, "contacts", where+" AND id < ?", append(slices.Clip(args), bound),
				count, args, page.Size, skip)
		}
	}
	return listPageByIDs(q, ctx, scanContact, contactCols, "contacts", where, count, page, args...)
}

// errBlockFound ends contactBlockAt's walk of the blocks.
var errBlockFound = errors.New("block found")

// contactBlockAt finds where a page of contacts offset contacts from the
// newest begins, when that is farther than a block: in the block whose
// contacts that match where (on the columns of blocks, the table of
// counts by block: contact_blocks' account_id and channel_id, or
// tag_blocks' account_id and tag_id) are the offset-th from the newest,
// found by summing the blocks' counts from the newest; bound is the first
// id past the block, skip how many of the block's matching contacts come
// before the page. found is false for a page nearer the first than from
// (its OFFSET steps over fewer entries than the walk would cost) or past
// the last.
//
// The walk and the page are two statements: a contact created or deleted
// in between in a newer block than the page's moves the page by one, as
// it would between two requests. In a transaction (no list of all
// contacts is read in one) the page steps over the entries as before.
func (q *queries) contactBlockAt(ctx context.Context, blocks, where string, args []any, offset int, from int64) (bound int64, skip int, found bool, err error) {
	if q.tx != nil || int64(offset) < from {
		return 0, 0, false, nil
	}
	before := 0 // the matching contacts of the newer blocks
	err = q.scanRows(ctx, func(r interface{ Scan(...any) error }) error {
		var block int64
		var n int
		if err := r.Scan(&block, &n); err != nil {
			return err
		}
		if before+n <= offset {
			before += n
			return nil
		}
		bound, skip, found = (block+1)*contactBlockSize, offset-before, true
		return errBlockFound
	}, "SELECT block, CAST(SUM(contacts) AS BIGINT) FROM "+blocks+" WHERE "+where+" GROUP BY block ORDER BY block DESC", args...)
	if errors.Is(err, errBlockFound) {
		err = nil
	}
	return bound, skip, found, err
}

func (q *queries) DeleteContact(ctx context.Context, accountID, id int64) error {
	return q.atomic(ctx, func(q *queries) error {
		q.writesContact(ctx, id)
		// Locked as it is read (PostgreSQL): the team counted off is the
		// one the row has when it goes.
		var channelID, teamID int64
		if err := q.queryRow(ctx, "SELECT channel_id, team_id FROM contacts WHERE account_id = ? AND id = ?"+q.db.dialect.lockRows,
			accountID, id).Scan(&channelID, &teamID); err != nil {
			return err
		}
		if err := q.deleteContactStatusHistory(ctx, id); err != nil {
			return err
		}
		if err := q.writeHeldWords(ctx); err != nil {
			return err
		}
		tags, err := q.deleteContactTags(ctx, id)
		if err != nil {
			return err
		}
		q.holdTagCounts(accountID, id, tags, -1)
		for _, stmt := range []string{
			"DELETE FROM message_words WHERE rowid IN (SELECT id FROM messages WHERE contact_id = ?)",
			"DELETE FROM contact_words WHERE rowid = ?",
			"DELETE FROM contact_field_values WHERE contact_id = ?",
			"DELETE FROM read_marks WHERE contact_id = ?",
			"DELETE FROM conversation_changes WHERE contact_id = ?",
			"DELETE FROM message_assignee_queue WHERE contact_id = ?",
		} {
			if _, err := q.exec(ctx, stmt, id); err != nil {
				return err
			}
		}
		// Counted off as many as were deleted, whatever another
		// transaction stored meanwhile, so that the count follows the rows.
		messages, err := rowsChanged(q.exec(ctx, "DELETE FROM messages WHERE contact_id = ?", id))
		if err != nil {
			return err
		}
		if _, err := q.exec(ctx, "DELETE FROM contacts WHERE id = ?", id); err != nil {
			return err
		}
		q.holdMessageCount(accountID, id, -int(messages))
		q.holdContactCount(accountID, channelID, id, -1)
		q.holdTeamCount(accountID, teamID, -1)
		return nil
	})
}

func (q *queries) DeleteOldestContactMessages(ctx context.Context, accountID, id int64, limit int) (deleted int, err error) {
	err = q.atomic(ctx, func(q *queries) error {
		// Held rows of this transaction are written first, so that none
		// is written after its message is gone.
		if err := q.writeHeldHistory(ctx); err != nil {
			return err
		}
		if err := q.writeHeldWords(ctx); err != nil {
			return err
		}
		// The part is the messages up to the limit-th oldest, read from
		// the index messages_contact (contact_id, account_id, id); all of
		// them when the contact has fewer.
		bound := int64(math.MaxInt64)
		err := q.queryRow(ctx, "SELECT id FROM messages WHERE contact_id = ? AND account_id = ? ORDER BY id LIMIT 1 OFFSET ?",
			id, accountID, limit-1).Scan(&bound)
		if err != nil && !errors.Is(err, carillon.ErrNotFound) {
			return err
		}
		for _, stmt := range []string{
			"DELETE FROM message_statuses WHERE message_id IN (SELECT id FROM messages WHERE contact_id = ? AND account_id = ? AND id <= ?)",
			"DELETE FROM message_words WHERE rowid IN (SELECT id FROM messages WHERE contact_id = ? AND account_id = ? AND id <= ?)",
		} {
			if _, err := q.exec(ctx, stmt, id, accountID, bound); err != nil {
				return err
			}
		}
		// Counted off as many as were deleted, as DeleteContact does.
		n, err := rowsChanged(q.exec(ctx, "DELETE FROM messages WHERE contact_id = ? AND account_id = ? AND id <= ?", id, accountID, bound))
		if err != nil {
			return err
		}
		q.holdMessageCount(accountID, id, -int(n))
		deleted = int(n)
		return nil
	})
	return deleted, err
}

// deleteContactTags deletes the contact's tags and returns their ids:
// those it deleted, whatever another transaction did meanwhile, so that
// the tags' numbers of contacts follow the rows.
func (q *queries) deleteContactTags(ctx context.Context, contactID int64) ([]int64, error) {
	return listWritten(q, ctx, scanID, "DELETE FROM contact_tags WHERE contact_id = ? RETURNING tag_id", contactID)
}

// The number of contacts of each channel is kept in contact_counts, the
// sum of its rows (migration 0018), and those of each team and each tag in
// team_counts and tag_counts (0020), so that a list of all an account's
// contacts, or of one source's, one team's or one tag's, needs no COUNT
// over them: that count reads every contact it counts, a cost that grows
// with the store. Each channel's and each tag's contacts are also counted
// by block of contact ids (contact_blocks, 0021; tag_blocks, 0023), for
// the pages far from the first (contactBlockAt). A transaction holds its
// changes and adds them, just before it commits (runTx), to one of
// contactCountShards rows of each count it changed, picked at random: a
// row stays locked until the commit, so writers that commit at the same
// time (PostgreSQL) wait for each other only when they pick the same row.
// Each contact's messages are counted the same way in
// contact_message_counts (0022), one row per contact, so that a page of
// its messages needs no COUNT over them either. These are the
// transaction's last writes but the chat changes' (live.go): a writer
// that holds one waits only for another such row, which all take in the
// same order (countKey's: the channels', their blocks', the teams', the
// tags', their blocks', then the contacts' messages', each sorted), or
// for the chat changes' counter, whose holder waits for nothing but its
// commit; so these rows add no cycle of locks, no deadlock.

// contactCountShards is the rows per channel, team or tag; a variable for
// BenchmarkContactCountShards alone.
var contactCountShards = 8

// countTable names a table of kept counts, in the order a transaction
// writes them.
type countTable uint8

const (
	channelCounts  countTable = iota // contact_counts, by account and channel
	blockCounts                      // contact_blocks, by account, block and channel
	teamCounts                       // team_counts, by account and team
	tagCounts                        // tag_counts, by account and tag
	tagBlockCounts                   // tag_blocks, by account, block and tag
	messageCounts                    // contact_message_counts, by contact: not sharded
)

// contactBlockSize is the number of contact ids in a block of
// contact_blocks. A page far in reads the blocks' rows, about the store's
// contacts over the size, and steps over at most the size's entries:
// 2,048 keeps both to a few hundred at 200,000 contacts, a few thousand
// at 1,000,000. A variable for the store's tests alone, which set it small
// on their empty stores so that short lists cross many blocks.
var contactBlockSize = migratedContactBlockSize

// migratedContactBlockSize is the block size migration 0021 wrote its
// counts with (TestContactBlocksMigration checks that they agree).
const migratedContactBlockSize int64 = 2048

// countUpserts add changes to shards of counts, by table: the INSERT up
// to its rows, one row's placeholders, and what a row already there gets.
var countUpserts = [...]countUpsert{
	channelCounts: {"INSERT INTO contact_counts (account_id, channel_id, shard, contacts) VALUES ", "(?, ?, ?, ?)",
		" ON CONFLICT (account_id, channel_id, shard) DO UPDATE SET contacts = contact_counts.contacts + excluded.contacts"},
	blockCounts: {"INSERT INTO contact_blocks (account_id, block, channel_id, shard, contacts) VALUES ", "(?, ?, ?, ?, ?)",
		" ON CONFLICT (account_id, block, channel_id, shard) DO UPDATE SET contacts = contact_blocks.contacts + excluded.contacts"},
	teamCounts: {"INSERT INTO team_counts (account_id, team_id, shard, contacts) VALUES ", "(?, ?, ?, ?)",
		" ON CONFLICT (account_id, team_id, shard) DO UPDATE SET contacts = team_counts.contacts + excluded.contacts"},
	tagCounts: {"INSERT INTO tag_counts (account_id, tag_id, shard, contacts) VALUES ", "(?, ?, ?, ?)",
		" ON CONFLICT (account_id, tag_id, shard) DO UPDATE SET contacts = tag_counts.contacts + excluded.contacts"},
	tagBlockCounts: {"INSERT INTO tag_blocks (account_id, block, tag_id, shard, contacts) VALUES ", "(?, ?, ?, ?, ?)",
		" ON CONFLICT (account_id, tag_id, block, shard) DO UPDATE SET contacts = tag_blocks.contacts + excluded.contacts"},
	messageCounts: {"INSERT INTO contact_message_counts (account_id, contact_id, messages) VALUES ", "(?, ?, ?)",
		" ON CONFLICT (contact_id) DO UPDATE SET messages = contact_message_counts.messages + excluded.messages"},
}

type countUpsert struct{ insert, row, conflict string }

// countKey names one count: the number of an account's contacts of a
// channel, a team or a tag (id), or of a channel or a tag (of) in a block
// (id the block), or the number of a contact's messages (id the contact).
type countKey struct {
	table       countTable
	account, id int64
	of          int64 // blockCounts: the channel; tagBlockCounts: the tag
}

func (k countKey) compare(o countKey) int {
	return cmp.Or(cmp.Compare(k.table, o.table), cmp.Compare(k.account, o.account), cmp.Compare(k.id, o.id),
		cmp.Compare(k.of, o.of))
}

// holdContactCount adds delta to the channel's number of contacts, and
// to that of its contacts in contact id's block, when the transaction
// commits; q is in a transaction (atomic).
func (q *queries) holdContactCount(accountID, channelID, id int64, delta int) {
	q.holdCount(countKey{table: channelCounts, account: accountID, id: channelID}, delta)
	q.holdCount(countKey{table: blockCounts, account: accountID, id: id / contactBlockSize, of: channelID}, delta)
}

// holdTeamCount adds delta to the team's number of the account's
// contacts (none for team 0, no team) when the transaction commits.
func (q *queries) holdTeamCount(accountID, teamID int64, delta int) {
	if teamID != 0 {
		q.holdCount(countKey{table: teamCounts, account: accountID, id: teamID}, delta)
	}
}

// holdTagCounts adds delta to each tag's number of the account's
// contacts, and to that of its contacts in contactID's block, when the
// transaction commits: contactID was tagged (1) or untagged (-1).
func (q *queries) holdTagCounts(accountID, contactID int64, tagIDs []int64, delta int) {
	for _, id := range tagIDs {
		q.holdCount(countKey{table: tagCounts, account: accountID, id: id}, delta)
		q.holdCount(countKey{table: tagBlockCounts, account: accountID, id: contactID / contactBlockSize, of: id}, delta)
	}
}

// holdMessageCount adds delta to the number of the contact's messages
// when the transaction commits.
func (q *queries) holdMessageCount(accountID, contactID int64, delta int) {
	q.holdCount(countKey{table: messageCounts, account: accountID, id: contactID}, delta)
}

func (q *queries) holdCount(k countKey, delta int) {
	if q.heldCounts == nil {
		q.heldCounts = map[countKey]int{}
	}
	q.heldCounts[k] += delta
}

// writeHeldCounts writes the changes of the numbers of contacts the
// transaction holds, in countKey's order: a few statements a table, each
// with many rows (execRowsLater), whose upserts take the rows' locks in
// that order.
func (q *queries) writeHeldCounts(ctx context.Context) error {
	held := q.heldCounts
	q.heldCounts = nil
	shard := rand.IntN(contactCountShards)
	var rows [len(countUpserts)][][]any // by table, each in countKey's order
	var emptied []int64                 // contacts whose messages were counted off
	for _, k := range slices.SortedFunc(maps.Keys(held), countKey.compare) {
		if held[k] == 0 {
			continue
		}
		switch k.table {
		case blockCounts, tagBlockCounts:
			rows[k.table] = append(rows[k.table], []any{k.account, k.id, k.of, shard, held[k]})
		case messageCounts:
			rows[k.table] = append(rows[k.table], []any{k.account, k.id, held[k]})
			if held[k] < 0 {
				emptied = append(emptied, k.id)
			}
		default:
			rows[k.table] = append(rows[k.table], []any{k.account, k.id, shard, held[k]})
		}
	}
	for table, u := range countUpserts {
		if err := q.execRowsLater(ctx, rows[table], func(n int) string { return u.insert + valuesRows(u.row, n) + u.conflict }); err != nil {
			return err
		}
	}
	// Only a deleted contact's messages are counted off: its row goes, so
	// that a contact given its id later (SQLite may give the highest id
	// again) starts from none.
	for _, id := range emptied {
		if err := q.execLater(ctx, "DELETE FROM contact_message_counts WHERE contact_id = ? AND messages = 0", id); err != nil {
			return err
		}
	}
	return nil
}
