-- Buying courses (server/src/orders, server/src/payments): price policies, what an order item
-- bought, refunds on an order, the demo gateway, and refused notifications kept for the back
-- office. Extends the commerce tables of 0003 rather than adding new ones.

-- A course's price per validity: 1, 3, 6 or 12 months, or 0 for permanent access.
CREATE TABLE price_policies (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    course_id INTEGER NOT NULL REFERENCES courses (id) ON DELETE CASCADE,
    valid_months INTEGER NOT NULL CHECK (valid_months IN (0, 1, 3, 6, 12)),
    price_cents BIGINT NOT NULL CHECK (price_cents > 0),
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    UNIQUE (course_id, valid_months)
);
-- Courses that already have a price can be bought for good at that price.
INSERT INTO price_policies (course_id, valid_months, price_cents)
    SELECT id, 0, price_cents FROM courses WHERE price_cents > 0;

-- The policy an item was bought under, and its validity at that moment (the policy may change).
ALTER TABLE order_items ADD COLUMN price_policy_id INTEGER REFERENCES price_policies (id) ON DELETE SET NULL;
ALTER TABLE order_items ADD COLUMN valid_months INTEGER NOT NULL DEFAULT 0;
-- Refunded so far; the order is `refunded` once this reaches the total.
ALTER TABLE orders ADD COLUMN refunded_cents BIGINT NOT NULL DEFAULT 0;
CREATE INDEX orders_user_created ON orders (user_id, created_at);

-- The demo gateway is a provider like the others, and a payment can be closed. SQLite cannot
-- change a CHECK, so the table is rebuilt (it has had no service writing it before this).
CREATE TABLE payments_next (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    order_id INTEGER NOT NULL REFERENCES orders (id) ON DELETE RESTRICT,
    provider TEXT NOT NULL CHECK (provider IN ('alipay', 'wechat', 'unionpay', 'demo')),
    out_trade_no TEXT NOT NULL UNIQUE,
    provider_trade_no TEXT,
    amount_cents BIGINT NOT NULL CHECK (amount_cents >= 0),
    status TEXT NOT NULL DEFAULT 'created' CHECK (status IN ('created', 'succeeded', 'failed', 'refunded', 'closed')),
    paid_at TEXT,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
INSERT INTO payments_next SELECT * FROM payments;
DROP TABLE payments;
ALTER TABLE payments_next RENAME TO payments;
CREATE INDEX payments_order ON payments (order_id);
-- The reconcile job looks for payments still open after a while.
CREATE INDEX payments_status_created ON payments (status, created_at);

-- Refused notifications are kept too (forged, wrong app, wrong amount), with why.
ALTER TABLE payment_notifications ADD COLUMN outcome TEXT NOT NULL DEFAULT 'accepted';
ALTER TABLE payment_notifications ADD COLUMN reason TEXT;
