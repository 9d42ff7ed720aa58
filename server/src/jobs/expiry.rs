//! The expiry schedule (`EXPIRY_CRON`): memberships and time-limited enrolments that end
//! within three days get a notice, ones that ended get a second, and ended memberships are
//! marked expired.
//!
//! Each notice's dedupe key names the row and its end time, so a scan run twice (two
//! instances, a retry) notifies once, and a renewed membership (a new end) is noticed again
//! for its new end. Scans page by id so a large table is never read at once.

use chrono::{DateTime, Duration, Utc};

use super::kinds::{Failure, JobContext};
use crate::db::expiry::{self, Ending, Subject};
use crate::db::notifications::NewNotification;

/// How early the first notice goes out.
pub const NOTICE_AHEAD: Duration = Duration::days(3);
/// How far back an ended row still gets its notice (a scan missed for longer loses it).
const ENDED_LOOKBACK: Duration = Duration::days(7);
const PAGE: i64 = 500;

/// What one scan did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Scanned {
    pub notices: u64,
    pub expired_memberships: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    Ending,
    Ended,
}

pub async fn scan(ctx: &JobContext, now: DateTime<Utc>) -> Result<Scanned, Failure> {
    let mut scanned = Scanned::default();
    for subject in [Subject::Membership, Subject::Enrollment] {
        scanned.notices +=
            notify_range(ctx, subject, Stage::Ending, now, now + NOTICE_AHEAD).await?;
        scanned.notices +=
            notify_range(ctx, subject, Stage::Ended, now - ENDED_LOOKBACK, now).await?;
    }
    // After the notices: a membership marked expired is out of the scans for good.
    scanned.expired_memberships = expiry::expire_memberships(&ctx.db, now).await?;
    Ok(scanned)
}

async fn notify_range(
    ctx: &JobContext,
    subject: Subject,
    stage: Stage,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<u64, Failure> {
    let mut sent = 0;
    let mut after = 0;
    loop {
        let page = expiry::ending_between(&ctx.db, subject, from, to, after, PAGE).await?;
        let Some(last) = page.last() else { break };
        after = last.id;
        for ending in &page {
            if ctx.notifier.notify(&notice(subject, stage, ending)).await? {
                sent += 1;
            }
        }
        if (page.len() as i64) < PAGE {
            break;
        }
    }
    Ok(sent)
}

fn notice(subject: Subject, stage: Stage, ending: &Ending) -> NewNotification {
    let when = ending.expires_at.format("%Y-%m-%d %H:%M UTC");
    let (thing, link) = match subject {
        Subject::Membership => (
            format!("Your {} membership", ending.what),
            "/account".to_string(),
        ),
        Subject::Enrollment => (
            format!("Your access to \"{}\"", ending.what),
            ending
                .slug
                .as_ref()
                .map_or_else(|| "/account".to_string(), |slug| format!("/courses/{slug}")),
        ),
    };
    let (stage_name, title) = match stage {
        Stage::Ending => ("ending", format!("{thing} ends on {when}")),
        Stage::Ended => ("ended", format!("{thing} ended on {when}")),
    };
    let body = match stage {
        Stage::Ending => "Renew before then to keep learning without a break.".to_string(),
        Stage::Ended => "Renew it any time to pick up where you left off.".to_string(),
    };
    NewNotification {
        user_id: ending.user_id,
        kind: format!("{}.{stage_name}", subject.as_str()),
        title,
        body,
        link: Some(link),
        dedupe_key: format!(
            "{}.{stage_name}:{}:{}",
            subject.as_str(),
            ending.id,
            ending.expires_at.timestamp()
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ending(slug: Option<&str>) -> Ending {
        Ending {
            id: 7,
            user_id: 3,
            what: "Rust 101".into(),
            slug: slug.map(str::to_string),
            expires_at: DateTime::from_timestamp(1_800_000_000, 0).unwrap_or_default(),
        }
    }

    #[test]
    fn notices_name_the_row_and_its_end() {
        let n = notice(
            Subject::Enrollment,
            Stage::Ending,
            &ending(Some("rust-101")),
        );
        assert_eq!(n.kind, "enrollment.ending");
        assert_eq!(n.dedupe_key, "enrollment.ending:7:1800000000");
        assert_eq!(n.link.as_deref(), Some("/courses/rust-101"));
        assert!(n.title.contains("\"Rust 101\""), "{}", n.title);
        let m = notice(Subject::Membership, Stage::Ended, &ending(None));
        assert_eq!(m.dedupe_key, "membership.ended:7:1800000000");
        assert_ne!(m.dedupe_key, n.dedupe_key);
    }
}
