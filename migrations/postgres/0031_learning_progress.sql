-- Learning: a student's progress in a lesson keeps where to resume (`position_secs`, the latest
-- save), the furthest point reached (`furthest_secs`, never goes back), the seconds watched and
-- when the lesson was done (`completed_at`, NULL until then; never undone). Rows of the old
-- table meant "completed": they stay so. Lab lessons may name the practice host they use.
ALTER TABLE lesson_progress
    ALTER COLUMN completed_at DROP NOT NULL,
    ALTER COLUMN completed_at DROP DEFAULT,
    ADD COLUMN position_secs BIGINT NOT NULL DEFAULT 0 CHECK (position_secs >= 0),
    ADD COLUMN furthest_secs BIGINT NOT NULL DEFAULT 0 CHECK (furthest_secs >= 0),
    ADD COLUMN watched_secs BIGINT NOT NULL DEFAULT 0 CHECK (watched_secs >= 0),
    ADD COLUMN updated_at TIMESTAMPTZ NOT NULL DEFAULT now();
UPDATE lesson_progress SET updated_at = completed_at WHERE completed_at IS NOT NULL;
-- "My courses" sorts by last activity; the lesson page reads one user's rows of one course.
CREATE INDEX lesson_progress_user_updated ON lesson_progress (user_id, updated_at);

ALTER TABLE lessons ADD COLUMN practice_host_id BIGINT REFERENCES hosts (id) ON DELETE SET NULL;
