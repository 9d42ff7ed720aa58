//! Web terminals over the API: `POST /api/v1/hosts/{id}/terminal-sessions` opens one (201 with
//! a single-use ticket), `POST /api/v1/terminal-sessions/{session_id}/resume` gives a new
//! ticket for one's own live session, `DELETE /api/v1/terminal-sessions/{session_id}` ends it
//! (one's own, or anyone's with `host.monitor`), and `GET /ws/terminal?ticket=…` (outside `/api`: it
//! answers with a websocket, not JSON) checks the `Origin` and the ticket before it upgrades.
//! Both POSTs take a session cookie or a bearer token; the service decides who may do what.

use app::dto::{TerminalSize, TerminalTicket};
use app::error::AppError;
use app::ports::TerminalService as _;
use axum::{
    extract::{
        ws::{rejection::WebSocketUpgradeRejection, Message, WebSocket, WebSocketUpgrade},
        Path, Query, State,
    },
    http::{header, HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    routing::get,
    Json, Router,
};
use futures::{SinkExt, StreamExt};
use serde::Deserialize;
use tokio::sync::mpsc;

use super::actor::Actor;
use super::problem::{ApiJson, Problem};
use crate::state::AppState;
use crate::webssh::protocol::{Frame, ToSession};
use crate::webssh::{bridge, Attachment};

/// `ws://host` or `wss://host` as the caller reached us (the scheme follows `PUBLIC_URL`).
fn ws_base(state: &AppState, headers: &HeaderMap) -> String {
    let scheme = if state.settings.public_url.scheme() == "https" {
        "wss"
    } else {
        "ws"
    };
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
        .or_else(|| {
            let u = &state.settings.public_url;
            u.host_str().map(|h| {
                u.port()
                    .map_or_else(|| h.to_string(), |p| format!("{h}:{p}"))
            })
        })
        .unwrap_or_default();
    format!("{scheme}://{host}")
}

fn created(ticket: TerminalTicket) -> Response {
    (StatusCode::CREATED, Json(ticket)).into_response()
}

pub async fn open(
    State(state): State<AppState>,
    actor: Actor,
    headers: HeaderMap,
    Path(id): Path<String>,
    ApiJson(size): ApiJson<TerminalSize>,
) -> Result<Response, Problem> {
    let host_id = id
        .parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or_else(|| Problem(AppError::NotFound("host".into())))?;
    let who = actor.principal(&state).await?;
    let base = ws_base(&state, &headers);
    Ok(created(
        state.terminals.open(&who, host_id, size, &base).await?,
    ))
}

pub async fn resume(
    State(state): State<AppState>,
    actor: Actor,
    headers: HeaderMap,
    Path(session_id): Path<String>,
) -> Result<Response, Problem> {
    let who = actor.principal(&state).await?;
    let base = ws_base(&state, &headers);
    Ok(created(
        state.terminals.resume(&who, &session_id, &base).await?,
    ))
}

pub async fn end(
    State(state): State<AppState>,
    actor: Actor,
    Path(session_id): Path<String>,
) -> Result<StatusCode, Problem> {
    let who = actor.principal(&state).await?;
    state.terminals.end(&who, &session_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize)]
pub struct WsQuery {
    #[serde(default)]
    ticket: String,
}

/// `GET /ws/terminal?ticket=…`: 403 for a foreign or missing `Origin`, 401 for an unknown,
/// used or expired ticket; only then the upgrade (the ticket is spent either way).
pub async fn websocket(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<WsQuery>,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Response {
    let public = state
        .settings
        .public_url
        .origin()
        .ascii_serialization()
        .to_ascii_lowercase();
    if !crate::http::csrf::websocket_origin_ok(&headers, &public) {
        tracing::warn!("refused a terminal websocket from a foreign origin");
        return Problem(AppError::Forbidden).into_response();
    }
    let Some(attachment) = state.terminals.redeem(&query.ticket) else {
        return Problem(AppError::Unauthenticated).into_response();
    };
    let upgrade = match upgrade {
        Ok(u) => u,
        Err(rejection) => return rejection.into_response(),
    };
    let beat = state.terminals.heartbeat();
    upgrade
        .max_message_size(1 << 20)
        .on_upgrade(move |socket| serve(socket, attachment, beat))
}

fn to_message(frame: Frame) -> Message {
    match frame {
        Frame::Binary(b) => Message::Binary(b),
        Frame::Text(t) => Message::Text(t.into()),
        Frame::Close | Frame::Other => Message::Close(None),
    }
}

fn to_frame(message: Message) -> Frame {
    match message {
        Message::Binary(b) => Frame::Binary(b),
        Message::Text(t) => Frame::Text(t.to_string()),
        Message::Close(_) => Frame::Close,
        Message::Ping(_) | Message::Pong(_) => Frame::Other,
    }
}

async fn serve(socket: WebSocket, attachment: Attachment, beat: bridge::Heartbeat) {
    let (sink, stream) = socket.split();
    let sink = sink.with(|f: Frame| async move { Ok::<_, axum::Error>(to_message(f)) });
    let stream = stream.map(|m| m.map(to_frame));
    let (out, from_session) = mpsc::channel(16);
    let Attachment {
        session_id,
        to_session,
        generation,
    } = attachment;
    if to_session
        .send(ToSession::Attach { generation, out })
        .await
        .is_err()
    {
        return;
    }
    let end = bridge::run(
        Box::pin(sink),
        stream,
        to_session,
        from_session,
        generation,
        beat,
    )
    .await;
    tracing::debug!(session = %session_id, ?end, "terminal websocket ended");
}

/// `/ws/terminal`, for the site router.
pub fn ws_routes() -> Router<AppState> {
    Router::new().route("/ws/terminal", get(websocket))
}

/// The two API routes with their operations.
pub fn register(api: &mut super::registry::ApiBuilder) {
    use super::openapi::schema::{problem_ref, rate_headers};
    use super::registry::{Auth, Operation};
    use axum::http::Method;
    use serde_json::json;

    api.schema(
        "TerminalTicket",
        json!({"type": "object", "required": ["session_id", "ticket", "websocket_url"],
            "additionalProperties": false, "properties": {
            "session_id": {"type": "string", "description": "Names the session for a resume."},
            "ticket": {"type": "string", "description": "Works once, within 30 s."},
            "websocket_url": {"type": "string",
                "description": "`ws(s)://…/ws/terminal?ticket=…`. Binary frames: terminal bytes \
                both ways. Text frames: JSON `{\"type\":\"resize\",\"cols\":N,\"rows\":N}` \
                from the client, `ping`/`pong` every 10 s both ways (30 s of silence drops the \
                peer), `{\"type\":\"exit\",\"code\":N,\"reason\":\"…\"}` from the server."}
        }}),
    );
    let ticket = json!({"description": "A ticket for the terminal's websocket",
        "headers": rate_headers(),
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/TerminalTicket"}}}});
    api.route(
        Method::POST,
        "/api/v1/hosts/{id}/terminal-sessions",
        open,
        Operation::new("open_terminal", "terminals", "Open a terminal on a host")
            .auth(Auth::Required)
            .describe(
                "Superusers reach every host, others through a grant in force. Connects to the \
                 host (its key checked against the trusted one) and answers a single-use \
                 ticket valid 30 s. The body may be `{}` or give the first size. 409 when the \
                 host key changed (both fingerprints in the detail), the credentials are \
                 refused or the host is unreachable; 429 over the per-user limit.",
            )
            .body(
                json!({"type": "object", "additionalProperties": false, "properties": {
                    "cols": {"type": "integer", "minimum": 1, "maximum": 1000},
                    "rows": {"type": "integer", "minimum": 1, "maximum": 1000}
                }}),
            )
            .response(201, ticket.clone())
            .response(409, problem_ref(409)),
    );
    api.route(
        Method::POST,
        "/api/v1/terminal-sessions/{session_id}/resume",
        resume,
        Operation::new(
            "resume_terminal",
            "terminals",
            "A new ticket for a dropped terminal",
        )
        .auth(Auth::Required)
        .describe(
            "Within the grace period after its websocket dropped, the caller's own session \
                 takes a new websocket and first receives the output it missed. 404 for an \
                 ended or foreign session.",
        )
        .response(201, ticket),
    );
    api.route(
        Method::DELETE,
        "/api/v1/terminal-sessions/{session_id}",
        end,
        Operation::new("end_terminal", "terminals", "End a live terminal now")
            .auth(Auth::Required)
            .describe(
                "One's own session, or anyone's with `host.monitor`: the user's terminal gets \
                 an exit message naming who ended it. 404 for other or ended sessions.",
            )
            .response(
                204,
                json!({"description": "Ended.", "headers": rate_headers()}),
            ),
    );
}
