//! One page of the public course list in a single statement: the page's rows as one JSON
//! array, and the number of matches, in one row.
//!
//! Why one JSON value instead of rows: on SQLite, sqlx hands every statement to a connection's
//! worker thread and sends each row back through a channel, copying every column value into
//! its own allocation; a profile of the uncached API list (`bench/run`) spent 46% of its CPU
//! in that thread and a third in `malloc`, against 4% in SQLite itself. One statement with one
//! row of two values makes one trip, and the JSON text is parsed once here. PostgreSQL gains
//! the same way: one round trip instead of two, and no per-column decoding.
//!
//! The page picks its ids first, from the courses table alone (walking the order's index and
//! skipping `OFFSET` entries there), and only then reads those rows whole: a window
//! `count(*) OVER ()` made SQLite read, sort and keep every match with its Markdown. The count
//! is only computed when the page cannot tell it (a page that is not full is the last one).

use app::domain::CourseQuery;
use serde::de::DeserializeOwned;

use super::Db;
use crate::config::DatabaseKind;
use crate::model_engine::sql::{Params, SqlValue};
use crate::{bind_values, on_pool};

/// `'key', expr, …` for a JSON object of `columns` (a select list such as `c.id, t.name AS
/// teacher_name`): each key is the column's alias, or its name without the table prefix.
fn json_pairs(columns: &str) -> String {
    columns
        .split(',')
        .map(str::trim)
        .map(|column| {
            let (expr, key) = match column.split_once(" AS ") {
                Some((expr, alias)) => (expr.trim(), alias.trim()),
                None => (column, column.rsplit('.').next().unwrap_or(column)),
            };
            format!("'{key}', {expr}")
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The JSON-array aggregate of `columns` in `order`, in the dialect's spelling (text on both).
pub(crate) fn json_rows(columns: &str, order: &str, dialect: DatabaseKind) -> String {
    let pairs = json_pairs(columns);
    match dialect {
        // An aggregate's own ORDER BY (SQLite 3.44+) keeps the page's order in the array.
        DatabaseKind::Sqlite => format!("json_group_array(json_object({pairs}) {order})"),
        DatabaseKind::Postgres => format!("json_agg(json_build_object({pairs}) {order})::text"),
    }
}

/// One page of `from_where` (with its `params`) in `order`, read as `columns` from `from`, and
/// the number of matches.
pub(crate) async fn list_page<R: DeserializeOwned>(
    db: &Db,
    query: &CourseQuery,
    from_where: &str,
    mut params: Params,
    order: &str,
    from: &str,
    columns: &str,
) -> Result<(Vec<R>, u64), sqlx::Error> {
    let limit = i64::from(query.per_page);
    let offset = i64::try_from(query.offset()).unwrap_or(i64::MAX);
    let limit_p = params.push(SqlValue::Int(limit));
    let offset_p = params.push(SqlValue::Int(offset));
    let rows = json_rows(columns, order, db.kind());
    // `shown` is the page's size; CASE evaluates only the branch it takes, so the count of all
    // matches runs only when the page is full (or empty past the first page).
    let sql = format!(
        "WITH page AS MATERIALIZED (SELECT c.id {from_where} {order} LIMIT {limit_p} OFFSET {offset_p}), \
         shown AS MATERIALIZED (SELECT count(*) AS n FROM page) \
         SELECT CASE WHEN (SELECT n FROM shown) < {limit_p} AND ((SELECT n FROM shown) > 0 OR {offset_p} = 0) \
                     THEN {offset_p} + (SELECT n FROM shown) \
                     ELSE (SELECT count(*) {from_where}) END AS total, \
                (SELECT {rows} {from} WHERE c.id IN (SELECT id FROM page)) AS page_rows"
    );
    let (total, page_rows): (i64, Option<String>) = on_pool!(db, pool =>
        bind_values!(sqlx::query_as(&sql), &params.values).fetch_one(pool).await?);
    Ok((parse_rows(page_rows)?, u64::try_from(total).unwrap_or(0)))
}

/// The rows of a [`json_rows`] aggregate; none when it was NULL (PostgreSQL's `json_agg` of
/// no rows).
pub(crate) fn parse_rows<R: DeserializeOwned>(json: Option<String>) -> Result<Vec<R>, sqlx::Error> {
    match json {
        Some(json) => serde_json::from_str(&json).map_err(|e| sqlx::Error::Decode(Box::new(e))),
        None => Ok(Vec::new()),
    }
}

/// Reads a boolean that SQLite's JSON gives as 0 or 1 and PostgreSQL's as `true` or `false`.
pub(crate) fn bool_or_int<'de, D: serde::Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    #[derive(serde::Deserialize)]
    #[serde(untagged)]
    enum Flag {
        Bool(bool),
        Int(i64),
    }
    Ok(match serde::Deserialize::deserialize(d)? {
        Flag::Bool(b) => b,
        Flag::Int(i) => i != 0,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_aliases_or_bare_column_names() {
        assert_eq!(
            json_pairs("c.id, c.slug, t.name AS teacher_name"),
            "'id', c.id, 'slug', c.slug, 'teacher_name', t.name"
        );
    }
}
