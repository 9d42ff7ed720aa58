//! How the server serves, beside what it serves: the front-end bundle pre-compressed (brotli,
//! gzip) to clients that accept it, and a shutdown that finishes the request in flight.

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::backend_tests;
use crate::helpers::{spawn_app_with, Backend, Options, TempDir};

backend_tests!(
    the_bundle_is_served_precompressed,
    each_page_names_the_bundle_that_knows_its_route,
    shutdown_finishes_the_request_in_flight,
);

async fn the_bundle_is_served_precompressed(backend: Backend) {
    // A site root of our own: the bytes of each variant say which one was sent.
    let site = TempDir::new();
    let pkg = site.0.join("pkg");
    std::fs::create_dir_all(&pkg).unwrap();
    std::fs::write(pkg.join("xuecheng.js"), b"plain javascript").unwrap();
    std::fs::write(pkg.join("xuecheng.js.br"), b"brotli bytes").unwrap();
    std::fs::write(pkg.join("xuecheng.js.gz"), b"gzip bytes").unwrap();
    let app = spawn_app_with(
        backend,
        Options {
            seed_demo: false,
            extra: vec![("LEPTOS_SITE_ROOT", site.0.display().to_string())],
            ..Default::default()
        },
    )
    .await;
    for (accept, encoding, body) in [
        (Some("gzip, deflate, br"), Some("br"), "brotli bytes"),
        (Some("gzip"), Some("gzip"), "gzip bytes"),
        (None, None, "plain javascript"),
    ] {
        let mut request = app.client.get(app.url("/pkg/xuecheng.js"));
        if let Some(accept) = accept {
            request = request.header("accept-encoding", accept);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), 200, "{accept:?}");
        let headers = response.headers().clone();
        assert_eq!(
            headers.get("content-encoding").map(|v| v.to_str().unwrap()),
            encoding,
            "{accept:?}"
        );
        assert!(
            headers["content-type"]
                .to_str()
                .unwrap()
                .contains("javascript"),
            "the type of the file, not of its compression"
        );
        assert!(headers["cache-control"]
            .to_str()
            .unwrap()
            .contains("max-age"));
        assert_eq!(response.text().await.unwrap(), body, "{accept:?}");
    }
}

/// The bundle files a page's HTML names (`/pkg/<name>.js` and `/pkg/<name>_bg.wasm`).
fn bundles_named(html: &str) -> Vec<String> {
    let mut names: Vec<String> = html
        .split("/pkg/")
        .skip(1)
        .filter_map(|rest| {
            rest.split_once(['"', '\''])
                .map(|(file, _)| file.to_string())
        })
        .filter(|file| file.ends_with(".js") || file.ends_with(".wasm"))
        .collect();
    names.sort();
    names.dedup();
    names
}

/// With both bundles built (scripts/build), public pages name the public bundle and the back
/// office and account pages the full one; with one bundle (cargo-leptos), every page names it.
async fn each_page_names_the_bundle_that_knows_its_route(backend: Backend) {
    for split in [true, false] {
        let site = TempDir::new();
        let pkg = site.0.join("pkg");
        std::fs::create_dir_all(&pkg).unwrap();
        for file in ["xuecheng.js", "xuecheng_bg.wasm"] {
            std::fs::write(pkg.join(file), b"bundle").unwrap();
        }
        if split {
            for file in ["xuecheng-full.js", "xuecheng-full_bg.wasm"] {
                std::fs::write(pkg.join(file), b"bundle").unwrap();
            }
        }
        let app = spawn_app_with(
            backend,
            Options {
                extra: vec![
                    ("LEPTOS_SITE_ROOT", site.0.display().to_string()),
                    ("PAGE_CACHE_SECONDS", "0".into()),
                ],
                ..Default::default()
            },
        )
        .await;
        // A superuser, so the account and back-office pages render rather than redirect.
        let root = app.superuser().await;
        let cookie = app.sign_in(&root).await;
        let public = vec!["xuecheng.js".to_string(), "xuecheng_bg.wasm".to_string()];
        let full = if split {
            vec![
                "xuecheng-full.js".to_string(),
                "xuecheng-full_bg.wasm".to_string(),
            ]
        } else {
            public.clone()
        };
        for (path, want) in [
            ("/courses", &public),
            ("/paths", &public),
            ("/login", &full),
            ("/no-such-page", &public),
            ("/account", &full),
            ("/notifications", &full),
            ("/admin", &full),
            ("/admin/courses", &full),
            ("/terminal/1", &full),
        ] {
            let html = app
                .client
                .get(app.url(path))
                .header("cookie", &cookie)
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap();
            assert_eq!(&bundles_named(&html), want, "{path} (split: {split})");
        }
    }
}

