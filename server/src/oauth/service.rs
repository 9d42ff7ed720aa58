//! The OAuth service: the provider registry built from settings, the code exchange per dialect,
//! and the account side (sign in, bind, create, unbind) shared by the redirect handlers and the
//! pages' server functions.

use std::sync::Arc;

use app::domain::account::{Email, Username};
use app::domain::oauth::{OAuthFailure, Provider};
use app::dto::{Connection, Connections, PendingIdentity, ProviderInfo};
use app::error::{AppError, FieldError};
use app::ports::{AccountService, OAuthService};
use async_trait::async_trait;
use chrono::Utc;
use tower_sessions::Session;
use url::Url;

use super::client::{self, ExchangeError, ProviderIdentity};
use super::session::{Flow, Pending, PENDING_KEY};
use super::settings::{OAuthSettings, ProviderSettings};
use super::{github, qq, wechat, weibo};
use crate::accounts::{peer_ip, Accounts};
use crate::db::{oauth as identities, users, Db};
use crate::error::{internal, ResultExt};

#[derive(Clone)]
pub struct OAuth {
    db: Db,
    accounts: Accounts,
    settings: Arc<OAuthSettings>,
    http: reqwest::Client,
    public_url: Url,
}

/// How a confirmed identity was put to use.
pub enum Outcome {
    /// Signed in as the identity's account.
    SignedIn { next: String },
    /// Added to the signed-in account.
    Bound,
    /// Unknown identity, waiting in the session for "create" or "bind".
    Pending,
}

impl OAuth {
    pub fn new(
        db: Db,
        accounts: Accounts,
        settings: OAuthSettings,
        public_url: Url,
    ) -> anyhow::Result<Self> {
        Ok(Self {
            db,
            accounts,
            settings: Arc::new(settings),
            http: client::http_client()?,
            public_url,
        })
    }

    pub fn provider(&self, provider: Provider) -> Option<&ProviderSettings> {
        self.settings.get(provider)
    }

    /// `PUBLIC_URL` + `/auth/oauth/{provider}/callback`: the one address registered with the
    /// provider, sent identically in the authorize and token calls.
    pub fn redirect_uri(&self, provider: Provider) -> Url {
        let path = format!("auth/oauth/{}/callback", provider.as_str());
        let mut base = self.public_url.clone();
        if !base.path().ends_with('/') {
            base.set_path(&format!("{}/", base.path()));
        }
        base.join(&path).unwrap_or_else(|_| self.public_url.clone())
    }

    /// Trades the code for the identity, in the provider's dialect.
    pub async fn exchange(
        &self,
        flow: &Flow,
        code: &str,
    ) -> Result<ProviderIdentity, ExchangeError> {
        let settings = self
            .provider(flow.provider)
            .ok_or_else(|| ExchangeError::unreadable("configuration"))?;
        let redirect_uri = self.redirect_uri(flow.provider);
        match flow.provider {
            Provider::Github => {
                github::exchange(
                    &self.http,
                    settings,
                    &redirect_uri,
                    code,
                    flow.pkce_verifier.as_deref(),
                )
                .await
            }
            Provider::Qq => qq::exchange(&self.http, settings, &redirect_uri, code).await,
            Provider::Wechat => wechat::exchange(&self.http, settings, code, flow.wechat_mp).await,
            Provider::Weibo => weibo::exchange(&self.http, settings, &redirect_uri, code).await,
        }
    }

