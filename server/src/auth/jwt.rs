//! Access tokens: RS256 JWTs, signed with one current key and verified against it and older ones.
//!
//! This module owns the key material (loading, first-start generation, the JWKS document) and the
//! token format (claims, header, validation rules). Whether a token was revoked is not its
//! business: see `auth::tokens`. Keys and tokens are never logged, and `Debug` shows key ids only.
//! Crypto runs on aws-lc-rs: the RustCrypto back end of `jsonwebtoken` pulls the `rsa` crate
//! (RUSTSEC-2023-0071, Marvin) and is several times slower.

use std::{fmt, fs, path::Path};

use aws_lc_rs::{
    digest,
    encoding::AsDer,
    rsa::{KeyPair, KeySize, PublicKey, PublicKeyComponents},
    signature::KeyPair as _,
};
use base64::{
    engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD},
    Engine,
};
use chrono::{DateTime, SubsecRound, TimeDelta, Utc};
use jsonwebtoken::{
    crypto::CryptoProvider, errors::ErrorKind, Algorithm, DecodingKey, DecodingKeyKind,
    EncodingKey, Header, Validation,
};
use serde::{Deserialize, Serialize};

use crate::config::{ConfigError, Settings};

/// Clock skew tolerated on `exp` and `nbf`.
const LEEWAY_SECS: u64 = 30;
/// Under `DATA_DIR` when `JWT_PRIVATE_KEY_PATH` is unset.
pub const GENERATED_KEY_FILE: &str = "jwt_private.pem";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    pub iss: String,
    /// `sub`: the user id, a string on the wire as RFC 7519 wants.
    #[serde(rename = "sub", with = "id_as_string")]
    pub user_id: i64,
    pub aud: String,
    pub exp: i64,
    pub iat: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nbf: Option<i64>,
    pub jti: String,
    pub username: String,
    /// When the token was issued, in milliseconds (`iat` counts whole seconds): a sign-out at
    /// 12:00:00.400 must refuse a token from 12:00:00.100 and accept one from 12:00:00.700.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iat_ms: Option<i64>,
}

impl Claims {
    /// When the token was issued, in milliseconds; a token without `iat_ms` counts as issued
    /// at the end of its `iat` second.
    pub fn issued_ms(&self) -> i64 {
        self.iat_ms
            .unwrap_or_else(|| self.iat.saturating_mul(1000).saturating_add(999))
    }

    /// When the token stops verifying: how long a revoked `jti` must be remembered.
    pub fn expires_at(&self) -> DateTime<Utc> {
        DateTime::from_timestamp(self.exp, 0).unwrap_or(DateTime::<Utc>::MAX_UTC)
    }
}

mod id_as_string {
    use serde::{de::Error, Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(id: &i64, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(id)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
        String::deserialize(d)?.parse().map_err(D::Error::custom)
    }
}

/// A freshly signed access token.
pub struct IssuedAccess {
    pub token: String,
    pub jti: String,
    pub expires_at: DateTime<Utc>,
    /// Seconds, for the OAuth `expires_in` field.
    pub expires_in: u64,
}

impl fmt::Debug for IssuedAccess {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IssuedAccess")
            .field("jti", &self.jti)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

/// Why a token was refused; clients only ever learn "unauthenticated".
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("the token has expired")]
    Expired,
    #[error("the token header names no key")]
    MissingKeyId,
    #[error("the token was signed by a key we do not know")]
    UnknownKey,
    #[error("the token is malformed, or its algorithm, signature, issuer or audience is wrong")]
    Invalid,
}

/// A public key that verifies tokens, with its JWK members.
struct Verifier {
    kid: String,
    n: String,
    e: String,
    key: DecodingKey,
}

