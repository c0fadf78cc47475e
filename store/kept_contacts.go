package store

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/carillon/carillon"
)

// maxKeptContacts bounds the contacts a SQLite store keeps in memory:
// past it, one kept contact is dropped for each new one. A contact whose
// texts (name, note, closing reason…) are longer than maxKeptContactText
// bytes is not kept: the bound on memory holds whatever they hold, about
// 5 MiB (docs/operations.md).
const (
	maxKeptContacts    = 1 << 12
	maxKeptContactText = 512
)

// keptContacts are contacts as the SQLite writer last read them, so that
// a send's read of its recipient and its outcome's read of the contact
// are answered without a statement (docs/architecture.md, "Contacts kept
// by the SQLite writer"). What is kept is what the writer's connection
// reads now:
//   - this store writes a contact's row only through UpdateContact,
//     UpdateContactFrom and DeleteContact, which drop it from here before
//     they write (a new row's id was no kept contact's: that one was
//     deleted, and dropped); an update keeps the row it wrote when it
//     knows the whole of it: UpdateContact read it, UpdateContactFrom's
//     was is the row kept;
//   - a transaction that fails drops everything: what it read after its
//     own writes is gone with them;
//   - another process writing the same file (or a second store opened on
//     it) moves SQLite's data_version, checked once in each transaction
//     that reads a contact; when it moved, everything kept is dropped.
//
// PostgreSQL keeps none across transactions (other instances write its
// rows): a transaction keeps, for itself alone, the contacts it preloaded
// (PreloadContacts) and what it reads and writes of them afterwards, by
// the same rules.
type keptContacts struct {
	mu sync.Mutex
	// dataVersion is the writer connection's PRAGMA data_version when
	// the contacts were kept; it moves when another connection commits.
	dataVersion int64
	byID        map[int64]carillon.Contact
	// byAddress leads to byID; an entry is checked against the contact
	// it leads to, so one left behind by a change of address is a miss.
	byAddress map[contactAddress]int64
}

type contactAddress struct {
	channelID int64
	address   string
}

