//! What a sign-in through a provider keeps in the session between requests: the flow started
//! here (its `state`, PKCE verifier and where to go next) and, after the callback, an identity
//! that is not tied to an account yet. Both expire, and both are read only on this server side.

use app::domain::oauth::Provider;
use app::error::AppError;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq;
use tower_sessions::Session;

use crate::db::oauth::NewIdentity;
use crate::error::internal;

/// The sign-ins started in this session and not finished yet: a list, so that two tabs (or a
/// second try before the first came back) do not cancel each other.
pub const FLOWS_KEY: &str = "oauth_flows";
pub const PENDING_KEY: &str = "oauth_pending";

/// A person has this long at the provider before the `state` is worthless.
const FLOW_TTL_MINUTES: i64 = 10;
/// At most this many open sign-ins per session; starting another forgets the oldest.
const MAX_OPEN_FLOWS: usize = 5;
/// …and this long on the "finish sign-up" page.
const PENDING_TTL_MINUTES: i64 = 30;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Flow {
    pub provider: Provider,
    pub state: String,
    pub pkce_verifier: Option<String>,
    /// A local path, checked when the flow starts.
    pub next: String,
    /// The signed-in user when the flow started: the identity is bound to this account.
    pub bind_user: Option<i64>,
    /// WeChat's in-app-browser flow (its own appid).
    pub wechat_mp: bool,
    pub started_at: DateTime<Utc>,
}

impl Flow {
    /// Adds this flow to the session's open ones, dropping expired ones and the oldest beyond
    /// [`MAX_OPEN_FLOWS`].
    pub async fn save(&self, session: &Session) -> Result<(), AppError> {
        let mut flows = open_flows(session).await?;
        flows.retain(Flow::is_fresh);
        while flows.len() >= MAX_OPEN_FLOWS {
            flows.remove(0);
        }
        flows.push(self.clone());
        session
            .insert(FLOWS_KEY, flows)
            .await
            .map_err(|e| internal(e, "writing the session"))
    }

    /// Takes the flow carrying this `state` out of the session (a `state` is good for one
    /// callback) and returns it only if it belongs to `provider` and is recent.
    pub async fn take_matching(
        session: &Session,
        provider: Provider,
        state: Option<&str>,
    ) -> Result<Option<Flow>, AppError> {
        let Some(state) = state else {
            return Ok(None);
        };
        let mut flows = open_flows(session).await?;
        let Some(index) = flows
            .iter()
            .position(|flow| bool::from(flow.state.as_bytes().ct_eq(state.as_bytes())))
        else {
            return Ok(None);
        };
        let flow = flows.remove(index);
        let written = if flows.is_empty() {
            session.remove::<Vec<Flow>>(FLOWS_KEY).await.map(|_| ())
        } else {
            session.insert(FLOWS_KEY, flows).await
        };
        written.map_err(|e| internal(e, "writing the session"))?;
        Ok((flow.is_fresh() && flow.provider == provider).then_some(flow))
    }

    fn is_fresh(&self) -> bool {
        Utc::now() - self.started_at < Duration::minutes(FLOW_TTL_MINUTES)
    }
}

async fn open_flows(session: &Session) -> Result<Vec<Flow>, AppError> {
    let flows: Option<Vec<Flow>> = session
        .get(FLOWS_KEY)
        .await
        .map_err(|e| internal(e, "reading the session"))?;
    Ok(flows.unwrap_or_default())
}

/// An identity the provider confirmed, waiting for "create an account" or "bind".
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Pending {
    pub provider: Provider,
    pub openid: String,
    pub unionid: Option<String>,
    pub display_name: String,
    pub avatar_url: Option<String>,
    pub next: String,
    pub confirmed_at: DateTime<Utc>,
}

impl Pending {
    pub async fn load(session: &Session) -> Result<Option<Pending>, AppError> {
        let pending: Option<Pending> = session
            .get(PENDING_KEY)
            .await
            .map_err(|e| internal(e, "reading the session"))?;
        Ok(
            pending
                .filter(|p| Utc::now() - p.confirmed_at < Duration::minutes(PENDING_TTL_MINUTES)),
        )
    }

