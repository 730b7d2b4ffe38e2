//! The web page at `/`: hand-written HTML, JavaScript and CSS under
//! `assets/`, compiled into the binary. No framework, no build step, no
//! request leaves the server's origin (the Content-Security-Policy says so
//! to the browser too).
//!
//! Caching: the page is revalidated on every load (`no-cache` + ETag); it
//! names its script and style sheet with `?v=<hash of their content>`, and
//! those are cached for a year, so a new binary is picked up at once and a
//! reload costs one 304.
//!
//! The page's 24-month chart reads `/skill/series?hsCode=` of the API.

use crate::AppState;
use axum::extract::RawQuery;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use std::sync::OnceLock;

const INDEX_HTML: &str = include_str!("../assets/index.html");
const APP_JS: &str = include_str!("../assets/app.js");
const APP_CSS: &str = include_str!("../assets/app.css");
const FAVICON_SVG: &str = include_str!("../assets/favicon.svg");

const HTML: &str = "text/html; charset=utf-8";
const JS: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";
const SVG: &str = "image/svg+xml";

/// Only same-origin scripts, styles and requests; inline SVG built by the
/// script is DOM, not markup, and needs nothing more.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; \
     style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; \
     form-action 'none'; frame-ancestors 'none'";

/// FNV-1a, 64 bits: a content fingerprint for ETags and `?v=`, not security.
pub(crate) fn fnv64(parts: &[&str]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for p in parts {
        for b in p.bytes() {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    h
}

/// The version token of the assets: changes whenever app.js or app.css does.
pub fn asset_version() -> &'static str {
    static V: OnceLock<String> = OnceLock::new();
    V.get_or_init(|| format!("{:012x}", fnv64(&[APP_JS, APP_CSS, FAVICON_SVG]) >> 16))
}

/// The page, with `{{v}}` replaced by the asset version.
pub fn index_html() -> &'static str {
    static P: OnceLock<String> = OnceLock::new();
    P.get_or_init(|| INDEX_HTML.replace("{{v}}", asset_version()))
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(index))
        .route("/index.html", get(index))
        .route("/assets/app.js", get(app_js))
        .route("/assets/app.css", get(app_css))
        .route("/assets/favicon.svg", get(favicon))
}

