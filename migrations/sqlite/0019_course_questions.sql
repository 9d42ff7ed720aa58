-- Course Q&A: a student asks on a course (optionally on one lesson); teachers and students
-- answer; the asker or teacher accepts one answer. Staff hide what breaks the rules. The overdue
-- schedule reports questions left without a visible answer to the course's teacher.
CREATE TABLE questions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    course_id INTEGER NOT NULL REFERENCES courses (id) ON DELETE CASCADE,
    lesson_id INTEGER REFERENCES lessons (id) ON DELETE SET NULL,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    title TEXT NOT NULL,
    body_md TEXT NOT NULL DEFAULT '',
    accepted_answer_id INTEGER,
    hidden BOOLEAN NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
CREATE INDEX questions_course ON questions (course_id, created_at);
CREATE INDEX questions_open ON questions (created_at) WHERE hidden = 0 AND accepted_answer_id IS NULL;

CREATE TABLE answers (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    question_id INTEGER NOT NULL REFERENCES questions (id) ON DELETE CASCADE,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    body_md TEXT NOT NULL,
    hidden BOOLEAN NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
CREATE INDEX answers_question ON answers (question_id, created_at);
