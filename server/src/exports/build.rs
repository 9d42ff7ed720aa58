//! The export job: reads a course's learners a page at a time, formats each page as CSV on
//! the CPU pool (`ctx.cpu`), moves `progress` after each page, and stores the file with a new
//! random download token. A retry or a redelivery starts the file over; a finished export is
//! never rebuilt (the job's natural key is the export id, and `finish` only takes a running
//! export).

use chrono::Utc;
use rand::RngCore;

use crate::db::{self, exports::LearnerRow};
use crate::jobs::kinds::{Failure, JobContext};

/// Learners read per page.
pub const PAGE: i64 = 500;

pub async fn run(ctx: &JobContext, export_id: i64) -> Result<(), Failure> {
    let Some(export) = db::exports::find(&ctx.db, export_id).await? else {
        return Err(Failure::Permanent(format!(
            "export {export_id} does not exist"
        )));
    };
    if export.status == "done" {
        return Ok(());
    }
    let Some(course_id) = export.course_id else {
        db::exports::fail(&ctx.db, export_id, "the course is gone", Utc::now()).await?;
        return Err(Failure::Permanent("export without a course".into()));
    };
    match build(ctx, export_id, course_id).await {
        Ok(()) => Ok(()),
        Err(Failure::Permanent(message)) => {
            db::exports::fail(&ctx.db, export_id, &message, Utc::now()).await?;
            Err(Failure::Permanent(message))
        }
        Err(retry) => Err(retry),
    }
}

async fn build(ctx: &JobContext, export_id: i64, course_id: i64) -> Result<(), Failure> {
    db::exports::start(&ctx.db, export_id).await?;
    let total = db::exports::count_learners(&ctx.db, course_id).await?;
    let mut csv = String::from("username,email,enrolled_at\r\n");
    let (mut after, mut rows) = (0_i64, 0_i64);
    loop {
        let page = db::exports::learners_page(&ctx.db, course_id, after, PAGE).await?;
        let Some(last) = page.last() else { break };
        after = last.enrollment_id;
        let n = i64::try_from(page.len()).unwrap_or(i64::MAX);
        let chunk = ctx
            .cpu
            .run(move || format_page(&page))
            .await
            .map_err(|e| Failure::Retry(format!("formatting a page: {e}")))?;
        csv.push_str(&chunk);
        rows += n;
        // Learners enrolling meanwhile can take `rows` past the first count: stay below 100
        // until the file is stored.
        let progress = if total == 0 {
            99
        } else {
            (rows * 100 / total).min(99)
        };
        db::exports::set_progress(&ctx.db, export_id, progress, rows).await?;
    }
    let mut bytes = [0_u8; 24];
    rand::rng().fill_bytes(&mut bytes);
    let token = hex::encode(bytes);
    let now = Utc::now();
    db::exports::finish(
        &ctx.db,
        export_id,
        &csv,
        rows,
        &token,
        now,
        now + super::LINK_TTL,
    )
    .await?;
    tracing::info!(export_id, rows, "export built");
    Ok(())
}

fn format_page(page: &[LearnerRow]) -> String {
    let mut out = String::new();
    for row in page {
        let at = row
            .enrolled_at
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        for (i, cell) in [row.username.as_str(), row.email.as_str(), at.as_str()]
            .into_iter()
            .enumerate()
        {
            if i > 0 {
                out.push(',');
            }
            out.push_str(&cell_csv(cell));
        }
        out.push_str("\r\n");
    }
    out
}

/// One CSV cell: quoted when it holds a separator, a quote or a line break, and defused when
/// a spreadsheet would read it as a formula (`=`, `+`, `-`, `@`, and tab or CR that some
/// programs strip first): a leading `'` makes it text.
pub fn cell_csv(value: &str) -> String {
    let defused = if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{value}")
    } else {
        value.to_string()
    };
    if defused.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", defused.replace('"', "\"\""))
    } else {
        defused
    }
}

#[cfg(test)]
mod tests {
    use super::cell_csv;

    #[test]
    fn cells_are_quoted_and_formulas_defused() {
        assert_eq!(cell_csv("alice"), "alice");
        assert_eq!(cell_csv("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(cell_csv("+1"), "'+1");
        assert_eq!(cell_csv("-2"), "'-2");
        assert_eq!(cell_csv("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(cell_csv("a,b"), "\"a,b\"");
        assert_eq!(cell_csv("line\nbreak"), "\"line\nbreak\"");
    }
}
