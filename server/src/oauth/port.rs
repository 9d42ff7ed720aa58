//! [`OAuth`] as the pages see it (`app::ports::OAuthService`): the provider list, the "finish
//! sign-up" forms (new account, or bind after the password) and the connected-accounts section.

use app::domain::account::{Email, Username};
use app::domain::oauth::{OAuthFailure, Provider};
use app::domain::RequestMeta;
use app::dto::{Connection, Connections, PendingIdentity, ProviderInfo, UserView};
use app::error::AppError;
use app::ports::OAuthService;
use async_trait::async_trait;
use tower_sessions::Session;

use super::service::OAuth;
use super::session::Pending;
use crate::accounts::taken_field;
use crate::db::{oauth as identities, users};
use crate::error::ResultExt;

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

    async fn pending(&self, session: &Session) -> Result<Option<PendingIdentity>, AppError> {
        Ok(Pending::load(session).await?.map(|p| PendingIdentity {
            provider: p.provider,
            label: p.provider.label().to_string(),
            display_name: p.display_name,
            avatar_url: p.avatar_url,
        }))
    }

    async fn finish_register(
        &self,
        session: &Session,
        username: String,
        email: String,
    ) -> Result<String, AppError> {
        let pending = self.pending_of(session).await?;
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
                let known = identities::find(
                    &self.db,
                    identity.provider,
                    identity.subject,
                    identity.openid,
                )
                .await
                .db_err("connected account")?;
                if known.is_some() {
                    return Err(connected_elsewhere(pending.provider));
                }
                let hint =
                    "an account with this e-mail exists; connect to it below with its password";
                let field = taken_field(&self.db, &username, hint).await?;
                return Err(AppError::Validation(vec![field]));
            }
            Err(e) => return Err(e).db_err("user"),
        };
        let user = users::find_by_id(&self.db, id)
            .await
            .db_err("user")?
            .ok_or(AppError::Internal)?;
        self.finish(session, &user).await?;
        tracing::info!(
            user_id = id,
            provider = pending.provider.as_str(),
            "account created through a provider"
        );
        Ok(pending.next)
    }

    async fn finish_bind(
        &self,
        session: &Session,
        meta: &RequestMeta,
        login: String,
        password: String,
    ) -> Result<String, AppError> {
        let pending = self.pending_of(session).await?;
        let ip = meta.ip();
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
                Ok(id) => {
                    self.audit(user.id, "create", id, pending.provider, ip.as_deref())
                        .await
                }
                Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
                    return Err(connected_elsewhere(pending.provider))
                }
                Err(e) => return Err(e).db_err("connected account"),
            },
        }
        self.finish(session, &user).await?;
        tracing::info!(
            user_id = user.id,
            provider = pending.provider.as_str(),
            "identity bound after a password check"
        );
        Ok(pending.next)
    }

    async fn connections(&self, me: &UserView) -> Result<Connections, AppError> {
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

    async fn unbind(&self, me: &UserView, meta: &RequestMeta, id: i64) -> Result<(), AppError> {
        match identities::unbind(&self.db, me.id, id)
            .await
            .db_err("connected account")?
        {
            identities::Unbind::Removed { provider } => {
                if let Some(provider) = Provider::parse(&provider) {
                    let ip = meta.ip();
                    self.audit(me.id, "delete", id, provider, ip.as_deref())
                        .await;
                }
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
