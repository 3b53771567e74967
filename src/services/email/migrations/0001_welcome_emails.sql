-- The welcome-email ledger, one row per user. IF NOT EXISTS: databases set up before
-- migrations existed already hold this table, and keep it and its rows as they are.
CREATE TABLE IF NOT EXISTS welcome_emails (
  user_id     uuid PRIMARY KEY,
  event_id    uuid NOT NULL,
  message_id  text NOT NULL,
  status      text NOT NULL CHECK (status IN ('sending', 'sent')),
  attempts    integer NOT NULL DEFAULT 1,
  created_at  timestamptz NOT NULL DEFAULT now(),
  sent_at     timestamptz
);
