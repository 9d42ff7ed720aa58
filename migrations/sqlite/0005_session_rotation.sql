-- A privilege change marks every session of the user; the next request through a marked
-- session gets a new id (see server/src/auth/registry.rs).
ALTER TABLE sessions ADD COLUMN rotate_pending BOOLEAN NOT NULL DEFAULT 0;
