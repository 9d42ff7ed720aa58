//! Orders: the one service checkout, payment and "my courses" go through, for the pages'
//! server functions and the REST API (`rest::orders`) alike.
//!
//! Rules: amounts come from the database's price policies only; only public courses are sold
//! and a course the buyer holds is refused; an order is `pending` until `expires_at`
//! (`ORDER_TTL_MINUTES`), when the `order.close` job closes it unless it was paid; a verified
//! notification (any gateway's) pays it through [`Orders::settle`], once. Every query names
//! the owner, so another user's order is 404 like one that does not exist. The transitions
//! themselves, each one guarded transaction with its audit entry, are in [`crate::db::orders`].

pub mod checkout;
pub mod coupons;
pub mod notify;
pub mod reconcile;
pub mod refunds;
pub mod sale_rules;
pub mod settings;
pub mod unionpay;
pub mod wechat;

use app::domain::RequestMeta;
use app::dto::{
    CheckoutRequest, EnrollmentView, OrderItemView, OrderView, PaymentCode, PaymentStart,
    PricePolicyView, PurchaseOptions,
};
use app::error::{AppError, FieldError};
use app::i18n::td_string;
use app::ports::OrderService;
use async_trait::async_trait;
use chrono::Utc;

use crate::db::orders::{self as repo, OrderRow, Settled, Settlement};
use crate::db::{price_policies, Db};
use crate::error::ResultExt;
use crate::jobs::Jobs;
use crate::payments::gateway::{is_mobile, GatewayError, Gateways, Next, StartRequest};

pub use reconcile::Expiry;
pub use settings::OrderSettings;

#[derive(Clone)]
pub struct Orders {
    db: Db,
    jobs: Jobs,
    settings: OrderSettings,
    gateways: Gateways,
    alipay: Option<std::sync::Arc<crate::payments::alipay::AlipayGateway>>,
    wechat: Option<std::sync::Arc<crate::payments::wechat::WechatGateway>>,
    unionpay: Option<std::sync::Arc<crate::payments::unionpay::UnionpayGateway>>,
}

/// The letter an order number gets per provider to make its `out_trade_no`: one payment per
/// order and provider, so paying again resumes it.
fn provider_suffix(provider: &str) -> &'static str {
    match provider {
        "alipay" => "A",
        "wechat" => "W",
        "unionpay" => "U",
        _ => "D",
    }
}

impl Orders {
    pub fn new(
        db: Db,
        jobs: Jobs,
        settings: OrderSettings,
        payments: crate::payments::Configured,
    ) -> Self {
        Self {
            db,
            jobs,
            settings,
            gateways: payments.gateways,
            alipay: payments.alipay,
            wechat: payments.wechat,
            unionpay: payments.unionpay,
        }
    }

    pub fn gateways(&self) -> &Gateways {
        &self.gateways
    }

    async fn view(&self, row: OrderRow) -> Result<OrderView, AppError> {
        self.views(vec![row])
            .await?
            .into_iter()
            .next()
            .ok_or(AppError::Internal)
    }

    async fn views(&self, rows: Vec<OrderRow>) -> Result<Vec<OrderView>, AppError> {
        let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
        let items = repo::items_of(&self.db, &ids).await.db_err("order")?;
        Ok(rows
            .into_iter()
            .map(|r| OrderView {
                items: items
                    .iter()
                    .filter(|i| i.order_id == r.id)
                    .map(|i| OrderItemView {
                        course_id: i.course_id,
                        title: i.title.clone(),
                        price_policy_id: i.price_policy_id,
                        valid_months: i.valid_months,
                        price_cents: i.price_cents,
                    })
                    .collect(),
                order_no: r.order_no,
                status: r.status,
                total_cents: r.total_cents,
                refunded_cents: r.refunded_cents,
                discount_cents: r.discount_cents,
                currency: r.currency,
                expires_at: r.expires_at,
                paid_at: r.paid_at,
                closed_at: r.closed_at,
                created_at: r.created_at,
            })
            .collect())
    }

