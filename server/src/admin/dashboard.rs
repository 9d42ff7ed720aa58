//! The dashboard: totals, 30-day charts and recent actions, each shown only to users who may
//! view the underlying model.

use app::domain::{Cents, Principal};
use app::dto::admin::{AuditQuery, Dashboard, DashboardCount};
use app::error::AppError;
use chrono::{Duration, Utc};

use super::{charts, Admin};
use crate::db::stats::{self, Measure};
use crate::error::ResultExt;

const DAYS: i64 = 30;

impl Admin {
    pub(super) async fn dashboard_page(&self, who: &Principal) -> Result<Dashboard, AppError> {
        let mut counts = Vec::new();
        let totals: [(&str, &str, &'static str, &'static str, &str); 4] = [
            (
                "user.view",
                "Users",
                "users",
                "deleted_at IS NULL",
                "/admin/users",
            ),
            (
                "course.view",
                "Published courses",
                "courses c",
                crate::db::catalog::PUBLIC_COURSE,
                "/admin/courses?status=published",
            ),
            ("enrollment.view", "Enrolments", "enrollments", "1 = 1", ""),
            ("order.view", "Paid orders", "orders", "status = 'paid'", ""),
        ];
        for (perm, label, table, condition, url) in totals {
            if who.has(perm) {
                let n = stats::count(&self.db, table, condition)
                    .await
                    .db_err(table)?;
                counts.push(DashboardCount {
                    label: label.into(),
                    value: n.to_string(),
                    url: (!url.is_empty()).then(|| url.to_string()),
                });
            }
        }
        let today = Utc::now().date_naive();
        let first = today - Duration::days(DAYS - 1);
        let since = first.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc();
        let mut charts_out = Vec::new();
        if who.has("user.view") {
            let s = stats::per_day(
                &self.db,
                "users",
                "created_at",
                "deleted_at IS NULL",
                Measure::Count,
                since,
            )
            .await
            .db_err("user")?;
            charts_out.push((
                "New users per day".into(),
                charts::daily_bars(first, DAYS, &s, |v| v.to_string()),
            ));
        }
        if who.has("enrollment.view") {
            let s = stats::per_day(
                &self.db,
                "enrollments",
                "created_at",
                "1 = 1",
                Measure::Count,
                since,
            )
            .await
            .db_err("enrollment")?;
            charts_out.push((
                "Enrolments per day".into(),
                charts::daily_bars(first, DAYS, &s, |v| v.to_string()),
            ));
        }
        if who.has("order.view") {
            let s = stats::per_day(
                &self.db,
                "orders",
                "paid_at",
                "status = 'paid'",
                Measure::SumCents("total_cents"),
                since,
            )
            .await
            .db_err("order")?;
            charts_out.push((
                "Revenue per day".into(),
                charts::daily_bars(first, DAYS, &s, |v| Cents(v).to_string()),
            ));
        }
        let recent = if who.has("audit_log.view") {
            self.audit_page(who, AuditQuery::default())
                .await?
                .entries
                .into_iter()
                .take(10)
                .collect()
        } else {
            Vec::new()
        };
        Ok(Dashboard {
            counts,
            charts: charts_out,
            recent,
        })
    }
}
