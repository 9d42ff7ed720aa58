//! The account after sign-up: devices (the user's sessions), profile, e-mail verification and
//! password reset, behind the [`AccountLifecycle`] port.

use app::domain::account::{check_password, Email};
use app::domain::RequestMeta;
use app::dto::{DeviceView, ProfileInput, ProfileView, UserView};
use app::error::{AppError, FieldError};
use app::i18n::td_string;
use app::ports::AccountLifecycle;
use async_trait::async_trait;
use chrono::Utc;
use tower_sessions::Session;

use super::links::{hash_token, Links};
use super::throttle::LoginThrottle;
use crate::auth::{registry::handle_of, registry::SessionRegistry};
use crate::db::email_tokens::{self, Purpose};
use crate::db::{users, Db};
use crate::error::{internal, ResultExt};

pub const MAX_NICKNAME: usize = 40;
pub const MAX_AVATAR_URL: usize = 500;
pub const MAX_BIO: usize = 1000;

#[derive(Clone)]
pub struct Lifecycle {
    db: Db,
    registry: SessionRegistry,
    eviction: super::Eviction,
    /// `SESSION_ABSOLUTE_MINUTES`, for the one session check.
    session_absolute: std::time::Duration,
    links: Links,
    /// Reset mails per address and per client IP, with the login throttle's limits.
    reset_throttle: LoginThrottle,
}

/// Checks the profile fields; every problem is reported beside its field.
pub fn parse_profile(
    input: &ProfileInput,
) -> Result<(String, Option<String>, String, Email), AppError> {
    let mut errors = Vec::new();
    let nickname = input.nickname.trim().to_string();
    if nickname.chars().count() > MAX_NICKNAME {
        errors.push(FieldError::new(
            "nickname",
            td_string!(
                app::locale::current(),
                errors.at_most_chars,
                n = MAX_NICKNAME
            )
            .to_string(),
        ));
    } else if nickname.chars().any(char::is_control) {
        errors.push(FieldError::new(
            "nickname",
            td_string!(app::locale::current(), errors.no_control_chars),
        ));
    }
    let avatar = input.avatar_url.trim();
    let avatar_url = if avatar.is_empty() {
        None
    } else if avatar.len() > MAX_AVATAR_URL {
        errors.push(FieldError::new(
            "avatar_url",
            td_string!(
                app::locale::current(),
                errors.at_most_chars,
                n = MAX_AVATAR_URL
            )
            .to_string(),
        ));
        None
    } else {
        match url::Url::parse(avatar) {
            Ok(url) if matches!(url.scheme(), "http" | "https") && url.host().is_some() => {
                Some(url.to_string())
            }
            _ => {
                errors.push(FieldError::new(
                    "avatar_url",
                    td_string!(app::locale::current(), errors.image_address),
                ));
                None
            }
        }
    };
    let bio = input.bio.trim().to_string();
    if bio.chars().count() > MAX_BIO {
        errors.push(FieldError::new(
            "bio",
            td_string!(app::locale::current(), errors.at_most_chars, n = MAX_BIO).to_string(),
        ));
    } else if bio.contains('\0') {
        // PostgreSQL's text cannot hold U+0000.
        errors.push(FieldError::new(
            "bio",
            td_string!(app::locale::current(), errors.no_nul),
        ));
    }
    let email = Email::parse(&input.email).map_err(|e| errors.push(e)).ok();
    match email {
        Some(email) if errors.is_empty() => Ok((nickname, avatar_url, bio, email)),
        _ => Err(AppError::Validation(errors)),
    }
}

fn profile_view(row: users::ProfileRow) -> ProfileView {
    ProfileView {
        nickname: row.nickname,
        avatar_url: row.avatar_url.unwrap_or_default(),
        bio: row.bio,
        email: row.email,
        email_verified: row.email_verified_at.is_some(),
    }
}

impl Lifecycle {
    pub fn new(
        db: Db,
        eviction: super::Eviction,
        session_absolute: std::time::Duration,
        links: Links,
        reset_throttle: LoginThrottle,
    ) -> Self {
        Self {
            db,
            registry: eviction.registry().clone(),
            eviction,
            session_absolute,
            links,
            reset_throttle,
        }
    }