    async fn own_order(&self, user_id: i64, order_no: &str) -> Result<OrderRow, AppError> {
        repo::by_no_for_user(&self.db, order_no, user_id)
            .await
            .db_err("order")?
            .ok_or_else(|| AppError::NotFound("order".into()))
    }

    /// Pays the order of a verified notification (the gateway checked its signature, app and
    /// amount against `payment`): once per notification key, under the order's row lock.
    pub async fn settle(&self, settlement: &Settlement<'_>) -> Result<Settled, AppError> {
        reconcile::settle(&self.db, &self.gateways, settlement)
            .await
            .db_err("order")
    }

    /// Whether Alipay is configured here (its notify route answers 404 otherwise).
    pub fn takes_alipay(&self) -> bool {
        self.alipay.is_some()
    }

    /// Whether WeChat Pay is configured here (its notify route answers 404 otherwise).
    pub fn takes_wechat(&self) -> bool {
        self.wechat.is_some()
    }

    /// Whether UnionPay is configured here (its notify route answers 404 otherwise).
    pub fn takes_unionpay(&self) -> bool {
        self.unionpay.is_some()
    }

    /// Keeps a refused notification by the hash of its body, with why.
    pub async fn refuse(&self, provider: &str, body: &str, reason: &str) {
        reconcile::refuse(&self.db, provider, body, reason).await
    }
}

#[async_trait]
impl OrderService for Orders {
    async fn price_policies(&self, course_id: i64) -> Result<Vec<PricePolicyView>, AppError> {
        price_policies::public_course(&self.db, course_id)
            .await
            .db_err("course")?
            .ok_or_else(|| AppError::NotFound("course".into()))?;
        let rows = price_policies::for_course(&self.db, course_id)
            .await
            .db_err("price policy")?;
        Ok(rows
            .into_iter()
            .map(|p| PricePolicyView {
                id: p.id,
                course_id: p.course_id,
                valid_months: p.valid_months,
                price_cents: p.price_cents,
            })
            .collect())
    }

    async fn purchase_options(
        &self,
        user_id: Option<i64>,
        course_id: i64,
    ) -> Result<PurchaseOptions, AppError> {
        let policies = self.price_policies(course_id).await?;
        let owned = match user_id {
            Some(user) => Some(
                crate::db::enrollments::owns(&self.db, user, course_id, Utc::now())
                    .await
                    .db_err("enrolment")?,
            ),
            None => None,
        };
        Ok(PurchaseOptions {
            policies,
            owned,
            providers: self.gateways.providers(),
        })
    }

    fn providers(&self) -> Vec<String> {
        self.gateways.providers()
    }

    async fn checkout(
        &self,
        user_id: i64,
        meta: &RequestMeta,
        request: CheckoutRequest,
    ) -> Result<OrderView, AppError> {
        self.place(user_id, meta, request).await
    }

    async fn orders(&self, user_id: i64) -> Result<Vec<OrderView>, AppError> {
        let rows = repo::for_user(&self.db, user_id, 100)
            .await
            .db_err("order")?;
        self.views(rows).await
    }

    async fn order(&self, user_id: i64, order_no: &str) -> Result<OrderView, AppError> {
        let row = self.own_order(user_id, order_no).await?;
        self.view(row).await
    }

    async fn cancel(
        &self,
        user_id: i64,
        meta: &RequestMeta,
        order_no: &str,
    ) -> Result<OrderView, AppError> {
        let order = self.own_order(user_id, order_no).await?;
        let ip = meta.ip();
        let closed = repo::close(
            &self.db,
            &order,
            Some(user_id),
            false,
            ip.as_deref(),
            Utc::now(),
        )
        .await
        .db_err("order")?;
        if closed {
            reconcile::close_at_providers(&self.db, &self.gateways, order.id).await;
        }
        let fresh = self.own_order(user_id, order_no).await?;
        if !closed {
            let status = crate::admin::labels::tr(&fresh.status);
            return Err(AppError::Conflict(
                td_string!(
                    app::locale::current(),
                    errors.order_not_cancellable,
                    status = status
                )
                .to_string(),
            ));
        }
        self.view(fresh).await
    }

