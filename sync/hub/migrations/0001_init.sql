-- The hub's records. Values are the same JSON records as in the bbolt store (personal
-- data inside them is sealed); the columns beside them carry what constraints and
-- queries need: uniqueness of tracking codes and terminal codes, commit order.
CREATE TABLE meta (
	key   text PRIMARY KEY,
	value text NOT NULL
);
CREATE TABLE terminals (
	id   text PRIMARY KEY,
	code text NOT NULL UNIQUE,
	rec  jsonb NOT NULL
);
CREATE TABLE enroll_codes (
	code_hash bytea PRIMARY KEY,
	created   timestamptz NOT NULL,
	expires   timestamptz NOT NULL
);
CREATE SEQUENCE submission_seq;
CREATE TABLE submissions (
	id            text PRIMARY KEY,
	terminal_id   text NOT NULL,
	tracking_code text NOT NULL UNIQUE,
	state         text NOT NULL CHECK (state IN ('open', 'committed')),
	seq           bigint UNIQUE,
	rec           jsonb NOT NULL,
	CHECK ((state = 'committed') = (seq IS NOT NULL))
);
CREATE INDEX submissions_committed ON submissions (seq DESC) WHERE seq IS NOT NULL;
CREATE SEQUENCE rating_seq;
CREATE TABLE ratings (
	id  text PRIMARY KEY,
	rec jsonb NOT NULL
);
CREATE TABLE status_queue (
	terminal_id text NOT NULL,
	update_id   text NOT NULL,
	status      jsonb NOT NULL,
	PRIMARY KEY (terminal_id, update_id)
);
CREATE TABLE published (
	kind text PRIMARY KEY,
	rec  jsonb NOT NULL
);
CREATE TABLE heartbeats (
	terminal_id text PRIMARY KEY,
	rec         jsonb NOT NULL
);
-- Attachments: one row per attachment with the offset the upload continues at, and one
-- row per sealed chunk. A chunk and the offset move together in one transaction, so an
-- upload resumes at the stored offset whichever replica took the earlier chunks.
CREATE TABLE attachment_parts (
	submission_id text NOT NULL,
	idx           int NOT NULL,
	next          bigint NOT NULL DEFAULT 0,
	done          boolean NOT NULL DEFAULT false,
	PRIMARY KEY (submission_id, idx)
);
CREATE TABLE attachment_chunks (
	submission_id text NOT NULL,
	idx           int NOT NULL,
	off           bigint NOT NULL,
	n             int NOT NULL,
	sealed        bytea NOT NULL,
	PRIMARY KEY (submission_id, idx, off),
	FOREIGN KEY (submission_id, idx) REFERENCES attachment_parts ON DELETE CASCADE
);
-- Events tell the other replicas what changed (a terminal enrolled, something
-- published, a status update or command for a terminal): each replica reads them in
-- order, woken by NOTIFY and polling as a fallback.
CREATE TABLE events (
	seq         bigserial PRIMARY KEY,
	at          timestamptz NOT NULL DEFAULT clock_timestamp(),
	origin      text NOT NULL,
	kind        text NOT NULL,
	terminal_id text NOT NULL DEFAULT '',
	payload     jsonb NOT NULL DEFAULT '{}'
);
