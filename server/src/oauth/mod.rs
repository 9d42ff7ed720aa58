//! Third-party sign-in (QQ, WeChat, Weibo, GitHub): owns the provider registry built from
//! `OAUTH_*` settings, one small client per provider dialect (their token and profile replies
//! differ from standard OAuth2: see `shared/PROTOCOLS.md`), the session state of a flow, and the
//! redirect routes. Binding, unbinding and "finish sign-up" go through [`OAuth`], which the
//! pages reach as `app::ports::OAuthService`.
//!
//! A provider is configured by `OAUTH_<PROVIDER>_CLIENT_ID` and `_CLIENT_SECRET`; identities are
//! keyed by unionid where the provider gives one, else by openid / uid / id.

mod authorize;
pub mod client;
mod github;
mod port;
mod qq;
mod routes;
mod service;
pub mod session;
pub mod settings;
mod wechat;
mod weibo;

pub use routes::routes;
pub use service::{OAuth, Outcome};
