package store

import (
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
)

// dialect is everything that differs between SQLite and PostgreSQL, in one
// place: the queries are written once, in the SQL both databases take
// (INSERT … RETURNING, ON CONFLICT … DO UPDATE SET x = excluded.x,
// UPDATE … FROM (VALUES …), integer times), and ask their dialect for the
// few pieces that cannot be shared. A statement that needs a new difference
// adds a field here, not an if on the database's name.
type dialect struct {
	// name is the dialect's name in messages.
	name string
	// migrations is the folder of the dialect's numbered migrations in
	// migrationFiles.
	migrations string
	// numberedPlaceholders: PostgreSQL takes $1, $2…, SQLite the ? the
	// queries are written with.
	numberedPlaceholders bool
	// shared: several server instances may use the database at once, so
	// the pipeline coordinates through it.
	shared bool
	// prepares: statements are prepared once and kept. SQLite's pure-Go
	// driver would parse every statement on every call; pgx caches
	// prepared statements by itself.
	prepares bool
	// byBytes follows a text column in an ORDER BY to compare it byte by
	// byte, as Go compares strings, whatever the database's collation.
	// SQLite's default collation (BINARY) does already.
	byBytes string
	// lockRows ends a SELECT whose rows must stay locked until the
	// transaction ends. SQLite has no row locks and needs none: its single
	// writer runs one write transaction at a time.
	lockRows string
	// shareRows ends a SELECT whose rows must not change nor go until the
	// transaction ends, other transactions reading them the same way
	// alongside (PostgreSQL's FOR SHARE). SQLite needs none, as lockRows.
	shareRows string
	// claimRows ends a SELECT that picks rows to claim: the rows another
	// transaction is claiming are skipped rather than waited for, so that
	// instances claim side by side. SQLite's single writer serialises
	// claims by itself.
	claimRows string
	// namesValuesColumns: a VALUES list used as a table has its columns
	// named column1, column2… by SQLite; PostgreSQL must be told those
	// names (see valuesColumns).
	namesValuesColumns bool
	// rowidInserts: a one-row INSERT … RETURNING id runs as the INSERT
	// alone, the id taken from the connection (insertRow). SQLite keeps a
	// journal of the pages of a statement with RETURNING, to undo it
	// alone, and none for a one-row INSERT without it.
	rowidInserts bool
	// migrationsLock: migrations are serialised by an advisory lock held
	// for the whole run (PostgreSQL). SQLite takes its write lock in each
	// migration's transaction instead (writeLockFirst).
	migrationsLock bool
	// writeLockFirst: a migration's transaction writes first, to take the
	// database's write lock before reading the applied versions (SQLite:
	// two processes opening a new data folder at once).
	writeLockFirst bool
	// words is the value of a search index's words column (search.go)
	// made of one argument, the folded words separated by spaces: the
	// text itself, which SQLite's FTS5 cuts at its spaces (tokenize
	// ascii), or a tsvector of its words as they are (PostgreSQL).
	words string
	// matchWords is the condition that a row of the search index table
	// named by its %s holds the words of one argument, written by
	// searchQuery.
	matchWords string
	// searchQuery writes a match as the argument of matchWords.
	searchQuery func(m match) string
	// prefixIndexed is the most characters of a start of words the
	// search index finds by itself, quickly (SQLite's FTS5 indexes the
	// first two and three characters of every word); a longer start is
	// searched as the words of the vocabulary it starts.
	prefixIndexed int
	// searchWindow is how many of the newest ids a search walks before
	// it reads the older rows through the words' index, sorted; 0 when
	// the index returns its matches newest first by itself (SQLite's
	// FTS5). See store/search.go.
	searchWindow int64
	// searchArgs lead the arguments of a search's statements: pgx's
	// QueryExecModeExec plans each with its values rather than a plan
	// kept for any words, which PostgreSQL would pick after a few runs.
	searchArgs []any
	// analyzeSearch gathers the statistics of the search tables once the
	// migration that made them filled them; PostgreSQL plans searches by
	// them, and its autovacuum would gather them only later. SQLite keeps
	// none (the store relies on none).
	analyzeSearch string
	// pipelines: a transaction sends its statements in batches, several
	// in one round trip (pipeline.go). SQLite runs in the process: its
	// statements cost no round trip.
	pipelines bool
}

var (
	sqliteDialect = &dialect{
		name:           "sqlite",
		migrations:     "migrations/sqlite",
		prepares:       true,
		rowidInserts:   true,
		writeLockFirst: true,
		words:          "?",
		matchWords:     "%s MATCH ?",
		searchQuery:    ftsQuery,
		prefixIndexed:  3,
	}
	postgresDialect = &dialect{
		name:                 "postgres",
		migrations:           "migrations/postgres",
		numberedPlaceholders: true,
		shared:               true,
		byBytes:              ` COLLATE "C"`,
		lockRows:             " FOR UPDATE",
		shareRows:            " FOR SHARE",
		claimRows:            " FOR UPDATE SKIP LOCKED",
		namesValuesColumns:   true,
		migrationsLock:       true,
		words:                "array_to_tsvector(string_to_array(?, ' '))",
		matchWords:           "%s.words @@ CAST(? AS tsquery)",
		searchQuery:          tsQuery,
		searchWindow:         5000,
		searchArgs:           []any{pgx.QueryExecModeExec},
		analyzeSearch:        "ANALYZE message_words, contact_words, search_words",
		pipelines:            true,
	}
)

// bind rewrites the ? placeholders of query in the dialect's form. Queries
// never hold a literal question mark, so a plain scan is enough.
func (d *dialect) bind(query string) string {
	if !d.numberedPlaceholders {
		return query
	}
	var b strings.Builder
	n := 0
	for _, r := range query {
		if r == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// valuesColumns names the n columns of a VALUES list used as a table, as
// SQLite names them: "" where the database names them so by itself, else
// "(column1, …, columnN)", to follow the list's alias.
func (d *dialect) valuesColumns(n int) string {
	if !d.namesValuesColumns {
		return ""
	}
	names := make([]string, n)
	for i := range names {
		names[i] = "column" + strconv.Itoa(i+1)
	}
	return "(" + strings.Join(names, ", ") + ")"
}