/// A request whose body is still arriving when the shutdown starts: the server stops taking
/// connections, finishes that request, answers it, and only then stops.
async fn shutdown_finishes_the_request_in_flight(backend: Backend) {
    let app = spawn_app_with(
        backend,
        Options {
            seed_demo: false,
            ..Default::default()
        },
    )
    .await;
    let address = app.address.trim_start_matches("http://").to_string();
    let body = r#"{"username": "nobody", "password": "not the password"}"#;
    let (first, rest) = body.split_at(10);
    let mut socket = tokio::net::TcpStream::connect(&address).await.unwrap();
    // `Expect: 100-continue`: the server says "100 Continue" once its handler reads the body,
    // which proves the request is in its hands before the shutdown starts.
    let head = format!(
        "POST /api/v1/auth/token HTTP/1.1\r\nHost: {address}\r\nOrigin: {}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nExpect: 100-continue\r\n\r\n",
        app.address,
        body.len()
    );
    socket.write_all(head.as_bytes()).await.unwrap();
    let interim = read_response(&mut socket).await;
    assert!(interim.starts_with("HTTP/1.1 100"), "{interim}");
    socket.write_all(first.as_bytes()).await.unwrap();
    socket.flush().await.unwrap();

    let stopping = tokio::spawn(app.stop());
    // Wait until the server no longer accepts connections: the shutdown is under way.
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    while tokio::net::TcpStream::connect(&address).await.is_ok() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the server kept accepting connections"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(!stopping.is_finished(), "stopped with a request in flight");

    socket.write_all(rest.as_bytes()).await.unwrap();
    let answer = read_response(&mut socket).await;
    assert!(
        answer.starts_with("HTTP/1.1 401"),
        "the request in flight is answered in full: {answer}"
    );
    assert!(answer.contains("application/problem+json"), "{answer}");
    stopping.await.unwrap().expect("a clean stop");
}

/// One HTTP/1.1 response (or interim response), read up to the end of its body (by
/// `Content-Length`) one byte at a time, so nothing of the next response is consumed.
async fn read_response(socket: &mut tokio::net::TcpStream) -> String {
    let mut bytes = Vec::new();
    let mut chunk = [0u8; 1];
    loop {
        let text = String::from_utf8_lossy(&bytes).into_owned();
        if let Some(end) = text.find("\r\n\r\n") {
            let length = text[..end]
                .lines()
                .find_map(|l| {
                    let (name, value) = l.split_once(':')?;
                    name.eq_ignore_ascii_case("content-length")
                        .then(|| value.trim().parse::<usize>().ok())?
                })
                .unwrap_or(0);
            if bytes.len() >= end + 4 + length {
                return text;
            }
        }
        let n = tokio::time::timeout(std::time::Duration::from_secs(10), socket.read(&mut chunk))
            .await
            .expect("an answer within 10 s")
            .unwrap();
        assert!(
            n > 0,
            "the connection closed before the answer was complete: {text}"
        );
        bytes.extend_from_slice(&chunk[..n]);
    }
}
