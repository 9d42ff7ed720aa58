-- Learning: a student's progress in a lesson keeps where to resume (`position_secs`, the latest
-- save), the furthest point reached (`furthest_secs`, never goes back), the seconds watched and
-- when the lesson was done (`completed_at`, NULL until then; never undone). Rows of the old
-- table meant "completed": they stay so. Lab lessons may name the practice host they use.
CREATE TABLE lesson_progress_v2 (
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    lesson_id INTEGER NOT NULL REFERENCES lessons (id) ON DELETE CASCADE,
    position_secs INTEGER NOT NULL DEFAULT 0 CHECK (position_secs >= 0),
    furthest_secs INTEGER NOT NULL DEFAULT 0 CHECK (furthest_secs >= 0),
    watched_secs INTEGER NOT NULL DEFAULT 0 CHECK (watched_secs >= 0),
    completed_at TEXT,
    updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    PRIMARY KEY (user_id, lesson_id)
);
INSERT INTO lesson_progress_v2 (user_id, lesson_id, completed_at, updated_at)
    SELECT user_id, lesson_id, completed_at, completed_at FROM lesson_progress;
DROP TABLE lesson_progress;
ALTER TABLE lesson_progress_v2 RENAME TO lesson_progress;
-- "My courses" sorts by last activity; the lesson page reads one user's rows of one course.
CREATE INDEX lesson_progress_user_updated ON lesson_progress (user_id, updated_at);

ALTER TABLE lessons ADD COLUMN practice_host_id INTEGER REFERENCES hosts (id) ON DELETE SET NULL;
