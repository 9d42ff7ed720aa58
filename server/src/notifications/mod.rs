//! In-app notifications: [`Notifier::notify`] writes the row (once per dedupe key) and tells
//! open pages of its user live through [`LiveFeed`] (in-process, and through Redis pub/sub to
//! every instance when `REDIS_URL` is set: see [`live`]); [`Centre`] is what their owner reads
//! and marks read (the `/notifications` page, the bell, `/api/v1/notifications`).

pub mod centre;
pub mod live;

use chrono::Utc;

pub use centre::Centre;
pub use live::LiveFeed;

use crate::db::notifications::{self, NewNotification};
use crate::db::Db;

/// A notification just written, as the live feed announces it (ids only: a listener reads
/// what it shows, with its own permission check).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Announced {
    pub user_id: i64,
    pub id: i64,
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
    /// whether it was new. Only the write can fail: the announcement is best effort.
    #[tracing::instrument(name = "notifications.notify", skip_all, fields(user_id = n.user_id, kind = %n.kind))]
    pub async fn notify(&self, n: &NewNotification) -> Result<bool, sqlx::Error> {
        match notifications::insert(&self.db, n, Utc::now()).await? {
            Some(id) => {
                self.live
                    .announce(Announced {
                        user_id: n.user_id,
                        id,
                    })
                    .await;
                Ok(true)
            }
            None => Ok(false),
        }
    }
}
