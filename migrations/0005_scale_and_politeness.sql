-- Watching many targets politely: the host each target is on (for per-host
-- limits), validators and a body hash for conditional requests, the age
-- schedule's anchor, failure and 404 streaks for back-off and gone pages,
-- retirement, a per-target robots.txt switch, and pages stored as deltas.

-- Host (or host:port) of the URL, lower case. Redline fills it for rows
-- written before this migration when it opens the database.
ALTER TABLE targets ADD COLUMN host TEXT;
-- Validators of the last page that gave (or matched) the latest version,
-- sent as If-None-Match / If-Modified-Since.
ALTER TABLE targets ADD COLUMN etag TEXT;
ALTER TABLE targets ADD COLUMN last_modified TEXT;
-- BLAKE3 over the extraction rules and that page's bytes: a byte-identical
-- page is unchanged without parsing.
ALTER TABLE targets ADD COLUMN body_hash BLOB;
-- Fingerprint of the extraction rules the validators were taken under.
ALTER TABLE targets ADD COLUMN cache_rules INTEGER;
-- Published time of the latest version (ms), the age schedule's anchor.
ALTER TABLE targets ADD COLUMN published_at INTEGER;
-- Whether robots.txt is obeyed for this target; NULL follows the host and
-- global settings.
ALTER TABLE targets ADD COLUMN robots_txt INTEGER CHECK (robots_txt IS NULL OR robots_txt IN (0, 1));
-- Failed checks in a row (back-off), and 404 answers in a row (gone).
ALTER TABLE targets ADD COLUMN failures INTEGER NOT NULL DEFAULT 0;
ALTER TABLE targets ADD COLUMN misses INTEGER NOT NULL DEFAULT 0;
-- When and why a target stopped being checked on its own: past the age
-- schedule, or gone (410, or 404 several times).
ALTER TABLE targets ADD COLUMN retired_at INTEGER;
ALTER TABLE targets ADD COLUMN retired_reason TEXT;

CREATE INDEX targets_host ON targets (host);

-- Pages of versions stored from now on, in a table of their own so that
-- version rows stay small and pack densely (versions.raw_html_zstd is then
-- empty; older versions keep their page there). `base`: the number of the
-- version whose page served as the zstd dictionary (NULL: compressed on its
-- own). A page not kept (raw_html = "first_and_latest") has no row.
CREATE TABLE pages (
    version_id  INTEGER PRIMARY KEY REFERENCES versions (id) ON DELETE CASCADE,
    base        INTEGER,
    zstd        BLOB    NOT NULL
);
-- A later version's text, zstd-compressed with version 1's text as the
-- dictionary (then `text` is empty); NULL: the text is in `text`.
ALTER TABLE versions ADD COLUMN text_zstd BLOB;
