//! The OpenAPI document against the running API: every route is in it, every documented
//! operation answers as documented, and a fuzzer built from the document finds no 5xx and no
//! response the document does not describe (checked by [`crate::rest_conformance`]).

use rand::{rngs::StdRng, Rng, SeedableRng};
use reqwest::Method;
use serde_json::{json, Map, Value};

use crate::backend_tests;
use crate::helpers::{spawn_app_with, Backend, Options, TestApp};
use crate::rest_conformance::conforms;
use crate::rest_support::{call, content_type, send, token_for};

backend_tests!(
    the_document_lists_every_route_and_nothing_else,
    fuzzed_requests_get_documented_answers,
);

async fn unthrottled(backend: Backend) -> TestApp {
    spawn_app_with(backend, Options::unthrottled()).await
}

async fn document(app: &TestApp) -> Value {
    let (status, doc, _) = send(call(app, Method::GET, "/api/v1/openapi.json", None)).await;
    assert_eq!(status, 200);
    doc
}

fn concrete(path: &str, id: &str) -> String {
    path.split('/')
        .map(|s| if s.starts_with('{') { id } else { s })
        .collect::<Vec<_>>()
        .join("/")
}

async fn the_document_lists_every_route_and_nothing_else(backend: Backend) {
    let app = unthrottled(backend).await;
    let doc = document(&app).await;
    assert_eq!(doc["openapi"], "3.1.0");
    assert_eq!(
        doc["components"]["securitySchemes"]["bearerAuth"]["scheme"],
        "bearer"
    );
    let paths = doc["paths"].as_object().unwrap();

    // Router → document: every registered route is documented.
    let routes = server::rest::registered_routes();
    assert!(routes.len() > 40, "{}", routes.len());
    for (method, path) in &routes {
        assert!(
            doc["paths"][path][method.to_lowercase()].is_object(),
            "{method} {path} is served but missing from the document"
        );
    }
    for resource in server::rest::resources::RESOURCES {
        assert!(
            paths.contains_key(&resource.collection_path()),
            "{}",
            resource.spec.name
        );
    }
    // Document → router: each documented path serves exactly the documented methods (the Allow
    // header of a 405 lists what the router really has there).
    let mut documented = 0;
    for (path, item) in paths {
        let mut methods: Vec<String> = item
            .as_object()
            .unwrap()
            .keys()
            .map(|m| m.to_uppercase())
            .collect();
        documented += methods.len();
        if methods.contains(&"GET".to_string()) {
            methods.push("HEAD".into());
        }
        methods.sort();
        let response = app
            .client
            .request(Method::TRACE, app.url(&concrete(path, "1")))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 405, "{path}");
        let mut allowed: Vec<String> = response.headers()["allow"]
            .to_str()
            .unwrap()
            .split(',')
            .map(|m| m.trim().to_string())
            .collect();
        allowed.sort();
        assert_eq!(allowed, methods, "{path}");
    }
    assert_eq!(documented, routes.len());

    let page = app.get("/api/docs").await;
    assert_eq!(page.status(), 200);
    assert!(content_type(page.headers()).starts_with("text/html"));
    let html = page.text().await.unwrap();
    for item in paths.values() {
        for op in item.as_object().unwrap().values() {
            let id = op["operationId"].as_str().unwrap();
            assert!(
                html.contains(&format!("id=\"{id}\"")),
                "{id} missing from /api/docs"
            );
        }
    }
    assert!(!html.contains("<script"));
}

// ---------------------------------------------------------------------------------------------
// The document's `$ref`s, for generating values.

fn resolve<'a>(doc: &'a Value, schema: &'a Value) -> &'a Value {
    match schema.get("$ref").and_then(Value::as_str) {
        Some(r) => doc
            .pointer(r.trim_start_matches('#'))
            .map(|s| resolve(doc, s))
            .unwrap_or(&Value::Null),
        None => schema,
    }
}

// ---------------------------------------------------------------------------------------------
// Generated requests.

