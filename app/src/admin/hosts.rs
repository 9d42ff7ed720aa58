//! WebSSH hosts, who may open terminals on them (grants), and what happened there (terminal
//! sessions and the lines entered), as the back office and the REST API manage them.
//!
//! Secrets are declared write-only [`K::Secret`] fields: the server encrypts them into their own
//! columns (`*_enc`) before the row is written and never reads them back through the engine.

use super::spec::{delete_action, FieldKind as K, FieldSpec as F, Inline, ModelSpec};

const AUTH_KINDS: &[&str] = &["password", "key"];
const PURPOSES: &[&str] = &["ops", "practice"];

pub static HOST: ModelSpec = ModelSpec {
    name: "host",
    plural: "hosts",
    label: "Host",
    label_plural: "Hosts",
    table: "hosts",
    fields: &[
        F::new("name", "Name", K::Text { max: 60 }).required(),
        F::new("hostname", "Address", K::Text { max: 253 })
            .required()
            .help("DNS name or IP address of the SSH server."),
        F::new("port", "Port", K::Int { min: 1, max: 65535 }),
        F::new("username", "User", K::Text { max: 64 }).required(),
        F::new("auth_kind", "Authentication", K::Choice(AUTH_KINDS)).required(),
        F::new("password", "Password", K::Secret { max: 1_000 })
            .write_only()
            .help("For password authentication; encrypted, never shown."),
        F::new("private_key", "Private key", K::Secret { max: 16_000 })
            .write_only()
            .help("OpenSSH private key (Ed25519 or ECDSA) for key authentication; encrypted."),
        F::new("passphrase", "Key passphrase", K::Secret { max: 1_000 })
            .write_only()
            .help("Only if the private key is encrypted."),
        F::new("purpose", "Purpose", K::Choice(PURPOSES))
            .help("`ops`: staff, through grants only. `practice`: lab machines for students."),
        F::new("tags", "Tags", K::Text { max: 200 }).help("Comma-separated."),
        F::new(
            "host_key_fingerprint",
            "Trusted host key",
            K::Text { max: 100 },
        )
        .nullable()
        .help("SHA256:… as `ssh-keygen -lf` prints it; recorded on first use when blank."),
        F::new(
            "offered_host_key_fingerprint",
            "Refused host key",
            K::Text { max: 100 },
        )
        .read_only()
        .nullable()
        .help("A different key the host offered; copy it above to accept it."),
        F::new("created_at", "Created", K::Timestamp).read_only(),
    ],
    repr: "name",
    list_display: &["name", "hostname", "port", "username", "purpose", "tags"],
    search_fields: &["name", "hostname", "tags"],
    filters: &["purpose", "auth_kind"],
    ordering: &["name", "hostname", "created_at"],
    default_order: "name",
    soft_delete: false,
    public_rows: None,
    has_updated_at: true,
    actions: &[delete_action("host.delete")],
    inlines: &[Inline {
        model: "host_grant",
        parent_field: "host_id",
    }],
    parent: None,
};

pub static HOST_GRANT: ModelSpec = ModelSpec {
    name: "host_grant",
    plural: "host_grants",
    label: "Host grant",
    label_plural: "Host grants",
    table: "host_grants",
    fields: &[
        F::new("host_id", "Host", K::ForeignKey("host")).required(),
        F::new("role_id", "Role", K::ForeignKey("role"))
            .nullable()
            .help("A role, or a user below: exactly one."),
        F::new("user_id", "User", K::ForeignKey("user")).nullable(),
        F::new("starts_at", "From", K::Timestamp)
            .nullable()
            .help("UTC; blank: from now on."),
        F::new("ends_at", "Until", K::Timestamp)
            .nullable()
            .help("UTC; blank: for good."),
        F::new("created_at", "Created", K::Timestamp).read_only(),
    ],
    repr: "host_id",
    list_display: &["host_id", "role_id", "user_id", "starts_at", "ends_at"],
    search_fields: &[],
    filters: &["host_id", "role_id", "user_id"],
    ordering: &["created_at", "starts_at", "ends_at"],
    default_order: "-created_at",
    soft_delete: false,
    public_rows: None,
    has_updated_at: false,
    actions: &[delete_action("host_grant.delete")],
    inlines: &[],
    parent: None,
};

/// Terminal sessions with their recording's size and how they ended (read-only).
pub static SSH_SESSION: ModelSpec = ModelSpec {
    name: "ssh_session",
    plural: "terminal_sessions",
    label: "Terminal session",
    label_plural: "Terminal sessions",
    table: "ssh_sessions",
    fields: &[
        F::new("public_id", "Session", K::Text { max: 64 }).read_only(),
        F::new("host_id", "Host", K::ForeignKey("host")).read_only(),
        F::new("user_id", "User", K::ForeignKey("user")).read_only(),
        F::new("started_at", "Started", K::Timestamp).read_only(),
        F::new("ended_at", "Ended", K::Timestamp)
            .read_only()
            .nullable(),
        F::new(
            "bytes_out",
            "Bytes out",
            K::Int {
                min: 0,
                max: i64::MAX,
            },
        )
        .read_only(),
        F::new(
            "bytes_in",
            "Bytes in",
            K::Int {
                min: 0,
                max: i64::MAX,
            },
        )
        .read_only(),
        F::new(
            "exit_code",
            "Exit code",
            K::Int {
                min: i64::MIN,
                max: i64::MAX,
            },
        )
        .read_only()
        .nullable(),
        F::new("exit_reason", "Ended because", K::Text { max: 200 })
            .read_only()
            .nullable(),
    ],
    repr: "public_id",
    list_display: &[
        "host_id",
        "user_id",
        "started_at",
        "ended_at",
        "bytes_out",
        "exit_reason",
    ],
    search_fields: &["public_id", "exit_reason"],
    filters: &["host_id", "user_id"],
    ordering: &["started_at", "ended_at", "bytes_out"],
    default_order: "-started_at",
    soft_delete: false,
    public_rows: None,
    has_updated_at: false,
    actions: &[],
    inlines: &[],
    parent: None,
};

/// The lines users entered in terminals (the command audit, read-only).
pub static SSH_COMMAND: ModelSpec = ModelSpec {
    name: "ssh_command",
    plural: "terminal_commands",
    label: "Terminal command",
    label_plural: "Terminal commands",
    table: "ssh_commands",
    fields: &[
        F::new("host_id", "Host", K::ForeignKey("host")).read_only(),
        F::new("user_id", "User", K::ForeignKey("user")).read_only(),
        F::new("session_id", "Session", K::ForeignKey("ssh_session")).read_only(),
        F::new("line", "Line", K::Text { max: 4_000 }).read_only(),
        F::new("entered_at", "Entered", K::Timestamp).read_only(),
    ],
    repr: "line",
    list_display: &["entered_at", "host_id", "user_id", "line"],
    search_fields: &["line"],
    filters: &["host_id", "user_id"],
    ordering: &["entered_at"],
    default_order: "-entered_at",
    soft_delete: false,
    public_rows: None,
    has_updated_at: false,
    actions: &[],
    inlines: &[],
    parent: None,
};
