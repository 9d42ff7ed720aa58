//! UnionPay's online gateway (API 5.1.0, `signMethod=01`): the front consumption form the
//! buyer's browser posts to UnionPay, the query that confirms a trade (or a refund), the
//! refund, and the check of a back notification. Wire format: PROTOCOLS.md.
//!
//! Requests are signed with the merchant's PKCS#12 key and name its certificate by `certId`;
//! replies and notifications are checked against the `signPubKeyCert` they carry, after that
//! certificate was chained to UnionPay's root ([`super::unionpay_sign`]). A trade is named by
//! `orderId` (our out_trade_no) and `txnTime`, taken from the payment's creation so that every
//! form and query of one payment names the same trade.

use std::collections::BTreeMap;
use std::path::PathBuf;

use async_trait::async_trait;
use chrono::{DateTime, FixedOffset, Utc};
use url::Url;

use super::gateway::{
    GatewayError, Next, PaidTrade, PaymentGateway, RefundRequest, RefundState, StartRequest,
};
use super::unionpay_certs::{Certificate, Trust, UNIONPAY_CN};
use super::unionpay_sign::{reply_fields, verify_fields, MerchantCert};
use crate::config::{bad, ConfigError};
use crate::db::payments::PaymentRow;

pub const PRODUCTION: &str = "https://gateway.95516.com";

/// `UNIONPAY_*`: the merchant number, the signing certificate and its password, UnionPay's
/// root and middle certificates, all or none (UnionPay off).
#[derive(Clone)]
pub struct UnionpaySettings {
    pub mer_id: String,
    pub sign_cert_path: PathBuf,
    pub sign_cert_password: String,
    pub root_cert_path: PathBuf,
    pub middle_cert_path: PathBuf,
    pub gateway_url: Url,
    /// The subject CN UnionPay's signing certificates bear.
    pub cert_cn: String,
}

impl std::fmt::Debug for UnionpaySettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UnionpaySettings")
            .field("mer_id", &self.mer_id)
            .field("sign_cert_path", &self.sign_cert_path)
            .field("sign_cert_password", &"<redacted>")
            .field("root_cert_path", &self.root_cert_path)
            .field("middle_cert_path", &self.middle_cert_path)
            .field("gateway_url", &self.gateway_url.as_str())
            .field("cert_cn", &self.cert_cn)
            .finish()
    }
}

const REQUIRED: [&str; 5] = [
    "UNIONPAY_MER_ID",
    "UNIONPAY_SIGN_CERT_PATH",
    "UNIONPAY_SIGN_CERT_PASSWORD",
    "UNIONPAY_ROOT_CERT_PATH",
    "UNIONPAY_MIDDLE_CERT_PATH",
];

impl UnionpaySettings {
    pub fn from_lookup(var: &impl Fn(&str) -> Option<String>) -> Result<Option<Self>, ConfigError> {
        let gateway = var("UNIONPAY_GATEWAY_URL").unwrap_or_else(|| PRODUCTION.into());
        let gateway_url = Url::parse(&gateway)
            .ok()
            .filter(|u| matches!(u.scheme(), "https" | "http"))
            .ok_or_else(|| bad("UNIONPAY_GATEWAY_URL", "not an http(s) URL"))?;
        let cert_cn = var("UNIONPAY_CERT_CN")
            .filter(|cn| !cn.trim().is_empty())
            .unwrap_or_else(|| UNIONPAY_CN.into());
        let values: Vec<Option<String>> = REQUIRED
            .iter()
            .map(|k| var(k).filter(|v| !v.is_empty()))
            .collect();
        match values.as_slice() {
            [None, None, None, None, None] => Ok(None),
            [Some(mer_id), Some(sign), Some(password), Some(root), Some(middle)] => {
                Ok(Some(Self {
                    mer_id: mer_id.clone(),
                    sign_cert_path: sign.into(),
                    sign_cert_password: password.clone(),
                    root_cert_path: root.into(),
                    middle_cert_path: middle.into(),
                    gateway_url,
                    cert_cn,
                }))
            }
            _ => {
                let missing: Vec<&str> = REQUIRED
                    .iter()
                    .zip(&values)
                    .filter(|(_, v)| v.is_none())
                    .map(|(k, _)| *k)
                    .collect();
                Err(bad(
                    "UNIONPAY_MER_ID",
                    format!(
                        "set {} together (missing: {})",
                        REQUIRED.join(", "),
                        missing.join(", ")
                    ),
                ))
            }
        }
    }
}

/// The form the buyer's browser posts to UnionPay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PayForm {
    pub action: String,
    pub fields: BTreeMap<String, String>,
}

pub struct UnionpayGateway {
    mer_id: String,
    cert: MerchantCert,
    trust: Trust,
    gateway_url: Url,
    back_url: String,
    public_url: Url,
    http: reqwest::Client,
}

