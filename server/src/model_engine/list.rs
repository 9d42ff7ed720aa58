//! Reading: filtered, searched, ordered pages of a model, and single rows.

use app::admin::ModelSpec;
use app::domain::Principal;
use app::error::AppError;

use super::counts::RecentCounts;
use super::query::{order_clause, page_sql, Conditions, Page};
use super::sql::{Columns, Params, SqlValue};
use super::{ModelService, Record, Visibility};
use crate::config::DatabaseKind;
use crate::db::records;
use crate::error::ResultExt;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FilterOp {
    Eq,
    /// `field >= value` (numbers).
    Min,
    /// `field <= value` (numbers).
    Max,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filter {
    pub field: String,
    pub op: FilterOp,
    pub value: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListQuery {
    pub search: Option<String>,
    pub filters: Vec<Filter>,
    /// `(field, descending)`; empty for the model's default order.
    pub order: Vec<(String, bool)>,
    pub offset: u64,
    pub limit: u64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ListPage {
    pub count: u64,
    pub rows: Vec<Record>,
}

/// The most rows one page may hold.
pub const MAX_LIMIT: u64 = 500;

impl ModelService {
    /// A page of rows with every readable field (what the API shows).
    pub async fn list(
        &self,
        who: Option<&Principal>,
        model: &str,
        query: &ListQuery,
    ) -> Result<ListPage, AppError> {
        let spec = self.spec_or_404(model)?;
        self.list_columns(who, spec, query, Columns::all(spec), false)
            .await
    }

    /// The back office's change list: `id` and only the named fields (not every text a row
    /// holds, such as a course's Markdown description), and a search's count may be a few
    /// seconds old (see [`super::counts`]).
    pub async fn list_fields(
        &self,
        who: Option<&Principal>,
        model: &str,
        query: &ListQuery,
        fields: &[&str],
    ) -> Result<ListPage, AppError> {
        let spec = self.spec_or_404(model)?;
        self.list_columns(who, spec, query, Columns::only(spec, fields), true)
            .await
    }

    #[tracing::instrument(skip_all, fields(model = spec.name, user = who.map(|p| p.user_id)))]
    async fn list_columns(
        &self,
        who: Option<&Principal>,
        spec: &'static ModelSpec,
        query: &ListQuery,
        mut columns: Columns,
        recent_count: bool,
    ) -> Result<ListPage, AppError> {
        let visibility = Self::visibility(spec, who)?;
        let dialect = self.db().kind();
        let mut params = Params::default();
        let conditions = Conditions::new(spec, &visibility, query, dialect, &mut params)?;
        let order = order_clause(spec, &query.order)?;
        let page = Page {
            limit: query.limit.clamp(1, MAX_LIMIT),
            offset: query.offset.min(i64::MAX as u64),
        };
        let count_key = (recent_count && conditions.searching)
            .then(|| RecentCounts::key(spec.table, &conditions.sql, &params.values));
        let known = count_key.as_deref().and_then(|key| self.counts.get(key));
        // Listed rows are never soft-deleted (the conditions say so).
        columns.deleted_at = false;
        // A search reads every candidate row anyway (`LIKE '%term%'` uses no index), so on
        // PostgreSQL the page counts them in the same pass: one scan instead of two. SQLite
        // would sort the whole match into a temporary table for that; its page stops after
        // `limit` matches in the order's index and its separate count is a plain scan.
        columns.total =
            conditions.searching && dialect == DatabaseKind::Postgres && known.is_none();
        let sql = page_sql(spec, &columns, &conditions.sql, &order, page);
        let rows = records::fetch(self.db(), &columns, &sql, &params.values)
            .await
            .db_err(spec.name)?;
        let total = rows.first().and_then(|d| d.total);
        let mut rows: Vec<Record> = rows.into_iter().map(|d| d.record).collect();
        if let Visibility::Public(_) = visibility {
            super::hooks::after_public_read(self, who, spec, &mut rows).await?;
        }
        let count = match (u64::try_from(rows.len()), total, known) {
            // A page that is not full is the last one (or the only one): exact, and free.
            (Ok(n), _, _) if n < page.limit && (n > 0 || page.offset == 0) => page.offset + n,
            (_, Some(total), _) => u64::try_from(total).unwrap_or(0),
            (_, _, Some(known)) => return Ok(ListPage { count: known, rows }),
            _ => {
                let sql = format!(
                    "SELECT COUNT(*) FROM {} WHERE {}",
                    spec.table, conditions.sql
                );
                let count = records::scalar(self.db(), &sql, &params.values)
                    .await
                    .db_err(spec.name)?;
                u64::try_from(count).unwrap_or(0)
            }
        };
        if let Some(key) = count_key {
            self.counts.put(key, count);
        }
        Ok(ListPage { count, rows })
    }

    /// One row; `Gone` when it was soft-deleted, `NotFound` when absent or not visible.
    #[tracing::instrument(skip(self, who), fields(user = who.map(|p| p.user_id)))]
    pub async fn get(
        &self,
        who: Option<&Principal>,
        model: &str,
        id: i64,
    ) -> Result<Record, AppError> {
        let spec = self.spec_or_404(model)?;
        let visibility = Self::visibility(spec, who)?;
        let public = match visibility {
            Visibility::All => String::new(),
            Visibility::Public(ref condition) => format!(" AND ({condition})"),
        };
        let sql = format!(
            "SELECT {} FROM {} WHERE id = $1{public}",
            Columns::all(spec).select_list(),
            spec.table
        );
        let mut row = [self.fetch_one(spec, &sql, id).await?];
        if let Visibility::Public(_) = visibility {
            super::hooks::after_public_read(self, who, spec, &mut row).await?;
        }
        let [row] = row;
        Ok(row)
    }

    pub(crate) async fn fetch_one(
        &self,
        spec: &ModelSpec,
        sql: &str,
        id: i64,
    ) -> Result<Record, AppError> {
        let mut rows = records::fetch(self.db(), &Columns::all(spec), sql, &[SqlValue::Int(id)])
            .await
            .db_err(spec.name)?;
        match rows.pop() {
            None => Err(AppError::NotFound(crate::admin::labels::noun(spec))),
            Some(d) if d.deleted => Err(AppError::Gone(spec.name.into())),
            Some(d) => Ok(d.record),
        }
    }
}
