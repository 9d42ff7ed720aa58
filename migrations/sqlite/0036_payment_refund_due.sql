-- Money that arrived for an order it could not pay (the order was paid already through another
-- provider, or closed): the payment is marked with when, so staff find and refund it.
ALTER TABLE payments ADD COLUMN refund_due_at TEXT;
CREATE INDEX payments_refund_due ON payments (refund_due_at) WHERE refund_due_at IS NOT NULL;
-- Refused notifications are capped per provider and hour (db::payments::record_refused).
CREATE INDEX payment_notifications_recent ON payment_notifications (provider, outcome, received_at);
