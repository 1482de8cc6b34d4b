-- Discovery: sources (feeds, sitemaps, section pages) that Redline polls
-- for new article URLs, and what ties a discovered target to its source.

CREATE TABLE sources (
    id              INTEGER PRIMARY KEY,
    url             TEXT    NOT NULL UNIQUE,
    kind            TEXT    NOT NULL CHECK (kind IN ('feed', 'sitemap', 'page')),
    -- Who put the source here: the config file or `redline add --feed` etc.
    origin          TEXT    NOT NULL CHECK (origin IN ('config', 'cli')),
    state           TEXT    NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'removed')),
    -- Filters, caps, tracking window and defaults for the targets it
    -- creates, as JSON (see store::SourceSettings).
    settings_json   TEXT    NOT NULL,
    -- Host (or host:port), lower case: the unit of politeness.
    host            TEXT    NOT NULL,
    created_at      INTEGER NOT NULL,
    next_poll_at    INTEGER NOT NULL,
    last_poll_at    INTEGER,
    -- Error of the last poll; NULL after a good one.
    last_error      TEXT,
    -- Failed polls in a row (back-off).
    failures        INTEGER NOT NULL DEFAULT 0,
    -- Validators and body hash of the last good response, for conditional
    -- requests.
    etag            TEXT,
    last_modified   TEXT,
    body_hash       BLOB
);

CREATE INDEX sources_due ON sources (state, next_poll_at);

-- The source a target was discovered from (NULL: added by hand or config).
-- Discovered targets keep origin 'cli': they are not managed by the
-- config's [[target]] list.
ALTER TABLE targets ADD COLUMN source_id INTEGER REFERENCES sources (id) ON DELETE SET NULL;
-- The URL's identity for de-duplication (see discover::canon): tracking
-- parameters, fragment, default port and trailing slash removed. Redline
-- fills it for rows written before this migration when it opens the
-- database.
ALTER TABLE targets ADD COLUMN url_key TEXT;
-- Identity of the rel=canonical URL the page declared, once fetched.
ALTER TABLE targets ADD COLUMN canonical_key TEXT;
-- How long after its published time (else first seen) the target is
-- checked; NULL follows the age schedule.
ALTER TABLE targets ADD COLUMN track_for_ms INTEGER CHECK (track_for_ms IS NULL OR track_for_ms > 0);

CREATE INDEX targets_url_key ON targets (url_key);
CREATE INDEX targets_canonical_key ON targets (canonical_key);
CREATE INDEX targets_source ON targets (source_id, state);
