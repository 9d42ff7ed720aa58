//! `xuecheng`: the web server, the worker and the admin commands in one binary.

use std::process::ExitCode;

use clap::Parser;
use server::cli::{run, Cli};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            // `{:#}` prints the whole context chain on one line: "cannot connect …: connection refused".
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}