    /// The session's user by the one session check, or `Unauthenticated`.
    async fn signed_in(&self, session: &Session) -> Result<users::UserRow, AppError> {
        crate::auth::actor::signed_in_user(session, &self.db, self.session_absolute)
            .await?
            .ok_or(AppError::Unauthenticated)
    }

    /// The reset link proves the mailbox, which nobody had before: the address counts as
    /// verified now, and third-party identities bound before that are dropped. Otherwise
    /// someone could open an account under another person's address through a provider, wait
    /// for the owner to reset the password and use it, and still sign in through the provider
    /// (account pre-hijacking). The owner can bind their own identities again.
    async fn claim_unverified_account(
        &self,
        user_id: i64,
        username: &str,
        now: chrono::DateTime<Utc>,
    ) -> Result<(), AppError> {
        // Identities go first and the address is marked verified last: if a step fails, the
        // next reset on the still-unverified address tries again.
        let dropped = crate::db::oauth::unbind_all(&self.db, user_id)
            .await
            .db_err("identity")?;
        if !dropped.is_empty() {
            self.audit_dropped_identities(user_id, username, &dropped)
                .await?;
        }
        users::set_email_verified(&self.db, user_id, now)
            .await
            .db_err("user")?;
        Ok(())
    }

    async fn audit_dropped_identities(
        &self,
        user_id: i64,
        username: &str,
        dropped: &[String],
    ) -> Result<(), AppError> {
        tracing::warn!(
            user_id,
            ?dropped,
            "identities bound before the address was verified dropped at password reset"
        );
        let entry = crate::db::audit::NewEntry {
            actor_id: Some(user_id),
            action: "custom",
            object_type: "user",
            object_id: user_id.to_string(),
            object_repr: username.to_string(),
            // Why, for the reader of the log: a password reset before the address was verified.
            changes: serde_json::json!({ "oauth_identities": { "from": dropped, "to": [] } })
                .to_string(),
            ip: None,
        };
        crate::db::audit::insert(&self.db, &entry)
            .await
            .db_err("audit log")
    }
}

#[async_trait]
impl AccountLifecycle for Lifecycle {
    async fn devices(&self, session: &Session) -> Result<Vec<DeviceView>, AppError> {
        let user = self.signed_in(session).await?;
        let current = session.id().map(|id| handle_of(&id.to_string()));
        Ok(self
            .registry
            .sessions_of(user.id)
            .await?
            .into_iter()
            .map(|s| DeviceView {
                current: current.as_deref() == Some(s.handle.as_str()),
                handle: s.handle,
                browser: s.browser,
                ip: s.ip,
                last_seen: s.last_seen,
            })
            .collect())
    }

    async fn sign_out_device(&self, user: &UserView, handle: &str) -> Result<(), AppError> {
        self.registry.end(user.id, Some(handle.trim())).await
    }

    async fn sign_out_everywhere(
        &self,
        session: &Session,
        including_this: bool,
    ) -> Result<(), AppError> {
        let user = self.signed_in(session).await?;
        // Tokens too: an API client signed in with a stolen password is "somewhere" as well.
        match (including_this, session.id()) {
            (false, Some(id)) => self.eviction.evict(user.id, Some(&id.to_string())).await,
            _ => {
                self.eviction.evict(user.id, None).await?;
                // The record is gone from the store; forget it here too so no save revives it.
                session
                    .flush()
                    .await
                    .map_err(|e| internal(e, "ending the session"))
            }
        }
    }

    async fn profile(&self, user: &UserView) -> Result<ProfileView, AppError> {
        let row = users::profile(&self.db, user.id)
            .await
            .db_err("user")?
            .ok_or(AppError::Unauthenticated)?;
        Ok(profile_view(row))
    }

