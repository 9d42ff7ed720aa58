//! The back office in one language: model, column, field and filter labels, help texts, choice
//! values and flags come from the server in the request's language, and so do the model
//! engine's field errors, on the admin screens and in the REST API alike.

use app::dto::admin::{AdminForm, AdminList};
use reqwest::header::ACCEPT_LANGUAGE;
use serde_json::{json, Value};

use crate::backend_tests;
use crate::helpers::{spawn_app, Backend, TestApp};

backend_tests!(
    admin_screens_speak_the_request_language,
    model_field_errors_speak_the_request_language,
);

async fn admin_fn<T: serde::de::DeserializeOwned>(
    app: &TestApp,
    cookie: &str,
    endpoint: &str,
    lang: &str,
    form: &[(&str, &str)],
) -> T {
    let response = app
        .client
        .post(app.url(&format!("/fn/admin/{endpoint}")))
        .header("origin", &app.address)
        .header("cookie", cookie)
        .header(ACCEPT_LANGUAGE, lang)
        .form(form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "{endpoint} in {lang}");
    response.json().await.unwrap()
}

fn label_of<'a>(list: &'a AdminList, column: &str) -> &'a str {
    &list
        .columns
        .iter()
        .find(|c| c.name == column)
        .unwrap()
        .label
}

fn options_of(list: &AdminList, filter: &str) -> Vec<(String, String)> {
    list.filters
        .iter()
        .find(|f| f.field == filter)
        .unwrap()
        .options
        .clone()
}

async fn admin_screens_speak_the_request_language(backend: Backend) {
    let app = spawn_app(backend).await;
    let root = app.superuser().await;
    let cookie = app.sign_in(&root).await;
    let query = [("model", "courses"), ("query[page]", "1")];

    let zh: AdminList = admin_fn(&app, &cookie, "list", "zh-CN", &query).await;
    assert_eq!(
        (zh.label.as_str(), zh.label_plural.as_str()),
        ("课程", "课程")
    );
    assert_eq!(label_of(&zh, "title"), "标题");
    assert_eq!(label_of(&zh, "status"), "状态");
    // Choices keep the stored value and show it in words.
    assert!(options_of(&zh, "status").contains(&("published".into(), "已发布".into())));
    assert_eq!(
        options_of(&zh, "featured"),
        [("true".into(), "是".into()), ("false".into(), "否".into())]
    );
    let status = zh.columns.iter().position(|c| c.name == "status").unwrap();
    assert!(!zh.rows.is_empty(), "the demo data has courses");
    assert!(
        zh.rows.iter().any(|r| r.cells[status] == "已发布"),
        "a published demo course reads 已发布"
    );
    assert!(zh.rows.iter().all(|r| r.cells[status] != "published"));
    let publish = zh.actions.iter().find(|a| a.name == "publish").unwrap();
    assert_eq!(publish.label, "发布所选");

    let en: AdminList = admin_fn(&app, &cookie, "list", "en", &query).await;
    assert_eq!(en.label_plural, "Courses");
    assert_eq!(label_of(&en, "title"), "Title");
    assert!(options_of(&en, "status").contains(&("published".into(), "published".into())));
    // The same rows in both: only words change.
    assert_eq!(
        zh.rows.iter().map(|r| r.id).collect::<Vec<_>>(),
        en.rows.iter().map(|r| r.id).collect::<Vec<_>>()
    );

    let form = [("model", "users")];
    let zh: AdminForm = admin_fn(&app, &cookie, "form", "zh-CN", &form).await;
    let password = zh.fields.iter().find(|f| f.name == "password").unwrap();
    assert_eq!(password.label, "密码");
    assert_eq!(password.help, "至少 10 个字符；以 argon2id 哈希保存。");
    let en: AdminForm = admin_fn(&app, &cookie, "form", "en", &form).await;
    let password = en.fields.iter().find(|f| f.name == "password").unwrap();
    assert_eq!(password.label, "Password");

    let menu: Value = admin_fn(&app, &cookie, "menu", "zh-CN", &[]).await;
    let labels: Vec<&str> = menu["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["label_plural"].as_str().unwrap())
        .collect();
    assert!(
        labels.contains(&"课程") && labels.contains(&"讲师"),
        "{labels:?}"
    );
    assert!(!labels.contains(&"Courses"), "{labels:?}");
}

async fn model_field_errors_speak_the_request_language(backend: Backend) {
    let app = spawn_app(backend).await;
    let root = app.superuser().await;
    let bearer = app.bearer(&root).await;
    let errors = |lang: &'static str| {
        let (app, bearer) = (&app, &bearer);
        async move {
            let response = app
                .client
                .post(app.url("/api/v1/courses"))
                .bearer_auth(bearer)
                .header(ACCEPT_LANGUAGE, lang)
                .json(
                    &json!({"title": "", "slug": "Bad Slug", "teacher_id": 999_999,
                    "category_id": 999_999, "level": "expert", "price_cents": 0,
                    "colour": "red"}),
                )
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 422, "{lang}");
            let body: Value = response.json().await.unwrap();
            let by_field = |field: &str| -> String {
                body["errors"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|e| e["field"] == field)
                    .unwrap_or_else(|| panic!("no error for {field}: {body}"))["message"]
                    .as_str()
                    .unwrap()
                    .to_string()
            };
            (
                by_field("title"),
                by_field("slug"),
                by_field("level"),
                by_field("colour"),
                body["detail"].as_str().unwrap().to_string(),
            )
        }
    };
    let (title, slug, level, colour, detail) = errors("en").await;
    assert_eq!(title, "this field is required");
    assert!(slug.starts_with("use lower-case letters"), "{slug}");
    assert_eq!(level, "must be one of: beginner, intermediate, advanced");
    assert_eq!(colour, "unknown field");
    assert_eq!(detail, "some fields are not valid");

    let (title, slug, level, colour, _) = errors("zh-CN").await;
    assert_eq!(title, "此项必填");
    assert!(slug.starts_with("只能使用小写字母"), "{slug}");
    // The allowed values are what a client sends: named as they are stored.
    assert_eq!(level, "必须是以下之一：beginner, intermediate, advanced");
    assert_eq!(colour, "未知字段");

    // A key to a row that does not exist is checked after the fields parse: name the row
    // kind in the request's language.
    let missing = |lang: &'static str| {
        let (app, bearer) = (&app, &bearer);
        async move {
            let response = app
                .client
                .post(app.url("/api/v1/courses"))
                .bearer_auth(bearer)
                .header(ACCEPT_LANGUAGE, lang)
                .json(
                    &json!({"title": "Ok", "slug": "ok-course", "teacher_id": 999_999,
                    "category_id": 999_999, "level": "beginner", "price_cents": 0}),
                )
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 422, "{lang}");
            let body: Value = response.json().await.unwrap();
            body["errors"]
                .as_array()
                .unwrap()
                .iter()
                .find(|e| e["field"] == "teacher_id")
                .unwrap()["message"]
                .as_str()
                .unwrap()
                .to_string()
        }
    };
    assert_eq!(missing("en").await, "no teacher with id 999999");
    assert_eq!(missing("zh-CN").await, "不存在 id 为 999999 的讲师");

    // A row that is not there is named by its model's label, in the request's language.
    for (lang, detail) in [("en", "direction not found"), ("zh-CN", "找不到方向")] {
        let response = app
            .client
            .get(app.url("/api/v1/directions/999999"))
            .header(ACCEPT_LANGUAGE, lang)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 404);
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["detail"], detail, "{lang}");
    }
}
