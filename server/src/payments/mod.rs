//! Aggregated payment: the providers' signing and verification rules, written once and shared
//! by the gateways (Alipay, WeChat Pay, UnionPay) and by the tests' fake gateways, which sign
//! and check exactly as the real ones do.
//!
//! What is here so far is the cryptographic layer (`keys`, `alipay_sign`, `wechat_sign`); the
//! gateways, orders and checkout build on it (issue 14). Every check that fails is an error the
//! caller must refuse on: nothing here answers "probably fine".

pub mod alipay_sign;
pub mod keys;
pub mod wechat_sign;

/// Why a signed message was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("the message carries no signature")]
    Missing,
    #[error("the signature is not base64")]
    Malformed,
    #[error("the signature does not match")]
    Mismatch,
    #[error("the message is too old or from the future ({0} s off)")]
    Stale(i64),
    #[error("the reply is not what the provider sends: {0}")]
    Shape(String),
}