impl Verifier {
    fn new(public: &PublicKey) -> Self {
        let parts = PublicKeyComponents::<Vec<u8>>::from(public);
        // JWK integers are unsigned big-endian without leading zero octets (RFC 7518 §6.3.1).
        let unsigned =
            |b: &[u8]| -> Vec<u8> { b[b.iter().take_while(|&&x| x == 0).count()..].to_vec() };
        let (n, e) = (unsigned(&parts.n), unsigned(&parts.e));
        let (n64, e64) = (URL_SAFE_NO_PAD.encode(&n), URL_SAFE_NO_PAD.encode(&e));
        // RFC 7638: the required members in lexicographic order, no whitespace.
        let canonical = format!(r#"{{"e":"{e64}","kty":"RSA","n":"{n64}"}}"#);
        let kid = URL_SAFE_NO_PAD.encode(digest::digest(&digest::SHA256, canonical.as_bytes()));
        Verifier {
            kid,
            key: DecodingKey::from_rsa_raw_components(&n, &e),
            n: n64,
            e: e64,
        }
    }

    fn jwk(&self) -> serde_json::Value {
        let Verifier { kid, n, e, .. } = self;
        serde_json::json!({ "kty": "RSA", "use": "sig", "alg": "RS256", "kid": kid, "n": n, "e": e })
    }
}

pub struct JwtKeys {
    kid: String,
    signing: EncodingKey,
    public_pem: String,
    /// The current key first, then the older ones.
    verifiers: Vec<Verifier>,
    jwks: serde_json::Value,
    validation: Validation,
    issuer: String,
    audience: String,
    access_ttl: TimeDelta,
}

impl fmt::Debug for JwtKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kids: Vec<&str> = self.verifiers.iter().map(|v| v.kid.as_str()).collect();
        f.debug_struct("JwtKeys")
            .field("kids", &kids)
            .finish_non_exhaustive()
    }
}

fn bad(var: &'static str, message: String) -> ConfigError {
    ConfigError { var, message }
}

