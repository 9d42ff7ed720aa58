-- Seckill (flash sale, server/src/seckill): an event sells `stock` seats of a course at a low
-- price in a time window; each seat a buyer secures is one row of `seckill_seats` and one
-- pending order (kind 'seckill') that must be paid within `pay_window_minutes`.
--
-- `stock_left` is the database's count of unsold seats: the embedded mode (no Redis) sells by
-- one guarded `UPDATE … SET stock_left = stock_left - 1 WHERE stock_left > 0`; with Redis it
-- mirrors the stock the Lua script decides on, updated when the stream's claims are written.
-- 0003 shaped placeholder tables that no service ever wrote: replaced by these.
DROP TABLE seckill_orders;
DROP TABLE seckill_events;

CREATE TABLE seckill_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    course_id INTEGER NOT NULL REFERENCES courses (id) ON DELETE RESTRICT,
    price_policy_id INTEGER NOT NULL REFERENCES price_policies (id) ON DELETE RESTRICT,
    title TEXT NOT NULL,
    price_cents BIGINT NOT NULL CHECK (price_cents > 0 AND price_cents <= 100000000),
    stock INTEGER NOT NULL CHECK (stock >= 1 AND stock <= 1000000),
    stock_left INTEGER NOT NULL CHECK (stock_left >= 0 AND stock_left <= stock),
    per_user_limit INTEGER NOT NULL DEFAULT 1 CHECK (per_user_limit BETWEEN 1 AND 100),
    pay_window_minutes INTEGER NOT NULL DEFAULT 15 CHECK (pay_window_minutes BETWEEN 1 AND 1440),
    starts_at TEXT NOT NULL,
    ends_at TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'published' CHECK (status IN ('draft', 'published')),
    created_by INTEGER REFERENCES users (id) ON DELETE SET NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    CHECK (ends_at > starts_at)
);
CREATE INDEX seckill_events_window ON seckill_events (status, ends_at);

-- One seat a buyer secured. `seat` is the buyer's n-th claim on the event (1, 2, …; never
-- reused, so a returned seat's row stays and a new claim gets the next number): the unique
-- index makes writing a claim twice (a redelivered stream entry) a no-op.
CREATE TABLE seckill_seats (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id INTEGER NOT NULL REFERENCES seckill_events (id) ON DELETE CASCADE,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    seat INTEGER NOT NULL CHECK (seat >= 1),
    order_id INTEGER NOT NULL UNIQUE REFERENCES orders (id) ON DELETE CASCADE,
    status TEXT NOT NULL DEFAULT 'held' CHECK (status IN ('held', 'returned')),
    created_at TEXT NOT NULL,
    returned_at TEXT,
    UNIQUE (event_id, user_id, seat)
);
CREATE INDEX seckill_seats_user ON seckill_seats (user_id, event_id);

INSERT INTO permissions (codename, model, action, name) VALUES
    ('seckill.manage', 'seckill', 'manage', 'Can create and change seckill (flash sale) events');
INSERT INTO role_permissions (role_id, permission_id)
    SELECT r.id, p.id FROM roles r, permissions p
    WHERE r.name = 'Operations' AND p.codename = 'seckill.manage'
    ON CONFLICT DO NOTHING;
