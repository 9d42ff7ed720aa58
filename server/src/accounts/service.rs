//! The account service behind the pages' server functions and the REST API's token grant.

use app::domain::account::{check_password, Email, Username, MAX_PASSWORD_CHARS};
use app::domain::RequestMeta;
use app::dto::{LoginInput, RegisterInput, UserView};
use app::error::{AppError, FieldError};
use app::i18n::td_string;
use app::ports::AccountService;
use async_trait::async_trait;
use chrono::Utc;
use tower_sessions::{Expiry, Session};

use super::throttle::LoginThrottle;
use crate::auth::{
    actor::{credential_mark, signed_in_user, SessionUser},
    password,
    session_store::USER_KEY,
};
use crate::config::AuthSettings;
use crate::db::{users, Db};
use crate::error::{internal, ResultExt};

#[derive(Clone)]
pub struct Accounts {
    db: Db,
    auth: AuthSettings,
    throttle: LoginThrottle,
    /// Mails the verification link after registration.
    links: Option<super::links::Links>,
    /// Ends the other sessions and every token after a password change.
    eviction: Option<super::Eviction>,
    /// Where sign-in attempts are counted.
    metrics: crate::metrics::Metrics,
}

impl Accounts {
    pub fn new(db: Db, auth: AuthSettings, throttle: LoginThrottle) -> Self {
        Self {
            db,
            auth,
            throttle,
            links: None,
            eviction: None,
            metrics: crate::metrics::Metrics::default(),
        }
    }

    pub fn with_metrics(self, metrics: crate::metrics::Metrics) -> Self {
        Self { metrics, ..self }
    }

    pub fn metrics(&self) -> &crate::metrics::Metrics {
        &self.metrics
    }

    pub fn with_eviction(self, eviction: super::Eviction) -> Self {
        Self {
            eviction: Some(eviction),
            ..self
        }
    }

    pub fn with_links(self, links: super::links::Links) -> Self {
        Self {
            links: Some(links),
            ..self
        }
    }

    /// Binds the user to the session under a fresh id: a session id known before sign-in (a
    /// fixation attempt) is worthless after it. Password and third-party sign-in both end here.
    pub(crate) async fn sign_in(
        &self,
        session: &Session,
        user: &users::UserRow,
        remember: bool,
    ) -> Result<(), AppError> {
        session
            .cycle_id()
            .await
            .map_err(|e| internal(e, "rotating the session id"))?;
        // The device record belongs to the previous user of this browser session, if any.
        session
            .remove_value(crate::auth::device::DEVICE_KEY)
            .await
            .map_err(|e| internal(e, "writing the session"))?;
        let stored = SessionUser {
            id: user.id,
            username: user.username.clone(),
            authenticated_at: Utc::now(),
            credential: Some(credential_mark(user.password_hash.as_deref())),
            locale: user.locale.clone(),
        };
        session
            .insert(USER_KEY, &stored)
            .await
            .map_err(|e| internal(e, "writing the session"))?;
        if remember {
            let until = time::OffsetDateTime::now_utc()
                + time::Duration::seconds(
                    i64::try_from(self.auth.session_absolute.as_secs()).unwrap_or(i64::MAX),
                );
            session.set_expiry(Some(Expiry::AtDateTime(until)));
        }
        users::touch_last_login(&self.db, user.id)
            .await
            .db_err("user")?;
        Ok(())
    }
}

impl Accounts {
    /// The one password check, for browser sign-in and API tokens alike: throttled before any
    /// hashing, one verification even for an unknown user, one answer for every failure.
    pub async fn check_credentials(
        &self,
        login: &str,
        password: String,
        ip: Option<&str>,
    ) -> Result<users::UserRow, AppError> {
        let checked = self.verify_credentials(login, password, ip).await;
        let outcome = match &checked {
            Ok(_) => "success",
            Err(AppError::RateLimited { .. }) => "throttled",
            Err(AppError::Validation(_)) => "failure",
            // The database or Redis away: not the caller's failure, and counted elsewhere.
            Err(_) => return checked,
        };
        self.metrics.sign_in("password", outcome);
        checked
    }

