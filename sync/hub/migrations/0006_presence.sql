-- Which replica holds each terminal's connection, so the console of every replica shows
-- who is online, not only its own connections. A replica refreshes its rows every few
-- seconds; rows of a replica that died stop counting after a lease.
CREATE TABLE presence (
	terminal_id text PRIMARY KEY,
	origin      text NOT NULL,
	seen_at     timestamptz NOT NULL
);
CREATE INDEX presence_origin ON presence (origin);
