-- Tags on targets (a JSON list of strings), for alert filters.
ALTER TABLE targets ADD COLUMN tags_json TEXT;
