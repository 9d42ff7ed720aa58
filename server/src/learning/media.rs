//! Lesson media under the media root: signed, short-lived URLs and the route that serves them
//! with range requests.
//!
//! A lesson's `video_url` is either an HTTP source (`http://…`, `https://…`), given to the
//! browser as it is, or a file under `MEDIA_ROOT`, named by a relative path or (what the back
//! office accepts, it takes absolute URLs only) by `PUBLIC_URL` + `media/` + that path; a file
//! is given only to callers the access rule lets in, as `/media/{path}?exp={unix}&sig={hex}`: HMAC-SHA256 over the path and the expiry
//! with a key of the server's (`MEDIA_SIGNING_KEY_PATH`, generated once under DATA_DIR), so a
//! copied link stops working at `exp` and no other path can be derived from it. The route
//! checks the signature in constant time, refuses any path leaving the root, and hands the file
//! to `tower_http`'s `ServeFile` (Range, If-Range, 206/416, Last-Modified).

use std::path::{Component, Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use aws_lc_rs::hmac;
use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use axum::body::Body;
use axum::extract::{Path as UrlPath, Query, State};
use axum::http::{header, HeaderValue, Request, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use chrono::Utc;
use serde::Deserialize;
use tower::ServiceExt;
use tower_http::services::ServeFile;

use crate::config::{bad, ConfigError};

/// Signs and checks media URLs; knows the media root.
#[derive(Clone)]
pub struct Media {
    inner: Arc<Inner>,
}

struct Inner {
    key: hmac::Key,
    root: PathBuf,
    ttl: Duration,
    /// `PUBLIC_URL` + `media/`: a `video_url` starting so names a file under the root.
    local_prefix: String,
}

impl Media {
    pub fn new(secret: &[u8], root: PathBuf, ttl: Duration) -> Self {
        Self {
            inner: Arc::new(Inner {
                key: hmac::Key::new(hmac::HMAC_SHA256, secret),
                root,
                ttl,
                local_prefix: String::new(),
            }),
        }
    }

    /// Names the site's own address, so `{public_url}media/…` URLs are files under the root.
    pub fn with_public_url(self, public_url: &str) -> Self {
        let prefix = format!("{}/media/", public_url.trim_end_matches('/'));
        let inner = Inner {
            key: self.inner.key.clone(),
            root: self.inner.root.clone(),
            ttl: self.inner.ttl,
            local_prefix: prefix,
        };
        Self {
            inner: Arc::new(inner),
        }
    }

    /// Reads (or generates once) the signing key.
    pub fn load(
        key_path: Option<&Path>,
        data_dir: &Path,
        root: PathBuf,
        ttl: Duration,
    ) -> Result<Self, ConfigError> {
        let path = key_path.map_or_else(|| data_dir.join("media_signing.key"), Path::to_path_buf);
        let fail = |e: &dyn std::fmt::Display| {
            bad("MEDIA_SIGNING_KEY_PATH", format!("{}: {e}", path.display()))
        };
        if key_path.is_none() && !path.exists() {
            std::fs::create_dir_all(data_dir).map_err(|e| fail(&e))?;
            let mut key = [0u8; 32];
            SystemRandom::new()
                .fill(&mut key)
                .map_err(|_| fail(&"no random source"))?;
            crate::keyfile::place_once(&path, hex::encode(key).as_bytes()).map_err(|e| fail(&e))?;
        }
        let text = std::fs::read_to_string(&path).map_err(|e| fail(&e))?;
        let key = hex::decode(text.trim())
            .ok()
            .filter(|k| k.len() == 32)
            .ok_or_else(|| fail(&"expected 64 hex digits"))?;
        Ok(Self::new(&key, root, ttl))
    }

    fn signature(&self, path: &str, exp: i64) -> hmac::Tag {
        hmac::sign(&self.inner.key, format!("{path}\n{exp}").as_bytes())
    }

    /// The URL the browser plays: HTTP sources as they are, media paths signed.
    pub fn playable(&self, video_url: &str) -> Option<String> {
        let url = video_url.trim();
        if url.is_empty() {
            return None;
        }
        let prefix = &self.inner.local_prefix;
        let url = match url.strip_prefix(prefix.as_str()) {
            Some(path) if !prefix.is_empty() => path.split(['?', '#']).next().unwrap_or(""),
            _ => url,
        };
        if url.starts_with("https://") || url.starts_with("http://") {
            return Some(url.to_string());
        }
        let path = url.trim_start_matches('/');
        safe_relative(path)?;
        let ttl = i64::try_from(self.inner.ttl.as_secs()).unwrap_or(3_600);
        let exp = Utc::now().timestamp() + ttl;
        let sig = hex::encode(self.signature(path, exp).as_ref());
        let encoded: Vec<String> = path.split('/').map(urlencoding_segment).collect();
        Some(format!("/media/{}?exp={exp}&sig={sig}", encoded.join("/")))
    }

    /// Whether `sig` is this server's signature of `path` until `exp`, and `exp` is ahead.
    pub fn verify(&self, path: &str, exp: i64, sig: &str) -> bool {
        if exp < Utc::now().timestamp() {
            return false;
        }
        let Ok(raw) = hex::decode(sig) else {
            return false;
        };
        // Constant time: `hmac::verify` compares the tags without an early exit.
        hmac::verify(&self.inner.key, format!("{path}\n{exp}").as_bytes(), &raw).is_ok()
    }

    fn file(&self, path: &str) -> Option<PathBuf> {
        Some(self.inner.root.join(safe_relative(path)?))
    }
}

/// `path` as a relative path of normal components only (no `..`, no root, no empty parts).
fn safe_relative(path: &str) -> Option<PathBuf> {
    if path.is_empty() || path.contains('\\') || path.contains('\0') {
        return None;
    }
    let p = Path::new(path);
    p.components()
        .all(|c| matches!(c, Component::Normal(_)))
        .then(|| p.to_path_buf())
}

fn urlencoding_segment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[derive(Deserialize)]
pub struct Signed {
    exp: Option<i64>,
    sig: Option<String>,
}

/// `GET /media/{*path}`: 403 without a valid, unexpired signature; 404 for no such file.
async fn serve(
    State(media): State<Media>,
    UrlPath(path): UrlPath<String>,
    Query(signed): Query<Signed>,
    request: Request<Body>,
) -> Response {
    let (Some(exp), Some(sig)) = (signed.exp, signed.sig) else {
        return StatusCode::FORBIDDEN.into_response();
    };
    if !media.verify(&path, exp, &sig) {
        return StatusCode::FORBIDDEN.into_response();
    }
    let Some(file) = media.file(&path) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    match ServeFile::new(file).oneshot(request).await {
        Ok(response) => {
            let mut response = response.into_response();
            // A signed URL is one viewer's: shared caches keep none of it.
            response.headers_mut().insert(
                header::CACHE_CONTROL,
                HeaderValue::from_static("private, max-age=300"),
            );
            response
        }
        Err(error) => {
            tracing::error!(%error, "serving a media file");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

pub fn routes<S: Clone + Send + Sync + 'static>(media: Media) -> Router<S> {
    Router::new()
        .route("/media/{*path}", get(serve))
        .with_state(media)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn media() -> Media {
        Media::new(
            &[7; 32],
            PathBuf::from("/srv/media"),
            Duration::from_secs(60),
        )
    }

    #[test]
    fn signed_urls_verify_and_tampering_fails() {
        let m = media();
        let url = m.playable("intro/one.webm").unwrap();
        let query = url.split_once('?').unwrap().1;
        let exp: i64 = query.split('&').next().unwrap()[4..].parse().unwrap();
        let sig = query.split("sig=").nth(1).unwrap();
        assert!(m.verify("intro/one.webm", exp, sig));
        assert!(!m.verify("intro/two.webm", exp, sig));
        assert!(!m.verify("intro/one.webm", exp + 1, sig));
        assert!(!m.verify("intro/one.webm", Utc::now().timestamp() - 1, sig));
        let other = Media::new(
            &[8; 32],
            PathBuf::from("/srv/media"),
            Duration::from_secs(60),
        );
        assert!(!other.verify("intro/one.webm", exp, sig));
    }

    #[test]
    fn http_sources_pass_and_escapes_are_refused() {
        let m = media();
        assert_eq!(
            m.playable("https://cdn.example/v.mp4").as_deref(),
            Some("https://cdn.example/v.mp4")
        );
        assert_eq!(m.playable("../etc/passwd"), None);
        assert_eq!(m.playable("a/../../b"), None);
        assert!(m.file("/etc/passwd").is_none());
        assert!(m.file("..").is_none());
        assert_eq!(m.playable(""), None);
        let site = media().with_public_url("http://127.0.0.1:3000/");
        let own = site
            .playable("http://127.0.0.1:3000/media/a/b.webm")
            .unwrap();
        assert!(own.starts_with("/media/a/b.webm?exp="), "{own}");
        assert_eq!(
            site.playable("http://other.example/media/a.webm")
                .as_deref(),
            Some("http://other.example/media/a.webm")
        );
    }
}
