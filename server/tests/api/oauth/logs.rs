//! No secret in any log line: the logs of a whole GitHub sign-in, a password sign-up and sign-in,
//! API tokens with a refresh, and a password reset by mail, captured at debug level (spans and
//! their fields included), must not contain a password, a session id, a token, a code or the
//! client secret.
//!
//! The capture is the process's global subscriber (the app's work runs on many threads), so it
//! also holds other tests' lines: the secrets searched for are this test's own, and a leak of
//! the shared client secret by any test is a leak too.

use std::sync::{Arc, Mutex, OnceLock};

use tracing_subscriber::{fmt::MakeWriter, layer::SubscriberExt, EnvFilter};

use super::fake_provider::{FakeProvider, Person, CLIENT_SECRET};
use super::{finish_with_new_account, param, Browser};
use crate::accounts::{post_form, session_cookie};
use crate::backend_tests;
use crate::fake_smtp::FakeSmtp;
use crate::helpers::{spawn_app_with, Backend, Options};

backend_tests!(no_secret_reaches_the_logs);

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Captured {
    type Writer = Captured;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

/// Installs the capturing subscriber once for the whole test binary.
fn captured() -> &'static Captured {
    static CAPTURE: OnceLock<Captured> = OnceLock::new();
    CAPTURE.get_or_init(|| {
        let capture = Captured::default();
        let filter = EnvFilter::new(
            "info,server=trace,app=trace,tower_http=debug,tower_sessions=debug,leptos=debug",
        );
        let subscriber = tracing_subscriber::registry().with(filter).with(
            tracing_subscriber::fmt::layer()
                .with_ansi(false)
                .with_writer(capture.clone()),
        );
        tracing::subscriber::set_global_default(subscriber)
            .expect("no other global subscriber in the test binary");
        capture
    })
}

async fn no_secret_reaches_the_logs(backend: Backend) {
    let capture = captured();
    let fake = FakeProvider::start().await;
    let mut smtp = FakeSmtp::start().await;
    let mut extra = fake.settings();
    extra.push(("SMTP_URL", smtp.url.clone()));
    let app = spawn_app_with(
        backend,
        Options {
            redis: true,
            seed_demo: false,
            extra,
            ..Default::default()
        },
    )
    .await;
    let tag = uuid::Uuid::new_v4().simple().to_string();
    let mut secrets: Vec<(String, String)> = vec![("client secret".into(), CLIENT_SECRET.into())];

    // GitHub: start, consent, callback, finish the sign-up.
    fake.consent_as(&Person::new(&tag));
    let mut browser = Browser::new(&app);
    let callback = browser.through_provider("github", "").await;
    secrets.push(("oauth state".into(), param(&callback, "state").unwrap()));
    assert_eq!(browser.callback(&callback).await, "/login/oauth/finish");
    let username = format!("gh{}", &tag[..8]);
    finish_with_new_account(&mut browser, &username).await;
    assert_eq!(browser.me().await["username"], username.as_str());
    secrets.push(("oauth session".into(), browser.cookie.clone().unwrap()));
    for s in fake.issued_secrets() {
        secrets.push(("provider code or token".into(), s));
    }

    // A password account: sign-up, sign-in, API tokens and a refresh, a reset by mail.
    let name = format!("pw{}", &tag[..8]);
    let password = format!("first secret {tag}");
    let registered = post_form(
        &app,
        "/fn/accounts/register",
        None,
        &[
            ("username", &name),
            ("email", &format!("{name}@example.com")),
            ("password", &password),
        ],
    )
    .await;
    secrets.push(("session".into(), session_cookie(&registered).unwrap()));
    let verify = smtp.next().await.token();
    secrets.push(("verification token".into(), verify));
    let signed_in = post_form(
        &app,
        "/fn/accounts/login",
        None,
        &[("username", &name), ("password", &password)],
    )
    .await;
    secrets.push(("session".into(), session_cookie(&signed_in).unwrap()));
    let pair: serde_json::Value = app
        .post_json(
            "/api/v1/auth/token",
            &serde_json::json!({"username": name, "password": password}),
        )
        .await
        .json()
        .await
        .unwrap();
    let refreshed: serde_json::Value = app
        .post_json(
            "/api/v1/auth/refresh",
            &serde_json::json!({"refresh_token": pair["refresh_token"]}),
        )
        .await
        .json()
        .await
        .unwrap();
    for p in [&pair, &refreshed] {
        for key in ["access_token", "refresh_token"] {
            secrets.push((key.into(), p[key].as_str().unwrap().to_string()));
        }
    }
    let me = app
        .client
        .get(app.url("/api/v1/users/me"))
        .bearer_auth(refreshed["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), 200);
    post_form(
        &app,
        "/fn/accounts/password/forgot",
        None,
        &[("email", &format!("{name}@example.com"))],
    )
    .await;
    let reset = smtp.next().await.token();
    let new_password = format!("second secret {tag}");
    let done = post_form(
        &app,
        "/fn/accounts/password/reset",
        None,
        &[("token", &reset), ("password", &new_password)],
    )
    .await;
    assert_eq!(done.status(), 200);
    secrets.push(("reset token".into(), reset));
    secrets.push(("password".into(), password));
    secrets.push(("new password".into(), new_password));

    let logs = String::from_utf8_lossy(&capture.0.lock().unwrap()).into_owned();
    // The capture saw this flow: the reset's own log line, and request spans.
    assert!(
        logs.contains("password reset by mailed link"),
        "the capture holds the flow"
    );
    assert!(logs.contains("/api/v1/auth/refresh"));
    for (what, secret) in &secrets {
        // A cookie is searched for by its value; short values would match by chance.
        let value = secret.strip_prefix("xc_session=").unwrap_or(secret);
        assert!(value.len() >= 10, "{what} is too short to search for");
        let line = logs.lines().find(|l| l.contains(value));
        assert!(
            line.is_none(),
            "a {what} in the logs: {}",
            line.unwrap_or("")
        );
    }
}
