//! Alipay (open platform, RSA2): page pay on desktops and wap pay on phones, the query that
//! confirms a return, and the check of an async notification. Wire format: PROTOCOLS.md.
//!
//! Requests are signed with the app's private key; notifications and replies are checked with
//! the Alipay public key ([`super::alipay_sign`]). A notification is then checked against our
//! own records: our `app_id`, an `out_trade_no` of an Alipay payment, its `total_amount`, and
//! a paying `trade_status`. Settling it is [`crate::orders::Orders::settle`]'s.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use async_trait::async_trait;
use chrono::{FixedOffset, Utc};
use url::Url;

use super::alipay_sign::{sign_request, verify_notification, verify_reply};
use super::gateway::{
    GatewayError, Next, PaidTrade, PaymentGateway, RefundRequest, RefundState, StartRequest,
};
use super::keys::{SigningKey, VerifyingKey};
use crate::config::{bad, ConfigError};
use crate::db::payments::PaymentRow;

pub const PRODUCTION: &str = "https://openapi.alipay.com/gateway.do";
/// The sandbox, for `ALIPAY_GATEWAY_URL`.
pub const SANDBOX: &str = "https://openapi-sandbox.dl.alipaydev.com/gateway.do";

/// `ALIPAY_*`: all of the id and both keys, or none (Alipay off).
#[derive(Debug, Clone)]
pub struct AlipaySettings {
    pub app_id: String,
    pub app_private_key_path: PathBuf,
    pub alipay_public_key_path: PathBuf,
    pub gateway_url: Url,
}

impl AlipaySettings {
    pub fn from_lookup(var: &impl Fn(&str) -> Option<String>) -> Result<Option<Self>, ConfigError> {
        let (id, private, public) = (
            var("ALIPAY_APP_ID"),
            var("ALIPAY_APP_PRIVATE_KEY_PATH"),
            var("ALIPAY_PUBLIC_KEY_PATH"),
        );
        let gateway = var("ALIPAY_GATEWAY_URL").unwrap_or_else(|| PRODUCTION.into());
        let gateway_url = Url::parse(&gateway)
            .ok()
            .filter(|u| matches!(u.scheme(), "https" | "http"))
            .ok_or_else(|| bad("ALIPAY_GATEWAY_URL", "not an http(s) URL"))?;
        match (id, private, public) {
            (None, None, None) => Ok(None),
            (Some(app_id), Some(private), Some(public)) => Ok(Some(Self {
                app_id,
                app_private_key_path: private.into(),
                alipay_public_key_path: public.into(),
                gateway_url,
            })),
            _ => Err(bad(
                "ALIPAY_APP_ID",
                "set ALIPAY_APP_ID, ALIPAY_APP_PRIVATE_KEY_PATH and ALIPAY_PUBLIC_KEY_PATH together",
            )),
        }
    }
}

/// What `alipay.trade.query` says about a trade.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TradeState {
    pub trade_status: String,
    pub total_amount: String,
    pub trade_no: String,
}

pub struct AlipayGateway {
    app_id: String,
    app_key: Arc<SigningKey>,
    alipay_key: VerifyingKey,
    gateway_url: Url,
    notify_url: String,
    return_url: String,
    http: reqwest::Client,
}

/// `88.88` from 8888 cents: Alipay's amounts are yuan with two decimals.
pub fn yuan(cents: i64) -> String {
    format!("{}.{:02}", cents / 100, cents % 100)
}

/// Alipay's clock is Beijing time (UTC+8, no daylight saving).
fn beijing_now() -> String {
    const FORMAT: &str = "%Y-%m-%d %H:%M:%S";
    let now = Utc::now();
    match FixedOffset::east_opt(8 * 3600) {
        Some(offset) => now.with_timezone(&offset).format(FORMAT).to_string(),
        None => now.format(FORMAT).to_string(),
    }
}

impl AlipayGateway {
    /// Reads the keys named by the settings; a bad file stops start-up with its variable.
    pub fn load(settings: &AlipaySettings, public_url: &Url) -> anyhow::Result<Self> {
        let read = |path: &PathBuf, var: &str| {
            std::fs::read_to_string(path)
                .map_err(|e| anyhow::anyhow!("{var}: cannot read {}: {e}", path.display()))
        };
        let app_key = SigningKey::from_text(&read(
            &settings.app_private_key_path,
            "ALIPAY_APP_PRIVATE_KEY_PATH",
        )?)
        .map_err(|e| anyhow::anyhow!("ALIPAY_APP_PRIVATE_KEY_PATH: {e}"))?;
        let alipay_key = VerifyingKey::from_text(&read(
            &settings.alipay_public_key_path,
            "ALIPAY_PUBLIC_KEY_PATH",
        )?)
        .map_err(|e| anyhow::anyhow!("ALIPAY_PUBLIC_KEY_PATH: {e}"))?;
        let join = |path: &str| {
            public_url
                .join(path)
                .map(|u| u.to_string())
                .map_err(|e| anyhow::anyhow!("PUBLIC_URL: {e}"))
        };
        Ok(Self {
            app_id: settings.app_id.clone(),
            app_key: Arc::new(app_key),
            alipay_key,
            gateway_url: settings.gateway_url.clone(),
            notify_url: join("api/v1/payments/alipay/notify")?,
            return_url: join("pay/alipay/return")?,
            http: crate::oauth::client::http_client()?,
        })
    }

