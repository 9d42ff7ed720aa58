//! UnionPay's gateway signatures (API 5.1.0, `signMethod=01`): the string a message is signed
//! over, signing our requests with the merchant certificate's key, and checking UnionPay's
//! replies and notifications against the certificate they carry.
//!
//! - Sign string: every field but `signature`, sorted by key (byte order), `k=v` joined with
//!   `&`, values as they are (not URL-encoded). Its SHA-256 as a lowercase hex string is what
//!   SHA256withRSA signs (the hex text's bytes, not the digest's); base64.
//! - Ours: the key and certificate of the merchant's PKCS#12 file; `certId` is that
//!   certificate's serial number in decimal.
//! - Theirs: `signPubKeyCert` (PEM) must chain to the configured middle and root certificates,
//!   each signature sha256WithRSAEncryption and each certificate within its validity, and name
//!   UnionPay in its subject CN ([`super::unionpay_certs`]); only then is `signature` checked
//!   with that certificate's key. Anything else is refused.

use std::collections::BTreeMap;

use sha2::Digest;

use super::keys::{SigningKey, VerifyingKey};
use super::unionpay_certs::{Certificate, Trust};
use super::SignatureError;

/// `k=v` pairs of every field but `signature`, sorted by key, joined with `&`, values raw.
/// Empty values stay in: UnionPay's SDK signs and verifies every field it has.
pub fn signing_string(fields: &BTreeMap<String, String>) -> String {
    fields
        .iter()
        .filter(|(k, _)| k.as_str() != "signature")
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&")
}

/// What SHA256withRSA signs: the sign string's SHA-256 as lowercase hex text.
pub fn digest_text(fields: &BTreeMap<String, String>) -> String {
    hex::encode(sha2::Sha256::digest(signing_string(fields).as_bytes()))
}

/// The `signature` of `fields` with `key` (base64).
pub fn sign_fields(fields: &BTreeMap<String, String>, key: &SigningKey) -> Result<String, String> {
    key.sign(digest_text(fields).as_bytes())
}

/// The merchant's signing certificate: its key and `certId`.
pub struct MerchantCert {
    key: SigningKey,
    cert_id: String,
}

impl std::fmt::Debug for MerchantCert {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The key is never shown; the certId is public (every request carries it).
        write!(f, "MerchantCert(certId {}, {:?})", self.cert_id, self.key)
    }
}

impl MerchantCert {
    /// Reads a PKCS#12 file (`openssl pkcs12 -export`: PBES2 with AES-256-CBC and an
    /// HMAC-SHA256 MAC, or the legacy 3DES/SHA-1 form UnionPay's own tool writes): its RSA key
    /// and the certificate of that key.
    pub fn from_pkcs12(data: &[u8], password: &str) -> Result<Self, String> {
        let archive = p12_keystore::Pkcs12Archive::from_pkcs12(data, password)
            .map_err(|e| format!("not a PKCS#12 file this password opens: {e}"))?;
        let [bag] = archive.keys.as_slice() else {
            return Err(format!(
                "expected one private key in the file, found {}",
                archive.keys.len()
            ));
        };
        let key = SigningKey::from_pkcs8_der(bag.key.as_der())?;
        let public = key.public_der();
        let cert = archive
            .certs
            .iter()
            .filter_map(|c| Certificate::from_der(c.cert.as_der().to_vec()).ok())
            .find(|c| c.rsa_public_key().ok().as_deref() == Some(public.as_slice()))
            .ok_or("no certificate of the private key in the file")?;
        Ok(Self {
            key,
            cert_id: cert.serial_decimal()?,
        })
    }

    /// The signing certificate's serial number in decimal.
    pub fn cert_id(&self) -> &str {
        &self.cert_id
    }

    /// Puts `certId` and `signature` into `fields` (every other field already set).
    pub fn sign(&self, fields: &mut BTreeMap<String, String>) -> Result<(), String> {
        fields.remove("signature");
        fields.insert("certId".into(), self.cert_id.clone());
        let signature = sign_fields(fields, &self.key)?;
        fields.insert("signature".into(), signature);
        Ok(())
    }
}

/// Checks a reply's or notification's fields (already URL-decoded): `signPubKeyCert` chains to
/// `trust` at `now` and names UnionPay, and `signature` is its key's over the other fields.
pub fn verify_fields(
    fields: &BTreeMap<String, String>,
    trust: &Trust,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), SignatureError> {
    let signature = fields
        .get("signature")
        .filter(|s| !s.is_empty())
        .ok_or(SignatureError::Missing)?;
    match fields.get("signMethod").map(String::as_str) {
        Some("01") => {}
        other => {
            return Err(SignatureError::Shape(format!(
                "signMethod {}",
                other.unwrap_or("(none)")
            )))
        }
    }
    let pem = fields
        .get("signPubKeyCert")
        .filter(|s| !s.is_empty())
        .ok_or_else(|| SignatureError::Untrusted("no signPubKeyCert".into()))?;
    let leaf = trust.check(pem, now)?;
    let key = VerifyingKey::from_der(&leaf.spki())
        .map_err(|e| SignatureError::Untrusted(format!("the certificate's key: {e}")))?;
    key.verify(digest_text(fields).as_bytes(), signature)
}

