//! Third-party sign-in: the real client code against a local fake of each provider dialect,
//! walked the way a browser walks it (start → provider → callback), on both backends with Redis.

mod fake_provider;

use fake_provider::{FakeProvider, Person, MP_CLIENT_ID};

use crate::backend_tests;
use crate::helpers::{spawn_app_with, Backend, Options, TestApp};

backend_tests!(
    first_login_creates_an_account_and_the_next_one_signs_in,
    login_page_offers_configured_providers_and_explains_failures,
    wechat_unionid_joins_the_qr_and_in_app_flows,
    qq_reads_the_default_and_the_json_reply_forms,
    binding_to_an_existing_account_needs_its_password,
    denied_consent_is_explained_per_dialect,
    replayed_codes_are_refused_per_dialect,
    provider_errors_and_outages_are_explained,
    bad_or_replayed_state_is_refused,
    bind_while_signed_in_and_unbind_never_the_last_way_in,
);

async fn spawn(backend: Backend, fake: &FakeProvider) -> TestApp {
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
struct Browser<'a> {
    app: &'a TestApp,
    http: reqwest::Client,
    cookie: Option<String>,
    user_agent: String,
}

impl<'a> Browser<'a> {
    fn new(app: &'a TestApp) -> Self {
        Self {
            app,
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
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

    async fn get(&mut self, url: &str) -> reqwest::Response {
        let mut request = self.http.get(url).header("user-agent", &self.user_agent);
        if let Some(cookie) = &self.cookie {
            request = request.header("cookie", cookie);
        }
        let response = request.send().await.unwrap();
        self.keep_cookie(&response);
        response
    }

    async fn post_form(&mut self, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
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
    async fn through_provider(&mut self, provider: &str, query: &str) -> String {
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
    async fn sign_in_with(&mut self, provider: &str, query: &str) -> String {
        let callback = self.through_provider(provider, query).await;
        self.callback(&callback).await
    }

    async fn callback(&mut self, path: &str) -> String {
        let response = self.get(&self.app.url(path)).await;
        assert_eq!(response.status(), 303, "callback {path} redirects");
        location(&response)
    }

    async fn me(&mut self) -> serde_json::Value {
        let response = self.post_form("/fn/accounts/me", &[]).await;
        assert_eq!(response.status(), 200);
        response.json().await.unwrap()
    }

    async fn connections(&mut self) -> serde_json::Value {
        let response = self.post_form("/fn/oauth/connections", &[]).await;
        assert_eq!(response.status(), 200);
        response.json().await.unwrap()
    }
}

fn location(response: &reqwest::Response) -> String {
    response
        .headers()
        .get("location")
        .expect("a Location header")
        .to_str()
        .unwrap()
        .to_string()
}

/// The value of a query parameter of a URL or path.
fn param(url: &str, name: &str) -> Option<String> {
    let url = url::Url::parse(url)
        .or_else(|_| url::Url::parse(&format!("http://x{url}")))
        .unwrap();
    url.query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// Creates an account for the pending identity through the "finish sign-up" form.
async fn finish_with_new_account(browser: &mut Browser<'_>, username: &str) {
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

async fn identities(app: &TestApp) -> Vec<(String, String, Option<String>, Option<String>)> {
    server::on_pool!(&app.db, pool => sqlx::query_as(
        "SELECT provider, subject, openid, unionid FROM oauth_identities ORDER BY id")
        .fetch_all(pool).await)
    .unwrap()
}

async fn first_login_creates_an_account_and_the_next_one_signs_in(backend: Backend) {
    let fake = FakeProvider::start().await;
    let app = spawn(backend, &fake).await;
    let octocat = Person::new("octocat");
    fake.consent_as(&octocat);
    let mut browser = Browser::new(&app);

    let first = browser.sign_in_with("github", "?next=/courses").await;
    assert_eq!(
        first, "/login/oauth/finish",
        "unknown identity: finish sign-up"
    );
    let (path, query) = fake.last_authorization();
    assert_eq!(path, "/github/authorize");
    assert_eq!(query["code_challenge_method"], "S256", "PKCE is used");
    assert_eq!(
        browser.me().await,
        serde_json::Value::Null,
        "not signed in yet"
    );
    let pending: serde_json::Value = browser
        .post_form("/fn/oauth/pending", &[])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(pending["provider"], "github");
    assert_eq!(pending["display_name"], "昵称 octocat");

    // Field errors come back beside their fields; the pending identity survives them.
    let bad = browser
        .post_form(
            "/fn/oauth/register",
            &[("username", "1x"), ("email", "nope")],
        )
        .await;
    assert_eq!(bad.status(), 422);
    finish_with_new_account(&mut browser, "octo").await;
    let me = browser.me().await;
    assert_eq!(me["username"], "octo");
    assert_eq!(
        identities(&app).await,
        vec![(
            "github".into(),
            octocat.openid.clone(),
            Some(octocat.openid.clone()),
            None
        )]
    );

    // Later, in a fresh browser: straight in, to `next`, with a session id of its own.
    let mut later = Browser::new(&app);
    let callback = later.through_provider("github", "?next=/courses").await;
    let before = later.cookie.clone();
    assert!(before.is_some(), "the flow lives in a session");
    assert_eq!(later.callback(&callback).await, "/courses");
    assert_ne!(later.cookie, before, "the session id rotates at sign-in");
    assert_eq!(later.me().await["username"], "octo");
    // An open redirect is not on offer.
    let mut third = Browser::new(&app);
    assert_eq!(
        third.sign_in_with("github", "?next=//evil.example").await,
        "/account"
    );
}

async fn login_page_offers_configured_providers_and_explains_failures(backend: Backend) {
    let fake = FakeProvider::start().await;
    let only_github: Vec<_> = fake
        .settings()
        .into_iter()
        .filter(|(k, _)| k.starts_with("OAUTH_GITHUB"))
        .collect();
    let app = spawn_app_with(
        backend,
        Options {
            seed_demo: false,
            extra: only_github,
            ..Default::default()
        },
    )
    .await;
    let html = app.get("/login").await.text().await.unwrap();
    assert!(html.contains("/auth/oauth/github/start"), "a GitHub button");
    assert!(!html.contains("/auth/oauth/qq/start"), "no button for QQ");
    let providers: serde_json::Value = app
        .client
        .post(app.url("/fn/oauth/providers"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(providers[0]["provider"], "github");
    assert_eq!(providers.as_array().unwrap().len(), 1);
    assert_eq!(app.get("/auth/oauth/qq/start").await.status(), 404);
    assert_eq!(app.get("/auth/oauth/facebook/start").await.status(), 404);

    let page = app
        .get("/login?oauth_error=denied&provider=github")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("You did not allow the sign-in at GitHub"),
        "{page}"
    );
    // Only known codes become text: a crafted message never reaches the page.
    let page = app
        .get("/login?oauth_error=%3Cb%3Ehi&provider=github")
        .await
        .text()
        .await
        .unwrap();
    assert!(!page.contains("<b>hi"));
}

async fn wechat_unionid_joins_the_qr_and_in_app_flows(backend: Backend) {
    let fake = FakeProvider::start().await;
    let app = spawn(backend, &fake).await;
    let person = Person::new("weixin");
    fake.consent_as(&person);

    let mut desktop = Browser::new(&app);
    let start = desktop.get(&app.url("/auth/oauth/wechat/start")).await;
    let authorize = location(&start);
    assert!(
        authorize.contains("/wechat/qrconnect?appid=fake-client&redirect_uri="),
        "{authorize}"
    );
    assert!(authorize.ends_with("#wechat_redirect"), "{authorize}");
    assert_eq!(param(&authorize, "scope").as_deref(), Some("snsapi_login"));
    assert_eq!(
        desktop.sign_in_with("wechat", "").await,
        "/login/oauth/finish"
    );
    finish_with_new_account(&mut desktop, "weixin_user").await;

    // Inside WeChat's browser: the Official Account flow with its own appid and openid, and
    // the same unionid, hence the same account.
    let mut phone = Browser::new(&app);
    phone.user_agent =
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) MicroMessenger/8.0.47(0x18002f2f) NetType/WIFI".into();
    assert_eq!(phone.sign_in_with("wechat", "").await, "/account");
    let (path, query) = fake.last_authorization();
    assert_eq!(path, "/wechat/mp/authorize");
    assert_eq!(query["appid"], MP_CLIENT_ID);
    assert_eq!(query["scope"], "snsapi_userinfo");
    assert_eq!(phone.me().await["username"], "weixin_user");
    let rows = identities(&app).await;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].1, "union-weixin", "keyed by unionid");
}

async fn qq_reads_the_default_and_the_json_reply_forms(backend: Backend) {
    let fake = FakeProvider::start().await;
    let app = spawn(backend, &fake).await;
    let person = Person::new("penguin");
    fake.consent_as(&person);

    // Default forms: urlencoded token, JSONP openid.
    let mut browser = Browser::new(&app);
    assert_eq!(browser.sign_in_with("qq", "").await, "/login/oauth/finish");
    finish_with_new_account(&mut browser, "penguin").await;
    assert_eq!(
        identities(&app).await[0].1,
        "union-penguin",
        "unionid preferred"
    );

    // JSON forms.
    fake.set_json_mode(true);
    let mut again = Browser::new(&app);
    assert_eq!(again.sign_in_with("qq", "").await, "/account");
    assert_eq!(again.me().await["username"], "penguin");

    // An app without unionid access: the identity stored under an openid still finds its
    // account once unionids arrive.
    let plain = Person {
        unionid: None,
        ..Person::new("plain")
    };
    fake.consent_as(&plain);
    fake.set_json_mode(false);
    let mut third = Browser::new(&app);
    assert_eq!(third.sign_in_with("qq", "").await, "/login/oauth/finish");
    finish_with_new_account(&mut third, "plain").await;
    let with_union = Person {
        unionid: Some("union-plain".into()),
        ..plain.clone()
    };
    fake.consent_as(&with_union);
    let mut fourth = Browser::new(&app);
    assert_eq!(fourth.sign_in_with("qq", "").await, "/account");
    assert_eq!(fourth.me().await["username"], "plain");
    let rows = identities(&app).await;
    assert_eq!(rows[1].1, "union-plain", "moved to its unionid");
}

async fn binding_to_an_existing_account_needs_its_password(backend: Backend) {
    let fake = FakeProvider::start().await;
    let app = spawn(backend, &fake).await;
    let mut browser = Browser::new(&app);
    let registered = browser
        .post_form(
            "/fn/accounts/register",
            &[
                ("username", "alice"),
                ("email", "alice@example.com"),
                ("password", "a long enough secret"),
            ],
        )
        .await;
    assert!(registered.status().is_redirection() || registered.status().is_success());
    browser.post_form("/fn/accounts/logout", &[]).await;

    fake.consent_as(&Person::new("alice-weibo"));
    let mut fresh = Browser::new(&app);
    assert_eq!(fresh.sign_in_with("weibo", "").await, "/login/oauth/finish");
    // An e-mail that is taken points to binding instead.
    let taken = fresh
        .post_form(
            "/fn/oauth/register",
            &[("username", "alice2"), ("email", "ALICE@example.com")],
        )
        .await;
    assert_eq!(taken.status(), 422);
    let body: serde_json::Value = taken.json().await.unwrap();
    assert_eq!(body["Validation"][0]["field"], "email");

    let wrong = fresh
        .post_form(
            "/fn/oauth/bind",
            &[("login", "alice"), ("password", "not the password")],
        )
        .await;
    assert_eq!(wrong.status(), 422);
    let body: serde_json::Value = wrong.json().await.unwrap();
    assert_eq!(body["Validation"][0]["field"], "password");
    assert_eq!(fresh.me().await, serde_json::Value::Null);

    let right = fresh
        .post_form(
            "/fn/oauth/bind",
            &[
                ("login", "alice@example.com"),
                ("password", "a long enough secret"),
            ],
        )
        .await;
    assert!(
        right.status().is_redirection() || right.status().is_success(),
        "{}",
        right.status()
    );
    assert_eq!(fresh.me().await["username"], "alice");
    let connections = fresh.connections().await;
    assert_eq!(connections["bound"][0]["provider"], "weibo");
    assert_eq!(connections["has_password"], true);

    // Next time Weibo alone is enough.
    let mut later = Browser::new(&app);
    assert_eq!(later.sign_in_with("weibo", "").await, "/account");
    assert_eq!(later.me().await["username"], "alice");
}

async fn denied_consent_is_explained_per_dialect(backend: Backend) {
    let fake = FakeProvider::start().await;
    let app = spawn(backend, &fake).await;
    fake.consent_as(&Person::new("shy"));
    fake.set_deny(true);
    for provider in ["github", "qq", "weibo", "wechat"] {
        let mut browser = Browser::new(&app);
        let to = browser.sign_in_with(provider, "").await;
        assert_eq!(
            to,
            format!("/login?oauth_error=denied&provider={provider}"),
            "{provider}"
        );
    }
    assert_eq!(fake.token_calls(), 0, "no code, no token call");
}

async fn replayed_codes_are_refused_per_dialect(backend: Backend) {
    let fake = FakeProvider::start().await;
    let app = spawn(backend, &fake).await;
    fake.consent_as(&Person::new("replay"));
    for provider in ["github", "qq", "weibo", "wechat"] {
        let mut browser = Browser::new(&app);
        let callback = browser.through_provider(provider, "").await;
        assert_eq!(browser.callback(&callback).await, "/login/oauth/finish");
        // A fresh flow (new state) carrying the old code: the provider refuses the code.
        let fresh = browser.through_provider(provider, "").await;
        let state = param(&fresh, "state").unwrap();
        let code = param(&callback, "code").unwrap();
        let to = browser
            .callback(&format!(
                "/auth/oauth/{provider}/callback?code={code}&state={state}"
            ))
            .await;
        assert_eq!(
            to,
            format!("/login?oauth_error=code_used&provider={provider}"),
            "{provider}"
        );
    }
    let page = app
        .get("/login?oauth_error=code_used&provider=wechat")
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("already used"), "{page}");
}

async fn provider_errors_and_outages_are_explained(backend: Backend) {
    let fake = FakeProvider::start().await;
    fake.consent_as(&Person::new("err"));
    // A wrong secret: each provider answers with its own error format.
    let mut settings = fake.settings();
    for (k, v) in settings.iter_mut() {
        if k.ends_with("_CLIENT_SECRET") {
            *v = "wrong".into();
        }
    }
    // GitHub's API is down (nothing listens there).
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap()
    };
    for (k, v) in settings.iter_mut() {
        if *k == "OAUTH_GITHUB_TOKEN_URL" {
            *v = format!("http://{closed}/token");
        }
    }
    let app = spawn_app_with(
        backend,
        Options {
            redis: true,
            seed_demo: false,
            extra: settings,
            ..Default::default()
        },
    )
    .await;
    for provider in ["qq", "weibo", "wechat"] {
        let mut browser = Browser::new(&app);
        assert_eq!(
            browser.sign_in_with(provider, "").await,
            format!("/login?oauth_error=provider&provider={provider}"),
            "{provider}"
        );
    }
    let mut browser = Browser::new(&app);
    assert_eq!(
        browser.sign_in_with("github", "").await,
        "/login?oauth_error=unavailable&provider=github"
    );
    // A provider-side error sent back on the redirect (not a refusal).
    let mut other = Browser::new(&app);
    let callback = other.through_provider("github", "").await;
    let state = param(&callback, "state").unwrap();
    let to = other
        .callback(&format!(
            "/auth/oauth/github/callback?error=temporarily_unavailable&state={state}"
        ))
        .await;
    assert_eq!(to, "/login?oauth_error=provider&provider=github");
}

async fn bad_or_replayed_state_is_refused(backend: Backend) {
    let fake = FakeProvider::start().await;
    let app = spawn(backend, &fake).await;
    fake.consent_as(&Person::new("state"));
    let bad_state = "/login?oauth_error=state&provider=github";

    // No flow in this browser at all (a forged callback).
    let mut stranger = Browser::new(&app);
    assert_eq!(
        stranger
            .callback("/auth/oauth/github/callback?code=x&state=y")
            .await,
        bad_state
    );

    // A flow, but the wrong state; the flow is spent by that attempt.
    let mut browser = Browser::new(&app);
    let callback = browser.through_provider("github", "").await;
    let code = param(&callback, "code").unwrap();
    assert_eq!(
        browser
            .callback(&format!(
                "/auth/oauth/github/callback?code={code}&state=forged"
            ))
            .await,
        bad_state
    );
    assert_eq!(browser.callback(&callback).await, bad_state);
    // Missing state.
    browser.through_provider("github", "").await;
    assert_eq!(
        browser
            .callback(&format!("/auth/oauth/github/callback?code={code}"))
            .await,
        bad_state
    );
    // A state from one provider is no good at another's callback.
    let qq = browser.through_provider("qq", "").await;
    let state = param(&qq, "state").unwrap();
    assert_eq!(
        browser
            .callback(&format!(
                "/auth/oauth/github/callback?code={code}&state={state}"
            ))
            .await,
        bad_state
    );
    // A completed callback cannot be replayed.
    let good = browser.through_provider("github", "").await;
    assert_eq!(browser.callback(&good).await, "/login/oauth/finish");
    assert_eq!(browser.callback(&good).await, bad_state);
    // A finish form without a pending identity says so.
    let mut nobody = Browser::new(&app);
    let response = nobody
        .post_form(
            "/fn/oauth/register",
            &[("username", "nobody"), ("email", "nobody@example.com")],
        )
        .await;
    assert_eq!(response.status(), 400);
}

async fn bind_while_signed_in_and_unbind_never_the_last_way_in(backend: Backend) {
    let fake = FakeProvider::start().await;
    let app = spawn(backend, &fake).await;
    let person = Person::new("binder");
    fake.consent_as(&person);

    // Binding needs a signed-in user.
    let mut anonymous = Browser::new(&app);
    let start = anonymous
        .get(&app.url("/auth/oauth/weibo/start?bind=1"))
        .await;
    assert_eq!(location(&start), "/login");

    let mut browser = Browser::new(&app);
    assert_eq!(
        browser.sign_in_with("github", "").await,
        "/login/oauth/finish"
    );
    finish_with_new_account(&mut browser, "binder").await;
    let connections = browser.connections().await;
    assert_eq!(connections["has_password"], false);
    let github_id = connections["bound"][0]["id"].as_i64().unwrap();
    let available: Vec<_> = connections["available"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["provider"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(available, ["qq", "wechat", "weibo"]);

    // The only way in cannot go.
    let refused = browser
        .post_form("/fn/oauth/unbind", &[("id", &github_id.to_string())])
        .await;
    assert_eq!(refused.status(), 409);

    // Bind Weibo while signed in.
    assert_eq!(
        browser.sign_in_with("weibo", "?bind=1").await,
        "/account?oauth_bound=weibo"
    );
    let connections = browser.connections().await;
    assert_eq!(connections["bound"].as_array().unwrap().len(), 2);
    let weibo_id = connections["bound"][1]["id"].as_i64().unwrap();

    // Someone else cannot touch these identities, nor bind them to their account.
    let mut other = Browser::new(&app);
    other
        .post_form(
            "/fn/accounts/register",
            &[
                ("username", "mallory"),
                ("email", "mallory@example.com"),
                ("password", "a long enough secret"),
            ],
        )
        .await;
    let foreign = other
        .post_form("/fn/oauth/unbind", &[("id", &weibo_id.to_string())])
        .await;
    assert_eq!(foreign.status(), 404);
    assert_eq!(
        other.sign_in_with("weibo", "?bind=1").await,
        "/account?oauth_error=bound_elsewhere&provider=weibo"
    );

    // With two identities one may go; the last may not.
    let ok = browser
        .post_form("/fn/oauth/unbind", &[("id", &github_id.to_string())])
        .await;
    assert_eq!(ok.status(), 200);
    let last = browser
        .post_form("/fn/oauth/unbind", &[("id", &weibo_id.to_string())])
        .await;
    assert_eq!(last.status(), 409);
    let body: serde_json::Value = last.json().await.unwrap();
    assert!(body["Conflict"]
        .as_str()
        .unwrap()
        .contains("only way to sign in"));
    assert_eq!(
        browser.connections().await["bound"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    // Signed out, nobody sees connections.
    let mut anonymous = Browser::new(&app);
    assert_eq!(
        anonymous
            .post_form("/fn/oauth/connections", &[])
            .await
            .status(),
        401
    );
}
