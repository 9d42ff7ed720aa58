//! A fake UnionPay gateway (5.1.0, `signMethod=01`): its own root and middle CA and a signing
//! certificate with CN 中国银联股份有限公司 ([`super::unionpay_pki`]), the merchant certificates
//! it knows by `certId`, and the trades. It checks our requests' signatures and signs its
//! replies and back notifications as UnionPay does, `signPubKeyCert` included, through the
//! same signing rules as production (`server::payments::unionpay_sign`).

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use axum::{extract::State, routing::post, Form, Router};
use server::payments::keys::{SigningKey, VerifyingKey};
use server::payments::unionpay_certs::Certificate;
use server::payments::unionpay_sign::{digest_text, sign_fields};

pub use super::unionpay_pki::{Pair, Pki, CN, MERCHANT_SERIAL, PASSWORD};

pub const MER_ID: &str = "777290058110048";

#[derive(Debug, Clone)]
pub struct Trade {
    /// `01` a consumption, `04` a refund.
    pub txn_type: String,
    pub txn_time: String,
    pub txn_amt: i64,
    /// UnionPay's `origRespCode` for it: `05` while the buyer has not paid, `00` once done.
    pub state: String,
    pub query_id: String,
    /// A refund's consumption (`origQryId`).
    pub orig_qry_id: String,
}

struct Inner {
    pki: &'static Pki,
    signer: SigningKey,
    /// Merchant certificates' keys by `certId`.
    merchants: HashMap<String, VerifyingKey>,
    /// By `orderId`.
    trades: Mutex<HashMap<String, Trade>>,
    /// Every request that passed the signature check, as received.
    requests: Mutex<Vec<BTreeMap<String, String>>>,
    serial: Mutex<u64>,
}

