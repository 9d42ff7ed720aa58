//! Every answer the REST tests receive from `/api/v1` (and the other documented routes, such as
//! `/.well-known/jwks.json`) is checked against the OpenAPI document,
//! so an answer and the document cannot drift apart unnoticed: [`send`](crate::rest_support::send)
//! (which nearly every API test goes through) and the personas' token requests call
//! [`conforms`]; a test that reads a response by hand calls it too.
//!
//! For the route and method the request matched, the status must be documented, the content type
//! must be one the document names for it (no body where it names none), and a JSON body must be
//! valid against that schema: full JSON Schema 2020-12 as OpenAPI 3.1 uses it, formats included
//! (`uri`, `date-time`, `email`), by the `jsonschema` crate. Paths that are no route answer the
//! API's problem shape. The document is the one the API serves ([`server::rest::document`]),
//! built once per test process; each schema is compiled once.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use jsonschema::Validator;
use serde_json::{json, Value};

struct Document {
    doc: Value,
    /// By the pointer of the schema in `doc`.
    validators: Mutex<HashMap<String, Arc<Validator>>>,
}

fn document() -> &'static Document {
    static DOCUMENT: OnceLock<Document> = OnceLock::new();
    DOCUMENT.get_or_init(|| Document {
        doc: server::rest::document(),
        validators: Mutex::default(),
    })
}

/// `/` and `~` escaped for a JSON pointer.
fn escape(segment: &str) -> String {
    segment.replace('~', "~0").replace('/', "~1")
}

/// The document's path template for a request path: the one with the most literal segments
/// among those that fit (`/users/me` before `/users/{id}`).
fn route<'a>(doc: &'a Value, path: &str) -> Option<&'a str> {
    let segments: Vec<&str> = path.split('/').collect();
    doc["paths"]
        .as_object()?
        .keys()
        .filter_map(|template| {
            let parts: Vec<&str> = template.split('/').collect();
            let fits = parts.len() == segments.len()
                && parts
                    .iter()
                    .zip(&segments)
                    .all(|(p, s)| p.starts_with('{') || p == s);
            fits.then(|| {
                (
                    parts.iter().filter(|p| !p.starts_with('{')).count(),
                    template,
                )
            })
        })
        .max_by_key(|(literal, _)| *literal)
        .map(|(_, template)| template.as_str())
}

/// The schema at `pointer`, compiled with the whole document around it, so its `$ref`s to
/// `#/components/…` resolve.
fn validator(pointer: &str) -> Arc<Validator> {
    let document = document();
    let mut validators = document.validators.lock().unwrap();
    if let Some(v) = validators.get(pointer) {
        return v.clone();
    }
    let schema = document
        .doc
        .pointer(pointer)
        .unwrap_or_else(|| panic!("no schema at {pointer}"));
    let mut root = document.doc.clone();
    root["$defs"] = json!({"answer": schema});
    root["$ref"] = json!("#/$defs/answer");
    let compiled = jsonschema::options()
        .with_draft(jsonschema::Draft::Draft202012)
        .should_validate_formats(true)
        .build(&root)
        .unwrap_or_else(|e| panic!("the schema at {pointer} does not compile: {e}"));
    let compiled = Arc::new(compiled);
    validators.insert(pointer.to_string(), compiled.clone());
    compiled
}

