//! Which wasm bundle hydrates which page.
//!
//! A visitor reading the catalogue should not download the back office. The front end is
//! therefore built twice (`scripts/build`): the **public** bundle (`xuecheng`, the default
//! features) knows only the catalogue's routes (home, courses, learning paths), and the **full** bundle
//! (`xuecheng-full`, feature `full-bundle`) knows every route. The server renders every page
//! and names, per request, the bundle that knows its route ([`bundle_for`]). When the public
//! bundle's router is asked for a route it does not have (a link to the back office clicked on
//! a public page), it loads that page from the server instead of showing "not found"
//! ([`crate::shell`]'s fallback), so the full bundle takes over from there.

/// The base name of the public bundle's files under `/pkg` (`xuecheng.js`, `xuecheng_bg.wasm`).
pub const PUBLIC_BUNDLE: &str = "xuecheng";

/// The base name of the full bundle's files under `/pkg`.
pub const FULL_BUNDLE: &str = "xuecheng-full";

/// Path prefixes whose routes only the full bundle has: the back office, every page of a
/// signed-in user, and the sign-in and registration pages (whoever opens them is about to use
/// the rest). Each entry matches the path itself and anything below it.
pub const FULL_BUNDLE_PREFIXES: &[&str] = &[
    "/admin",
    "/account",
    "/notifications",
    "/login",
    "/register",
    "/password",
    "/verify-email",
    "/terminal",
    "/checkout",
    "/pay",
    "/learn",
    "/seckill",
];

/// Provided by the server to every page: whether the site holds both bundles. A site built by
/// cargo-leptos has one bundle, built with every route under [`PUBLIC_BUNDLE`]'s name, and
/// every page names that one.
#[derive(Clone, Copy, Debug)]
pub struct SplitBundles(pub bool);

/// Whether `path` is a route that only the full bundle knows.
pub fn needs_full_bundle(path: &str) -> bool {
    FULL_BUNDLE_PREFIXES.iter().any(|prefix| {
        path.strip_prefix(prefix)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
    })
}

/// The catalogue's pages, the same for every anonymous visitor (of one language): the ones the
/// server's page cache keeps and that carry `hreflang` alternates.
pub fn is_public_page(path: &str) -> bool {
    path == "/"
        || path == "/courses"
        || path.starts_with("/courses/")
        || path == "/paths"
        || path.starts_with("/paths/")
}

/// The bundle that hydrates the page at `path`.
pub fn bundle_for(path: &str) -> &'static str {
    if needs_full_bundle(path) {
        FULL_BUNDLE
    } else {
        PUBLIC_BUNDLE
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_back_office_and_account_pages_take_the_full_bundle() {
        for path in [
            "/admin",
            "/admin/courses/3",
            "/account",
            "/account/devices",
            "/notifications",
            "/login",
            "/login/oauth/finish",
            "/register",
            "/password/reset",
            "/verify-email",
        ] {
            assert_eq!(bundle_for(path), FULL_BUNDLE, "{path}");
        }
    }

    #[test]
    fn public_pages_and_lookalike_paths_take_the_public_bundle() {
        for path in [
            "/",
            "/courses",
            "/courses/admin",
            "/paths",
            "/logins",
            "/administrator",
            "/accounts",
            "/paths/account",
        ] {
            assert_eq!(bundle_for(path), PUBLIC_BUNDLE, "{path}");
        }
    }
}
