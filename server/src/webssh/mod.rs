//! WebSSH: terminals in the browser, bridged over a websocket to SSH hosts.
//!
//! - [`host_rules`]: what the model engine checks and seals when hosts and grants are written
//!   (hosts are a declared model: `app::admin::hosts`).
//! - [`Terminals`] (this file): the service the REST handlers (`rest::terminals`) call: who may
//!   open a terminal on which host (superusers everywhere; others through a grant in force;
//!   practice hosts for enrolled students are the learning issue's hook,
//!   [`practice_access`]), the per-user limit, connecting ([`ssh`]), the live sessions of this
//!   instance and their single-use tickets.
//! - [`session`]: the task owning one SSH channel; [`bridge`]: one websocket attached to it;
//!   [`recording`] and [`audit`]: what is kept of a session.
//!
//! Live sessions and tickets are in this instance's memory: a websocket or a resume must reach
//! the instance that opened the terminal (sticky routing by session, see the README).

pub mod audit;
pub mod bridge;
pub mod command_log;
pub mod host_rules;
pub mod protocol;
pub mod recording;
pub mod secrets;
pub mod session;
pub mod settings;
pub mod ssh;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use app::domain::Principal;
use app::dto::{TerminalSize, TerminalTicket};
use app::error::AppError;
use app::i18n::td_string;
use app::ports::TerminalService;
use async_trait::async_trait;
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine as _};
use chrono::Utc;
use rand::RngCore;
use tokio::sync::mpsc;

use crate::db::{self, Db};
use crate::error::ResultExt;
use crate::rbac::Authz;
use protocol::ToSession;
use secrets::SecretBox;
use session::Registry;
use settings::WebsshSettings;

struct Ticket {
    session_id: String,
    user_id: i64,
    expires: Instant,
}

/// A redeemed ticket: the session to attach a websocket to.
pub struct Attachment {
    pub session_id: String,
    pub to_session: mpsc::Sender<ToSession>,
    pub generation: u64,
}

#[derive(Clone)]
pub struct Terminals {
    inner: Arc<Inner>,
}

struct Inner {
    db: Db,
    authz: Authz,
    secrets: SecretBox,
    settings: WebsshSettings,
    recordings: PathBuf,
    live: Registry,
    commands: command_log::CommandLog,
    tickets: Mutex<HashMap<String, Ticket>>,
    metrics: crate::metrics::Metrics,
}

/// Practice hosts for students enrolled in a course whose lab lessons name the host: the
/// learning issue adds lab lessons' host; until then no student reaches a practice host
/// through this rule (grants still work).
async fn practice_access(db: &Db, host_id: i64, user_id: i64) -> Result<bool, AppError> {
    crate::learning::practice_access(db, host_id, user_id).await
}

impl Terminals {
    pub fn new(
        db: Db,
        authz: Authz,
        secrets: SecretBox,
        settings: WebsshSettings,
        data_dir: &std::path::Path,
        metrics: crate::metrics::Metrics,
    ) -> Self {
        let recordings = settings.recordings_dir(data_dir);
        Self {
            inner: Arc::new(Inner {
                db: db.clone(),
                authz,
                secrets,
                settings,
                recordings,
                live: Default::default(),
                commands: command_log::CommandLog::start(db.clone()),
                tickets: Mutex::new(HashMap::new()),
                metrics,
            }),
        }
    }

    pub fn heartbeat(&self) -> bridge::Heartbeat {
        bridge::Heartbeat {
            ping_every: self.inner.settings.ping_every,
            peer_timeout: self.inner.settings.peer_timeout,
        }
    }

    /// Live terminals on this instance.
    pub fn live_count(&self) -> usize {
        self.inner.live.lock().map(|l| l.len()).unwrap_or(0)
    }

    /// A fingerprint of the account's password as it is now (`None` when it cannot be read):
    /// a terminal opened under one password ends when the password changes, as sessions do.
    async fn password_mark(&self, user_id: i64) -> Option<[u8; 32]> {
        use sha2::Digest;
        let user = db::users::find_by_id(&self.inner.db, user_id)
            .await
            .ok()??;
        let hash = user.password_hash.unwrap_or_default();
        Some(sha2::Sha256::digest(hash.as_bytes()).into())
    }

