//! WeChat Pay API v3, Native pay: the order call that yields the `code_url` the buyer scans,
//! the query that confirms a payment (a lost notification, the "check payment" button), the
//! close of a trade nobody paid, refunds, and (in [`notify`]) the opening of a notification.
//! Wire format: PROTOCOLS.md.
//!
//! Requests carry the merchant's `WECHATPAY2-SHA256-RSA2048` signature; every 2xx reply and
//! every notification must carry WeChat Pay's, by the platform key its `Wechatpay-Serial`
//! names, at most five minutes off ([`super::wechat_sign`]). A transaction is then checked
//! against our own records: our `mchid` and `appid`, an `out_trade_no` of a WeChat payment,
//! `amount.total` in fen equal to the payment's. Settling is [`crate::orders::Orders::settle`]'s.

use std::path::PathBuf;

use async_trait::async_trait;
use chrono::{DateTime, FixedOffset, Utc};
use url::Url;

use super::gateway::{
    GatewayError, Next, PaidTrade, PaymentGateway, RefundRequest, RefundState, StartRequest,
};
use super::keys::{SigningKey, VerifyingKey};
use super::wechat_sign::{Merchant, Platform, SignedHeaders};
use crate::config::{bad, ConfigError, Secret};
use crate::db::payments::PaymentRow;

mod notify;
pub use notify::{Amount, Notice, Transaction};

pub const PRODUCTION: &str = "https://api.mch.weixin.qq.com";

/// The variables that turn WeChat Pay on: all of them, or none.
const REQUIRED: [&str; 7] = [
    "WECHATPAY_MCH_ID",
    "WECHATPAY_APP_ID",
    "WECHATPAY_MCH_PRIVATE_KEY_PATH",
    "WECHATPAY_MCH_SERIAL",
    "WECHATPAY_API_V3_KEY",
    "WECHATPAY_PLATFORM_PUBLIC_KEY_PATH",
    "WECHATPAY_PLATFORM_PUBLIC_KEY_ID",
];

/// `WECHATPAY_*`.
#[derive(Debug, Clone)]
pub struct WechatSettings {
    pub mch_id: String,
    pub app_id: String,
    pub mch_private_key_path: PathBuf,
    /// The serial number of the merchant's API certificate (named in every request).
    pub mch_serial: String,
    /// 32 bytes: decrypts notifications.
    pub api_v3_key: Secret<String>,
    /// The WeChat Pay public key (or a platform certificate's public key), PEM.
    pub platform_public_key_path: PathBuf,
    /// Its id (`PUB_KEY_ID_…`, or the certificate's serial), as `Wechatpay-Serial` names it.
    pub platform_public_key_id: String,
    pub base_url: Url,
}

impl WechatSettings {
    pub fn from_lookup(var: &impl Fn(&str) -> Option<String>) -> Result<Option<Self>, ConfigError> {
        let get = |name: &str| var(name).filter(|v| !v.trim().is_empty());
        let base = get("WECHATPAY_BASE_URL").unwrap_or_else(|| PRODUCTION.into());
        let base_url = Url::parse(&base)
            .ok()
            .filter(|u| matches!(u.scheme(), "https" | "http") && u.query().is_none())
            .ok_or_else(|| bad("WECHATPAY_BASE_URL", "not an http(s) URL without a query"))?;
        if REQUIRED.iter().all(|name| get(name).is_none()) {
            return Ok(None);
        }
        let need = |name: &'static str| {
            get(name).ok_or_else(|| {
                bad(
                    name,
                    "WeChat Pay needs every one of WECHATPAY_MCH_ID, _APP_ID, \
                     _MCH_PRIVATE_KEY_PATH, _MCH_SERIAL, _API_V3_KEY, _PLATFORM_PUBLIC_KEY_PATH \
                     and _PLATFORM_PUBLIC_KEY_ID (or none of them)",
                )
            })
        };
        let api_v3_key = need("WECHATPAY_API_V3_KEY")?;
        // The value itself never goes into the message.
        if api_v3_key.len() != 32 {
            return Err(bad(
                "WECHATPAY_API_V3_KEY",
                "the APIv3 key is exactly 32 bytes (the merchant platform's 32 characters)",
            ));
        }
        Ok(Some(Self {
            mch_id: need("WECHATPAY_MCH_ID")?,
            app_id: need("WECHATPAY_APP_ID")?,
            mch_private_key_path: need("WECHATPAY_MCH_PRIVATE_KEY_PATH")?.into(),
            mch_serial: need("WECHATPAY_MCH_SERIAL")?,
            api_v3_key: Secret::new(api_v3_key),
            platform_public_key_path: need("WECHATPAY_PLATFORM_PUBLIC_KEY_PATH")?.into(),
            platform_public_key_id: need("WECHATPAY_PLATFORM_PUBLIC_KEY_ID")?,
            base_url,
        }))
    }
}

