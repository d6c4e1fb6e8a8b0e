-- The operations console: where terminals stand, their device health history, alerts
-- raised from it, and the follow-up cases of poor ratings. Values are the same JSON
-- records as in the bbolt store.
CREATE TABLE placements (
	terminal_id text PRIMARY KEY,
	rec         jsonb NOT NULL
);
CREATE TABLE health_events (
	seq         bigserial PRIMARY KEY,
	terminal_id text NOT NULL,
	rec         jsonb NOT NULL
);
CREATE INDEX health_events_terminal ON health_events (terminal_id, seq DESC);
CREATE TABLE alerts (
	id  text PRIMARY KEY,
	rec jsonb NOT NULL
);
CREATE TABLE cases (
	id  text PRIMARY KEY,
	rec jsonb NOT NULL
);