    /// The common parameters of a call, signed.
    fn signed(
        &self,
        method: &str,
        biz: serde_json::Value,
        urls: bool,
    ) -> Result<BTreeMap<String, String>, GatewayError> {
        let mut params = BTreeMap::new();
        for (k, v) in [
            ("app_id", self.app_id.as_str()),
            ("method", method),
            ("format", "JSON"),
            ("charset", "utf-8"),
            ("sign_type", "RSA2"),
            ("version", "1.0"),
        ] {
            params.insert(k.to_string(), v.to_string());
        }
        params.insert("timestamp".into(), beijing_now());
        if urls {
            params.insert("notify_url".into(), self.notify_url.clone());
            params.insert("return_url".into(), self.return_url.clone());
        }
        // serde_json writes compact JSON, as Alipay signs it.
        params.insert("biz_content".into(), biz.to_string());
        let sign = sign_request(&params, &self.app_key).map_err(GatewayError::Refused)?;
        params.insert("sign".into(), sign);
        Ok(params)
    }

    /// Calls a synchronous method and returns its verified `…_response` member.
    async fn call(
        &self,
        method: &str,
        biz: serde_json::Value,
    ) -> Result<serde_json::Value, GatewayError> {
        let params = self.signed(method, biz, false)?;
        let body = self
            .http
            .post(self.gateway_url.clone())
            .form(&params)
            .send()
            .await
            .map_err(|e| GatewayError::Unavailable(e.without_url().to_string()))?
            .text()
            .await
            .map_err(|e| GatewayError::Unavailable(e.without_url().to_string()))?;
        verify_reply(&body, method, &self.alipay_key)
            .map_err(|e| GatewayError::Refused(e.to_string()))
    }

    /// `alipay.trade.query`: `None` while Alipay has no such trade (the buyer never opened it).
    pub async fn query_trade(
        &self,
        out_trade_no: &str,
    ) -> Result<Option<TradeState>, GatewayError> {
        let reply = self
            .call(
                "alipay.trade.query",
                serde_json::json!({ "out_trade_no": out_trade_no }),
            )
            .await?;
        let text = |k: &str| {
            reply
                .get(k)
                .and_then(|v| v.as_str())
                .unwrap_or("")
                .to_string()
        };
        match text("code").as_str() {
            "10000" => Ok(Some(TradeState {
                trade_status: text("trade_status"),
                total_amount: text("total_amount"),
                trade_no: text("trade_no"),
            })),
            _ if text("sub_code") == "ACQ.TRADE_NOT_EXIST" => Ok(None),
            code => Err(GatewayError::Unavailable(format!(
                "alipay.trade.query: {code} {}",
                text("sub_code")
            ))),
        }
    }

    /// `alipay.trade.close`: the trade can no longer be paid. A trade Alipay never had (the
    /// buyer never opened the page) needs no closing.
    pub async fn close_trade(&self, out_trade_no: &str) -> Result<(), GatewayError> {
        let reply = self
            .call(
                "alipay.trade.close",
                serde_json::json!({ "out_trade_no": out_trade_no }),
            )
            .await?;
        let text = |k: &str| reply.get(k).and_then(|v| v.as_str()).unwrap_or("");
        match (text("code"), text("sub_code")) {
            ("10000", _) | (_, "ACQ.TRADE_NOT_EXIST") => Ok(()),
            (code, sub_code) => Err(GatewayError::Unavailable(format!(
                "alipay.trade.close: {code} {sub_code}"
            ))),
        }
    }

    /// `alipay.trade.refund`: synchronous; the same `out_request_no` again answers the same
    /// refund (`fund_change` `N` the second time), so a lost answer is asked again safely.
    pub async fn refund_trade(
        &self,
        out_trade_no: &str,
        request: &RefundRequest<'_>,
    ) -> Result<RefundState, GatewayError> {
        let mut biz = serde_json::json!({
            "out_trade_no": out_trade_no,
            "refund_amount": yuan(request.amount_cents),
            "out_request_no": request.out_request_no,
        });
        if !request.reason.is_empty() {
            biz["refund_reason"] = serde_json::Value::String(request.reason.to_string());
        }
        let reply = self.call("alipay.trade.refund", biz).await?;
        let text = |k: &str| reply.get(k).and_then(|v| v.as_str()).unwrap_or("");
        match text("code") {
            "10000" if text("out_trade_no") == out_trade_no => Ok(RefundState::Succeeded(
                Some(text("trade_no"))
                    .filter(|t| !t.is_empty())
                    .map(str::to_string),
            )),
            "10000" => Err(GatewayError::Refused(format!(
                "alipay.trade.refund: the reply names trade {}",
                text("out_trade_no")
            ))),
            // 20000 is Alipay's "service busy", and ACQ.SYSTEM_ERROR asks for the same request
            // again: neither is a refusal, and the refund may yet be made, so it stays open.
            "20000" => Err(GatewayError::Unavailable(format!(
                "alipay.trade.refund: {}",
                text("sub_code")
            ))),
            _ if text("sub_code") == "ACQ.SYSTEM_ERROR" => Err(GatewayError::Unavailable(format!(
                "alipay.trade.refund: {}",
                text("sub_code")
            ))),
            code => Err(GatewayError::Declined(format!(
                "alipay.trade.refund: {code} {} {}",
                text("sub_code"),
                text("sub_msg")
            ))),
        }
    }

