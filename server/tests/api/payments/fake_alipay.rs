//! A fake Alipay open platform: it holds its own key pair (and knows the app's public key),
//! checks our requests' RSA2 signatures and signs its replies and notifications exactly as
//! Alipay does (PROTOCOLS.md), through the same signing rules as production
//! (`server::payments::alipay_sign`), so a mistake on either side fails the tests.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rsa::KeySize;
use aws_lc_rs::signature::{KeyPair, RsaKeyPair};
use axum::{extract::State, routing::post, Form, Router};
use base64::Engine;
use server::payments::alipay_sign::signing_string;
use server::payments::keys::{SigningKey, VerifyingKey};

use crate::helpers::TempDir;

pub const APP_ID: &str = "2021000000000001";

#[derive(Debug, Clone)]
pub struct Trade {
    pub total_amount: String,
    pub status: String,
    pub trade_no: String,
}

struct Inner {
    alipay_key: SigningKey,
    app_public: VerifyingKey,
    trades: Mutex<HashMap<String, Trade>>,
    /// Refunds by `out_request_no`: (out_trade_no, cents).
    refunds: Mutex<HashMap<String, (String, i64)>>,
}

/// `"12.34"` in cents, as Alipay reads an amount in yuan (two decimals at most).
fn cents_of(yuan: &str) -> Option<i64> {
    let (whole, fraction) = yuan.split_once('.').unwrap_or((yuan, "0"));
    if fraction.len() > 2 {
        return None;
    }
    let fraction = format!("{fraction:0<2}");
    Some(whole.parse::<i64>().ok()? * 100 + fraction.parse::<i64>().ok()?)
}

/// `alipay.trade.refund`: a paid trade, an amount within what is left, idempotent by
/// `out_request_no` (`fund_change` `Y` the first time, `N` after).
fn refund_member(inner: &Inner, out: &str, biz: &serde_json::Value) -> serde_json::Value {
    let fail = |sub: &str, msg: &str| serde_json::json!({"code": "40004", "msg": "Business Failed", "sub_code": sub, "sub_msg": msg});
    let Some(trade) = inner.trades.lock().unwrap().get(out).cloned() else {
        return fail("ACQ.TRADE_NOT_EXIST", "交易不存在");
    };
    let request_no = biz["out_request_no"].as_str().unwrap_or("").to_string();
    let Some(amount) = biz["refund_amount"].as_str().and_then(cents_of) else {
        return fail("ACQ.INVALID_PARAMETER", "refund_amount");
    };
    let mut refunds = inner.refunds.lock().unwrap();
    let total = cents_of(&trade.total_amount).unwrap_or(0);
    let done: i64 = refunds
        .values()
        .filter(|(o, _)| o == out)
        .map(|(_, c)| c)
        .sum();
    let fund_change = match refunds.get(&request_no) {
        Some((o, c)) if o == out && *c == amount => "N",
        Some(_) => return fail("ACQ.REFUND_AMT_RESTRICTION", "退款请求号已用于另一笔退款"),
        None if !matches!(trade.status.as_str(), "TRADE_SUCCESS" | "TRADE_CLOSED")
            || request_no.is_empty() =>
        {
            return fail("ACQ.TRADE_STATUS_ERROR", "交易状态不合法")
        }
        None if done + amount > total => {
            return fail("ACQ.REFUND_AMT_NOT_EQUAL_TOTAL", "退款金额超限")
        }
        None => {
            refunds.insert(request_no, (out.to_string(), amount));
            "Y"
        }
    };
    let refunded: i64 = refunds
        .values()
        .filter(|(o, _)| o == out)
        .map(|(_, c)| c)
        .sum();
    serde_json::json!({"code": "10000", "msg": "Success", "out_trade_no": out,
        "trade_no": trade.trade_no, "fund_change": fund_change,
        "refund_fee": format!("{}.{:02}", refunded / 100, refunded % 100),
        "buyer_logon_id": "buy***@example.com"})
}

