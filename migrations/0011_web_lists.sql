-- The web's article list, newest change first, pages by a keyset on
-- (last change, id) rather than an offset: an index in that order. (The
-- URL order has the UNIQUE index on url; the added order is the rowid.)
CREATE INDEX targets_by_change ON targets (COALESCE(last_change_at, 0), id);
