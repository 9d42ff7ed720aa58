//! Successful flows: new account, the next sign-in, unionid across apps, QQ's two reply forms,
//! binding to an existing account after its password.

use super::fake_provider::{FakeProvider, Person, MP_CLIENT_ID};
use super::{finish_with_new_account, identities, location, param, spawn, Browser};
use crate::backend_tests;
use crate::helpers::{spawn_app_with, Backend, Options};

backend_tests!(
    first_login_creates_an_account_and_the_next_one_signs_in,
    login_page_offers_configured_providers_and_explains_failures,
    wechat_unionid_joins_the_qr_and_in_app_flows,
    qq_reads_the_default_and_the_json_reply_forms,
    binding_to_an_existing_account_needs_its_password,
);

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