    async fn verify_credentials(
        &self,
        login: &str,
        password: String,
        ip: Option<&str>,
    ) -> Result<users::UserRow, AppError> {
        if login.trim().is_empty() || password.is_empty() {
            let mut errors = Vec::new();
            if login.trim().is_empty() {
                errors.push(FieldError::new(
                    "username",
                    td_string!(app::locale::current(), errors.enter_login),
                ));
            }
            if password.is_empty() {
                errors.push(FieldError::new(
                    "password",
                    td_string!(app::locale::current(), errors.enter_password),
                ));
            }
            return Err(AppError::Validation(errors));
        }
        let wrong = || {
            AppError::Validation(vec![FieldError::new(
                "password",
                td_string!(app::locale::current(), errors.wrong_credentials),
            )])
        };
        // No account has such a password (the policy caps it) or such a login (PostgreSQL text
        // cannot even hold a NUL): refuse before hashing megabytes or asking the database.
        if password.chars().count() > MAX_PASSWORD_CHARS
            || login.len() > 254
            || login.contains('\0')
        {
            return Err(wrong());
        }
        let user = users::find_by_login(&self.db, login).await.db_err("user")?;
        // One budget per account, whether it is named by its username or its e-mail (a typed
        // string would give each spelling its own five guesses).
        let counted = match &user {
            Some(user) => format!("#{}", user.id),
            None => login.to_string(),
        };
        self.throttle.begin(&counted, ip).await?;
        let stored = user.as_ref().and_then(|u| u.password_hash.clone());
        // Always one verification, so an unknown user costs the same time as a wrong password.
        let matches = password::verify_password(password, stored)
            .await
            .map_err(|e| internal(e, "verifying a password"))?;
        match user {
            Some(user) if matches && user.is_active => {
                self.throttle.succeeded(&counted, ip).await;
                Ok(user)
            }
            _ => Err(wrong()),
        }
    }

    /// The signed-in user of a browser session, by the one session check
    /// ([`signed_in_user`]).
    pub async fn session_user(
        &self,
        session: &Session,
    ) -> Result<Option<users::UserRow>, AppError> {
        signed_in_user(session, &self.db, self.auth.session_absolute).await
    }

    pub async fn user(&self, id: i64) -> Result<Option<UserView>, AppError> {
        Ok(users::find_by_id(&self.db, id)
            .await
            .db_err("user")?
            .filter(|u| u.is_active)
            .map(view))
    }
}

pub fn view(user: users::UserRow) -> UserView {
    UserView {
        id: user.id,
        username: user.username,
        email: user.email,
        nickname: user.nickname,
        avatar_url: user.avatar_url,
        is_staff: user.is_staff,
        is_superuser: user.is_superuser,
        email_verified: user.email_verified_at.is_some(),
        must_change_password: user.must_reset_password,
    }
}

