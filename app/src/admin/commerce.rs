//! What is sold and what was bought, as the back office shows it: price policies and coupons
//! (edited by staff), and orders with their items, payments, refunds and the providers'
//! notifications (read-only: only checkout, the payment callbacks and the refund service change
//! them, each under the order's row lock with its audit entry).
//!
//! None of these is a resource of the REST API's model engine: orders, payments and refunds
//! have their own routes there (`server/src/rest/orders.rs`), which apply the buyer's and the
//! refund rules.

use super::spec::{delete_action, FieldKind as K, FieldSpec as F, Inline, ModelSpec};

const VALID_MONTHS: K = K::Int { min: 0, max: 12 };
const COUPON_KINDS: &[&str] = &["fixed", "percent", "threshold"];
const ORDER_KINDS: &[&str] = &["course", "membership", "seckill"];
const ORDER_STATUSES: &[&str] = &["pending", "paid", "closed", "refunded"];
const PROVIDERS: &[&str] = &["alipay", "wechat", "unionpay", "demo"];
const PAYMENT_STATUSES: &[&str] = &["created", "succeeded", "failed", "refunded", "closed"];
const REFUND_STATUSES: &[&str] = &["requested", "processing", "succeeded", "failed"];
const OUTCOMES: &[&str] = &["accepted", "refused"];
const COUNT: K = K::Int {
    min: 0,
    max: 1_000_000,
};

pub static PRICE_POLICY: ModelSpec = ModelSpec {
    name: "price_policy",
    plural: "price_policies",
    label: "Price policy",
    label_plural: "Price policies",
    table: "price_policies",
    fields: &[
        F::new("course_id", "Course", K::ForeignKey("course")).required(),
        F::new("valid_months", "Valid for (months)", VALID_MONTHS)
            .required()
            .help("1, 3, 6 or 12 months of access, or 0 for good."),
        F::new("price_cents", "Price", K::Cents)
            .required()
            .help("More than 0: a free course is enrolled without an order."),
        F::new("created_at", "Created", K::Timestamp).read_only(),
    ],
    repr: "valid_months",
    list_display: &["course_id", "valid_months", "price_cents", "created_at"],
    search_fields: &[],
    filters: &["course_id", "valid_months", "price_cents"],
    ordering: &["price_cents", "valid_months", "created_at"],
    default_order: "-created_at",
    soft_delete: false,
    public_rows: None,
    has_updated_at: false,
    actions: &[delete_action("price_policy.delete")],
    inlines: &[],
    parent: None,
};

pub static COUPON: ModelSpec = ModelSpec {
    name: "coupon",
    plural: "coupons",
    label: "Coupon",
    label_plural: "Coupons",
    table: "coupons",
    fields: &[
        F::new("code", "Code", K::Text { max: 32 })
            .required()
            .help("What buyers type at checkout: 3 to 32 letters, digits, - or _."),
        F::new("kind", "Kind", K::Choice(COUPON_KINDS))
            .required()
            .help(
            "fixed: an amount off; percent: a share off; threshold: an amount off from a total.",
        ),
        F::new("amount_cents", "Amount off", K::Cents).help("For fixed and threshold coupons."),
        F::new("percent_off", "Percent off", K::Int { min: 0, max: 100 })
            .help("For percent coupons: 1 to 100."),
        F::new("min_total_cents", "From a total of", K::Cents)
            .help("For threshold coupons: the order total the amount comes off from."),
        F::new("course_id", "Course", K::ForeignKey("course"))
            .nullable()
            .help("Blank: every course of the store."),
        F::new("starts_at", "Valid from", K::Timestamp)
            .required()
            .help("UTC."),
        F::new("ends_at", "Valid until", K::Timestamp)
            .required()
            .help("UTC; after the start."),
        F::new(
            "per_user_limit",
            "Uses per buyer",
            K::Int { min: 1, max: 1_000 },
        ),
        F::new("total_quantity", "Quantity", COUNT)
            .required()
            .help("How many orders may use it in all; not below what is reserved."),
        F::new("reserved", "Reserved or used", COUNT)
            .read_only()
            .help(
                "Held by pending orders and used by paid ones; an order closed unpaid returns it.",
            ),
        F::new("created_at", "Created", K::Timestamp).read_only(),
    ],
    repr: "code",
    list_display: &[
        "code",
        "kind",
        "course_id",
        "starts_at",
        "ends_at",
        "total_quantity",
        "reserved",
    ],
    search_fields: &["code"],
    filters: &["kind", "course_id"],
    ordering: &["code", "starts_at", "ends_at", "created_at"],
    default_order: "-created_at",
    soft_delete: false,
    public_rows: None,
    has_updated_at: false,
    actions: &[delete_action("coupon.delete")],
    inlines: &[],
    parent: None,
};