#[derive(Clone)]
pub struct FakeUnionpay {
    pub gateway_url: String,
    inner: Arc<Inner>,
    pub settings: Vec<(&'static str, String)>,
}

fn owned(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

impl Inner {
    fn next_query_id(&self) -> String {
        let mut serial = self.serial.lock().unwrap();
        *serial += 1;
        format!("7826120100000{:07}", *serial)
    }

    /// The merchant's signature over `fields`, checked with the certificate its `certId` names.
    fn checks(&self, fields: &BTreeMap<String, String>) -> bool {
        let key = fields.get("certId").and_then(|id| self.merchants.get(id));
        match (key, fields.get("signature")) {
            (Some(key), Some(sig)) => key.verify(digest_text(fields).as_bytes(), sig).is_ok(),
            _ => false,
        }
    }

    /// A reply as UnionPay writes one: signed, with the signing certificate, form-encoded.
    fn reply(&self, request: &BTreeMap<String, String>, extra: &[(&str, String)]) -> String {
        let mut fields = owned(&[
            ("version", "5.1.0"),
            ("encoding", "UTF-8"),
            ("signMethod", "01"),
        ]);
        for k in [
            "txnType",
            "txnSubType",
            "bizType",
            "accessType",
            "merId",
            "orderId",
            "txnTime",
        ] {
            if let Some(v) = request.get(k) {
                fields.insert(k.into(), v.clone());
            }
        }
        for (k, v) in extra {
            fields.insert(k.to_string(), v.clone());
        }
        sign_as(&mut fields, &self.signer, &self.pki.unionpay.cert);
        form_body(&fields)
    }
}

/// Signs `fields` as UnionPay does, with `key` and `cert` as `signPubKeyCert`.
pub fn sign_as(fields: &mut BTreeMap<String, String>, key: &SigningKey, cert: &str) {
    fields.remove("signature");
    fields.insert("signPubKeyCert".into(), cert.to_string());
    let signature = sign_fields(fields, key).unwrap();
    fields.insert("signature".into(), signature);
}

async fn query(
    State(inner): State<Arc<Inner>>,
    Form(req): Form<BTreeMap<String, String>>,
) -> String {
    if !inner.checks(&req) {
        return inner.reply(
            &req,
            &[
                ("respCode", "11".into()),
                ("respMsg", "验证签名失败".into()),
            ],
        );
    }
    inner.requests.lock().unwrap().push(req.clone());
    let order_id = req.get("orderId").cloned().unwrap_or_default();
    let trade = inner.trades.lock().unwrap().get(&order_id).cloned();
    match trade {
        Some(t) if Some(&t.txn_time) == req.get("txnTime") => inner.reply(
            &req,
            &[
                ("respCode", "00".into()),
                ("respMsg", "成功[0000000]".into()),
                ("origRespCode", t.state.clone()),
                ("origRespMsg", "成功[0000000]".into()),
                ("txnAmt", t.txn_amt.to_string()),
                ("queryId", t.query_id.clone()),
                ("txnType", t.txn_type.clone()),
                ("currencyCode", "156".into()),
                ("settleAmt", t.txn_amt.to_string()),
            ],
        ),
        _ => inner.reply(
            &req,
            &[("respCode", "34".into()), ("respMsg", "查无此交易".into())],
        ),
    }
}

async fn back(
    State(inner): State<Arc<Inner>>,
    Form(req): Form<BTreeMap<String, String>>,
) -> String {
    if !inner.checks(&req) {
        return inner.reply(
            &req,
            &[
                ("respCode", "11".into()),
                ("respMsg", "验证签名失败".into()),
            ],
        );
    }
    inner.requests.lock().unwrap().push(req.clone());
    let field = |k: &str| req.get(k).cloned().unwrap_or_default();
    let fail = |code: &str, msg: &str| {
        inner.reply(&req, &[("respCode", code.into()), ("respMsg", msg.into())])
    };
    if field("txnType") != "04" {
        return fail("10", "报文格式错误");
    }
    let amount: i64 = field("txnAmt").parse().unwrap_or(0);
    let mut trades = inner.trades.lock().unwrap();
    let Some(paid) = trades
        .values()
        .find(|t| t.txn_type == "01" && t.query_id == field("origQryId") && t.state == "00")
        .cloned()
    else {
        return fail("35", "原交易不存在或状态不正确");
    };
    let refunded: i64 = trades
        .values()
        .filter(|t| t.txn_type == "04" && t.orig_qry_id == paid.query_id)
        .map(|t| t.txn_amt)
        .sum();
    if trades.contains_key(&field("orderId")) {
        return fail("12", "重复交易");
    }
    if amount <= 0 || refunded + amount > paid.txn_amt {
        return fail("01", "退货金额超限");
    }
    let query_id = inner.next_query_id();
    // UnionPay settles the refund later; its query says `00` once done (at once, here).
    trades.insert(
        field("orderId"),
        Trade {
            txn_type: "04".into(),
            txn_time: field("txnTime"),
            txn_amt: amount,
            state: "00".into(),
            query_id: query_id.clone(),
            orig_qry_id: paid.query_id,
        },
    );
    drop(trades);
    inner.reply(
        &req,
        &[
            ("respCode", "00".into()),
            ("respMsg", "成功[0000000]".into()),
            ("queryId", query_id),
            ("txnAmt", amount.to_string()),
        ],
    )
}

/// The buyer's browser posts the front form: checked, and the trade is open (`05`).
async fn front(
    State(inner): State<Arc<Inner>>,
    Form(req): Form<BTreeMap<String, String>>,
) -> String {
    if !inner.checks(&req) {
        return "<html><body>验证签名失败</body></html>".into();
    }
    inner.requests.lock().unwrap().push(req.clone());
    let field = |k: &str| req.get(k).cloned().unwrap_or_default();
    let query_id = inner.next_query_id();
    inner
        .trades
        .lock()
        .unwrap()
        .entry(field("orderId"))
        .or_insert(Trade {
            txn_type: "01".into(),
            txn_time: field("txnTime"),
            txn_amt: field("txnAmt").parse().unwrap_or(0),
            state: "05".into(),
            query_id,
            orig_qry_id: String::new(),
        });
    "<html><body>银联在线支付 cashier</body></html>".into()
}

impl FakeUnionpay {
    pub async fn start() -> Self {
        let pki = Pki::shared();
        let merchant = Certificate::from_file_bytes(pki.merchant.cert.as_bytes()).unwrap();
        let mut merchants = HashMap::new();
        merchants.insert(
            merchant.serial_decimal().unwrap(),
            VerifyingKey::from_der(&merchant.spki()).unwrap(),
        );
        let inner = Arc::new(Inner {
            pki,
            signer: SigningKey::from_text(&pki.unionpay.key).unwrap(),
            merchants,
            trades: Mutex::new(HashMap::new()),
            requests: Mutex::new(Vec::new()),
            serial: Mutex::new(0),
        });
        let router = Router::new()
            .route("/gateway/api/frontTransReq.do", post(front))
            .route("/gateway/api/queryTrans.do", post(query))
            .route("/gateway/api/backTransReq.do", post(back))
            .with_state(inner.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let gateway_url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move {
            let _ = axum::serve(listener, router).await;
        });
        let path = |p: &std::path::Path| p.display().to_string();
        let settings = vec![
            ("UNIONPAY_MER_ID", MER_ID.to_string()),
            ("UNIONPAY_SIGN_CERT_PATH", path(&pki.merchant_p12)),
            ("UNIONPAY_SIGN_CERT_PASSWORD", PASSWORD.to_string()),
            ("UNIONPAY_ROOT_CERT_PATH", path(&pki.root)),
            ("UNIONPAY_MIDDLE_CERT_PATH", path(&pki.middle)),
            ("UNIONPAY_GATEWAY_URL", gateway_url.clone()),
            ("UNIONPAY_CERT_CN", CN.to_string()),
        ];
        Self {
            gateway_url,
            inner,
            settings,
        }
    }

    pub fn pki(&self) -> &'static Pki {
        self.inner.pki
    }

    /// The requests UnionPay took (signature checked), oldest first.
    pub fn requests(&self) -> Vec<BTreeMap<String, String>> {
        self.inner.requests.lock().unwrap().clone()
    }

    pub fn trade(&self, order_id: &str) -> Trade {
        self.inner.trades.lock().unwrap()[order_id].clone()
    }

    /// The cents refunded of the consumption `order_id`.
    pub fn refunded(&self, order_id: &str) -> i64 {
        let trades = self.inner.trades.lock().unwrap();
        let paid = trades[order_id].query_id.clone();
        trades
            .values()
            .filter(|t| t.txn_type == "04" && t.orig_qry_id == paid && t.state == "00")
            .map(|t| t.txn_amt)
            .sum()
    }

    /// The buyer pays on UnionPay's page (no notification sent yet).
    pub fn buyer_pays(&self, order_id: &str) -> Trade {
        let mut trades = self.inner.trades.lock().unwrap();
        let trade = trades.get_mut(order_id).expect("an opened trade");
        trade.state = "00".into();
        trade.clone()
    }

    /// The back notification UnionPay posts for a consumption, as decoded fields, signed
    /// after `tweak` changed them (so a tweak is something UnionPay itself signed).
    pub fn notification(
        &self,
        order_id: &str,
        tweak: impl FnOnce(&mut BTreeMap<String, String>),
    ) -> BTreeMap<String, String> {
        let trade = self.trade(order_id);
        let amount = trade.txn_amt.to_string();
        let mut fields = owned(&[
            ("version", "5.1.0"),
            ("encoding", "UTF-8"),
            ("signMethod", "01"),
            ("txnType", "01"),
            ("txnSubType", "01"),
            ("bizType", "000201"),
            ("accessType", "0"),
            ("merId", MER_ID),
            ("orderId", order_id),
            ("txnTime", &trade.txn_time),
            ("txnAmt", &amount),
            ("settleAmt", &amount),
            ("currencyCode", "156"),
            ("settleCurrencyCode", "156"),
            ("settleDate", "1201"),
            ("traceNo", "123456"),
            ("traceTime", "1201210000"),
            ("queryId", &trade.query_id),
            ("respCode", "00"),
            ("respMsg", "成功[0000000]"),
            ("accNo", "6216***********0018"),
            ("payType", "0001"),
        ]);
        tweak(&mut fields);
        let pki = self.inner.pki;
        sign_as(&mut fields, &self.inner.signer, &pki.unionpay.cert);
        fields
    }

    /// Signs `fields` again with another key pair (a forger's), carrying its certificate.
    pub fn resign(&self, fields: &mut BTreeMap<String, String>, pair: &Pair) {
        sign_as(
            fields,
            &SigningKey::from_text(&pair.key).unwrap(),
            &pair.cert,
        );
    }
}

/// A form body, URL-encoded as UnionPay posts it.
pub fn form_body(fields: &BTreeMap<String, String>) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(fields.iter())
        .finish()
}

/// The form of our pay page: its action and fields (the page is written by us, simply).
pub fn parse_form(html: &str) -> (String, BTreeMap<String, String>) {
    let attr = |tag: &str, name: &str| -> Option<String> {
        let start = tag.find(&format!("{name}=\""))? + name.len() + 2;
        let end = tag[start..].find('"')? + start;
        Some(unescape(&tag[start..end]))
    };
    let form_start = html.find("<form").expect("a form");
    let form_tag = &html[form_start..form_start + html[form_start..].find('>').unwrap()];
    let action = attr(form_tag, "action").expect("an action");
    let mut fields = BTreeMap::new();
    for chunk in html.split("<input").skip(1) {
        let tag = &chunk[..chunk.find('>').unwrap()];
        fields.insert(attr(tag, "name").unwrap(), attr(tag, "value").unwrap());
    }
    (action, fields)
}

fn unescape(s: &str) -> String {
    s.replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}