impl JwtKeys {
    /// Loads (or on first start generates) the signing key and the older public keys.
    pub fn load(settings: &Settings) -> Result<Self, ConfigError> {
        // With both jsonwebtoken back ends compiled in (feature unification) it picks none; an
        // error here only means a provider is already installed.
        let _ = CryptoProvider::install_default(&jsonwebtoken::crypto::aws_lc::DEFAULT_PROVIDER);
        let auth = &settings.auth;
        let (var, path) = match &auth.jwt_private_key_path {
            Some(path) => ("JWT_PRIVATE_KEY_PATH", path.clone()),
            None => ("DATA_DIR", generate_once(&settings.data_dir)?),
        };
        let pem = fs::read(&path)
            .map_err(|e| bad(var, format!("cannot read {}: {e}", path.display())))?;
        let (signing, pair) = parse_private(&pem).ok_or_else(|| {
            let what = "is not an RSA private key in PEM (PKCS#8 or PKCS#1, at least 2048 bits)";
            bad(var, format!("{} {what}", path.display()))
        })?;
        let public_der = pair
            .public_key()
            .as_der()
            .map_err(|e| bad(var, e.to_string()))?;
        let current = Verifier::new(pair.public_key());
        let kid = current.kid.clone();
        let mut verifiers = vec![current];
        for path in &auth.jwt_public_key_paths {
            let var = "JWT_PUBLIC_KEY_PATHS";
            let pem = fs::read(path)
                .map_err(|e| bad(var, format!("cannot read {}: {e}", path.display())))?;
            // An old private key file works too: rotating is then just moving its path here.
            let public = parse_public(&pem)
                .or_else(|| parse_private(&pem).map(|(_, pair)| pair.public_key().clone()))
                .ok_or_else(|| bad(var, format!("{} is not an RSA key in PEM", path.display())))?;
            let verifier = Verifier::new(&public);
            if verifiers.iter().all(|v| v.kid != verifier.kid) {
                verifiers.push(verifier);
            }
        }
        let jwks =
            serde_json::json!({ "keys": verifiers.iter().map(Verifier::jwk).collect::<Vec<_>>() });
        let mut validation = Validation::new(Algorithm::RS256);
        validation.leeway = LEEWAY_SECS;
        validation.validate_nbf = true;
        validation.set_issuer(&[&auth.jwt_issuer]);
        validation.set_audience(&[&auth.jwt_audience]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        Ok(JwtKeys {
            kid,
            signing,
            public_pem: to_pem("PUBLIC KEY", public_der.as_ref()),
            verifiers,
            jwks,
            validation,
            issuer: auth.jwt_issuer.clone(),
            audience: auth.jwt_audience.clone(),
            access_ttl: TimeDelta::from_std(auth.access_token_ttl)
                .map_err(|_| bad("JWT_ACCESS_TTL_SECONDS", "too large".into()))?,
        })
    }

    /// The id of the signing key (its RFC 7638 thumbprint).
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// `/.well-known/jwks.json`: the current and the older public keys.
    pub fn jwks(&self) -> &serde_json::Value {
        &self.jwks
    }

    /// The current public key as SPKI PEM, for verifiers configured by file.
    pub fn public_key_pem(&self) -> &str {
        &self.public_pem
    }

    /// How long an access token lives.
    pub fn access_ttl(&self) -> TimeDelta {
        self.access_ttl
    }

    pub fn issue(
        &self,
        user_id: i64,
        username: &str,
    ) -> Result<IssuedAccess, jsonwebtoken::errors::Error> {
        let precise = Utc::now();
        let now = precise.trunc_subsecs(0);
        let expires_at = now + self.access_ttl;
        let claims = Claims {
            iss: self.issuer.clone(),
            user_id,
            aud: self.audience.clone(),
            exp: expires_at.timestamp(),
            iat: now.timestamp(),
            nbf: Some(now.timestamp()),
            jti: uuid::Uuid::new_v4().to_string(),
            username: username.to_string(),
            iat_ms: Some(precise.timestamp_millis()),
        };
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some(self.kid.clone());
        Ok(IssuedAccess {
            token: jsonwebtoken::encode(&header, &claims, &self.signing)?,
            jti: claims.jti,
            expires_at,
            expires_in: u64::try_from(self.access_ttl.num_seconds()).unwrap_or(0),
        })
    }

    /// Whether claims that verified earlier have run out since, by the same rule (and the same
    /// clock-skew leeway) that verification applies to `exp`.
    pub fn has_expired(claims: &Claims, now: DateTime<Utc>) -> bool {
        claims.exp.saturating_add(LEEWAY_SECS as i64) < now.timestamp()
    }

    /// Checks signature, algorithm, key, issuer, audience and lifetime. Not revocation.
    pub fn verify(&self, token: &str) -> Result<Claims, TokenError> {
        let header = jsonwebtoken::decode_header(token).map_err(|_| TokenError::Invalid)?;
        // Refused before any key is chosen: `none`, HS256 keyed with our public key and the like
        // never reach a verifier.
        if header.alg != Algorithm::RS256 {
            return Err(TokenError::Invalid);
        }
        let kid = header.kid.ok_or(TokenError::MissingKeyId)?;
        let verifier = self
            .verifiers
            .iter()
            .find(|v| v.kid == kid)
            .ok_or(TokenError::UnknownKey)?;
        jsonwebtoken::decode::<Claims>(token, &verifier.key, &self.validation)
            .map(|data| data.claims)
            .map_err(|e| match e.kind() {
                ErrorKind::ExpiredSignature => TokenError::Expired,
                _ => TokenError::Invalid,
            })
    }
}

/// `from_rsa_pem` only unwraps the PEM; parsing the DER with aws-lc validates the key itself.
fn parse_private(pem: &[u8]) -> Option<(EncodingKey, KeyPair)> {
    let signing = EncodingKey::from_rsa_pem(pem).ok()?;
    let pair = KeyPair::from_der(signing.as_bytes()).ok()?;
    Some((signing, pair))
}

fn parse_public(pem: &[u8]) -> Option<PublicKey> {
    match DecodingKey::from_rsa_pem(pem).ok()?.kind() {
        DecodingKeyKind::SecretOrDer(der) => PublicKey::from_der(der).ok(),
        _ => None,
    }
}

/// Creates `dir/jwt_private.pem` (mode 0600) unless it exists, and returns its path.
fn generate_once(dir: &Path) -> Result<std::path::PathBuf, ConfigError> {
    let path = dir.join(GENERATED_KEY_FILE);
    if path.exists() {
        return Ok(path);
    }
    let fail = |e: &dyn fmt::Display| {
        bad(
            "DATA_DIR",
            format!("cannot create the JWT key {}: {e}", path.display()),
        )
    };
    fs::create_dir_all(dir).map_err(|e| fail(&e))?;
    let pair = KeyPair::generate(KeySize::Rsa2048).map_err(|e| fail(&e))?;
    let der = pair.as_der().map_err(|e| fail(&e))?;
    match crate::keyfile::place_once(&path, to_pem("PRIVATE KEY", der.as_ref()).as_bytes()) {
        Ok(true) => {
            tracing::info!(path = %path.display(), "generated the JWT signing key");
            Ok(path)
        }
        Ok(false) => Ok(path),
        Err(e) => Err(fail(&e)),
    }
}

fn to_pem(label: &str, der: &[u8]) -> String {
    let mut out = format!("-----BEGIN {label}-----");
    for (i, c) in STANDARD.encode(der).chars().enumerate() {
        if i % 64 == 0 {
            out.push('\n');
        }
        out.push(c);
    }
    out.push_str(&format!("\n-----END {label}-----\n"));
    out
}

// In `jwt/tests.rs`: the attack cases are long enough to crowd the code out of this file.
#[cfg(test)]
mod tests;
