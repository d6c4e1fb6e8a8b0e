-- Progress queries from any terminal: the keyed hash of the resident's ID number (never
-- the number), indexed so a query finds a resident's submissions made anywhere.
ALTER TABLE submissions ADD COLUMN id_hash text;
CREATE INDEX submissions_id_hash ON submissions (id_hash, seq DESC) WHERE id_hash IS NOT NULL;
