//! argon2id hashes per second with the production parameters, through the real
//! `hash_password` (for `bench/accounts`): first one at a time (one core), then as many at once
//! as there are cores (what a burst of sign-ins can get).
//!
//!   HASH_COUNT=20 cargo run -p server --release --example hash_rate

use std::time::Instant;

use server::auth::password::hash_password;

#[tokio::main(flavor = "multi_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let count: usize = std::env::var("HASH_COUNT")
        .unwrap_or_else(|_| "20".into())
        .parse()
        .map_err(|e| format!("HASH_COUNT: expected a whole number ({e})"))?;
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());

    let start = Instant::now();
    for _ in 0..count {
        hash_password("correct horse battery staple".into()).await?;
    }
    let serial = count as f64 / start.elapsed().as_secs_f64();

    let start = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..count {
        tasks.spawn(hash_password("correct horse battery staple".into()));
    }
    while let Some(result) = tasks.join_next().await {
        result??;
    }
    let parallel = count as f64 / start.elapsed().as_secs_f64();
    println!("argon2id_hashes_per_second_one_core {serial:.1}");
    println!("argon2id_hashes_per_second_all_cores {parallel:.1} ({cores} cores)");
    println!("argon2id_ms_per_hash {:.1}", 1000.0 / serial);
    Ok(())
}
