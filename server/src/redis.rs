//! The Redis connection (when `REDIS_URL` is set): a small pool of multiplexed connections.
//! `redis-cluster://` URLs select cluster mode; fred routes each key to its node.
//!
//! Faults: every connection reconnects by itself, with backoff ([`reconnect_policy`]), and every
//! command gives up after `REDIS_COMMAND_TIMEOUT_MS`, so a caller never waits for a Redis that
//! is gone. What a failed command means is each caller's decision: sessions and throttles fail
//! closed (503, see [`app_error`]). The pool's connection events are watched so an outage is
//! logged once when it starts and once when it ends ([`crate::outage`]).

use std::{
    collections::HashSet,
    sync::{Arc, Mutex, PoisonError},
    time::Duration,
};

use anyhow::Context;
use app::error::AppError;
use fred::{error::ErrorKind, prelude::*, types::config::UnresponsiveConfig};

use crate::outage::Dependency;

/// How the clients talk to Redis.
#[derive(Debug, Clone)]
pub struct RedisOptions {
    /// The longest any command may take (`REDIS_COMMAND_TIMEOUT_MS`).
    pub command_timeout: Duration,
    /// The longest a (re)connection attempt may take.
    pub connect_timeout: Duration,
    /// Where connection losses and recoveries are counted (the application's metrics).
    pub events: RedisEvents,
}

/// Counters of the connection watcher, shared with [`crate::metrics`]. Cheap to clone.
#[derive(Clone, Debug, Default)]
pub struct RedisEvents {
    pub errors: prometheus_client::metrics::counter::Counter,
    pub reconnects: prometheus_client::metrics::counter::Counter,
}

impl Default for RedisOptions {
    fn default() -> Self {
        Self {
            command_timeout: Duration::from_millis(500),
            connect_timeout: Duration::from_secs(2),
            events: RedisEvents::default(),
        }
    }
}

impl From<&crate::config::Settings> for RedisOptions {
    fn from(settings: &crate::config::Settings) -> Self {
        Self {
            command_timeout: settings.redis_command_timeout,
            ..Self::default()
        }
    }
}

#[derive(Clone)]
pub struct Redis {
    pool: Pool,
    outage: Arc<Dependency>,
}

/// Reconnect forever, 100 ms after a loss and then doubling up to 2 s: a Redis that restarts
/// (an upgrade, a failover) is used again within about 2 s of answering.
pub fn reconnect_policy() -> ReconnectPolicy {
    ReconnectPolicy::new_exponential(0, 100, 2_000, 2)
}

impl Redis {
    /// Connects with the default [`RedisOptions`].
    pub async fn connect(url: &str) -> anyhow::Result<Self> {
        Self::connect_with(url, RedisOptions::default()).await
    }

    /// Connects once (start-up fails when Redis cannot be reached at all); afterwards lost
    /// connections come back by themselves.
    #[tracing::instrument(name = "redis.connect", skip_all)]
    pub async fn connect_with(url: &str, options: RedisOptions) -> anyhow::Result<Self> {
        let config = Config::from_url(url).context("REDIS_URL: not a valid Redis URL")?;
        let pool = Builder::from_config(config)
            .with_connection_config(|c| {
                c.connection_timeout = options.connect_timeout;
                c.internal_command_timeout = options.connect_timeout;
                // A connection that stops answering (a network partition, not a clean close)
                // is closed and reconnected instead of holding commands until they time out.
                c.unresponsive = UnresponsiveConfig {
                    max_timeout: Some(options.connect_timeout),
                    interval: Duration::from_millis(500),
                };
            })
            .with_performance_config(|p| p.default_command_timeout = options.command_timeout)
            .set_policy(reconnect_policy())
            .build_pool(4)
            .context("cannot build the Redis pool")?;
        let outage = Arc::new(Dependency::new("redis"));
        watch(&pool, &outage, &options.events);
        pool.init()
            .await
            .context("cannot connect to Redis (REDIS_URL)")?;
        Ok(Self { pool, outage })
    }

    pub async fn ping(&self) -> Result<(), fred::error::Error> {
        let _: String = self.pool.ping(None).await?;
        Ok(())
    }

    pub fn pool(&self) -> &Pool {
        &self.pool
    }

    /// This instance's outage record (down while any pooled connection is).
    pub fn outage(&self) -> &Dependency {
        &self.outage
    }

    pub async fn quit(&self) {
        let _ = self.pool.quit().await;
    }
}

/// Keeps the outage record from the clients' connection events: Redis is down from the first
/// connection lost to the last one back. One task per pooled client; each ends with its client.
fn watch(pool: &Pool, outage: &Arc<Dependency>, events: &RedisEvents) {
    let lost: Arc<Mutex<HashSet<usize>>> = Arc::default();
    for (index, client) in pool.clients().iter().enumerate() {
        let mut errors = client.error_rx();
        let mut reconnects = client.reconnect_rx();
        let (lost, outage, events) = (lost.clone(), outage.clone(), events.clone());
        tokio::spawn(async move {
            use tokio::sync::broadcast::error::RecvError;
            loop {
                tokio::select! {
                    event = errors.recv() => match event {
                        Ok((error, _)) => {
                            events.errors.inc();
                            let mut lost = lost.lock().unwrap_or_else(PoisonError::into_inner);
                            if lost.insert(index) && lost.len() == 1 {
                                outage.lost(&error);
                            }
                        }
                        Err(RecvError::Lagged(_)) => {}
                        Err(RecvError::Closed) => return,
                    },
                    event = reconnects.recv() => match event {
                        Ok(_) => {
                            events.reconnects.inc();
                            let mut lost = lost.lock().unwrap_or_else(PoisonError::into_inner);
                            if lost.remove(&index) && lost.is_empty() {
                                outage.back();
                            }
                        }
                        Err(RecvError::Lagged(_)) => {}
                        Err(RecvError::Closed) => return,
                    },
                }
            }
        });
    }
}

/// Whether a failed command says Redis cannot be reached now (rather than a bad command).
pub fn is_unavailable(error: &fred::error::Error) -> bool {
    matches!(
        error.kind(),
        ErrorKind::Timeout
            | ErrorKind::IO
            | ErrorKind::Canceled
            | ErrorKind::Backpressure
            | ErrorKind::Cluster
            | ErrorKind::Routing
    )
}

/// The client-facing kind of a failed Redis command: `Unavailable` (503, logged once per outage
/// by the connection watcher) or `Internal` (logged here).
pub fn app_error(error: fred::error::Error, context: &str) -> AppError {
    if is_unavailable(&error) {
        tracing::debug!(%error, "{context}: redis unavailable");
        AppError::Unavailable
    } else {
        tracing::error!(%error, "{context}");
        AppError::Internal
    }
}