/// The fields of a reply (`k=v&…`, form-encoded), refusing a field sent twice.
pub fn reply_fields(body: &str) -> Result<BTreeMap<String, String>, SignatureError> {
    let mut fields = BTreeMap::new();
    for (k, v) in url::form_urlencoded::parse(body.trim().as_bytes()) {
        if fields.insert(k.to_string(), v.to_string()).is_some() {
            return Err(SignatureError::Shape(format!("`{k}` appears twice")));
        }
    }
    if fields.is_empty() {
        return Err(SignatureError::Shape("an empty reply".into()));
    }
    Ok(fields)
}

/// The test PKI, made by the `openssl` command (shared with the integration tests).
#[cfg(test)]
#[path = "../../tests/api/payments/unionpay_pki.rs"]
pub(crate) mod test_pki;

#[cfg(test)]
mod tests {
    use super::test_pki::{Pki, CN, MERCHANT_SERIAL, PASSWORD};
    use super::*;
    use crate::payments::unionpay_certs::Certificate;
    use chrono::Utc;

    fn trust(pki: &Pki) -> Trust {
        let load =
            |p: &std::path::Path| Certificate::from_file_bytes(&std::fs::read(p).unwrap()).unwrap();
        Trust::new(load(&pki.root), load(&pki.middle), CN).unwrap()
    }

    /// A notification signed by `key`, carrying `cert` as its `signPubKeyCert`.
    fn signed(key: &str, cert: &str) -> BTreeMap<String, String> {
        let mut fields = map(&[
            ("version", "5.1.0"),
            ("encoding", "UTF-8"),
            ("signMethod", "01"),
            ("txnType", "01"),
            ("merId", "777290058110048"),
            ("orderId", "XC1U"),
            ("txnAmt", "8800"),
            ("respCode", "00"),
            ("queryId", "782612011234567890"),
        ]);
        fields.insert("signPubKeyCert".into(), cert.to_string());
        let key = SigningKey::from_text(key).unwrap();
        let signature = sign_fields(&fields, &key).unwrap();
        fields.insert("signature".into(), signature);
        fields
    }

    #[test]
    fn unionpay_s_own_certificate_verifies() {
        let pki = Pki::shared();
        let fields = signed(&pki.unionpay.key, &pki.unionpay.cert);
        assert_eq!(verify_fields(&fields, &trust(pki), Utc::now()), Ok(()));
        // Windows newlines, as UnionPay sends the PEM.
        let pem = pki.unionpay.cert.replace('\n', "\r\n");
        let crlf = signed(&pki.unionpay.key, &pem);
        assert_eq!(verify_fields(&crlf, &trust(pki), Utc::now()), Ok(()));
    }

    #[test]
    fn a_tampered_field_or_another_key_is_a_mismatch() {
        let pki = Pki::shared();
        let trust = trust(pki);
        let mut tampered = signed(&pki.unionpay.key, &pki.unionpay.cert);
        tampered.insert("txnAmt".into(), "1".into());
        assert_eq!(
            verify_fields(&tampered, &trust, Utc::now()),
            Err(SignatureError::Mismatch)
        );
        // UnionPay's certificate, the merchant's key.
        let forged = signed(&pki.merchant.key, &pki.unionpay.cert);
        assert_eq!(
            verify_fields(&forged, &trust, Utc::now()),
            Err(SignatureError::Mismatch)
        );
        let mut unsigned = signed(&pki.unionpay.key, &pki.unionpay.cert);
        unsigned.remove("signature");
        assert_eq!(
            verify_fields(&unsigned, &trust, Utc::now()),
            Err(SignatureError::Missing)
        );
        let mut other_method = signed(&pki.unionpay.key, &pki.unionpay.cert);
        other_method.insert("signMethod".into(), "11".into());
        assert!(matches!(
            verify_fields(&other_method, &trust, Utc::now()),
            Err(SignatureError::Shape(_))
        ));
    }