pub static ORDER: ModelSpec = ModelSpec {
    name: "order",
    plural: "orders",
    label: "Order",
    label_plural: "Orders",
    table: "orders",
    fields: &[
        F::new("order_no", "Order", K::Text { max: 64 }).read_only(),
        F::new("user_id", "Buyer", K::ForeignKey("user")).read_only(),
        F::new("kind", "Kind", K::Choice(ORDER_KINDS)).read_only(),
        F::new("status", "Status", K::Choice(ORDER_STATUSES)).read_only(),
        F::new("total_cents", "Total", K::Cents).read_only(),
        F::new("discount_cents", "Discount", K::Cents).read_only(),
        F::new("refunded_cents", "Refunded", K::Cents).read_only(),
        F::new("expires_at", "Expires", K::Timestamp).read_only(),
        F::new("paid_at", "Paid", K::Timestamp)
            .read_only()
            .nullable(),
        F::new("closed_at", "Closed", K::Timestamp)
            .read_only()
            .nullable(),
        F::new("created_at", "Created", K::Timestamp).read_only(),
    ],
    repr: "order_no",
    list_display: &[
        "order_no",
        "user_id",
        "kind",
        "status",
        "total_cents",
        "refunded_cents",
        "created_at",
    ],
    search_fields: &["order_no"],
    filters: &["status", "kind", "user_id", "total_cents"],
    ordering: &["created_at", "paid_at", "total_cents"],
    default_order: "-created_at",
    soft_delete: false,
    public_rows: None,
    has_updated_at: true,
    actions: &[],
    inlines: &[
        Inline {
            model: "order_item",
            parent_field: "order_id",
        },
        Inline {
            model: "payment",
            parent_field: "order_id",
        },
        Inline {
            model: "refund",
            parent_field: "order_id",
        },
    ],
    parent: None,
};

pub static ORDER_ITEM: ModelSpec = ModelSpec {
    name: "order_item",
    plural: "order_items",
    label: "Order item",
    label_plural: "Order items",
    table: "order_items",
    fields: &[
        F::new("order_id", "Order", K::ForeignKey("order")).read_only(),
        F::new("course_id", "Course", K::ForeignKey("course"))
            .read_only()
            .nullable(),
        F::new("title", "Title", K::Text { max: 200 }).read_only(),
        F::new("price_cents", "Price", K::Cents).read_only(),
        F::new(
            "price_policy_id",
            "Price policy",
            K::ForeignKey("price_policy"),
        )
        .read_only()
        .nullable(),
        F::new("valid_months", "Valid for (months)", VALID_MONTHS).read_only(),
    ],
    repr: "title",
    list_display: &[
        "title",
        "order_id",
        "course_id",
        "price_cents",
        "valid_months",
    ],
    search_fields: &["title"],
    filters: &["order_id", "course_id"],
    ordering: &["title", "price_cents"],
    default_order: "title",
    soft_delete: false,
    public_rows: None,
    has_updated_at: false,
    actions: &[],
    inlines: &[],
    parent: None,
};