    /// What to do with a confirmed identity: bind it to `bind_user`, sign in its account, or
    /// park it in the session for the "finish sign-up" page.
    pub async fn complete(
        &self,
        session: &Session,
        flow: &Flow,
        identity: ProviderIdentity,
    ) -> Result<Result<Outcome, OAuthFailure>, AppError> {
        let provider = flow.provider.as_str();
        let known = identities::find(&self.db, provider, identity.subject(), &identity.openid)
            .await
            .db_err("connected account")?;
        if let Some(row) = &known {
            identities::refresh(
                &self.db,
                row.id,
                identity.subject(),
                identity.unionid.as_deref(),
                &identity.display_name,
                identity.avatar_url.as_deref(),
            )
            .await
            .db_err("connected account")?;
        }
        if let Some(user_id) = flow.bind_user {
            return match known {
                Some(row) if row.user_id != user_id => Ok(Err(OAuthFailure::BoundElsewhere)),
                Some(_) => Ok(Ok(Outcome::Bound)),
                None => match self.bind(user_id, flow.provider, &identity).await {
                    Ok(()) => Ok(Ok(Outcome::Bound)),
                    Err(AppError::Conflict(_)) => Ok(Err(OAuthFailure::BoundElsewhere)),
                    Err(e) => Err(e),
                },
            };
        }
        if let Some(row) = known {
            let user = users::find_by_id(&self.db, row.user_id)
                .await
                .db_err("user")?
                .filter(|u| u.is_active);
            let Some(user) = user else {
                return Ok(Err(OAuthFailure::AccountDisabled));
            };
            self.accounts.sign_in(session, &user, false).await?;
            tracing::info!(user_id = user.id, provider, "signed in through a provider");
            return Ok(Ok(Outcome::SignedIn {
                next: flow.next.clone(),
            }));
        }
        let pending = Pending {
            provider: flow.provider,
            openid: identity.openid,
            unionid: identity.unionid,
            display_name: identity.display_name,
            avatar_url: identity.avatar_url,
            next: flow.next.clone(),
            confirmed_at: Utc::now(),
        };
        session
            .insert(PENDING_KEY, &pending)
            .await
            .map_err(|e| internal(e, "writing the session"))?;
        Ok(Ok(Outcome::Pending))
    }

    async fn bind(
        &self,
        user_id: i64,
        provider: Provider,
        identity: &ProviderIdentity,
    ) -> Result<(), AppError> {
        let new = identities::NewIdentity {
            provider: provider.as_str(),
            subject: identity.subject(),
            openid: &identity.openid,
            unionid: identity.unionid.as_deref(),
            display_name: &identity.display_name,
            avatar_url: identity.avatar_url.as_deref(),
        };
        identities::insert(&self.db, user_id, &new)
            .await
            .db_err("connected account")?;
        tracing::info!(user_id, provider = provider.as_str(), "identity bound");
        Ok(())
    }

    fn info(provider: Provider) -> ProviderInfo {
        ProviderInfo {
            provider,
            label: provider.label().to_string(),
        }
    }

    async fn pending_of(&self, session: &Session) -> Result<Pending, AppError> {
        Pending::load(session).await?.ok_or_else(|| {
            AppError::BadRequest(
                "this sign-in has expired; please start again from the sign-in page".into(),
            )
        })
    }

    async fn finish(&self, session: &Session, user: &users::UserRow) -> Result<(), AppError> {
        session
            .remove_value(PENDING_KEY)
            .await
            .map_err(|e| internal(e, "writing the session"))?;
        self.accounts.sign_in(session, user, false).await
    }
}

fn session_of(request: &http::request::Parts) -> Result<Session, AppError> {
    request.extensions.get::<Session>().cloned().ok_or_else(|| {
        tracing::error!("no session layer in front of an OAuth call");
        AppError::Internal
    })
}

fn connected_elsewhere(provider: Provider) -> AppError {
    AppError::Conflict(OAuthFailure::BoundElsewhere.message(Some(provider)))
}

#[async_trait]
impl OAuthService for OAuth {
    fn providers(&self) -> Vec<ProviderInfo> {
        self.settings
            .providers
            .iter()
            .map(|p| Self::info(p.provider))
            .collect()
    }

    async fn pending(
        &self,
        request: &http::request::Parts,
    ) -> Result<Option<PendingIdentity>, AppError> {
        Ok(Pending::load(&session_of(request)?)
            .await?
            .map(|p| PendingIdentity {
                provider: p.provider,
                label: p.provider.label().to_string(),
                display_name: p.display_name,
                avatar_url: p.avatar_url,
            }))
    }

