//! Authentication: passwords now; sessions, tokens and third-party logins join here.

pub mod password;
