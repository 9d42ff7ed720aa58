//! Gauges read when Prometheus scrapes, not kept up to date on every change: the pool's
//! connections, the job queue per queue and state, orders per state, payment notifications per
//! provider and outcome, and this instance's live terminals. Each reading is one grouped query
//! (indexed columns, a few rows), so a scrape every 15 s costs a handful of cheap queries.

use super::{Metrics, NotifyLabels, QueueLabels, StateLabels};
use crate::db::Db;
use crate::on_pool;
use crate::state::AppState;

impl Metrics {
    /// Refreshes the scrape-time gauges from `state`. A failed query leaves its gauges at their
    /// last value and counts a scrape error: an outage must not read as an empty queue.
    pub async fn sample(&self, state: &AppState) {
        self.sample_pool(&state.db, state.settings.db_max_connections);
        self.terminals_live
            .set(i64::try_from(state.terminals.live_count()).unwrap_or(i64::MAX));
        match crate::db::job_board::counts(&state.db).await {
            Ok(rows) => {
                self.jobs.clear();
                for (queue, status, n) in rows {
                    self.jobs
                        .get_or_create(&QueueLabels {
                            queue,
                            state: status,
                        })
                        .set(n);
                }
            }
            Err(e) => self.failed("jobs", e),
        }
        match grouped(
            &state.db,
            "SELECT status, COUNT(*) FROM orders GROUP BY status",
        )
        .await
        {
            Ok(rows) => {
                self.orders.clear();
                for (status, n) in rows {
                    self.orders
                        .get_or_create(&StateLabels { state: status })
                        .set(n);
                }
            }
            Err(e) => self.failed("orders", e),
        }
        match grouped2(
            &state.db,
            "SELECT provider, outcome, COUNT(*) FROM payment_notifications GROUP BY provider, outcome",
        )
        .await
        {
            Ok(rows) => {
                self.notifications.clear();
                for (provider, outcome, n) in rows {
                    self.notifications
                        .get_or_create(&NotifyLabels { provider, outcome })
                        .set(n);
                }
            }
            Err(e) => self.failed("payment notifications", e),
        }
    }

    fn sample_pool(&self, db: &Db, max: u32) {
        let (size, idle) = match db {
            Db::Postgres(pool) => (pool.size(), pool.num_idle()),
            Db::Sqlite(pool) => (pool.size(), pool.num_idle()),
        };
        let idle = i64::try_from(idle).unwrap_or(i64::MAX);
        let size = i64::from(size);
        self.db_connections
            .get_or_create(&StateLabels {
                state: "idle".into(),
            })
            .set(idle);
        self.db_connections
            .get_or_create(&StateLabels {
                state: "in_use".into(),
            })
            .set((size - idle).max(0));
        self.db_max_connections.set(i64::from(max));
    }

    fn failed(&self, what: &str, e: sqlx::Error) {
        self.scrape_errors.inc();
        tracing::warn!(error = %e, what, "a metrics reading failed");
    }
}

async fn grouped(db: &Db, sql: &str) -> Result<Vec<(String, i64)>, sqlx::Error> {
    on_pool!(db, pool => sqlx::query_as(sql).fetch_all(pool).await)
}

async fn grouped2(db: &Db, sql: &str) -> Result<Vec<(String, String, i64)>, sqlx::Error> {
    on_pool!(db, pool => sqlx::query_as(sql).fetch_all(pool).await)
}
