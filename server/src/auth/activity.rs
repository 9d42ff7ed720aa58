//! Per-request session upkeep, inside the session layer:
//! - on the way in, a session marked by a privilege change ([`ROTATE_KEY`]) gets a new id, so
//!   the id that was valid before the change stops working;
//! - on the way out, a signed-in session records its device (address, browser) and, at most once
//!   a minute, when it was last seen. The write rides on the session save the layer does anyway,
//!   and it also keeps the idle expiry moving.
//!
//! Requests for static files skip it: they would cost a store read each for nothing.

use axum::{extract::Request, middleware::Next, response::Response};
use chrono::Utc;
use tower_sessions::Session;

use super::device::{Device, DEVICE_KEY};
use super::session_store::{ROTATE_KEY, USER_KEY};

fn skipped(path: &str) -> bool {
    path.starts_with("/pkg/") || path == "/favicon.ico" || path == "/healthz" || path == "/readyz"
}

pub async fn layer(request: Request, next: Next) -> Response {
    let Some(session) = request.extensions().get::<Session>().cloned() else {
        return next.run(request).await;
    };
    if skipped(request.uri().path()) {
        return next.run(request).await;
    }
    if session.id().is_some() {
        rotate_if_marked(&session).await;
    }
    let meta = crate::http::request_meta::of(request.extensions(), request.headers());
    let response = next.run(request).await;
    record_device(
        &session,
        meta.ip(),
        meta.user_agent.as_deref().unwrap_or(""),
    )
    .await;
    response
}

async fn rotate_if_marked(session: &Session) {
    // Look before removing: `remove_value` marks the session modified (a store write) even when
    // the key is absent.
    match session.get_value(ROTATE_KEY).await {
        Ok(Some(_)) => {
            if let Err(error) = session.remove_value(ROTATE_KEY).await {
                tracing::warn!(%error, "could not clear the rotation mark");
            }
            if let Err(error) = session.cycle_id().await {
                tracing::error!(%error, "could not rotate a session id after a privilege change");
            } else {
                tracing::info!("session id rotated after a privilege change");
            }
        }
        Ok(None) => {}
        Err(error) => tracing::warn!(%error, "could not read the session"),
    }
}

async fn record_device(session: &Session, ip: Option<String>, ua: &str) {
    // Cheap: the record is loaded already when a handler used it, and absent without a cookie.
    let signed_in = matches!(session.get_value(USER_KEY).await, Ok(Some(_)));
    if !signed_in {
        return;
    }
    let now = Utc::now();
    let fresh = match session.get::<Device>(DEVICE_KEY).await {
        Ok(Some(device)) => device.touched(ip.as_deref(), now),
        _ => Some(Device::new(ip, ua, now)),
    };
    if let Some(device) = fresh {
        if let Err(error) = session.insert(DEVICE_KEY, device).await {
            tracing::warn!(%error, "could not record the session's device");
        }
    }
}