    pub fn identity(&self) -> NewIdentity<'_> {
        NewIdentity {
            provider: self.provider.as_str(),
            subject: self.unionid.as_deref().unwrap_or(&self.openid),
            openid: &self.openid,
            unionid: self.unionid.as_deref(),
            display_name: &self.display_name,
            avatar_url: self.avatar_url.as_deref(),
        }
    }
}

/// `next` as given, when it is a path on this site; otherwise the account page. Refuses
/// `//host` and `/\host`, which browsers treat as other sites.
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n)
            if n.starts_with('/')
                && !n.starts_with("//")
                && !n.starts_with("/\\")
                && n.len() <= 512
                && !n.chars().any(|c| c.is_control()) =>
        {
            n.to_string()
        }
        _ => "/account".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session() -> Session {
        Session::new(
            None,
            std::sync::Arc::new(tower_sessions::MemoryStore::default()),
            None,
        )
    }

    fn flow(minutes_ago: i64) -> Flow {
        Flow {
            provider: Provider::Github,
            state: "s3cret-state".into(),
            pkce_verifier: None,
            next: "/account".into(),
            bind_user: None,
            wechat_mp: false,
            started_at: Utc::now() - Duration::minutes(minutes_ago),
        }
    }

    #[tokio::test]
    async fn a_state_is_good_once_for_its_provider_and_not_for_long() {
        let s = session();
        flow(1).save(&s).await.unwrap();
        let taken = Flow::take_matching(&s, Provider::Github, Some("s3cret-state"))
            .await
            .unwrap();
        assert!(taken.is_some());
        let again = Flow::take_matching(&s, Provider::Github, Some("s3cret-state"))
            .await
            .unwrap();
        assert!(again.is_none(), "spent");

        flow(FLOW_TTL_MINUTES + 1).save(&s).await.unwrap();
        let expired = Flow::take_matching(&s, Provider::Github, Some("s3cret-state"))
            .await
            .unwrap();
        assert!(expired.is_none(), "expired");

        flow(1).save(&s).await.unwrap();
        let elsewhere = Flow::take_matching(&s, Provider::Qq, Some("s3cret-state"))
            .await
            .unwrap();
        assert!(elsewhere.is_none(), "another provider's callback");

        flow(1).save(&s).await.unwrap();
        let wrong = Flow::take_matching(&s, Provider::Github, Some("s3cret-statf"))
            .await
            .unwrap();
        assert!(wrong.is_none());
    }

    #[tokio::test]
    async fn sign_ins_started_in_two_tabs_both_finish() {
        let s = session();
        let mut first = flow(1);
        first.state = "first-tab".into();
        let mut second = flow(0);
        second.state = "second-tab".into();
        first.save(&s).await.unwrap();
        second.save(&s).await.unwrap();
        for state in ["first-tab", "second-tab"] {
            let taken = Flow::take_matching(&s, Provider::Github, Some(state))
                .await
                .unwrap();
            assert_eq!(taken.map(|f| f.state), Some(state.to_string()));
        }
        let none_left: Option<Vec<Flow>> = s.get(FLOWS_KEY).await.unwrap();
        assert!(none_left.is_none());
    }

    #[tokio::test]
    async fn only_the_newest_open_sign_ins_are_kept() {
        let s = session();
        for n in 0..=MAX_OPEN_FLOWS {
            let mut f = flow(0);
            f.state = format!("tab-{n}");
            f.save(&s).await.unwrap();
        }
        let oldest = Flow::take_matching(&s, Provider::Github, Some("tab-0"))
            .await
            .unwrap();
        assert!(oldest.is_none(), "forgotten");
        let newest = format!("tab-{MAX_OPEN_FLOWS}");
        let taken = Flow::take_matching(&s, Provider::Github, Some(&newest))
            .await
            .unwrap();
        assert!(taken.is_some());
    }

    #[test]
    fn next_stays_on_this_site() {
        assert_eq!(safe_next(Some("/courses/rust?x=1")), "/courses/rust?x=1");
        for bad in [
            "//evil.example",
            "/\\evil.example",
            "https://evil.example",
            "",
            "/a\nb",
        ] {
            assert_eq!(safe_next(Some(bad)), "/account");
        }
        assert_eq!(safe_next(None), "/account");
    }
}
