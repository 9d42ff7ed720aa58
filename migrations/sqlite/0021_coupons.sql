-- Coupons (server/src/orders/coupons.rs): fixed amount, percentage, or threshold ("20 off
-- from 100"); for one course or store-wide; a validity window; a per-user limit and a total
-- quantity. Claimed with its code at checkout: the order reserves it (`reserved` counts
-- reservations and uses, never above `total_quantity`), a paid order uses it, an order closed
-- unpaid returns it.
CREATE TABLE coupons (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    code TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL CHECK (kind IN ('fixed', 'percent', 'threshold')),
    amount_cents BIGINT NOT NULL DEFAULT 0 CHECK (amount_cents >= 0),
    percent_off INTEGER NOT NULL DEFAULT 0 CHECK (percent_off BETWEEN 0 AND 100),
    min_total_cents BIGINT NOT NULL DEFAULT 0 CHECK (min_total_cents >= 0),
    course_id INTEGER REFERENCES courses (id) ON DELETE CASCADE,
    starts_at TEXT NOT NULL,
    ends_at TEXT NOT NULL,
    per_user_limit INTEGER NOT NULL DEFAULT 1 CHECK (per_user_limit >= 1),
    total_quantity INTEGER NOT NULL CHECK (total_quantity >= 0),
    reserved INTEGER NOT NULL DEFAULT 0 CHECK (reserved >= 0 AND reserved <= total_quantity),
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);

CREATE TABLE coupon_uses (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    coupon_id INTEGER NOT NULL REFERENCES coupons (id) ON DELETE CASCADE,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    order_id INTEGER NOT NULL UNIQUE REFERENCES orders (id) ON DELETE CASCADE,
    status TEXT NOT NULL CHECK (status IN ('reserved', 'used', 'returned')),
    created_at TEXT NOT NULL
);
CREATE INDEX coupon_uses_user ON coupon_uses (coupon_id, user_id);

ALTER TABLE orders ADD COLUMN discount_cents BIGINT NOT NULL DEFAULT 0;