pub struct WechatGateway {
    app_id: String,
    merchant: Merchant,
    platform: Platform,
    api_v3_key: Secret<Vec<u8>>,
    base_url: Url,
    notify_url: String,
    http: reqwest::Client,
}

/// A v3 error reply's `code` (`ORDER_NOT_EXIST`, `PARAM_ERROR`…), for the log and for the
/// answers that mean "no such trade".
fn error_code(body: &str) -> String {
    serde_json::from_str::<serde_json::Value>(body)
        .ok()
        .and_then(|v| v.get("code").and_then(|c| c.as_str()).map(str::to_string))
        .unwrap_or_default()
}

/// WeChat's `time_expire`: RFC 3339 in Beijing time (UTC+8, no daylight saving).
fn beijing_rfc3339(at: DateTime<Utc>) -> String {
    const FORMAT: &str = "%Y-%m-%dT%H:%M:%S%:z";
    match FixedOffset::east_opt(8 * 3600) {
        Some(offset) => at.with_timezone(&offset).format(FORMAT).to_string(),
        None => at.format(FORMAT).to_string(),
    }
}

/// `description` is at most 127 bytes: cut at a character boundary.
fn description(subject: &str) -> String {
    let mut end = subject.len().min(127);
    while !subject.is_char_boundary(end) {
        end -= 1;
    }
    subject.get(..end).unwrap_or_default().to_string()
}

/// Our `out_trade_no`s are letters and digits; anything else never reaches a URL path.
fn safe_trade_no(out_trade_no: &str) -> Result<&str, GatewayError> {
    safe_number(out_trade_no, 32)
}

/// A merchant's number as WeChat takes it in a path or body: letters, digits and `_-*`, at
/// most `max` bytes (32 for a trade, 64 for a refund).
fn safe_number(out_trade_no: &str, max: usize) -> Result<&str, GatewayError> {
    if !out_trade_no.is_empty()
        && out_trade_no.len() <= max
        && out_trade_no
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_-*".contains(&b))
    {
        Ok(out_trade_no)
    } else {
        Err(GatewayError::Refused("not an out_trade_no".into()))
    }
}

impl WechatGateway {
    /// Reads the keys named by the settings; a bad file stops start-up with its variable.
    pub fn load(settings: &WechatSettings, public_url: &Url) -> anyhow::Result<Self> {
        let read = |path: &PathBuf, var: &str| {
            std::fs::read_to_string(path)
                .map_err(|e| anyhow::anyhow!("{var}: cannot read {}: {e}", path.display()))
        };
        let key = SigningKey::from_text(&read(
            &settings.mch_private_key_path,
            "WECHATPAY_MCH_PRIVATE_KEY_PATH",
        )?)
        .map_err(|e| anyhow::anyhow!("WECHATPAY_MCH_PRIVATE_KEY_PATH: {e}"))?;
        let platform_key = VerifyingKey::from_text(&read(
            &settings.platform_public_key_path,
            "WECHATPAY_PLATFORM_PUBLIC_KEY_PATH",
        )?)
        .map_err(|e| anyhow::anyhow!("WECHATPAY_PLATFORM_PUBLIC_KEY_PATH: {e}"))?;
        let notify_url = public_url
            .join("api/v1/payments/wechat/notify")
            .map_err(|e| anyhow::anyhow!("PUBLIC_URL: {e}"))?
            .to_string();
        Ok(Self {
            app_id: settings.app_id.clone(),
            merchant: Merchant {
                mch_id: settings.mch_id.clone(),
                serial: settings.mch_serial.clone(),
                key,
            },
            platform: Platform {
                keys: vec![(settings.platform_public_key_id.clone(), platform_key)],
            },
            api_v3_key: Secret::new(settings.api_v3_key.expose().as_bytes().to_vec()),
            base_url: settings.base_url.clone(),
            notify_url,
            http: crate::oauth::client::http_client()?,
        })
    }

