//! Web terminals end to end against a real `sshd` ([`sshd`]): hosts and grants through the
//! API, opening a terminal, the websocket as a browser drives it ([`Term`]), resume,
//! recordings and the command audit. The attacker's side is in `attacks/webssh.rs`.

pub mod sshd;
mod terminal;
mod terminal_life;

use std::time::Duration;

use futures::{SinkExt, StreamExt};
use reqwest::Method;
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::{client::IntoClientRequest, Error, Message};

use crate::helpers::{spawn_app_with, Backend, Options, TestApp};
use crate::rest_support::{call, send};
use sshd::Sshd;

pub async fn app(backend: Backend, extra: &[(&'static str, &str)]) -> TestApp {
    let mut options = Options::unthrottled();
    options
        .extra
        .extend(extra.iter().map(|(k, v)| (*k, v.to_string())));
    spawn_app_with(backend, options).await
}

/// A key-authenticated host for `sshd` (its key unknown yet: trust on first use).
pub fn key_host(sshd: &Sshd, name: &str) -> Value {
    json!({"name": name, "hostname": "127.0.0.1", "port": sshd.port, "username": sshd::USER,
        "auth_kind": "key", "private_key": sshd.user_key, "purpose": "ops"})
}

pub fn password_host(sshd: &Sshd, name: &str) -> Value {
    json!({"name": name, "hostname": "127.0.0.1", "port": sshd.port, "username": sshd::USER,
        "auth_kind": "password", "password": sshd::PASSWORD, "purpose": "ops"})
}

pub async fn create_host(app: &TestApp, admin: &str, body: &Value) -> i64 {
    let (status, body, _) =
        send(call(app, Method::POST, "/api/v1/hosts", Some(admin)).json(body)).await;
    assert_eq!(status, 201, "{body}");
    body["id"].as_i64().unwrap()
}

pub async fn grant(app: &TestApp, admin: &str, body: Value) -> (u16, Value) {
    let (status, body, _) =
        send(call(app, Method::POST, "/api/v1/host_grants", Some(admin)).json(&body)).await;
    (status, body)
}

pub async fn open(app: &TestApp, token: &str, host: i64, size: Value) -> (u16, Value) {
    let path = format!("/api/v1/hosts/{host}/terminal-sessions");
    let (status, body, _) = send(call(app, Method::POST, &path, Some(token)).json(&size)).await;
    (status, body)
}

pub async fn resume(app: &TestApp, token: &str, session: &str) -> (u16, Value) {
    let path = format!("/api/v1/terminal-sessions/{session}/resume");
    let (status, body, _) = send(call(app, Method::POST, &path, Some(token))).await;
    (status, body)
}

/// The text of the first row of `SELECT id, <text> …`.
pub async fn text(
    app: &TestApp,
    sql: &str,
    values: &[server::model_engine::sql::SqlValue],
) -> String {
    let rows = server::db::records::labels(&app.db, sql, values)
        .await
        .unwrap();
    rows.into_iter().next().expect("a row").1
}

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// The browser's end of a terminal websocket.
pub struct Term {
    ws: Socket,
    /// Everything the terminal printed so far.
    pub screen: String,
    /// Control messages received (pings, exit).
    pub controls: Vec<Value>,
}

/// Connects as a browser on `origin` would; the HTTP status when the upgrade is refused.
pub async fn connect(url: &str, origin: Option<&str>) -> Result<Term, u16> {
    let mut request = url.into_client_request().unwrap();
    if let Some(origin) = origin {
        request
            .headers_mut()
            .insert("Origin", origin.parse().unwrap());
    }
    match tokio_tungstenite::connect_async(request).await {
        Ok((ws, response)) => {
            assert_eq!(response.status(), 101);
            Ok(Term {
                ws,
                screen: String::new(),
                controls: Vec::new(),
            })
        }
        Err(Error::Http(response)) => Err(response.status().as_u16()),
        Err(e) => panic!("websocket connect failed: {e}"),
    }
}

impl Term {
    pub async fn type_text(&mut self, text: &str) {
        self.ws
            .send(Message::Binary(text.as_bytes().to_vec().into()))
            .await
            .unwrap();
    }

    pub async fn control(&mut self, value: Value) {
        self.ws
            .send(Message::Text(value.to_string().into()))
            .await
            .unwrap();
    }

    /// Reads until the screen contains `needle` (true) or `within` passes or the socket ends.
    pub async fn wait_for(&mut self, needle: &str, within: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + within;
        while !self.screen.contains(needle) {
            match tokio::time::timeout_at(deadline, self.ws.next()).await {
                Ok(Some(Ok(message))) => self.take(message),
                _ => return false,
            }
        }
        true
    }

    /// Reads until the server's exit message; returns it.
    pub async fn wait_exit(&mut self, within: Duration) -> Option<Value> {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            if let Some(exit) = self.controls.iter().find(|c| c["type"] == "exit") {
                return Some(exit.clone());
            }
            match tokio::time::timeout_at(deadline, self.ws.next()).await {
                Ok(Some(Ok(message))) => self.take(message),
                _ => return None,
            }
        }
    }

    fn take(&mut self, message: Message) {
        match message {
            Message::Binary(b) => self.screen.push_str(&String::from_utf8_lossy(&b)),
            Message::Text(t) => self.controls.push(serde_json::from_str(&t).unwrap()),
            _ => {}
        }
    }

    /// Drops the connection without a goodbye (a lost network).
    pub fn drop_connection(self) {
        drop(self.ws);
    }
}
