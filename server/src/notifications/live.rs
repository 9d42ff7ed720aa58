//! The live feed: who hears of a notification the moment it is written.
//!
//! Listeners (the notification streams of the pages open on this instance) subscribe to an
//! in-process `broadcast`. An announcement reaches them at once, and, when `REDIS_URL` is set,
//! is also published on the Redis channel `{REDIS_KEY_PREFIX}notifications`, which every web
//! instance's relay ([`LiveFeed::listen`]) hears and hands to its own listeners. So a
//! notification written by the worker process, or by another instance, reaches a page open
//! anywhere. Each message names the process that sent it, so a relay skips its own.
//!
//! Redis is a messenger here, never the truth: the row is written before anything is said, a
//! publish that fails (Redis away) costs only the live update on other instances (logged once
//! per outage), and a page that reconnects re-reads its count.

use std::sync::{
    atomic::{AtomicBool, Ordering},
    Arc, Mutex, PoisonError,
};

use anyhow::Context;
use fred::clients::SubscriberClient;
use fred::prelude::*;
use serde::{Deserialize, Serialize};
use tokio::sync::{broadcast, watch};

use super::Announced;
use crate::redis::Redis;

/// What travels on the Redis channel.
#[derive(Debug, Serialize, Deserialize)]
struct Wire {
    /// The sending process ([`LiveFeed`]'s random id).
    origin: u64,
    user_id: i64,
    id: i64,
}

/// The channel every instance sharing a Redis key prefix uses.
pub fn channel(prefix: &str) -> String {
    format!("{prefix}notifications")
}

struct Publisher {
    redis: Redis,
    channel: String,
    /// Publishing fails now: logged once when it starts and once when it ends.
    failing: AtomicBool,
}

struct Shared {
    tx: broadcast::Sender<Announced>,
    origin: u64,
    publisher: Option<Publisher>,
    /// The relay's subscriber, kept to close it with the feed.
    subscriber: Mutex<Option<SubscriberClient>>,
    /// Turns true when the process shuts down: open streams end.
    closing: watch::Sender<bool>,
}

/// Announcements to the pages open in this process (see the module doc). A slow listener
/// misses old ones (`broadcast` drops them) and re-reads its count: nothing is lost, as the
/// row is the truth.
#[derive(Clone)]
pub struct LiveFeed(Arc<Shared>);

impl Default for LiveFeed {
    /// In-process only (embedded mode, or a process that has no Redis).
    fn default() -> Self {
        Self::build(None)
    }
}

impl LiveFeed {
    /// With Redis, announcements are published for the other processes too.
    pub fn new(redis: Option<(&Redis, &str)>) -> Self {
        Self::build(redis.map(|(redis, prefix)| Publisher {
            redis: redis.clone(),
            channel: channel(prefix),
            failing: AtomicBool::new(false),
        }))
    }

    fn build(publisher: Option<Publisher>) -> Self {
        Self(Arc::new(Shared {
            tx: broadcast::channel(1024).0,
            origin: rand::random(),
            publisher,
            subscriber: Mutex::new(None),
            closing: watch::channel(false).0,
        }))
    }

    /// Tells this process' listeners, then the other processes (through Redis, when set).
    /// Never fails: a lost live update is repaired by the next read of the count.
    pub async fn announce(&self, announced: Announced) {
        // No listener is no error: nobody has a page open here.
        let _ = self.0.tx.send(announced);
        let Some(publisher) = &self.0.publisher else {
            return;
        };
        let wire = Wire {
            origin: self.0.origin,
            user_id: announced.user_id,
            id: announced.id,
        };
        let Ok(message) = serde_json::to_string(&wire) else {
            return;
        };
        let sent: Result<i64, _> = publisher
            .redis
            .pool()
            .next()
            .publish(publisher.channel.as_str(), message)
            .await;
        match sent {
            Ok(_) => {
                if publisher.failing.swap(false, Ordering::AcqRel) {
                    tracing::info!("live notifications reach other instances again");
                }
            }
            Err(error) => {
                if !publisher.failing.swap(true, Ordering::AcqRel) {
                    tracing::warn!(%error, "cannot publish live notifications on Redis: \
                        they are still written, pages on other instances see them when they \
                        next read their count");
                }
            }
        }
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Announced> {
        self.0.tx.subscribe()
    }

    /// Resolves when the process shuts down (streams end then, so draining does not wait for
    /// them).
    pub fn closing(&self) -> watch::Receiver<bool> {
        self.0.closing.subscribe()
    }

    /// Relays what other processes announce on `{prefix}notifications` to this process'
    /// listeners, from now until [`LiveFeed::close`]. Its own connection (a subscribed
    /// connection can do nothing else), reconnecting with the pool's policy and subscribing
    /// again after each reconnection.
    pub async fn listen(&self, url: &str, prefix: &str) -> anyhow::Result<()> {
        let config = Config::from_url(url).context("REDIS_URL: not a valid Redis URL")?;
        let subscriber = Builder::from_config(config)
            .set_policy(crate::redis::reconnect_policy())
            .build_subscriber_client()
            .context("cannot build the Redis subscriber")?;
        subscriber
            .init()
            .await
            .context("cannot connect the Redis subscriber (REDIS_URL)")?;
        let _resubscribe = subscriber.manage_subscriptions();
        let mut messages = subscriber.message_rx();
        subscriber
            .subscribe(channel(prefix))
            .await
            .context("cannot subscribe to the notifications channel")?;
        let feed = self.clone();
        tokio::spawn(async move {
            use tokio::sync::broadcast::error::RecvError;
            loop {
                match messages.recv().await {
                    Ok(message) => feed.relay(&message.value),
                    // Missed messages only cost live updates; pages re-read their counts.
                    Err(RecvError::Lagged(n)) => tracing::debug!(n, "notification relay lagged"),
                    Err(RecvError::Closed) => return,
                }
            }
        });
        *self
            .0
            .subscriber
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(subscriber);
        Ok(())
    }

    fn relay(&self, value: &Value) {
        let Some(text) = value.as_str() else {
            return;
        };
        match serde_json::from_str::<Wire>(&text) {
            Ok(wire) if wire.origin != self.0.origin => {
                let _ = self.0.tx.send(Announced {
                    user_id: wire.user_id,
                    id: wire.id,
                });
            }
            Ok(_) => {}
            Err(error) => tracing::warn!(%error, "unreadable message on the notifications channel"),
        }
    }

    /// Ends the open streams and the relay (at shutdown).
    pub async fn close(&self) {
        self.0.closing.send_replace(true);
        let subscriber = self
            .0
            .subscriber
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some(subscriber) = subscriber {
            let _ = subscriber.quit().await;
        }
    }
}