    async fn finish_register(
        &self,
        request: &http::request::Parts,
        username: String,
        email: String,
    ) -> Result<String, AppError> {
        let session = session_of(request)?;
        let pending = self.pending_of(&session).await?;
        let mut errors = Vec::new();
        let username = Username::parse(&username).map_err(|e| errors.push(e)).ok();
        let email = Email::parse(&email).map_err(|e| errors.push(e)).ok();
        let (Some(username), Some(email)) = (username, email) else {
            return Err(AppError::Validation(errors));
        };
        let user = users::NewUser {
            username: username.as_str(),
            email: email.as_str(),
            password_hash: None,
            is_staff: false,
            is_superuser: false,
        };
        let identity = pending.identity();
        let id = match identities::create_user_with_identity(&self.db, &user, &identity).await {
            Ok(id) => id,
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
                let field = if identities::find(
                    &self.db,
                    identity.provider,
                    identity.subject,
                    identity.openid,
                )
                .await
                .db_err("connected account")?
                .is_some()
                {
                    return Err(connected_elsewhere(pending.provider));
                } else if users::find_by_login(&self.db, username.as_str())
                    .await
                    .db_err("user")?
                    .is_some()
                {
                    FieldError::new("username", "this username is taken")
                } else {
                    FieldError::new(
                        "email",
                        "an account with this e-mail exists; connect to it below with its password",
                    )
                };
                return Err(AppError::Validation(vec![field]));
            }
            Err(e) => return Err(e).db_err("user"),
        };
        let user = users::find_by_id(&self.db, id)
            .await
            .db_err("user")?
            .ok_or(AppError::Internal)?;
        self.finish(&session, &user).await?;
        tracing::info!(
            user_id = id,
            provider = pending.provider.as_str(),
            "account created through a provider"
        );
        Ok(pending.next)
    }

    async fn finish_bind(
        &self,
        request: &http::request::Parts,
        login: String,
        password: String,
    ) -> Result<String, AppError> {
        let session = session_of(request)?;
        let pending = self.pending_of(&session).await?;
        let ip = peer_ip(&request.extensions);
        let user = self
            .accounts
            .check_credentials(&login, password, ip.as_deref())
            .await
            .map_err(|e| match e {
                // This form names its login field `login`.
                AppError::Validation(errors) => AppError::Validation(
                    errors
                        .into_iter()
                        .map(|mut f| {
                            if f.field == "username" {
                                f.field = "login".into();
                            }
                            f
                        })
                        .collect(),
                ),
                other => other,
            })?;
        let identity = pending.identity();
        let known = identities::find(
            &self.db,
            identity.provider,
            identity.subject,
            identity.openid,
        )
        .await
        .db_err("connected account")?;
        match known {
            Some(row) if row.user_id != user.id => {
                return Err(connected_elsewhere(pending.provider))
            }
            Some(_) => {}
            None => match identities::insert(&self.db, user.id, &identity).await {
                Ok(()) => {}
                Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
                    return Err(connected_elsewhere(pending.provider))
                }
                Err(e) => return Err(e).db_err("connected account"),
            },
        }
        self.finish(&session, &user).await?;
        tracing::info!(
            user_id = user.id,
            provider = pending.provider.as_str(),
            "identity bound after a password check"
        );
        Ok(pending.next)
    }

    async fn connections(&self, request: &http::request::Parts) -> Result<Connections, AppError> {
        let me = self
            .accounts
            .current_user(request)
            .await?
            .ok_or(AppError::Unauthenticated)?;
        let has_password = users::find_by_id(&self.db, me.id)
            .await
            .db_err("user")?
            .is_some_and(|u| u.password_hash.is_some());
        let bound: Vec<Connection> = identities::list_for_user(&self.db, me.id)
            .await
            .db_err("connected account")?
            .into_iter()
            .filter_map(|row| {
                let provider = Provider::parse(&row.provider)?;
                Some(Connection {
                    id: row.id,
                    provider,
                    label: provider.label().to_string(),
                    display_name: row.display_name,
                    created_at: row.created_at,
                })
            })
            .collect();
        let available = self
            .providers()
            .into_iter()
            .filter(|p| !bound.iter().any(|b| b.provider == p.provider))
            .collect();
        Ok(Connections {
            bound,
            available,
            has_password,
        })
    }

    async fn unbind(&self, request: &http::request::Parts, id: i64) -> Result<(), AppError> {
        let me = self
            .accounts
            .current_user(request)
            .await?
            .ok_or(AppError::Unauthenticated)?;
        match identities::unbind(&self.db, me.id, id)
            .await
            .db_err("connected account")?
        {
            identities::Unbind::Removed => {
                tracing::info!(user_id = me.id, "identity unbound");
                Ok(())
            }
            identities::Unbind::NotFound => Err(AppError::NotFound("connected account".into())),
            identities::Unbind::LastLoginMethod => Err(AppError::Conflict(
                "this is the only way to sign in to your account: connect another account or set a password first"
                    .into(),
            )),
        }
    }
}
