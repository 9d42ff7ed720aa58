//! Pages in the language asked for: the header, the cookie and the switch, `hreflang`
//! alternates, and one cached page per language.

use reqwest::header::SET_COOKIE;

use super::{html_lang, page};
use crate::backend_tests;
use crate::helpers::{spawn_app, spawn_app_with, Backend, Options};

backend_tests!(
    pages_are_in_the_language_asked_for,
    the_switch_sets_a_cookie_that_wins_over_the_header,
    public_pages_carry_hreflang_alternates,
    the_page_cache_keeps_one_page_per_language,
);

async fn pages_are_in_the_language_asked_for(backend: Backend) {
    let app = spawn_app(backend).await;
    let english = page(&app, "/courses", &[("accept-language", "en-GB,en;q=0.9")]).await;
    assert_eq!(english.status(), 200);
    let html = english.text().await.unwrap();
    assert_eq!(html_lang(&html), "en");
    assert!(html.contains("<h1>All courses</h1>"), "{html}");
    assert!(html.contains(">Sign in<") && html.contains(">Register<"));
    assert!(
        !html.contains("全部课程") && !html.contains(">登录<"),
        "no Chinese label"
    );

    let chinese = page(
        &app,
        "/courses",
        &[("accept-language", "zh-CN,zh;q=0.9,en;q=0.5")],
    )
    .await;
    let html = chinese.text().await.unwrap();
    assert_eq!(html_lang(&html), "zh-CN");
    assert!(html.contains("<h1>全部课程</h1>"), "{html}");
    assert!(
        !html.contains("All courses") && !html.contains(">Sign in<"),
        "no English label"
    );

    // Nothing said (or a language we do not speak): Chinese, the product's default.
    for header in ["fr-FR, de;q=0.5", ""] {
        let html = page(&app, "/courses", &[("accept-language", header)])
            .await
            .text()
            .await
            .unwrap();
        assert_eq!(html_lang(&html), "zh-CN", "for {header:?}");
    }
    // The course page's own labels follow too; the course's texts are the course's.
    let list = page(&app, "/courses", &[]).await.text().await.unwrap();
    let slug = list
        .split(r#"data-slug=""#)
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap()
        .to_string();
    let html = page(
        &app,
        &format!("/courses/{slug}"),
        &[("accept-language", "en")],
    )
    .await
    .text()
    .await
    .unwrap();
    assert!(
        html.contains("<h2>Outline</h2>") && html.contains("<h2>Teacher</h2>"),
        "{html}"
    );
}

async fn the_switch_sets_a_cookie_that_wins_over_the_header(backend: Backend) {
    let app = spawn_app(backend).await;
    let switched = page(&app, "/courses?lang=en", &[("accept-language", "zh-CN")]).await;
    assert_eq!(switched.status(), 200);
    let cookie = switched
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .find(|v| v.starts_with("xc_locale="))
        .expect("the switch remembers the choice");
    assert!(cookie.starts_with("xc_locale=en;"), "{cookie}");
    assert!(cookie.contains("SameSite=Lax") && cookie.contains("Max-Age="));
    let vary: Vec<&str> = switched
        .headers()
        .get_all("vary")
        .iter()
        .map(|v| v.to_str().unwrap())
        .collect();
    assert!(
        vary.iter().any(|v| v.contains("Accept-Language")),
        "{vary:?}"
    );
    assert_eq!(html_lang(&switched.text().await.unwrap()), "en");

    // Later pages without `?lang=`: the cookie beats the browser's header.
    let later = page(
        &app,
        "/paths",
        &[("accept-language", "zh-CN"), ("cookie", "xc_locale=en")],
    )
    .await;
    assert!(
        later.headers().get(SET_COOKIE).is_none(),
        "nothing new to remember"
    );
    let html = later.text().await.unwrap();
    assert_eq!(html_lang(&html), "en");
    assert!(html.contains("Learning paths"));
    // A cookie with nonsense in it is ignored, not an error.
    let junk = page(
        &app,
        "/",
        &[
            ("accept-language", "en"),
            ("cookie", "xc_locale=%3Cscript%3E"),
        ],
    )
    .await;
    assert_eq!(junk.status(), 200);
    assert_eq!(html_lang(&junk.text().await.unwrap()), "en");
    // The header's switch links to this page in the other language.
    let html = page(
        &app,
        "/courses?level=beginner",
        &[("accept-language", "en")],
    )
    .await
    .text()
    .await
    .unwrap();
    assert!(
        html.contains(r#"href="/courses?level=beginner&amp;lang=zh-CN""#),
        "{html}"
    );
}

async fn public_pages_carry_hreflang_alternates(backend: Backend) {
    let app = spawn_app(backend).await;
    let html = page(&app, "/courses?q=rust&lang=en", &[])
        .await
        .text()
        .await
        .unwrap();
    let links = alternates(&html);
    let absolute = |href: &str| href.starts_with("http://") || href.starts_with("https://");
    assert!(
        links.iter().all(|(_, href)| absolute(href)),
        "absolute URLs: {links:?}"
    );
    let paths: Vec<(String, String)> = links
        .iter()
        .map(|(lang, href)| {
            let path = href.splitn(4, '/').nth(3).unwrap_or("");
            (lang.clone(), format!("/{path}"))
        })
        .collect();
    assert_eq!(
        paths,
        [
            (
                "zh-CN".to_string(),
                "/courses?q=rust&amp;lang=zh-CN".to_string()
            ),
            ("en".to_string(), "/courses?q=rust&amp;lang=en".to_string()),
            ("x-default".to_string(), "/courses?q=rust".to_string()),
        ]
    );
    // Pages for one signed-in person are nobody's search result.
    let login = page(&app, "/login", &[]).await.text().await.unwrap();
    assert!(alternates(&login).is_empty());
}

/// (hreflang, href) of each `<link rel="alternate">`, in order.
fn alternates(html: &str) -> Vec<(String, String)> {
    let attribute = |tag: &str, name: &str| {
        tag.split(&format!("{name}=\""))
            .nth(1)?
            .split('"')
            .next()
            .map(str::to_string)
    };
    html.split("<link ")
        .skip(1)
        .filter_map(|rest| rest.split('>').next())
        .filter(|tag| tag.contains(r#"rel="alternate""#))
        .filter_map(|tag| Some((attribute(tag, "hreflang")?, attribute(tag, "href")?)))
        .collect()
}

async fn the_page_cache_keeps_one_page_per_language(backend: Backend) {
    let app = spawn_app_with(
        backend,
        Options {
            page_cache_seconds: 60,
            ..Default::default()
        },
    )
    .await;
    let first = page(&app, "/", &[("accept-language", "en")]).await;
    assert_eq!(first.headers()["x-cache"], "miss");
    let again = page(&app, "/", &[("accept-language", "en")]).await;
    assert_eq!(again.headers()["x-cache"], "hit");
    assert_eq!(html_lang(&again.text().await.unwrap()), "en");
    // Same URL, other language: its own entry, never the English page.
    let chinese = page(&app, "/", &[("accept-language", "zh-CN")]).await;
    assert_eq!(chinese.headers()["x-cache"], "miss");
    assert_eq!(html_lang(&chinese.text().await.unwrap()), "zh-CN");
    let by_cookie = page(&app, "/", &[("cookie", "xc_locale=en")]).await;
    assert_eq!(by_cookie.headers()["x-cache"], "hit");
    assert_eq!(html_lang(&by_cookie.text().await.unwrap()), "en");
}
