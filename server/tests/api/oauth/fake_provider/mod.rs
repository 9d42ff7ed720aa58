//! A local stand-in for QQ, WeChat, Weibo and GitHub that speaks each dialect's wire format
//! (shared/PROTOCOLS.md): QQ's urlencoded token and JSONP `/me` (or JSON when asked with
//! `fmt=json` and `json_mode` is on), WeChat's `errcode` replies with 40163 for a reused code,
//! Weibo's form POST, GitHub's JSON with a real S256 PKCE check. Codes are single-use and bound
//! to the redirect URI, client and PKCE challenge they were issued for, as real providers do.
//!
//! Its authorize pages consent at once (or refuse, when `deny` is set) and redirect back.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

use axum::{
    extract::{Query, State},
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
    routing::{get, post},
    Router,
};
use base64::Engine;

mod dialects;
use dialects::{
    github_token, github_user, qq_me, qq_token, qq_user, wechat_token, wechat_user, weibo_token,
    weibo_user,
};

pub const CLIENT_ID: &str = "fake-client";
pub const CLIENT_SECRET: &str = "fake-secret";
/// WeChat's Official Account app (the in-WeChat-browser flow) has its own credentials.
pub const MP_CLIENT_ID: &str = "fake-mp-client";
pub const MP_CLIENT_SECRET: &str = "fake-mp-secret";

/// The person who consents at the fake.
#[derive(Debug, Clone)]
pub struct Person {
    /// openid for the website app (QQ, WeChat QR), uid (Weibo) or id (GitHub, numeric).
    pub openid: String,
    /// WeChat's Official Account app sees another openid for the same person.
    pub mp_openid: String,
    pub unionid: Option<String>,
    pub nickname: String,
}

impl Person {
    pub fn new(tag: &str) -> Self {
        Self {
            openid: format!(
                "{}",
                1000 + tag.len() * 7919 + tag.bytes().map(usize::from).sum::<usize>()
            ),
            mp_openid: format!("mp-{tag}"),
            unionid: Some(format!("union-{tag}")),
            nickname: format!("昵称 {tag}"),
        }
    }
}

#[derive(Debug, Clone)]
struct Grant {
    person: Person,
    client_id: String,
    redirect_uri: String,
    challenge: Option<(String, String)>,
    used: bool,
}

#[derive(Default)]
struct Inner {
    person: Option<Person>,
    deny: bool,
    json_mode: bool,
    grants: HashMap<String, Grant>,
    tokens: HashMap<String, (Person, String)>,
    /// (path, query) of every authorize request, for assertions.
    authorizations: Vec<(String, HashMap<String, String>)>,
    token_calls: usize,
}

#[derive(Clone)]
pub struct FakeProvider {
    pub address: String,
    inner: Arc<Mutex<Inner>>,
    _server: Arc<ServerGuard>,
}

struct ServerGuard(tokio::task::JoinHandle<()>);

impl Drop for ServerGuard {
    fn drop(&mut self) {
        self.0.abort();
    }
}

type Shared = Arc<Mutex<Inner>>;

