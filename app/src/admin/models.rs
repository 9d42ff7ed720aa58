//! Every model the back office and the REST API manage, declared once.
//!
//! Later features (seckill events, jobs) add their declaration here (or in a sibling file) and
//! their permissions in a migration; the admin pages, the API routes, the OpenAPI document and
//! the permission tests pick them up from [`MODELS`].

use super::spec::{
    delete_action, BulkAction, FieldKind as K, FieldSpec as F, Inline, ModelSpec, PublicRows,
};

const LEVELS: &[&str] = &["beginner", "intermediate", "advanced"];
const COURSE_STATUSES: &[&str] = &["draft", "published", "archived"];
const LESSON_KINDS: &[&str] = &["video", "article", "lab"];
const POSITION: K = K::Int {
    min: 0,
    max: 100_000,
};

pub static USER: ModelSpec = ModelSpec {
    name: "user",
    plural: "users",
    label: "User",
    label_plural: "Users",
    table: "users",
    fields: &[
        F::new("username", "Username", K::Text { max: 30 }).required(),
        F::new("email", "E-mail", K::Email).required(),
        F::new("password", "Password", K::Password)
            .required()
            .write_only()
            .help("At least 10 characters; stored as an argon2id hash."),
        F::new("nickname", "Nickname", K::Text { max: 40 }),
        F::new("is_active", "Active", K::Bool).help("Inactive users cannot sign in."),
        F::new("is_staff", "Staff", K::Bool).help("May enter the back office."),
        F::new("is_superuser", "Superuser", K::Bool).help("Holds every permission."),
        F::new("email_verified_at", "E-mail verified", K::Timestamp)
            .read_only()
            .nullable(),
        F::new("last_login_at", "Last login", K::Timestamp)
            .read_only()
            .nullable(),
        F::new("created_at", "Joined", K::Timestamp).read_only(),
    ],
    repr: "username",
    list_display: &[
        "username",
        "email",
        "is_active",
        "is_staff",
        "last_login_at",
        "created_at",
    ],
    search_fields: &["username", "email", "nickname"],
    filters: &["is_active", "is_staff", "is_superuser"],
    ordering: &["username", "email", "last_login_at", "created_at"],
    default_order: "-created_at",
    soft_delete: true,
    public_rows: None,
    has_updated_at: true,
    actions: &[
        BulkAction {
            name: "activate",
            label: "Activate selected",
            permission: "user.change",
            sets: &[("is_active", "true")],
            confirm: false,
        },
        BulkAction {
            name: "deactivate",
            label: "Deactivate selected",
            permission: "user.change",
            sets: &[("is_active", "false")],
            confirm: true,
        },
        delete_action("user.delete"),
    ],
    inlines: &[],
    parent: None,
};

pub static ROLE: ModelSpec = ModelSpec {
    name: "role",
    plural: "roles",
    label: "Role",
    label_plural: "Roles",
    table: "roles",
    fields: &[
        F::new("name", "Name", K::Text { max: 60 }).required(),
        F::new("description", "Description", K::LongText { max: 500 }),
        F::new("created_at", "Created", K::Timestamp).read_only(),
    ],
    repr: "name",
    list_display: &["name", "description", "created_at"],
    search_fields: &["name"],
    filters: &[],
    ordering: &["name", "created_at"],
    default_order: "name",
    soft_delete: false,
    public_rows: None,
    has_updated_at: false,
    actions: &[delete_action("role.delete")],
    inlines: &[],
    parent: None,
};

pub static PERMISSION: ModelSpec = ModelSpec {
    name: "permission",
    plural: "permissions",
    label: "Permission",
    label_plural: "Permissions",
    table: "permissions",
    fields: &[
        F::new("codename", "Codename", K::Text { max: 100 }).read_only(),
        F::new("model", "Model", K::Text { max: 60 }).read_only(),
        F::new("action", "Action", K::Text { max: 60 }).read_only(),
        F::new("name", "Name", K::Text { max: 200 }).read_only(),
    ],
    repr: "codename",
    list_display: &["codename", "name"],
    search_fields: &["codename", "name"],
    filters: &["model", "action"],
    ordering: &["codename", "model"],
    default_order: "codename",
    soft_delete: false,
    public_rows: None,
    has_updated_at: false,
    actions: &[],
    inlines: &[],
    parent: None,
};

pub static DIRECTION: ModelSpec = ModelSpec {
    name: "direction",
    plural: "directions",
    label: "Direction",
    label_plural: "Directions",
    table: "directions",
    fields: &[
        F::new("name", "Name", K::Text { max: 60 }).required(),
        F::new("slug", "Slug", K::Slug).required(),
        F::new("position", "Position", POSITION),
        F::new("created_at", "Created", K::Timestamp).read_only(),
    ],
    repr: "name",
    list_display: &["name", "slug", "position"],
    search_fields: &["name", "slug"],
    filters: &[],
    ordering: &["name", "position", "created_at"],
    default_order: "position",
    soft_delete: false,
    public_rows: Some(PublicRows::All),
    has_updated_at: false,
    actions: &[delete_action("direction.delete")],
    inlines: &[],
    parent: None,
};

