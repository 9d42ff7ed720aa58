//! Course-update reminders, from the publish hook to the mailbox.
//!
//! 1. [`Reminders::content_added`] (the model engine's create hook): a lesson or chapter added
//!    to a public course is recorded and joins the course's open debounce window (a new one,
//!    `REMINDER_DEBOUNCE_SECONDS` long, when none is open); the window's fan-out job is queued
//!    to run at its end, keyed by (course, window), so the lessons of one window queue it once.
//! 2. [`Reminders::fan_out`]: claims the window's content once, then pages through the
//!    audience ([`crate::db::follows::audience_page`], each person once, in id order) and
//!    queues one [`Job::Reminder`] per user, keyed by (course, window, user). Its progress is
//!    stored after each page, so a fan-out killed midway goes on from there; reminders queued
//!    twice are dropped by their key.
//! 3. [`Reminders::remind`]: one notification (dedupe key = the job's key) and, unless the
//!    user switched course-update mail off, one mail listing everything the window claimed.

use std::time::Duration;

use app::domain::mail::MailKind;
use chrono::{DateTime, Utc};
use url::Url;

use super::kinds::Failure;
use super::reminder_mail;
use super::{Job, Jobs};
use crate::db::notifications::NewNotification;
use crate::db::reminders::{self, ItemKind};
use crate::db::{follows, mail_settings, users, Db};
use crate::mail::Mailer;
use crate::notifications::Notifier;

/// What the reminder jobs and the publish hook share.
#[derive(Clone)]
pub struct Reminders {
    db: Db,
    queue: Jobs,
    mailer: Mailer,
    public_url: Url,
    debounce: Duration,
    /// Recipients queued per page of the fan-out (one insert each).
    page: i64,
}

pub fn fan_out_key(course_id: i64, window_end: i64) -> String {
    format!("course:{course_id}:window:{window_end}")
}

pub fn reminder_key(course_id: i64, window_end: i64, user_id: i64) -> String {
    format!("course:{course_id}:window:{window_end}:user:{user_id}")
}

impl Reminders {
    pub fn new(db: Db, queue: Jobs, mailer: Mailer, settings: &crate::config::Settings) -> Self {
        Self {
            db,
            queue,
            mailer,
            public_url: settings.public_url.clone(),
            debounce: settings.jobs.reminder_debounce,
            page: i64::from(settings.jobs.reminder_page),
        }
    }

    /// A lesson or chapter was just created: if its course is public, it joins the course's
    /// reminder window, whose fan-out is queued for the window's end.
    #[tracing::instrument(name = "reminders.content_added", skip(self))]
    pub async fn content_added(&self, kind: ItemKind, item_id: i64) -> anyhow::Result<()> {
        let Some(course_id) = reminders::public_course_of(&self.db, kind, item_id).await? else {
            return Ok(());
        };
        let now = Utc::now();
        let debounce = i64::try_from(self.debounce.as_secs()).unwrap_or(300);
        let window_end =
            reminders::record_update(&self.db, course_id, kind, item_id, now, debounce).await?;
        let at = DateTime::from_timestamp(window_end, 0).unwrap_or(now);
        let job = Job::ReminderFanOut {
            course_id,
            window_end,
        };
        self.queue
            .enqueue_at(&job, &fan_out_key(course_id, window_end), at)
            .await
    }

    /// Queues the reminders of one window (see the module doc).
    #[tracing::instrument(name = "reminders.fan_out", skip(self))]
    pub async fn fan_out(&self, course_id: i64, window_end: i64) -> Result<(), Failure> {
        let mut progress = reminders::claim(&self.db, course_id, window_end, Utc::now()).await?;
        if progress.done {
            return Ok(());
        }
        // A window whose content another window claimed first (or that was deleted) has
        // nothing to say.
        if reminders::has_items(&self.db, course_id, window_end).await? {
            loop {
                let page =
                    follows::audience_page(&self.db, course_id, progress.fanned_to, self.page)
                        .await?;
                let Some(&last) = page.last() else {
                    break;
                };
                let jobs: Vec<(Job, String)> = page
                    .iter()
                    .map(|&user_id| {
                        let job = Job::Reminder {
                            course_id,
                            window_end,
                            user_id,
                        };
                        (job, reminder_key(course_id, window_end, user_id))
                    })
                    .collect();
                self.queue
                    .enqueue_many(&jobs)
                    .await
                    .map_err(|e| Failure::Retry(format!("queueing reminders: {e}")))?;
                progress.fanned_to = last;
                reminders::advance(&self.db, course_id, window_end, last, false).await?;
                tracing::debug!(
                    course_id,
                    window_end,
                    queued = jobs.len(),
                    "reminders queued"
                );
            }
        }
        reminders::advance(&self.db, course_id, window_end, progress.fanned_to, true).await?;
        Ok(())
    }

    /// One user's reminder of one window (see the module doc); `key` is its natural key.
    #[tracing::instrument(name = "reminders.remind", skip(self, notifier, key))]
    pub async fn remind(
        &self,
        notifier: &Notifier,
        course_id: i64,
        window_end: i64,
        user_id: i64,
        key: &str,
    ) -> Result<(), Failure> {
        let Some((course_title, slug)) = reminders::public_course(&self.db, course_id).await?
        else {
            tracing::info!(course_id, "reminder for a course no longer public: skipped");
            return Ok(());
        };
        let items = reminders::items(&self.db, course_id, window_end).await?;
        let user = users::find_by_id(&self.db, user_id).await?;
        let Some(user) = user.filter(|u| u.is_active) else {
            return Ok(());
        };
        if items.is_empty() {
            return Ok(());
        }
        // The language the user chose in their profile; the product's default before that.
        let lang = user
            .locale
            .as_deref()
            .and_then(app::locale::parse)
            .unwrap_or_default();
        let path = format!("/courses/{slug}");
        let mut url = self.public_url.clone();
        url.set_path(&path);
        let message = reminder_mail::render(lang, &course_title, &items, url.as_str());
        notifier
            .notify(&NewNotification {
                user_id,
                kind: MailKind::CourseUpdate.name().to_string(),
                title: message.subject.clone(),
                body: message.summary.clone(),
                link: Some(path),
                // The job's natural key, under the kind: other kinds' keys cannot collide.
                dedupe_key: format!("{}:{key}", MailKind::CourseUpdate.name()),
            })
            .await?;
        if mail_settings::enabled(&self.db, user_id, MailKind::CourseUpdate).await? {
            self.mailer
                .send_alternative(&user.email, &message.subject, message.text, message.html)
                .await?;
        }
        Ok(())
    }
}
