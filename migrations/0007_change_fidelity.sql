-- Change fidelity: full fetches are dated (for [fetch] revalidate_after),
-- checks keep the dates and content hash they saw (a changed date alone is
-- recorded on the check, never as a version; a wall page must stay the same
-- to become a version), and hand-added targets are never retired by age.
-- (Hand-added targets that were retired by age are reactivated by the
-- migration step in src/store/migrate.rs, which logs each one.)

ALTER TABLE targets ADD COLUMN full_fetch_at INTEGER;

ALTER TABLE checks ADD COLUMN published TEXT;
ALTER TABLE checks ADD COLUMN modified TEXT;
ALTER TABLE checks ADD COLUMN content_hash BLOB;
