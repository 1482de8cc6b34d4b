-- Change detection that ignores noise: suspect checks, change classes,
-- reverts that share the content of the version they return to, and
-- per-target ignore/exclude rules.

-- Checks may now be `suspect`: a page that looks broken (bot wall, consent
-- page, error page, an article that vanished) is recorded but not stored
-- as a version. SQLite cannot alter a CHECK constraint, so the table is
-- rebuilt with its rows.
CREATE TABLE checks_new (
    id              INTEGER PRIMARY KEY,
    target_id       INTEGER NOT NULL REFERENCES targets (id) ON DELETE CASCADE,
    started_at      INTEGER NOT NULL,
    duration_ms     INTEGER NOT NULL,
    http_status     INTEGER,
    bytes           INTEGER,
    outcome         TEXT    NOT NULL
                            CHECK (outcome IN ('new', 'unchanged', 'changed', 'suspect', 'error')),
    version         INTEGER,
    -- The error, or why the check was suspect.
    error           TEXT
);
INSERT INTO checks_new (id, target_id, started_at, duration_ms, http_status, bytes, outcome, version, error)
    SELECT id, target_id, started_at, duration_ms, http_status, bytes, outcome, version, error FROM checks;
DROP TABLE checks;
ALTER TABLE checks_new RENAME TO checks;
CREATE INDEX checks_by_target ON checks (target_id, started_at);

-- The class of the change that produced a version (NULL for version 1):
-- cosmetic, minor, substantive, headline, revert, removed.
ALTER TABLE versions ADD COLUMN class TEXT;
-- For a revert: the number of the earlier version whose content this one
-- has again. Its title, text and page are not stored twice: readers take
-- them from that version.
ALTER TABLE versions ADD COLUMN revert_of INTEGER;
-- Whether alerts were held back for this version (a headline flapping
-- between two texts).
ALTER TABLE versions ADD COLUMN alert_paused INTEGER NOT NULL DEFAULT 0;

-- Per-target rules, as JSON lists: regexes masked before comparison, CSS
-- selectors removed before extraction.
ALTER TABLE targets ADD COLUMN ignore_json TEXT;
ALTER TABLE targets ADD COLUMN exclude_json TEXT;