// dropAll forgets every kept contact: after another connection's commit,
// and after a transaction that failed (its connection may also have been
// replaced, and with it the meaning of data_version).
func (k *keptContacts) dropAll() {
	if k == nil {
		return
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	clear(k.byID)
	clear(k.byAddress)
}

// keptSet is where this transaction keeps the contacts it reads: the
// SQLite writer's, which its transactions share, or on PostgreSQL the
// transaction's own, made by PreloadContacts; nil when none.
func (q *queries) keptSet() *keptContacts {
	if q.db.contacts != nil {
		return q.db.contacts
	}
	return q.txContacts
}

// keepsContacts reports whether this transaction reads and keeps
// contacts through keptSet, checking the SQLite writer's data_version at
// its first use.
func (q *queries) keepsContacts(ctx context.Context) bool {
	if q.tx == nil || q.keptSet() == nil {
		return false
	}
	if q.contactsChecked || q.txContacts != nil {
		return true
	}
	var version int64
	if err := q.queryRow(ctx, "PRAGMA data_version").Scan(&version); err != nil {
		return false
	}
	k := q.keptSet()
	k.mu.Lock()
	moved := version != k.dataVersion
	k.dataVersion = version
	k.mu.Unlock()
	if moved {
		k.dropAll()
	}
	q.contactsChecked = true
	return true
}

// keptContact returns contact id of the account as kept, when this
// transaction may take it.
func (q *queries) keptContact(ctx context.Context, accountID, id int64) (carillon.Contact, bool) {
	if !q.keepsContacts(ctx) {
		return carillon.Contact{}, false
	}
	k := q.keptSet()
	k.mu.Lock()
	defer k.mu.Unlock()
	c, ok := k.byID[id]
	return c, ok && c.AccountID == accountID
}

// keptContactAt returns the contact at address on the channel as kept,
// when this transaction may take it.
func (q *queries) keptContactAt(ctx context.Context, channelID int64, address string) (carillon.Contact, bool) {
	if address == "" || !q.keepsContacts(ctx) {
		return carillon.Contact{}, false
	}
	k := q.keptSet()
	k.mu.Lock()
	id, ok := k.byAddress[contactAddress{channelID, address}]
	c, kept := k.byID[id]
	k.mu.Unlock()
	if !ok || !kept || c.ChannelID != channelID || c.Address != address {
		return carillon.Contact{}, false
	}
	return c, true
}

// keptOrRead returns c when it was kept, else reads the contact with
// query and keeps what it read.
func (q *queries) keptOrRead(ctx context.Context, c carillon.Contact, kept bool, query string, args ...any) (carillon.Contact, error) {
	if kept {
		return c, nil
	}
	c, err := scanContact(q.queryRow(ctx, query, args...))
	if err == nil {
		q.keepContact(ctx, c)
	}
	return c, err
}

// keepContact keeps c as this transaction read it.
func (q *queries) keepContact(ctx context.Context, c carillon.Contact) {
	text := len(c.Name) + len(c.Note) + len(c.ClosingReason) + len(c.FunnelID) + len(c.BotStatus) + len(c.Address) + len(c.BSUID)
	if text > maxKeptContactText || !q.keepsContacts(ctx) {
		return
	}
	k := q.keptSet()
	k.mu.Lock()
	defer k.mu.Unlock()
	if _, ok := k.byID[c.ID]; !ok && len(k.byID) >= maxKeptContacts {
		for id := range k.byID {
			delete(k.byID, id)
			break
		}
	}
	if len(k.byAddress) >= maxKeptContacts {
		// Entries left behind by changes of address, or by contacts
		// dropped above: start the index again.
		clear(k.byAddress)
	}
	k.byID[c.ID] = c
	if c.Address != "" {
		k.byAddress[contactAddress{c.ChannelID, c.Address}] = c.ID
	}
}

// writesContact drops contact id from the kept ones, called before the
// contact's row is written; it returns the contact as it was kept, if it
// was: the row as it is.
func (q *queries) writesContact(ctx context.Context, id int64) (carillon.Contact, bool) {
	k := q.keptSet()
	if k == nil {
		return carillon.Contact{}, false
	}
	checked := q.keepsContacts(ctx)
	k.mu.Lock()
	defer k.mu.Unlock()
	c, ok := k.byID[id]
	delete(k.byID, id)
	return c, ok && checked
}

// rowAfter returns the row of a contact stored as stored once c is written
// over it, as a read of it gives it: the columns an update writes from c,
// the others (its identity, its creation) from stored, times to the
// millisecond.
func rowAfter(stored, c carillon.Contact) carillon.Contact {
	c.ID, c.UUID, c.AccountID, c.ChannelID, c.CreatedAt = stored.ID, stored.UUID, stored.AccountID, stored.ChannelID, stored.CreatedAt
	for _, t := range []*time.Time{&c.CreatedAt, &c.UpdatedAt, &c.LastInboundAt, &c.LastMessageAt, &c.ConversationCreatedAt,
		&c.ClosedAt, &c.BlockedAt, &c.BotStartedAt} {
		*t = at(ms(*t))
	}
	return c
}

// PreloadContacts reads the contacts refs name in one statement, for the
// transaction's reads of them by id or address to be answered without a
// statement each: on PostgreSQL, where each read is a round trip and a
// transaction of the committer runs the units of many requests, each
// reading its contact. What it reads may be changed by another
// transaction before a unit uses it, as a read made at that moment may
// be under READ COMMITTED a statement later: a unit that writes the
// contact finds out (UpdateContactFrom checks the whole row). The SQLite
// writer keeps its contacts across transactions, and reads nothing here.
func (q *queries) PreloadContacts(ctx context.Context, refs []carillon.ContactRef) error {
	if q.tx == nil || q.db.contacts != nil || len(refs) == 0 {
		return nil
	}
	var ids, channels []int64
	var addresses []string
	for _, r := range refs {
		switch {
		case r.ID != 0:
			ids = append(ids, r.ID)
		case r.Address != "":
			channels, addresses = append(channels, r.ChannelID), append(addresses, r.Address)
		}
	}
	if len(ids)+len(addresses) == 0 {
		return nil
	}
	// Arrays, not lists of placeholders: a statement text does not
	// change with the batch's size, and is prepared once. Each contact
	// is one probe of its index (LATERAL … LIMIT 1), the same plan for
	// any batch and any size of table, never a scan of the table. A part
	// with nothing to read is left out of the text rather than given an
	// empty array: PostgreSQL plans a statement again for each call while
	// the plans for its arguments cost less than its one plan for all,
	// and an empty array's costs nothing (PostgreSQL only: SQLite reads
	// nothing here).
	var parts []string
	var args []any
	if len(ids) > 0 {
		parts = append(parts, `SELECT c.* FROM unnest(CAST(? AS BIGINT[])) AS wanted(id),
		LATERAL (SELECT `+contactCols+` FROM contacts WHERE contacts.id = wanted.id LIMIT 1) AS c`)
		args = append(args, ids)
	}
	if len(addresses) > 0 {
		parts = append(parts, `SELECT c.* FROM unnest(CAST(? AS BIGINT[]), CAST(? AS TEXT[])) AS wanted(ch, addr),
		LATERAL (SELECT `+contactCols+` FROM contacts WHERE channel_id = wanted.ch AND address = wanted.addr AND address <> '' LIMIT 1) AS c`)
		args = append(args, channels, addresses)
	}
	// On PostgreSQL the read goes with the transaction's BEGIN, queued
	// (scanRows): one round trip for both.
	read, err := list(q, ctx, scanContact, strings.Join(parts, " UNION ALL "), args...)
	if err != nil {
		return err
	}
	if q.txContacts == nil {
		q.txContacts = &keptContacts{byID: map[int64]carillon.Contact{}, byAddress: map[contactAddress]int64{}}
	}
	for _, c := range read {
		q.keepContact(ctx, c)
	}
	return nil
}
