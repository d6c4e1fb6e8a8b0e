-- Operators' console sessions, shared by the replicas: key is the SHA-256 of the
-- session cookie, never the cookie itself.
CREATE TABLE console_sessions (
	key     text PRIMARY KEY,
	expires timestamptz NOT NULL,
	rec     jsonb NOT NULL
);
CREATE INDEX console_sessions_expires ON console_sessions (expires);
