//! The back office's change list as a signed-in superuser gets it from `/fn/admin/list`:
//! its columns only, foreign keys by name (from the filter's options, or looked up when a
//! key is not among them), the count and the pages.

use app::domain::Principal;
use app::dto::admin::AdminList;
use serde_json::{json, Value};
use server::model_engine::{ModelService, Record};

use crate::backend_tests;
use crate::helpers::{spawn_app_with, Backend, Options, TestApp};

backend_tests!(
    course_list_shows_its_columns_with_names_for_keys,
    keys_to_rows_the_filter_does_not_offer_are_named_too,
);

struct World {
    app: TestApp,
    engine: ModelService,
    root: Principal,
    cookie: String,
}

async fn world(b: Backend) -> World {
    let app = spawn_app_with(
        b,
        Options {
            seed_demo: false,
            ..Options::default()
        },
    )
    .await;
    let root = app.superuser().await;
    let cookie = app.sign_in(&root).await;
    World {
        engine: app.models.clone(),
        root: root.principal(),
        app,
        cookie,
    }
}

impl World {
    async fn create(&self, model: &str, v: Value) -> i64 {
        let record: Record = v.as_object().cloned().unwrap();
        let row = self
            .engine
            .create(&self.root, model, record, None)
            .await
            .unwrap();
        row["id"].as_i64().unwrap()
    }

    async fn list(&self, form: &[(&str, &str)]) -> AdminList {
        let response = self
            .app
            .client
            .post(self.app.url("/fn/admin/list"))
            .header("origin", self.app.address.clone())
            .header("cookie", &self.cookie)
            .form(form)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        response.json().await.unwrap()
    }

    /// A direction, a category and two teachers; (category, teacher, teacher) ids.
    async fn scaffold(&self) -> (i64, i64, i64) {
        let d = self
            .create("direction", json!({"name": "Back", "slug": "back"}))
            .await;
        let c = self
            .create(
                "category",
                json!({"name": "Rust 入门", "slug": "rust", "direction_id": d}),
            )
            .await;
        let ada = self.create("teacher", json!({"name": "Ada"})).await;
        let bob = self.create("teacher", json!({"name": "Bob"})).await;
        (c, ada, bob)
    }

    async fn course(&self, i: usize, category: i64, teacher: i64) -> i64 {
        self.create(
            "course",
            json!({"title": format!("Course {i:02}"), "slug": format!("c-{i}"),
                "level": "beginner", "price_cents": 9900, "category_id": category,
                "teacher_id": teacher}),
        )
        .await
    }
}

fn cells<'a>(list: &'a AdminList, column: &str) -> Vec<&'a str> {
    let i = list.columns.iter().position(|c| c.name == column).unwrap();
    list.rows.iter().map(|r| r.cells[i].as_str()).collect()
}

async fn course_list_shows_its_columns_with_names_for_keys(b: Backend) {
    let w = world(b).await;
    let (category, ada, bob) = w.scaffold().await;
    for i in 0..55 {
        w.course(i, category, if i % 2 == 0 { ada } else { bob })
            .await;
    }
    let first = w
        .list(&[
            ("model", "courses"),
            ("query[sort]", "title"),
            ("query[page]", "1"),
        ])
        .await;
    let columns: Vec<&str> = first.columns.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(columns, app::admin::models::COURSE.list_display);
    assert_eq!((first.count, first.rows.len()), (55, 50));
    assert_eq!(
        cells(&first, "title")[..3],
        ["Course 00", "Course 01", "Course 02"]
    );
    assert_eq!(cells(&first, "teacher_id")[..3], ["Ada", "Bob", "Ada"]);
    assert!(cells(&first, "category_id")
        .iter()
        .all(|c| *c == "Rust 入门"));
    assert_eq!(cells(&first, "price_cents")[0], "¥99.00");
    let teachers = first
        .filters
        .iter()
        .find(|f| f.field == "teacher_id")
        .unwrap();
    assert_eq!(
        teachers.options,
        [
            (ada.to_string(), "Ada".to_string()),
            (bob.to_string(), "Bob".to_string())
        ]
    );
    let last = w
        .list(&[
            ("model", "courses"),
            ("query[sort]", "title"),
            ("query[page]", "2"),
        ])
        .await;
    assert_eq!(last.count, 55);
    assert_eq!(
        cells(&last, "title"),
        [
            "Course 50",
            "Course 51",
            "Course 52",
            "Course 53",
            "Course 54"
        ]
    );
    assert_eq!(cells(&last, "teacher_id")[..2], ["Ada", "Bob"]);
    let searched = w
        .list(&[
            ("model", "courses"),
            ("query[search]", "course 1"),
            ("query[filters][0][0]", "teacher_id"),
            ("query[filters][0][1]", &bob.to_string()),
            ("query[page]", "1"),
        ])
        .await;
    // "Course 10" to "Course 19", Bob's (odd) ones.
    assert_eq!(searched.count, 5);
    assert!(cells(&searched, "teacher_id").iter().all(|c| *c == "Bob"));
}

async fn keys_to_rows_the_filter_does_not_offer_are_named_too(b: Backend) {
    let w = world(b).await;
    let (category, ada, _) = w.scaffold().await;
    let kept = w.course(1, category, ada).await;
    let gone = w.course(2, category, ada).await;
    for course in [kept, gone] {
        w.create(
            "chapter",
            json!({"course_id": course, "title": format!("Intro {course}")}),
        )
        .await;
    }
    // The chapters' course filter offers live courses only; the chapter of a deleted one
    // still shows its course's title.
    w.engine
        .delete(&w.root, "course", gone, None)
        .await
        .unwrap();
    let chapters = w
        .list(&[
            ("model", "chapters"),
            ("query[sort]", "title"),
            ("query[page]", "1"),
        ])
        .await;
    let courses = chapters
        .filters
        .iter()
        .find(|f| f.field == "course_id")
        .unwrap();
    assert_eq!(
        courses.options,
        [(kept.to_string(), "Course 01".to_string())]
    );
    let mut shown = cells(&chapters, "course_id");
    shown.sort_unstable();
    assert_eq!(shown, ["Course 01", "Course 02"]);
}
