-- Search over messages and contacts (store/search.go): the folded words
-- (package fold) of each message's and contact's SearchText, one row per
-- message or contact that has any, its rowid the message's or contact's
-- id. An FTS5 table without content of its own (the words are folded in
-- Go, the texts are in messages and contacts) whose rows can be deleted
-- (contentless_delete); the words are separated by spaces and hold no
-- ASCII punctuation, so the ascii tokenizer cuts them as Go did and leaves
-- them as they are; no positions are kept (detail=none): a search asks
-- for words, not phrases. The words' first two and three characters are
-- indexed too (prefix): a search's last word is the start of a word, and
-- without them a start of two letters merged the lists of every word it
-- begins (measured with bench/search, docs/benchmarks.md). search_words is
-- the vocabulary, every word indexed, by which a longer start is searched
-- as the words it starts. The store's migration step fills them from the
-- rows already stored (migrate.go).
CREATE VIRTUAL TABLE message_words USING fts5(words, content='', contentless_delete=1, tokenize='ascii', detail='none', prefix='2 3');
CREATE VIRTUAL TABLE contact_words USING fts5(words, content='', contentless_delete=1, tokenize='ascii', detail='none', prefix='2 3');
CREATE TABLE search_words (word TEXT NOT NULL PRIMARY KEY) WITHOUT ROWID;
