-- The counts, the users counted and the consumed positions, in the analytics schema (the
-- runner's search_path). IF NOT EXISTS: databases set up before migrations existed
-- already hold these tables, and keep them and their rows as they are.
CREATE TABLE IF NOT EXISTS counted_users (
  user_id uuid PRIMARY KEY, event_id uuid NOT NULL, occurred_at timestamptz NOT NULL, email_domain text NOT NULL);
CREATE INDEX IF NOT EXISTS counted_users_occurred_at ON counted_users (occurred_at);
CREATE TABLE IF NOT EXISTS signup_totals (
  singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton), signups bigint NOT NULL);
CREATE TABLE IF NOT EXISTS signups_hourly (hour timestamptz PRIMARY KEY, signups bigint NOT NULL);
CREATE TABLE IF NOT EXISTS signups_daily (day date PRIMARY KEY, signups bigint NOT NULL);
CREATE TABLE IF NOT EXISTS signups_by_domain (domain text PRIMARY KEY, signups bigint NOT NULL);
CREATE TABLE IF NOT EXISTS consumer_offsets (
  group_id text NOT NULL, topic text NOT NULL, partition integer NOT NULL, next_offset bigint NOT NULL,
  PRIMARY KEY (group_id, topic, partition));