pub static PAYMENT: ModelSpec = ModelSpec {
    name: "payment",
    plural: "payments",
    label: "Payment",
    label_plural: "Payments",
    table: "payments",
    fields: &[
        F::new("order_id", "Order", K::ForeignKey("order")).read_only(),
        F::new("provider", "Provider", K::Choice(PROVIDERS)).read_only(),
        F::new("out_trade_no", "Trade", K::Text { max: 64 }).read_only(),
        F::new(
            "provider_trade_no",
            "Provider's trade",
            K::Text { max: 128 },
        )
        .read_only()
        .nullable(),
        F::new("amount_cents", "Amount", K::Cents).read_only(),
        F::new("status", "Status", K::Choice(PAYMENT_STATUSES)).read_only(),
        F::new("paid_at", "Paid", K::Timestamp)
            .read_only()
            .nullable(),
        F::new("refund_due_at", "Refund due since", K::Timestamp)
            .read_only()
            .nullable()
            .help("Money that arrived for an order already paid or closed: refund it."),
        F::new("created_at", "Created", K::Timestamp).read_only(),
    ],
    repr: "out_trade_no",
    list_display: &[
        "out_trade_no",
        "order_id",
        "provider",
        "amount_cents",
        "status",
        "paid_at",
        "refund_due_at",
    ],
    search_fields: &["out_trade_no", "provider_trade_no"],
    filters: &["provider", "status", "order_id"],
    ordering: &["created_at", "paid_at", "amount_cents", "refund_due_at"],
    default_order: "-created_at",
    soft_delete: false,
    public_rows: None,
    has_updated_at: true,
    actions: &[],
    inlines: &[Inline {
        model: "payment_notification",
        parent_field: "payment_id",
    }],
    parent: None,
};

pub static REFUND: ModelSpec = ModelSpec {
    name: "refund",
    plural: "refunds",
    label: "Refund",
    label_plural: "Refunds",
    table: "refunds",
    fields: &[
        F::new("out_request_no", "Refund", K::Text { max: 64 }).read_only(),
        F::new("order_id", "Order", K::ForeignKey("order")).read_only(),
        F::new("payment_id", "Payment", K::ForeignKey("payment")).read_only(),
        F::new("amount_cents", "Amount", K::Cents).read_only(),
        F::new("status", "Status", K::Choice(REFUND_STATUSES)).read_only(),
        F::new("reason", "Reason", K::Text { max: 200 }).read_only(),
        F::new(
            "provider_refund_no",
            "Provider's refund",
            K::Text { max: 128 },
        )
        .read_only()
        .nullable(),
        F::new("error", "Declined because", K::Text { max: 300 })
            .read_only()
            .nullable(),
        F::new("requested_by", "Requested by", K::ForeignKey("user"))
            .read_only()
            .nullable(),
        F::new("created_at", "Requested", K::Timestamp).read_only(),
    ],
    repr: "out_request_no",
    list_display: &[
        "out_request_no",
        "order_id",
        "amount_cents",
        "status",
        "requested_by",
        "created_at",
    ],
    search_fields: &["out_request_no"],
    filters: &["status", "order_id", "requested_by"],
    ordering: &["created_at", "amount_cents"],
    default_order: "-created_at",
    soft_delete: false,
    public_rows: None,
    has_updated_at: true,
    actions: &[],
    inlines: &[],
    parent: None,
};

/// Every notification a provider sent, verified and kept once, or refused with why (a forged,
/// replayed, late, wrong-app or wrong-amount one).
pub static PAYMENT_NOTIFICATION: ModelSpec = ModelSpec {
    name: "payment_notification",
    plural: "payment_notifications",
    label: "Payment notification",
    label_plural: "Payment notifications",
    table: "payment_notifications",
    fields: &[
        F::new("provider", "Provider", K::Choice(PROVIDERS)).read_only(),
        F::new("notify_key", "Key", K::Text { max: 200 })
            .read_only()
            .help("The provider's notification id, or the hash of a refused body."),
        F::new("payment_id", "Payment", K::ForeignKey("payment"))
            .read_only()
            .nullable(),
        F::new("outcome", "Outcome", K::Choice(OUTCOMES)).read_only(),
        F::new("reason", "Refused because", K::Text { max: 300 })
            .read_only()
            .nullable(),
        F::new("body", "Body", K::LongText { max: 100_000 }).read_only(),
        F::new("received_at", "Received", K::Timestamp).read_only(),
    ],
    repr: "notify_key",
    list_display: &["provider", "outcome", "payment_id", "reason", "received_at"],
    search_fields: &["notify_key"],
    filters: &["provider", "outcome", "payment_id"],
    ordering: &["received_at"],
    default_order: "-received_at",
    soft_delete: false,
    public_rows: None,
    has_updated_at: false,
    actions: &[],
    inlines: &[],
    parent: None,
};
