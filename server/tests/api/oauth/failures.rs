//! Flows that must end on a page with a clear message: refused consent, replayed codes,
//! provider errors and outages, bad or replayed `state`.

use super::fake_provider::{FakeProvider, Person};
use super::{param, spawn, Browser};
use crate::backend_tests;
use crate::helpers::{spawn_app_with, Backend, Options};

backend_tests!(
    denied_consent_is_explained_per_dialect,
    replayed_codes_are_refused_per_dialect,
    provider_errors_and_outages_are_explained,
    bad_or_replayed_state_is_refused,
);

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

    // A flow, but the wrong state: refused, and the genuine callback still completes (a
    // forged callback cannot cancel someone's sign-in); replaying it is refused.
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
    assert_eq!(
        browser.callback(&callback).await,
        "/login/oauth/finish",
        "the genuine callback completes"
    );
    assert_eq!(browser.callback(&callback).await, bad_state, "spent");
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
