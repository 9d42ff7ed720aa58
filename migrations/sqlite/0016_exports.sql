-- Exports (server/src/exports): a CSV built by a background job, answered 202 and polled.
-- The finished file is kept in `content` (a course's learners are small enough for a row,
-- and every instance can serve it). A download needs the random token of the link and a caller
-- allowed to see the export (server/src/exports/mod.rs), until `expires_at`.
CREATE TABLE exports (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    course_id INTEGER REFERENCES courses (id) ON DELETE CASCADE,
    requested_by INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- pending, running, done, failed
    status TEXT NOT NULL DEFAULT 'pending',
    progress INTEGER NOT NULL DEFAULT 0,
    row_count INTEGER NOT NULL DEFAULT 0,
    error TEXT,
    content TEXT,
    download_token TEXT,
    expires_at TEXT,
    created_at TEXT NOT NULL,
    finished_at TEXT
);
CREATE INDEX exports_requested_by ON exports (requested_by, id);

-- job.manage: the job dashboard, retry and discard. export.manage: every user's exports.
INSERT INTO permissions (codename, model, action, name) VALUES
    ('job.manage', 'job', 'manage', 'Can manage jobs (dashboard, retry, discard)'),
    ('export.manage', 'export', 'manage', 'Can see and download every export');
INSERT INTO role_permissions (role_id, permission_id)
    SELECT r.id, p.id FROM roles r, permissions p
    WHERE r.name = 'Operations' AND p.codename IN ('job.manage', 'export.manage')
    ON CONFLICT DO NOTHING;
