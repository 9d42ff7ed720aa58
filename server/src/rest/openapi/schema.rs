//! JSON Schemas (2020-12, as OpenAPI 3.1 uses) and parameters derived from model declarations,
//! mirroring the checks of the engine's input parser (`models::input`).

use app::admin::{FieldKind, FieldSpec, ModelSpec};
use serde_json::{json, Map, Value};

use crate::rest::params::{filter_names, DEFAULT_PAGE_SIZE, MAX_OFFSET, MAX_PAGE_SIZE};

/// `course` → `Course`, `seckill_event` → `SeckillEvent`.
pub fn type_name(spec: &ModelSpec) -> String {
    spec.name
        .split('_')
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_uppercase().chain(c).collect::<String>())
                .unwrap_or_default()
        })
        .collect()
}

fn kind_schema(kind: FieldKind) -> Value {
    match kind {
        FieldKind::Int { min, max } => {
            json!({"type": "integer", "format": "int64", "minimum": min, "maximum": max})
        }
        FieldKind::Text { max } | FieldKind::LongText { max } => {
            json!({"type": "string", "maxLength": max})
        }
        FieldKind::Slug => json!({
            "type": "string", "minLength": 1, "maxLength": 80,
            "pattern": "^[a-z0-9]+(-[a-z0-9]+)*$"
        }),
        FieldKind::Bool => json!({"type": "boolean"}),
        FieldKind::Cents => json!({
            "type": "integer", "format": "int64", "minimum": 0, "maximum": 10_000_000_000_i64,
            "description": "Money in integer cents (see `currency`)."
        }),
        FieldKind::Choice(options) => json!({"type": "string", "enum": options}),
        FieldKind::ForeignKey(model) => json!({
            "type": "integer", "format": "int64", "minimum": 1,
            "description": format!("The id of a {model}.")
        }),
        FieldKind::Timestamp => json!({"type": "string", "format": "date-time",
            "description": "RFC 3339, UTC."}),
        FieldKind::Url => json!({"type": "string", "format": "uri", "maxLength": 2000,
            "pattern": "^https?://[^\\s]+$"}),
        FieldKind::Email => json!({"type": "string", "format": "email", "maxLength": 254}),
        FieldKind::Password => json!({"type": "string", "minLength": 10, "writeOnly": true}),
        FieldKind::Secret { max } => json!({"type": "string", "maxLength": max, "writeOnly": true,
            "description": "Encrypted at rest; never returned."}),
    }
}

fn field_schema(field: &FieldSpec) -> Value {
    let mut schema = kind_schema(field.kind);
    if field.nullable || field.gated {
        if let Some(t) = schema.get("type").cloned() {
            schema["type"] = json!([t, "null"]);
        }
    }
    let mut described = String::from(field.label);
    if !field.help.is_empty() {
        described = format!("{described}. {}", field.help);
    }
    if let Some(extra) = schema.get("description").and_then(Value::as_str) {
        described = format!("{described} {extra}");
    }
    schema["description"] = json!(&described);
    if field.read_only {
        schema["readOnly"] = json!(true);
    }
    if field.gated {
        schema["description"] = json!(format!(
            "{described} `null` unless the caller may read the content: enrolled in the \
             course, staff with the view permission, or a free-preview row."
        ));
    }
    schema
}

/// What a client reads: `id`, every readable field, and `currency` next to money.
pub fn read_schema(spec: &ModelSpec) -> Value {
    let mut props = Map::new();
    props.insert(
        "id".into(),
        json!({"type": "integer", "format": "int64", "minimum": 1, "readOnly": true}),
    );
    let mut required = vec!["id".to_string()];
    for field in spec.readable() {
        props.insert(field.name.into(), field_schema(field));
        required.push(field.name.into());
    }
    if spec.fields.iter().any(|f| f.kind == FieldKind::Cents) {
        props.insert(
            "currency".into(),
            json!({"type": "string", "const": crate::rest::resources::CURRENCY,
                "description": "ISO 4217 code of every amount in cents.", "readOnly": true}),
        );
        required.push("currency".into());
    }
    json!({"type": "object", "title": spec.label, "properties": props, "required": required})
}

/// What a client writes: the writable fields, none other (read-only ones are ignored).
pub fn input_schema(spec: &ModelSpec, partial: bool, fixed: &[&str]) -> Value {
    let mut props = Map::new();
    let mut required = Vec::new();
    for field in spec.writable() {
        props.insert(field.name.into(), field_schema(field));
        if !partial && field.required && !fixed.contains(&field.name) {
            required.push(field.name);
        }
    }
    for field in spec.fields.iter().filter(|f| f.read_only) {
        props.insert(
            field.name.into(),
            json!({"description": "Read-only: ignored when sent."}),
        );
    }
    props.insert("id".into(), json!({"description": "Ignored when sent."}));
    let mut schema = json!({
        "type": "object",
        "properties": props,
        "additionalProperties": false,
    });
    if !required.is_empty() {
        schema["required"] = json!(required);
    }
    schema
}

