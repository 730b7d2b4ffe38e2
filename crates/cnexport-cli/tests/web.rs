//! The web page through the whole router (in-process, `oneshot`): the page
//! and its assets with their types and gzip, the API still answering beside
//! them, and `/skill/series` (the page's 24-month chart) adding up to the
//! dashboard's two 12-month totals. The page itself is driven in a browser by
//! scripts/browser-check.sh.

use axum::body::Body;
use axum::http::{header, HeaderMap, Request, StatusCode};
use serde_json::Value;
use tower::ServiceExt;

use crate::common::router;

async fn get(target: &str, headers: &[(&str, &str)]) -> (StatusCode, HeaderMap, Vec<u8>) {
    let mut req = Request::builder().uri(target);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let resp = router()
        .oneshot(req.body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = resp.status();
    let h = resp.headers().clone();
    let body = axum::body::to_bytes(resp.into_body(), 1 << 24)
        .await
        .unwrap();
    (status, h, body.to_vec())
}

async fn json(target: &str) -> (StatusCode, Value) {
    let (s, h, body) = get(target, &[]).await;
    assert_eq!(
        h.get(header::CONTENT_TYPE).unwrap(),
        "application/json; charset=utf-8",
        "{target}"
    );
    (s, serde_json::from_slice(&body).unwrap())
}

#[tokio::test]
async fn the_page_and_its_assets_beside_the_api() {
    let (s, h, body) = get("/", &[]).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        h.get(header::CONTENT_TYPE).unwrap(),
        "text/html; charset=utf-8"
    );
    let html = String::from_utf8(body).unwrap();
    let v = cnexport_serve::web::asset_version();
    for (path, ctype) in [
        ("/assets/app.js", "text/javascript; charset=utf-8"),
        ("/assets/app.css", "text/css; charset=utf-8"),
        ("/assets/favicon.svg", "image/svg+xml"),
    ] {
        let linked = format!("{path}?v={v}");
        assert!(html.contains(&linked), "the page links {linked}");
        let (s, h, plain) = get(&linked, &[]).await;
        assert_eq!(s, StatusCode::OK, "{path}");
        assert_eq!(h.get(header::CONTENT_TYPE).unwrap(), ctype, "{path}");
        assert!(h.get(header::ETAG).is_some(), "{path}");
        // Sent compressed to a client that accepts it.
        let (_, h, gz) = get(&linked, &[("accept-encoding", "gzip")]).await;
        if plain.len() > 1024 {
            assert_eq!(h.get(header::CONTENT_ENCODING).unwrap(), "gzip", "{path}");
            assert!(
                gz.len() * 2 < plain.len(),
                "{path}: {} -> {}",
                plain.len(),
                gz.len()
            );
        }
    }
    // The API and its errors are unchanged around the page.
    let (s, v) = json("/skill/dashboard?hsCode=85171300").await;
    assert_eq!((s, v["code"].as_i64()), (StatusCode::OK, Some(200)));
    let (s, v) = json("/assets/nothing.js").await;
    assert_eq!((s, v["code"].as_i64()), (StatusCode::NOT_FOUND, Some(404)));
}

fn amounts(v: &Value) -> Vec<i64> {
    v["data"]["monthlyData"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["amount"].as_i64().unwrap())
        .collect()
}

#[tokio::test]
async fn the_series_adds_up_to_the_dashboard() {
    // 8-digit codes and roll-ups (whose months come from hs_base_metrics
    // where it has them, and from the facts before that).
    for hs in ["85171300", "851713", "8517", "85", "12019020"] {
        let (s, series) = json(&format!("/skill/series?hsCode={hs}")).await;
        assert_eq!(s, StatusCode::OK, "{hs}: {series}");
        let (_, dash) = json(&format!("/skill/dashboard?hsCode={hs}")).await;
        let d = &dash["data"];
        let a = amounts(&series);
        assert_eq!(a.len(), 24, "{hs}");
        assert_eq!(
            a[12..].iter().sum::<i64>(),
            d["recent12mGlobalTotal"].as_i64().unwrap(),
            "{hs}: the last 12 months are recent12"
        );
        assert_eq!(
            a[..12].iter().sum::<i64>(),
            d["prev12mGlobalTotal"].as_i64().unwrap(),
            "{hs}: the first 12 are prev12"
        );
        let months: Vec<&str> = series["data"]["monthlyData"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["month"].as_str().unwrap())
            .collect();
        // The dashboard's currentMonth is an integer (the seed API's type).
        assert_eq!(
            months[23],
            d["currentMonth"].as_u64().unwrap().to_string(),
            "{hs}"
        );
        assert!(months.windows(2).all(|w| w[0] < w[1]), "{hs}: oldest first");
        assert_eq!(series["data"]["hsCode"], d["hsCode"]);
        assert_eq!(series["data"]["productName"], d["productName"]);
    }
    // The API's own errors, with the same messages.
    for (q, status) in [("hsCode=12x", 400), ("", 400), ("hsCode=99999999", 404)] {
        let (s, series) = json(&format!("/skill/series?{q}")).await;
        let (_, dash) = json(&format!("/skill/dashboard?{q}")).await;
        assert_eq!(s.as_u16(), status, "{q}");
        assert_eq!(series["code"], dash["code"], "{q}");
        assert_eq!(series["message"], dash["message"], "{q}");
    }
}

/// Every API call of the page (`api('/skill/..', {name: ...})` in app.js)
/// names an endpoint and only parameters that endpoint declares: the API
/// refuses any other name.
#[test]
fn the_page_sends_only_declared_parameters() {
    let js = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../cnexport-serve/assets/app.js"),
    )
    .unwrap();
    let mut calls = 0;
    for part in js.split("api('").skip(1) {
        let Some((path, rest)) = part.split_once('\'') else {
            continue;
        };
        let endpoint = cnexport_api::Endpoint::from_path(path)
            .unwrap_or_else(|| panic!("app.js calls {path}, which is no endpoint"));
        let declared = endpoint.parameter_names();
        let args = rest
            .trim_start_matches([',', ' '])
            .strip_prefix('{')
            .and_then(|a| a.split_once('}'))
            .map(|(a, _)| a)
            .unwrap_or_else(|| {
                panic!("app.js: the parameters of {path} are not an object literal")
            });
        for name in args.split(',').filter_map(|kv| kv.split(':').next()) {
            let name = name.trim();
            assert!(
                declared.iter().any(|d| d == name),
                "app.js sends {name} to {path}, which takes {declared:?}"
            );
        }
        calls += 1;
    }
    assert!(calls >= 5, "found only {calls} API calls in app.js");
}