    /// One signed call: the status and the body, the body's signature checked on a 2xx
    /// answer (an error answer is only ever read as "did not happen").
    async fn call(
        &self,
        method: reqwest::Method,
        path_and_query: &str,
        body: Option<&str>,
    ) -> Result<(u16, String), GatewayError> {
        let url = Url::parse(&format!(
            "{}{path_and_query}",
            self.base_url.as_str().trim_end_matches('/')
        ))
        .map_err(|e| GatewayError::Refused(format!("URL: {e}")))?;
        // What WeChat checks is the path and query as it receives them.
        let signed_path = match url.query() {
            Some(query) => format!("{}?{query}", url.path()),
            None => url.path().to_string(),
        };
        let timestamp = Utc::now().timestamp();
        let nonce = uuid::Uuid::new_v4()
            .simple()
            .to_string()
            .to_ascii_uppercase();
        let authorization = self
            .merchant
            .authorization(
                method.as_str(),
                &signed_path,
                timestamp,
                &nonce,
                body.unwrap_or(""),
            )
            .map_err(GatewayError::Refused)?;
        let mut request = self
            .http
            .request(method, url)
            .header("Authorization", authorization)
            .header("Accept", "application/json");
        if let Some(body) = body {
            request = request
                .header("Content-Type", "application/json")
                .body(body.to_string());
        }
        let response = request
            .send()
            .await
            .map_err(|e| GatewayError::Unavailable(e.without_url().to_string()))?;
        let status = response.status().as_u16();
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_string()
        };
        let (ts, nonce, signature, serial) = (
            header("Wechatpay-Timestamp"),
            header("Wechatpay-Nonce"),
            header("Wechatpay-Signature"),
            header("Wechatpay-Serial"),
        );
        let text = response
            .text()
            .await
            .map_err(|e| GatewayError::Unavailable(e.without_url().to_string()))?;
        if (200..300).contains(&status) {
            let headers = SignedHeaders {
                timestamp: &ts,
                nonce: &nonce,
                signature: &signature,
                serial: &serial,
            };
            self.platform
                .verify(&headers, &text, Utc::now().timestamp())
                .map_err(|e| GatewayError::Refused(format!("reply signature: {e}")))?;
        }
        Ok((status, text))
    }

    /// `GET /v3/pay/transactions/out-trade-no/{no}`: the transaction and the verified reply's
    /// text; `None` while WeChat has no such trade.
    pub async fn query_trade(
        &self,
        out_trade_no: &str,
    ) -> Result<Option<(Transaction, String)>, GatewayError> {
        let no = safe_trade_no(out_trade_no)?;
        let path = format!(
            "/v3/pay/transactions/out-trade-no/{no}?mchid={}",
            url::form_urlencoded::byte_serialize(self.merchant.mch_id.as_bytes())
                .collect::<String>()
        );
        let (status, body) = self.call(reqwest::Method::GET, &path, None).await?;
        match status {
            200 => serde_json::from_str(&body)
                .map(|transaction| Some((transaction, body)))
                .map_err(|e| GatewayError::Refused(format!("query reply: {e}"))),
            404 if error_code(&body) == "ORDER_NOT_EXIST" => Ok(None),
            _ => Err(GatewayError::Unavailable(format!(
                "query: HTTP {status} {}",
                error_code(&body)
            ))),
        }
    }

    /// `POST …/{no}/close` (204): the trade can no longer be paid.
    pub async fn close_trade(&self, out_trade_no: &str) -> Result<(), GatewayError> {
        let no = safe_trade_no(out_trade_no)?;
        let body = serde_json::json!({ "mchid": self.merchant.mch_id }).to_string();
        let path = format!("/v3/pay/transactions/out-trade-no/{no}/close");
        match self.call(reqwest::Method::POST, &path, Some(&body)).await? {
            (204 | 200, _) => Ok(()),
            (status, body) => Err(GatewayError::Unavailable(format!(
                "close: HTTP {status} {}",
                error_code(&body)
            ))),
        }
    }

    /// `POST /v3/refund/domestic/refunds`, amounts in fen. WeChat answers the same
    /// `out_refund_no` with the same refund, so asking again (a lost answer, or to learn how a
    /// `PROCESSING` one ended) is safe.
    pub async fn refund_trade(
        &self,
        payment: &PaymentRow,
        request: &RefundRequest<'_>,
    ) -> Result<RefundState, GatewayError> {
        let mut body = serde_json::json!({
            "out_trade_no": safe_trade_no(&payment.out_trade_no)?,
            "out_refund_no": safe_number(request.out_request_no, 64)?,
            "amount": {"refund": request.amount_cents, "total": payment.amount_cents,
                       "currency": "CNY"},
        });
        if !request.reason.is_empty() {
            // WeChat shows at most 80 characters of it to the buyer.
            body["reason"] = serde_json::Value::String(request.reason.chars().take(80).collect());
        }
        let (status, reply) = self
            .call(
                reqwest::Method::POST,
                "/v3/refund/domestic/refunds",
                Some(&body.to_string()),
            )
            .await?;
        if !(200..300).contains(&status) {
            let code = error_code(&reply);
            return Err(match (status, code.as_str()) {
                (429 | 500..=599, _) | (_, "SYSTEM_ERROR" | "FREQUENCY_LIMITED") => {
                    GatewayError::Unavailable(format!("refund: HTTP {status} {code}"))
                }
                _ => GatewayError::Declined(format!("refund: HTTP {status} {code}")),
            });
        }
        let answer: serde_json::Value = serde_json::from_str(&reply)
            .map_err(|e| GatewayError::Refused(format!("refund reply: {e}")))?;
        let text = |k: &str| answer.get(k).and_then(|v| v.as_str()).unwrap_or("");
        if text("out_refund_no") != request.out_request_no {
            return Err(GatewayError::Refused(format!(
                "refund reply names refund {}",
                text("out_refund_no")
            )));
        }
        let refund_id = Some(text("refund_id"))
            .filter(|t| !t.is_empty())
            .map(str::to_string);
        match text("status") {
            "SUCCESS" => Ok(RefundState::Succeeded(refund_id)),
            // ABNORMAL: the money left the merchant but did not reach the buyer (a closed
            // card); it needs a person at WeChat's merchant platform, never a second refund,
            // so it stays in flight here.
            "PROCESSING" | "ABNORMAL" => Ok(RefundState::Processing(refund_id)),
            other => Err(GatewayError::Declined(format!("refund status {other}"))),
        }
    }
}

