//! The frame around every page: header with search, main area, footer.

use leptos::prelude::*;
use leptos_router::components::{Form, A};
use leptos_router::hooks::{use_location, use_query_map};

use crate::components::live_count::Bell;
use crate::i18n::td_string;
use crate::locale::{self, Locale};
use crate::server_fns::accounts::current_user;

#[component]
pub fn Layout(children: Children) -> impl IntoView {
    crate::components::live_count::provide();
    let query = use_query_map();
    let search_value = move || query.read().get("q").unwrap_or_default();
    let loc = locale::current();
    view! {
        <header class="site-header">
            <div class="container header-row">
                <A href="/" attr:class="brand">
                    <span class="brand-mark">"学"</span>
                    <span class="brand-name">{td_string!(loc, common.brand)}</span>
                </A>
                <nav class="main-nav" aria-label=td_string!(loc, common.nav_main)>
                    <A href="/courses">{td_string!(loc, common.nav_courses)}</A>
                    <A href="/paths">{td_string!(loc, common.nav_paths)}</A>
                </nav>
                <Bell />
                <UserMenu />
                <Form action="/courses" attr:class="search-form" attr:role="search">
                    <input
                        type="search"
                        name="q"
                        placeholder=td_string!(loc, common.search_placeholder)
                        aria-label=td_string!(loc, common.search_label)
                        maxlength="100"
                        prop:value=search_value
                    />
                    <button type="submit">{td_string!(loc, common.search_button)}</button>
                </Form>
                <LanguageSwitch loc />
            </div>
        </header>
        <main class="container site-main">{children()}</main>
        <footer class="site-footer">
            <div class="container">
                <p>{td_string!(loc, common.footer)}</p>
            </div>
        </footer>
    }
}

/// "Sign in / Register", or the signed-in user's name. Re-read on every navigation, so signing
/// in or out elsewhere (another tab, another instance) shows up on the next click.
#[component]
fn UserMenu() -> impl IntoView {
    let location = use_location();
    let user = Resource::new(move || location.pathname.get(), |_| current_user());
    let loc = locale::current();
    view! {
        <nav class="user-menu" aria-label=td_string!(loc, common.nav_account)>
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    match user.await {
                        Ok(Some(user)) => view! {
                            {(user.is_staff || user.is_superuser).then(|| view! {
                                <A href="/admin" attr:class="admin-link">{td_string!(loc, common.admin)}</A>
                            })}
                            <A href="/account" attr:class="current-user">{user.username}</A>
                        }.into_any(),
                        _ => view! {
                            <A href="/login">{td_string!(loc, common.sign_in)}</A>
                            <A href="/register">{td_string!(loc, common.register)}</A>
                        }.into_any(),
                    }
                })}
            </Transition>
        </nav>
    }
}

/// The other language, as a link to this very page with `?lang=`: a full page load (the server
/// renders it in that language and remembers the choice), so nothing is left half translated.
#[component]
fn LanguageSwitch(loc: Locale) -> impl IntoView {
    let location = use_location();
    let other = locale::other(loc);
    let href = move || {
        let path = location.pathname.get();
        let query = location.search.get();
        switch_href(&path, &query, other)
    };
    view! {
        <a
            class="language-switch"
            href=href
            rel="external"
            hreflang=other.as_str()
            lang=other.as_str()
            title=td_string!(loc, common.switch_to, name = locale::native_name(other))
        >
            {locale::native_name(other)}
        </a>
    }
}

/// `path?query` with `lang=` set to `locale` (any earlier `lang` dropped).
pub fn switch_href(path: &str, query: &str, locale: Locale) -> String {
    // A search is clipped as the page clips it: the link repeats the page, not the URL's excess.
    let max = crate::domain::course_query::MAX_SEARCH_CHARS;
    let mut pairs: Vec<String> = query
        .trim_start_matches('?')
        .split('&')
        .filter(|pair| !pair.is_empty() && pair.split('=').next() != Some(locale::QUERY))
        .map(|pair| match pair.split_once('=') {
            Some(("q", value)) => format!("q={}", value.chars().take(max).collect::<String>()),
            _ => pair.to_string(),
        })
        .collect();
    pairs.push(format!("{}={}", locale::QUERY, locale.as_str()));
    // The path as the visitor typed it may start `//host` or `/\host`, which a browser reads as
    // another site: the link must stay on this one.
    let path = format!("/{}", path.trim_start_matches(['/', '\\']));
    format!("{path}?{}", pairs.join("&"))
}