fn validate(pointer: &str, body: &str, what: &str) {
    let value: Value =
        serde_json::from_str(body).unwrap_or_else(|e| panic!("not JSON ({e}): {what}"));
    let validator = validator(pointer);
    // The first few say what drifted; a list of 60 rows would repeat it 60 times.
    let errors: Vec<String> = validator
        .iter_errors(&value)
        .take(4)
        .map(|e| format!("at {}: {e}", e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "the answer does not conform to the document ({pointer}):\n  {}\n{what}",
        errors.join("\n  ")
    );
}

/// Panics unless this answer is one the document describes (see the module doc).
pub fn conforms(method: &str, url: &reqwest::Url, status: u16, content_type: &str, body: &str) {
    let path = url.path();
    let doc = &document().doc;
    let template = route(doc, path);
    // Not the API: pages, server functions, assets.
    if template.is_none() && !path.starts_with("/api/v1") {
        return;
    }
    let media = content_type.split(';').next().unwrap_or("").trim();
    let what = format!(
        "{method} {url} -> {status} {media} {}",
        body.chars().take(400).collect::<String>()
    );
    let problem = "/components/schemas/Problem";
    let op = template.and_then(|template| {
        let key = if method == "HEAD" { "get" } else { method };
        let op = &doc["paths"][template][key.to_ascii_lowercase()];
        op.is_object()
            .then(|| (template, key.to_ascii_lowercase(), op))
    });
    let Some((template, key, op)) = op else {
        // No such route or method: the router's 404/405, as a problem when it has a body.
        if media.ends_with("json") {
            assert_eq!(media, "application/problem+json", "{what}");
            validate(problem, body, &what);
        }
        return;
    };
    let Some(mut response) = op["responses"].get(status.to_string()) else {
        panic!("undocumented status: {what}");
    };
    let mut pointer = format!("/paths/{}/{key}/responses/{status}", escape(template));
    if let Some(reference) = response.get("$ref").and_then(Value::as_str) {
        pointer = reference.trim_start_matches('#').to_string();
        response = doc
            .pointer(&pointer)
            .unwrap_or_else(|| panic!("dangling {reference}"));
    }
    if method == "HEAD" {
        return;
    }
    match response.get("content").and_then(Value::as_object) {
        None => assert!(body.is_empty(), "a body where none is documented: {what}"),
        Some(content) => {
            assert!(
                content.contains_key(media),
                "undocumented content type: {what}"
            );
            if media.ends_with("json") {
                validate(
                    &format!("{pointer}/content/{}/schema", escape(media)),
                    body,
                    &what,
                );
            }
        }
    }
}

/// [`conforms`] for a response read by hand: its body as text, after the check.
pub async fn checked_text(method: &str, response: reqwest::Response) -> (u16, String) {
    let status = response.status().as_u16();
    let url = response.url().clone();
    let content_type = crate::rest_support::content_type(response.headers());
    let text = response.text().await.unwrap();
    conforms(method, &url, status, &content_type, &text);
    (status, text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn teacher(avatar: &str) -> String {
        json!({"id": 1, "name": "Ada", "title": "Dr", "bio": "", "avatar_url": avatar,
            "created_at": "2026-01-01T00:00:00Z"})
        .to_string()
    }

    fn check(status: u16, media: &str, body: &str) -> bool {
        let url = reqwest::Url::parse("http://h/api/v1/teachers/1").unwrap();
        let body = body.to_string();
        let media = media.to_string();
        std::panic::catch_unwind(move || conforms("GET", &url, status, &media, &body)).is_ok()
    }

    /// The check can fail: a site path where the document promises an absolute URL (the drift
    /// this check was added for), an undocumented status, a body where none is documented.
    #[test]
    fn drifts_fail_the_check() {
        assert!(check(
            200,
            "application/json",
            &teacher("https://h/img/a.svg")
        ));
        assert!(!check(200, "application/json", &teacher("/img/a.svg")));
        assert!(!check(200, "application/json", r#"{"id": 1}"#));
        assert!(!check(200, "text/html", &teacher("https://h/img/a.svg")));
        assert!(!check(418, "application/json", "{}"));
        assert!(check(304, "", ""));
        assert!(!check(304, "application/json", "{}"));
        let problem =
            r#"{"type": "https://x/404", "title": "Not Found", "status": 404, "detail": "no"}"#;
        assert!(check(404, "application/problem+json", problem));
        assert!(!check(
            404,
            "application/problem+json",
            r#"{"status": 404}"#
        ));
    }
}
