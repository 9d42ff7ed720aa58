//! A terminal's life after it opened: a dropped websocket resumes and shows what was printed
//! meanwhile, an idle terminal ends, and an ended one leaves its recording (asciicast v2,
//! gzipped) and the lines entered (the command audit) behind.

use std::io::Read;
use std::time::Duration;

use reqwest::Method;
use serde_json::{json, Value};
use server::model_engine::sql::SqlValue;

use super::sshd::Sshd;
use super::{app, connect, create_host, key_host, open, resume, text};
use crate::backend_tests;
use crate::helpers::Backend;
use crate::rest_support::{call, send};

backend_tests!(
    a_dropped_websocket_resumes_with_what_it_missed,
    an_idle_terminal_ends,
    a_session_leaves_its_recording_and_command_audit,
);

const WAIT: Duration = Duration::from_secs(10);

async fn a_dropped_websocket_resumes_with_what_it_missed(b: Backend) {
    let sshd = Sshd::start();
    let app = app(b, &[]).await;
    let admin = app.bearer(&app.superuser().await).await;
    let host = create_host(&app, &admin, &key_host(&sshd, "lab-r")).await;
    let (_, ticket) = open(&app, &admin, host, json!({})).await;
    let url = ticket["websocket_url"].as_str().unwrap();
    let mut term = connect(url, Some(&app.address)).await.unwrap();
    term.type_text("sleep 1; echo while-away-$((40+2))\r").await;
    assert!(term.wait_for("sleep 1", WAIT).await, "{}", term.screen);
    term.drop_connection();
    tokio::time::sleep(Duration::from_millis(1_500)).await;

    let session = ticket["session_id"].as_str().unwrap();
    let (status, again) = resume(&app, &admin, session).await;
    assert_eq!(status, 201, "{again}");
    assert_eq!(again["session_id"], session);
    assert_ne!(again["ticket"], ticket["ticket"]);
    let mut term = connect(again["websocket_url"].as_str().unwrap(), Some(&app.address))
        .await
        .unwrap();
    assert!(
        term.wait_for("while-away-42", WAIT).await,
        "{}",
        term.screen
    );
    // The same shell: what was set before the drop is still there.
    term.type_text("echo still-$$-$((1+1))\r").await;
    assert!(term.wait_for("still-", WAIT).await);
}

async fn an_idle_terminal_ends(b: Backend) {
    let sshd = Sshd::start();
    let app = app(b, &[("WEBSSH_IDLE_SECONDS", "1")]).await;
    let admin = app.bearer(&app.superuser().await).await;
    let host = create_host(&app, &admin, &key_host(&sshd, "lab-i")).await;
    let (_, ticket) = open(&app, &admin, host, json!({})).await;
    let mut term = connect(
        ticket["websocket_url"].as_str().unwrap(),
        Some(&app.address),
    )
    .await
    .unwrap();
    let exit = term.wait_exit(WAIT).await.expect("the idle terminal ends");
    assert_eq!(exit["reason"], "idle timeout");
    let session = ticket["session_id"].as_str().unwrap();
    let reason = wait_for_row(&app, session).await;
    assert_eq!(reason, "idle timeout");
    // An ended session cannot be resumed.
    let (status, _) = resume(&app, &admin, session).await;
    assert_eq!(status, 404);
}

/// The exit reason once the session's row is closed.
async fn wait_for_row(app: &crate::helpers::TestApp, session: &str) -> String {
    for _ in 0..100 {
        let rows = server::db::records::labels(
            &app.db,
            "SELECT id, exit_reason FROM ssh_sessions WHERE public_id = $1 AND ended_at IS NOT NULL",
            &[SqlValue::Text(session.into())],
        )
        .await
        .unwrap();
        if let Some((_, reason)) = rows.into_iter().next() {
            return reason;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("session {session} did not end");
}

async fn a_session_leaves_its_recording_and_command_audit(b: Backend) {
    let sshd = Sshd::start();
    let app = app(b, &[]).await;
    let admin = app.bearer(&app.superuser().await).await;
    let host = create_host(&app, &admin, &key_host(&sshd, "lab-rec")).await;
    let (_, ticket) = open(&app, &admin, host, json!({"cols": 90, "rows": 30})).await;
    let mut term = connect(
        ticket["websocket_url"].as_str().unwrap(),
        Some(&app.address),
    )
    .await
    .unwrap();
    term.type_text("echo recorded-$((3*3))\r").await;
    assert!(term.wait_for("recorded-9", WAIT).await);
    term.control(json!({"type": "resize", "cols": 100, "rows": 40}))
        .await;
    term.type_text("exit\r").await;
    term.wait_exit(WAIT).await.expect("exit");
    let session = ticket["session_id"].as_str().unwrap();
    assert_eq!(wait_for_row(&app, session).await, "exited");

    let path = text(
        &app,
        "SELECT id, recording_path FROM ssh_sessions WHERE public_id = $1",
        &[SqlValue::Text(session.into())],
    )
    .await;
    let mut cast = String::new();
    flate2::read::GzDecoder::new(std::fs::File::open(&path).unwrap())
        .read_to_string(&mut cast)
        .unwrap();
    let lines: Vec<Value> = cast
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines[0]["version"], 2);
    assert_eq!(
        (lines[0]["width"].clone(), lines[0]["height"].clone()),
        (json!(90), json!(30))
    );
    let events = |code: &str| -> String {
        lines[1..]
            .iter()
            .filter(|e| e[1] == code)
            .map(|e| e[2].as_str().unwrap().to_string())
            .collect()
    };
    // Replaying the output events prints what the browser showed.
    assert!(events("o").contains("recorded-9"));
    assert_eq!(events("o"), term.screen);
    assert!(events("i").starts_with("echo recorded-$((3*3))\r"));
    assert_eq!(events("r"), "100x40");
    let mut last = 0.0;
    for e in &lines[1..] {
        let t = e[0].as_f64().unwrap();
        assert!(t >= last);
        last = t;
    }

    // The back office lists the session and the lines entered.
    let (status, list, _) = send(call(
        &app,
        Method::GET,
        &format!("/api/v1/terminal_sessions?host_id={host}"),
        Some(&admin),
    ))
    .await;
    assert_eq!(status, 200, "{list}");
    assert_eq!(list["results"][0]["public_id"], session);
    assert_eq!(list["results"][0]["exit_reason"], "exited");
    assert!(list["results"][0]["bytes_out"].as_i64().unwrap() > 0);
    let (status, lines, _) = send(call(
        &app,
        Method::GET,
        &format!("/api/v1/terminal_commands?host_id={host}&search=recorded"),
        Some(&admin),
    ))
    .await;
    assert_eq!(status, 200, "{lines}");
    assert_eq!(lines["results"][0]["line"], "echo recorded-$((3*3))");
}
