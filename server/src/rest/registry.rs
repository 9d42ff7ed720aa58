//! The API's route table. A route is registered together with its OpenAPI operation, in one
//! call ([`ApiBuilder::route`]), so the router and the document cannot drift apart: a handler
//! without a description does not compile into the API.

use axum::{
    handler::Handler,
    http::Method,
    routing::{on, MethodFilter},
    Router,
};
use serde_json::{json, Map, Value};

use crate::state::AppState;

/// Who may call an operation, as the document's `security` says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Auth {
    /// No credentials are looked at.
    Public,
    /// Anonymous callers are served (public rows); credentials, when sent, must be valid.
    Optional,
    /// A bearer token or a session is needed.
    Required,
}

/// One operation of the document, built next to the handler it describes.
#[derive(Debug, Clone)]
pub struct Operation {
    pub id: String,
    pub tag: String,
    pub summary: String,
    pub description: String,
    pub auth: Auth,
    pub params: Vec<Value>,
    pub body: Option<Value>,
    /// Explicit responses by status; the errors every operation can give are added on output.
    pub responses: Vec<(u16, Value)>,
}

impl Operation {
    pub fn new(id: impl Into<String>, tag: &str, summary: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            tag: tag.to_string(),
            summary: summary.into(),
            description: String::new(),
            auth: Auth::Optional,
            params: Vec::new(),
            body: None,
            responses: Vec::new(),
        }
    }

    pub fn describe(mut self, text: impl Into<String>) -> Self {
        self.description = text.into();
        self
    }

    pub fn auth(mut self, auth: Auth) -> Self {
        self.auth = auth;
        self
    }

    pub fn params(mut self, params: impl IntoIterator<Item = Value>) -> Self {
        self.params.extend(params);
        self
    }

    /// A JSON request body of this schema (which brings 413, 415 and 422 with it).
    pub fn body(mut self, schema: Value) -> Self {
        self.body = Some(schema);
        self
    }

    pub fn response(mut self, status: u16, response: Value) -> Self {
        self.responses.push((status, response));
        self
    }

    /// The statuses this operation documents (explicit and common ones).
    pub fn statuses(&self, path: &str) -> Vec<u16> {
        let mut all: Vec<u16> = self.responses.iter().map(|(s, _)| *s).collect();
        all.extend([400, 406, 429, 500]);
        if self.auth != Auth::Public {
            all.extend([401, 403]);
        }
        if path.contains('{') {
            all.push(404);
        }
        if self.body.is_some() {
            all.extend([413, 415, 422]);
        }
        all.sort_unstable();
        all.dedup();
        all
    }

    fn to_json(&self, path: &str) -> Value {
        let mut params: Vec<Value> = path_params(path)
            .map(|name| {
                if name == "username" {
                    return json!({
                        "name": name, "in": "path", "required": true,
                        "description": "The account's username.",
                        "schema": {"type": "string", "minLength": 1, "maxLength": 30}
                    });
                }
                if name == "session_id" {
                    return json!({
                        "name": name, "in": "path", "required": true,
                        "description": "The terminal session's id.",
                        "schema": {"type": "string", "minLength": 1, "maxLength": 64}
                    });
                }
                if name == "order_no" || name == "out_trade_no" {
                    return json!({
                        "name": name, "in": "path", "required": true,
                        "description": "The order's number (a payment's adds its provider's letter).",
                        "schema": {"type": "string", "minLength": 1, "maxLength": 64}
                    });
                }
                let description = match name.strip_suffix("_id") {
                    Some(parent) => format!("The id of the {parent}."),
                    None => "The record's id.".to_string(),
                };
                json!({
                    "name": name, "in": "path", "required": true,
                    "description": description,
                    "schema": {"type": "integer", "format": "int64", "minimum": 1}
                })
            })
            .collect();
        params.extend(self.params.iter().cloned());
        let mut responses = Map::new();
        for status in self.statuses(path) {
            let explicit = self.responses.iter().find(|(s, _)| *s == status);
            let response = match explicit {
                Some((_, r)) => r.clone(),
                None => json!({"$ref": format!("#/components/responses/Problem{status}")}),
            };
            responses.insert(status.to_string(), response);
        }
        let mut op = json!({
            "operationId": self.id,
            "tags": [self.tag],
            "summary": self.summary,
            "parameters": params,
            "responses": responses,
            "security": match self.auth {
                Auth::Public => json!([]),
                Auth::Optional => json!([{}, {"bearerAuth": []}, {"sessionCookie": []}]),
                Auth::Required => json!([{"bearerAuth": []}, {"sessionCookie": []}]),
            },
        });
        if !self.description.is_empty() {
            op["description"] = json!(self.description);
        }
        if let Some(schema) = &self.body {
            op["requestBody"] = json!({
                "required": true,
                "content": {"application/json": {"schema": schema}}
            });
        }
        op
    }
}

/// The `{name}` segments of a path template.
pub fn path_params(path: &str) -> impl Iterator<Item = &str> {
    path.split('/')
        .filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
}

/// Collects routes and their operations; yields the router and the document's pieces.
pub struct ApiBuilder {
    router: Router<AppState>,
    routes: Vec<(Method, String, Operation)>,
    schemas: Map<String, Value>,
}

impl Default for ApiBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl ApiBuilder {
    pub fn new() -> Self {
        Self {
            router: Router::new(),
            routes: Vec::new(),
            schemas: Map::new(),
        }
    }

    pub fn route<H, T>(&mut self, method: Method, path: &str, handler: H, op: Operation)
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        // Every method we register is one of the standard ones, which all have a filter.
        let Ok(filter) = MethodFilter::try_from(method.clone()) else {
            tracing::error!(%method, path, "no method filter: route left out");
            return;
        };
        let router = std::mem::take(&mut self.router);
        self.router = router.route(path, on(filter, handler));
        self.routes.push((method, path.to_string(), op));
    }

    pub fn schema(&mut self, name: &str, schema: Value) {
        self.schemas.insert(name.to_string(), schema);
    }

    pub fn routes(&self) -> impl Iterator<Item = (&Method, &str, &Operation)> {
        self.routes.iter().map(|(m, p, o)| (m, p.as_str(), o))
    }

    /// The `paths` object of the document.
    pub fn paths(&self) -> Map<String, Value> {
        let mut paths = Map::new();
        for (method, path, op) in &self.routes {
            let entry = paths
                .entry(path.clone())
                .or_insert_with(|| json!({}))
                .as_object_mut()
                .map(|o| {
                    o.insert(method.as_str().to_ascii_lowercase(), op.to_json(path));
                });
            debug_assert!(entry.is_some());
        }
        paths
    }

    pub fn schemas(&self) -> &Map<String, Value> {
        &self.schemas
    }

    pub fn into_router(self) -> Router<AppState> {
        self.router
    }
}
