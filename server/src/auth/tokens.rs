//! Token pairs for API clients: short-lived access JWTs plus opaque refresh tokens that rotate.
//!
//! This service owns the refresh-token life cycle (issue, single-use rotation, reuse detection,
//! revocation) and the revocation check on access tokens; signing and verifying belong to
//! [`super::jwt`], rows to [`crate::db::tokens`]. The REST handlers call it. Whatever a client
//! gets wrong answers `Unauthenticated`, never which check failed; tokens are never logged.

use std::{fmt, fmt::Write as _, sync::Arc, time::Duration};

use app::error::AppError;
use aws_lc_rs::digest;
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use chrono::{DateTime, TimeDelta, Utc};
use serde::Serialize;

use super::jwt::{Claims, IssuedAccess, JwtKeys};
use crate::{
    db::{self, tokens::NewRefreshToken, Db},
    error::{internal, ResultExt},
};

use super::revoked::{RevokedIds, PURGE_MARGIN};

/// How many verified tokens are remembered: enough for every active API client of a busy
/// instance; beyond it the least used are verified again.
const VERIFIED_CAPACITY: u64 = 20_000;

/// The OAuth 2.0 token response (RFC 6749 §5.1).
#[derive(Clone, Serialize)]
pub struct TokenPair {
    pub access_token: String,
    pub refresh_token: String,
    pub token_type: &'static str,
    pub expires_in: u64,
}

impl TokenPair {
    fn new(access: IssuedAccess, refresh_token: String) -> Self {
        TokenPair {
            access_token: access.token,
            refresh_token,
            token_type: "Bearer",
            expires_in: access.expires_in,
        }
    }
}

impl fmt::Debug for TokenPair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenPair")
            .field("expires_in", &self.expires_in)
            .finish_non_exhaustive()
    }
}

#[derive(Clone)]
pub struct TokenService {
    db: Db,
    keys: Arc<JwtKeys>,
    refresh_ttl: TimeDelta,
    revoked: RevokedIds,
    /// Tokens whose signature and claims already checked out, by their exact text: RS256
    /// verification costs more than the rest of a small API request, and a client sends the
    /// same token for its whole life. Only `exp` depends on the clock, so it is checked again
    /// on every use; anything else about the same bytes gives the same answer.
    verified: moka::future::Cache<String, Claims>,
    /// Where issues, refreshes, reuse detections and revocations are counted.
    metrics: crate::metrics::Metrics,
}

impl fmt::Debug for TokenService {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenService")
            .field("keys", &self.keys)
            .finish_non_exhaustive()
    }
}

impl TokenService {
    pub fn new(db: Db, keys: Arc<JwtKeys>, refresh_ttl: Duration) -> Self {
        let refresh_ttl = TimeDelta::from_std(refresh_ttl).unwrap_or(TimeDelta::MAX);
        TokenService {
            revoked: RevokedIds::new(db.clone()),
            db,
            keys,
            refresh_ttl,
            verified: moka::future::Cache::builder()
                .max_capacity(VERIFIED_CAPACITY)
                .time_to_idle(Duration::from_secs(15 * 60))
                .build(),
            metrics: crate::metrics::Metrics::default(),
        }
    }

    pub fn with_metrics(self, metrics: crate::metrics::Metrics) -> Self {
        Self { metrics, ..self }
    }

    pub fn keys(&self) -> &JwtKeys {
        &self.keys
    }

    /// A new login of `user`, whose password was just checked: a new refresh-token family.
    ///
    /// A password change (or deactivation) may land between that check and this issue, after
    /// the change has revoked everything that existed: then the pair issued here would outlive
    /// it. So the access token is signed first, the refresh row written, and the account read
    /// again: if the password or the active flag moved meanwhile, the family is revoked and the
    /// login refused. If they had not moved yet, the change comes later and revokes both (the
    /// access token is older than its mark).
    #[tracing::instrument(name = "tokens.issue_pair", skip_all, fields(user_id = user.id))]
    pub async fn issue_pair(&self, user: &db::users::UserRow) -> Result<TokenPair, AppError> {
        let access = self.access(user.id, &user.username)?;
        let family_id = uuid::Uuid::new_v4().to_string();
        let (raw, hash) = new_refresh_secret()?;
        let row = self.next_row(user.id, &family_id, &hash, Utc::now());
        db::tokens::insert(&self.db, &row)
            .await
            .db_err("refresh token")?;
        let now = db::users::find_by_id(&self.db, user.id)
            .await
            .db_err("user")?;
        let unchanged = now.is_some_and(|u| u.is_active && u.password_hash == user.password_hash);
        if !unchanged {
            db::tokens::revoke_family(&self.db, &family_id, Utc::now())
                .await
                .db_err("refresh token")?;
            tracing::info!("token pair refused: the password changed during the sign-in");
            return Err(AppError::Unauthenticated);
        }
        self.metrics.token("issued");
        Ok(TokenPair::new(access, raw))
    }

