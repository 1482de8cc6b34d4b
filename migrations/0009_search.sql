-- Full-text index of every version's headline and body, for `redline search`.
-- Contentless: versions keep their text (compressed); the index holds only
-- which versions have which words (detail = none: no positions, a fraction
-- of the size), case-folded, accents kept; words are runs of letters,
-- digits and marks. It names candidates; the phrase itself is checked on
-- the text. Rows are added in the transaction that stores the version
-- (rowid = versions.id) and leave with it.
CREATE VIRTUAL TABLE version_search USING fts5(
    title,
    body,
    content = '',
    contentless_delete = 1,
    detail = none,
    tokenize = "unicode61 remove_diacritics 0 categories 'L* N* Co M*'"
);

CREATE TRIGGER versions_leave_search AFTER DELETE ON versions BEGIN
    DELETE FROM version_search WHERE rowid = old.id;
END;
