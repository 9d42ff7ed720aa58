//! Host secrets at rest: AES-256-GCM under one key, from `SECRET_KEY_PATH` or generated once
//! under `DATA_DIR` (like the JWT key), so a copy of the database alone reveals no password or
//! private key.
//!
//! A sealed value is `v1:` + base64(nonce ‖ ciphertext ‖ tag). The column name is the
//! associated data: a ciphertext copied into another column (a passphrase posing as a password)
//! does not open. Nothing here logs a value, sealed or not.

use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use aws_lc_rs::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM, NONCE_LEN};
use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use base64::{engine::general_purpose::STANDARD, Engine as _};

use crate::config::{bad, ConfigError};

pub const GENERATED_KEY_FILE: &str = "webssh_secret.key";
const PREFIX: &str = "v1:";

/// Seals and opens host secrets; cheap to clone.
#[derive(Clone)]
pub struct SecretBox {
    key: Arc<LessSafeKey>,
}

impl fmt::Debug for SecretBox {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretBox(***)")
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error("the sealed value is malformed")]
    Malformed,
    #[error("the sealed value does not open with this key")]
    WrongKey,
    #[error("the system random source failed")]
    Random,
}

impl SecretBox {
    pub fn from_key(bytes: &[u8; 32]) -> Result<Self, SecretError> {
        let unbound = UnboundKey::new(&AES_256_GCM, bytes).map_err(|_| SecretError::Malformed)?;
        Ok(Self {
            key: Arc::new(LessSafeKey::new(unbound)),
        })
    }

    /// From `path` (64 hex digits), or from a key generated once under `data_dir`.
    pub fn load(path: Option<&Path>, data_dir: &Path) -> Result<Self, ConfigError> {
        let (var, path) = match path {
            Some(p) => ("SECRET_KEY_PATH", p.to_path_buf()),
            None => ("DATA_DIR", generate_once(data_dir)?),
        };
        let raw = fs::read_to_string(&path)
            .map_err(|e| bad(var, format!("cannot read {}: {e}", path.display())))?;
        let bytes = hex::decode(raw.trim())
            .ok()
            .and_then(|b| <[u8; 32]>::try_from(b).ok());
        match bytes {
            Some(key) => Self::from_key(&key).map_err(|e| bad(var, e.to_string())),
            None => Err(bad(
                var,
                format!("{} must hold 64 hex digits (32 bytes)", path.display()),
            )),
        }
    }

    pub fn seal(&self, column: &str, plain: &str) -> Result<String, SecretError> {
        let mut nonce = [0u8; NONCE_LEN];
        SystemRandom::new()
            .fill(&mut nonce)
            .map_err(|_| SecretError::Random)?;
        let mut buf = plain.as_bytes().to_vec();
        self.key
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(column.as_bytes()),
                &mut buf,
            )
            .map_err(|_| SecretError::Random)?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&buf);
        Ok(format!("{PREFIX}{}", STANDARD.encode(out)))
    }

    pub fn open(&self, column: &str, sealed: &str) -> Result<String, SecretError> {
        let body = sealed.strip_prefix(PREFIX).ok_or(SecretError::Malformed)?;
        let raw = STANDARD.decode(body).map_err(|_| SecretError::Malformed)?;
        if raw.len() < NONCE_LEN {
            return Err(SecretError::Malformed);
        }
        let (nonce, rest) = raw.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| SecretError::Malformed)?;
        let mut buf = rest.to_vec();
        let plain = self
            .key
            .open_in_place(nonce, Aad::from(column.as_bytes()), &mut buf)
            .map_err(|_| SecretError::WrongKey)?;
        String::from_utf8(plain.to_vec()).map_err(|_| SecretError::Malformed)
    }
}

/// Creates `dir/webssh_secret.key` (mode 0600) unless it exists; two processes racing on one
/// shared directory end with the same key (written aside, hard-linked into place).
fn generate_once(dir: &Path) -> Result<PathBuf, ConfigError> {
    let path = dir.join(GENERATED_KEY_FILE);
    if path.exists() {
        return Ok(path);
    }
    let fail = |e: &dyn fmt::Display| {
        bad(
            "DATA_DIR",
            format!("cannot create the secret key {}: {e}", path.display()),
        )
    };
    fs::create_dir_all(dir).map_err(|e| fail(&e))?;
    let mut key = [0u8; 32];
    SystemRandom::new()
        .fill(&mut key)
        .map_err(|_| fail(&"no random source"))?;
    match crate::keyfile::place_once(&path, hex::encode(key).as_bytes()) {
        Ok(true) => {
            tracing::info!(path = %path.display(), "generated the host secret key");
            Ok(path)
        }
        Ok(false) => Ok(path),
        Err(e) => Err(fail(&e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_secret_opens_only_in_its_column_and_under_its_key() {
        let secrets = SecretBox::from_key(&[7; 32]).unwrap();
        let sealed = secrets.seal("password_enc", "hunter2").unwrap();
        assert!(!sealed.contains("hunter2"));
        assert_eq!(secrets.open("password_enc", &sealed).unwrap(), "hunter2");
        assert!(matches!(
            secrets.open("passphrase_enc", &sealed),
            Err(SecretError::WrongKey)
        ));
        let other = SecretBox::from_key(&[8; 32]).unwrap();
        assert!(other.open("password_enc", &sealed).is_err());
        // A fresh nonce every time: equal secrets do not look equal at rest.
        assert_ne!(sealed, secrets.seal("password_enc", "hunter2").unwrap());
    }

    #[test]
    fn the_generated_key_is_made_once_and_reused() {
        let dir = std::env::temp_dir().join(format!("xc-secret-{}", uuid::Uuid::new_v4()));
        let a = SecretBox::load(None, &dir).unwrap();
        let b = SecretBox::load(None, &dir).unwrap();
        let sealed = a.seal("c", "x").unwrap();
        assert_eq!(b.open("c", &sealed).unwrap(), "x");
        let _ = fs::remove_dir_all(&dir);
    }
}
