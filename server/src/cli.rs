//! Subcommands: `serve` (default), `worker`, `migrate`, `createsuperuser`, `seed-demo`,
//! `seckill verify`.

use std::io::{BufRead, Write};

use anyhow::{bail, Context};
use app::domain::account::{check_password, Email, Username};
use clap::{Parser, Subcommand};

use crate::config::Settings;
use crate::db::{users, Db};
use crate::startup::{shutdown_signal, Application};

#[derive(Debug, Parser)]
#[command(
    name = "xuecheng",
    version,
    about = "学城 Xuecheng: online programming courses"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the web site (and, unless WORKER=off, run background jobs in-process).
    Serve,
    /// Run background jobs only (for a separate worker process at scale).
    Worker {
        /// Jobs run at once (default: JOB_CONCURRENCY, else the number of cores).
        #[arg(long)]
        concurrency: Option<usize>,
        /// Queues to take jobs from, comma-separated (default: JOB_QUEUES, else all).
        #[arg(long)]
        queues: Option<String>,
    },
    /// Apply pending database migrations and exit.
    Migrate,
    /// Create an administrator account (asks interactively unless all flags are given).
    Createsuperuser {
        #[arg(long)]
        username: Option<String>,
        #[arg(long)]
        email: Option<String>,
        /// For scripts only: a password on the command line is visible to other local users.
        #[arg(long)]
        password: Option<String>,
    },
    /// Load the demo catalogue (more with --courses N, for load tests).
    SeedDemo {
        #[arg(long, default_value_t = crate::seed::DEFAULT_COURSES)]
        courses: u32,
    },
    /// Flash sales: `verify <event>` compares Redis and the database.
    Seckill {
        #[command(subcommand)]
        action: SeckillAction,
    },
    /// Jobs per second through the queue (bench/jobs; needs JOB_BENCH=true).
    #[command(hide = true)]
    BenchJobs {
        #[arg(long, default_value_t = 2000)]
        jobs: u32,
        #[arg(long, value_enum, default_value = "noop")]
        kind: crate::jobs::bench::BenchKind,
        /// Jobs per enqueue call (1: one `enqueue` each).
        #[arg(long, default_value_t = 500)]
        batch: u32,
    },
}

#[derive(Debug, Subcommand)]
pub enum SeckillAction {
    /// Redis' stock, buyers and stream against the database's seats; exit 1 on a difference.
    Verify { event: i64 },
}

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let settings =
        Settings::from_env().map_err(|e| anyhow::anyhow!("invalid configuration: {e}"))?;
    crate::telemetry::init(settings.log_format);
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(settings).await,
        Command::Worker {
            concurrency,
            queues,
        } => worker(settings, concurrency, queues).await,
        Command::Migrate => {
            let db = Db::connect(&settings).await?;
            db.migrate().await?;
            db.close().await;
            println!("migrations applied ({})", settings.database_url_redacted());
            Ok(())
        }
        Command::Createsuperuser {
            username,
            email,
            password,
        } => {
            let db = Db::connect(&settings).await?;
            db.migrate().await?;
            let result = create_superuser(&db, username, email, password).await;
            db.close().await;
            result
        }
        Command::SeedDemo { courses } => {
            let db = Db::connect(&settings).await?;
            db.migrate().await?;
            crate::seed::seed_demo(&db, courses).await?;
            db.close().await;
            println!("added {courses} demo courses");
            Ok(())
        }
        Command::Seckill {
            action: SeckillAction::Verify { event },
        } => crate::seckill::verify::cli(&settings, event).await,
        Command::BenchJobs { jobs, kind, batch } => {
            let plan = crate::jobs::bench::BenchPlan { jobs, kind, batch };
            crate::jobs::bench::run(settings, plan).await
        }
    }
}

async fn serve(settings: Settings) -> anyhow::Result<()> {
    let started = std::time::Instant::now();
    let worker = settings.worker;
    let public_url = settings.public_url.clone();
    let app = Application::build(settings).await?;
    let addr = app.local_addr().context("listener has no address")?;
    tracing::info!(%addr, %public_url, ?worker, ready_in_ms = started.elapsed().as_millis() as u64, "学城 Xuecheng is listening");
    // With WORKER=embedded (the default) the application runs the job worker itself.
    app.run_until(shutdown_signal()).await
}

/// `xuecheng worker`: the job worker and the schedules, no HTTP.
async fn worker(
    mut settings: Settings,
    concurrency: Option<usize>,
    queues: Option<String>,
) -> anyhow::Result<()> {
    if let Some(n) = concurrency {
        if n == 0 {
            bail!("--concurrency: at least 1");
        }
        settings.jobs.concurrency = n;
    }
    if let Some(raw) = queues {
        settings.jobs.queues = crate::jobs::settings::parse_queues(&raw)
            .map_err(|m| anyhow::anyhow!("--queues: {m}"))?;
    }
    let db = Db::connect(&settings).await?;
    db.migrate().await?;
    // The worker writes notifications; with Redis, pages open on any instance hear of them.
    let redis = match &settings.redis_url {
        Some(url) => {
            Some(crate::redis::Redis::connect_with(url.expose(), (&settings).into()).await?)
        }
        None => None,
    };
    let background =
        crate::jobs::Background::connect(&settings, db.clone(), redis.as_ref()).await?;
    let queue = background.queue.clone();
    let result = background
        .run(
            settings.jobs.clone(),
            settings.shutdown_grace,
            shutdown_signal(),
        )
        .await;
    queue.close().await;
    db.close().await;
    if let Some(redis) = &redis {
        redis.quit().await;
    }
    tracing::info!("worker stopped");
    result
}

pub async fn create_superuser(
    db: &Db,
    username: Option<String>,
    email: Option<String>,
    password: Option<String>,
) -> anyhow::Result<()> {
    let stdin = std::io::stdin();
    let ask = |prompt: &str| -> anyhow::Result<String> {
        print!("{prompt}: ");
        std::io::stdout().flush()?;
        let mut line = String::new();
        if stdin.lock().read_line(&mut line)? == 0 {
            bail!("no input for {prompt}");
        }
        Ok(line.trim().to_string())
    };
    let username = match username {
        Some(u) => u,
        None => ask("Username")?,
    };
    let username =
        Username::parse(&username).map_err(|e| anyhow::anyhow!("username: {}", e.message))?;
    let email = match email {
        Some(e) => e,
        None => ask("Email")?,
    };
    let email = Email::parse(&email).map_err(|e| anyhow::anyhow!("email: {}", e.message))?;
    let password = match password {
        Some(p) => p,
        None => {
            let first =
                rpassword::prompt_password("Password: ").context("cannot read the password")?;
            let again = rpassword::prompt_password("Password (again): ")
                .context("cannot read the password")?;
            if first != again {
                bail!("the passwords do not match");
            }
            first
        }
    };
    check_password(&password, username.as_str())
        .map_err(|e| anyhow::anyhow!("password: {}", e.message))?;
    let hash = crate::auth::password::hash_password(password).await?;
    let new = users::NewUser {
        username: username.as_str(),
        email: email.as_str(),
        password_hash: Some(&hash),
        is_staff: true,
        is_superuser: true,
    };
    match users::insert(db, &new).await {
        Ok(id) => {
            println!("superuser '{}' created (id {id})", username.as_str());
            Ok(())
        }
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
            bail!("a user with this username or e-mail already exists")
        }
        Err(e) => Err(e).context("cannot create the user"),
    }
}
