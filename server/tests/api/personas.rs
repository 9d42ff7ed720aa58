//! Who a test acts as. A persona is a real account written through the production code (the
//! argon2id hasher, `db::users::insert`, grants as the back office stores them); it signs in
//! through the login form like a browser, or asks `POST /api/v1/auth/token` for a bearer token
//! like an API client. A test then says who acts (`app.superuser()`, `app.staff("ed",
//! &["course.change"])`), not how an account is made or a cookie is read.

use server::model_engine::sql::SqlValue;

use crate::helpers::TestApp;

/// Every persona's password (long enough for the password policy).
pub const PASSWORD: &str = "a long enough secret";

#[derive(Debug, Clone)]
pub struct Persona {
    pub id: i64,
    pub username: String,
    pub is_staff: bool,
    pub is_superuser: bool,
    pub permissions: Vec<String>,
}

impl Persona {
    /// What the service layer sees for this account (its direct grants; no roles).
    pub fn principal(&self) -> app::domain::rbac::Principal {
        app::domain::rbac::Principal {
            user_id: self.id,
            username: self.username.clone(),
            is_staff: self.is_staff,
            is_superuser: self.is_superuser,
            permissions: self.permissions.iter().cloned().collect(),
        }
    }
}

impl TestApp {
    /// An account with `permissions` granted directly (staff when it holds any, or when
    /// `superuser`). `username@example.com` is its address; [`PASSWORD`] its password.
    pub async fn persona(&self, username: &str, superuser: bool, permissions: &[&str]) -> Persona {
        let hash = server::auth::password::hash_password(PASSWORD.into())
            .await
            .expect("hashing the persona's password");
        let email = format!("{username}@example.com");
        let is_staff = superuser || !permissions.is_empty();
        let id = server::db::users::insert(
            &self.db,
            &server::db::users::NewUser {
                username,
                email: &email,
                password_hash: Some(&hash),
                is_staff,
                is_superuser: superuser,
            },
        )
        .await
        .unwrap_or_else(|e| panic!("creating the persona {username}: {e}"));
        for codename in permissions {
            let added = server::db::records::execute(
                &self.db,
                "INSERT INTO user_permissions (user_id, permission_id) \
                 SELECT $1, id FROM permissions WHERE codename = $2",
                &[SqlValue::Int(id), SqlValue::Text(codename.to_string())],
            )
            .await
            .unwrap();
            assert_eq!(added, 1, "unknown permission {codename}");
        }
        Persona {
            id,
            username: username.into(),
            is_staff,
            is_superuser: superuser,
            permissions: permissions.iter().map(|p| p.to_string()).collect(),
        }
    }

    /// A student: an account with no permission at all.
    pub async fn student(&self, username: &str) -> Persona {
        self.persona(username, false, &[]).await
    }

    /// Staff holding exactly `permissions`.
    pub async fn staff(&self, username: &str, permissions: &[&str]) -> Persona {
        self.persona(username, false, permissions).await
    }

    /// The superuser `root`, as `xuecheng createsuperuser` would make it.
    pub async fn superuser(&self) -> Persona {
        self.persona("root", true, &[]).await
    }

    /// Signs in through the login server function as a browser form does; the session cookie
    /// (`xc_session=…`). Fails the test when the sign-in is refused.
    pub async fn sign_in(&self, who: &Persona) -> String {
        self.sign_in_with(&who.username, PASSWORD).await
    }

    /// The same with any login and password (an account made another way, a changed password).
    pub async fn sign_in_with(&self, login: &str, password: &str) -> String {
        let response = self
            .client
            .post(self.url("/fn/accounts/login"))
            .header("origin", &self.address)
            .form(&[("username", login), ("password", password)])
            .send()
            .await
            .expect("the sign-in request is sent");
        let status = response.status();
        assert!(status.is_success(), "{login} cannot sign in: {status}");
        crate::accounts::session_cookie(&response).expect("signing in sets the session cookie")
    }

    /// An access token for `who`, from `POST /api/v1/auth/token` (the answer checked against
    /// the OpenAPI document).
    pub async fn bearer(&self, who: &Persona) -> String {
        let response = self
            .post_json(
                "/api/v1/auth/token",
                &serde_json::json!({"username": who.username, "password": PASSWORD}),
            )
            .await;
        let (status, text) = crate::rest_conformance::checked_text("POST", response).await;
        assert_eq!(status, 200, "{text}");
        let pair: serde_json::Value = serde_json::from_str(&text).unwrap();
        pair["access_token"]
            .as_str()
            .expect("an access token")
            .to_string()
    }
}
