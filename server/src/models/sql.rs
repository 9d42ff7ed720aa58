//! Dynamic SQL for declared models: one text per query with `$n` placeholders (both backends
//! accept them), values bound from [`SqlValue`], rows decoded by field kind into JSON.

use app::admin::{FieldKind, ModelSpec};
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

/// The select list: `id` and every readable column, integers widened so both backends decode
/// them as `i64` (PostgreSQL `INTEGER` columns are 32-bit).
pub fn select_list(spec: &ModelSpec) -> String {
    let mut cols = vec!["id".to_string()];
    for f in spec.readable() {
        match f.kind {
            FieldKind::Int { .. } | FieldKind::Cents | FieldKind::ForeignKey(_) => {
                cols.push(format!("CAST({0} AS BIGINT) AS {0}", f.name))
            }
            _ => cols.push(f.name.to_string()),
        }
    }
    if spec.soft_delete {
        cols.push("deleted_at".into());
    }
    cols.join(", ")
}

/// Runs `sql` with `params` on either pool and maps each row through `decode`.
#[macro_export]
macro_rules! bind_values {
    ($query:expr, $values:expr) => {{
        let mut q = $query;
        for v in $values {
            q = match v {
                $crate::models::sql::SqlValue::Null => q.bind(None::<String>),
                $crate::models::sql::SqlValue::Int(i) => q.bind(*i),
                $crate::models::sql::SqlValue::Text(s) => q.bind(s.clone()),
                $crate::models::sql::SqlValue::Bool(b) => q.bind(*b),
                $crate::models::sql::SqlValue::Time(t) => q.bind(*t),
            };
        }
        q
    }};
}

/// A decoded row: the record clients see, and whether it was soft-deleted.
pub struct Decoded {
    pub record: Record,
    pub deleted: bool,
}

macro_rules! decode_row {
    ($row:expr, $spec:expr) => {{
        use sqlx::Row as _;
        let row = $row;
        let mut record = Record::new();
        record.insert("id".into(), Value::from(row.try_get::<i64, _>("id")?));
        for f in $spec.readable() {
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
        let deleted = $spec.soft_delete
            && row
                .try_get::<Option<DateTime<Utc>>, _>("deleted_at")?
                .is_some();
        Decoded { record, deleted }
    }};
}

pub fn decode_pg(row: &sqlx::postgres::PgRow, spec: &ModelSpec) -> Result<Decoded, sqlx::Error> {
    Ok(decode_row!(row, spec))
}

pub fn decode_sqlite(
    row: &sqlx::sqlite::SqliteRow,
    spec: &ModelSpec,
) -> Result<Decoded, sqlx::Error> {
    Ok(decode_row!(row, spec))
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
