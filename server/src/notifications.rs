//! Sending in-app notifications: [`Notifier::notify`] writes the row (once per dedupe key)
//! and tells open pages of its user live through [`LiveFeed`].
//!
//! The live feed is in-process here: a page open on this instance hears of a notification
//! written by this process. (Across instances the feed goes through Redis pub/sub when
//! `REDIS_URL` is set; see the notification centre.)

use chrono::Utc;
use tokio::sync::broadcast;

use crate::db::notifications::{self, NewNotification};
use crate::db::Db;

/// A notification just written, as the live feed announces it (ids only: a listener reads
/// what it shows, with its own permission check).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Announced {
    pub user_id: i64,
    pub id: i64,
}

/// Announcements to the pages open in this process. A slow listener misses old ones
/// (`broadcast` drops them) and re-reads its count: nothing is lost, as the row is the truth.
#[derive(Clone)]
pub struct LiveFeed {
    tx: broadcast::Sender<Announced>,
}

impl Default for LiveFeed {
    fn default() -> Self {
        Self {
            tx: broadcast::channel(1024).0,
        }
    }
}

impl LiveFeed {
    pub fn announce(&self, announced: Announced) {
        // No listener is no error: nobody has a page open.
        let _ = self.tx.send(announced);
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Announced> {
        self.tx.subscribe()
    }
}

/// Writes notifications and announces them.
#[derive(Clone)]
pub struct Notifier {
    db: Db,
    live: LiveFeed,
}

impl Notifier {
    pub fn new(db: Db, live: LiveFeed) -> Self {
        Self { db, live }
    }

    pub fn live(&self) -> &LiveFeed {
        &self.live
    }

    /// Writes `n` (nothing when its dedupe key was written before) and announces it; returns
    /// whether it was new.
    #[tracing::instrument(name = "notifications.notify", skip_all, fields(user_id = n.user_id, kind = %n.kind))]
    pub async fn notify(&self, n: &NewNotification) -> Result<bool, sqlx::Error> {
        match notifications::insert(&self.db, n, Utc::now()).await? {
            Some(id) => {
                self.live.announce(Announced {
                    user_id: n.user_id,
                    id,
                });
                Ok(true)
            }
            None => Ok(false),
        }
    }
}
