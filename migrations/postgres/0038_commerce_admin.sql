-- The back office's commerce screens (app/src/admin/commerce.rs): price policies and coupons
-- edited by staff; orders, their items, payments, refunds and notifications read-only. The
-- standard four permissions of each model, as every managed model has them (order.* and
-- payment.* exist since 0004).
INSERT INTO permissions (codename, model, action, name) VALUES
    ('price_policy.view', 'price_policy', 'view', 'Can view price policy'),
    ('price_policy.add', 'price_policy', 'add', 'Can add price policy'),
    ('price_policy.change', 'price_policy', 'change', 'Can change price policy'),
    ('price_policy.delete', 'price_policy', 'delete', 'Can delete price policy'),
    ('coupon.view', 'coupon', 'view', 'Can view coupon'),
    ('coupon.add', 'coupon', 'add', 'Can add coupon'),
    ('coupon.change', 'coupon', 'change', 'Can change coupon'),
    ('coupon.delete', 'coupon', 'delete', 'Can delete coupon'),
    ('order_item.view', 'order_item', 'view', 'Can view order item'),
    ('order_item.add', 'order_item', 'add', 'Can add order item'),
    ('order_item.change', 'order_item', 'change', 'Can change order item'),
    ('order_item.delete', 'order_item', 'delete', 'Can delete order item'),
    ('refund.view', 'refund', 'view', 'Can view refund'),
    ('refund.add', 'refund', 'add', 'Can add refund'),
    ('refund.change', 'refund', 'change', 'Can change refund'),
    ('refund.delete', 'refund', 'delete', 'Can delete refund'),
    ('payment_notification.view', 'payment_notification', 'view', 'Can view payment notification'),
    ('payment_notification.add', 'payment_notification', 'add', 'Can add payment notification'),
    ('payment_notification.change', 'payment_notification', 'change', 'Can change payment notification'),
    ('payment_notification.delete', 'payment_notification', 'delete', 'Can delete payment notification');