    /// Whether `user_id` may still use host `host_id` now: the account is active with the
    /// password the terminal was opened under, and `may_use` holds for it as resolved today.
    /// A failed lookup keeps the terminal (an outage of the database must not end every
    /// shell); the next round decides.
    async fn still_allowed(
        &self,
        user_id: i64,
        host_id: i64,
        mark: Option<[u8; 32]>,
    ) -> Option<bool> {
        let who = match self.inner.authz.principal_by_id(user_id).await {
            Ok(Some(who)) => who,
            Ok(None) => return Some(false),
            Err(_) => return None,
        };
        if let (Some(opened), Some(now)) = (mark, self.password_mark(user_id).await) {
            if opened != now {
                return Some(false);
            }
        }
        let host = match db::hosts::target(&self.inner.db, host_id).await {
            Ok(Some(host)) => host,
            Ok(None) => return Some(false),
            Err(_) => return None,
        };
        self.may_use(&who, &host).await.ok()
    }

    /// Ends the terminal once its user may no longer use its host: a revoked or expired grant,
    /// a deactivated account, a forced password reset, a new password. It checks every
    /// `access_recheck` and stops with the session, so it works whichever instance made the
    /// change. It holds only a weak handle on the session's inbox, so it never keeps the
    /// session's channel open.
    fn watch_access(&self, user_id: i64, host_id: i64, to_session: mpsc::Sender<ToSession>) {
        let this = self.clone();
        let every = self.inner.settings.access_recheck;
        let inbox = to_session.downgrade();
        drop(to_session);
        tokio::spawn(async move {
            let mark = this.password_mark(user_id).await;
            let mut tick = tokio::time::interval(every);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            tick.tick().await;
            loop {
                tick.tick().await;
                if inbox.upgrade().is_none_or(|tx| tx.is_closed()) {
                    return;
                }
                if this.still_allowed(user_id, host_id, mark).await == Some(false) {
                    tracing::info!(
                        user = user_id,
                        host = host_id,
                        "terminal ended: access withdrawn"
                    );
                    if let Some(tx) = inbox.upgrade() {
                        let _ = tx.send(ToSession::Kill("access withdrawn".into())).await;
                    }
                    return;
                }
            }
        });
    }

    fn issue(
        &self,
        session_id: &str,
        user_id: i64,
        ws_base: &str,
    ) -> Result<TerminalTicket, AppError> {
        let mut raw = [0u8; 32];
        rand::rng().fill_bytes(&mut raw);
        let ticket = URL_SAFE_NO_PAD.encode(raw);
        let mut tickets = self.inner.tickets.lock().map_err(|_| AppError::Internal)?;
        let now = Instant::now();
        tickets.retain(|_, t| t.expires > now);
        tickets.insert(
            ticket.clone(),
            Ticket {
                session_id: session_id.to_string(),
                user_id,
                expires: now + self.inner.settings.ticket_ttl,
            },
        );
        Ok(TerminalTicket {
            session_id: session_id.to_string(),
            websocket_url: format!(
                "{}/ws/terminal?ticket={ticket}",
                ws_base.trim_end_matches('/')
            ),
            ticket,
        })
    }

    /// Takes a ticket (it works once, for 30 s) and names the session to attach to.
    pub fn redeem(&self, ticket: &str) -> Option<Attachment> {
        let found = self.inner.tickets.lock().ok()?.remove(ticket)?;
        if found.expires <= Instant::now() {
            return None;
        }
        let live = self
            .inner
            .live
            .lock()
            .ok()?
            .get(&found.session_id)
            .cloned()?;
        if live.user_id != found.user_id {
            return None;
        }
        Some(Attachment {
            session_id: found.session_id,
            to_session: live.to_session.clone(),
            generation: live.generations.fetch_add(1, Ordering::Relaxed) + 1,
        })
    }

    /// May `who` open a terminal on the host?
    async fn may_use(
        &self,
        who: &Principal,
        host: &db::hosts::HostTarget,
    ) -> Result<bool, AppError> {
        if who.is_superuser {
            return Ok(true);
        }
        // Operations hosts are for staff only, whatever a grant says: an account under a forced
        // password reset (resolved without staff powers) or one that lost its staff flag keeps
        // no shell on a server. Practice hosts are for students too.
        if host.purpose != "practice" && !who.is_staff {
            return Ok(false);
        }
        let db = &self.inner.db;
        if db::hosts::granted(db, host.id, who.user_id, Utc::now())
            .await
            .db_err("host grant")?
        {
            return Ok(true);
        }
        if host.purpose == "practice" {
            return practice_access(db, host.id, who.user_id).await;
        }
        Ok(false)
    }

