//! Unit tests of `auth::jwt`: the round trip, the classic JWT attacks, key rotation, key files.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::{collections::HashMap, path::PathBuf};

use jsonwebtoken::jwk::{Jwk, ThumbprintHash};

use super::*;

/// A directory removed when the test ends.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> Self {
        let path = std::env::temp_dir().join(format!("xc-jwt-{}", uuid::Uuid::new_v4()));
        fs::create_dir_all(&path).unwrap();
        Self(path)
    }

    fn file(&self, name: &str, contents: &str) -> String {
        let path = self.0.join(name);
        fs::write(&path, contents).unwrap();
        path.display().to_string()
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn load(dir: &TempDir, extra: &[(&str, &str)]) -> Result<JwtKeys, ConfigError> {
    let data_dir = dir.0.display().to_string();
    let mut vars: HashMap<&str, &str> = HashMap::from([
        ("DATA_DIR", data_dir.as_str()),
        ("JWT_ISSUER", "https://xc.test"),
        ("JWT_AUDIENCE", "xc-api"),
    ]);
    vars.extend(extra.iter().copied());
    JwtKeys::load(&Settings::from_map(&vars).unwrap())
}

fn claims(exp_in: i64) -> Claims {
    let now = Utc::now().timestamp();
    Claims {
        iss: "https://xc.test".into(),
        user_id: 7,
        aud: "xc-api".into(),
        exp: now + exp_in,
        iat: now - 600,
        nbf: None,
        jti: "j-1".into(),
        username: "ada".into(),
        iat_ms: None,
    }
}

fn signed(keys: &JwtKeys, kid: Option<&str>, claims: &Claims) -> String {
    let mut header = Header::new(Algorithm::RS256);
    header.kid = kid.map(str::to_string);
    jsonwebtoken::encode(&header, claims, &keys.signing).unwrap()
}

#[test]
fn issued_tokens_verify_and_carry_the_claims() {
    let dir = TempDir::new();
    let keys = load(&dir, &[]).unwrap();
    let issued = keys.issue(42, "ada").unwrap();
    let claims = keys.verify(&issued.token).unwrap();
    assert_eq!((claims.user_id, claims.username.as_str()), (42, "ada"));
    assert_eq!(
        (claims.iss.as_str(), claims.aud.as_str()),
        ("https://xc.test", "xc-api")
    );
    assert_eq!(claims.jti, issued.jti);
    assert_eq!(claims.expires_at(), issued.expires_at);
    assert_eq!(issued.expires_in, 900);
    assert_eq!(claims.exp - claims.iat, 900);

    let header = jsonwebtoken::decode_header(&issued.token).unwrap();
    assert_eq!(header.alg, Algorithm::RS256);
    assert_eq!(header.kid.as_deref(), Some(keys.kid()));
    let payload: serde_json::Value = serde_json::from_slice(
        &URL_SAFE_NO_PAD
            .decode(issued.token.split('.').nth(1).unwrap())
            .unwrap(),
    )
    .unwrap();
    assert_eq!(payload["sub"], "42");

    // The kid is the RFC 7638 thumbprint, as an independent implementation computes it.
    let jwk = &keys.jwks()["keys"][0];
    assert_eq!(
        (jwk["kty"].as_str(), jwk["use"].as_str()),
        (Some("RSA"), Some("sig"))
    );
    assert_eq!(jwk["alg"], "RS256");
    assert_eq!(jwk["kid"], keys.kid());
    let parsed: Jwk = serde_json::from_value(jwk.clone()).unwrap();
    assert_eq!(
        parsed.thumbprint(ThumbprintHash::SHA256).unwrap(),
        keys.kid()
    );
    assert!(!format!("{keys:?} {issued:?}").contains(&issued.token));
}

#[test]
fn alg_none_is_refused() {
    let dir = TempDir::new();
    let keys = load(&dir, &[]).unwrap();
    let header = format!(r#"{{"alg":"none","typ":"JWT","kid":"{}"}}"#, keys.kid());
    let body = serde_json::to_string(&claims(600)).unwrap();
    let token = format!(
        "{}.{}.",
        URL_SAFE_NO_PAD.encode(header),
        URL_SAFE_NO_PAD.encode(body)
    );
    assert_eq!(keys.verify(&token), Err(TokenError::Invalid));
}

#[test]
fn hs256_keyed_with_the_public_key_is_refused() {
    let dir = TempDir::new();
    let keys = load(&dir, &[]).unwrap();
    let mut header = Header::new(Algorithm::HS256);
    header.kid = Some(keys.kid().to_string());
    let secret = EncodingKey::from_secret(keys.public_key_pem().as_bytes()).unwrap();
    let token = jsonwebtoken::encode(&header, &claims(600), &secret).unwrap();
    assert_eq!(keys.verify(&token), Err(TokenError::Invalid));
}

#[test]
fn wrong_audience_or_issuer_is_refused() {
    let dir = TempDir::new();
    let keys = load(&dir, &[]).unwrap();
    let kid = Some(keys.kid());
    assert!(keys.verify(&signed(&keys, kid, &claims(600))).is_ok());
    let other_aud = Claims {
        aud: "someone-else".into(),
        ..claims(600)
    };
    assert_eq!(
        keys.verify(&signed(&keys, kid, &other_aud)),
        Err(TokenError::Invalid)
    );
    let other_iss = Claims {
        iss: "https://evil.test".into(),
        ..claims(600)
    };
    assert_eq!(
        keys.verify(&signed(&keys, kid, &other_iss)),
        Err(TokenError::Invalid)
    );
}

#[test]
fn expired_tokens_are_refused_beyond_the_leeway() {
    let dir = TempDir::new();
    let keys = load(&dir, &[]).unwrap();
    let kid = Some(keys.kid());
    assert!(
        keys.verify(&signed(&keys, kid, &claims(-5))).is_ok(),
        "within the leeway"
    );
    assert_eq!(
        keys.verify(&signed(&keys, kid, &claims(-120))),
        Err(TokenError::Expired)
    );
}

/// The verified-token cache re-checks `exp` with this rule: it must agree with `verify`.
#[test]
fn has_expired_agrees_with_verification() {
    let dir = TempDir::new();
    let keys = load(&dir, &[]).unwrap();
    let kid = Some(keys.kid());
    let now = Utc::now();
    for exp_in in [600, 0, -5, -29, -31, -120] {
        // `exp` from the same instant the rule is asked about: a second ticking between taking
        // `now` and making the claims moved the -29/-31 cases across the leeway's edge.
        let mut c = claims(0);
        c.exp = now.timestamp() + exp_in;
        assert_eq!(
            JwtKeys::has_expired(&c, now),
            keys.verify(&signed(&keys, kid, &c)).is_err(),
            "exp {exp_in} s from now"
        );
    }
}

#[test]
fn unknown_or_missing_kid_is_refused() {
    let dir = TempDir::new();
    let keys = load(&dir, &[]).unwrap();
    let unknown = signed(&keys, Some("not-a-key"), &claims(600));
    assert_eq!(keys.verify(&unknown), Err(TokenError::UnknownKey));
    assert_eq!(
        keys.verify(&signed(&keys, None, &claims(600))),
        Err(TokenError::MissingKeyId)
    );
    assert_eq!(keys.verify("not.a.jwt"), Err(TokenError::Invalid));
}

#[test]
fn tokens_of_a_configured_old_key_verify_and_others_do_not() {
    let (old_dir, new_dir) = (TempDir::new(), TempDir::new());
    let old = load(&old_dir, &[]).unwrap();
    let token = old.issue(1, "ada").unwrap().token;
    let old_public = old_dir.file("old_public.pem", old.public_key_pem());

    let rotated = load(&new_dir, &[("JWT_PUBLIC_KEY_PATHS", &old_public)]).unwrap();
    assert_ne!(rotated.kid(), old.kid());
    assert_eq!(rotated.verify(&token).unwrap().user_id, 1);
    let kids: Vec<&str> = rotated.jwks()["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap())
        .collect();
    assert_eq!(kids, [rotated.kid(), old.kid()]);
    // New tokens are signed with the new key only.
    let fresh = rotated.issue(2, "bob").unwrap().token;
    assert_eq!(old.verify(&fresh), Err(TokenError::UnknownKey));

    let unconfigured = load(&new_dir, &[]).unwrap();
    assert_eq!(unconfigured.verify(&token), Err(TokenError::UnknownKey));
}

#[test]
fn the_generated_key_is_private_and_reused() {
    let dir = TempDir::new();
    let first = load(&dir, &[]).unwrap();
    let second = load(&dir, &[]).unwrap();
    assert_eq!(first.kid(), second.kid());
    assert!(second.verify(&first.issue(3, "cy").unwrap().token).is_ok());
    let path = dir.0.join(GENERATED_KEY_FILE);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
    // Only the key itself is left behind.
    assert_eq!(fs::read_dir(&dir.0).unwrap().count(), 1);
}

#[test]
fn configured_keys_load_as_pkcs8_or_pkcs1_and_bad_files_name_the_variable() {
    let dir = TempDir::new();
    let generated = load(&dir, &[]).unwrap();
    let pkcs8 = fs::read_to_string(dir.0.join(GENERATED_KEY_FILE)).unwrap();
    // The PKCS#8 wrapper holds the PKCS#1 structure, which is what `from_rsa_pem` unwraps.
    let pkcs1_der = EncodingKey::from_rsa_pem(pkcs8.as_bytes()).unwrap();
    let pkcs1 = dir.file(
        "pkcs1.pem",
        &to_pem("RSA PRIVATE KEY", pkcs1_der.as_bytes()),
    );
    let loaded = load(&dir, &[("JWT_PRIVATE_KEY_PATH", &pkcs1)]).unwrap();
    assert_eq!(loaded.kid(), generated.kid());

    let garbage = dir.file(
        "garbage.pem",
        "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
    );
    let public_only = dir.file("public.pem", generated.public_key_pem());
    let missing = dir.0.join("missing.pem").display().to_string();
    for path in [&garbage, &public_only, &missing] {
        let err = load(&dir, &[("JWT_PRIVATE_KEY_PATH", path)]).unwrap_err();
        assert_eq!(err.var, "JWT_PRIVATE_KEY_PATH");
        assert!(
            err.to_string().starts_with("JWT_PRIVATE_KEY_PATH: "),
            "{err}"
        );
    }
    let err = load(&dir, &[("JWT_PUBLIC_KEY_PATHS", &garbage)]).unwrap_err();
    assert_eq!(err.var, "JWT_PUBLIC_KEY_PATHS");
}