/// A value for a schema: usually valid, sometimes not.
fn value_for(doc: &Value, schema: &Value, rng: &mut StdRng, depth: u32) -> Value {
    let schema = resolve(doc, schema);
    if rng.random_bool(0.15) {
        return junk(rng);
    }
    if let Some(Value::Array(options)) = schema.get("enum") {
        return options[rng.random_range(0..options.len())].clone();
    }
    let t = match schema.get("type") {
        Some(Value::String(t)) => t.clone(),
        Some(Value::Array(ts)) => ts[rng.random_range(0..ts.len())]
            .as_str()
            .unwrap_or("null")
            .to_string(),
        _ => "string".into(),
    };
    match t.as_str() {
        "integer" => {
            let min = schema.get("minimum").and_then(Value::as_i64).unwrap_or(-5);
            let max = schema
                .get("maximum")
                .and_then(Value::as_i64)
                .unwrap_or(1_000)
                .min(1_000_000);
            json!(rng.random_range(min..=max.max(min)))
        }
        "boolean" => json!(rng.random_bool(0.5)),
        "null" => Value::Null,
        "object" if depth < 3 => {
            let mut obj = Map::new();
            let required: Vec<&str> = schema
                .get("required")
                .and_then(Value::as_array)
                .map(|r| r.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            for (k, s) in schema
                .get("properties")
                .and_then(Value::as_object)
                .into_iter()
                .flatten()
            {
                if required.contains(&k.as_str()) || rng.random_bool(0.5) {
                    obj.insert(k.clone(), value_for(doc, s, rng, depth + 1));
                }
            }
            Value::Object(obj)
        }
        _ => {
            let format = schema.get("format").and_then(Value::as_str).unwrap_or("");
            let n: u32 = rng.random();
            json!(match format {
                "email" => format!("u{n}@example.com"),
                "uri" => format!("https://example.com/{n}"),
                "date-time" => "2026-01-01T00:00:00Z".to_string(),
                _ if schema.get("pattern").is_some() => format!("fuzz-{n}"),
                _ => format!("Fuzz {n} 学城"),
            })
        }
    }
}

fn junk(rng: &mut StdRng) -> Value {
    let options = [
        json!(null),
        json!(-1),
        json!(0),
        json!(i64::MAX),
        json!(1e300),
        json!(""),
        json!("x".repeat(3000)),
        json!("' OR 1=1 --"),
        json!("%00\u{0}"),
        json!([1, 2]),
        json!({"a": {"b": []}}),
        json!(true),
        json!("../../etc/passwd"),
    ];
    options[rng.random_range(0..options.len())].clone()
}

fn query_value(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

struct Probe {
    method: Method,
    path: String,
    op: Value,
}

fn operations(doc: &Value) -> Vec<Probe> {
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            out.push(Probe {
                method: method.to_uppercase().parse().unwrap(),
                path: path.clone(),
                op: op.clone(),
            });
        }
    }
    out
}

async fn fuzzed_requests_get_documented_answers(backend: Backend) {
    let app = unthrottled(backend).await;
    let admin = token_for(&app, "root", true, &[]).await;
    let plain = token_for(&app, "plain", false, &[]).await;
    let doc = document(&app).await;
    let mut rng = StdRng::seed_from_u64(0x5eed_0005);
    let ids = [
        "1",
        "2",
        "3",
        "0",
        "-1",
        "abc",
        "99999999999999999999",
        "%20",
        "1.5",
    ];
    let mut seen = 0;
    for probe in operations(&doc) {
        // Revoking the admin's own token would end the run early.
        let rounds = if probe.path.ends_with("/revoke") {
            3
        } else {
            12
        };
        for round in 0..rounds {
            let id = if rng.random_bool(0.7) {
                &ids[rng.random_range(0..3)]
            } else {
                &ids[rng.random_range(0..ids.len())]
            };
            let path = concrete(&probe.path, id);
            let mut query = Vec::new();
            for p in probe.op["parameters"].as_array().into_iter().flatten() {
                if p["in"] == "query" && rng.random_bool(0.3) {
                    query.push((
                        p["name"].as_str().unwrap().to_string(),
                        query_value(&value_for(&doc, &p["schema"], &mut rng, 0)),
                    ));
                }
            }
            if rng.random_bool(0.1) {
                query.push(("bogus".into(), "1".into()));
            }
            let url = if query.is_empty() {
                path.clone()
            } else {
                format!(
                    "{path}?{}",
                    url::form_urlencoded::Serializer::new(String::new())
                        .extend_pairs(&query)
                        .finish()
                )
            };
            let token = match round % 3 {
                0 => None,
                1 => Some(admin.as_str()),
                _ => Some(if rng.random_bool(0.8) {
                    plain.as_str()
                } else {
                    "garbage.token.here"
                }),
            };
            let token = if probe.path.ends_with("/revoke") {
                None
            } else {
                token
            };
            let mut request = call(&app, probe.method.clone(), &url, token);
            let mut sent = String::new();
            if let Some(schema) = probe
                .op
                .pointer("/requestBody/content/application~1json/schema")
            {
                request = match rng.random_range(0..10) {
                    0 => request.header("Content-Type", "text/plain").body("hello"),
                    1 => request
                        .header("Content-Type", "application/json")
                        .body("{\"unterminated"),
                    2 => request
                        .header("Content-Type", "application/json")
                        .body(junk(&mut rng).to_string()),
                    _ => {
                        let body = value_for(&doc, schema, &mut rng, 0);
                        sent = body.to_string();
                        request.json(&body)
                    }
                };
            }
            if rng.random_bool(0.05) {
                request = request.header("Accept", "text/csv");
            }
            let response = request.send().await.unwrap();
            let url_sent = response.url().clone();
            let status = response.status().as_u16();
            let ct = content_type(response.headers());
            let text = response.text().await.unwrap();
            let what = format!(
                "{} {url} {} -> {status} {ct} {}",
                probe.method,
                &sent.chars().take(300).collect::<String>(),
                &text.chars().take(300).collect::<String>()
            );
            assert!(status < 500, "{what}");
            // A documented status, content type and body: the check every REST test's answers get.
            conforms(probe.method.as_str(), &url_sent, status, &ct, &text);
            seen += 1;
        }
    }
    assert!(seen > 400, "{seen}");
}
