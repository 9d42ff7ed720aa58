//! The baseline for `bench/run`: the smallest axum 0.8 server on the same tokio runtime, so the
//! site's throughput can be read as a share of what this machine serves at best.
//!
//!   HELLO_ADDR=127.0.0.1:3999 cargo run -p server --release --example hello

use std::net::SocketAddr;

use axum::{routing::get, Router};

// The site's allocator, so the ratio measures our code rather than the choice of allocator.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main(flavor = "multi_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let addr: SocketAddr = std::env::var("HELLO_ADDR")
        .unwrap_or_else(|_| "127.0.0.1:3999".into())
        .parse()
        .map_err(|e| format!("HELLO_ADDR: expected host:port ({e})"))?;
    let app = Router::new().route("/", get(|| async { "Hello, World!" }));
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| format!("cannot listen on {addr} (HELLO_ADDR): {e}"))?;
    println!("hello-world listening on http://{}", listener.local_addr()?);
    axum::serve(listener, app).await?;
    Ok(())
}
