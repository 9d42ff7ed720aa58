//! RSA keys as the payment providers hand them out: PEM files (`-----BEGIN …-----`) or the bare
//! base64 strings Alipay's key tool prints; private keys as PKCS#8 or PKCS#1, public keys as
//! X.509 SubjectPublicKeyInfo or PKCS#1. SHA256withRSA (PKCS#1 v1.5) both ways.

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{self, KeyPair, ParsedPublicKey, RsaKeyPair};
use base64::Engine;

use super::SignatureError;

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// The DER bytes inside a PEM text or a bare base64 string (whitespace ignored).
pub fn der_from_text(text: &str) -> Result<Vec<u8>, String> {
    let body: String = text
        .lines()
        .filter(|line| !line.trim_start().starts_with("-----"))
        .flat_map(str::chars)
        .filter(|c| !c.is_whitespace())
        .collect();
    if body.is_empty() {
        return Err("no key in the text".into());
    }
    B64.decode(body.as_bytes())
        .map_err(|e| format!("the key is not base64: {e}"))
}

/// A private key that signs with SHA256withRSA.
pub struct SigningKey(RsaKeyPair);

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the key itself.
        write!(f, "SigningKey({} bits)", self.0.public_modulus_len() * 8)
    }
}

impl SigningKey {
    pub fn from_text(text: &str) -> Result<Self, String> {
        let der = der_from_text(text)?;
        RsaKeyPair::from_pkcs8(&der)
            .or_else(|_| RsaKeyPair::from_der(&der))
            .map(Self)
            .map_err(|e| format!("not an RSA private key (PKCS#8 or PKCS#1): {e}"))
    }

    /// A PKCS#8 key's DER (as a PKCS#12 file holds it).
    pub fn from_pkcs8_der(der: &[u8]) -> Result<Self, String> {
        RsaKeyPair::from_pkcs8(der)
            .map(Self)
            .map_err(|e| format!("not an RSA private key (PKCS#8): {e}"))
    }

    /// Base64 of the SHA256withRSA signature of `message`.
    pub fn sign(&self, message: &[u8]) -> Result<String, String> {
        let mut out = vec![0; self.0.public_modulus_len()];
        self.0
            .sign(
                &signature::RSA_PKCS1_SHA256,
                &SystemRandom::new(),
                message,
                &mut out,
            )
            .map_err(|_| "RSA signing failed".to_string())?;
        Ok(B64.encode(out))
    }

    /// The public half as DER (PKCS#1 `RSAPublicKey`), for tests and fake providers.
    pub fn public_der(&self) -> Vec<u8> {
        self.0.public_key().as_ref().to_vec()
    }
}

/// A public key that checks SHA256withRSA signatures (2048 to 8192 bits), parsed once.
#[derive(Clone)]
pub struct VerifyingKey(std::sync::Arc<ParsedPublicKey>);

impl std::fmt::Debug for VerifyingKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("VerifyingKey(RSA)")
    }
}

impl VerifyingKey {
    pub fn from_text(text: &str) -> Result<Self, String> {
        Self::from_der(&der_from_text(text)?)
    }

    /// SubjectPublicKeyInfo or PKCS#1 `RSAPublicKey`; checked now, so a bad key stops start-up
    /// instead of refusing every payment later.
    pub fn from_der(der: &[u8]) -> Result<Self, String> {
        ParsedPublicKey::new(&signature::RSA_PKCS1_2048_8192_SHA256, der)
            .map(|key| Self(std::sync::Arc::new(key)))
            .map_err(|e| format!("not an RSA public key (SubjectPublicKeyInfo or PKCS#1): {e}"))
    }

    /// Checks the raw signature bytes of `message` (a certificate's signature).
    pub fn verify_raw(&self, message: &[u8], signature: &[u8]) -> Result<(), SignatureError> {
        self.0
            .verify_sig(message, signature)
            .map_err(|_| SignatureError::Mismatch)
    }

    /// Checks the base64 signature `signature_b64` of `message`.
    pub fn verify(&self, message: &[u8], signature_b64: &str) -> Result<(), SignatureError> {
        if signature_b64.trim().is_empty() {
            return Err(SignatureError::Missing);
        }
        let signature = B64
            .decode(signature_b64.trim().as_bytes())
            .map_err(|_| SignatureError::Malformed)?;
        self.0
            .verify_sig(message, &signature)
            .map_err(|_| SignatureError::Mismatch)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use aws_lc_rs::encoding::AsDer;
    use aws_lc_rs::rsa::KeySize;

    /// A fresh 2048-bit key as PKCS#8 PEM text, and its public half as SPKI base64 (the two
    /// forms providers hand out).
    pub(crate) fn fresh_key() -> (String, String) {
        let pair = RsaKeyPair::generate(KeySize::Rsa2048).expect("key generation");
        let pkcs8 = pair.as_der().expect("pkcs8");
        let private = format!(
            "-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n",
            B64.encode(pkcs8.as_ref())
        );
        let spki = pair.public_key().as_der().expect("spki");
        (private, B64.encode(spki.as_ref()))
    }

    #[test]
    fn keys_sign_and_verify_in_every_form_providers_use() {
        let (private, public) = fresh_key();
        let signer = SigningKey::from_text(&private).unwrap();
        let sig = signer.sign(b"a=1&b=2").unwrap();
        let spki = VerifyingKey::from_text(&public).unwrap();
        assert_eq!(spki.verify(b"a=1&b=2", &sig), Ok(()));
        let pkcs1 = VerifyingKey::from_der(&signer.public_der()).unwrap();
        assert_eq!(pkcs1.verify(b"a=1&b=2", &sig), Ok(()));
        assert_eq!(spki.verify(b"a=1&b=3", &sig), Err(SignatureError::Mismatch));
        assert_eq!(spki.verify(b"a=1&b=2", ""), Err(SignatureError::Missing));
        assert_eq!(
            spki.verify(b"a=1&b=2", "%%%"),
            Err(SignatureError::Malformed)
        );
        // Another key's signature does not pass.
        let (other, _) = fresh_key();
        let forged = SigningKey::from_text(&other)
            .unwrap()
            .sign(b"a=1&b=2")
            .unwrap();
        assert_eq!(
            spki.verify(b"a=1&b=2", &forged),
            Err(SignatureError::Mismatch)
        );
        assert!(format!("{signer:?}").contains("2048 bits"));
        assert!(SigningKey::from_text("not a key").is_err());
        assert!(VerifyingKey::from_text("").is_err());
    }
}
