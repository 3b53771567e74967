-- Analytics' own record of the users onboarding has started, fed by the enrolment topic:
-- the dashboard's funnel counts the counted users found here, without reading the
-- onboarding tracker's table.
CREATE TABLE IF NOT EXISTS onboarding_started (user_id uuid PRIMARY KEY);
