-- Operators' commands to terminals and their results, kept for a day (each terminal's
-- newest screenshot longer), so every replica and a restarted hub know them. output is
-- the result's output, sealed by the hub.
CREATE TABLE commands (
	id          text PRIMARY KEY,
	terminal_id text NOT NULL,
	created     timestamptz NOT NULL,
	rec         jsonb NOT NULL,
	output      bytea
);
CREATE INDEX commands_terminal ON commands (terminal_id);
