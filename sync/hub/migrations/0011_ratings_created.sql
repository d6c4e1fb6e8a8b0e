-- Ratings by creation time, for the summaries: a column the index can use (the cast of
-- the JSON text to timestamptz depends on the session's time zone, so it cannot be
-- indexed), filled for the ratings stored before.
ALTER TABLE ratings ADD COLUMN created_at timestamptz;
UPDATE ratings SET created_at = (rec->>'created_at')::timestamptz;
CREATE INDEX ratings_created ON ratings (created_at);