pub static CATEGORY: ModelSpec = ModelSpec {
    name: "category",
    plural: "categories",
    label: "Category",
    label_plural: "Categories",
    table: "categories",
    fields: &[
        F::new("name", "Name", K::Text { max: 60 }).required(),
        F::new("slug", "Slug", K::Slug).required(),
        F::new("direction_id", "Direction", K::ForeignKey("direction")).required(),
        F::new("position", "Position", POSITION),
        F::new("created_at", "Created", K::Timestamp).read_only(),
    ],
    repr: "name",
    list_display: &["name", "slug", "direction_id", "position"],
    search_fields: &["name", "slug"],
    filters: &["direction_id"],
    ordering: &["name", "position", "created_at"],
    default_order: "position",
    soft_delete: false,
    public_rows: Some(PublicRows::All),
    has_updated_at: false,
    actions: &[delete_action("category.delete")],
    inlines: &[],
    parent: None,
};

pub static TEACHER: ModelSpec = ModelSpec {
    name: "teacher",
    plural: "teachers",
    label: "Teacher",
    label_plural: "Teachers",
    table: "teachers",
    fields: &[
        F::new("name", "Name", K::Text { max: 60 }).required(),
        F::new("title", "Title", K::Text { max: 100 }),
        F::new("bio", "Biography", K::LongText { max: 5_000 }),
        F::new("avatar_url", "Avatar URL", K::Url).nullable(),
        F::new("created_at", "Created", K::Timestamp).read_only(),
    ],
    repr: "name",
    list_display: &["name", "title", "created_at"],
    search_fields: &["name", "title"],
    filters: &[],
    ordering: &["name", "created_at"],
    default_order: "name",
    soft_delete: false,
    public_rows: Some(PublicRows::All),
    has_updated_at: false,
    actions: &[delete_action("teacher.delete")],
    inlines: &[],
    parent: None,
};

pub static COURSE: ModelSpec = ModelSpec {
    name: "course",
    plural: "courses",
    label: "Course",
    label_plural: "Courses",
    table: "courses",
    fields: &[
        F::new("title", "Title", K::Text { max: 120 }).required(),
        F::new("slug", "Slug", K::Slug).required(),
        F::new("summary", "Summary", K::Text { max: 300 }),
        F::new(
            "description_md",
            "Description (Markdown)",
            K::LongText { max: 50_000 },
        ),
        F::new("cover_url", "Cover image URL", K::Url).nullable(),
        F::new("level", "Level", K::Choice(LEVELS)).required(),
        F::new("price_cents", "Price (cents)", K::Cents).required(),
        F::new("original_price_cents", "Original price (cents)", K::Cents).nullable(),
        F::new("status", "Status", K::Choice(COURSE_STATUSES))
            .help("Publishing needs the course.publish permission."),
        F::new("featured", "Featured on the home page", K::Bool),
        F::new("teacher_id", "Teacher", K::ForeignKey("teacher")).required(),
        F::new("category_id", "Category", K::ForeignKey("category")).required(),
        F::new(
            "enrollment_count",
            "Enrolments",
            K::Int {
                min: 0,
                max: i64::MAX,
            },
        )
        .read_only(),
        F::new("published_at", "Published", K::Timestamp)
            .read_only()
            .nullable(),
        F::new("created_at", "Created", K::Timestamp).read_only(),
        F::new("updated_at", "Updated", K::Timestamp).read_only(),
    ],
    repr: "title",
    list_display: &[
        "title",
        "status",
        "level",
        "price_cents",
        "category_id",
        "teacher_id",
        "updated_at",
    ],
    search_fields: &["title", "slug", "summary"],
    filters: &[
        "status",
        "level",
        "featured",
        "category_id",
        "teacher_id",
        "price_cents",
    ],
    ordering: &[
        "title",
        "price_cents",
        "enrollment_count",
        "published_at",
        "created_at",
        "updated_at",
    ],
    default_order: "-updated_at",
    soft_delete: true,
    public_rows: Some(PublicRows::Course),
    has_updated_at: true,
    actions: &[
        BulkAction {
            name: "publish",
            label: "Publish selected",
            permission: "course.publish",
            sets: &[("status", "published")],
            confirm: false,
        },
        BulkAction {
            name: "archive",
            label: "Archive selected",
            permission: "course.publish",
            sets: &[("status", "archived")],
            confirm: true,
        },
        delete_action("course.delete"),
    ],
    inlines: &[
        Inline {
            model: "chapter",
            parent_field: "course_id",
        },
        Inline {
            model: "price_policy",
            parent_field: "course_id",
        },
    ],
    parent: None,
};

