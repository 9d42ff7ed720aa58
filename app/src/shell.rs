//! The HTML document and the route table.

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, Link, Meta, MetaTags, Stylesheet, Title};
#[cfg(any(feature = "ssr", feature = "full-bundle"))]
use leptos_router::components::ParentRoute;
use leptos_router::{
    components::{Route, Router, Routes},
    path, MatchNestedRoutes, SsrMode,
};

use crate::components::layout::{switch_href, Layout};
use crate::i18n::td_string;
use crate::locale::{self, Locale};
#[cfg(any(feature = "ssr", feature = "full-bundle"))]
use crate::pages::{
    admin, AccountPage, DevicesPage, ForgotPasswordPage, LoginPage, NotificationsPage,
    OAuthFinishPage, ProfilePage, RegisterPage, ResetPasswordPage, VerifyEmailPage,
};
#[cfg(any(feature = "ssr", feature = "full-bundle"))]
use crate::pages::{CheckoutPage, DemoPayPage, MyCoursesPage, PaymentReturnPage, WechatPayPage};
use crate::pages::{
    CourseDetailPage, CourseListPage, HomePage, NotFound, PathDetailPage, PathListPage,
};

/// The whole document, rendered on the server around [`App`].
pub fn shell(options: LeptosOptions) -> impl IntoView {
    // The policy allows scripts by this response's nonce (the server's `nonce` feature).
    #[cfg(feature = "ssr")]
    let nonce = leptos::nonce::use_nonce().map(|n| n.to_string());
    #[cfg(not(feature = "ssr"))]
    let nonce: Option<String> = None;
    view! {
        <!DOCTYPE html>
        <html lang=locale::current().as_str()>
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <HydrationScripts options=with_bundle_for_request(options) />
                // Times in the visitor's zone (components/local_time.rs), on every page.
                <script src="/local-time.js" defer="defer" nonce=nonce></script>
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

/// Names the wasm bundle that knows this request's route (see [`crate::bundles`]).
fn with_bundle_for_request(options: LeptosOptions) -> LeptosOptions {
    #[cfg(feature = "ssr")]
    {
        let mut options = options;
        if !use_context::<crate::bundles::SplitBundles>().is_some_and(|split| split.0) {
            return options;
        }
        let path = use_context::<http::request::Parts>();
        let path = path.as_ref().map_or("/", |parts| parts.uri.path());
        options.output_name = crate::bundles::bundle_for(path).into();
        options
    }
    #[cfg(not(feature = "ssr"))]
    options
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    // The language was chosen by the server (see `crate::locale`): the request's there, the
    // page's `<html lang>` in the browser. No reactive i18n context: the language never
    // changes under a page (the switch reloads it), so the bundle carries no locale matching.
    let chosen = locale::current();
    view! {
            <Stylesheet id="leptos" href="/pkg/xuecheng.css" />
            <Link rel="icon" type_="image/svg+xml" href="/favicon.svg" />
            <Meta name="description" content=td_string!(chosen, common.site_description) />
            <Title formatter=move |text: String| {
                let brand = td_string!(chosen, common.brand);
                if text.is_empty() { brand.to_string() } else { format!("{text} · {brand}") }
            } />
            <Router>
                <Alternates />
                <Layout>
                    <AppRoutes />
                </Layout>
            </Router>
    }
}

/// The site's absolute origin (`PUBLIC_URL`), which the server provides: `hreflang` alternates
/// must be absolute URLs.
#[derive(Debug, Clone)]
pub struct SiteOrigin(pub String);

/// `hreflang` alternates of a public page: the same URL in each language (`?lang=`), and the
/// plain URL as `x-default` (it follows the visitor's own language).
#[component]
fn Alternates() -> impl IntoView {
    let location = leptos_router::hooks::use_location();
    let origin = use_context::<SiteOrigin>().map(|o| o.0).unwrap_or_default();
    move || {
        let path = location.pathname.get();
        if !crate::bundles::is_public_page(&path) {
            return None;
        }
        let search = location.search.get();
        // The catalogue's own parameters only, each value clipped as the search clips it: an
        // alternate names this page, not whatever else the URL carried.
        let max = crate::domain::course_query::MAX_SEARCH_CHARS;
        let plain: String = search
            .trim_start_matches('?')
            .split('&')
            .filter_map(|pair| {
                let (key, value) = pair.split_once('=')?;
                crate::server_fns::catalog::COURSE_QUERY_KEYS
                    .contains(&key)
                    .then(|| format!("{key}={}", value.chars().take(max).collect::<String>()))
            })
            .collect::<Vec<_>>()
            .join("&");
        let default_href = if plain.is_empty() {
            format!("{origin}{path}")
        } else {
            format!("{origin}{path}?{plain}")
        };
        let links = [Locale::zh_CN, Locale::en]
            .into_iter()
            .map(|l| {
                let href = format!("{origin}{}", switch_href(&path, &plain, l));
                view! { <Link rel="alternate" hreflang=l.as_str() href=href /> }
            })
            .collect_view();
        Some(view! {
            {links}
            <Link rel="alternate" hreflang="x-default" href=default_href />
        })
    }
}

/// The route table. The server and the full bundle know every route; the public bundle only
/// those a visitor needs before signing in (see [`crate::bundles`]).
#[component]
fn AppRoutes() -> impl IntoView {
    #[cfg(any(feature = "ssr", feature = "full-bundle"))]
    {
        view! {
            <Routes fallback=NotFound>
                <PublicRoutes />
                <SignedInRoutes />
            </Routes>
        }
    }
    #[cfg(not(any(feature = "ssr", feature = "full-bundle")))]
    {
        view! {
            <Routes fallback=ElsewhereOrNotFound>
                <PublicRoutes />
            </Routes>
        }
    }
}

/// Public pages render in `Async` mode: the status code (404 for an unknown course) has to be
/// known before the first byte goes out, and whole documents are what the page cache stores.
#[component(transparent)]
fn PublicRoutes() -> impl MatchNestedRoutes + Clone {
    view! {
        <Route path=path!("") view=HomePage ssr=SsrMode::Async />
        <Route path=path!("/courses") view=CourseListPage ssr=SsrMode::Async />
        <Route path=path!("/courses/:slug") view=CourseDetailPage ssr=SsrMode::Async />
        <Route path=path!("/paths") view=PathListPage ssr=SsrMode::Async />
        <Route path=path!("/paths/:slug") view=PathDetailPage ssr=SsrMode::Async />
    }
    .into_inner()
}

/// The back office and the pages of a signed-in user: only in the full bundle. Every path
/// here must fall under [`crate::bundles::FULL_BUNDLE_PREFIXES`].
#[cfg(any(feature = "ssr", feature = "full-bundle"))]
#[component(transparent)]
fn SignedInRoutes() -> impl MatchNestedRoutes + Clone {
    view! {
        <Route path=path!("/login") view=LoginPage />
        <Route path=path!("/login/oauth/finish") view=OAuthFinishPage />
        <Route path=path!("/register") view=RegisterPage />
        <Route path=path!("/password/forgot") view=ForgotPasswordPage />
        <Route path=path!("/password/reset") view=ResetPasswordPage />
        <Route path=path!("/verify-email") view=VerifyEmailPage />
        <Route path=path!("/account") view=AccountPage ssr=SsrMode::Async />
        <Route path=path!("/account/devices") view=DevicesPage ssr=SsrMode::Async />
        <Route path=path!("/account/profile") view=ProfilePage ssr=SsrMode::Async />
        <Route path=path!("/notifications") view=NotificationsPage ssr=SsrMode::Async />
        <Route path=path!("/terminal/:host_id") view=crate::pages::terminal::TerminalPage />
        <Route path=path!("/account/courses") view=MyCoursesPage ssr=SsrMode::Async />
        <Route path=path!("/learn/:slug/:lesson_id") view=crate::pages::LessonPage ssr=SsrMode::Async />
        <Route path=path!("/checkout/:order_no") view=CheckoutPage ssr=SsrMode::Async />
        <Route path=path!("/pay/demo/:out_trade_no") view=DemoPayPage ssr=SsrMode::Async />
        <Route path=path!("/pay/wechat/:out_trade_no") view=WechatPayPage ssr=SsrMode::Async />
        <Route path=path!("/pay/alipay/return") view=PaymentReturnPage ssr=SsrMode::Async />
        <Route path=path!("/seckill/:id") view=crate::pages::SeckillPage ssr=SsrMode::Async />
        <ParentRoute path=path!("/admin") view=admin::AdminLayout ssr=SsrMode::Async>
            <Route path=path!("") view=admin::DashboardPage />
            <Route path=path!("/audit") view=admin::AuditLogPage />
            <Route path=path!("/jobs") view=admin::JobsPage />
            <Route path=path!("/exports") view=admin::ExportsPage />
            <Route path=path!("/roles/:id/permissions") view=admin::RolePermissionsPage />
            <Route path=path!("/users/:id/access") view=admin::UserAccessPage />
            <Route path=path!("/:model") view=admin::ListPage />
            <Route path=path!("/:model/new") view=admin::CreatePage />
            <Route path=path!("/:model/:id") view=admin::EditPage />
            <Route path=path!("/:model/:id/delete") view=admin::DeletePage />
        </ParentRoute>
    }
    .into_inner()
}

/// The public bundle's fallback: a route it does not have but the full bundle does is loaded
/// from the server (which names the full bundle for it); anything else is "not found".
#[cfg(not(any(feature = "ssr", feature = "full-bundle")))]
#[component]
fn ElsewhereOrNotFound() -> impl IntoView {
    let location = leptos_router::hooks::use_location();
    let path = location.pathname.get_untracked();
    if crate::bundles::needs_full_bundle(&path) {
        let href = format!("{path}{}", location.search.get_untracked());
        // `replace`: the click already pushed this URL; a second entry would make Back land here.
        let _ = window().location().replace(&href);
        view! { <p class="loading">"Loading…"</p> }.into_any()
    } else {
        view! { <NotFound /> }.into_any()
    }
}