#[async_trait]
impl AccountService for Accounts {
    async fn register(
        &self,
        session: &Session,
        input: RegisterInput,
    ) -> Result<UserView, AppError> {
        let mut errors = Vec::new();
        let username = Username::parse(&input.username)
            .map_err(|e| errors.push(e))
            .ok();
        let email = Email::parse(&input.email).map_err(|e| errors.push(e)).ok();
        if let Err(e) = check_password(
            &input.password,
            username.as_ref().map(Username::as_str).unwrap_or(""),
        ) {
            errors.push(e);
        }
        let (Some(username), Some(email), true) = (username, email, errors.is_empty()) else {
            return Err(AppError::Validation(errors));
        };
        let hash = password::hash_password(input.password)
            .await
            .map_err(|e| internal(e, "hashing a password"))?;
        let new = users::NewUser {
            username: username.as_str(),
            email: email.as_str(),
            password_hash: Some(&hash),
            is_staff: false,
            is_superuser: false,
        };
        let id = match users::insert(&self.db, &new).await {
            Ok(id) => id,
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
                let hint = td_string!(app::locale::current(), errors.email_taken_sign_in);
                let field = taken_field(&self.db, &username, hint).await?;
                return Err(AppError::Validation(vec![field]));
            }
            Err(e) => return Err(e).db_err("user"),
        };
        // The language the page was in when they registered: their mails start in it.
        users::set_locale(&self.db, id, app::locale::current().as_str())
            .await
            .db_err("user")?;
        let user = users::find_by_id(&self.db, id)
            .await
            .db_err("user")?
            .ok_or(AppError::Internal)?;
        self.sign_in(session, &user, false).await?;
        if let Some(links) = &self.links {
            links.send(id, crate::db::email_tokens::Purpose::VerifyEmail);
        }
        tracing::info!(user_id = id, "account registered");
        Ok(view(user))
    }

    async fn login(
        &self,
        session: &Session,
        meta: &RequestMeta,
        input: LoginInput,
    ) -> Result<UserView, AppError> {
        let user = self
            .check_credentials(&input.login, input.password, meta.ip().as_deref())
            .await?;
        self.sign_in(session, &user, input.remember).await?;
        tracing::info!(user_id = user.id, "signed in");
        Ok(view(user))
    }

    async fn logout(&self, session: &Session) -> Result<(), AppError> {
        // Deleting the record in the shared store ends this session on every instance.
        session
            .flush()
            .await
            .map_err(|e| internal(e, "ending the session"))
    }

    async fn change_password(
        &self,
        session: &Session,
        meta: &RequestMeta,
        current: String,
        new: String,
    ) -> Result<(), AppError> {
        let stored = self
            .session_user(session)
            .await?
            .ok_or(AppError::Unauthenticated)?;
        check_password(&new, &stored.username)
            .map_err(|e| AppError::Validation(vec![FieldError::new("new_password", e.message)]))?;
        let user = self
            .check_credentials(&stored.username, current, meta.ip().as_deref())
            .await
            .map_err(|e| match e {
                AppError::Validation(_) => AppError::Validation(vec![FieldError::new(
                    "current_password",
                    td_string!(app::locale::current(), errors.not_current_password),
                )]),
                other => other,
            })?;
        let hash = password::hash_password(new)
            .await
            .map_err(|e| internal(e, "hashing a password"))?;
        users::set_password(&self.db, user.id, &hash)
            .await
            .db_err("user")?;
        // Whoever held the old password may hold tokens, other sessions or this session's id:
        // end them all but this browser, which gets a new id.
        match (&self.eviction, session.id()) {
            (Some(eviction), Some(id)) => eviction.evict(user.id, Some(&id.to_string())).await?,
            _ => {
                crate::db::tokens::revoke_user(&self.db, user.id, Utc::now())
                    .await
                    .db_err("refresh token")?;
            }
        }
        // This browser stays signed in: its session now carries the new password's mark.
        if let Some(mut me) = session
            .get::<SessionUser>(USER_KEY)
            .await
            .map_err(|e| internal(e, "reading the session"))?
        {
            me.credential = Some(credential_mark(Some(&hash)));
            session
                .insert(USER_KEY, &me)
                .await
                .map_err(|e| internal(e, "writing the session"))?;
        }
        session
            .cycle_id()
            .await
            .map_err(|e| internal(e, "rotating the session id"))?;
        tracing::info!(user_id = user.id, "password changed");
        Ok(())
    }

    async fn current_user(&self, session: &Session) -> Result<Option<UserView>, AppError> {
        let user = signed_in_user(session, &self.db, self.auth.session_absolute).await?;
        Ok(user.map(view))
    }
}

/// After a new account hit a unique constraint: which of its username and e-mail is taken,
/// with `email_hint` as the e-mail's message. Saying which leaks nothing: both are public facts
/// on a course site.
pub(crate) async fn taken_field(
    db: &Db,
    username: &Username,
    email_hint: &str,
) -> Result<FieldError, AppError> {
    let taken = users::find_by_login(db, username.as_str())
        .await
        .db_err("user")?
        .is_some();
    Ok(if taken {
        FieldError::new(
            "username",
            td_string!(app::locale::current(), errors.username_taken),
        )
    } else {
        FieldError::new("email", email_hint)
    })
}
