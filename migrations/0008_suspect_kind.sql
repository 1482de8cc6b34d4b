-- The kind of a suspect check (a wall or error page, no article at all, or
-- a body that shrank to less than half) is a column of its own, so that
-- detection counts a run of suspect checks of one kind without reading the
-- reason's text. Suspect checks recorded before this carry the kind as the
-- first word of their reason ("blocked: …"); they are backfilled from it.

ALTER TABLE checks ADD COLUMN suspect_kind TEXT
    CHECK (suspect_kind IN ('blocked', 'empty', 'shrunk'));

UPDATE checks
SET suspect_kind = CASE
        WHEN error LIKE 'blocked:%' THEN 'blocked'
        WHEN error LIKE 'empty:%' THEN 'empty'
        WHEN error LIKE 'shrunk:%' THEN 'shrunk'
    END
WHERE outcome = 'suspect';