/// A static body with its content type, a strong ETag and caching headers;
/// 304 when the client already holds it.
fn asset(
    req_headers: &HeaderMap,
    body: &'static str,
    content_type: &'static str,
    versioned: bool,
) -> Response {
    let etag = format!("\"{:016x}\"", fnv64(&[body]));
    let cache = if versioned {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    let matches = req_headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"));
    let mut resp = if matches {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        let mut r = body.into_response();
        r.headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
        r
    };
    let h = resp.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    if let Ok(v) = HeaderValue::from_str(&etag) {
        h.insert(header::ETAG, v);
    }
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    resp
}

/// True when the request names the current asset version (`?v=...`).
fn is_current(query: Option<&str>) -> bool {
    query.is_some_and(|q| {
        q.split('&')
            .any(|kv| kv.strip_prefix("v=") == Some(asset_version()))
    })
}

async fn index(headers: HeaderMap) -> Response {
    let mut resp = asset(&headers, index_html(), HTML, false);
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    resp
}

async fn app_js(headers: HeaderMap, RawQuery(q): RawQuery) -> Response {
    asset(&headers, APP_JS, JS, is_current(q.as_deref()))
}

async fn app_css(headers: HeaderMap, RawQuery(q): RawQuery) -> Response {
    asset(&headers, APP_CSS, CSS, is_current(q.as_deref()))
}

async fn favicon(headers: HeaderMap, RawQuery(q): RawQuery) -> Response {
    asset(&headers, FAVICON_SVG, SVG, is_current(q.as_deref()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::http::Request;
    use tower::ServiceExt;

    /// The page's routes alone, on a state-less router (no database needed).
    fn static_router() -> Router {
        Router::new()
            .route("/", get(index))
            .route("/assets/app.js", get(app_js))
            .route("/assets/app.css", get(app_css))
            .route("/assets/favicon.svg", get(favicon))
    }

    async fn fetch(target: &str, if_none_match: Option<&str>) -> (StatusCode, HeaderMap, String) {
        let mut req = Request::builder().uri(target);
        if let Some(t) = if_none_match {
            req = req.header(header::IF_NONE_MATCH, t);
        }
        let resp = static_router()
            .oneshot(req.body(Body::empty()).unwrap())
            .await
            .unwrap();
        let status = resp.status();
        let headers = resp.headers().clone();
        let body = axum::body::to_bytes(resp.into_body(), 1 << 20)
            .await
            .unwrap();
        (status, headers, String::from_utf8(body.to_vec()).unwrap())
    }

    fn header(h: &HeaderMap, name: header::HeaderName) -> &str {
        h.get(name).unwrap().to_str().unwrap()
    }

    #[tokio::test]
    async fn page_and_assets_with_their_types_and_caching() {
        let (s, h, body) = fetch("/", None).await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(header(&h, header::CONTENT_TYPE), HTML);
        assert_eq!(header(&h, header::CACHE_CONTROL), "no-cache");
        assert!(header(&h, header::CONTENT_SECURITY_POLICY).starts_with("default-src 'none'"));
        assert!(body.starts_with("<!doctype html>"));
        assert!(!body.contains("{{v}}"));
        let v = asset_version();
        for (path, ctype) in [
            ("/assets/app.js", JS),
            ("/assets/app.css", CSS),
            ("/assets/favicon.svg", SVG),
        ] {
            let linked = format!("{path}?v={v}");
            assert!(body.contains(&linked), "the page links {linked}");
            let (s, h, text) = fetch(&linked, None).await;
            assert_eq!(s, StatusCode::OK, "{path}");
            assert_eq!(header(&h, header::CONTENT_TYPE), ctype, "{path}");
            assert_eq!(header(&h, header::X_CONTENT_TYPE_OPTIONS), "nosniff");
            assert!(header(&h, header::CACHE_CONTROL).contains("immutable"));
            assert!(!text.is_empty());
            // Without the current version, the client must revalidate.
            let (_, h, _) = fetch(&format!("{path}?v=old"), None).await;
            assert_eq!(header(&h, header::CACHE_CONTROL), "no-cache", "{path}");
            // And a revalidation with the ETag is answered 304, empty.
            let etag = header(&h, header::ETAG).to_string();
            let (s, _, text) = fetch(path, Some(&etag)).await;
            assert_eq!(s, StatusCode::NOT_MODIFIED, "{path}");
            assert!(text.is_empty());
        }
        let etag = header(&h, header::ETAG).to_string();
        let (s, _, _) = fetch("/", Some(&etag)).await;
        assert_eq!(s, StatusCode::NOT_MODIFIED);
    }

    /// Every `http://` or `https://` in the assets is in the text of the page
    /// (never in an attribute, a `url()`, an import or a fetch), so the page
    /// makes no request outside its origin.
    #[test]
    fn no_external_urls() {
        for (name, text) in [
            ("index.html", INDEX_HTML),
            ("app.js", APP_JS),
            ("app.css", APP_CSS),
            ("favicon.svg", FAVICON_SVG),
        ] {
            // The SVG namespace is an identifier, not a request.
            let text = text.replace("http://www.w3.org/2000/svg", "");
            assert!(
                !text.contains("http://") && !text.contains("https://") && !text.contains("//cdn"),
                "{name} names an external URL"
            );
            for attr in ["src=\"//", "href=\"//", "url(//", "url(\"//", "url('//"] {
                assert!(!text.contains(attr), "{name}: protocol-relative {attr}");
            }
        }
        // Local references only: every src/href of the page starts with / or # or data:.
        for attr in ["src=\"", "href=\""] {
            for rest in INDEX_HTML.split(attr).skip(1) {
                assert!(
                    rest.starts_with('/') || rest.starts_with('#') || rest.starts_with("data:"),
                    "index.html: {attr}{:.40}",
                    rest
                );
            }
        }
        assert!(!APP_CSS.contains("@import"));
        assert!(!APP_CSS.contains("@font-face"), "no web fonts");
    }

    #[test]
    fn small_assets() {
        let total = INDEX_HTML.len() + APP_JS.len() + APP_CSS.len() + FAVICON_SVG.len();
        // Four views of issue 14 (seasonality, growth markets, price bands,
        // chapter) took it from 45 to about 66 KB; gzipped it is a third of that.
        assert!(total < 80 * 1024, "the page weighs {total} bytes");
    }

    #[test]
    fn every_label_has_both_languages() {
        // The dictionary in app.js: each key appears once under zh and once
        // under en; the page's data-i18n keys are all in it.
        let dict = |lang: &str| -> Vec<String> {
            let start = APP_JS
                .find(&format!("{lang}: {{"))
                .unwrap_or_else(|| panic!("{lang} dictionary"));
            let body = &APP_JS[start..];
            let end = body.find("\n  }").unwrap();
            body[..end]
                .lines()
                .skip(1)
                .filter_map(|l| l.trim().split_once(':').map(|(k, _)| k.trim().to_string()))
                .filter(|k| !k.is_empty() && !k.starts_with("//"))
                .collect()
        };
        let (zh, en) = (dict("zh"), dict("en"));
        assert!(zh.len() > 20, "{zh:?}");
        let mut a = zh.clone();
        let mut b = en.clone();
        a.sort();
        b.sort();
        assert_eq!(a, b, "zh and en have the same keys");
        for rest in INDEX_HTML.split("data-i18n=\"").skip(1) {
            let key = &rest[..rest.find('"').unwrap()];
            assert!(
                zh.iter().any(|k| k == key),
                "data-i18n={key} is in the dictionary"
            );
        }
    }
}
