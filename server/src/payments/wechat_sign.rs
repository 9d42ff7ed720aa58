//! WeChat Pay API v3 signatures: the `Authorization` header of a request (signed with the
//! merchant's private key), the check of a reply or notification (`Wechatpay-*` headers, the
//! platform key named by `Wechatpay-Serial`, at most five minutes off), and the AES-256-GCM
//! decryption of a notification's `resource`.

use aws_lc_rs::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM};
use base64::Engine;

use super::keys::{SigningKey, VerifyingKey};
use super::SignatureError;

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// How far a reply's or notification's timestamp may be from our clock.
pub const MAX_SKEW_SECONDS: i64 = 300;

/// What a request is signed over: `METHOD\nPATH?QUERY\ntimestamp\nnonce\nbody\n`.
pub fn request_message(
    method: &str,
    path_and_query: &str,
    timestamp: i64,
    nonce: &str,
    body: &str,
) -> String {
    format!("{method}\n{path_and_query}\n{timestamp}\n{nonce}\n{body}\n")
}

/// The merchant identity that signs requests.
#[derive(Debug)]
pub struct Merchant {
    pub mch_id: String,
    /// The serial number of the merchant's API certificate.
    pub serial: String,
    pub key: SigningKey,
}

impl Merchant {
    /// The `Authorization` header value for one request.
    pub fn authorization(
        &self,
        method: &str,
        path_and_query: &str,
        timestamp: i64,
        nonce: &str,
        body: &str,
    ) -> Result<String, String> {
        let signature = self
            .key
            .sign(request_message(method, path_and_query, timestamp, nonce, body).as_bytes())?;
        Ok(format!(
            "WECHATPAY2-SHA256-RSA2048 mchid=\"{}\",nonce_str=\"{nonce}\",timestamp=\"{timestamp}\",serial_no=\"{}\",signature=\"{signature}\"",
            self.mch_id, self.serial
        ))
    }
}

/// The `Wechatpay-*` headers of a reply or notification.
#[derive(Debug, Clone)]
pub struct SignedHeaders<'a> {
    pub timestamp: &'a str,
    pub nonce: &'a str,
    pub signature: &'a str,
    pub serial: &'a str,
}

/// The platform key(s) that sign replies and notifications, by serial (or public key id).
#[derive(Debug, Clone)]
pub struct Platform {
    pub keys: Vec<(String, VerifyingKey)>,
}

impl Platform {
    /// Checks `body` against its headers at time `now` (Unix seconds).
    pub fn verify(
        &self,
        headers: &SignedHeaders<'_>,
        body: &str,
        now: i64,
    ) -> Result<(), SignatureError> {
        let timestamp: i64 = headers
            .timestamp
            .trim()
            .parse()
            .map_err(|_| SignatureError::Shape("Wechatpay-Timestamp is not a number".into()))?;
        // Saturating: a hostile timestamp (i64::MIN) is stale, not an overflow.
        let skew = now.saturating_sub(timestamp);
        if skew.saturating_abs() > MAX_SKEW_SECONDS {
            return Err(SignatureError::Stale(skew));
        }
        let key = self
            .keys
            .iter()
            .find(|(serial, _)| serial == headers.serial)
            .map(|(_, key)| key)
            .ok_or_else(|| {
                // Echo a bounded, printable prefix only: the header is the sender's text, and
                // the reason is stored and shown in the back office.
                let shown: String = headers
                    .serial
                    .chars()
                    .take(64)
                    .map(|c| if c.is_ascii_graphic() { c } else { '?' })
                    .collect();
                SignatureError::Shape(format!("unknown Wechatpay-Serial {shown}"))
            })?;
        let message = format!("{}\n{}\n{body}\n", headers.timestamp, headers.nonce);
        key.verify(message.as_bytes(), headers.signature)
    }
}

/// Decrypts a notification's `resource` (AEAD_AES_256_GCM, the tag at the end of the base64
/// ciphertext) with the 32-byte APIv3 key.
pub fn decrypt_resource(
    api_v3_key: &[u8],
    nonce: &str,
    associated_data: &str,
    ciphertext_b64: &str,
) -> Result<Vec<u8>, SignatureError> {
    let key = UnboundKey::new(&AES_256_GCM, api_v3_key)
        .map_err(|_| SignatureError::Shape("the APIv3 key is not 32 bytes".into()))?;
    let nonce = Nonce::try_assume_unique_for_key(nonce.as_bytes())
        .map_err(|_| SignatureError::Shape("the resource nonce is not 12 bytes".into()))?;
    let mut data = B64
        .decode(ciphertext_b64.as_bytes())
        .map_err(|_| SignatureError::Malformed)?;
    let plain = LessSafeKey::new(key)
        .open_in_place(nonce, Aad::from(associated_data.as_bytes()), &mut data)
        .map_err(|_| SignatureError::Mismatch)?;
    Ok(plain.to_vec())
}

