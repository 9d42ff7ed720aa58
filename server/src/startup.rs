//! Building the application exactly once, the same way for `main` and for the tests: the state
//! from [`crate::wiring`], then the router and its layers, the listener, serving and a graceful
//! shutdown.

use std::{future::Future, net::SocketAddr, sync::Arc};

use anyhow::Context;
use app::{shell, App};
use axum::{
    http::{header, HeaderName, HeaderValue, Request},
    routing::get,
    Router,
};
use leptos::prelude::provide_context;
use leptos_axum::{generate_route_list, LeptosRoutes};
use tokio::net::TcpListener;
use tower::ServiceBuilder;
use tower_http::{
    catch_panic::CatchPanicLayer,
    compression::CompressionLayer,
    request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer},
    services::ServeDir,
    set_header::SetResponseHeaderLayer,
    trace::TraceLayer,
};
use tower_sessions::{cookie::SameSite, Expiry, SessionManagerLayer};

use crate::auth::session_store::Sessions;
use crate::config::Settings;
use crate::http::{client_ip, csrf, edge_guards, health, page_cache, security_headers};
use crate::state::AppState;

pub use crate::wiring::prepare_state;

/// The app's routes as axum paths, walked once per process.
///
/// Walking the router (`generate_route_list`) sets a process-wide flag in leptos_server that
/// parks every resource first polled meanwhile, for good (leptos issue #4773). A second walk
/// while another router serves pages (tests start many apps in one process) would hang one of
/// that router's responses forever; one walk, before any app serves, cannot.
pub fn route_list() -> Vec<leptos_axum::AxumRouteListing> {
    static ROUTES: std::sync::OnceLock<Vec<leptos_axum::AxumRouteListing>> =
        std::sync::OnceLock::new();
    ROUTES.get_or_init(|| generate_route_list(App)).clone()
}

pub fn router(state: AppState) -> Router {
    let services = state.services();
    let routes = route_list();
    let site_root = state.settings.site_root.clone();
    let options = state.leptos_options.clone();
    // scripts/build makes two bundles; cargo-leptos one (app/src/bundles.rs).
    let split = app::bundles::SplitBundles(
        site_root
            .join("pkg")
            .join(format!("{}.js", app::bundles::FULL_BUNDLE))
            .is_file(),
    );

    // The wasm bundle and CSS: long-lived browser caching, revalidated by Last-Modified.
    let pkg = ServiceBuilder::new()
        .layer(SetResponseHeaderLayer::overriding(
            header::CACHE_CONTROL,
            HeaderValue::from_static("public, max-age=3600, stale-while-revalidate=86400"),
        ))
        .service(
            ServeDir::new(site_root.join("pkg"))
                .precompressed_br()
                .precompressed_gzip(),
        );

    let request_id = HeaderName::from_static("x-request-id");
    let trace = TraceLayer::new_for_http().make_span_with(|request: &Request<_>| {
        let id = request.headers().get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or("-");
        tracing::info_span!("request", method = %request.method(), path = %request.uri().path(), request_id = %id)
    });

    // `hreflang` alternates are absolute URLs.
    let origin = app::SiteOrigin(state.settings.public_url.origin().ascii_serialization());
    let app_routes = Router::new()
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .merge(crate::rest::routes(&state))
        .merge(crate::oauth::routes())
        .merge(crate::http::unionpay_page::routes())
        .merge(crate::rest::terminals::ws_routes())
        .merge(crate::metrics::endpoint::public_routes(&state))
        .merge(crate::learning::media::routes(
            state.learning.media().clone(),
        ))
        .nest_service("/pkg", pkg)
        .leptos_routes_with_context(
            &state,
            routes,
            {
                let services = services.clone();
                let origin = origin.clone();
                move || {
                    provide_context(services.clone());
                    provide_context(split);
                    provide_context(origin.clone());
                    crate::http::request_meta::provide_to_leptos();
                    crate::http::security_headers::set_page_policy();
                }
            },
            move || shell(options.clone()),
        )
        .fallback(leptos_axum::file_and_error_handler_with_context::<
            AppState,
            _,
        >(
            move || {
                provide_context(services.clone());
                provide_context(split);
                provide_context(origin.clone());
                crate::http::request_meta::provide_to_leptos();
                crate::http::security_headers::set_page_policy();
            },
            shell,
        ))
        .with_state(state.clone());

    let [security_a, security_b, security_c] = security_headers::layers();
    let secure_cookies =
        crate::http::locale::SecureCookie(state.settings.public_url.scheme() == "https");
    app_routes.layer(
        ServiceBuilder::new()
            // Outermost: every request gets an id (or keeps the one nginx gave it) for the logs.
            .layer(SetRequestIdLayer::new(request_id.clone(), MakeRequestUuid))
            .layer(trace)
            // Outside the caches and guards: a cache hit and a refused body are requests too.
            .layer(axum::middleware::from_fn_with_state(
                state.metrics.clone(),
                crate::metrics::layer::layer,
            ))
            .layer(axum::middleware::from_fn_with_state(
                client_ip::TrustedProxies(Arc::new(state.settings.trusted_proxies.clone())),
                client_ip::layer,
            ))
            .layer(PropagateRequestIdLayer::new(request_id))
            .layer(security_a)
            .layer(security_b)
            .layer(security_c)
            .layer(CatchPanicLayer::custom(crate::http::panic_response))
            .layer(axum::middleware::from_fn(
                crate::http::unavailable::retry_after,
            ))
            // Before the caches and everything else: no handler sees an oversized body or a NUL.
            .layer(axum::middleware::from_fn_with_state(
                edge_guards::BodyLimit(state.settings.body_limit),
                edge_guards::layer,
            ))
            // Before the page cache, which keeps one page per language.
            .layer(axum::middleware::from_fn_with_state(
                secure_cookies,
                crate::http::locale::layer,
            ))
            .layer(axum::middleware::from_fn_with_state(
                state.pages.clone(),
                page_cache::layer,
            ))
            // Beside the page cache and for the same reason: a hit skips everything below.
            .layer(axum::middleware::from_fn_with_state(
                state.api_cache.clone(),
                crate::rest::cache::layer,
            ))
            .layer(CompressionLayer::new())
            .layer(axum::middleware::from_fn(
                crate::http::server_fn_status::layer,
            ))
            .layer(axum::middleware::from_fn_with_state(
                allowed_origins(&state.settings),
                csrf::layer,
            ))
            .layer(session_layer(&state))
            .layer(axum::middleware::from_fn(
                crate::http::unavailable::sessions,
            ))
            .layer(axum::middleware::from_fn(
                crate::http::sign_in_redirect::layer,
            ))
            .layer(axum::middleware::from_fn(crate::auth::activity::layer))
            .layer(axum::middleware::from_fn_with_state(
                (
                    state.db.clone(),
                    secure_cookies,
                    crate::http::locale::SessionAbsolute(state.settings.auth.session_absolute),
                ),
                crate::http::locale::profile_layer,
            )),
    )
}