impl FakeProvider {
    pub async fn start() -> Self {
        let inner: Shared = Arc::default();
        let app = Router::new()
            .route("/qq/authorize", get(authorize))
            .route("/qq/token", get(qq_token))
            .route("/qq/me", get(qq_me))
            .route("/qq/user", get(qq_user))
            .route("/wechat/qrconnect", get(authorize))
            .route("/wechat/mp/authorize", get(authorize))
            .route("/wechat/token", get(wechat_token))
            .route("/wechat/userinfo", get(wechat_user))
            .route("/weibo/authorize", get(authorize))
            .route("/weibo/token", post(weibo_token))
            .route("/weibo/users/show.json", get(weibo_user))
            .route("/github/authorize", get(authorize))
            .route("/github/token", post(github_token))
            .route("/github/user", get(github_user))
            .with_state(inner.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = format!("http://{}", listener.local_addr().unwrap());
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self {
            address,
            inner,
            _server: Arc::new(ServerGuard(server)),
        }
    }

    /// The app settings that point every provider at this fake.
    pub fn settings(&self) -> Vec<(&'static str, String)> {
        let a = &self.address;
        let mut vars = Vec::new();
        for (p, auth, token, user) in [
            ("QQ", "qq/authorize", "qq/token", "qq/user"),
            (
                "WECHAT",
                "wechat/qrconnect",
                "wechat/token",
                "wechat/userinfo",
            ),
            (
                "WEIBO",
                "weibo/authorize",
                "weibo/token",
                "weibo/users/show.json",
            ),
            ("GITHUB", "github/authorize", "github/token", "github/user"),
        ] {
            // `Options::extra` takes static names; a test may leak twenty short strings.
            let key =
                |s: &str| -> &'static str { Box::leak(format!("OAUTH_{p}_{s}").into_boxed_str()) };
            vars.push((key("CLIENT_ID"), CLIENT_ID.to_string()));
            vars.push((key("CLIENT_SECRET"), CLIENT_SECRET.to_string()));
            vars.push((key("AUTH_URL"), format!("{a}/{auth}")));
            vars.push((key("TOKEN_URL"), format!("{a}/{token}")));
            vars.push((key("USERINFO_URL"), format!("{a}/{user}")));
        }
        vars.push(("OAUTH_QQ_OPENID_URL", format!("{a}/qq/me")));
        vars.push(("OAUTH_WECHAT_MP_CLIENT_ID", MP_CLIENT_ID.to_string()));
        vars.push((
            "OAUTH_WECHAT_MP_CLIENT_SECRET",
            MP_CLIENT_SECRET.to_string(),
        ));
        vars.push((
            "OAUTH_WECHAT_MP_AUTH_URL",
            format!("{a}/wechat/mp/authorize"),
        ));
        vars
    }

    pub fn consent_as(&self, person: &Person) {
        self.inner.lock().unwrap().person = Some(person.clone());
    }

    pub fn set_deny(&self, deny: bool) {
        self.inner.lock().unwrap().deny = deny;
    }

    /// Answer QQ's `fmt=json` requests in JSON (else the default urlencoded / JSONP forms).
    pub fn set_json_mode(&self, on: bool) {
        self.inner.lock().unwrap().json_mode = on;
    }

    pub fn last_authorization(&self) -> (String, HashMap<String, String>) {
        self.inner
            .lock()
            .unwrap()
            .authorizations
            .last()
            .cloned()
            .unwrap()
    }

    pub fn token_calls(&self) -> usize {
        self.inner.lock().unwrap().token_calls
    }

    /// Every access token handed out, and every authorization code (for searching logs).
    pub fn issued_secrets(&self) -> Vec<String> {
        let inner = self.inner.lock().unwrap();
        inner
            .tokens
            .keys()
            .chain(inner.grants.keys())
            .cloned()
            .collect()
    }
}

fn random() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

/// Consents at once (or refuses) and sends the browser back, in the dialect's manner.
async fn authorize(
    State(inner): State<Shared>,
    uri: axum::http::Uri,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let path = uri.path().to_string();
    let mut inner = inner.lock().unwrap();
    inner.authorizations.push((path.clone(), q.clone()));
    let wechat = path.starts_with("/wechat");
    let client_id = q
        .get(if wechat { "appid" } else { "client_id" })
        .cloned()
        .unwrap_or_default();
    let (Some(redirect_uri), Some(state)) = (q.get("redirect_uri"), q.get("state")) else {
        return (
            StatusCode::BAD_REQUEST,
            "redirect_uri and state are required",
        )
            .into_response();
    };
    if q.get("response_type").map(String::as_str) != Some("code") {
        return (StatusCode::BAD_REQUEST, "response_type must be code").into_response();
    }
    let sep = if redirect_uri.contains('?') { '&' } else { '?' };
    let enc = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    if inner.deny {
        let back = if wechat {
            // WeChat comes back with the state and no code.
            format!("{redirect_uri}{sep}state={}", enc(state))
        } else if path.starts_with("/weibo") {
            format!("{redirect_uri}{sep}error=access_denied&error_description=user%20denied%20your%20request.&error_code=21330&state={}", enc(state))
        } else {
            format!("{redirect_uri}{sep}error=access_denied&error_description=The%20user%20has%20denied%20your%20application%20access.&state={}", enc(state))
        };
        return Redirect::to(&back).into_response();
    }
    let challenge = match (q.get("code_challenge"), q.get("code_challenge_method")) {
        (Some(c), Some(m)) => Some((c.clone(), m.clone())),
        _ => None,
    };
    let Some(person) = inner.person.clone() else {
        return (StatusCode::BAD_REQUEST, "nobody to consent").into_response();
    };
    let code = random();
    inner.grants.insert(
        code.clone(),
        Grant {
            person,
            client_id,
            redirect_uri: redirect_uri.clone(),
            challenge,
            used: false,
        },
    );
    Redirect::to(&format!(
        "{redirect_uri}{sep}code={code}&state={}",
        enc(state)
    ))
    .into_response()
}

enum Redeem {
    Ok(Person, String),
    Unknown,
    Reused,
    BadClient,
    BadRedirect,
    BadVerifier,
}

/// Checks and consumes a code the way a provider does.
fn redeem(
    inner: &Shared,
    code: &str,
    client: (&str, &str),
    redirect_uri: Option<&str>,
    verifier: Option<&str>,
) -> Redeem {
    let mut inner = inner.lock().unwrap();
    inner.token_calls += 1;
    let valid_client = matches!(
        client,
        (CLIENT_ID, CLIENT_SECRET) | (MP_CLIENT_ID, MP_CLIENT_SECRET)
    );
    let Some(grant) = inner.grants.get_mut(code) else {
        return Redeem::Unknown;
    };
    if !valid_client || grant.client_id != client.0 {
        return Redeem::BadClient;
    }
    if grant.used {
        return Redeem::Reused;
    }
    if let Some(uri) = redirect_uri {
        if uri != grant.redirect_uri {
            return Redeem::BadRedirect;
        }
    }
    if let Some((challenge, method)) = &grant.challenge {
        let Some(verifier) = verifier else {
            return Redeem::BadVerifier;
        };
        let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, verifier.as_bytes());
        let computed = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest.as_ref());
        if method != "S256" || &computed != challenge {
            return Redeem::BadVerifier;
        }
    }
    grant.used = true;
    let person = grant.person.clone();
    let app = grant.client_id.clone();
    let token = random();
    inner.tokens.insert(token.clone(), (person.clone(), app));
    Redeem::Ok(person, token)
}

fn token_owner(inner: &Shared, token: Option<&String>) -> Option<(Person, String)> {
    inner.lock().unwrap().tokens.get(token?).cloned()
}

fn arg<'a>(q: &'a HashMap<String, String>, k: &str) -> &'a str {
    q.get(k).map(String::as_str).unwrap_or("")
}
