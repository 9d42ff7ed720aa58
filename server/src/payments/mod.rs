//! Aggregated payment: the providers' signing and verification rules, written once and shared
//! by the gateways (Alipay, WeChat Pay, UnionPay) and by the tests' fake gateways, which sign
//! and check exactly as the real ones do.
//!
//! The cryptographic layer (`keys`, `alipay_sign`, `wechat_sign`, `unionpay_sign` with
//! `unionpay_certs`) and the gateways on it (`gateway`: the trait, the configured set, the
//! embedded demo; `alipay`, `wechat`, `unionpay`). Orders and their settlement
//! are [`crate::orders`]'. Every check that fails is an error the caller must refuse on:
//! nothing here answers "probably fine".

pub mod alipay;
pub mod alipay_sign;
pub mod gateway;
pub mod keys;
pub mod qr;
pub mod unionpay;
pub mod unionpay_certs;
pub mod unionpay_sign;
pub mod wechat;
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
    /// The certificate a message came with is not the provider's (UnionPay's
    /// `signPubKeyCert`: another root, expired, another CN, a broken chain).
    #[error("the signing certificate is not trusted: {0}")]
    Untrusted(String),
}

/// The gateways this instance offers, and the providers' own handles for their callbacks.
#[derive(Clone, Default)]
pub struct Configured {
    pub gateways: gateway::Gateways,
    pub alipay: Option<std::sync::Arc<alipay::AlipayGateway>>,
    pub wechat: Option<std::sync::Arc<wechat::WechatGateway>>,
    pub unionpay: Option<std::sync::Arc<unionpay::UnionpayGateway>>,
}

/// Builds the configured gateways (reading their keys); a bad key stops start-up.
pub fn configured(settings: &crate::orders::OrderSettings) -> anyhow::Result<Configured> {
    let mut out = Configured::default();
    if let Some(alipay) = &settings.alipay {
        let gateway =
            std::sync::Arc::new(alipay::AlipayGateway::load(alipay, &settings.public_url)?);
        out.gateways = out.gateways.with(gateway.clone());
        out.alipay = Some(gateway);
    }
    if let Some(wechat) = &settings.wechat {
        let gateway =
            std::sync::Arc::new(wechat::WechatGateway::load(wechat, &settings.public_url)?);
        out.gateways = out.gateways.with(gateway.clone());
        out.wechat = Some(gateway);
    }
    if let Some(unionpay) = &settings.unionpay {
        let gateway = std::sync::Arc::new(unionpay::UnionpayGateway::load(
            unionpay,
            &settings.public_url,
        )?);
        out.gateways = out.gateways.with(gateway.clone());
        out.unionpay = Some(gateway);
    }
    if settings.demo {
        out.gateways = out.gateways.with(std::sync::Arc::new(gateway::DemoGateway));
    }
    Ok(out)
}
