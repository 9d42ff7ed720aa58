//! The Redis connection (when `REDIS_URL` is set): a small pool of multiplexed connections.
//! `redis-cluster://` URLs select cluster mode; fred routes each key to its node.

use anyhow::Context;
use fred::prelude::*;

#[derive(Clone)]
pub struct Redis {
    pool: Pool,
}

impl Redis {
    #[tracing::instrument(name = "redis.connect", skip_all)]
    pub async fn connect(url: &str) -> anyhow::Result<Self> {
        let config = Config::from_url(url).context("REDIS_URL: not a valid Redis URL")?;
        let pool = Builder::from_config(config)
            .with_connection_config(|c| c.connection_timeout = std::time::Duration::from_secs(5))
            .build_pool(4)
            .context("cannot build the Redis pool")?;
        pool.init()
            .await
            .context("cannot connect to Redis (REDIS_URL)")?;
        Ok(Self { pool })
    }

    pub async fn ping(&self) -> Result<(), fred::error::Error> {
        let _: String = self.pool.ping(None).await?;
        Ok(())
    }

    pub fn pool(&self) -> &Pool {
        &self.pool
    }

    pub async fn quit(&self) {
        let _ = self.pool.quit().await;
    }
}