/// The session cookie: HttpOnly, SameSite=Lax, Secure behind https, idle expiry, optional
/// domain so sub-domains share the login.
fn session_layer(state: &AppState) -> SessionManagerLayer<Sessions> {
    let auth = &state.settings.auth;
    let idle =
        time::Duration::seconds(i64::try_from(auth.session_idle.as_secs()).unwrap_or(i64::MAX));
    let layer = SessionManagerLayer::new(state.sessions.clone())
        .with_name(page_cache::SESSION_COOKIE)
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_secure(state.settings.public_url.scheme() == "https")
        .with_path("/")
        .with_expiry(Expiry::OnInactivity(idle));
    match &auth.cookie_domain {
        Some(domain) => layer.with_domain(domain.clone()),
        None => layer,
    }
}

fn allowed_origins(settings: &Settings) -> csrf::AllowedOrigins {
    let public = settings
        .public_url
        .origin()
        .ascii_serialization()
        .to_ascii_lowercase();
    csrf::AllowedOrigins(Arc::new(vec![public]))
}

/// A bound, ready-to-run server.
pub struct Application {
    listener: TcpListener,
    /// `METRICS_ADDR`'s listener, when set.
    metrics_listener: Option<TcpListener>,
    router: Router,
    state: AppState,
}

impl Application {
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let addr = settings.site_addr;
        let state = prepare_state(settings).await?;
        let listener = TcpListener::bind(addr)
            .await
            .with_context(|| format!("cannot listen on {addr} (LEPTOS_SITE_ADDR)"))?;
        let metrics_listener = match state.settings.metrics_addr {
            Some(addr) => Some(
                TcpListener::bind(addr)
                    .await
                    .with_context(|| format!("cannot listen on {addr} (METRICS_ADDR)"))?,
            ),
            None => None,
        };
        Ok(Self {
            router: router(state.clone()),
            listener,
            metrics_listener,
            state,
        })
    }

    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Where `/metrics` listens on its own (`METRICS_ADDR`), once bound.
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.metrics_listener
            .as_ref()
            .and_then(|l| l.local_addr().ok())
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until `shutdown` resolves, then lets in-flight requests finish (at most
    /// `SHUTDOWN_GRACE_SECONDS`) and closes the pools.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let Application {
            listener,
            metrics_listener,
            router,
            state,
        } = self;
        // The metrics listener lives as long as the process serves; it holds no request state
        // worth draining.
        let metrics_server = metrics_listener.map(|l| {
            let router = crate::metrics::endpoint::private_router(state.clone());
            tokio::spawn(async move {
                if let Err(e) = axum::serve(l, router).await {
                    tracing::error!(error = %e, "the metrics listener stopped");
                }
            })
        });
        let grace = state.settings.shutdown_grace;
        // Background jobs share the process unless WORKER=off; they stop with the server.
        let (stop_jobs, jobs_stop) = tokio::sync::watch::channel(false);
        let worker = crate::jobs::spawn_embedded(&state.jobs, &state.settings, jobs_stop);
        let live = state.jobs.context.notifier.live().clone();
        let (stopped_tx, stopped_rx) = tokio::sync::oneshot::channel::<()>();
        let server = axum::serve(
            listener,
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(async move {
            shutdown.await;
            let _ = stop_jobs.send(true);
            // Open notification streams end, so draining does not wait for them.
            live.close().await;
            tracing::info!("shutting down: finishing in-flight requests");
            let _ = stopped_tx.send(());
        });
        // If draining takes longer than the grace period, stop waiting.
        let drained = async {
            server.await.context("server error")?;
            Ok::<(), anyhow::Error>(())
        };
        tokio::select! {
            result = drained => result?,
            _ = async { let _ = stopped_rx.await; tokio::time::sleep(grace).await } => {
                tracing::warn!(?grace, "grace period over; closing remaining connections");
            }
        }
        if let Some(worker) = worker {
            // The worker keeps its own grace period for the jobs it is running.
            let _ = worker.await;
        }
        if let Some(metrics) = metrics_server {
            metrics.abort();
        }
        state.jobs.queue.close().await;
        state.db.close().await;
        if let Some(redis) = &state.redis {
            redis.quit().await;
        }
        tracing::info!("stopped");
        Ok(())
    }
}

/// Resolves on SIGINT or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(err) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %err, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut sig) => {
                sig.recv().await;
            }
            Err(err) => {
                tracing::error!(error = %err, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
}
