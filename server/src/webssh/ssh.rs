//! The SSH side of a terminal: connect to a host with `russh`, check its key against the one
//! trusted (trust on first use), authenticate with the host's opened secret, and open a shell
//! on a pseudo-terminal.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use russh::client::{self, Handle};
use russh::keys::{HashAlg, PrivateKeyWithHashAlg, PublicKeyOrCertificate};
use russh::{Channel, Disconnect};

/// What to connect to, with its credentials opened (kept only as long as connecting takes).
pub struct Target {
    pub hostname: String,
    pub port: u16,
    pub username: String,
    pub credential: Credential,
    /// The key to insist on; `None`: accept and report the offered one (first use).
    pub trusted: Option<String>,
}

pub enum Credential {
    Password(String),
    Key {
        pem: String,
        passphrase: Option<String>,
    },
}

impl std::fmt::Debug for Credential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Credential(***)")
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error("the host key changed: trusted {trusted}, offered {offered}")]
    KeyChanged { trusted: String, offered: String },
    #[error("the host refused the stored credentials")]
    AuthRefused,
    #[error("the stored private key cannot be used")]
    BadKey,
    #[error("cannot reach the host: {0}")]
    Unreachable(String),
    #[error("the host did not answer in time")]
    Timeout,
}

/// Checks the offered key; remembers its fingerprint for the caller.
pub struct Checker {
    trusted: Option<String>,
    offered: Arc<Mutex<Option<String>>>,
}

impl client::Handler for Checker {
    type Error = russh::Error;

    async fn check_server_key(
        &mut self,
        key: &PublicKeyOrCertificate,
    ) -> Result<bool, Self::Error> {
        let fingerprint = key.public_key().fingerprint(HashAlg::Sha256).to_string();
        let ok = self.trusted.as_deref().is_none_or(|t| t == fingerprint);
        if let Ok(mut slot) = self.offered.lock() {
            *slot = Some(fingerprint);
        }
        Ok(ok)
    }
}

/// An authenticated connection with a shell on a pty.
pub struct Shell {
    pub handle: Handle<Checker>,
    pub channel: Channel<client::Msg>,
    /// The host key's fingerprint as offered (to record on first use).
    pub fingerprint: String,
}

pub async fn open(
    target: Target,
    size: (u16, u16),
    timeout: Duration,
) -> Result<Shell, ConnectError> {
    tokio::time::timeout(timeout, open_inner(target, size))
        .await
        .map_err(|_| ConnectError::Timeout)?
}

async fn open_inner(target: Target, (cols, rows): (u16, u16)) -> Result<Shell, ConnectError> {
    let offered = Arc::new(Mutex::new(None));
    let checker = Checker {
        trusted: target.trusted.clone(),
        offered: offered.clone(),
    };
    let config = Arc::new(client::Config {
        // Our own heartbeat finds dead hosts: no SSH session sits forever on a lost network.
        keepalive_interval: Some(Duration::from_secs(15)),
        keepalive_max: 3,
        nodelay: true,
        ..Default::default()
    });
    let seen =
        |offered: &Arc<Mutex<Option<String>>>| offered.lock().ok().and_then(|slot| slot.clone());
    let connected = client::connect(config, (target.hostname.as_str(), target.port), checker).await;
    let mut handle = match connected {
        Ok(h) => h,
        Err(e) => {
            if let (Some(trusted), Some(offered)) = (target.trusted.clone(), seen(&offered)) {
                if trusted != offered {
                    return Err(ConnectError::KeyChanged { trusted, offered });
                }
            }
            return Err(ConnectError::Unreachable(e.to_string()));
        }
    };
    let fingerprint = seen(&offered).unwrap_or_default();
    let unreachable = |e: russh::Error| ConnectError::Unreachable(e.to_string());
    let auth = match target.credential {
        Credential::Password(password) => handle
            .authenticate_password(target.username, password)
            .await
            .map_err(unreachable)?,
        Credential::Key { pem, passphrase } => {
            let key = russh::keys::decode_secret_key(&pem, passphrase.as_deref())
                .map_err(|_| ConnectError::BadKey)?;
            let hash = handle
                .best_supported_rsa_hash()
                .await
                .map_err(unreachable)?
                .flatten();
            handle
                .authenticate_publickey(
                    target.username,
                    PrivateKeyWithHashAlg::new(Arc::new(key), hash),
                )
                .await
                .map_err(unreachable)?
        }
    };
    if !auth.success() {
        let _ = handle
            .disconnect(Disconnect::ByApplication, "authentication failed", "en")
            .await;
        return Err(ConnectError::AuthRefused);
    }
    let channel = handle.channel_open_session().await.map_err(unreachable)?;
    channel
        .request_pty(
            true,
            "xterm-256color",
            u32::from(cols),
            u32::from(rows),
            0,
            0,
            &[],
        )
        .await
        .map_err(unreachable)?;
    channel.request_shell(true).await.map_err(unreachable)?;
    Ok(Shell {
        handle,
        channel,
        fingerprint,
    })
}
