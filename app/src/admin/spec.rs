//! The vocabulary of a model declaration: what the back office and the REST API need to know
//! about a managed model (its fields, list columns, search, filters, ordering, actions).
//!
//! Declarations are plain `static` data shared by the server (which turns them into SQL,
//! validation and permission checks) and the browser (which renders forms and lists from them),
//! so adding a model is one declaration in [`super::models`], not a page of code.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldKind {
    /// Whole numbers within a range.
    Int {
        min: i64,
        max: i64,
    },
    /// One line of text.
    Text {
        max: usize,
    },
    /// Several lines (plain text or Markdown).
    LongText {
        max: usize,
    },
    /// Lower-case letters, digits and dashes; used in URLs.
    Slug,
    Bool,
    /// Money in integer cents, shown as yuan.
    Cents,
    /// One of fixed values.
    Choice(&'static [&'static str]),
    /// The id of a row of another model (named by its `name`).
    ForeignKey(&'static str),
    /// RFC 3339 UTC on the wire; set by the server unless the declaration lets clients write it
    /// (a grant's time window).
    Timestamp,
    /// An http(s) URL.
    Url,
    Email,
    /// Accepted on create, hashed, never shown.
    Password,
    /// A credential kept for the server's own use (a host's SSH password or private key):
    /// accepted on write, encrypted at rest, never shown, never audited by value.
    Secret {
        max: usize,
    },
}

impl FieldKind {
    /// Written, never read back, and audited as `***`.
    pub const fn is_masked(self) -> bool {
        matches!(self, FieldKind::Password | FieldKind::Secret { .. })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldSpec {
    pub name: &'static str,
    pub label: &'static str,
    pub kind: FieldKind,
    /// Must be given on create (and on a full replace).
    pub required: bool,
    /// Shown, never written by clients.
    pub read_only: bool,
    /// Accepted from clients, never shown (passwords).
    pub write_only: bool,
    /// Blank input is stored as NULL.
    pub nullable: bool,
    /// Read as `null` by readers without access to the row's content (see [`FieldSpec::gated`]).
    pub gated: bool,
    pub help: &'static str,
}

impl FieldSpec {
    pub const fn new(name: &'static str, label: &'static str, kind: FieldKind) -> Self {
        Self {
            name,
            label,
            kind,
            required: false,
            read_only: false,
            write_only: false,
            nullable: false,
            gated: false,
            help: "",
        }
    }
    pub const fn required(mut self) -> Self {
        self.required = true;
        self
    }
    pub const fn read_only(mut self) -> Self {
        self.read_only = true;
        self
    }
    pub const fn write_only(mut self) -> Self {
        self.write_only = true;
        self
    }
    pub const fn nullable(mut self) -> Self {
        self.nullable = true;
        self
    }
    /// Paid content: shown only to readers who may see it, `null` to the rest (the server's
    /// lesson-access rule decides who).
    pub const fn gated(mut self) -> Self {
        self.gated = true;
        self
    }
    pub const fn help(mut self, help: &'static str) -> Self {
        self.help = help;
        self
    }
}

/// An action applied to the selected rows of a list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BulkAction {
    pub name: &'static str,
    pub label: &'static str,
    /// The permission it needs (`course.publish`).
    pub permission: &'static str,
    /// Fields it sets, as (field, value) on every selected row; empty for `delete`.
    pub sets: &'static [(&'static str, &'static str)],
    /// Asks for confirmation first.
    pub confirm: bool,
}

/// Rows of a child model edited on the parent's page (chapters on a course).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Inline {
    /// The child model's `name`.
    pub model: &'static str,
    /// The child's foreign key to the parent.
    pub parent_field: &'static str,
}

/// Which rows of a model are public (readable without its view permission).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PublicRows {
    /// Every row (directions, categories, teachers).
    All,
    /// The courses of the public catalogue.
    Course,
    /// Rows of a public course, by their foreign key to it (a course's chapters).
    OfCourse(&'static str),
    /// Rows of a chapter of a public course, by their foreign key to the chapter (lessons).
    OfChapter(&'static str),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ModelSpec {
    /// Singular, also the permission prefix: `course` → `course.view`.
    pub name: &'static str,
    /// The URL segment in `/admin/…` and `/api/v1/…`.
    pub plural: &'static str,
    pub label: &'static str,
    pub label_plural: &'static str,
    pub table: &'static str,
    pub fields: &'static [FieldSpec],
    /// The field that names a row in lists, links and the audit log.
    pub repr: &'static str,
    pub list_display: &'static [&'static str],
    pub search_fields: &'static [&'static str],
    /// Filterable fields: equality for choices, booleans and keys; `_min`/`_max` for numbers.
    pub filters: &'static [&'static str],
    pub ordering: &'static [&'static str],
    /// `-field` for descending.
    pub default_order: &'static str,
    /// Deleting stamps `deleted_at`; such rows answer 410 Gone.
    pub soft_delete: bool,
    /// Rows anyone may view without `<name>.view`. Only the kind of rule is declared here: its
    /// SQL belongs to the server (`server/src/db/catalog.rs`), not to a crate built for wasm.
    pub public_rows: Option<PublicRows>,
    /// The table has `updated_at`, stamped on every change.
    pub has_updated_at: bool,
    pub actions: &'static [BulkAction],
    pub inlines: &'static [Inline],
    /// For nested API routes: the foreign key to the parent (`course_id` on chapters).
    pub parent: Option<&'static str>,
}

impl ModelSpec {
    pub fn field(&self, name: &str) -> Option<&'static FieldSpec> {
        self.fields.iter().find(|f| f.name == name)
    }

    pub fn permission(&self, action: &str) -> String {
        format!("{}.{action}", self.name)
    }

    /// Fields a client may write.
    pub fn writable(&self) -> impl Iterator<Item = &'static FieldSpec> {
        self.fields.iter().filter(|f| !f.read_only)
    }

    /// Rows may be deleted (by holders of `<name>.delete`) only where the declaration offers
    /// the delete action: records of money and of what happened (orders, payments, terminal
    /// sessions) are kept whatever a role grants.
    pub fn deletable(&self) -> bool {
        self.actions.iter().any(|a| a.name == "delete")
    }

    /// Fields shown to clients.
    pub fn readable(&self) -> impl Iterator<Item = &'static FieldSpec> {
        self.fields.iter().filter(|f| !f.write_only)
    }
}

/// The standard delete action (permission `<model>.delete`, confirmed, lists what goes with it).
pub const fn delete_action(permission: &'static str) -> BulkAction {
    BulkAction {
        name: "delete",
        label: "Delete selected",
        permission,
        sets: &[],
        confirm: true,
    }
}
