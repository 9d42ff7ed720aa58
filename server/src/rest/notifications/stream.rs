//! `GET /api/v1/notifications/stream`: Server-Sent Events that keep a page's bell current,
//! with no polling. For browser sessions (what `EventSource` sends); a bearer token is 403.
//!
//! Events, each `data` a JSON object:
//! - `unread` `{"unread_count": n}`: first, on connecting (so a page rendered a moment ago
//!   catches up), and after this instance's feed dropped announcements for a slow stream;
//! - `notification` `{"id": id, "unread_count": n}` (event id: the notification's id): one was
//!   just written for the caller, here, by a worker or by another instance (see
//!   [`crate::notifications::live`]).
//!
//! A comment every 15 s keeps proxies from closing an idle stream. A stream ends after
//! [`MAX_STREAM`] (the browser reconnects within `retry`, and the session is checked again),
//! and when the process shuts down.

use std::time::Duration;

use app::error::AppError;
use app::ports::NotificationService;
use axum::{
    extract::State,
    http::{Method, Uri},
    response::{
        sse::{Event, KeepAlive, Sse},
        IntoResponse, Response,
    },
};
use serde_json::json;
use tokio::sync::{broadcast, watch};

use crate::notifications::{Announced, Centre};
use crate::rest::actor::Actor;
use crate::rest::params;
use crate::rest::problem::{bad_params, Problem};
use crate::rest::registry::{ApiBuilder, Auth, Operation};
use crate::state::AppState;

pub const PATH: &str = "/api/v1/notifications/stream";
/// The longest one stream lasts before the browser reconnects (and is authenticated again).
pub const MAX_STREAM: Duration = Duration::from_secs(30 * 60);
const HEARTBEAT: Duration = Duration::from_secs(15);
const RETRY: Duration = Duration::from_secs(3);

struct Listener {
    centre: Centre,
    user_id: i64,
    feed: broadcast::Receiver<Announced>,
    closing: watch::Receiver<bool>,
    until: tokio::time::Instant,
    first: Option<u64>,
}

enum Heard {
    Mine(i64),
    Missed,
    Others,
    End,
}

impl Listener {
    async fn hear(&mut self) -> Heard {
        use broadcast::error::RecvError;
        tokio::select! {
            _ = self.closing.wait_for(|closing| *closing) => Heard::End,
            () = tokio::time::sleep_until(self.until) => Heard::End,
            got = self.feed.recv() => match got {
                Ok(a) if a.user_id == self.user_id => Heard::Mine(a.id),
                Ok(_) => Heard::Others,
                Err(RecvError::Lagged(_)) => Heard::Missed,
                Err(RecvError::Closed) => Heard::End,
            },
        }
    }

    /// The next event, `None` when the stream ends (also when the count cannot be read: the
    /// browser reconnects and tries again).
    async fn next(&mut self) -> Option<Event> {
        if let Some(n) = self.first.take() {
            return Some(
                Event::default()
                    .event("unread")
                    .retry(RETRY)
                    .data(json!({"unread_count": n}).to_string()),
            );
        }
        loop {
            let heard = self.hear().await;
            let event = match heard {
                Heard::Others => continue,
                Heard::End => return None,
                Heard::Mine(id) => Event::default()
                    .event("notification")
                    .id(id.to_string())
                    .data(json!({"id": id, "unread_count": self.unread().await?}).to_string()),
                Heard::Missed => Event::default()
                    .event("unread")
                    .data(json!({"unread_count": self.unread().await?}).to_string()),
            };
            return Some(event);
        }
    }

    async fn unread(&self) -> Option<u64> {
        self.centre.unread_count(self.user_id).await.ok()
    }
}

/// The caller's stream (see the module doc).
pub async fn stream(
    State(state): State<AppState>,
    actor: Actor,
    uri: Uri,
) -> Result<Response, Problem> {
    if actor.token.is_some() {
        // EventSource sends cookies, never headers: the stream is the pages'.
        return Err(Problem(AppError::Forbidden));
    }
    let pairs = params::pairs(uri.query());
    if !pairs.is_empty() {
        let errors: Vec<_> = pairs
            .iter()
            .map(|(k, _)| {
                app::error::FieldError::new(k.as_str(), "this stream takes no parameters")
            })
            .collect();
        return Ok(bad_params(&errors));
    }
    let live = state.jobs.context.notifier.live();
    // Listen first, then count: a notification written in between is both counted and heard
    // (a count sent twice is harmless; one missed is not).
    let feed = live.subscribe();
    let closing = live.closing();
    let centre = state.notifications.clone();
    let first = centre.unread_count(actor.user_id).await?;
    let listener = Listener {
        centre,
        user_id: actor.user_id,
        feed,
        closing,
        until: tokio::time::Instant::now() + MAX_STREAM,
        first: Some(first),
    };
    let events = futures::stream::unfold(listener, |mut l| async move {
        let event = l.next().await?;
        Some((Ok::<_, std::convert::Infallible>(event), l))
    });
    let mut response = Sse::new(events)
        .keep_alive(KeepAlive::new().interval(HEARTBEAT).text("heartbeat"))
        .into_response();
    // nginx would otherwise hold the events back in its buffer.
    response.headers_mut().insert(
        "x-accel-buffering",
        axum::http::HeaderValue::from_static("no"),
    );
    Ok(response)
}

pub fn register(api: &mut ApiBuilder) {
    api.route(
        Method::GET,
        PATH,
        stream,
        Operation::new(
            "stream_notifications",
            "notifications",
            "Server-Sent Events: the caller's unread count, live",
        )
        .auth(Auth::Required)
        .describe(
            "For browser sessions (`EventSource`); a bearer token is 403. Events: `unread` \
             `{\"unread_count\": n}` on connecting, and `notification` `{\"id\", \"unread_count\"}` \
             when one is written for the caller (on any instance). A `: heartbeat` comment every \
             15 s; the stream ends after 30 minutes and the browser reconnects.",
        )
        .response(
            200,
            json!({"description": "An endless event stream.",
                "headers": crate::rest::openapi::schema::rate_headers(),
                "content": {"text/event-stream": {"schema": {"type": "string"}}}}),
        ),
    );
}
