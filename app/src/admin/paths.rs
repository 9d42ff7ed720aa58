//! Learning paths and the courses on them, as the back office and the REST API manage them.
//! The public pages (`/paths`) read them through the path service instead, with the public
//! catalogue's rule for the courses.

use super::spec::{delete_action, BulkAction, FieldKind as K, FieldSpec as F, Inline, ModelSpec};

const POSITION: K = K::Int {
    min: 0,
    max: 100_000,
};

pub static LEARNING_PATH: ModelSpec = ModelSpec {
    name: "learning_path",
    plural: "paths",
    label: "Learning path",
    label_plural: "Learning paths",
    table: "learning_paths",
    fields: &[
        F::new("title", "Title", K::Text { max: 120 }).required(),
        F::new("slug", "Slug", K::Slug).required(),
        F::new("description", "Description", K::LongText { max: 5_000 }),
        F::new("published", "Published", K::Bool)
            .help("Shown on /paths, and followable, once published."),
        F::new("position", "Position", POSITION),
        F::new("created_at", "Created", K::Timestamp).read_only(),
    ],
    repr: "title",
    list_display: &["title", "slug", "published", "position", "created_at"],
    search_fields: &["title", "slug"],
    filters: &["published"],
    ordering: &["position", "title", "created_at"],
    default_order: "position",
    soft_delete: false,
    public_rows: None,
    has_updated_at: false,
    actions: &[
        BulkAction {
            name: "publish",
            label: "Publish selected",
            permission: "learning_path.change",
            sets: &[("published", "true")],
            confirm: false,
        },
        delete_action("learning_path.delete"),
    ],
    inlines: &[Inline {
        model: "learning_path_course",
        parent_field: "path_id",
    }],
    parent: None,
};

pub static LEARNING_PATH_COURSE: ModelSpec = ModelSpec {
    name: "learning_path_course",
    plural: "path_courses",
    label: "Path course",
    label_plural: "Path courses",
    table: "learning_path_courses",
    fields: &[
        F::new("path_id", "Learning path", K::ForeignKey("learning_path")).required(),
        F::new("course_id", "Course", K::ForeignKey("course")).required(),
        F::new("position", "Position", POSITION).help("Courses show in this order."),
    ],
    repr: "course_id",
    list_display: &["course_id", "path_id", "position"],
    search_fields: &[],
    filters: &["path_id", "course_id"],
    ordering: &["position"],
    default_order: "position",
    soft_delete: false,
    public_rows: None,
    has_updated_at: false,
    actions: &[delete_action("learning_path_course.delete")],
    inlines: &[],
    parent: Some("path_id"),
};
