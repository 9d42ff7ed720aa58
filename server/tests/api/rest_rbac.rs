//! The permission matrix over every model route of the API, generated from the route list:
//! anonymous, signed in without permissions, and signed in with exactly the permission needed.

use reqwest::Method;
use serde_json::json;

use crate::backend_tests;
use crate::helpers::{spawn_app_with, Backend, Options};
use crate::rest_support::{call, send, token_for};

backend_tests!(every_route_checks_permissions);

/// The action a method needs on a model.
fn action(method: &Method) -> &'static str {
    match *method {
        Method::GET => "view",
        Method::POST => "add",
        Method::PUT | Method::PATCH => "change",
        _ => "delete",
    }
}

async fn every_route_checks_permissions(backend: Backend) {
    let app = spawn_app_with(backend, Options::unthrottled()).await;
    let admin = token_for(&app, "root", true, &[]).await;
    let nobody = token_for(&app, "nobody", false, &[]).await;
    let routes = server::rest::registered_routes();
    let mut checked = 0;
    for resource in server::rest::resources::RESOURCES {
        let spec = resource.spec;
        let collection = resource.collection_path();
        // Real ids to address: a parent with children, and one of its children.
        let parent_id = match resource.parent {
            Some((parent, _)) => {
                let (_, list, _) = send(call(
                    &app,
                    Method::GET,
                    &format!("/api/v1/{}?limit=1", parent.plural),
                    Some(&admin),
                ))
                .await;
                Some(list["results"][0]["id"].as_i64().unwrap())
            }
            None => None,
        };
        let with_parent = |p: &str| match (resource.parent, parent_id) {
            (Some((_, fk)), Some(id)) => p.replace(&format!("{{{fk}}}"), &id.to_string()),
            _ => p.to_string(),
        };
        // Users: the powerless `nobody` (search, since the holders made below fill the pages).
        let listing = match spec.name {
            "user" => format!("{collection}?search=nobody"),
            _ => with_parent(&collection),
        };
        let (_, list, _) = send(call(&app, Method::GET, &listing, Some(&admin))).await;
        // Users: an account without powers, since nobody may change a more powerful one
        // (that rule has its own tests in attacks.rs).
        let item_id = list["results"]
            .as_array()
            .and_then(|rows| {
                rows.iter()
                    .find(|r| spec.name != "user" || r["username"] == "nobody")
            })
            .and_then(|r| r["id"].as_i64());

        for (method, path) in routes
            .iter()
            .filter(|(_, p)| *p == collection || *p == format!("{collection}/{{id}}"))
        {
            let method: Method = method.parse().unwrap();
            let is_item = path.ends_with("{id}");
            // Deleting addresses a row that is not there: the permission check comes first.
            let id = match item_id {
                Some(id) if method != Method::DELETE => id,
                _ => 99_999_999,
            };
            let url = with_parent(path).replace("{id}", &id.to_string());
            let body = match method {
                Method::PATCH => Some(json!({})),
                Method::POST | Method::PUT => Some(json!({"unknown_field": 1})),
                _ => None,
            };
            let request = |token: Option<&str>| {
                let r = call(&app, method.clone(), &url, token);
                match &body {
                    Some(b) => r.json(b),
                    None => r,
                }
            };
            let codename = spec.permission(action(&method));
            let holder = format!("{}-{}-{}", spec.name, action(&method), checked);
            let mut granted = vec![codename.as_str()];
            let view = spec.permission("view");
            if method != Method::GET && method != Method::POST {
                granted.push(view.as_str());
            }
            let allowed = token_for(&app, &holder, false, &granted).await;

            let public_read = method == Method::GET && spec.public_rows.is_some();
            let (anon, _, h) = send(request(None)).await;
            let (plain, _, _) = send(request(Some(&nobody))).await;
            let (granted_status, granted_body, _) = send(request(Some(&allowed))).await;
            let what = format!("{method} {url}");
            if public_read {
                assert!(
                    anon == 200 || (is_item && anon == 404),
                    "{what}: anonymous {anon}"
                );
                assert!(
                    plain == 200 || (is_item && plain == 404),
                    "{what}: no permission {plain}"
                );
            } else {
                assert_eq!(anon, 401, "{what}: anonymous");
                assert_eq!(h["www-authenticate"], "Bearer");
                assert_eq!(plain, 403, "{what}: no permission");
            }
            let expected: &[u16] = match method {
                // A model without rows yet (hosts): the item is not found, after the check.
                _ if is_item && item_id.is_none() => &[404],
                Method::GET => &[200],
                Method::POST | Method::PUT => &[422],
                Method::PATCH => &[200],
                _ => &[404],
            };
            assert!(
                expected.contains(&granted_status),
                "{what}: with {granted:?} got {granted_status} {granted_body}"
            );
            checked += 1;
        }
    }
    // Every model route of the table was exercised.
    let model_routes = routes
        .iter()
        .filter(|(_, p)| {
            server::rest::resources::RESOURCES.iter().any(|r| {
                *p == r.collection_path() || *p == format!("{}/{{id}}", r.collection_path())
            })
        })
        .count();
    assert_eq!(checked, model_routes);
    assert!(checked >= 40, "{checked}");
}
