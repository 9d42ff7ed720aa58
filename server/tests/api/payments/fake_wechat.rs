//! A fake WeChat Pay (API v3) on loopback: it holds its own platform key pair, the APIv3 key
//! and the merchant's public key; it checks each request's `WECHATPAY2-SHA256-RSA2048`
//! signature over the exact method, path, query and body it received (and the clock, and the
//! mchid and serial), signs every reply with `Wechatpay-*` headers, and sends notifications
//! encrypted with AES-256-GCM and signed, as WeChat Pay does (PROTOCOLS.md). It uses the same
//! primitives as production (`server::payments::wechat_sign`), so a mistake on either side of
//! the wire fails the tests.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::{
    body::Bytes,
    http::{HeaderMap, Method, StatusCode, Uri},
    response::{IntoResponse, Response},
    Router,
};
use serde_json::{json, Value};
use server::payments::keys::{SigningKey, VerifyingKey};
use server::payments::wechat_sign::{encrypt_resource, request_message};

use super::fake_alipay::key_pair;
use crate::helpers::TempDir;

pub const MCH_ID: &str = "1900000109";
pub const APP_ID: &str = "wxd678efh567hg6787";
pub const MCH_SERIAL: &str = "5157F09EFDC096DE15EBE81A47057A72";
pub const PLATFORM_KEY_ID: &str = "PUB_KEY_ID_0119000001092026120100000000";
pub const API_V3_KEY: &str = "a7cde1ZJB1kG2e7VfTs3jQzaWizur8Gb";

#[derive(Debug, Clone)]
pub struct Trade {
    pub out_trade_no: String,
    pub total: i64,
    pub state: String,
    pub transaction_id: String,
    /// The order call's body as received.
    pub request: Value,
}

struct Inner {
    platform_key: SigningKey,
    merchant_public: VerifyingKey,
    trades: Mutex<HashMap<String, Trade>>,
    /// Requests refused for their signature (a test asserts there were none).
    refused: Mutex<Vec<String>>,
    /// Refunds by `out_refund_no`.
    refunds: Mutex<HashMap<String, Refund>>,
    /// What a new refund is answered with: `SUCCESS`, or `PROCESSING` (settled later).
    new_refund_status: Mutex<String>,
}

#[derive(Debug, Clone)]
pub struct Refund {
    pub out_trade_no: String,
    pub refund: i64,
    pub status: String,
    pub refund_id: String,
}

/// `POST /v3/refund/domestic/refunds`: a paid trade, the order's own total, an amount within
/// what is left; the same `out_refund_no` answers the same refund.
fn refund_reply(inner: &Inner, body: &str) -> Response {
    let fail = |code: &str, message: &str| {
        reply(
            inner,
            StatusCode::BAD_REQUEST,
            Some(json!({"code": code, "message": message})),
        )
    };
    let request: Value = serde_json::from_str(body).unwrap_or_default();
    let out = request["out_trade_no"].as_str().unwrap_or("").to_string();
    let no = request["out_refund_no"].as_str().unwrap_or("").to_string();
    let amount = request["amount"]["refund"].as_i64().unwrap_or(0);
    let Some(trade) = inner.trades.lock().unwrap().get(&out).cloned() else {
        return reply(
            inner,
            StatusCode::NOT_FOUND,
            Some(json!({"code": "RESOURCE_NOT_EXISTS", "message": "订单不存在"})),
        );
    };
    if no.is_empty() || amount <= 0 || request["amount"]["currency"] != "CNY" {
        return fail("PARAM_ERROR", "参数错误");
    }
    if request["amount"]["total"].as_i64() != Some(trade.total) {
        return fail("INVALID_REQUEST", "订单金额与原订单不一致");
    }
    let mut refunds = inner.refunds.lock().unwrap();
    let refund = match refunds.get(&no) {
        Some(r) if r.out_trade_no == out && r.refund == amount => r.clone(),
        Some(_) => return fail("INVALID_REQUEST", "退款单号已用于另一笔退款"),
        None => {
            let done: i64 = refunds
                .values()
                .filter(|r| r.out_trade_no == out)
                .map(|r| r.refund)
                .sum();
            if trade.state != "SUCCESS" && trade.state != "REFUND" {
                return fail("INVALID_REQUEST", "订单状态不可退款");
            }
            if done + amount > trade.total {
                return fail("NOT_ENOUGH", "退款金额超过可退金额");
            }
            let refund = Refund {
                out_trade_no: out.clone(),
                refund: amount,
                status: inner.new_refund_status.lock().unwrap().clone(),
                refund_id: format!("5030{}", &nonce(24)),
            };
            refunds.insert(no.clone(), refund.clone());
            refund
        }
    };
    reply(
        inner,
        StatusCode::OK,
        Some(json!({
            "refund_id": refund.refund_id, "out_refund_no": no, "transaction_id": trade.transaction_id,
            "out_trade_no": out, "channel": "ORIGINAL", "user_received_account": "支付用户零钱",
            "status": refund.status, "create_time": "2026-12-02T18:00:00+08:00",
            "amount": {"total": trade.total, "refund": refund.refund, "payer_total": trade.total,
                       "payer_refund": refund.refund, "currency": "CNY"}
        })),
    )
}