pub fn list_schema(item: &str) -> Value {
    json!({
        "type": "object",
        "required": ["count", "next", "previous", "results"],
        "properties": {
            "count": {"type": "integer", "minimum": 0, "description": "Rows matching the query, over all pages."},
            "next": {"type": ["string", "null"], "format": "uri", "description": "Absolute URL of the next page."},
            "previous": {"type": ["string", "null"], "format": "uri", "description": "Absolute URL of the previous page."},
            "results": {"type": "array", "items": {"$ref": format!("#/components/schemas/{item}")}}
        }
    })
}

pub fn query(name: &str, description: &str, schema: Value) -> Value {
    json!({"name": name, "in": "query", "required": false, "description": description, "schema": schema})
}

/// A query parameter of a hand-written route.
pub fn query_param(name: &str, description: &str, schema: Value) -> Value {
    query(name, description, schema)
}

pub fn header_param(name: &str, description: &str) -> Value {
    json!({"name": name, "in": "header", "required": false, "description": description,
        "schema": {"type": "string"}})
}

pub fn list_description(spec: &ModelSpec) -> String {
    let mut text = String::from(
        "Paging: `limit`/`offset` or `page`/`per_page` (not both). Sorting: `sortby` takes \
         comma-separated keys (or the parameter repeated); `-key` sorts that key descending, \
         `order` sets the direction of the others.",
    );
    if spec.public_rows.is_some() {
        text.push_str(
            " Anonymous callers and callers without the view permission see the public rows only.",
        );
    }
    text
}

/// `limit`/`offset` and `page`/`per_page`, as every list takes them.
pub fn paging_params() -> Vec<Value> {
    vec![
        query(
            "limit",
            "Rows per page (offset style).",
            json!({"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE, "default": DEFAULT_PAGE_SIZE}),
        ),
        query(
            "offset",
            "Rows to skip (offset style).",
            json!({"type": "integer", "minimum": 0, "maximum": MAX_OFFSET, "default": 0}),
        ),
        query(
            "page",
            "Page number from 1 (page style).",
            json!({"type": "integer", "minimum": 1, "default": 1}),
        ),
        query(
            "per_page",
            "Rows per page (page style).",
            json!({"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE, "default": DEFAULT_PAGE_SIZE}),
        ),
    ]
}

pub fn list_params(spec: &ModelSpec, fixed: &[&str]) -> Vec<Value> {
    let mut params = paging_params();
    params.extend([
        query(
            "sortby",
            &format!(
                "Sort keys, comma-separated, `-` for descending: {}.",
                spec.ordering.join(", ")
            ),
            json!({"type": "string", "pattern": sort_pattern(spec)}),
        ),
        query(
            "order",
            "Direction of the sort keys without a sign.",
            json!({"type": "string", "enum": ["asc", "desc"]}),
        ),
    ]);
    if !spec.search_fields.is_empty() {
        params.push(query(
            "search",
            &format!(
                "Case-insensitive match in: {}.",
                spec.search_fields.join(", ")
            ),
            json!({"type": "string", "maxLength": 200}),
        ));
    }
    for name in filter_names(spec, fixed) {
        let base = name
            .strip_suffix("_min")
            .or_else(|| name.strip_suffix("_max"))
            .filter(|b| spec.field(b).is_some())
            .unwrap_or(&name);
        let Some(field) = spec.field(base) else {
            continue;
        };
        let mut schema = kind_schema(field.kind);
        if let Some(o) = schema.as_object_mut() {
            o.remove("description");
        }
        let what = if name.ends_with("_min") && base != name {
            format!("At least this {}.", field.label.to_lowercase())
        } else if name.ends_with("_max") && base != name {
            format!("At most this {}.", field.label.to_lowercase())
        } else {
            format!("Only rows with this {}.", field.label.to_lowercase())
        };
        params.push(query(&name, &what, schema));
    }
    params
}

fn sort_pattern(spec: &ModelSpec) -> String {
    let key = format!("[-+]?({})", spec.ordering.join("|"));
    format!("^{key}(,{key})*$")
}

pub fn rate_headers() -> Value {
    json!({
        "X-RateLimit-Limit": {"$ref": "#/components/headers/X-RateLimit-Limit"},
        "X-RateLimit-Remaining": {"$ref": "#/components/headers/X-RateLimit-Remaining"},
        "X-RateLimit-Reset": {"$ref": "#/components/headers/X-RateLimit-Reset"},
    })
}

/// 200 with a JSON body (and an ETag for items).
pub fn ok(schema: Value, etag: bool) -> Value {
    let mut headers = rate_headers();
    if etag {
        headers["ETag"] = json!({"$ref": "#/components/headers/ETag"});
    }
    json!({"description": "OK", "headers": headers,
        "content": {"application/json": {"schema": schema}}})
}

pub fn created(schema: Value) -> Value {
    let mut headers = rate_headers();
    headers["ETag"] = json!({"$ref": "#/components/headers/ETag"});
    headers["Location"] = json!({"description": "Absolute URL of the new record.",
        "schema": {"type": "string", "format": "uri"}});
    json!({"description": "Created", "headers": headers,
        "content": {"application/json": {"schema": schema}}})
}

pub fn problem_ref(status: u16) -> Value {
    json!({"$ref": format!("#/components/responses/Problem{status}")})
}