    fn credential(&self, host: &db::hosts::HostTarget) -> Result<ssh::Credential, AppError> {
        let open = |column: &str, sealed: &Option<String>| -> Result<Option<String>, AppError> {
            sealed
                .as_deref()
                .map(|s| self.inner.secrets.open(column, s))
                .transpose()
                .map_err(|e| crate::error::internal(e, "opening a host secret"))
        };
        let name = host.name.as_str();
        if host.auth_kind == "key" {
            let pem = open("private_key_enc", &host.private_key_enc)?.ok_or_else(|| {
                AppError::Conflict(
                    td_string!(
                        app::locale::current(),
                        errors.ssh_no_private_key,
                        host = name
                    )
                    .to_string(),
                )
            })?;
            let passphrase = open("passphrase_enc", &host.passphrase_enc)?;
            Ok(ssh::Credential::Key { pem, passphrase })
        } else {
            let password = open("password_enc", &host.password_enc)?.ok_or_else(|| {
                AppError::Conflict(
                    td_string!(app::locale::current(), errors.ssh_no_password, host = name)
                        .to_string(),
                )
            })?;
            Ok(ssh::Credential::Password(password))
        }
    }

    async fn connect(
        &self,
        host: &db::hosts::HostTarget,
        size: (u16, u16),
    ) -> Result<ssh::Shell, AppError> {
        let db = &self.inner.db;
        let port = u16::try_from(host.port).map_err(|_| {
            AppError::Conflict(td_string!(app::locale::current(), errors.ssh_bad_port).into())
        })?;
        let target = ssh::Target {
            hostname: host.hostname.clone(),
            port,
            username: host.username.clone(),
            credential: self.credential(host)?,
            trusted: host.host_key_fingerprint.clone(),
        };
        let shell = match ssh::open(target, size, self.inner.settings.connect_timeout).await {
            Ok(shell) => shell,
            Err(ssh::ConnectError::KeyChanged { trusted, offered }) => {
                db::hosts::record_offered(db, host.id, &offered)
                    .await
                    .db_err("host")?;
                tracing::warn!(host = host.id, %trusted, %offered, "refused a changed host key");
                let name = host.name.as_str();
                return Err(AppError::Conflict(
                    td_string!(
                        app::locale::current(),
                        errors.ssh_host_key_changed,
                        host = name,
                        trusted = trusted,
                        offered = offered
                    )
                    .to_string(),
                ));
            }
            Err(e) => {
                tracing::info!(host = host.id, error = %e, "terminal connection failed");
                let locale = app::locale::current();
                let why = match &e {
                    ssh::ConnectError::AuthRefused => {
                        td_string!(locale, errors.ssh_auth_refused).to_string()
                    }
                    ssh::ConnectError::BadKey => td_string!(locale, errors.ssh_bad_key).to_string(),
                    ssh::ConnectError::Unreachable(detail) => {
                        td_string!(locale, errors.ssh_unreachable, detail = detail).to_string()
                    }
                    ssh::ConnectError::Timeout => {
                        td_string!(locale, errors.ssh_timeout).to_string()
                    }
                    ssh::ConnectError::KeyChanged { .. } => e.to_string(),
                };
                let name = host.name.as_str();
                return Err(AppError::Conflict(
                    td_string!(locale, errors.ssh_cannot_open, host = name, why = why).to_string(),
                ));
            }
        };
        if host.host_key_fingerprint.is_none() {
            // Trust on first use; a parallel first connection that saw another key loses.
            let trusted = db::hosts::trust_first(db, host.id, &shell.fingerprint)
                .await
                .db_err("host")?;
            if trusted.as_deref() != Some(shell.fingerprint.as_str()) {
                let name = host.name.as_str();
                return Err(AppError::Conflict(
                    td_string!(
                        app::locale::current(),
                        errors.ssh_host_key_raced,
                        host = name
                    )
                    .to_string(),
                ));
            }
        }
        Ok(shell)
    }
}

