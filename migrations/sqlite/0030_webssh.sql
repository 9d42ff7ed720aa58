-- WebSSH: host secrets (AES-256-GCM, write-only), the trusted host key, grants of hosts to
-- roles or users with an optional time window, terminal sessions and their entered lines.

ALTER TABLE hosts ADD COLUMN password_enc TEXT;
ALTER TABLE hosts ADD COLUMN private_key_enc TEXT;
ALTER TABLE hosts ADD COLUMN passphrase_enc TEXT;
-- `SHA256:…` as OpenSSH prints it; NULL until the first connection (trust on first use).
ALTER TABLE hosts ADD COLUMN host_key_fingerprint TEXT;
-- The key a host last offered that differs from the trusted one (shown to staff until accepted).
ALTER TABLE hosts ADD COLUMN offered_host_key_fingerprint TEXT;
ALTER TABLE hosts ADD COLUMN tags TEXT NOT NULL DEFAULT '';
ALTER TABLE hosts ADD COLUMN updated_at TEXT;

CREATE TABLE host_grants (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    host_id INTEGER NOT NULL REFERENCES hosts (id) ON DELETE CASCADE,
    role_id INTEGER REFERENCES roles (id) ON DELETE CASCADE,
    user_id INTEGER REFERENCES users (id) ON DELETE CASCADE,
    starts_at TEXT,
    ends_at TEXT,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    CHECK ((role_id IS NULL) <> (user_id IS NULL))
);
CREATE INDEX host_grants_host ON host_grants (host_id);

-- The terminal a user opened: `public_id` is what the API names (not a guessable counter).
ALTER TABLE ssh_sessions ADD COLUMN public_id TEXT;
ALTER TABLE ssh_sessions ADD COLUMN bytes_in BIGINT NOT NULL DEFAULT 0;
ALTER TABLE ssh_sessions ADD COLUMN exit_code INTEGER;
ALTER TABLE ssh_sessions ADD COLUMN exit_reason TEXT;
CREATE UNIQUE INDEX ssh_sessions_public_id ON ssh_sessions (public_id);
CREATE INDEX ssh_sessions_user_open ON ssh_sessions (user_id) WHERE ended_at IS NULL;

-- Command audit: each line a user entered (up to Enter), searchable per host and user.
CREATE TABLE ssh_commands (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    session_id INTEGER NOT NULL REFERENCES ssh_sessions (id) ON DELETE CASCADE,
    host_id INTEGER NOT NULL REFERENCES hosts (id) ON DELETE CASCADE,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    line TEXT NOT NULL,
    entered_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
CREATE INDEX ssh_commands_host_user ON ssh_commands (host_id, user_id, entered_at);

INSERT INTO permissions (codename, model, action, name) VALUES
    ('host.monitor', 'host', 'monitor', 'Can monitor host'),
    ('host_grant.view', 'host_grant', 'view', 'Can view host grant'),
    ('host_grant.add', 'host_grant', 'add', 'Can add host grant'),
    ('host_grant.change', 'host_grant', 'change', 'Can change host grant'),
    ('host_grant.delete', 'host_grant', 'delete', 'Can delete host grant'),
    ('ssh_session.view', 'ssh_session', 'view', 'Can view ssh session'),
    ('ssh_session.add', 'ssh_session', 'add', 'Can add ssh session'),
    ('ssh_session.change', 'ssh_session', 'change', 'Can change ssh session'),
    ('ssh_session.delete', 'ssh_session', 'delete', 'Can delete ssh session'),
    ('ssh_command.view', 'ssh_command', 'view', 'Can view ssh command'),
    ('ssh_command.add', 'ssh_command', 'add', 'Can add ssh command'),
    ('ssh_command.change', 'ssh_command', 'change', 'Can change ssh command'),
    ('ssh_command.delete', 'ssh_command', 'delete', 'Can delete ssh command');
