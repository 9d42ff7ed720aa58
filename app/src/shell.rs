//! The HTML document and the route table.

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, Link, Meta, MetaTags, Stylesheet, Title};
use leptos_router::{
    components::{ParentRoute, Route, Router, Routes},
    path, SsrMode,
};

use crate::components::layout::Layout;
use crate::pages::admin;
use crate::pages::{
    AccountPage, CourseDetailPage, CourseListPage, HomePage, LoginPage, NotFound, OAuthFinishPage,
    RegisterPage,
};
use crate::pages::{CheckoutPage, DemoPayPage, MyCoursesPage, PaymentReturnPage};
use crate::pages::{
    DevicesPage, ForgotPasswordPage, NotificationsPage, ProfilePage, ResetPasswordPage,
    VerifyEmailPage,
};
use crate::pages::{PathDetailPage, PathListPage};

/// The whole document, rendered on the server around [`App`].
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="zh-CN">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <HydrationScripts options />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    // Public pages render in `Async` mode: the status code (404 for an unknown course) has to be
    // known before the first byte goes out, and whole documents are what the page cache stores.
    view! {
        <Stylesheet id="leptos" href="/pkg/xuecheng.css" />
        <Link rel="icon" type_="image/svg+xml" href="/favicon.svg" />
        <Meta name="description" content="学城 Xuecheng: programming courses, learning paths and hands-on labs." />
        <Title formatter=|text: String| if text.is_empty() { "学城 Xuecheng".to_string() } else { format!("{text} · 学城 Xuecheng") } />
        <Router>
            <Layout>
                <Routes fallback=NotFound>
                    <Route path=path!("") view=HomePage ssr=SsrMode::Async />
                    <Route path=path!("/courses") view=CourseListPage ssr=SsrMode::Async />
                    <Route path=path!("/courses/:slug") view=CourseDetailPage ssr=SsrMode::Async />
                    <Route path=path!("/paths") view=PathListPage ssr=SsrMode::Async />
                    <Route path=path!("/paths/:slug") view=PathDetailPage ssr=SsrMode::Async />
                    <Route path=path!("/login") view=LoginPage />
                    <Route path=path!("/login/oauth/finish") view=OAuthFinishPage />
                    <Route path=path!("/register") view=RegisterPage />
                    <Route path=path!("/account") view=AccountPage ssr=SsrMode::Async />
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
                    <Route path=path!("/account/devices") view=DevicesPage ssr=SsrMode::Async />
                    <Route path=path!("/account/profile") view=ProfilePage ssr=SsrMode::Async />
                    <Route path=path!("/password/forgot") view=ForgotPasswordPage />
                    <Route path=path!("/password/reset") view=ResetPasswordPage />
                    <Route path=path!("/verify-email") view=VerifyEmailPage />
                    <Route path=path!("/notifications") view=NotificationsPage ssr=SsrMode::Async />
                    <Route path=path!("/account/courses") view=MyCoursesPage ssr=SsrMode::Async />
                    <Route path=path!("/checkout/:order_no") view=CheckoutPage ssr=SsrMode::Async />
                    <Route path=path!("/pay/demo/:out_trade_no") view=DemoPayPage ssr=SsrMode::Async />
                    <Route path=path!("/pay/alipay/return") view=PaymentReturnPage ssr=SsrMode::Async />
                </Routes>
            </Layout>
        </Router>
    }
}
