-- The dashboard's signups per minute read the latest rows by occurred_at, and rows arrive in
-- about that order. A BRIN index (the earliest and latest occurred_at of each range of
-- pages) finds them as fast as the B-tree did, and costs far less on every insert: measured
-- here on batches of 500, PostgreSQL's CPU per counted signup went from 10.1-11.3 to
-- 8.9-9.6 µs at 300,000 rows, and the per-minute query over the last hour of 1,000,000
-- rows took 8.4 against 6.6-8.5 ms, with an index of 24 kB instead of 21 MB. autosummarize:
-- each range is summarised as soon as it fills, rather than at the next vacuum.
DROP INDEX IF EXISTS counted_users_occurred_at;
CREATE INDEX IF NOT EXISTS counted_users_occurred_at_brin ON counted_users USING brin (occurred_at) WITH (autosummarize = on);
