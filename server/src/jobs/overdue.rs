//! The overdue schedule (`OVERDUE_CRON`, daily): each teacher with questions on their courses
//! left without an answer for `OVERDUE_QUESTION_HOURS` gets one digest notification listing
//! them.
//!
//! The digest's dedupe key is the teacher and the tick's UTC day, so two instances, a retry or a
//! second tick the same day give one digest a day, however many times the schedule fires.

use chrono::{DateTime, Duration, Utc};

use super::kinds::{Failure, JobContext};
use crate::db::notifications::NewNotification;
use crate::db::questions::{self, Unanswered};

/// The most questions one scan reads (the oldest first); a digest lists the first few and
/// counts the rest.
const SCAN_LIMIT: i64 = 5_000;
const LISTED: usize = 10;

/// Sends today's digests; returns how many teachers got one.
pub async fn digest(
    ctx: &JobContext,
    now: DateTime<Utc>,
    overdue_after: Duration,
) -> Result<u64, Failure> {
    let waiting = questions::unanswered_before(&ctx.db, now - overdue_after, SCAN_LIMIT).await?;
    let day = now.format("%Y-%m-%d").to_string();
    let mut sent = 0;
    for group in waiting.chunk_by(|a, b| a.teacher_user_id == b.teacher_user_id) {
        if ctx
            .notifier
            .notify(&digest_for(group, &day, overdue_after))
            .await?
        {
            sent += 1;
        }
    }
    Ok(sent)
}

/// One teacher's digest; `group` is non-empty and all theirs.
fn digest_for(group: &[Unanswered], day: &str, overdue_after: Duration) -> NewNotification {
    let teacher = group.first().map_or(0, |q| q.teacher_user_id);
    let hours = overdue_after.num_hours();
    let title = match group.len() {
        1 => format!("1 question has waited more than {hours} hours for an answer"),
        n => format!("{n} questions have waited more than {hours} hours for an answer"),
    };
    let mut body: Vec<String> = group
        .iter()
        .take(LISTED)
        .map(|q| {
            format!(
                "- {} ({}, asked {})",
                q.title,
                q.course_title,
                q.asked_at.format("%Y-%m-%d %H:%M UTC")
            )
        })
        .collect();
    if group.len() > LISTED {
        body.push(format!("and {} more", group.len() - LISTED));
    }
    NewNotification {
        user_id: teacher,
        kind: "questions.overdue".into(),
        title,
        body: body.join("\n"),
        link: group.first().map(|q| format!("/courses/{}", q.course_slug)),
        dedupe_key: format!("questions.overdue:{teacher}:{day}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn question(id: i64) -> Unanswered {
        Unanswered {
            teacher_user_id: 9,
            question_id: id,
            title: format!("Question {id}"),
            course_title: "Rust".into(),
            course_slug: "rust".into(),
            asked_at: DateTime::from_timestamp(1_800_000_000, 0).unwrap_or_default(),
        }
    }

    #[test]
    fn a_digest_lists_the_first_ten_and_counts_the_rest() {
        let group: Vec<Unanswered> = (1..=12).map(question).collect();
        let n = digest_for(&group, "2027-01-15", Duration::hours(48));
        assert_eq!(n.user_id, 9);
        assert_eq!(n.dedupe_key, "questions.overdue:9:2027-01-15");
        assert!(n
            .title
            .starts_with("12 questions have waited more than 48 hours"));
        assert_eq!(n.body.lines().count(), 11);
        assert!(n.body.contains("Question 10") && !n.body.contains("Question 11"));
        assert!(n.body.ends_with("and 2 more"));
        let one = digest_for(&group[..1], "2027-01-15", Duration::hours(48));
        assert!(one.title.starts_with("1 question has"), "{}", one.title);
    }
}
