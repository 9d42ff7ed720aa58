-- Course-update reminders: learning paths become managed, public pages; who follows a course;
-- what a course gained since its last reminder, and the debounced reminders themselves.

-- A path shows on /paths once published; `position` orders the list.
ALTER TABLE learning_paths ADD COLUMN published BOOLEAN NOT NULL DEFAULT 0;
ALTER TABLE learning_paths ADD COLUMN position INTEGER NOT NULL DEFAULT 0;

-- The model engine edits rows by `id`: the path's courses get one. The pair is not unique (the
-- back office's generic forms cannot promise that); a course listed twice shows once.
CREATE TABLE learning_path_courses_new (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    path_id INTEGER NOT NULL REFERENCES learning_paths (id) ON DELETE CASCADE,
    course_id INTEGER NOT NULL REFERENCES courses (id) ON DELETE CASCADE,
    position INTEGER NOT NULL DEFAULT 0
);
INSERT INTO learning_path_courses_new (path_id, course_id, position)
    SELECT path_id, course_id, position FROM learning_path_courses;
DROP TABLE learning_path_courses;
ALTER TABLE learning_path_courses_new RENAME TO learning_path_courses;
-- The fan-out asks "which paths contain this course".
CREATE INDEX learning_path_courses_path ON learning_path_courses (path_id, position);
CREATE INDEX learning_path_courses_course ON learning_path_courses (course_id);
CREATE INDEX learning_path_followers_user ON learning_path_followers (user_id);

INSERT INTO permissions (codename, model, action, name) VALUES
    ('learning_path_course.view', 'learning_path_course', 'view', 'Can view learning path course'),
    ('learning_path_course.add', 'learning_path_course', 'add', 'Can add learning path course'),
    ('learning_path_course.change', 'learning_path_course', 'change', 'Can change learning path course'),
    ('learning_path_course.delete', 'learning_path_course', 'delete', 'Can delete learning path course');
-- Roles that manage paths already (seeded before this migration) manage their courses too.
INSERT INTO role_permissions (role_id, permission_id)
    SELECT r.id, p.id FROM roles r, permissions p
    WHERE r.name IN ('Administrator', 'Course editor') AND p.model = 'learning_path_course'
    ON CONFLICT DO NOTHING;

-- A student's follow of a course. Enrolled students follow their courses without a row here;
-- `muted` is how one of them opts out (an explicit row wins over the enrolment).
CREATE TABLE course_follows (
    course_id INTEGER NOT NULL REFERENCES courses (id) ON DELETE CASCADE,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    muted BOOLEAN NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    PRIMARY KEY (course_id, user_id)
);
CREATE INDEX course_follows_user ON course_follows (user_id);

-- Content published in a course (a lesson, or a chapter) waiting for, or listed in, a
-- reminder. `window_end` is NULL until the reminder of that window claims it.
CREATE TABLE course_updates (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    course_id INTEGER NOT NULL REFERENCES courses (id) ON DELETE CASCADE,
    item_kind TEXT NOT NULL CHECK (item_kind IN ('lesson', 'chapter')),
    item_id BIGINT NOT NULL,
    window_end BIGINT,
    created_at TEXT NOT NULL
);
CREATE INDEX course_updates_window ON course_updates (course_id, window_end);

-- The open debounce window of a course: content published before `open_until` (Unix seconds)
-- joins its reminder; NULL when none is open.
CREATE TABLE course_update_windows (
    course_id INTEGER PRIMARY KEY REFERENCES courses (id) ON DELETE CASCADE,
    open_until BIGINT
);

-- One reminder per (course, window): how far its fan-out got (the last user id queued), so a
-- fan-out killed midway goes on where it stopped.
CREATE TABLE course_reminders (
    course_id INTEGER NOT NULL REFERENCES courses (id) ON DELETE CASCADE,
    window_end BIGINT NOT NULL,
    fanned_to BIGINT NOT NULL DEFAULT 0,
    done BOOLEAN NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    PRIMARY KEY (course_id, window_end)
);
