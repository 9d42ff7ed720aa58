//! Connected accounts: binding while signed in, and never unbinding the last way to sign in.

use super::fake_provider::{FakeProvider, Person};
use super::{finish_with_new_account, location, spawn, Browser};
use crate::backend_tests;
use crate::helpers::Backend;

backend_tests!(bind_while_signed_in_and_unbind_never_the_last_way_in);

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
    // Binds and unbinds are in the audit log, without the provider's ids.
    let audit: Vec<(String, String)> = server::on_pool!(&app.db, pool => sqlx::query_as(
        "SELECT action, object_repr FROM audit_log WHERE object_type = 'oauth_identity' ORDER BY id")
        .fetch_all(pool).await).unwrap();
    assert_eq!(
        audit,
        [
            ("create".to_string(), "Weibo".to_string()),
            ("delete".to_string(), "GitHub".to_string())
        ]
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