#[async_trait]
impl PaymentGateway for WechatGateway {
    fn provider(&self) -> &'static str {
        "wechat"
    }

    async fn start(&self, request: &StartRequest<'_>) -> Result<Next, GatewayError> {
        let body = serde_json::json!({
            "appid": self.app_id,
            "mchid": self.merchant.mch_id,
            "description": description(request.subject),
            "out_trade_no": request.payment.out_trade_no,
            // The trade stops taking money when the order would close anyway.
            "time_expire": beijing_rfc3339(request.expires_at),
            "notify_url": self.notify_url,
            "amount": {"total": request.payment.amount_cents, "currency": "CNY"},
        })
        .to_string();
        let (status, reply) = self
            .call(
                reqwest::Method::POST,
                "/v3/pay/transactions/native",
                Some(&body),
            )
            .await?;
        if status != 200 {
            return Err(GatewayError::Unavailable(format!(
                "native: HTTP {status} {}",
                error_code(&reply)
            )));
        }
        let code_url = serde_json::from_str::<serde_json::Value>(&reply)
            .ok()
            .and_then(|v| {
                v.get("code_url")
                    .and_then(|c| c.as_str())
                    .map(str::to_string)
            })
            .filter(|c| !c.is_empty())
            .ok_or_else(|| GatewayError::Refused("native: no code_url".into()))?;
        Ok(Next::CodeUrl(code_url))
    }

    async fn close(&self, payment: &PaymentRow) -> Result<(), GatewayError> {
        self.close_trade(&payment.out_trade_no).await
    }

    async fn refund(
        &self,
        payment: &PaymentRow,
        request: &RefundRequest<'_>,
    ) -> Result<RefundState, GatewayError> {
        self.refund_trade(payment, request).await
    }

    async fn query(&self, payment: &PaymentRow) -> Result<Option<PaidTrade>, GatewayError> {
        let Some((transaction, reply)) = self.query_trade(&payment.out_trade_no).await? else {
            return Ok(None);
        };
        match self.check_transaction(&transaction, Some(payment)) {
            // Not paid yet (NOTPAY, USERPAYING) or not any more (CLOSED).
            Ok(false) => Ok(None),
            Ok(true) if transaction.transaction_id.is_empty() => {
                Err(GatewayError::Refused("query: no transaction_id".into()))
            }
            Ok(true) => Ok(Some(PaidTrade {
                trade_no: transaction.transaction_id,
                reply,
            })),
            Err(why) => Err(GatewayError::Refused(format!("query: {why}"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(vars: &[(&str, &str)]) -> Result<Option<WechatSettings>, String> {
        let map: std::collections::HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        WechatSettings::from_lookup(&|n: &str| map.get(n).cloned()).map_err(|e| e.to_string())
    }

    #[test]
    fn settings_are_all_or_nothing_and_the_key_is_32_bytes() {
        assert!(read(&[]).unwrap().is_none());
        let all = [
            ("WECHATPAY_MCH_ID", "1900000001"),
            ("WECHATPAY_APP_ID", "wxd678efh567hg6787"),
            ("WECHATPAY_MCH_PRIVATE_KEY_PATH", "/k.pem"),
            ("WECHATPAY_MCH_SERIAL", "5157F09EFDC096DE15EBE81A47057A72"),
            ("WECHATPAY_API_V3_KEY", "0123456789abcdef0123456789abcdef"),
            ("WECHATPAY_PLATFORM_PUBLIC_KEY_PATH", "/p.pem"),
            ("WECHATPAY_PLATFORM_PUBLIC_KEY_ID", "PUB_KEY_ID_0114"),
        ];
        let s = read(&all).unwrap().unwrap();
        assert_eq!(s.base_url.as_str(), "https://api.mch.weixin.qq.com/");
        assert!(!format!("{s:?}").contains("0123456789abcdef"));
        let missing = read(&all[1..]).unwrap_err();
        assert!(missing.contains("WECHATPAY_MCH_ID"), "{missing}");
        let mut short = all;
        short[4] = ("WECHATPAY_API_V3_KEY", "short");
        let err = read(&short).unwrap_err();
        assert!(
            err.contains("WECHATPAY_API_V3_KEY") && !err.contains("short"),
            "{err}"
        );
    }

    #[test]
    fn wire_values_are_shaped_as_wechat_wants_them() {
        let at = DateTime::parse_from_rfc3339("2026-12-01T10:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(beijing_rfc3339(at), "2026-12-01T18:00:00+08:00");
        let long = "课".repeat(60);
        let cut = description(&long);
        assert!(cut.len() <= 127 && cut.len() > 120 && long.starts_with(&cut));
        assert!(safe_trade_no("XC20261201ABCW").is_ok());
        assert!(safe_trade_no("../x").is_err());
        assert!(safe_trade_no("").is_err());
    }
}