    /// Spends a refresh token for a new pair. A token presented a second time was copied, so the
    /// whole family is revoked: the thief and the victim both have to sign in again.
    #[tracing::instrument(name = "tokens.refresh", skip_all, fields(user_id))]
    pub async fn refresh(&self, raw: &str) -> Result<TokenPair, AppError> {
        let now = Utc::now();
        let row = db::tokens::find_by_hash(&self.db, &hash(raw))
            .await
            .db_err("refresh token")?
            .ok_or(AppError::Unauthenticated)?;
        tracing::Span::current().record("user_id", row.user_id);
        if row.revoked_at.is_some() || row.revoked_in_family > 0 {
            return Err(AppError::Unauthenticated);
        }
        if row.used_at.is_some() {
            return Err(self.reuse_detected(&row.family_id, now).await);
        }
        if row.expires_at <= now {
            return Err(AppError::Unauthenticated);
        }
        // The current username, and no new tokens for a deactivated or deleted account.
        let user = db::users::find_by_id(&self.db, row.user_id)
            .await
            .db_err("user")?
            .filter(|u| u.is_active)
            .ok_or(AppError::Unauthenticated)?;
        let (next_raw, next_hash) = new_refresh_secret()?;
        let next = self.next_row(row.user_id, &row.family_id, &next_hash, now);
        if !db::tokens::rotate(&self.db, row.id, now, &next)
            .await
            .db_err("refresh token")?
        {
            // Another request spent it between our read and our update: that is reuse too.
            return Err(self.reuse_detected(&row.family_id, now).await);
        }
        let pair = TokenPair::new(self.access(user.id, &user.username)?, next_raw);
        self.metrics.token("refreshed");
        Ok(pair)
    }

    /// Sign-out (RFC 7009): ends the refresh token's family and/or blocks an access token until
    /// it expires. Unknown tokens are not an error: there is nothing left to revoke.
    #[tracing::instrument(name = "tokens.revoke", skip_all)]
    pub async fn revoke(
        &self,
        raw_refresh: Option<&str>,
        access_jti: Option<(&str, DateTime<Utc>)>,
    ) -> Result<(), AppError> {
        let now = Utc::now();
        if let Some(raw) = raw_refresh {
            let row = db::tokens::find_by_hash(&self.db, &hash(raw))
                .await
                .db_err("refresh token")?;
            if let Some(row) = row {
                db::tokens::revoke_family(&self.db, &row.family_id, now)
                    .await
                    .db_err("refresh token")?;
            }
        }
        if let Some((jti, expires_at)) = access_jti {
            if expires_at > now - PURGE_MARGIN {
                self.revoke_jti(jti, expires_at).await?;
            }
        }
        self.metrics.token("revoked");
        Ok(())
    }

    /// Ends every refresh-token family of a user (password change, "sign out everywhere").
    /// Access tokens already issued lapse within their short lifetime.
    #[tracing::instrument(name = "tokens.revoke_all", skip(self))]
    pub async fn revoke_all(&self, user_id: i64) -> Result<u64, AppError> {
        db::tokens::revoke_user(&self.db, user_id, Utc::now())
            .await
            .db_err("refresh token")
    }

    /// The claims of a valid, unrevoked access token. Takes the token with or without `Bearer `.
    #[tracing::instrument(name = "tokens.authenticate", skip_all)]
    pub async fn authenticate(&self, bearer: &str) -> Result<Claims, AppError> {
        let bearer = bearer.trim();
        // The auth scheme is case-insensitive (RFC 7235 §2.1).
        let token = match bearer.get(..7) {
            Some(scheme) if scheme.eq_ignore_ascii_case("bearer ") => bearer[7..].trim_start(),
            _ => bearer,
        };
        let claims = self.verified_claims(token).await?;
        let mark = issued_before_mark(claims.user_id);
        let [jti, user] = self.revoked.expiry_of(&[&claims.jti, &mark]).await?;
        if jti.is_some() {
            tracing::debug!("access token refused: revoked");
            return Err(AppError::Unauthenticated);
        }
        let lifetime_ms = self.keys.access_ttl().num_milliseconds();
        if user.is_some_and(|until| {
            claims.issued_ms().saturating_add(lifetime_ms) < until.timestamp_millis()
        }) {
            tracing::debug!("access token refused: issued before its user was signed out");
            return Err(AppError::Unauthenticated);
        }
        Ok(claims)
    }

