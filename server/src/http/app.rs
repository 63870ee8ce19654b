//! The patient's phone web app (`/app/`): a PWA of plain JavaScript modules and CSS, embedded in
//! the binary so relais serves it with no build step and no CDN. Every file is revalidated
//! (`no-cache` + ETag); the service worker keeps the shell for offline use.

use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::LazyLock;

use axum::Router;
use axum::extract::Path;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;

use crate::AppState;

/// No inline script or style anywhere; the app talks only to its own origin.
pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; connect-src 'self'; \
    worker-src 'self'; img-src 'self' data:; manifest-src 'self'; object-src 'none'; base-uri 'none'; \
    form-action 'self'; frame-ancestors 'none'";

struct Asset {
    name: &'static str,
    mime: &'static str,
    body: &'static [u8],
}

macro_rules! asset {
    ($name:literal, $mime:expr) => {
        Asset { name: $name, mime: $mime, body: include_bytes!(concat!("../../assets/app/", $name)) }
    };
}

const JS: &str = "text/javascript; charset=utf-8";

static ASSETS: &[Asset] = &[
    asset!("index.html", "text/html; charset=utf-8"),
    asset!("style.css", "text/css; charset=utf-8"),
    asset!("app.js", JS),
    asset!("api.js", JS),
    asset!("i18n.js", JS),
    asset!("queue.js", JS),
    asset!("today.js", JS),
    asset!("questionnaire.js", JS),
    asset!("activate.js", JS),
    asset!("push.js", JS),
    asset!("ui.js", JS),
    asset!("sw.js", JS),
    asset!("manifest.webmanifest", "application/manifest+json"),
    asset!("icon.svg", "image/svg+xml"),
    asset!("icon-192.png", "image/png"),
    asset!("icon-512.png", "image/png"),
];

/// ETags of the assets, computed once: they change with the binary's content.
static ETAGS: LazyLock<Vec<String>> = LazyLock::new(|| {
    ASSETS
        .iter()
        .map(|a| {
            let mut h = DefaultHasher::new();
            a.body.hash(&mut h);
            format!("\"{:016x}\"", h.finish())
        })
        .collect()
});

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/app", get(|| async { Redirect::permanent("/app/") }))
        .route("/app/", get(|headers: HeaderMap| async move { serve("index.html", &headers) }))
        .route("/app/{file}", get(|Path(file): Path<String>, headers: HeaderMap| async move { serve(&file, &headers) }))
}

fn serve(name: &str, headers: &HeaderMap) -> Response {
    let Some(i) = ASSETS.iter().position(|a| a.name == name) else {
        return (StatusCode::NOT_FOUND, [(header::CONTENT_SECURITY_POLICY, CSP)], "not found").into_response();
    };
    let (asset, etag) = (&ASSETS[i], &ETAGS[i]);
    let common = [
        (header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP)),
        // Revalidated on every load, so a new release reaches phones at once; offline use
        // comes from the service worker's cache, not from the HTTP cache.
        (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
        (header::ETAG, HeaderValue::from_str(etag).expect("hex etag")),
        (header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")),
    ];
    let fresh = headers.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()).is_some_and(|v| v == etag);
    if fresh {
        return (StatusCode::NOT_MODIFIED, common).into_response();
    }
    (StatusCode::OK, common, [(header::CONTENT_TYPE, asset.mime)], asset.body).into_response()
}

#[cfg(test)]
mod tests {
    /// The keys of one language's block of i18n.js (`  key: "..."` lines between `  fr: {`
    /// and the block's closing `  },`).
    fn keys(source: &str, lang: &str) -> Vec<String> {
        let start = source.find(&format!("\n  {lang}: {{\n")).unwrap_or_else(|| panic!("no {lang} block"));
        let block = &source[start..];
        let end = block.find("\n  },").expect("end of the block");
        let mut keys: Vec<String> = block[..end]
            .lines()
            .filter_map(|l| l.strip_prefix("    ")?.split_once(':').map(|(k, _)| k.trim().to_owned()))
            .filter(|k| !k.is_empty() && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
            .collect();
        keys.sort();
        keys
    }

    /// Every text of the app exists in French and in English (issue 19): a key missing from
    /// either block would show the other language, or the key itself.
    #[test]
    fn every_app_text_has_a_french_and_an_english_version() {
        let source = include_str!("../../assets/app/i18n.js");
        let (fr, en) = (keys(source, "fr"), keys(source, "en"));
        assert!(fr.len() > 50, "{fr:?}");
        let only_fr: Vec<&String> = fr.iter().filter(|k| !en.contains(k)).collect();
        let only_en: Vec<&String> = en.iter().filter(|k| !fr.contains(k)).collect();
        assert!(only_fr.is_empty() && only_en.is_empty(), "French only: {only_fr:?}; English only: {only_en:?}");
    }
}