    async fn pay(
        &self,
        user_id: i64,
        meta: &RequestMeta,
        order_no: &str,
        provider: &str,
    ) -> Result<PaymentStart, AppError> {
        let Some(gateway) = self.gateways.get(provider) else {
            let options = self.gateways.providers().join(", ");
            return Err(AppError::Validation(vec![FieldError::new(
                "provider",
                td_string!(
                    app::locale::current(),
                    errors.pay_provider_unknown,
                    options = options
                )
                .to_string(),
            )]));
        };
        let order = self.own_order(user_id, order_no).await?;
        let now = Utc::now();
        if order.status != "pending" {
            let status = crate::admin::labels::tr(&order.status);
            return Err(AppError::Conflict(
                td_string!(app::locale::current(), errors.order_status, status = status)
                    .to_string(),
            ));
        }
        if order.expires_at <= now {
            return Err(AppError::Conflict(
                td_string!(app::locale::current(), errors.order_expired).into(),
            ));
        }
        let out_trade_no = format!("{}{}", order.order_no, provider_suffix(provider));
        let payment = crate::db::payments::payment_for(
            &self.db,
            order.id,
            provider,
            &out_trade_no,
            order.total_cents,
            now,
        )
        .await
        .db_err("payment")?;
        let items = repo::items_of(&self.db, &[order.id])
            .await
            .db_err("order")?;
        let subject = items
            .first()
            .map(|i| i.title.clone())
            .unwrap_or_else(|| order.order_no.clone());
        let mobile = is_mobile(meta.user_agent.as_deref().unwrap_or(""));
        let next = gateway
            .start(&StartRequest {
                payment: &payment,
                subject: &subject,
                mobile,
                expires_at: order.expires_at,
            })
            .await
            .map_err(|e| {
                tracing::warn!(provider, error = %e, "could not start a payment");
                match e {
                    GatewayError::Unavailable(_)
                    | GatewayError::Refused(_)
                    | GatewayError::Declined(_) => AppError::Unavailable,
                }
            })?;
        let (pay_url, code_url) = match next {
            Next::PayUrl(url) => (Some(url), None),
            Next::CodeUrl(code) => {
                // Kept for the QR page (`payment_code`), which shows it again.
                crate::db::payments::set_code_url(&self.db, payment.id, &code, now)
                    .await
                    .db_err("payment")?;
                (None, Some(code))
            }
        };
        Ok(PaymentStart {
            provider: provider.to_string(),
            out_trade_no: payment.out_trade_no,
            amount_cents: payment.amount_cents,
            pay_url,
            code_url,
        })
    }

    async fn confirm_demo(&self, user_id: i64, out_trade_no: &str) -> Result<OrderView, AppError> {
        self.demo_confirmation(user_id, out_trade_no).await
    }

    async fn confirm_return(
        &self,
        user_id: i64,
        out_trade_no: &str,
    ) -> Result<OrderView, AppError> {
        self.confirm_by_query(user_id, out_trade_no).await
    }

    async fn payment_code(
        &self,
        user_id: i64,
        out_trade_no: &str,
    ) -> Result<PaymentCode, AppError> {
        self.wechat_code(user_id, out_trade_no).await
    }

    async fn enrollments(&self, user_id: i64) -> Result<Vec<EnrollmentView>, AppError> {
        let rows = crate::db::enrollments::enrollments(&self.db, user_id, Utc::now())
            .await
            .db_err("enrolment")?;
        let ids: Vec<i64> = rows.iter().map(|e| e.course_id).collect();
        let progress = crate::learning::course_progress(&self.db, user_id, &ids).await?;
        let mut list: Vec<EnrollmentView> = rows
            .into_iter()
            .zip(progress)
            .map(|(e, progress)| EnrollmentView {
                course_id: e.course_id,
                course_slug: e.course_slug,
                course_title: e.course_title,
                expires_at: e.expires_at,
                created_at: e.created_at,
                progress,
            })
            .collect();
        // Last activity first ("continue where you left off"), then the newest enrolment.
        list.sort_by_key(|e| std::cmp::Reverse(e.progress.last_activity));
        Ok(list)
    }
}
