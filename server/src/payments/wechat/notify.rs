//! Opening a WeChat Pay notification (the platform's signature and age, the resource decrypted
//! with the APIv3 key) and checking a transaction, from a notification or a query, against our
//! merchant, app and the payment's amount.

use serde::Deserialize;

use super::WechatGateway;
use crate::db::payments::PaymentRow;
use crate::payments::wechat_sign::{decrypt_resource, SignedHeaders};

/// A transaction as the query answers it and a notification's decrypted resource holds it
/// (only the fields we check; the rest is ignored).
#[derive(Debug, Clone, Deserialize)]
pub struct Transaction {
    #[serde(default)]
    pub appid: String,
    #[serde(default)]
    pub mchid: String,
    #[serde(default)]
    pub out_trade_no: String,
    #[serde(default)]
    pub transaction_id: String,
    #[serde(default)]
    pub trade_state: String,
    #[serde(default)]
    pub amount: Option<Amount>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Amount {
    /// Fen, an integer throughout v3.
    pub total: Option<i64>,
    #[serde(default)]
    pub currency: Option<String>,
}

/// A notification, its signature checked and its resource decrypted.
#[derive(Debug, Clone)]
pub struct Notice {
    /// WeChat's id of this notification: the same delivery again has the same id.
    pub id: String,
    pub event_type: String,
    /// The decrypted resource, as WeChat wrote it (what is stored for the back office).
    pub plain: String,
    pub transaction: Transaction,
}

#[derive(Deserialize)]
struct Envelope {
    id: String,
    event_type: String,
    resource: Resource,
}

#[derive(Deserialize)]
struct Resource {
    algorithm: String,
    ciphertext: String,
    #[serde(default)]
    associated_data: String,
    nonce: String,
}

impl WechatGateway {
    /// Checks a notification's signature and age (`now`, Unix seconds) and decrypts its
    /// resource with the APIv3 key.
    pub fn open_notification(
        &self,
        headers: &SignedHeaders<'_>,
        body: &str,
        now: i64,
    ) -> Result<Notice, String> {
        self.platform
            .verify(headers, body, now)
            .map_err(|e| format!("signature: {e}"))?;
        let envelope: Envelope =
            serde_json::from_str(body).map_err(|e| format!("not a notification: {e}"))?;
        if envelope.resource.algorithm != "AEAD_AES_256_GCM" {
            return Err(format!("algorithm {}", envelope.resource.algorithm));
        }
        let plain = decrypt_resource(
            self.api_v3_key.expose(),
            &envelope.resource.nonce,
            &envelope.resource.associated_data,
            &envelope.resource.ciphertext,
        )
        .map_err(|e| format!("resource: {e}"))?;
        let plain = String::from_utf8(plain).map_err(|_| "resource: not UTF-8".to_string())?;
        let transaction: Transaction =
            serde_json::from_str(&plain).map_err(|e| format!("resource: {e}"))?;
        Ok(Notice {
            id: envelope.id,
            event_type: envelope.event_type,
            plain,
            transaction,
        })
    }

    /// Checks a transaction against our merchant, app and the payment's amount. `Ok(false)`:
    /// ours and right, but not paid (`NOTPAY`, `CLOSED`…): nothing to settle.
    pub fn check_transaction(
        &self,
        transaction: &Transaction,
        payment: Option<&PaymentRow>,
    ) -> Result<bool, String> {
        if transaction.mchid != self.merchant.mch_id {
            return Err(format!("another merchant: {}", transaction.mchid));
        }
        if transaction.appid != self.app_id {
            return Err(format!("another app: {}", transaction.appid));
        }
        let payment = payment
            .filter(|p| p.provider == "wechat" && p.out_trade_no == transaction.out_trade_no)
            .ok_or_else(|| format!("unknown out_trade_no {}", transaction.out_trade_no))?;
        let total = transaction.amount.as_ref().and_then(|a| a.total);
        if total != Some(payment.amount_cents) {
            return Err(format!(
                "amount.total {total:?} is not the payment's {}",
                payment.amount_cents
            ));
        }
        let currency = transaction
            .amount
            .as_ref()
            .and_then(|a| a.currency.as_deref());
        if !matches!(currency, None | Some("CNY")) {
            return Err(format!("currency {currency:?}"));
        }
        Ok(transaction.trade_state == "SUCCESS")
    }
}
