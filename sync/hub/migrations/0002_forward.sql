-- Hand-off to the business system: one row per committed submission waiting to be
-- forwarded (or parked as a dead letter). A replica claims a row with a lease, so a
-- replica that dies mid-request only delays the hand-off; the idempotency key makes a
-- repeated request harmless at the business system.
CREATE TABLE forward_queue (
	submission_id text PRIMARY KEY,
	attempts      int NOT NULL DEFAULT 0,
	next_at       timestamptz NOT NULL,
	lease_until   timestamptz NOT NULL DEFAULT '-infinity',
	dead          boolean NOT NULL DEFAULT false,
	last_error    text NOT NULL DEFAULT ''
);
CREATE INDEX forward_due ON forward_queue (next_at) WHERE NOT dead;