    #[test]
    fn a_certificate_of_another_root_is_refused() {
        let pki = Pki::shared();
        // Every name as UnionPay's, and it signed the message itself: the chain fails.
        let fields = signed(&pki.other_root.key, &pki.other_root.cert);
        assert!(matches!(
            verify_fields(&fields, &trust(pki), Utc::now()),
            Err(SignatureError::Untrusted(_))
        ));
        let mut none = signed(&pki.unionpay.key, &pki.unionpay.cert);
        none.remove("signPubKeyCert");
        assert!(matches!(
            verify_fields(&none, &trust(pki), Utc::now()),
            Err(SignatureError::Untrusted(_))
        ));
        let garbage = signed(
            &pki.unionpay.key,
            "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----",
        );
        assert!(matches!(
            verify_fields(&garbage, &trust(pki), Utc::now()),
            Err(SignatureError::Untrusted(_))
        ));
    }

    #[test]
    fn another_cn_under_the_genuine_middle_is_refused() {
        let pki = Pki::shared();
        let fields = signed(&pki.wrong_cn.key, &pki.wrong_cn.cert);
        let refused = verify_fields(&fields, &trust(pki), Utc::now());
        assert!(
            matches!(&refused, Err(SignatureError::Untrusted(why)) if why.contains("Mallory")),
            "{refused:?}"
        );
    }

    #[test]
    fn outside_its_validity_the_certificate_is_refused() {
        let pki = Pki::shared();
        let fields = signed(&pki.unionpay.key, &pki.unionpay.cert);
        let trust = trust(pki);
        for when in [
            Utc::now() + chrono::Duration::days(6 * 365),
            Utc::now() - chrono::Duration::days(2),
        ] {
            assert!(matches!(
                verify_fields(&fields, &trust, when),
                Err(SignatureError::Untrusted(_))
            ));
        }
    }

    #[test]
    fn a_middle_certificate_the_root_did_not_sign_stops_start_up() {
        let pki = Pki::shared();
        let dir = pki.root.parent().unwrap();
        let load = |name: &str| {
            Certificate::from_file_bytes(&std::fs::read(dir.join(name)).unwrap()).unwrap()
        };
        assert!(Trust::new(load("root.pem"), load("forged_middle.pem"), CN).is_err());
        // A leaf certificate is no middle.
        assert!(Trust::new(load("middle.pem"), load("unionpay.pem"), CN).is_err());
        assert!(Trust::new(load("root.pem"), load("middle.pem"), CN).is_ok());
    }

    #[test]
    fn the_merchant_key_loads_from_modern_and_legacy_pkcs12_files() {
        let pki = Pki::shared();
        for path in [&pki.merchant_p12, &pki.merchant_legacy_p12] {
            let cert = MerchantCert::from_pkcs12(&std::fs::read(path).unwrap(), PASSWORD).unwrap();
            assert_eq!(cert.cert_id(), MERCHANT_SERIAL);
            let mut fields = map(&[("txnType", "01"), ("merId", "777290058110048")]);
            cert.sign(&mut fields).unwrap();
            assert_eq!(fields["certId"], MERCHANT_SERIAL);
            // The merchant certificate's key checks it, over the hex digest's text.
            let public = Certificate::from_file_bytes(pki.merchant.cert.as_bytes()).unwrap();
            let key = VerifyingKey::from_der(&public.spki()).unwrap();
            assert_eq!(
                key.verify(digest_text(&fields).as_bytes(), &fields["signature"]),
                Ok(())
            );
            assert!(!format!("{cert:?}").contains("PRIVATE"));
        }
        let wrong = MerchantCert::from_pkcs12(&std::fs::read(&pki.merchant_p12).unwrap(), "wrong");
        assert!(wrong.is_err());
    }

    fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn the_sign_string_sorts_keeps_raw_values_and_leaves_out_the_signature() {
        let fields = map(&[
            ("txnAmt", "8800"),
            ("signature", "ignored"),
            (
                "backUrl",
                "https://xc.example/api/v1/payments/unionpay/notify?a=1&b=2",
            ),
            ("reqReserved", ""),
            ("merId", "777290058110048"),
        ]);
        assert_eq!(
            signing_string(&fields),
            "backUrl=https://xc.example/api/v1/payments/unionpay/notify?a=1&b=2&merId=777290058110048\
             &reqReserved=&txnAmt=8800"
        );
        // The digest is hex text: what RSA signs is 64 ASCII characters.
        let digest = digest_text(&fields);
        assert_eq!(digest.len(), 64);
        assert!(digest
            .chars()
            .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()));
    }

    #[test]
    fn replies_are_form_fields_once_each() {
        let fields = reply_fields("respCode=00&respMsg=%E6%88%90%E5%8A%9F&a=b%3Dc\n").unwrap();
        assert_eq!(fields["respMsg"], "成功");
        assert_eq!(fields["a"], "b=c");
        assert!(reply_fields("a=1&a=2").is_err());
        assert!(reply_fields("").is_err());
    }
}
