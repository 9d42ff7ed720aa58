//! Third-party sign-in: the real client code against a local fake of each provider dialect,
//! walked the way a browser walks it (start → provider → callback), on both backends with Redis.
//! This file holds the walking browser; the tests are in `sign_in.rs` (successful flows),
//! `failures.rs` (refusals, replays, errors) and `connections.rs` (bind and unbind).

mod connections;
mod failures;
mod fake_provider;
mod logs;
mod sign_in;

use fake_provider::FakeProvider;

use crate::helpers::{spawn_app_with, Backend, Options, TestApp};

pub async fn spawn(backend: Backend, fake: &FakeProvider) -> TestApp {
    spawn_app_with(
        backend,
        Options {
            redis: true,
            seed_demo: false,
            extra: fake.settings(),
            ..Default::default()
        },
    )
    .await
}

/// A browser: one cookie jar (our session cookie), no automatic redirects.
pub struct Browser<'a> {
    app: &'a TestApp,
    http: reqwest::Client,
    pub cookie: Option<String>,
    pub user_agent: String,
}

impl<'a> Browser<'a> {
    pub fn new(app: &'a TestApp) -> Self {
        Self {
            app,
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                // The suite's assertions read English; the language tests (languages.rs) send their
                // own `Accept-Language`, which takes the place of this one.
                .default_headers(reqwest::header::HeaderMap::from_iter([(
                    reqwest::header::ACCEPT_LANGUAGE,
                    reqwest::header::HeaderValue::from_static("en"),
                )]))
                .build()
                .unwrap(),
            cookie: None,
            user_agent: "Mozilla/5.0 (X11; Linux x86_64) Chrome/130".into(),
        }
    }

    fn keep_cookie(&mut self, response: &reqwest::Response) {
        for value in response.headers().get_all("set-cookie") {
            let value = value.to_str().unwrap();
            if let Some(rest) = value.strip_prefix("xc_session=") {
                let v = rest.split(';').next().unwrap_or("");
                self.cookie = (!v.is_empty()).then(|| format!("xc_session={v}"));
            }
        }
    }

    pub async fn get(&mut self, url: &str) -> reqwest::Response {
        let mut request = self.http.get(url).header("user-agent", &self.user_agent);
        if let Some(cookie) = &self.cookie {
            request = request.header("cookie", cookie);
        }
        let response = request.send().await.unwrap();
        self.keep_cookie(&response);
        response
    }

    pub async fn post_form(&mut self, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
        let mut request = self
            .http
            .post(self.app.url(path))
            .header("origin", self.app.address.clone())
            .form(form);
        if let Some(cookie) = &self.cookie {
            request = request.header("cookie", cookie);
        }
        let response = request.send().await.unwrap();
        self.keep_cookie(&response);
        response
    }

    /// Start → the fake's authorize page → back to our callback (the registered redirect URI
    /// names `PUBLIC_URL`, which tests do not know in advance: its path and query are replayed
    /// against the app). Returns the callback URL as the provider sent it (path and query).
    pub async fn through_provider(&mut self, provider: &str, query: &str) -> String {
        let start = self
            .get(
                &self
                    .app
                    .url(&format!("/auth/oauth/{provider}/start{query}")),
            )
            .await;
        assert_eq!(start.status(), 303, "start redirects to the provider");
        let authorize = location(&start);
        assert!(authorize.starts_with("http"), "{authorize}");
        let back = self.get(&authorize).await;
        assert!(
            back.status().is_redirection(),
            "the fake consents and redirects"
        );
        let callback = url::Url::parse(&location(&back)).unwrap();
        let mut path = callback.path().to_string();
        if let Some(q) = callback.query() {
            path = format!("{path}?{q}");
        }
        path
    }

    /// The whole round trip; returns where the callback sends the browser.
    pub async fn sign_in_with(&mut self, provider: &str, query: &str) -> String {
        let callback = self.through_provider(provider, query).await;
        self.callback(&callback).await
    }

    pub async fn callback(&mut self, path: &str) -> String {
        let response = self.get(&self.app.url(path)).await;
        assert_eq!(response.status(), 303, "callback {path} redirects");
        location(&response)
    }

    pub async fn me(&mut self) -> serde_json::Value {
        let response = self.post_form("/fn/accounts/me", &[]).await;
        assert_eq!(response.status(), 200);
        response.json().await.unwrap()
    }

    pub async fn connections(&mut self) -> serde_json::Value {
        let response = self.post_form("/fn/oauth/connections", &[]).await;
        assert_eq!(response.status(), 200);
        response.json().await.unwrap()
    }
}

pub fn location(response: &reqwest::Response) -> String {
    response
        .headers()
        .get("location")
        .expect("a Location header")
        .to_str()
        .unwrap()
        .to_string()
}

/// The value of a query parameter of a URL or path.
pub fn param(url: &str, name: &str) -> Option<String> {
    let url = url::Url::parse(url)
        .or_else(|_| url::Url::parse(&format!("http://x{url}")))
        .unwrap();
    url.query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// Creates an account for the pending identity through the "finish sign-up" form.
pub async fn finish_with_new_account(browser: &mut Browser<'_>, username: &str) {
    let response = browser
        .post_form(
            "/fn/oauth/register",
            &[
                ("username", username),
                ("email", &format!("{username}@example.com")),
            ],
        )
        .await;
    assert!(
        response.status().is_success() || response.status().is_redirection(),
        "{}",
        response.status()
    );
}

pub async fn identities(app: &TestApp) -> Vec<(String, String, Option<String>, Option<String>)> {
    server::on_pool!(&app.db, pool => sqlx::query_as(
        "SELECT provider, subject, openid, unionid FROM oauth_identities ORDER BY id")
        .fetch_all(pool).await)
    .unwrap()
}
