-- Redline's first schema: targets, every check attempt, stored versions and
-- the diff between each version and the one before it.
-- Times are milliseconds since the Unix epoch, UTC.

CREATE TABLE targets (
    id              INTEGER PRIMARY KEY,
    url             TEXT    NOT NULL UNIQUE,
    name            TEXT,
    -- Fixed interval in milliseconds; NULL follows [defaults] interval.
    interval_ms     INTEGER CHECK (interval_ms IS NULL OR interval_ms > 0),
    -- CSS selector of the article body; NULL means automatic extraction.
    selector        TEXT,
    -- Who put the target here: the config file or `redline add`/`check URL`.
    origin          TEXT    NOT NULL CHECK (origin IN ('config', 'cli')),
    state           TEXT    NOT NULL DEFAULT 'active'
                            CHECK (state IN ('active', 'retired', 'removed')),
    created_at      INTEGER NOT NULL,
    next_check_at   INTEGER NOT NULL,
    last_check_at   INTEGER,
    last_change_at  INTEGER,
    last_error      TEXT
);

CREATE INDEX targets_due ON targets (state, next_check_at);

CREATE TABLE versions (
    id              INTEGER PRIMARY KEY,
    target_id       INTEGER NOT NULL REFERENCES targets (id) ON DELETE CASCADE,
    number          INTEGER NOT NULL CHECK (number >= 1),
    captured_at     INTEGER NOT NULL,
    title           TEXT    NOT NULL,
    text            TEXT    NOT NULL,
    words           INTEGER NOT NULL,
    byline          TEXT,
    published       TEXT,
    modified        TEXT,
    canonical       TEXT,
    description     TEXT,
    -- BLAKE3 of the normalised title and text.
    content_hash    BLOB    NOT NULL,
    final_url       TEXT    NOT NULL,
    -- The page as fetched, zstd-compressed.
    raw_html_zstd   BLOB    NOT NULL,
    UNIQUE (target_id, number)
);

CREATE TABLE diffs (
    id              INTEGER PRIMARY KEY,
    target_id       INTEGER NOT NULL REFERENCES targets (id) ON DELETE CASCADE,
    from_version_id INTEGER NOT NULL REFERENCES versions (id) ON DELETE CASCADE,
    to_version_id   INTEGER NOT NULL UNIQUE REFERENCES versions (id) ON DELETE CASCADE,
    added           INTEGER NOT NULL,
    removed         INTEGER NOT NULL,
    title_changed   INTEGER NOT NULL CHECK (title_changed IN (0, 1)),
    -- JSON list of changes: kind, field, old, new, before, after.
    changes_json    TEXT    NOT NULL
);

CREATE TABLE checks (
    id              INTEGER PRIMARY KEY,
    target_id       INTEGER NOT NULL REFERENCES targets (id) ON DELETE CASCADE,
    started_at      INTEGER NOT NULL,
    duration_ms     INTEGER NOT NULL,
    http_status     INTEGER,
    bytes           INTEGER,
    outcome         TEXT    NOT NULL CHECK (outcome IN ('new', 'unchanged', 'changed', 'error')),
    -- Version number stored or matched.
    version         INTEGER,
    error           TEXT
);

CREATE INDEX checks_by_target ON checks (target_id, started_at);
CREATE INDEX versions_by_time ON versions (captured_at);
