-- Background jobs (server/src/jobs). The queue itself is apalis' own tables (Jobs, Workers),
-- created by apalis' migrations under their own bookkeeping table `_apalis_migrations`.

-- The natural keys of job effects that have happened. A job looks here before it acts and
-- writes its row with its effect, so a retry or a second delivery of the same job does nothing
-- twice.
CREATE TABLE job_effects (
    kind TEXT NOT NULL,
    effect_key TEXT NOT NULL,
    done_at TEXT NOT NULL,
    PRIMARY KEY (kind, effect_key)
);

-- Every failed attempt with its error, so a job that is retrying (or gave up) shows why.
CREATE TABLE job_errors (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    task_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    attempt INTEGER NOT NULL,
    error TEXT NOT NULL,
    failed_at TEXT NOT NULL
);
CREATE INDEX job_errors_task ON job_errors (task_id);
CREATE INDEX job_errors_failed_at ON job_errors (failed_at);