pub static CHAPTER: ModelSpec = ModelSpec {
    name: "chapter",
    plural: "chapters",
    label: "Chapter",
    label_plural: "Chapters",
    table: "chapters",
    fields: &[
        F::new("course_id", "Course", K::ForeignKey("course")).required(),
        F::new("title", "Title", K::Text { max: 120 }).required(),
        F::new("position", "Position", POSITION),
        F::new("created_at", "Created", K::Timestamp).read_only(),
    ],
    repr: "title",
    list_display: &["title", "course_id", "position"],
    search_fields: &["title"],
    filters: &["course_id"],
    ordering: &["position", "title", "created_at"],
    default_order: "position",
    soft_delete: false,
    public_rows: Some(PublicRows::OfCourse("course_id")),
    has_updated_at: false,
    actions: &[delete_action("chapter.delete")],
    inlines: &[Inline {
        model: "lesson",
        parent_field: "chapter_id",
    }],
    parent: Some("course_id"),
};

pub static LESSON: ModelSpec = ModelSpec {
    name: "lesson",
    plural: "lessons",
    label: "Lesson",
    label_plural: "Lessons",
    table: "lessons",
    fields: &[
        F::new("chapter_id", "Chapter", K::ForeignKey("chapter")).required(),
        F::new("title", "Title", K::Text { max: 120 }).required(),
        F::new("kind", "Kind", K::Choice(LESSON_KINDS)).required(),
        F::new(
            "duration_secs",
            "Duration (s)",
            K::Int {
                min: 0,
                max: 86_400,
            },
        ),
        F::new("free_preview", "Free preview", K::Bool),
        F::new("position", "Position", POSITION),
        F::new(
            "content_md",
            "Content (Markdown)",
            K::LongText { max: 100_000 },
        )
        .gated(),
        F::new("video_url", "Video URL", K::Url).nullable().gated(),
        F::new("created_at", "Created", K::Timestamp).read_only(),
    ],
    repr: "title",
    list_display: &[
        "title",
        "chapter_id",
        "kind",
        "duration_secs",
        "free_preview",
    ],
    search_fields: &["title"],
    filters: &["chapter_id", "kind", "free_preview"],
    ordering: &["position", "title", "duration_secs", "created_at"],
    default_order: "position",
    soft_delete: false,
    public_rows: Some(PublicRows::OfChapter("chapter_id")),
    has_updated_at: false,
    actions: &[delete_action("lesson.delete")],
    inlines: &[],
    parent: Some("chapter_id"),
};

/// In back-office menu order.
pub static MODELS: &[&ModelSpec] = &[
    &COURSE,
    &CHAPTER,
    &LESSON,
    &super::paths::LEARNING_PATH,
    &super::paths::LEARNING_PATH_COURSE,
    &CATEGORY,
    &DIRECTION,
    &TEACHER,
    &USER,
    &ROLE,
    &PERMISSION,
    &super::hosts::HOST,
    &super::hosts::HOST_GRANT,
    &super::hosts::SSH_SESSION,
    &super::hosts::SSH_COMMAND,
    &super::commerce::ORDER,
    &super::commerce::ORDER_ITEM,
    &super::commerce::PAYMENT,
    &super::commerce::REFUND,
    &super::commerce::PAYMENT_NOTIFICATION,
    &super::commerce::PRICE_POLICY,
    &super::commerce::COUPON,
];

/// By `name` (`course`) or `plural` (`courses`).
pub fn find(model: &str) -> Option<&'static ModelSpec> {
    MODELS
        .iter()
        .copied()
        .find(|m| m.name == model || m.plural == model)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_declared_column_filter_and_sort_key_is_a_field() {
        for m in MODELS {
            let known = |name: &str| m.field(name).is_some();
            for name in m
                .list_display
                .iter()
                .chain(m.search_fields)
                .chain(m.filters)
            {
                assert!(known(name), "{}: unknown field {name}", m.name);
            }
            for name in m.ordering {
                assert!(known(name), "{}: unknown sort key {name}", m.name);
            }
            assert!(known(m.repr), "{}: unknown repr {}", m.name, m.repr);
            assert!(known(m.default_order.trim_start_matches('-')), "{}", m.name);
            for inline in m.inlines {
                let child = find(inline.model).expect("inline model is declared");
                assert!(child.field(inline.parent_field).is_some());
            }
        }
    }

    #[test]
    fn names_and_plurals_are_unique() {
        for (i, a) in MODELS.iter().enumerate() {
            for b in &MODELS[i + 1..] {
                assert!(a.name != b.name && a.plural != b.plural);
            }
        }
    }
}
