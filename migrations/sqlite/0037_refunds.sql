-- Refunds of paid orders (server/src/orders/refunds.rs): one row per request to a provider,
-- whole or partial. `out_request_no` is the number the provider knows it by; asking again with
-- it is idempotent there, so a request whose answer was lost is simply asked again.
CREATE TABLE refunds (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    order_id INTEGER NOT NULL REFERENCES orders (id) ON DELETE RESTRICT,
    payment_id INTEGER NOT NULL REFERENCES payments (id) ON DELETE RESTRICT,
    out_request_no TEXT NOT NULL UNIQUE,
    amount_cents BIGINT NOT NULL CHECK (amount_cents > 0),
    reason TEXT NOT NULL DEFAULT '',
    -- requested: sent (or about to be); processing: the provider took it and settles later.
    status TEXT NOT NULL DEFAULT 'requested'
        CHECK (status IN ('requested', 'processing', 'succeeded', 'failed')),
    provider_refund_no TEXT,
    error TEXT,
    requested_by INTEGER REFERENCES users (id) ON DELETE SET NULL,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
CREATE INDEX refunds_order ON refunds (order_id);
CREATE INDEX refunds_open ON refunds (status, updated_at);
