//! The durable queue: apalis' storage in the application's database, reached through a small
//! pool of its own (sqlx 0.9, which apalis 1.0 is built on).
//!
//! apalis keeps its schema under its own migration table (`_apalis_migrations`), so its
//! versions never mix with ours in `_sqlx_migrations`.

use std::str::FromStr;
use std::time::Duration;

use anyhow::Context;
use apalis::prelude::TaskBuilder;

use super::{Envelope, Job};
use crate::config::{DatabaseKind, Settings};

/// The queue's pool: SQLite or PostgreSQL, as `DATABASE_URL` says.
#[derive(Debug, Clone)]
pub enum QueuePool {
    Sqlite(apalis_sqlite::SqlitePool),
    Postgres(apalis_postgres::PgPool),
}

/// Enqueues jobs. Cheap to clone; every instance (web or worker) holds one.
#[derive(Debug, Clone)]
pub struct Jobs {
    pool: QueuePool,
}

/// Attempts apalis may make itself. Retries happen inside one delivery (see
/// [`super::worker`]); a delivery ends done or failed for good, and a job comes back only when
/// its worker died (the lease).
const DELIVERIES: usize = 1;

impl Jobs {
    #[tracing::instrument(name = "jobs.connect", skip_all)]
    pub async fn connect(settings: &Settings) -> anyhow::Result<Self> {
        let url = settings.database_url.expose();
        let max = settings.jobs.db_max_connections;
        let pool = match settings.database_kind {
            DatabaseKind::Sqlite => {
                let options = apalis_sqlite::SqliteConnectOptions::from_str(url)
                    .context("DATABASE_URL")?
                    .create_if_missing(true)
                    .journal_mode(sqlx_09::sqlite::SqliteJournalMode::Wal)
                    .synchronous(sqlx_09::sqlite::SqliteSynchronous::Normal)
                    .busy_timeout(Duration::from_secs(5));
                QueuePool::Sqlite(
                    apalis_sqlite::SqlitePoolOptions::new()
                        .max_connections(max)
                        .acquire_timeout(Duration::from_secs(5))
                        .connect_with(options)
                        .await
                        .context("cannot open the job queue (SQLite)")?,
                )
            }
            DatabaseKind::Postgres => {
                let options =
                    apalis_postgres::PgConnectOptions::from_str(url).context("DATABASE_URL")?;
                QueuePool::Postgres(
                    sqlx_09::postgres::PgPoolOptions::new()
                        .max_connections(max)
                        .acquire_timeout(Duration::from_secs(5))
                        .connect_with(options)
                        .await
                        .context("cannot open the job queue (PostgreSQL)")?,
                )
            }
        };
        let jobs = Self { pool };
        jobs.migrate().await?;
        Ok(jobs)
    }

    async fn migrate(&self) -> anyhow::Result<()> {
        match &self.pool {
            QueuePool::Sqlite(pool) => {
                let mut migrator = apalis_sqlite::SqliteStorage::migrations();
                migrator.dangerous_set_table_name("_apalis_migrations");
                migrator.run(pool).await.context("job queue migrations")?;
            }
            QueuePool::Postgres(pool) => {
                let mut migrator = apalis_postgres::PostgresStorage::migrations();
                migrator.dangerous_set_table_name("_apalis_migrations");
                migrator.run(pool).await.context("job queue migrations")?;
            }
        }
        Ok(())
    }

    pub fn pool(&self) -> &QueuePool {
        &self.pool
    }

    /// Enqueues `job` with the natural key of its effect. The queue takes a given
    /// `(kind, key)` once: a second enqueue of it (another instance's tick of the same
    /// schedule) is dropped.
    #[tracing::instrument(name = "jobs.enqueue", skip(self, job), fields(kind = job.kind().name()))]
    pub async fn enqueue(&self, job: &Job, key: &str) -> anyhow::Result<()> {
        let envelope = job.envelope(key);
        let bytes = serde_json::to_vec(&envelope).context("encoding a job")?;
        self.enqueue_raw(job.kind().queue(), bytes, Some(&dedup_key(&envelope)))
            .await
    }

    /// [`Jobs::enqueue`] for a job that must not run before `at` (a debounce window's end).
    pub async fn enqueue_at(
        &self,
        job: &Job,
        key: &str,
        at: chrono::DateTime<chrono::Utc>,
    ) -> anyhow::Result<()> {
        let envelope = job.envelope(key);
        let bytes = serde_json::to_vec(&envelope).context("encoding a job")?;
        let run_at = u64::try_from(at.timestamp()).unwrap_or(0);
        let task = TaskBuilder::new(bytes)
            .max_attempts(DELIVERIES)
            .idempotency_key(dedup_key(&envelope))
            .run_at_timestamp(run_at)
            .build();
        self.push(job.kind().queue(), vec![task]).await
    }