/// UnionPay's clock is Beijing time (UTC+8, no daylight saving): `YYYYMMDDhhmmss`.
pub fn beijing(t: DateTime<Utc>) -> String {
    const FORMAT: &str = "%Y%m%d%H%M%S";
    match FixedOffset::east_opt(8 * 3600) {
        Some(offset) => t.with_timezone(&offset).format(FORMAT).to_string(),
        None => t.format(FORMAT).to_string(),
    }
}

/// `respCode`/`origRespCode` 03, 04 and 05: UnionPay has not decided yet; ask again.
fn pending(code: &str) -> bool {
    matches!(code, "03" | "04" | "05")
}

impl UnionpayGateway {
    /// Reads the certificates named by the settings; a bad file or password stops start-up
    /// with its variable (never the password itself).
    pub fn load(settings: &UnionpaySettings, public_url: &Url) -> anyhow::Result<Self> {
        let read = |path: &PathBuf, var: &str| {
            std::fs::read(path)
                .map_err(|e| anyhow::anyhow!("{var}: cannot read {}: {e}", path.display()))
        };
        let cert = MerchantCert::from_pkcs12(
            &read(&settings.sign_cert_path, "UNIONPAY_SIGN_CERT_PATH")?,
            &settings.sign_cert_password,
        )
        .map_err(|e| anyhow::anyhow!("UNIONPAY_SIGN_CERT_PATH: {e}"))?;
        let certificate = |path: &PathBuf, var: &str| {
            Certificate::from_file_bytes(&read(path, var)?)
                .map_err(|e| anyhow::anyhow!("{var}: {e}"))
        };
        let trust = Trust::new(
            certificate(&settings.root_cert_path, "UNIONPAY_ROOT_CERT_PATH")?,
            certificate(&settings.middle_cert_path, "UNIONPAY_MIDDLE_CERT_PATH")?,
            &settings.cert_cn,
        )
        .map_err(|e| anyhow::anyhow!("UNIONPAY_MIDDLE_CERT_PATH: {e}"))?;
        Ok(Self {
            mer_id: settings.mer_id.clone(),
            cert,
            trust,
            gateway_url: settings.gateway_url.clone(),
            back_url: public_url
                .join("api/v1/payments/unionpay/notify")
                .map_err(|e| anyhow::anyhow!("PUBLIC_URL: {e}"))?
                .to_string(),
            public_url: public_url.clone(),
            http: crate::oauth::client::http_client()?,
        })
    }

    fn endpoint(&self, path: &str) -> String {
        format!("{}{path}", self.gateway_url.as_str().trim_end_matches('/'))
    }