    async fn update_profile(
        &self,
        user: &UserView,
        input: ProfileInput,
    ) -> Result<ProfileView, AppError> {
        let (nickname, avatar_url, bio, email) = parse_profile(&input)?;
        let before = users::profile(&self.db, user.id)
            .await
            .db_err("user")?
            .ok_or(AppError::Unauthenticated)?;
        match users::update_profile(
            &self.db,
            user.id,
            &nickname,
            avatar_url.as_deref(),
            &bio,
            email.as_str(),
        )
        .await
        {
            Ok(_) => {}
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
                return Err(AppError::Validation(vec![FieldError::new(
                    "email",
                    td_string!(app::locale::current(), errors.email_in_use),
                )]));
            }
            Err(e) => return Err(e).db_err("user"),
        }
        if !before.email.eq_ignore_ascii_case(email.as_str()) {
            // The address signs in and receives reset links: treat the change like a privilege
            // change (new session ids) and have the new address confirmed.
            self.registry.on_privilege_change(user.id).await;
            // Links mailed to the old address must not vouch for the new one: a reset or
            // verification link marks the *current* address verified.
            let now = Utc::now();
            for purpose in [Purpose::ResetPassword, Purpose::VerifyEmail] {
                email_tokens::retire(&self.db, user.id, purpose, now)
                    .await
                    .db_err("link")?;
            }
            self.links.send(user.id, Purpose::VerifyEmail);
            tracing::info!(user_id = user.id, "e-mail address changed");
        }
        let row = users::profile(&self.db, user.id)
            .await
            .db_err("user")?
            .ok_or(AppError::Internal)?;
        Ok(profile_view(row))
    }

    async fn send_verification(&self, user: &UserView) -> Result<(), AppError> {
        let row = users::profile(&self.db, user.id)
            .await
            .db_err("user")?
            .ok_or(AppError::Unauthenticated)?;
        if row.email_verified_at.is_some() {
            return Err(AppError::Conflict(
                td_string!(app::locale::current(), errors.already_verified).into(),
            ));
        }
        self.reset_throttle
            .begin(&format!("verify:{}", user.id), None)
            .await?;
        self.links.send(user.id, Purpose::VerifyEmail);
        Ok(())
    }

    async fn verify_email(&self, token: &str) -> Result<(), AppError> {
        let now = Utc::now();
        let user_id =
            email_tokens::consume(&self.db, Purpose::VerifyEmail, &hash_token(token), now)
                .await
                .db_err("link")?
                .ok_or_else(|| {
                    AppError::BadRequest(
                        td_string!(app::locale::current(), errors.link_invalid_account).into(),
                    )
                })?;
        users::set_email_verified(&self.db, user_id, now)
            .await
            .db_err("user")?;
        tracing::info!(user_id, "e-mail address verified");
        Ok(())
    }

    async fn request_password_reset(
        &self,
        meta: &RequestMeta,
        email: &str,
    ) -> Result<(), AppError> {
        let email = Email::parse(email).map_err(|e| AppError::Validation(vec![e]))?;
        let ip = meta.ip();
        // Every request counts, found or not: the limit is on mails asked for.
        self.reset_throttle
            .begin(email.as_str(), ip.as_deref())
            .await?;
        let user = users::find_by_login(&self.db, email.as_str())
            .await
            .db_err("user")?;
        if let Some(user) = user.filter(|u| u.is_active) {
            self.links.send(user.id, Purpose::ResetPassword);
        }
        Ok(())
    }

    async fn reset_password(&self, token: &str, password: String) -> Result<(), AppError> {
        let invalid =
            || AppError::BadRequest(td_string!(app::locale::current(), errors.link_invalid).into());
        let hash = hash_token(token);
        let now = Utc::now();
        // Check the policy before the token is spent, so a too-short password costs no new mail.
        let holder = email_tokens::holder(&self.db, Purpose::ResetPassword, &hash, now)
            .await
            .db_err("link")?
            .ok_or_else(invalid)?;
        let user = users::find_by_id(&self.db, holder)
            .await
            .db_err("user")?
            .ok_or_else(invalid)?;
        check_password(&password, &user.username).map_err(|e| AppError::Validation(vec![e]))?;
        let user_id = email_tokens::consume(&self.db, Purpose::ResetPassword, &hash, now)
            .await
            .db_err("link")?
            .ok_or_else(invalid)?;
        let new_hash = crate::auth::password::hash_password(password)
            .await
            .map_err(|e| internal(e, "hashing a password"))?;
        users::set_password(&self.db, user_id, &new_hash)
            .await
            .db_err("user")?;
        self.eviction.evict(user_id, None).await?;
        if user.email_verified_at.is_none() {
            self.claim_unverified_account(user_id, &user.username, now)
                .await?;
        }
        tracing::info!(user_id, "password reset by mailed link");
        Ok(())
    }
}
