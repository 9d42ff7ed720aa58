//! The OAuth service: the provider registry built from settings, the code exchange per dialect,
//! and what a confirmed identity leads to (sign in, bind, or wait for "finish sign-up"). The
//! pages' side of it is in `port.rs`.

use std::sync::Arc;

use app::domain::oauth::{OAuthFailure, Provider};
use app::dto::ProviderInfo;
use app::error::AppError;
use chrono::Utc;
use tower_sessions::Session;
use url::Url;

use super::client::{self, ExchangeError, ProviderIdentity};
use super::session::{Flow, Pending, PENDING_KEY};
use super::settings::{OAuthSettings, ProviderSettings};
use super::{github, qq, wechat, weibo};
use crate::accounts::Accounts;
use crate::db::{audit, oauth as identities, users, Db};
use crate::error::{internal, ResultExt};

#[derive(Clone)]
pub struct OAuth {
    pub(super) db: Db,
    pub(super) accounts: Accounts,
    pub(super) settings: Arc<OAuthSettings>,
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

    /// The application's metrics (the accounts service's), where provider sign-ins count.
    pub fn metrics(&self) -> &crate::metrics::Metrics {
        self.accounts.metrics()
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
        let id = identities::insert(&self.db, user_id, &new)
            .await
            .db_err("connected account")?;
        self.audit(user_id, "create", id, provider, None).await;
        tracing::info!(user_id, provider = provider.as_str(), "identity bound");
        Ok(())
    }

    /// Records a bind or unbind in the audit log (the provider's ids stay out of it). A failed
    /// write is logged and does not undo what the user did.
    pub(super) async fn audit(
        &self,
        user_id: i64,
        action: &str,
        identity_id: i64,
        provider: Provider,
        ip: Option<&str>,
    ) {
        let entry = audit::NewEntry {
            actor_id: Some(user_id),
            action,
            object_type: "oauth_identity",
            object_id: identity_id.to_string(),
            object_repr: provider.label().to_string(),
            changes: "{}".into(),
            ip,
        };
        if let Err(e) = audit::insert(&self.db, &entry).await {
            tracing::error!(error = %e, "writing the audit log");
        }
    }

    pub(super) fn info(provider: Provider) -> ProviderInfo {
        ProviderInfo {
            provider,
            label: provider.label().to_string(),
        }
    }

    pub(super) async fn pending_of(&self, session: &Session) -> Result<Pending, AppError> {
        Pending::load(session).await?.ok_or_else(|| {
            AppError::BadRequest(
                "this sign-in has expired; please start again from the sign-in page".into(),
            )
        })
    }

    pub(super) async fn finish(
        &self,
        session: &Session,
        user: &users::UserRow,
    ) -> Result<(), AppError> {
        session
            .remove_value(PENDING_KEY)
            .await
            .map_err(|e| internal(e, "writing the session"))?;
        self.accounts.sign_in(session, user, false).await
    }
}
