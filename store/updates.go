package store

// The updates of the hottest rows (contacts, messages) write only the
// groups of columns that changed (docs/architecture.md, "An update writes
// what changed"): SQLite rewrites a row's entry in every index over a
// column its SET names, changed or not.

// groupedColumn is a column an update may write, in the group of the
// indexes it feeds.
type groupedColumn[G ~uint8] struct {
	name  string
	group G
}

// changedGroups returns the groups of cols that hold a column where before
// and after, their values in cols' order, differ.
func changedGroups[G ~uint8](cols []groupedColumn[G], before, after []any) G {
	var set G
	for i, col := range cols {
		if before[i] != after[i] {
			set |= col.group
		}
	}
	return set
}
