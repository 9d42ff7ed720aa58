//! The buy token (the "hidden address"): a signed-in buyer gets one only once the sale has
//! started, and a buy must carry it. It names the event, the user and its expiry, signed with
//! HMAC-SHA256 under a key derived from the instance's JWT signing key, so every instance that
//! shares that key (as they must for the API's tokens) accepts the others' tokens, with no
//! round trip to Redis or the database. Checked in constant time.

use aws_lc_rs::hmac;
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine as _};
use sha2::{Digest, Sha256};

#[derive(Clone)]
pub struct TokenKey(hmac::Key);

impl std::fmt::Debug for TokenKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenKey(..)")
    }
}

fn message(event_id: i64, user_id: i64, expires: i64) -> String {
    format!("xuecheng-seckill-token|{event_id}|{user_id}|{expires}")
}

impl TokenKey {
    /// A key of its own, derived from the secret signing key's bytes (never the key itself).
    pub fn derive(secret: &[u8]) -> Self {
        let mut hasher = Sha256::new();
        hasher.update(b"xuecheng seckill buy token v1\0");
        hasher.update(secret);
        Self(hmac::Key::new(hmac::HMAC_SHA256, &hasher.finalize()))
    }

    /// `<event>.<user>.<expires, Unix s>.<signature>`.
    pub fn issue(&self, event_id: i64, user_id: i64, expires: i64) -> String {
        let tag = hmac::sign(&self.0, message(event_id, user_id, expires).as_bytes());
        format!(
            "{event_id}.{user_id}.{expires}.{}",
            URL_SAFE_NO_PAD.encode(tag.as_ref())
        )
    }

    /// Whether `token` is this user's for this event and unexpired at `now` (Unix s).
    pub fn check(&self, token: &str, event_id: i64, user_id: i64, now: i64) -> bool {
        let mut parts = token.splitn(4, '.');
        let (Some(e), Some(u), Some(x), Some(sig)) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return false;
        };
        let (Ok(e), Ok(u), Ok(x)) = (e.parse::<i64>(), u.parse::<i64>(), x.parse::<i64>()) else {
            return false;
        };
        let Ok(sig) = URL_SAFE_NO_PAD.decode(sig) else {
            return false;
        };
        // The signature first, in constant time; the fields only count once it holds.
        hmac::verify(&self.0, message(e, u, x).as_bytes(), &sig).is_ok()
            && e == event_id
            && u == user_id
            && x > now
    }
}

/// The bytes the token key is derived from: the JWT signing key's PEM file (read after
/// [`crate::auth::jwt::JwtKeys::load`] made sure it exists).
pub fn signing_secret(settings: &crate::config::Settings) -> anyhow::Result<Vec<u8>> {
    let path = match &settings.auth.jwt_private_key_path {
        Some(path) => path.clone(),
        None => settings.data_dir.join(crate::auth::jwt::GENERATED_KEY_FILE),
    };
    std::fs::read(&path).map_err(|e| {
        anyhow::anyhow!(
            "seckill: cannot read the signing key {}: {e}",
            path.display()
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_bound_to_event_user_and_time() {
        let key = TokenKey::derive(b"secret");
        let t = key.issue(4, 7, 1_000);
        assert!(key.check(&t, 4, 7, 999));
        assert!(!key.check(&t, 4, 7, 1_000), "expired");
        assert!(!key.check(&t, 4, 8, 999), "another user's");
        assert!(!key.check(&t, 5, 7, 999), "another event's");
        assert!(
            !TokenKey::derive(b"other").check(&t, 4, 7, 999),
            "another key"
        );
        let forged = t.replacen("1000", "9000", 1);
        assert!(
            !key.check(&forged, 4, 7, 999),
            "a later expiry is not signed"
        );
        assert!(!key.check("garbage", 4, 7, 0));
    }
}