#[derive(Clone)]
pub struct FakeWechat {
    inner: Arc<Inner>,
    _dir: Arc<TempDir>,
    pub settings: Vec<(&'static str, String)>,
}

/// A signed notification: its `Wechatpay-*` headers and JSON body.
#[derive(Debug, Clone)]
pub struct Notification {
    pub headers: Vec<(&'static str, String)>,
    pub body: String,
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

fn nonce(len: usize) -> String {
    uuid::Uuid::new_v4().simple().to_string()[..len].to_string()
}

/// The headers WeChat Pay signs a reply or notification with, at `timestamp`.
fn signed_headers(key: &SigningKey, timestamp: i64, body: &str) -> Vec<(&'static str, String)> {
    let nonce = nonce(32);
    let signature = key
        .sign(format!("{timestamp}\n{nonce}\n{body}\n").as_bytes())
        .unwrap();
    vec![
        ("Wechatpay-Timestamp", timestamp.to_string()),
        ("Wechatpay-Nonce", nonce),
        ("Wechatpay-Signature", signature),
        ("Wechatpay-Serial", PLATFORM_KEY_ID.to_string()),
        (
            "Wechatpay-Signature-Type",
            "WECHATPAY2-SHA256-RSA2048".into(),
        ),
    ]
}

fn reply(inner: &Inner, status: StatusCode, body: Option<Value>) -> Response {
    let text = body.map(|b| b.to_string()).unwrap_or_default();
    let mut response = (status, text.clone()).into_response();
    for (k, v) in signed_headers(&inner.platform_key, now(), &text) {
        response.headers_mut().insert(k, v.parse().unwrap());
    }
    if !text.is_empty() {
        response
            .headers_mut()
            .insert("Content-Type", "application/json".parse().unwrap());
    }
    response
}

/// `WECHATPAY2-SHA256-RSA2048 mchid="…",nonce_str="…",…` as a map, or `None`.
fn authorization(headers: &HeaderMap) -> Option<HashMap<String, String>> {
    let value = headers.get("Authorization")?.to_str().ok()?;
    let rest = value.strip_prefix("WECHATPAY2-SHA256-RSA2048 ")?;
    rest.split(',')
        .map(|pair| {
            let (k, v) = pair.split_once('=')?;
            Some((
                k.trim().to_string(),
                v.trim().strip_prefix('"')?.strip_suffix('"')?.to_string(),
            ))
        })
        .collect()
}

/// Checks a request as WeChat Pay does: the merchant, its certificate's serial, a fresh
/// timestamp, and the signature over what was received.
fn check_request(
    inner: &Inner,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &str,
) -> Result<(), String> {
    let auth = authorization(headers).ok_or("no WECHATPAY2 Authorization")?;
    let field = |k: &str| auth.get(k).cloned().unwrap_or_default();
    if field("mchid") != MCH_ID || field("serial_no") != MCH_SERIAL {
        return Err("mchid or serial_no".into());
    }
    let timestamp: i64 = field("timestamp").parse().map_err(|_| "timestamp")?;
    if (now() - timestamp).abs() > 300 {
        return Err("stale timestamp".into());
    }
    let path = uri
        .path_and_query()
        .map(|p| p.as_str())
        .unwrap_or("/")
        .to_string();
    let message = request_message(method.as_str(), &path, timestamp, &field("nonce_str"), body);
    inner
        .merchant_public
        .verify(message.as_bytes(), &field("signature"))
        .map_err(|e| format!("signature: {e}"))
}

async fn api(
    axum::extract::State(inner): axum::extract::State<Arc<Inner>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let body = String::from_utf8(body.to_vec()).unwrap_or_default();
    if let Err(why) = check_request(&inner, &method, &uri, &headers, &body) {
        inner.refused.lock().unwrap().push(why.clone());
        return reply(
            &inner,
            StatusCode::UNAUTHORIZED,
            Some(json!({"code": "SIGN_ERROR", "message": why})),
        );
    }
    let path = uri.path();
    let trade_no = path
        .strip_prefix("/v3/pay/transactions/out-trade-no/")
        .map(|rest| rest.trim_end_matches("/close").to_string());
    match (method.as_str(), path, trade_no) {
        ("POST", "/v3/refund/domestic/refunds", _) => refund_reply(&inner, &body),
        ("POST", "/v3/pay/transactions/native", _) => {
            let request: Value = serde_json::from_str(&body).unwrap_or_default();
            let ok = request["mchid"] == MCH_ID
                && request["appid"] == APP_ID
                && request["amount"]["total"].is_i64()
                && request["amount"]["currency"] == "CNY"
                && request["notify_url"].is_string()
                && request["description"].is_string();
            let out = request["out_trade_no"].as_str().unwrap_or("").to_string();
            if !ok || out.is_empty() {
                return reply(
                    &inner,
                    StatusCode::BAD_REQUEST,
                    Some(json!({"code": "PARAM_ERROR", "message": "参数错误"})),
                );
            }
            let mut trades = inner.trades.lock().unwrap();
            let trade = trades.entry(out.clone()).or_insert_with(|| Trade {
                out_trade_no: out.clone(),
                total: request["amount"]["total"].as_i64().unwrap_or(0),
                state: "NOTPAY".into(),
                transaction_id: format!("4200{}", &nonce(24)),
                request: request.clone(),
            });
            trade.request = request;
            let code_url = format!(
                "weixin://wxpay/bizpayurl?pr={}",
                &trade.transaction_id[4..14]
            );
            reply(&inner, StatusCode::OK, Some(json!({"code_url": code_url})))
        }
        ("GET", _, Some(no)) => {
            let query = uri.query().unwrap_or("");
            if query != format!("mchid={MCH_ID}") {
                return reply(
                    &inner,
                    StatusCode::BAD_REQUEST,
                    Some(json!({"code": "PARAM_ERROR", "message": "mchid"})),
                );
            }
            let trade = inner.trades.lock().unwrap().get(&no).cloned();
            match trade {
                Some(t) => reply(&inner, StatusCode::OK, Some(transaction(&t))),
                None => reply(
                    &inner,
                    StatusCode::NOT_FOUND,
                    Some(json!({"code": "ORDER_NOT_EXIST", "message": "订单不存在"})),
                ),
            }
        }
        ("POST", _, Some(no)) if path.ends_with("/close") => {
            let request: Value = serde_json::from_str(&body).unwrap_or_default();
            let mut trades = inner.trades.lock().unwrap();
            match trades.get_mut(&no) {
                Some(t) if request["mchid"] == MCH_ID => {
                    t.state = "CLOSED".into();
                    reply(&inner, StatusCode::NO_CONTENT, None)
                }
                _ => reply(
                    &inner,
                    StatusCode::NOT_FOUND,
                    Some(json!({"code": "ORDER_NOT_EXIST", "message": "订单不存在"})),
                ),
            }
        }
        _ => reply(
            &inner,
            StatusCode::NOT_FOUND,
            Some(json!({"code": "NOT_FOUND", "message": "no such API"})),
        ),
    }
}

/// A transaction as the query answers it and a notification's resource holds it.
fn transaction(t: &Trade) -> Value {
    json!({
        "appid": APP_ID, "mchid": MCH_ID, "out_trade_no": t.out_trade_no,
        "transaction_id": t.transaction_id, "trade_type": "NATIVE", "trade_state": t.state,
        "trade_state_desc": "支付成功", "bank_type": "OTHERS", "attach": "",
        "success_time": "2026-12-01T18:00:00+08:00",
        "payer": {"openid": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"},
        "amount": {"total": t.total, "payer_total": t.total, "currency": "CNY",
                   "payer_currency": "CNY"}
    })
}

impl FakeWechat {
    pub async fn start() -> Self {
        let (merchant_private, merchant_public) = key_pair();
        let (platform_private, platform_public) = key_pair();
        let dir = TempDir::new();
        let merchant_path = dir.0.join("apiclient_key.pem");
        let platform_path = dir.0.join("pub_key.pem");
        std::fs::write(&merchant_path, merchant_private).unwrap();
        std::fs::write(
            &platform_path,
            format!("-----BEGIN PUBLIC KEY-----\n{platform_public}\n-----END PUBLIC KEY-----\n"),
        )
        .unwrap();
        let inner = Arc::new(Inner {
            platform_key: SigningKey::from_text(&platform_private).unwrap(),
            merchant_public: VerifyingKey::from_text(&merchant_public).unwrap(),
            trades: Mutex::new(HashMap::new()),
            refused: Mutex::new(Vec::new()),
            refunds: Mutex::new(HashMap::new()),
            new_refund_status: Mutex::new("SUCCESS".into()),
        });
        let router = Router::new().fallback(api).with_state(inner.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base_url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move {
            let _ = axum::serve(listener, router).await;
        });
        let settings = vec![
            ("WECHATPAY_MCH_ID", MCH_ID.to_string()),
            ("WECHATPAY_APP_ID", APP_ID.to_string()),
            (
                "WECHATPAY_MCH_PRIVATE_KEY_PATH",
                merchant_path.display().to_string(),
            ),
            ("WECHATPAY_MCH_SERIAL", MCH_SERIAL.to_string()),
            ("WECHATPAY_API_V3_KEY", API_V3_KEY.to_string()),
            (
                "WECHATPAY_PLATFORM_PUBLIC_KEY_PATH",
                platform_path.display().to_string(),
            ),
            (
                "WECHATPAY_PLATFORM_PUBLIC_KEY_ID",
                PLATFORM_KEY_ID.to_string(),
            ),
            ("WECHATPAY_BASE_URL", base_url.clone()),
        ];
        Self {
            inner,
            _dir: Arc::new(dir),
            settings,
        }
    }

    pub fn trade(&self, out_trade_no: &str) -> Trade {
        self.inner.trades.lock().unwrap()[out_trade_no].clone()
    }

    /// New refunds are answered `status` from now on (`PROCESSING` or `SUCCESS`).
    pub fn answer_refunds_with(&self, status: &str) {
        *self.inner.new_refund_status.lock().unwrap() = status.to_string();
    }

    /// WeChat finishes every refund still processing.
    pub fn finish_refunds(&self) {
        for refund in self.inner.refunds.lock().unwrap().values_mut() {
            if refund.status == "PROCESSING" {
                refund.status = "SUCCESS".into();
            }
        }
    }

    /// The cents refunded (or being refunded) of a trade.
    pub fn refunded(&self, out_trade_no: &str) -> i64 {
        self.inner
            .refunds
            .lock()
            .unwrap()
            .values()
            .filter(|r| r.out_trade_no == out_trade_no)
            .map(|r| r.refund)
            .sum()
    }

    /// Requests WeChat refused for their signature, mchid or clock.
    pub fn refused(&self) -> Vec<String> {
        self.inner.refused.lock().unwrap().clone()
    }

    /// The buyer scans the code and pays (no notification sent yet).
    pub fn buyer_pays(&self, out_trade_no: &str) -> Trade {
        let mut trades = self.inner.trades.lock().unwrap();
        let trade = trades.get_mut(out_trade_no).expect("an ordered trade");
        trade.state = "SUCCESS".into();
        trade.clone()
    }

    /// The notification WeChat Pay sends for the trade, its transaction changed by `tweak`
    /// before encryption (so a tweak is something WeChat itself encrypted and signed), signed
    /// now with the platform key.
    pub fn notification(&self, out_trade_no: &str, tweak: impl FnOnce(&mut Value)) -> Notification {
        let mut resource = transaction(&self.trade(out_trade_no));
        tweak(&mut resource);
        let body = self.envelope(&resource.to_string(), API_V3_KEY.as_bytes());
        self.signed(body, now(), &self.inner.platform_key)
    }

    /// A notification envelope around `plain`, encrypted with `key` (the APIv3 key, or a
    /// forger's guess).
    pub fn envelope(&self, plain: &str, key: &[u8]) -> String {
        let resource_nonce = nonce(12);
        let ciphertext =
            encrypt_resource(key, &resource_nonce, "transaction", plain.as_bytes()).unwrap();
        json!({
            "id": uuid::Uuid::new_v4().to_string(),
            "create_time": "2026-12-01T18:00:05+08:00",
            "resource_type": "encrypt-resource",
            "event_type": "TRANSACTION.SUCCESS",
            "summary": "支付成功",
            "resource": {
                "original_type": "transaction",
                "algorithm": "AEAD_AES_256_GCM",
                "ciphertext": ciphertext,
                "associated_data": "transaction",
                "nonce": resource_nonce,
            }
        })
        .to_string()
    }

    /// `body` signed at `timestamp` with `key` (the platform's, or a forger's).
    pub fn signed(&self, body: String, timestamp: i64, key: &SigningKey) -> Notification {
        Notification {
            headers: signed_headers(key, timestamp, &body),
            body,
        }
    }

    /// `body` signed by WeChat Pay now.
    pub fn sign_now(&self, body: String) -> Notification {
        self.signed(body, now(), &self.inner.platform_key)
    }

    /// The same notification body re-signed by WeChat at another time.
    pub fn resigned_at(&self, notification: &Notification, timestamp: i64) -> Notification {
        self.signed(
            notification.body.clone(),
            timestamp,
            &self.inner.platform_key,
        )
    }
}
