-- Time-limited enrolments: access ends at `expires_at` (NULL: for good). The expiry schedule
-- tells the learner 3 days before and on the day.
ALTER TABLE enrollments ADD COLUMN expires_at TIMESTAMPTZ;
CREATE INDEX enrollments_expires ON enrollments (expires_at) WHERE expires_at IS NOT NULL;
