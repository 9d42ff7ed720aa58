//! `GET /api/docs`: the OpenAPI document rendered as one readable HTML page on the server, with
//! inline CSS and no scripts, so it works offline and behind any firewall.

use std::fmt::Write;

use serde_json::Value;

use crate::html::escape as esc;

fn s<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get(key).and_then(Value::as_str).unwrap_or("")
}

/// `#/components/schemas/Course` → a link to that schema's section.
fn type_of(schema: &Value) -> String {
    if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
        let name = r.rsplit('/').next().unwrap_or(r);
        return format!("<a href=\"#schema-{0}\">{0}</a>", esc(name));
    }
    let mut t = match schema.get("type") {
        Some(Value::Array(types)) => types
            .iter()
            .filter_map(Value::as_str)
            .collect::<Vec<_>>()
            .join(" | "),
        Some(Value::String(t)) => t.clone(),
        _ => "any".into(),
    };
    if let Some(items) = schema.get("items") {
        t = format!("array of {}", type_of(items));
        return t;
    }
    let mut out = esc(&t);
    for key in [
        "format",
        "pattern",
        "minimum",
        "maximum",
        "maxLength",
        "minLength",
    ] {
        if let Some(v) = schema.get(key) {
            let _ = write!(out, " <small>{key}: {}</small>", esc(&v.to_string()));
        }
    }
    if let Some(Value::Array(options)) = schema.get("enum") {
        let list: Vec<String> = options.iter().map(|o| esc(&o.to_string())).collect();
        let _ = write!(out, " <small>one of {}</small>", list.join(", "));
    }
    out
}

fn operation(html: &mut String, method: &str, path: &str, op: &Value) {
    let _ = write!(
        html,
        "<section class=op id=\"{id}\"><h3><span class=\"m {m}\">{M}</span> <code>{p}</code></h3><p>{sum}</p>",
        id = esc(s(op, "operationId")),
        m = esc(method),
        M = esc(&method.to_uppercase()),
        p = esc(path),
        sum = esc(s(op, "summary")),
    );
    if !s(op, "description").is_empty() {
        let _ = write!(html, "<p class=d>{}</p>", esc(s(op, "description")));
    }
    let auth = match op.get("security").and_then(Value::as_array) {
        Some(list) if list.is_empty() => "none",
        Some(list)
            if list
                .iter()
                .any(|o| o.as_object().is_some_and(|o| o.is_empty())) =>
        {
            "optional (bearer token or session)"
        }
        _ => "required (bearer token or session)",
    };
    let _ = write!(html, "<p><b>Authentication:</b> {auth}</p>");
    if let Some(params) = op
        .get("parameters")
        .and_then(Value::as_array)
        .filter(|p| !p.is_empty())
    {
        html.push_str("<table><tr><th>parameter</th><th>in</th><th>type</th><th>meaning</th></tr>");
        for p in params {
            let _ = write!(
                html,
                "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(s(p, "name")),
                esc(s(p, "in")),
                type_of(p.get("schema").unwrap_or(&Value::Null)),
                esc(s(p, "description"))
            );
        }
        html.push_str("</table>");
    }
    if let Some(body) = op.pointer("/requestBody/content/application~1json/schema") {
        let _ = write!(
            html,
            "<p><b>Body</b> (application/json): {}</p>",
            type_of(body)
        );
    }
    if let Some(responses) = op.get("responses").and_then(Value::as_object) {
        html.push_str("<p><b>Responses:</b> ");
        let list: Vec<String> = responses
            .iter()
            .map(|(status, r)| {
                let schema = r
                    .pointer("/content/application~1json/schema")
                    .map(|s| format!(" {}", type_of(s)))
                    .unwrap_or_default();
                format!("<code>{}</code>{schema}", esc(status))
            })
            .collect();
        html.push_str(&list.join(", "));
        html.push_str("</p>");
    }
    html.push_str("</section>");
}

