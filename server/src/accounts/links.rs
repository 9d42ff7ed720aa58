//! One-time links by mail: e-mail verification (24 h) and password reset (1 h).
//!
//! A token is 32 random bytes (hex in the link); only its SHA-256 is stored. Lookups go by that
//! hash, so no constant-time comparison is needed: the database compares digests of what the
//! visitor sent, and learning how much of a *digest* matched does not help to find a token
//! that produces it.

use app::i18n::td_string;
use chrono::{Duration, Utc};
use rand::RngCore;
use sha2::{Digest, Sha256};
use url::Url;

use crate::db::email_tokens::{self, Purpose};
use crate::db::{users, Db};
use crate::jobs::{Job, Jobs};
use crate::mail::{MailError, Mailer};

pub const RESET_TTL: Duration = Duration::hours(1);
pub const VERIFY_TTL: Duration = Duration::hours(24);

#[derive(Clone)]
pub struct Links {
    db: Db,
    mailer: Mailer,
    public_url: Url,
    jobs: Jobs,
}

pub fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.trim().as_bytes()))
}

fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

impl Links {
    pub fn new(db: Db, mailer: Mailer, public_url: Url, jobs: Jobs) -> Self {
        Self {
            db,
            mailer,
            public_url,
            jobs,
        }
    }

    fn link(&self, path: &str, token: &str) -> String {
        let mut url = self.public_url.clone();
        url.set_path(path);
        url.set_query(Some(&format!("token={token}")));
        url.to_string()
    }

    /// Queues a link mail for the user's current address (a job: it survives a restart and
    /// is retried while the mail server is away). The enqueue itself runs in the background:
    /// the caller's answer must not depend on whether, or how fast, a job was queued (that
    /// would tell a visitor which addresses have accounts).
    pub fn send(&self, user_id: i64, purpose: Purpose) {
        let jobs = self.jobs.clone();
        // Each request is its own intent: the key makes a redelivery of *this* one a no-op.
        let key = uuid::Uuid::new_v4().simple().to_string();
        // Read here, in the request: the spawned task does not inherit its language.
        let locale = Some(app::locale::current());
        tokio::spawn(async move {
            if let Err(error) = jobs
                .enqueue(
                    &Job::LinkMail {
                        user_id,
                        purpose,
                        locale,
                    },
                    &key,
                )
                .await
            {
                tracing::error!(user_id, %error, ?purpose, "could not queue a one-time link");
            }
        });
    }

    /// The job's work: stores a fresh token (older unused ones of the purpose are retired) and
    /// mails the link to the address the account has now. An account that is gone or inactive
    /// gets nothing.
    pub async fn deliver(
        &self,
        user_id: i64,
        purpose: Purpose,
        asked_in: Option<app::locale::Locale>,
    ) -> Result<(), MailError> {
        let db_error = |e: sqlx::Error| MailError::Transient(format!("database: {e}"));
        let Some(user) = users::find_by_id(&self.db, user_id)
            .await
            .map_err(db_error)?
        else {
            tracing::info!(user_id, "link mail for an account that is gone: skipped");
            return Ok(());
        };
        if !user.is_active {
            tracing::info!(user_id, "link mail for an inactive account: skipped");
            return Ok(());
        }
        let token = new_token();
        let now = Utc::now();
        // The profile's language, else the one the request that asked for the mail was in.
        let lang = user
            .locale
            .as_deref()
            .and_then(app::locale::parse)
            .or(asked_in)
            .unwrap_or_default();
        let (ttl, path, subject, text) = match purpose {
            Purpose::ResetPassword => (
                RESET_TTL,
                "/password/reset",
                td_string!(lang, mail.reset_subject),
                td_string!(lang, mail.reset_text),
            ),
            Purpose::VerifyEmail => (
                VERIFY_TTL,
                "/verify-email",
                td_string!(lang, mail.verify_subject),
                td_string!(lang, mail.verify_text),
            ),
        };
        email_tokens::retire(&self.db, user_id, purpose, now)
            .await
            .map_err(db_error)?;
        email_tokens::insert(&self.db, user_id, purpose, &hash_token(&token), now + ttl)
            .await
            .map_err(db_error)?;
        let body = format!(
            "{text}\n\n{}\n\n{}\n",
            self.link(path, &token),
            td_string!(lang, mail.not_you)
        );
        self.mailer.send(&user.email, subject, body).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_long_random_and_hashed() {
        let a = new_token();
        assert_eq!(a.len(), 64);
        assert_ne!(a, new_token());
        assert_eq!(hash_token(&a), hash_token(&format!(" {a} ")));
        assert_ne!(hash_token(&a), a);
    }
}