/// Encrypts as WeChat Pay does, for the tests' fake gateway (the product only decrypts; a
/// caller must never reuse a nonce with one key).
pub fn encrypt_resource(
    api_v3_key: &[u8],
    nonce: &str,
    associated_data: &str,
    plain: &[u8],
) -> Result<String, String> {
    let key =
        UnboundKey::new(&AES_256_GCM, api_v3_key).map_err(|_| "the APIv3 key is not 32 bytes")?;
    let nonce =
        Nonce::try_assume_unique_for_key(nonce.as_bytes()).map_err(|_| "nonce is not 12 bytes")?;
    let mut data = plain.to_vec();
    LessSafeKey::new(key)
        .seal_in_place_append_tag(nonce, Aad::from(associated_data.as_bytes()), &mut data)
        .map_err(|_| "encryption failed")?;
    Ok(B64.encode(data))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::payments::keys::tests::fresh_key;

    #[test]
    fn requests_are_signed_over_the_documented_message() {
        assert_eq!(
            request_message(
                "GET",
                "/v3/pay/transactions/out-trade-no/XC1?mchid=1900",
                1_800_000_000,
                "n0nce",
                ""
            ),
            "GET\n/v3/pay/transactions/out-trade-no/XC1?mchid=1900\n1800000000\nn0nce\n\n"
        );
        let (private, public) = fresh_key();
        let merchant = Merchant {
            mch_id: "1900000001".into(),
            serial: "5157F09EFDC096DE15EBE81A47057A72".into(),
            key: SigningKey::from_text(&private).unwrap(),
        };
        let body = r#"{"amount":{"total":8888}}"#;
        let header = merchant
            .authorization(
                "POST",
                "/v3/pay/transactions/native",
                1_800_000_000,
                "abc",
                body,
            )
            .unwrap();
        assert!(header.starts_with("WECHATPAY2-SHA256-RSA2048 mchid=\"1900000001\",nonce_str=\"abc\",timestamp=\"1800000000\",serial_no=\"5157F09EFDC096DE15EBE81A47057A72\",signature=\""));
        let signature = header
            .rsplit("signature=\"")
            .next()
            .unwrap()
            .trim_end_matches('"');
        let check = VerifyingKey::from_text(&public).unwrap();
        let message = request_message(
            "POST",
            "/v3/pay/transactions/native",
            1_800_000_000,
            "abc",
            body,
        );
        assert_eq!(check.verify(message.as_bytes(), signature), Ok(()));
    }

    #[test]
    fn replies_are_checked_by_serial_signature_and_age() {
        let (private, public) = fresh_key();
        let platform_key = SigningKey::from_text(&private).unwrap();
        let platform = Platform {
            keys: vec![(
                "PUB_KEY_ID_1".into(),
                VerifyingKey::from_text(&public).unwrap(),
            )],
        };
        let now = 1_800_000_000;
        let body = r#"{"id":"EV-1"}"#;
        let sign_at = |ts: i64| {
            platform_key
                .sign(format!("{ts}\nnn\n{body}\n").as_bytes())
                .unwrap()
        };
        let ok_sig = sign_at(now - 10);
        let ts = (now - 10).to_string();
        let headers = SignedHeaders {
            timestamp: &ts,
            nonce: "nn",
            signature: &ok_sig,
            serial: "PUB_KEY_ID_1",
        };
        assert_eq!(platform.verify(&headers, body, now), Ok(()));
        assert_eq!(
            platform.verify(&headers, r#"{"id":"EV-2"}"#, now),
            Err(SignatureError::Mismatch)
        );
        let wrong_serial = SignedHeaders {
            serial: "OTHER",
            ..headers.clone()
        };
        assert!(matches!(
            platform.verify(&wrong_serial, body, now),
            Err(SignatureError::Shape(_))
        ));
        // Six minutes old, correctly signed: refused.
        let old = (now - 360).to_string();
        let old_sig = sign_at(now - 360);
        let stale = SignedHeaders {
            timestamp: &old,
            signature: &old_sig,
            ..headers.clone()
        };
        assert_eq!(
            platform.verify(&stale, body, now),
            Err(SignatureError::Stale(360))
        );
    }

    #[test]
    fn resources_decrypt_with_the_api_v3_key_only() {
        let key = b"0123456789abcdef0123456789abcdef";
        let plain = br#"{"out_trade_no":"XC1","trade_state":"SUCCESS","amount":{"total":8888}}"#;
        let ciphertext = encrypt_resource(key, "nonce1234567", "transaction", plain).unwrap();
        assert_eq!(
            decrypt_resource(key, "nonce1234567", "transaction", &ciphertext).unwrap(),
            plain
        );
        let other = b"fedcba9876543210fedcba9876543210";
        assert_eq!(
            decrypt_resource(other, "nonce1234567", "transaction", &ciphertext),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            decrypt_resource(key, "nonce1234567", "certificate", &ciphertext),
            Err(SignatureError::Mismatch)
        );
        assert!(matches!(
            decrypt_resource(b"short", "nonce1234567", "transaction", &ciphertext),
            Err(SignatureError::Shape(_))
        ));
    }
}