fn schema_section(html: &mut String, name: &str, schema: &Value) {
    let _ = write!(html, "<section id=\"schema-{0}\"><h3>{0}</h3>", esc(name));
    if !s(schema, "description").is_empty() {
        let _ = write!(html, "<p>{}</p>", esc(s(schema, "description")));
    }
    let required: Vec<&str> = schema
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    match schema.get("properties").and_then(Value::as_object) {
        Some(props) => {
            html.push_str("<table><tr><th>field</th><th>type</th><th>meaning</th></tr>");
            for (field, p) in props {
                let mark = if required.contains(&field.as_str()) {
                    " <small>required</small>"
                } else {
                    ""
                };
                let ro = if p.get("readOnly") == Some(&Value::Bool(true)) {
                    " <small>read-only</small>"
                } else {
                    ""
                };
                let _ = write!(
                    html,
                    "<tr><td><code>{}</code>{mark}{ro}</td><td>{}</td><td>{}</td></tr>",
                    esc(field),
                    type_of(p),
                    esc(s(p, "description"))
                );
            }
            html.push_str("</table>");
        }
        None => {
            let _ = write!(html, "<p>{}</p>", type_of(schema));
        }
    }
    html.push_str("</section>");
}

/// The page for a document.
pub fn render(doc: &Value) -> String {
    let mut html = String::from(
        "<!doctype html><html lang=en><head><meta charset=utf-8>\
         <meta name=viewport content=\"width=device-width, initial-scale=1\">\
         <title>Xuecheng API</title><style>\
         body{font:15px/1.5 system-ui,sans-serif;max-width:980px;margin:2rem auto;padding:0 1rem;color:#222}\
         code{font:13px ui-monospace,monospace}table{border-collapse:collapse;width:100%;margin:.5rem 0}\
         td,th{border:1px solid #ddd;padding:.25rem .5rem;text-align:left;vertical-align:top}\
         .op{border-top:1px solid #ccc;padding-top:.5rem}.m{display:inline-block;min-width:4.5em;\
         padding:0 .4em;border-radius:3px;color:#fff;background:#555;font-size:12px;text-align:center}\
         .get{background:#2b7a3d}.post{background:#1f5fa8}.put,.patch{background:#a86b1f}.delete{background:#a82a1f}\
         small{color:#666}.d{color:#444}nav a{margin-right:.75rem}</style></head><body>",
    );
    let info = doc.get("info").unwrap_or(&Value::Null);
    let _ = write!(
        html,
        "<h1>{} <small>{}</small></h1><p>{}</p>\
         <p>Machine-readable: <a href=\"/api/v1/openapi.json\">/api/v1/openapi.json</a> (OpenAPI {}).</p>",
        esc(s(info, "title")),
        esc(s(info, "version")),
        esc(s(info, "description")),
        esc(s(doc, "openapi")),
    );
    if let Some(tags) = doc.get("tags").and_then(Value::as_array) {
        html.push_str("<nav>");
        for t in tags {
            let _ = write!(html, "<a href=\"#tag-{0}\">{0}</a>", esc(s(t, "name")));
        }
        html.push_str("<a href=\"#schemas\">schemas</a></nav>");
    }
    let paths = doc.get("paths").and_then(Value::as_object);
    let tags: Vec<&str> = doc
        .get("tags")
        .and_then(Value::as_array)
        .map(|t| t.iter().map(|t| s(t, "name")).collect())
        .unwrap_or_default();
    for tag in tags {
        let _ = write!(html, "<h2 id=\"tag-{0}\">{0}</h2>", esc(tag));
        for (path, item) in paths.into_iter().flatten() {
            for (method, op) in item.as_object().into_iter().flatten() {
                let in_tag = op
                    .get("tags")
                    .and_then(Value::as_array)
                    .is_some_and(|t| t.iter().any(|t| t == tag));
                if in_tag {
                    operation(&mut html, method, path, op);
                }
            }
        }
    }
    html.push_str("<h2 id=schemas>Schemas</h2>");
    if let Some(schemas) = doc
        .pointer("/components/schemas")
        .and_then(Value::as_object)
    {
        for (name, schema) in schemas {
            schema_section(&mut html, name, schema);
        }
    }
    html.push_str("</body></html>");
    html
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_from_the_document_is_escaped() {
        let doc = serde_json::json!({
            "openapi": "3.1.0",
            "info": {"title": "<script>x</script>", "version": "1"},
            "tags": [{"name": "t"}],
            "paths": {"/a": {"get": {"operationId": "a", "tags": ["t"], "summary": "S & T",
                "responses": {"200": {}}}}}
        });
        let html = render(&doc);
        assert!(html.contains("&lt;script&gt;") && !html.contains("<script>"));
        assert!(html.contains("S &amp; T"));
    }
}
