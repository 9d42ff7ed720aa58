//! Dynamic SQL for declared models: one text per query with `$n` placeholders (both backends
//! accept them), values bound from [`SqlValue`], rows decoded by field kind into JSON.

use app::admin::{FieldKind, FieldSpec, ModelSpec};
use chrono::{DateTime, Utc};
use serde_json::Value;

use super::Record;

#[derive(Debug, Clone, PartialEq)]
pub enum SqlValue {
    Null,
    Int(i64),
    Text(String),
    Bool(bool),
    Time(DateTime<Utc>),
}

impl SqlValue {
    /// The JSON a client sees for this value (for audit diffs of values not yet read back).
    pub fn to_json(&self) -> Value {
        match self {
            SqlValue::Null => Value::Null,
            SqlValue::Int(i) => Value::from(*i),
            SqlValue::Text(s) => Value::from(s.clone()),
            SqlValue::Bool(b) => Value::from(*b),
            SqlValue::Time(t) => Value::from(t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
        }
    }
}

/// Collects `$n` parameters while a query is assembled.
#[derive(Default)]
pub struct Params {
    pub values: Vec<SqlValue>,
}

impl Params {
    /// Adds a value and returns its placeholder.
    pub fn push(&mut self, value: SqlValue) -> String {
        self.values.push(value);
        format!("${}", self.values.len())
    }
}

/// What a query reads of a model's table: `id`, some readable fields, `deleted_at` when the
/// caller must tell soft-deleted rows apart, and `total` when each row also carries the number
/// of rows the query matched before its `LIMIT`.
#[derive(Debug, Clone)]
pub struct Columns {
    pub fields: Vec<&'static FieldSpec>,
    pub deleted_at: bool,
    pub total: bool,
}

impl Columns {
    /// Every readable field (what the API shows), and `deleted_at` of soft-deleting models.
    pub fn all(spec: &ModelSpec) -> Self {
        Self {
            fields: spec.readable().collect(),
            deleted_at: spec.soft_delete,
            total: false,
        }
    }

    /// Only the named readable fields, in declaration order (unknown names are skipped), and
    /// no `deleted_at`: for lists, which never show soft-deleted rows.
    pub fn only(spec: &ModelSpec, names: &[&str]) -> Self {
        Self {
            fields: spec
                .readable()
                .filter(|f| names.contains(&f.name))
                .collect(),
            deleted_at: false,
            total: false,
        }
    }

    /// The select list, integers widened so both backends decode them as `i64` (PostgreSQL
    /// `INTEGER` columns are 32-bit).
    pub fn select_list(&self) -> String {
        let mut cols = vec!["id".to_string()];
        for f in &self.fields {
            match f.kind {
                FieldKind::Int { .. } | FieldKind::Cents | FieldKind::ForeignKey(_) => {
                    cols.push(format!("CAST({0} AS BIGINT) AS {0}", f.name))
                }
                _ => cols.push(f.name.to_string()),
            }
        }
        if self.deleted_at {
            cols.push("deleted_at".into());
        }
        if self.total {
            cols.push(format!("COUNT(*) OVER () AS {TOTAL}"));
        }
        cols.join(", ")
    }
}

/// Runs `sql` with `params` on either pool and maps each row through `decode`.
#[macro_export]
macro_rules! bind_values {
    ($query:expr, $values:expr) => {{
        let mut q = $query;
        for v in $values {
            q = match v {
                $crate::model_engine::sql::SqlValue::Null => q.bind(None::<String>),
                $crate::model_engine::sql::SqlValue::Int(i) => q.bind(*i),
                $crate::model_engine::sql::SqlValue::Text(s) => q.bind(s.clone()),
                $crate::model_engine::sql::SqlValue::Bool(b) => q.bind(*b),
                $crate::model_engine::sql::SqlValue::Time(t) => q.bind(*t),
            };
        }
        q
    }};
}

/// The column holding [`Columns::total`]; no model has a field of that name.
const TOTAL: &str = "total_matching_rows";

/// A decoded row: the record clients see, whether it was soft-deleted, and the query's total
/// when it was asked for.
pub struct Decoded {
    pub record: Record,
    pub deleted: bool,
    pub total: Option<i64>,
}

macro_rules! decode_row {
    ($row:expr, $columns:expr) => {{
        use sqlx::Row as _;
        let row = $row;
        let columns: &Columns = $columns;
        let mut record = Record::new();
        record.insert("id".into(), Value::from(row.try_get::<i64, _>("id")?));
        for f in &columns.fields {
            let value = match f.kind {
                FieldKind::Int { .. } | FieldKind::Cents | FieldKind::ForeignKey(_) => row
                    .try_get::<Option<i64>, _>(f.name)?
                    .map_or(Value::Null, Value::from),
                FieldKind::Bool => row
                    .try_get::<Option<bool>, _>(f.name)?
                    .map_or(Value::Null, Value::from),
                FieldKind::Timestamp => row
                    .try_get::<Option<DateTime<Utc>>, _>(f.name)?
                    .map_or(Value::Null, |t| {
                        Value::from(t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
                    }),
                _ => row
                    .try_get::<Option<String>, _>(f.name)?
                    .map_or(Value::Null, Value::from),
            };
            record.insert(f.name.to_string(), value);
        }
        let deleted = columns.deleted_at
            && row
                .try_get::<Option<DateTime<Utc>>, _>("deleted_at")?
                .is_some();
        let total = if columns.total {
            Some(row.try_get::<i64, _>(TOTAL)?)
        } else {
            None
        };
        Decoded {
            record,
            deleted,
            total,
        }
    }};
}

pub fn decode_pg(row: &sqlx::postgres::PgRow, columns: &Columns) -> Result<Decoded, sqlx::Error> {
    Ok(decode_row!(row, columns))
}

pub fn decode_sqlite(
    row: &sqlx::sqlite::SqliteRow,
    columns: &Columns,
) -> Result<Decoded, sqlx::Error> {
    Ok(decode_row!(row, columns))
}

/// `%text%` for `LIKE … ESCAPE '\'`, with the caller's wildcards taken literally.
pub fn like_pattern(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('%');
    for c in text.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}
