-- The onboarding tracker's state, one row per user. IF NOT EXISTS: databases set up before
-- migrations existed already hold this table, and keep it and its rows as they are.
CREATE TABLE IF NOT EXISTS onboarding_state (
  user_id          uuid PRIMARY KEY,
  enrolment_id     uuid NOT NULL,
  source_event_id  uuid NOT NULL,
  plan             text NOT NULL,
  steps            jsonb NOT NULL,
  state            text NOT NULL CHECK (state IN ('started', 'completed')),
  registered_at    timestamptz NOT NULL,
  recorded_at      timestamptz NOT NULL DEFAULT now()
);
