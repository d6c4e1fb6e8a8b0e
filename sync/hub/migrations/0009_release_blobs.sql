-- Release packages, so that every replica serves a release another one received: the
-- package in chunks of 1 MiB, and a row per package once all its chunks are in.
CREATE TABLE release_chunks (
	sum  text   NOT NULL,
	idx  bigint NOT NULL,
	data bytea  NOT NULL,
	PRIMARY KEY (sum, idx)
);
CREATE TABLE release_blobs (
	sum  text PRIMARY KEY,
	size bigint NOT NULL
);
