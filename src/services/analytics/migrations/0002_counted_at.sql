-- When each signup was counted: the analytics path's end-to-end latency (bench/end-to-end.ts).
-- IF NOT EXISTS: databases set up before migrations existed have the column already.
ALTER TABLE counted_users ADD COLUMN IF NOT EXISTS counted_at timestamptz NOT NULL DEFAULT now();
