-- Search over messages and contacts (store/search.go): the folded words
-- (package fold) of each message's and contact's SearchText, one row per
-- message or contact that has any, as a tsvector made of those words as
-- they are (array_to_tsvector: no text search configuration cuts or folds
-- them again), with a GIN index. The key is named rowid, as SQLite's FTS5
-- names it, so that both databases run the same statements. search_words
-- is the vocabulary, every word indexed, in the byte order of the words
-- (COLLATE "C") that finds the words a start starts with a range. The
-- store's migration step fills them from the rows already stored
-- (migrate.go).
CREATE TABLE message_words (
    rowid BIGINT   NOT NULL PRIMARY KEY,
    words TSVECTOR NOT NULL
);
CREATE INDEX message_words_words ON message_words USING GIN (words);
CREATE TABLE contact_words (
    rowid BIGINT   NOT NULL PRIMARY KEY,
    words TSVECTOR NOT NULL
);
CREATE INDEX contact_words_words ON contact_words USING GIN (words);
CREATE TABLE search_words (
    word TEXT COLLATE "C" NOT NULL PRIMARY KEY
);
