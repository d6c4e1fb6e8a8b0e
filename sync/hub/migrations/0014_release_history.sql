-- Each publication of a release package on a channel, so the hub knows which packages
-- are the channel's newest and prunes the older ones from release_blobs/release_chunks.
-- A package published again on the same channel keeps one row, with the later time.
CREATE TABLE release_history (
	channel   text        NOT NULL,
	sum       text        NOT NULL,
	version   text        NOT NULL,
	published timestamptz NOT NULL,
	PRIMARY KEY (channel, sum)
);
CREATE INDEX release_history_sum ON release_history (sum);
