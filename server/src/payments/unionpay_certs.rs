//! The certificates of UnionPay's gateway: parsing them (PEM or DER) and the chain check that
//! decides whether a `signPubKeyCert` is UnionPay's.
//!
//! A certificate is trusted only when it is signed by the configured middle certificate,
//! itself signed by the configured root (each signature sha256WithRSAEncryption over the
//! `tbsCertificate` bytes, checked with aws-lc-rs), every one of the three within its validity
//! period, and its subject CN is UnionPay's (`UNIONPAY_CERT_CN`). x509-parser only parses.

use chrono::{DateTime, Utc};
use x509_parser::certificate::X509Certificate;
use x509_parser::oid_registry::OID_PKCS1_SHA256WITHRSA;

use super::keys::{der_from_text, VerifyingKey};
use super::SignatureError;

/// UnionPay's production signing certificates name the company so.
pub const UNIONPAY_CN: &str = "中国银联股份有限公司";

/// One X.509 certificate, kept as DER and parsed when read (checked parseable once).
#[derive(Clone)]
pub struct Certificate(Vec<u8>);

impl std::fmt::Debug for Certificate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.parsed() {
            Ok(cert) => write!(f, "Certificate({})", cert.subject()),
            Err(_) => f.write_str("Certificate(?)"),
        }
    }
}

impl Certificate {
    pub fn from_der(der: Vec<u8>) -> Result<Self, String> {
        let cert = Self(der);
        cert.parsed()?;
        Ok(cert)
    }

    /// A file's bytes: DER, or PEM text (UnionPay hands out `.cer` files of either form).
    pub fn from_file_bytes(bytes: &[u8]) -> Result<Self, String> {
        if let Ok(cert) = Self::from_der(bytes.to_vec()) {
            return Ok(cert);
        }
        let text = std::str::from_utf8(bytes).map_err(|_| "neither DER nor PEM text")?;
        Self::from_der(der_from_text(text)?)
    }

    fn parsed(&self) -> Result<X509Certificate<'_>, String> {
        match x509_parser::parse_x509_certificate(&self.0) {
            Ok(([], cert)) => Ok(cert),
            Ok(_) => Err("bytes after the certificate".into()),
            Err(e) => Err(format!("not an X.509 certificate: {e}")),
        }
    }

    /// The SubjectPublicKeyInfo, DER.
    pub fn spki(&self) -> Vec<u8> {
        self.parsed()
            .map(|c| c.public_key().raw.to_vec())
            .unwrap_or_default()
    }

    /// The RSA key as PKCS#1 `RSAPublicKey` DER (what a key pair's public half is).
    pub fn rsa_public_key(&self) -> Result<Vec<u8>, String> {
        let cert = self.parsed()?;
        Ok(cert.public_key().subject_public_key.data.to_vec())
    }

    /// The serial number in decimal: UnionPay's `certId`.
    pub fn serial_decimal(&self) -> Result<String, String> {
        Ok(self.parsed()?.tbs_certificate.serial.to_string())
    }
}

fn untrusted(why: impl Into<String>) -> SignatureError {
    SignatureError::Untrusted(why.into())
}

/// `child` carries `issuer`'s signature (sha256WithRSAEncryption) and names it as its issuer.
fn signed_by(child: &X509Certificate<'_>, issuer: &X509Certificate<'_>) -> Result<(), String> {
    if child.issuer().as_raw() != issuer.subject().as_raw() {
        return Err(format!(
            "issued by {}, not by {}",
            child.issuer(),
            issuer.subject()
        ));
    }
    if child.signature_algorithm.algorithm != OID_PKCS1_SHA256WITHRSA {
        return Err(format!(
            "signed with {}, not sha256WithRSAEncryption",
            child.signature_algorithm.algorithm
        ));
    }
    let key = VerifyingKey::from_der(issuer.public_key().raw)?;
    key.verify_raw(child.tbs_certificate.as_ref(), &child.signature_value.data)
        .map_err(|_| format!("the signature of {} does not match", child.subject()))
}

fn within(cert: &X509Certificate<'_>, now: DateTime<Utc>) -> Result<(), String> {
    let validity = cert.validity();
    let t = now.timestamp();
    if t < validity.not_before.timestamp() || t > validity.not_after.timestamp() {
        return Err(format!(
            "{} is valid from {} to {}",
            cert.subject(),
            validity.not_before,
            validity.not_after
        ));
    }
    Ok(())
}

/// Whether the subject's CN names `expected`: the whole CN, or (the form UnionPay's SDK reads,
/// `…@…@<name>@…`) its third `@`-separated part.
fn names(cert: &X509Certificate<'_>, expected: &str) -> bool {
    cert.subject()
        .iter_common_name()
        .filter_map(|cn| cn.as_str().ok())
        .any(|cn| cn == expected || cn.split('@').nth(2) == Some(expected))
}

/// The root and middle certificates UnionPay's signing certificates must chain to, and the CN
/// they must bear.
#[derive(Debug, Clone)]
pub struct Trust {
    root: Certificate,
    middle: Certificate,
    cn: String,
}

impl Trust {
    /// Checked now: a middle certificate the root did not sign stops start-up.
    pub fn new(root: Certificate, middle: Certificate, cn: &str) -> Result<Self, String> {
        let (r, m) = (root.parsed()?, middle.parsed()?);
        signed_by(&m, &r).map_err(|e| format!("the middle certificate: {e}"))?;
        if !m.is_ca() {
            return Err("the middle certificate is not a CA".into());
        }
        if cn.trim().is_empty() {
            return Err("the expected CN is empty".into());
        }
        Ok(Self {
            root,
            middle,
            cn: cn.to_string(),
        })
    }

    /// The certificate in `pem` if it is UnionPay's at `now`, else why not.
    pub fn check(&self, pem: &str, now: DateTime<Utc>) -> Result<Certificate, SignatureError> {
        let der = der_from_text(pem).map_err(untrusted)?;
        let leaf = Certificate::from_der(der).map_err(untrusted)?;
        let (l, m, r) = (
            leaf.parsed().map_err(untrusted)?,
            self.middle.parsed().map_err(untrusted)?,
            self.root.parsed().map_err(untrusted)?,
        );
        signed_by(&l, &m).map_err(untrusted)?;
        signed_by(&m, &r).map_err(untrusted)?;
        for cert in [&l, &m, &r] {
            within(cert, now).map_err(untrusted)?;
        }
        if !names(&l, &self.cn) {
            return Err(untrusted(format!("{} is not {}", l.subject(), self.cn)));
        }
        Ok(leaf.clone())
    }
}