    /// Enqueues many jobs at once, each with its natural key: one transaction (SQLite) or one
    /// statement per queue (PostgreSQL) instead of one round trip and one commit each, which
    /// is what bounds enqueueing (a fan-out, the benchmark). Keys already queued are skipped,
    /// as by [`Jobs::enqueue`]; the answer is how many were new.
    #[tracing::instrument(name = "jobs.enqueue_many", skip_all, fields(count = jobs.len()))]
    pub async fn enqueue_many(&self, jobs: &[(Job, String)]) -> anyhow::Result<u64> {
        let mut by_queue: Vec<(&'static str, Vec<Encoded>)> = Vec::new();
        for (job, key) in jobs {
            let envelope = job.envelope(key);
            let bytes = serde_json::to_vec(&envelope).context("encoding a job")?;
            let queue = job.kind().queue();
            let entry = (bytes, dedup_key(&envelope));
            match by_queue.iter_mut().find(|(q, _)| *q == queue) {
                Some((_, batch)) => batch.push(entry),
                None => by_queue.push((queue, vec![entry])),
            }
        }
        let mut added = 0;
        for (queue, batch) in by_queue {
            added += match &self.pool {
                QueuePool::Sqlite(pool) => {
                    let now = chrono::Utc::now().timestamp();
                    let mut tx = pool.begin().await?;
                    let mut n = 0;
                    // apalis' own insert, one row at a time, but inside one commit.
                    for (payload, key) in batch {
                        n += sqlx_09::query(
                            "INSERT INTO Jobs (job, id, job_type, status, attempts, max_attempts,                              run_at, priority, metadata, idempotency_key)                              VALUES (?1, ?2, ?3, 'Pending', 0, ?4, ?5, 0, '{}', ?6)                              ON CONFLICT (job_type, idempotency_key) DO NOTHING",
                        )
                        .bind(payload)
                        .bind(ulid::Ulid::generate().to_string())
                        .bind(queue)
                        .bind(DELIVERIES as i64)
                        .bind(now)
                        .bind(key)
                        .execute(&mut *tx)
                        .await?
                        .rows_affected();
                    }
                    tx.commit().await?;
                    n
                }
                QueuePool::Postgres(pool) => {
                    let (payloads, keys): (Vec<Vec<u8>>, Vec<String>) = batch.into_iter().unzip();
                    let ids: Vec<String> = keys
                        .iter()
                        .map(|_| ulid::Ulid::generate().to_string())
                        .collect();
                    // apalis' insert (`push_tasks`) has no `ON CONFLICT`, so one key already
                    // queued would refuse the whole batch: the same columns, skipping those.
                    sqlx_09::query(
                        "INSERT INTO apalis.jobs (id, job_type, job, status, attempts,                          max_attempts, run_at, priority, metadata, idempotency_key)                          SELECT t.id, $2, t.job, 'Pending', 0, $4, now(), 0, ''::hstore, t.key                          FROM unnest($1::text[], $3::bytea[], $5::text[]) AS t(id, job, key)                          ON CONFLICT (job_type, idempotency_key) DO NOTHING",
                    )
                    .bind(ids)
                    .bind(queue)
                    .bind(payloads)
                    .bind(DELIVERIES as i32)
                    .bind(keys)
                    .execute(pool)
                    .await?
                    .rows_affected()
                }
            };
        }
        Ok(added)
    }

    /// Puts raw bytes on a queue (the tests use it for payloads that do not parse).
    pub async fn enqueue_raw(
        &self,
        queue: &str,
        payload: Vec<u8>,
        idempotency_key: Option<&str>,
    ) -> anyhow::Result<()> {
        let mut builder = TaskBuilder::new(payload).max_attempts(DELIVERIES);
        if let Some(key) = idempotency_key {
            builder = builder.idempotency_key(key);
        }
        self.push(queue, vec![builder.build()]).await
    }

    async fn push(
        &self,
        queue: &str,
        tasks: Vec<apalis::prelude::Task<Vec<u8>>>,
    ) -> anyhow::Result<()> {
        match &self.pool {
            QueuePool::Sqlite(pool) => {
                // One transaction: a batch is one commit, not one per job.
                let mut tx = pool.begin().await?;
                apalis_sqlite::queries::push_tasks(&mut *tx, queue, &tasks)
                    .await
                    .map_err(|e| anyhow::anyhow!("enqueue: {e}"))?;
                tx.commit().await?;
            }
            QueuePool::Postgres(pool) => {
                let mut conn = pool.acquire().await?;
                let batch = tasks.len() > 1;
                match apalis_postgres::queries::push_tasks(&mut *conn, queue, tasks.clone()).await {
                    Ok(()) => {}
                    // apalis' PostgreSQL insert has no `ON CONFLICT`: a key already queued is
                    // the unique index refusing it, which is the outcome we want. In a batch
                    // it refused the whole batch: push them one by one.
                    Err(apalis_postgres::Error::Database(sqlx_09::Error::Database(e)))
                        if e.is_unique_violation() =>
                    {
                        if batch {
                            for task in tasks {
                                match apalis_postgres::queries::push_tasks(
                                    &mut *conn,
                                    queue,
                                    vec![task],
                                )
                                .await
                                {
                                    Ok(()) => {}
                                    Err(apalis_postgres::Error::Database(
                                        sqlx_09::Error::Database(e),
                                    )) if e.is_unique_violation() => {}
                                    Err(e) => return Err(anyhow::anyhow!("enqueue: {e}")),
                                }
                            }
                        }
                    }
                    Err(e) => return Err(anyhow::anyhow!("enqueue: {e}")),
                }
            }
        }
        Ok(())
    }

    pub async fn close(&self) {
        match &self.pool {
            QueuePool::Sqlite(pool) => pool.close().await,
            QueuePool::Postgres(pool) => pool.close().await,
        }
    }
}

/// A payload and its idempotency key, ready for the queue's table.
type Encoded = (Vec<u8>, String);

fn dedup_key(envelope: &Envelope) -> String {
    format!("{}:{}", envelope.kind, envelope.key)
}