#[async_trait]
impl TerminalService for Terminals {
    #[tracing::instrument(skip(self, who, ws_base), fields(user = who.user_id))]
    async fn open(
        &self,
        who: &Principal,
        host_id: i64,
        size: TerminalSize,
        ws_base: &str,
    ) -> Result<TerminalTicket, AppError> {
        let db = &self.inner.db;
        let host = db::hosts::target(db, host_id)
            .await
            .db_err("host")?
            .ok_or_else(|| AppError::NotFound("host".into()))?;
        if !self.may_use(who, &host).await? {
            return Err(AppError::Forbidden);
        }
        let cols = size.cols.unwrap_or(80).clamp(1, 1_000);
        let rows = size.rows.unwrap_or(24).clamp(1, 1_000);
        // Claim a place first, then count: two parallel opens over the limit both fail rather
        // than both pass (the count is over every instance's rows).
        let public_id = uuid::Uuid::new_v4().simple().to_string();
        let now = Utc::now();
        let row_id = db::terminals::insert(db, &public_id, host.id, who.user_id, now)
            .await
            .db_err("terminal session")?;
        let end = |reason: &'static str| db::terminals::Ended {
            at: Utc::now(),
            bytes_in: 0,
            bytes_out: 0,
            exit_code: None,
            reason,
            recording_path: None,
        };
        let max = chrono::Duration::from_std(self.inner.settings.max_session).unwrap_or_default();
        let open = db::terminals::open_count(db, who.user_id, now - max)
            .await
            .db_err("terminal session")?;
        if open > i64::from(self.inner.settings.max_per_user) {
            db::terminals::end(db, row_id, &end("refused: too many terminals"))
                .await
                .db_err("terminal session")?;
            return Err(AppError::RateLimited {
                retry_after_secs: 60,
            });
        }
        let shell = match self.connect(&host, (cols, rows)).await {
            Ok(shell) => shell,
            Err(e) => {
                db::terminals::end(db, row_id, &end("refused: could not connect"))
                    .await
                    .db_err("terminal session")?;
                return Err(e);
            }
        };
        let recorder =
            match recording::Recorder::create(&self.inner.recordings, &public_id, cols, rows)
                .and_then(recording::Recording::start)
            {
                Ok(r) => Some(r),
                Err(e) => {
                    tracing::warn!(error = %e, "terminal not recorded");
                    None
                }
            };
        let s = &self.inner.settings;
        let inbox = session::spawn(
            shell,
            session::Identity {
                row_id,
                public_id: public_id.clone(),
                user_id: who.user_id,
                host_id: host.id,
            },
            session::Limits {
                idle: s.idle_timeout,
                max: s.max_session,
                grace: s.resume_grace,
                backlog: s.resume_buffer,
            },
            recorder,
            session::Stores {
                db: db.clone(),
                commands: self.inner.commands.clone(),
                registry: self.inner.live.clone(),
                metrics: self.inner.metrics.clone(),
            },
        );
        self.inner.metrics.terminals_opened.inc();
        self.watch_access(who.user_id, host.id, inbox);
        self.issue(&public_id, who.user_id, ws_base)
    }

    async fn resume(
        &self,
        who: &Principal,
        session_id: &str,
        ws_base: &str,
    ) -> Result<TerminalTicket, AppError> {
        let owned = self
            .inner
            .live
            .lock()
            .map_err(|_| AppError::Internal)?
            .get(session_id)
            .is_some_and(|l| l.user_id == who.user_id);
        if !owned {
            return Err(AppError::NotFound("terminal session".into()));
        }
        self.issue(session_id, who.user_id, ws_base)
    }

    async fn end(&self, who: &Principal, session_id: &str) -> Result<(), AppError> {
        let live = self
            .inner
            .live
            .lock()
            .map_err(|_| AppError::Internal)?
            .get(session_id)
            .filter(|l| l.user_id == who.user_id || who.has("host.monitor"))
            .cloned()
            .ok_or_else(|| AppError::NotFound("terminal session".into()))?;
        let why = if live.user_id == who.user_id {
            "ended by the user".to_string()
        } else {
            format!("ended by {} (staff)", who.username)
        };
        tracing::info!(session = %session_id, by = who.user_id, "terminal ended on request");
        // A session that ended meanwhile has dropped its receiver: nothing left to end.
        let _ = live.to_session.send(ToSession::Kill(why)).await;
        Ok(())
    }
}