    /// Refuses every access token of the user issued until now, on every instance ("sign out
    /// everywhere", a new password, a deactivation). Tokens carry no server-side record, so the
    /// user gets a mark, kept as a revoked id whose expiry is `now + lifetime`, as long as the
    /// last such token could live: a token is refused when its issue time (`iat_ms`) plus the
    /// lifetime falls before the mark, i.e. it was issued before now.
    #[tracing::instrument(name = "tokens.revoke_issued_before", skip(self))]
    pub async fn revoke_issued_before_now(&self, user_id: i64) -> Result<(), AppError> {
        let until = Utc::now()
            .checked_add_signed(self.keys.access_ttl())
            .unwrap_or(DateTime::<Utc>::MAX_UTC);
        self.revoke_jti(&issued_before_mark(user_id), until).await
    }

    /// Housekeeping for a periodic job; returns the rows removed.
    #[tracing::instrument(name = "tokens.purge_expired", skip(self))]
    pub async fn purge_expired(&self) -> Result<u64, AppError> {
        db::tokens::purge_expired(&self.db, Utc::now() - PURGE_MARGIN)
            .await
            .db_err("token")
    }

    /// Keeps revoked access-token ids in Redis under `prefix` instead of the database, shared
    /// with every instance on the same Redis.
    pub fn with_redis(mut self, redis: crate::redis::Redis, prefix: &str) -> Self {
        self.revoked = RevokedIds::with_redis(self.db.clone(), redis, prefix);
        self
    }

    /// Whether revoked ids are answered from memory right now (see [`RevokedIds`]).
    pub fn revocations_in_memory(&self) -> bool {
        self.revoked.is_complete()
    }

    async fn revoke_jti(&self, jti: &str, expires_at: DateTime<Utc>) -> Result<(), AppError> {
        self.revoked.revoke(jti, expires_at).await
    }

    async fn verified_claims(&self, token: &str) -> Result<Claims, AppError> {
        if let Some(claims) = self.verified.get(token).await {
            if !JwtKeys::has_expired(&claims, Utc::now()) {
                return Ok(claims);
            }
            self.verified.invalidate(token).await;
            tracing::debug!("access token refused: expired");
            return Err(AppError::Unauthenticated);
        }
        let claims = self.keys.verify(token).map_err(|reason| {
            tracing::debug!(%reason, "access token refused");
            AppError::Unauthenticated
        })?;
        self.verified
            .insert(token.to_string(), claims.clone())
            .await;
        Ok(claims)
    }

    async fn reuse_detected(&self, family_id: &str, now: DateTime<Utc>) -> AppError {
        tracing::warn!(family_id, "refresh token reused; revoking its family");
        self.metrics.token("reuse_detected");
        match db::tokens::revoke_family(&self.db, family_id, now)
            .await
            .db_err("refresh token")
        {
            Ok(_) => AppError::Unauthenticated,
            Err(err) => err,
        }
    }

    fn next_row<'a>(
        &self,
        user_id: i64,
        family_id: &'a str,
        token_hash: &'a str,
        now: DateTime<Utc>,
    ) -> NewRefreshToken<'a> {
        NewRefreshToken {
            user_id,
            family_id,
            token_hash,
            // Each rotation restarts the lifetime: a client in daily use stays signed in.
            expires_at: now
                .checked_add_signed(self.refresh_ttl)
                .unwrap_or(DateTime::<Utc>::MAX_UTC),
        }
    }

    fn access(&self, user_id: i64, username: &str) -> Result<IssuedAccess, AppError> {
        self.keys
            .issue(user_id, username)
            .map_err(|e| internal(e, "cannot sign an access token"))
    }
}

/// The revoked-id entry of [`TokenService::revoke_issued_before_now`]; a `jti` is a UUID, so
/// the two never meet.
fn issued_before_mark(user_id: i64) -> String {
    format!("user:{user_id}")
}

/// 32 random bytes, base64url for the client, SHA-256 hex for the database.
fn new_refresh_secret() -> Result<(String, String), AppError> {
    let mut bytes = [0u8; 32];
    aws_lc_rs::rand::fill(&mut bytes).map_err(|e| internal(e, "no randomness for a token"))?;
    let raw = URL_SAFE_NO_PAD.encode(bytes);
    let hash = hash(&raw);
    Ok((raw, hash))
}

fn hash(raw: &str) -> String {
    let digest = digest::digest(&digest::SHA256, raw.as_bytes());
    digest
        .as_ref()
        .iter()
        .fold(String::with_capacity(64), |mut hex, b| {
            let _ = write!(hex, "{b:02x}");
            hex
        })
}