    /// Checks an async notification's fields against the signature and our own records:
    /// our app, the payment's amount, a paying status. `Ok(false)`: valid, but not a payment
    /// (a trade still waiting or closed), nothing to settle.
    pub fn check_notification(
        &self,
        fields: &BTreeMap<String, String>,
        payment: Option<&PaymentRow>,
    ) -> Result<bool, String> {
        verify_notification(fields, &self.alipay_key).map_err(|e| format!("signature: {e}"))?;
        let field = |k: &str| fields.get(k).map(String::as_str).unwrap_or("");
        if field("app_id") != self.app_id {
            return Err(format!("another app: {}", field("app_id")));
        }
        let payment = payment
            .filter(|p| p.provider == "alipay")
            .ok_or_else(|| format!("unknown out_trade_no {}", field("out_trade_no")))?;
        if field("total_amount") != yuan(payment.amount_cents) {
            return Err(format!(
                "total_amount {} is not the payment's {}",
                field("total_amount"),
                yuan(payment.amount_cents)
            ));
        }
        Ok(matches!(
            field("trade_status"),
            "TRADE_SUCCESS" | "TRADE_FINISHED"
        ))
    }

    pub fn checks_amount(&self, state: &TradeState, payment: &PaymentRow) -> bool {
        state.total_amount == yuan(payment.amount_cents)
            && matches!(
                state.trade_status.as_str(),
                "TRADE_SUCCESS" | "TRADE_FINISHED"
            )
    }
}

#[async_trait]
impl PaymentGateway for AlipayGateway {
    fn provider(&self) -> &'static str {
        "alipay"
    }

    async fn start(&self, request: &StartRequest<'_>) -> Result<Next, GatewayError> {
        let (method, product) = if request.mobile {
            ("alipay.trade.wap.pay", "QUICK_WAP_WAY")
        } else {
            ("alipay.trade.page.pay", "FAST_INSTANT_TRADE_PAY")
        };
        let biz = serde_json::json!({
            "out_trade_no": request.payment.out_trade_no,
            "total_amount": yuan(request.payment.amount_cents),
            "subject": request.subject,
            "product_code": product,
        });
        let params = self.signed(method, biz, true)?;
        let mut url = self.gateway_url.clone();
        url.query_pairs_mut().extend_pairs(params.iter());
        Ok(Next::PayUrl(url.to_string()))
    }

    async fn close(&self, payment: &PaymentRow) -> Result<(), GatewayError> {
        self.close_trade(&payment.out_trade_no).await
    }

    async fn refund(
        &self,
        payment: &PaymentRow,
        request: &RefundRequest<'_>,
    ) -> Result<RefundState, GatewayError> {
        self.refund_trade(&payment.out_trade_no, request).await
    }

    async fn query(&self, payment: &PaymentRow) -> Result<Option<PaidTrade>, GatewayError> {
        let Some(state) = self.query_trade(&payment.out_trade_no).await? else {
            return Ok(None);
        };
        let paid = matches!(
            state.trade_status.as_str(),
            "TRADE_SUCCESS" | "TRADE_FINISHED"
        );
        if !paid {
            return Ok(None);
        }
        if !self.checks_amount(&state, payment) {
            return Err(GatewayError::Refused(format!(
                "query: total_amount {} is not the payment's {}",
                state.total_amount,
                yuan(payment.amount_cents)
            )));
        }
        if state.trade_no.is_empty() {
            return Err(GatewayError::Refused("query: no trade_no".into()));
        }
        let reply = serde_json::json!({
            "trade_no": state.trade_no, "trade_status": state.trade_status,
            "total_amount": state.total_amount
        })
        .to_string();
        Ok(Some(PaidTrade {
            trade_no: state.trade_no,
            reply,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::yuan;

    #[test]
    fn cents_are_yuan_with_two_decimals() {
        assert_eq!(yuan(8888), "88.88");
        assert_eq!(yuan(5), "0.05");
        assert_eq!(yuan(100_000), "1000.00");
    }
}
