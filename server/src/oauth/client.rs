//! What every provider dialect shares: the identity it yields, how its failures are classified,
//! one HTTP client with timeouts, and a tolerant reader for replies that may be JSON, JSONP or a
//! urlencoded form.
//!
//! Logging policy: provider error *codes* are logged; URLs are not (QQ and WeChat carry the
//! access token in the query string), and neither are tokens, secrets or reply bodies.

use std::time::Duration;

use app::domain::oauth::OAuthFailure;
use serde_json::{Map, Value};

/// What a provider tells us about the person, after the code exchange.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderIdentity {
    pub openid: String,
    /// Shared by all apps of one developer account (QQ, WeChat): the stable key when present.
    pub unionid: Option<String>,
    pub display_name: String,
    pub avatar_url: Option<String>,
}

impl ProviderIdentity {
    /// The key an identity is stored under: unionid where there is one, else openid / uid / id.
    pub fn subject(&self) -> &str {
        self.unionid.as_deref().unwrap_or(&self.openid)
    }
}

/// Why an exchange failed. `code` is the provider's own error code, for the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExchangeError {
    /// The authorization code was used already, or expired.
    CodeUsed { code: String },
    /// Any other error the provider reported.
    Rejected { code: String },
    /// Transport failure, timeout, or a reply we cannot read.
    Unavailable { reason: String },
}

impl ExchangeError {
    pub fn failure(&self) -> OAuthFailure {
        match self {
            ExchangeError::CodeUsed { .. } => OAuthFailure::CodeUsed,
            ExchangeError::Rejected { .. } => OAuthFailure::ProviderError,
            ExchangeError::Unavailable { .. } => OAuthFailure::Unavailable,
        }
    }

    pub fn unreadable(what: &str) -> Self {
        ExchangeError::Unavailable {
            reason: format!("unreadable {what} reply"),
        }
    }
}

/// Every outgoing call gives up after this long: a slow provider must not hold a request.
pub const TIMEOUT: Duration = Duration::from_secs(5);

pub fn http_client() -> Result<reqwest::Client, reqwest::Error> {
    reqwest::Client::builder()
        .timeout(TIMEOUT)
        .connect_timeout(TIMEOUT)
        // Providers answer API calls directly; a redirect there is a misconfiguration.
        .redirect(reqwest::redirect::Policy::none())
        // GitHub refuses API calls without a User-Agent.
        .user_agent("xuecheng-oauth")
        .build()
}

/// Sends a request and returns the body text, whatever the status (dialects put errors in
/// 200 replies and in 4xx replies alike). The error text never contains the URL.
pub async fn send(request: reqwest::RequestBuilder, what: &str) -> Result<String, ExchangeError> {
    let response = request.send().await.map_err(|e| {
        let reason = format!("{what}: {}", e.without_url());
        tracing::warn!(%reason, "provider unreachable");
        ExchangeError::Unavailable { reason }
    })?;
    let status = response.status();
    if status.is_server_error() {
        tracing::warn!(%status, what, "provider answered with a server error");
        return Err(ExchangeError::Unavailable {
            reason: format!("{what}: HTTP {status}"),
        });
    }
    response
        .text()
        .await
        .map_err(|e| ExchangeError::Unavailable {
            reason: format!("{what}: {}", e.without_url()),
        })
}

/// Reads a reply that may be a JSON object, JSONP (`callback( {…} );`) or a urlencoded form,
/// into one map. Form values become JSON strings.
pub fn parse_loose(body: &str) -> Option<Map<String, Value>> {
    let text = body.trim();
    let json = if text.starts_with("callback") {
        let start = text.find('(')?;
        let end = text.rfind(')')?;
        (start < end).then(|| &text[start + 1..end])?.trim()
    } else {
        text
    };
    if json.starts_with('{') {
        return match serde_json::from_str::<Value>(json) {
            Ok(Value::Object(map)) => Some(map),
            _ => None,
        };
    }
    if text.is_empty() || !text.contains('=') {
        return None;
    }
    Some(
        url::form_urlencoded::parse(text.as_bytes())
            .map(|(k, v)| (k.into_owned(), Value::String(v.into_owned())))
            .collect(),
    )
}

/// A field as text whether the provider sent a string or a number (ids, error codes).
pub fn text(map: &Map<String, Value>, key: &str) -> Option<String> {
    match map.get(key)? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// An error code in a reply, when there is one and it is not "0" (WeChat sends `errcode: 0`
/// on some successes).
pub fn error_code(map: &Map<String, Value>, keys: &[&str]) -> Option<String> {
    keys.iter()
        .filter_map(|k| text(map, k))
        .find(|code| code != "0")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_json_jsonp_and_forms() {
        let jsonp = parse_loose("callback( {\"client_id\":\"1\",\"openid\":\"OP\"} );\n").unwrap();
        assert_eq!(text(&jsonp, "openid").as_deref(), Some("OP"));
        let form = parse_loose("access_token=T&expires_in=7776000&refresh_token=R").unwrap();
        assert_eq!(text(&form, "expires_in").as_deref(), Some("7776000"));
        let json = parse_loose(r#"{"errcode":40163,"errmsg":"code been used"}"#).unwrap();
        assert_eq!(error_code(&json, &["errcode"]).as_deref(), Some("40163"));
        assert_eq!(
            error_code(&parse_loose(r#"{"errcode":0}"#).unwrap(), &["errcode"]),
            None
        );
        assert!(parse_loose("<html>oops</html>").is_none());
        assert!(parse_loose("callback( not json );").is_none());
    }

    #[test]
    fn subject_prefers_unionid() {
        let mut id = ProviderIdentity {
            openid: "o".into(),
            unionid: None,
            display_name: String::new(),
            avatar_url: None,
        };
        assert_eq!(id.subject(), "o");
        id.unionid = Some("u".into());
        assert_eq!(id.subject(), "u");
    }
}