    /// The fields every request has, for a `txnType`/`txnSubType`.
    fn fields(&self, txn_type: &str, txn_sub_type: &str) -> BTreeMap<String, String> {
        [
            ("version", "5.1.0"),
            ("encoding", "UTF-8"),
            ("signMethod", "01"),
            ("txnType", txn_type),
            ("txnSubType", txn_sub_type),
            ("bizType", "000201"),
            ("accessType", "0"),
            ("merId", self.mer_id.as_str()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
    }

    fn sign(&self, fields: &mut BTreeMap<String, String>) -> Result<(), GatewayError> {
        self.cert.sign(fields).map_err(GatewayError::Refused)
    }

    /// The signed front consumption form of `payment` (`frontTransReq.do`). The same payment
    /// gives the same form every time: its `txnTime` is the payment's creation.
    pub fn pay_form(
        &self,
        payment: &PaymentRow,
        mobile: bool,
        expires_at: DateTime<Utc>,
    ) -> Result<PayForm, GatewayError> {
        let mut fields = self.fields("01", "01");
        let front_url = self
            .public_url
            .join(&format!("pay/unionpay/return/{}", payment.out_trade_no))
            .map_err(|e| GatewayError::Refused(format!("frontUrl: {e}")))?;
        for (k, v) in [
            ("channelType", if mobile { "08" } else { "07" }.to_string()),
            ("currencyCode", "156".to_string()),
            ("txnAmt", payment.amount_cents.to_string()),
            ("orderId", payment.out_trade_no.clone()),
            ("txnTime", beijing(payment.created_at)),
            ("payTimeout", beijing(expires_at)),
            ("frontUrl", front_url.to_string()),
            ("backUrl", self.back_url.clone()),
        ] {
            fields.insert(k.to_string(), v);
        }
        self.sign(&mut fields)?;
        Ok(PayForm {
            action: self.endpoint("/gateway/api/frontTransReq.do"),
            fields,
        })
    }

    /// Posts signed `fields` to `path` and returns the reply's fields, verified (chain and
    /// signature) and naming our merchant.
    async fn call(
        &self,
        path: &str,
        mut fields: BTreeMap<String, String>,
    ) -> Result<(BTreeMap<String, String>, String), GatewayError> {
        self.sign(&mut fields)?;
        let body = self
            .http
            .post(self.endpoint(path))
            .form(&fields)
            .send()
            .await
            .map_err(|e| GatewayError::Unavailable(e.without_url().to_string()))?
            .text()
            .await
            .map_err(|e| GatewayError::Unavailable(e.without_url().to_string()))?;
        let reply = reply_fields(&body).map_err(|e| GatewayError::Refused(e.to_string()))?;
        verify_fields(&reply, &self.trust, Utc::now())
            .map_err(|e| GatewayError::Refused(format!("{path}: {e}")))?;
        let mer_id = reply.get("merId").map(String::as_str).unwrap_or("");
        if mer_id != self.mer_id {
            return Err(GatewayError::Refused(format!(
                "{path}: the reply names merchant {mer_id}"
            )));
        }
        Ok((reply, body))
    }

    /// `queryTrans.do` of the trade `order_id` made at `txn_time`: the verified reply, or
    /// `None` when UnionPay has no such trade (`respCode` 34).
    pub async fn query_trade(
        &self,
        order_id: &str,
        txn_time: DateTime<Utc>,
    ) -> Result<Option<(BTreeMap<String, String>, String)>, GatewayError> {
        let mut fields = self.fields("00", "00");
        fields.insert("orderId".into(), order_id.to_string());
        fields.insert("txnTime".into(), beijing(txn_time));
        let (reply, body) = self.call("/gateway/api/queryTrans.do", fields).await?;
        let text = |k: &str| reply.get(k).map(String::as_str).unwrap_or("");
        match text("respCode") {
            "00" if text("orderId") == order_id => Ok(Some((reply, body))),
            "00" => Err(GatewayError::Refused(format!(
                "queryTrans: the reply names order {}",
                text("orderId")
            ))),
            "34" => Ok(None),
            code => Err(GatewayError::Unavailable(format!(
                "queryTrans: {code} {}",
                text("respMsg")
            ))),
        }
    }

    /// Checks a back notification's fields against the signature and our records. `Ok(None)`:
    /// genuine, but nothing to settle (not a consumption, or one that did not pay);
    /// `Ok(Some(queryId))`: a payment of `payment`, for its amount, to our merchant.
    pub fn check_notification(
        &self,
        fields: &BTreeMap<String, String>,
        payment: Option<&PaymentRow>,
    ) -> Result<Option<String>, String> {
        verify_fields(fields, &self.trust, Utc::now()).map_err(|e| format!("signature: {e}"))?;
        let field = |k: &str| fields.get(k).map(String::as_str).unwrap_or("");
        if field("merId") != self.mer_id {
            return Err(format!("another merchant: {}", field("merId")));
        }
        if field("txnType") != "01" {
            // A refund's outcome and the like: the refund's own query settles it.
            return Ok(None);
        }
        let payment = payment
            .filter(|p| p.provider == "unionpay")
            .ok_or_else(|| format!("unknown orderId {}", field("orderId")))?;
        if field("txnAmt") != payment.amount_cents.to_string() {
            return Err(format!(
                "txnAmt {} is not the payment's {}",
                field("txnAmt"),
                payment.amount_cents
            ));
        }
        if !matches!(field("respCode"), "00" | "A6") {
            return Ok(None);
        }
        match field("queryId") {
            "" => Err("no queryId".into()),
            id => Ok(Some(id.to_string())),
        }
    }
}

#[async_trait]
impl PaymentGateway for UnionpayGateway {
    fn provider(&self) -> &'static str {
        "unionpay"
    }

    /// The form must be POSTed by the buyer's browser: the buyer is sent to our own page,
    /// which writes it out signed ([`UnionpayGateway::pay_form`]).
    async fn start(&self, request: &StartRequest<'_>) -> Result<Next, GatewayError> {
        // Signed now too, so a certificate that cannot sign fails the start, not the page.
        self.pay_form(request.payment, request.mobile, request.expires_at)?;
        Ok(Next::PayUrl(format!(
            "/pay/unionpay/{}",
            request.payment.out_trade_no
        )))
    }

    // `close` stays the default: a front consumption ends at its `payTimeout` (the order's
    // expiry), UnionPay has no call to close it earlier, and money that still arrives is
    // marked refund due by the settlement.

    async fn query(&self, payment: &PaymentRow) -> Result<Option<PaidTrade>, GatewayError> {
        let Some((reply, body)) = self
            .query_trade(&payment.out_trade_no, payment.created_at)
            .await?
        else {
            return Ok(None);
        };
        let text = |k: &str| reply.get(k).map(String::as_str).unwrap_or("");
        match text("origRespCode") {
            "00" | "A6" => {}
            // Not yet, or a trade that failed: not paid either way.
            _ => return Ok(None),
        }
        if text("txnAmt") != payment.amount_cents.to_string() {
            return Err(GatewayError::Refused(format!(
                "queryTrans: txnAmt {} is not the payment's {}",
                text("txnAmt"),
                payment.amount_cents
            )));
        }
        let trade_no = text("queryId").to_string();
        if trade_no.is_empty() {
            return Err(GatewayError::Refused("queryTrans: no queryId".into()));
        }
        Ok(Some(PaidTrade {
            trade_no,
            reply: body,
        }))
    }

    /// `backTransReq.do` (`txnType=04`): UnionPay takes the refund and settles it later, so
    /// the first answer is `Processing`. Every ask first queries the refund by its
    /// out_request_no and time: a refund UnionPay already has is never sent twice, and its
    /// query's `origRespCode` 00 is the final `Succeeded`.
    async fn refund(
        &self,
        payment: &PaymentRow,
        request: &RefundRequest<'_>,
    ) -> Result<RefundState, GatewayError> {
        if let Some((reply, _)) = self
            .query_trade(request.out_request_no, request.requested_at)
            .await?
        {
            let text = |k: &str| reply.get(k).map(String::as_str).unwrap_or("");
            let query_id = Some(text("queryId").to_string()).filter(|q| !q.is_empty());
            return match text("origRespCode") {
                "00" => Ok(RefundState::Succeeded(query_id)),
                code if pending(code) => Ok(RefundState::Processing(query_id)),
                code => Err(GatewayError::Declined(format!(
                    "refund {code} {}",
                    text("origRespMsg")
                ))),
            };
        }
        let Some(orig_qry_id) = payment.provider_trade_no.as_deref() else {
            return Err(GatewayError::Declined(
                "the payment has no UnionPay queryId to refund".into(),
            ));
        };
        let mut fields = self.fields("04", "00");
        for (k, v) in [
            ("channelType", "07".to_string()),
            ("origQryId", orig_qry_id.to_string()),
            ("orderId", request.out_request_no.to_string()),
            ("txnTime", beijing(request.requested_at)),
            ("txnAmt", request.amount_cents.to_string()),
            ("backUrl", self.back_url.clone()),
        ] {
            fields.insert(k.to_string(), v);
        }
        let (reply, _) = self.call("/gateway/api/backTransReq.do", fields).await?;
        let text = |k: &str| reply.get(k).map(String::as_str).unwrap_or("");
        match text("respCode") {
            "00" => Ok(RefundState::Processing(
                Some(text("queryId").to_string()).filter(|q| !q.is_empty()),
            )),
            code if pending(code) => Ok(RefundState::Processing(None)),
            code => Err(GatewayError::Declined(format!(
                "refund {code} {}",
                text("respMsg")
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn read(vars: &[(&str, &str)]) -> Result<Option<UnionpaySettings>, String> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        UnionpaySettings::from_lookup(&|n: &str| map.get(n).cloned()).map_err(|e| e.to_string())
    }

    #[test]
    fn settings_are_all_or_nothing_and_the_password_is_never_shown() {
        assert!(read(&[]).unwrap().is_none());
        assert!(read(&[("UNIONPAY_CERT_CN", "x")]).unwrap().is_none());
        let all = [
            ("UNIONPAY_MER_ID", "777290058110048"),
            ("UNIONPAY_SIGN_CERT_PATH", "/k/sign.pfx"),
            ("UNIONPAY_SIGN_CERT_PASSWORD", "hunter2"),
            ("UNIONPAY_ROOT_CERT_PATH", "/k/root.cer"),
            ("UNIONPAY_MIDDLE_CERT_PATH", "/k/middle.cer"),
        ];
        let settings = read(&all).unwrap().unwrap();
        assert_eq!(settings.gateway_url.as_str(), "https://gateway.95516.com/");
        assert_eq!(settings.cert_cn, UNIONPAY_CN);
        assert!(!format!("{settings:?}").contains("hunter2"));
        let partial = read(&all[..3]).unwrap_err();
        assert!(partial.contains("UNIONPAY_ROOT_CERT_PATH"), "{partial}");
        assert!(!partial.contains("hunter2"));
        let mut bad_url = all.to_vec();
        bad_url.push(("UNIONPAY_GATEWAY_URL", "ftp://x"));
        assert!(read(&bad_url).is_err());
    }

    #[test]
    fn times_are_beijing_time() {
        let t = DateTime::parse_from_rfc3339("2026-12-01T16:30:05Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(beijing(t), "20261202003005");
    }
}
