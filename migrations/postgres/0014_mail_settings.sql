-- Per-user e-mail settings: one row per (user, kind) the user changed; a kind without a row
-- has its default (app::domain::mail::MailKind::default_on: course updates are on).
CREATE TABLE mail_settings (
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    enabled BOOLEAN NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (user_id, kind)
);