#[derive(Clone)]
pub struct FakeAlipay {
    pub gateway_url: String,
    inner: Arc<Inner>,
    /// The key files the app is configured with.
    _dir: Arc<TempDir>,
    pub settings: Vec<(&'static str, String)>,
}

/// A fresh 2048-bit pair: PKCS#8 PEM private, SPKI base64 public (Alipay's key tool's forms).
pub fn key_pair() -> (String, String) {
    let b64 = base64::engine::general_purpose::STANDARD;
    let pair = RsaKeyPair::generate(KeySize::Rsa2048).unwrap();
    let private = format!(
        "-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n",
        b64.encode(pair.as_der().unwrap().as_ref())
    );
    (
        private,
        b64.encode(pair.public_key().as_der().unwrap().as_ref()),
    )
}

fn signed_reply(inner: &Inner, method: &str, member: &serde_json::Value) -> String {
    let text = member.to_string();
    let sign = inner.alipay_key.sign(text.as_bytes()).unwrap();
    format!(
        "{{\"{}_response\":{text},\"sign\":\"{sign}\"}}",
        method.replace('.', "_")
    )
}

async fn gateway(
    State(inner): State<Arc<Inner>>,
    Form(params): Form<BTreeMap<String, String>>,
) -> String {
    let method = params.get("method").cloned().unwrap_or_default();
    let checked = params.get("sign").ok_or(()).and_then(|sign| {
        inner
            .app_public
            .verify(signing_string(&params, &["sign"]).as_bytes(), sign)
            .map_err(|_| ())
    });
    if checked.is_err() {
        let member = serde_json::json!({"code": "40002", "msg": "Invalid Arguments",
            "sub_code": "isv.invalid-signature", "sub_msg": "验签出错"});
        return signed_reply(&inner, &method, &member);
    }
    let biz: serde_json::Value = serde_json::from_str(
        params
            .get("biz_content")
            .map(String::as_str)
            .unwrap_or("{}"),
    )
    .unwrap_or_default();
    let out = biz["out_trade_no"].as_str().unwrap_or("").to_string();
    if method == "alipay.trade.close" {
        if let Some(t) = inner.trades.lock().unwrap().get_mut(&out) {
            t.status = "TRADE_CLOSED".into();
        }
    }
    if method == "alipay.trade.refund" {
        let member = refund_member(&inner, &out, &biz);
        return signed_reply(&inner, &method, &member);
    }
    let trade = inner.trades.lock().unwrap().get(&out).cloned();
    let member = match (method.as_str(), trade) {
        ("alipay.trade.close", Some(t)) => serde_json::json!({"code": "10000", "msg": "Success",
            "out_trade_no": out, "trade_no": t.trade_no}),
        ("alipay.trade.query", Some(t)) => serde_json::json!({"code": "10000", "msg": "Success",
            "out_trade_no": out, "trade_no": t.trade_no, "trade_status": t.status,
            "total_amount": t.total_amount, "buyer_logon_id": "buy***@example.com"}),
        (_, None) => serde_json::json!({"code": "40004", "msg": "Business Failed",
            "sub_code": "ACQ.TRADE_NOT_EXIST", "sub_msg": "交易不存在"}),
        (_, Some(_)) => serde_json::json!({"code": "40004", "msg": "Business Failed",
            "sub_code": "ACQ.NOT_SUPPORTED"}),
    };
    signed_reply(&inner, &method, &member)
}

impl FakeAlipay {
    pub async fn start() -> Self {
        let (app_private, app_public) = key_pair();
        let (alipay_private, alipay_public) = key_pair();
        let dir = TempDir::new();
        let app_key_path = dir.0.join("app_private.pem");
        let alipay_key_path = dir.0.join("alipay_public.txt");
        std::fs::write(&app_key_path, app_private).unwrap();
        std::fs::write(&alipay_key_path, alipay_public).unwrap();
        let inner = Arc::new(Inner {
            alipay_key: SigningKey::from_text(&alipay_private).unwrap(),
            app_public: VerifyingKey::from_text(&app_public).unwrap(),
            trades: Mutex::new(HashMap::new()),
            refunds: Mutex::new(HashMap::new()),
        });
        let router = Router::new()
            .route("/gateway.do", post(gateway))
            .with_state(inner.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let gateway_url = format!("http://{}/gateway.do", listener.local_addr().unwrap());
        tokio::spawn(async move {
            let _ = axum::serve(listener, router).await;
        });
        let settings = vec![
            ("ALIPAY_APP_ID", APP_ID.to_string()),
            (
                "ALIPAY_APP_PRIVATE_KEY_PATH",
                app_key_path.display().to_string(),
            ),
            (
                "ALIPAY_PUBLIC_KEY_PATH",
                alipay_key_path.display().to_string(),
            ),
            ("ALIPAY_GATEWAY_URL", gateway_url.clone()),
        ];
        Self {
            gateway_url,
            inner,
            _dir: Arc::new(dir),
            settings,
        }
    }

    /// The buyer's browser opens the pay URL: Alipay checks it as it would (our app's
    /// signature over every parameter) and opens the trade. Answers the parameters.
    pub fn open(&self, pay_url: &str) -> BTreeMap<String, String> {
        let url = url::Url::parse(pay_url).unwrap();
        assert!(pay_url.starts_with(&self.gateway_url), "{pay_url}");
        let params: BTreeMap<String, String> = url.query_pairs().into_owned().collect();
        let sign = params.get("sign").expect("a signed pay URL");
        self.inner
            .app_public
            .verify(signing_string(&params, &["sign"]).as_bytes(), sign)
            .expect("the pay URL is signed with the app key");
        assert_eq!(params["app_id"], APP_ID);
        assert_eq!(params["sign_type"], "RSA2");
        assert_eq!(params["charset"], "utf-8");
        let biz: serde_json::Value = serde_json::from_str(&params["biz_content"]).unwrap();
        assert!(!params["biz_content"].contains(": "), "compact JSON");
        let out = biz["out_trade_no"].as_str().unwrap().to_string();
        self.inner.trades.lock().unwrap().insert(
            out.clone(),
            Trade {
                total_amount: biz["total_amount"].as_str().unwrap().to_string(),
                status: "WAIT_BUYER_PAY".into(),
                trade_no: format!("2026120122001{}", &out[out.len() - 8..]),
            },
        );
        params
    }

    /// The cents refunded of a trade so far.
    pub fn refunded(&self, out_trade_no: &str) -> i64 {
        self.inner
            .refunds
            .lock()
            .unwrap()
            .values()
            .filter(|(o, _)| o == out_trade_no)
            .map(|(_, c)| c)
            .sum()
    }

    /// The trade as Alipay has it.
    pub fn trade(&self, out_trade_no: &str) -> Trade {
        self.inner.trades.lock().unwrap()[out_trade_no].clone()
    }

    /// The buyer pays on Alipay's page (no notification sent yet).
    pub fn buyer_pays(&self, out_trade_no: &str) -> Trade {
        let mut trades = self.inner.trades.lock().unwrap();
        let trade = trades.get_mut(out_trade_no).expect("an opened trade");
        trade.status = "TRADE_SUCCESS".into();
        trade.clone()
    }

    /// The async notification Alipay sends for a paid trade, as decoded form fields, signed
    /// after `tweak` changed them (so a tweak is something Alipay itself signed).
    pub fn notification(
        &self,
        out_trade_no: &str,
        tweak: impl FnOnce(&mut BTreeMap<String, String>),
    ) -> BTreeMap<String, String> {
        let trade = self.inner.trades.lock().unwrap()[out_trade_no].clone();
        let mut fields: BTreeMap<String, String> = [
            ("notify_time", "2026-12-01 21:00:00"),
            ("notify_type", "trade_status_sync"),
            ("charset", "utf-8"),
            ("version", "1.0"),
            ("sign_type", "RSA2"),
            ("app_id", APP_ID),
            ("out_trade_no", out_trade_no),
            ("trade_no", trade.trade_no.as_str()),
            ("trade_status", trade.status.as_str()),
            ("total_amount", trade.total_amount.as_str()),
            ("buyer_pay_amount", trade.total_amount.as_str()),
            ("subject", "课程 Course"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        fields.insert(
            "notify_id".into(),
            format!("2026120100222{}", uuid::Uuid::new_v4().simple()),
        );
        tweak(&mut fields);
        self.sign(&mut fields, &self.inner.alipay_key);
        fields
    }

    /// Signs `fields` as Alipay signs a notification (every field but `sign`, `sign_type`).
    pub fn sign(&self, fields: &mut BTreeMap<String, String>, key: &SigningKey) {
        fields.remove("sign");
        let sign = key
            .sign(signing_string(fields, &["sign", "sign_type"]).as_bytes())
            .unwrap();
        fields.insert("sign".into(), sign);
    }
}

/// A form body, URL-encoded as Alipay posts it.
pub fn form_body(fields: &BTreeMap<String, String>) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(fields.iter())
        .finish()
}
