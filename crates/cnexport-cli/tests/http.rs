//! The HTTP API: in-process requests (`oneshot`) for every endpoint,
//! parameter and error, byte-identical to `cnexport query`; hostile query
//! strings never get a 5xx; the OpenAPI document matches the answers; and a
//! real server on 127.0.0.1 that takes concurrent requests while builds
//! swap the database fails none and logs each exactly once.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use serde_json::Value;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tower::ServiceExt;

use crate::common;
use crate::common::{cnexport, realdata_dir, router, sample_db, sample_dir};

fn build(input: &Path, db: &Path, stage: &Path) {
    common::build(input, db, Some(stage));
}

async fn get(router: &axum::Router, target: &str) -> (StatusCode, String, Option<String>) {
    let req = Request::builder().uri(target).body(Body::empty()).unwrap();
    let resp = router.clone().oneshot(req).await.unwrap();
    let status = resp.status();
    let content_type = resp
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string());
    let bytes = axum::body::to_bytes(resp.into_body(), 1 << 26)
        .await
        .unwrap();
    (
        status,
        String::from_utf8(bytes.to_vec()).unwrap(),
        content_type,
    )
}

fn direct(target: &str) -> (u16, String) {
    let conn = rusqlite::Connection::open_with_flags(
        sample_db(),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .unwrap();
    let r = cnexport_api::answer(&conn, target);
    (r.status, r.body_string())
}

const TARGETS: &[&str] = &[
    "/skill/dashboard?hsCode=85171300",
    "/skill/dashboard?hsCode=85171300&currentMonth=202412",
    "/skill/dashboard?hsCode=8517.13.00",
    "/skill/dashboard?hsCode=85",
    "/skill/dashboard?hsCode=8517",
    "/skill/dashboard?hsCode=851713",
    "/skill/dashboard?hsCode=85171300&currentMonth=202101",
    "/skill/dashboard?hsCode=85171300&currentMonth=209901",
    "/skill/dashboard?hsCode=99999999",
    "/skill/dashboard?hsCode=123",
    "/skill/dashboard",
    "/skill/dashboard?hsCode=85171300&currentMonth=2024-12",
    "/skill/markets?hsCode=85171300",
    "/skill/markets?hsCode=85171300&sortBy=name",
    "/skill/markets?hsCode=85171300&sortBy=name&order=asc",
    "/skill/markets?hsCode=85171300&sortBy=amount&order=asc&minAmount=1000000&limit=5&offset=2",
    "/skill/markets?hsCode=85&limit=1000",
    "/skill/markets?hsCode=85171300&sortBy=price",
    "/skill/markets?hsCode=85171300&order=up",
    "/skill/markets?hsCode=85171300&limit=0",
    "/skill/markets?hsCode=85171300&limit=1001",
    "/skill/markets?hsCode=85171300&minAmount=-1",
    "/skill/markets?hsCode=00000000",
    "/skill/trend?hsCode=85171300&countryCode=502",
    "/skill/trend?hsCode=85&countryCode=502",
    "/skill/trend?hsCode=85171300&countryCode=999",
    "/skill/trend?hsCode=85171300",
    "/skill/trend?hsCode=85171300&countryCode=5021",
    "/skill/topProducts",
    "/skill/topProducts?sortBy=amount&limit=100",
    "/skill/topProducts?sortBy=marketBreadth&offset=10&limit=5",
    "/skill/topProducts?level=2&sortBy=amount",
    "/skill/topProducts?level=4",
    "/skill/topProducts?level=6&minAmount=0",
    "/skill/topProducts?regionFilter=asean",
    "/skill/topProducts?regionFilter=%E4%B8%9C%E7%9B%9F",
    "/skill/topProducts?regionFilter=southAmerica&sortBy=amount",
    "/skill/topProducts?maxConcentration=80",
    "/skill/topProducts?level=5",
    "/skill/topProducts?limit=101",
    "/skill/topProducts?regionFilter=mars",
    "/skill/topProducts?maxConcentration=101",
    "/skill/topProducts?sortBy=growth&minAmount=abc",
    "/skill/history?hsCode=85171300&countryCode=502",
    "/skill/history?hsCode=8517&countryCode=116",
    "/skill/history?hsCode=85171300&countryCode=999",
    "/skill/history?countryCode=502",
    "/skill/search?q=8517",
    "/skill/search?q=%E6%89%8B%E6%9C%BA",
    "/skill/search?q=phone&limit=5",
    "/skill/search?q=zzzzzz",
    "/skill/search",
    "/skill/search?q=1&limit=0",
    "/skill/unknown",
];

#[tokio::test]
async fn search_finds_products_by_code_and_name() {
    let router = router();
    let first =
        |body: &str| serde_json::from_str::<Value>(body).unwrap()["data"][0]["hsCode"].clone();
    let (_, body, _) = get(&router, "/skill/search?q=85171300").await;
    assert_eq!(first(&body), "85171300");
    let (_, body, _) = get(
        &router,
        "/skill/search?q=%E6%99%BA%E8%83%BD%E6%89%8B%E6%9C%BA",
    )
    .await; // 智能手机
    assert_eq!(first(&body), "85171300");
    let (_, body, _) = get(&router, "/skill/search?q=smartphones").await;
    assert_eq!(first(&body), "85171300");
    let (_, body, _) = get(&router, "/skill/search?q=85").await;
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["data"][0]["hsCode"], "85", "an exact code first");
    assert!(v["data"]
        .as_array()
        .unwrap()
        .iter()
        .all(|d| d["hsCode"].as_str().unwrap().starts_with("85")));
    let (status, _, _) = get(&router, &format!("/skill/search?q={}", "a".repeat(65))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn every_endpoint_answers_as_cnexport_query_does() {
    let router = router();
    let mut statuses = std::collections::BTreeSet::new();
    for target in TARGETS {
        let (status, body, content_type) = get(&router, target).await;
        let (expected_status, expected_body) = direct(target);
        assert_eq!(status.as_u16(), expected_status, "{target}");
        assert_eq!(body, expected_body, "{target}");
        assert_eq!(
            content_type.as_deref(),
            Some("application/json; charset=utf-8"),
            "{target}"
        );
        let v: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(v["code"], status.as_u16(), "{target}");
        if status != StatusCode::OK {
            assert!(v["message"].as_str().is_some_and(|m| !m.is_empty()));
            assert_eq!(v["data"], Value::Null);
        }
        statuses.insert(status.as_u16());
    }
    assert_eq!(
        statuses.into_iter().collect::<Vec<_>>(),
        vec![200, 400, 404]
    );
}

#[tokio::test]
async fn bad_parameters_name_themselves() {
    let router = router();
    for (target, name) in [
        ("/skill/dashboard?hsCode=123", "hsCode"),
        (
            "/skill/dashboard?hsCode=85171300&currentMonth=2024-12",
            "currentMonth",
        ),
        ("/skill/markets?hsCode=85171300&sortBy=price", "sortBy"),
        ("/skill/markets?hsCode=85171300&order=up", "order"),
        ("/skill/topProducts?limit=101", "limit"),
        ("/skill/topProducts?level=5", "level"),
        ("/skill/topProducts?regionFilter=mars", "regionFilter"),
        (
            "/skill/topProducts?maxConcentration=101",
            "maxConcentration",
        ),
        ("/skill/trend?hsCode=85171300", "countryCode"),
        (
            "/skill/history?hsCode=85171300&countryCode=502&hsCode=1",
            "hsCode",
        ),
    ] {
        let (status, body, _) = get(&router, target).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{target}");
        let v: Value = serde_json::from_str(&body).unwrap();
        assert!(
            v["message"].as_str().unwrap().contains(name),
            "{target}: {body}"
        );
    }
    let (status, body, _) = get(&router, "/skill/trend?hsCode=85171300&countryCode=999").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(body.contains("该商品对此国家暂无出口记录"));
}

#[tokio::test]
async fn hostile_query_strings_never_get_a_5xx() {
    let router = router();
    let long = "9".repeat(5000);
    let many = (0..500)
        .map(|i| format!("p{i}=1"))
        .collect::<Vec<_>>()
        .join("&");
    let hostile = vec![
        "/skill/dashboard?hsCode=85171300'%20OR%201=1--".to_string(),
        "/skill/dashboard?hsCode=85171300;DROP%20TABLE%20products".to_string(),
        "/skill/markets?hsCode=85171300&sortBy=amount%27;--".to_string(),
        "/skill/markets?hsCode=%25&limit=5".to_string(),
        "/skill/markets?hsCode=85_____".to_string(),
        "/skill/trend?hsCode=85171300&countryCode=502%00".to_string(),
        "/skill/trend?hsCode=%F0%9F%98%80&countryCode=502".to_string(),
        "/skill/trend?hsCode=%ZZ".to_string(),
        "/skill/trend?hsCode=%C3%28".to_string(),
        "/skill/history?hsCode=85171300&countryCode=502&countryCode=502".to_string(),
        format!("/skill/history?hsCode={long}&countryCode=502"),
        format!("/skill/topProducts?{many}"),
        "/skill/topProducts?limit=99999999999999999999999".to_string(),
        "/skill/topProducts?limit=-1&offset=-5".to_string(),
        "/skill/topProducts?offset=9223372036854775807".to_string(),
        "/skill/topProducts?maxConcentration=NaN".to_string(),
        "/skill/topProducts?maxConcentration=inf".to_string(),
        "/skill/topProducts?minAmount=1e308".to_string(),
        "/skill/topProducts?level=08".to_string(),
        "/skill/topProducts?sortBy=".to_string(),
        "/skill/topProducts?&&&=&=".to_string(),
        "/skill/topProducts?regionFilter=asia%20OR%201=1".to_string(),
        "/skill/dashboard?hsCode=85171300&currentMonth=000000".to_string(),
        "/skill/dashboard?hsCode=85171300&currentMonth=999999".to_string(),
        "/skill/dashboard?hsCode=+85171300+".to_string(),
        "/skill/dashboard?hsCode[]=85171300".to_string(),
        "/skill/../../etc/passwd".to_string(),
        "/skill/dashboard/extra?hsCode=85171300".to_string(),
        "/skill/".to_string(),
        "/skill/markets?hsCode=85171300&limit=1.5".to_string(),
        "/skill/markets?hsCode=0&limit=5".to_string(),
        "/skill/history?hsCode=85.17.13.00&countryCode=502".to_string(),
        "/skill/history?hsCode=........&countryCode=502".to_string(),
    ];
    for target in &hostile {
        let (status, body, _) = get(&router, target).await;
        assert!(status.as_u16() < 500, "{target}: {status} {body}");
        let v: Value =
            serde_json::from_str(&body).unwrap_or_else(|_| panic!("{target}: not JSON: {body}"));
        assert_eq!(v["code"], status.as_u16(), "{target}");
    }
}

#[tokio::test]
async fn openapi_describes_every_endpoint_and_parameter() {
    let router = router();
    let (status, body, _) = get(&router, "/openapi.json").await;
    assert_eq!(status, StatusCode::OK);
    let doc: Value = serde_json::from_str(&body).unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    // A `$ref` stands for its component.
    let resolve = |v: &Value| -> Value {
        let v = v["oneOf"]
            .as_array()
            .and_then(|alts| alts.iter().find(|a| a["type"] != "null"))
            .unwrap_or(v);
        match v["$ref"].as_str() {
            Some(r) => {
                doc["components"]["schemas"][r.trim_start_matches("#/components/schemas/")].clone()
            }
            None => v.clone(),
        }
    };
    for endpoint in cnexport_api::Endpoint::ALL.map(|e| e.path()) {
        let op = &doc["paths"][endpoint]["get"];
        assert!(op.is_object(), "{endpoint} missing from /openapi.json");
        let params = op["parameters"].as_array().unwrap();
        // A valid request from the documented examples of the required parameters.
        let required: Vec<String> = params
            .iter()
            .filter(|p| p["required"] == true)
            .map(|p| {
                format!(
                    "{}={}",
                    p["name"].as_str().unwrap(),
                    p["example"].as_str().unwrap()
                )
            })
            .collect();
        let base = format!("{endpoint}?{}", required.join("&"));
        let (status, body, _) = get(&router, &base).await;
        assert_eq!(status, StatusCode::OK, "{base}: {body}");
        let data = serde_json::from_str::<Value>(&body).unwrap()["data"].clone();
        // Every documented response field is in the answer, and nothing else.
        let schema =
            &op["responses"]["200"]["content"]["application/json"]["schema"]["properties"]["data"];
        let props = if schema["type"] == "array" {
            resolve(&schema["items"])["properties"].clone()
        } else {
            resolve(schema)["properties"].clone()
        };
        let entry = if data.is_array() {
            data[0].clone()
        } else {
            data.clone()
        };
        for key in entry.as_object().unwrap().keys() {
            assert!(
                props.get(key).is_some(),
                "{endpoint}: field {key} is sent but not documented"
            );
        }
        for (key, p) in props.as_object().unwrap() {
            // The description of a `$ref` sits beside it in a oneOf.
            let alternatives = p["oneOf"].as_array().cloned().unwrap_or_default();
            let optional = std::iter::once(p).chain(&alternatives).any(|s| {
                s["description"]
                    .as_str()
                    .is_some_and(|d| d.contains("only"))
            });
            assert!(
                optional || entry.get(key).is_some(),
                "{endpoint}: documented field {key} is not sent"
            );
        }
        // Every enum value of every optional parameter is accepted.
        for p in params.iter().filter(|p| p["required"] == false) {
            let name = p["name"].as_str().unwrap();
            let values: Vec<String> = match p["schema"]["enum"].as_array() {
                Some(e) => e
                    .iter()
                    .map(|v| v.to_string().trim_matches('"').to_string())
                    .collect(),
                // The parameter's example, else its schema's first example
                // or default.
                None => {
                    let example = [
                        &p["example"],
                        &p["schema"]["examples"][0],
                        &p["schema"]["default"],
                    ]
                    .into_iter()
                    .find(|v| !v.is_null())
                    .unwrap_or_else(|| panic!("{endpoint}: {name} has no example"));
                    vec![example.to_string().trim_matches('"').to_string()]
                }
            };
            for v in values {
                let target = format!("{base}&{name}={v}");
                let (status, body, _) = get(&router, &target).await;
                assert_eq!(status, StatusCode::OK, "{target}: {body}");
            }
        }
    }
}

#[tokio::test]
async fn cors_and_gzip() {
    let router = router();
    let req = Request::builder()
        .uri("/skill/markets?hsCode=85")
        .header("Origin", "https://example.org")
        .header("Accept-Encoding", "gzip")
        .body(Body::empty())
        .unwrap();
    let resp = router.clone().oneshot(req).await.unwrap();
    assert_eq!(
        resp.headers().get("access-control-allow-origin").unwrap(),
        "*"
    );
    assert_eq!(resp.headers().get("content-encoding").unwrap(), "gzip");
    let (status, body, _) = get(&router, "/healthz").await;
    assert_eq!(status, StatusCode::OK);
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["dataMonth"], "202506");
    assert_eq!(v["inputDigest"].as_str().unwrap().len(), 64);
}

// ---- a real server -------------------------------------------------------

/// One HTTP/1.1 GET over a fresh connection: (status, body).
fn http_get(addr: &str, target: &str) -> std::io::Result<(u16, String)> {
    let mut stream = TcpStream::connect(addr)?;
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    write!(
        stream,
        "GET {target} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw)?;
    let text = String::from_utf8_lossy(&raw).to_string();
    let status: u16 = text
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    Ok((status, body))
}

struct Server {
    child: std::process::Child,
    addr: String,
}

fn start_server(db: &Path, log: &Path) -> Server {
    start_server_with(db, log, &[])
}

fn start_server_with(db: &Path, log: &Path, extra: &[&str]) -> Server {
    let mut child = cnexport()
        .args(["serve", "--addr", "127.0.0.1:0", "--db"])
        .arg(db)
        .arg("--access-log")
        .arg(log)
        .args(extra)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let mut lines = BufReader::new(stderr).lines();
    let addr = loop {
        let line = lines.next().expect("server exited").unwrap();
        if let Some(rest) = line.split("listening on http://").nth(1) {
            break rest.trim().to_string();
        }
    };
    // Keep draining stderr so the server never blocks on it.
    std::thread::spawn(move || for _ in lines {});
    Server { child, addr }
}

fn sigterm(pid: u32) {
    let ok = Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .unwrap()
        .success();
    assert!(ok);
}

#[test]
fn a_real_server_survives_database_swaps_and_logs_every_request() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("served.db");
    let log = dir.path().join("access.db");
    build(&sample_dir(), &db, &dir.path().join("stage-a"));
    let server = start_server(&db, &log);

    let stop = Arc::new(AtomicBool::new(false));
    let sent = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicU64::new(0));
    let clients: Vec<_> = (0..4)
        .map(|i| {
            let (addr, stop, sent, failed) = (
                server.addr.clone(),
                stop.clone(),
                sent.clone(),
                failed.clone(),
            );
            std::thread::spawn(move || {
                let targets = [
                    "/skill/history?hsCode=12019020&countryCode=502",
                    "/skill/topProducts?sortBy=amount&minAmount=0",
                    "/skill/markets?hsCode=12",
                    "/skill/dashboard?hsCode=12",
                ];
                let mut n = 0usize;
                while !stop.load(Ordering::Relaxed) {
                    let target = targets[(n + i) % targets.len()];
                    n += 1;
                    sent.fetch_add(1, Ordering::Relaxed);
                    match http_get(&addr, target) {
                        // Both databases hold chapter 12 and the pair 12019020/502
                        // (the sample has it? no: 404 is a valid answer there), so
                        // a complete JSON answer of 200 or 404 is a success.
                        Ok((status, body))
                            if (status == 200 || status == 404) && body.ends_with('}') =>
                        {
                            let _: Value = serde_json::from_str(&body).unwrap();
                        }
                        other => {
                            eprintln!("failed: {target}: {other:?}");
                            failed.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                }
            })
        })
        .collect();

    // Swap the database under load: real downloads, then the sample again.
    std::thread::sleep(Duration::from_millis(300));
    build(&realdata_dir(), &db, &dir.path().join("stage-b"));
    std::thread::sleep(Duration::from_millis(1200));
    let (_, health) = http_get(&server.addr, "/healthz").unwrap();
    let health: Value = serde_json::from_str(&health).unwrap();
    assert_eq!(
        health["dataMonth"], "202510",
        "the server did not switch to the new database"
    );
    build(&sample_dir(), &db, &dir.path().join("stage-a"));
    std::thread::sleep(Duration::from_millis(1200));
    let (_, health) = http_get(&server.addr, "/healthz").unwrap();
    let health: Value = serde_json::from_str(&health).unwrap();
    assert_eq!(health["dataMonth"], "202506");
    stop.store(true, Ordering::Relaxed);
    for c in clients {
        c.join().unwrap();
    }
    let mut child = server.child;
    sigterm(child.id());
    let status = child.wait().unwrap();
    assert!(status.success(), "server exit: {status:?}");

    let sent = sent.load(Ordering::Relaxed);
    assert!(sent > 50, "only {sent} requests");
    assert_eq!(
        failed.load(Ordering::Relaxed),
        0,
        "failed requests out of {sent}"
    );
    let conn = rusqlite::Connection::open(&log).unwrap();
    let rows: i64 = conn
        .query_row("SELECT count(*) FROM hs_skill_access_log", [], |r| r.get(0))
        .unwrap();
    assert_eq!(
        rows as u64, sent,
        "access-log rows vs requests to the endpoints"
    );
    let distinct: i64 = conn
        .query_row(
            "SELECT count(DISTINCT id) FROM hs_skill_access_log",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(distinct, rows);
}

#[test]
fn a_burst_then_sigterm_leaves_exactly_n_log_rows() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("served.db");
    let log = dir.path().join("access.db");
    build(&realdata_dir(), &db, &dir.path().join("stage"));
    let server = start_server(&db, &log);
    let n = 400;
    let threads: Vec<_> = (0..8)
        .map(|t| {
            let addr = server.addr.clone();
            std::thread::spawn(move || {
                for i in 0..n / 8 {
                    // Distinct requests (no answer comes from the cache);
                    // the API refuses parameters it does not declare.
                    let limit = 1 + t * (n / 8) + i;
                    let (status, _) = http_get(
                        &addr,
                        &format!("/skill/markets?hsCode=12019020&limit={limit}"),
                    )
                    .unwrap();
                    assert_eq!(status, 200);
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    // Requests that are not to the endpoints are not logged.
    http_get(&server.addr, "/healthz").unwrap();
    let mut child = server.child;
    sigterm(child.id());
    assert!(child.wait().unwrap().success());
    let conn = rusqlite::Connection::open(&log).unwrap();
    let rows: i64 = conn
        .query_row("SELECT count(*) FROM hs_skill_access_log", [], |r| r.get(0))
        .unwrap();
    assert_eq!(rows, n as i64);
    let (path, par, status, ip): (String, String, i64, String) = conn
        .query_row(
            "SELECT path, par, status, ip FROM hs_skill_access_log LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .unwrap();
    assert_eq!(path, "/skill/markets");
    assert!(par.starts_with("hsCode=12019020&limit="));
    assert_eq!(status, 200);
    assert_eq!(ip, "127.0.0.1");
}

#[test]
fn sighup_switches_at_once_and_anonymised_ips() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("served.db");
    let log = dir.path().join("access.db");
    build(&realdata_dir(), &db, &dir.path().join("stage-b"));
    // A watch interval of an hour: only SIGHUP can make it switch.
    let server = start_server_with(
        &db,
        &log,
        &["--watch-interval-ms", "3600000", "--anonymize-ip"],
    );
    let month = |addr: &str| {
        let (_, h) = http_get(addr, "/healthz").unwrap();
        serde_json::from_str::<Value>(&h).unwrap()["dataMonth"].clone()
    };
    assert_eq!(month(&server.addr), "202510");
    build(&sample_dir(), &db, &dir.path().join("stage-a"));
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(month(&server.addr), "202510", "switched without SIGHUP");
    let ok = Command::new("kill")
        .args(["-HUP", &server.child.id().to_string()])
        .status()
        .unwrap()
        .success();
    assert!(ok);
    let mut switched = false;
    for _ in 0..100 {
        if month(&server.addr) == "202506" {
            switched = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(switched, "SIGHUP did not switch the database");
    http_get(&server.addr, "/skill/topProducts").unwrap();
    let mut child = server.child;
    sigterm(child.id());
    assert!(child.wait().unwrap().success());
    let conn = rusqlite::Connection::open(&log).unwrap();
    let ip: String = conn
        .query_row("SELECT ip FROM hs_skill_access_log", [], |r| r.get(0))
        .unwrap();
    assert_eq!(ip, "127.0.0.0");
}

#[tokio::test]
async fn etag_revalidation_and_total_count() {
    let router = router();
    let req = |target: &str, etag: Option<&str>| {
        let mut b = Request::builder().uri(target);
        if let Some(t) = etag {
            b = b.header("If-None-Match", t);
        }
        b.body(Body::empty()).unwrap()
    };
    let target = "/skill/markets?hsCode=8517&limit=3";
    let resp = router.clone().oneshot(req(target, None)).await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let etag = resp.headers()["etag"].to_str().unwrap().to_string();
    assert!(etag.starts_with("W/\""), "{etag}");
    assert_eq!(resp.headers()["cache-control"], "no-cache");
    let total: usize = resp.headers()["x-total-count"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    let body = axum::body::to_bytes(resp.into_body(), 1 << 24)
        .await
        .unwrap();
    let v: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(v["data"].as_array().unwrap().len(), 3);
    // X-Total-Count is the number of rows before limit: the full list.
    let (_, all, _) = get(&router, "/skill/markets?hsCode=8517&limit=1000").await;
    let all: Value = serde_json::from_str(&all).unwrap();
    assert_eq!(total, all["data"].as_array().unwrap().len());
    assert!(total > 3);

    // The same ETag back: 304 with no body; a different one, or another
    // request: 200.
    let resp = router
        .clone()
        .oneshot(req(target, Some(&etag)))
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::NOT_MODIFIED);
    assert_eq!(resp.headers()["etag"].to_str().unwrap(), etag);
    let body = axum::body::to_bytes(resp.into_body(), 1 << 10)
        .await
        .unwrap();
    assert!(body.is_empty());
    let resp = router
        .clone()
        .oneshot(req(target, Some("W/\"0000000000000000-0000000000000000\"")))
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let other = router
        .clone()
        .oneshot(req("/skill/markets?hsCode=8517&limit=4", None))
        .await
        .unwrap();
    assert_ne!(other.headers()["etag"].to_str().unwrap(), etag);
    // Errors carry no ETag.
    let bad = router
        .clone()
        .oneshot(req("/skill/markets?hsCode=x", None))
        .await
        .unwrap();
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
    assert!(bad.headers().get("etag").is_none());
}

#[tokio::test]
async fn countries_meta_and_iso3() {
    let router = router();
    let (status, body, _) = get(&router, "/skill/countries").await;
    assert_eq!(status, StatusCode::OK);
    let v: Value = serde_json::from_str(&body).unwrap();
    let us = v["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["countryCode"] == "502")
        .unwrap()
        .clone();
    assert_eq!(us["iso3"], "USA");
    assert_eq!(us["iso2"], "US");
    assert_eq!(us["m49"], "840");
    assert_eq!(us["tradeTags"], serde_json::json!(["美墨加"]));
    // ISO3 in any case answers as the customs code; an unknown one is a 400.
    let (s1, by_code, _) = get(&router, "/skill/trend?hsCode=85171300&countryCode=502").await;
    let (s2, by_iso, _) = get(&router, "/skill/trend?hsCode=85171300&countryCode=usa").await;
    assert_eq!((s1, s2), (StatusCode::OK, StatusCode::OK));
    assert_eq!(by_code, by_iso);
    let (s, body, _) = get(&router, "/skill/trend?hsCode=85171300&countryCode=XYZ").await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{body}");
    assert!(body.contains("countryCode"), "{body}");
    // Meta: the sample's months, and "is month X in?".
    let (s, body, _) = get(&router, "/skill/meta?month=202506").await;
    assert_eq!(s, StatusCode::OK);
    let m: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(m["data"]["latestMonth"], "202506");
    assert_eq!(m["data"]["monthPresent"], true);
    assert_eq!(m["data"]["unit"], "元");
    assert!(m["data"]["buildTime"].as_str().unwrap().ends_with('Z'));
    assert_eq!(m["data"]["inputDigest"].as_str().unwrap().len(), 64);
    let (_, body, _) = get(&router, "/skill/meta?month=202507").await;
    let m: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(m["data"]["monthStatus"], "afterLatest");
    let (s, _, _) = get(&router, "/skill/meta?month=2025").await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn the_rate_limit_refuses_an_address_over_it_and_no_other() {
    use axum::extract::ConnectInfo;
    use std::net::SocketAddr;
    let db = Arc::new(cnexport_serve::db::ServedDb::open(sample_db()).unwrap());
    let router = cnexport_serve::app(
        cnexport_serve::AppState {
            db,
            log: None,
            // 1 a second, bursts of 2.
            limiter: Some(Arc::new(cnexport_serve::rate_limit::RateLimiter::new(1))),
        },
        Duration::from_secs(10),
    );
    let from = |addr: &str| {
        let mut req = Request::builder()
            .uri("/skill/meta")
            .body(Body::empty())
            .unwrap();
        req.extensions_mut()
            .insert(ConnectInfo(addr.parse::<SocketAddr>().unwrap()));
        req
    };
    let mut statuses = Vec::new();
    for _ in 0..3 {
        let resp = router.clone().oneshot(from("10.1.2.3:5000")).await.unwrap();
        statuses.push(resp.status());
        if resp.status() == StatusCode::TOO_MANY_REQUESTS {
            assert_eq!(resp.headers()["retry-after"], "1");
            let body = axum::body::to_bytes(resp.into_body(), 1 << 16)
                .await
                .unwrap();
            let v: Value = serde_json::from_slice(&body).unwrap();
            assert_eq!(v["code"], 429);
            assert!(v["message"].as_str().unwrap().contains("rate limit"));
        }
    }
    // Within a second, at most the burst of 2 passes (a slow machine may
    // refill a token between requests, never more than one).
    let refused = statuses
        .iter()
        .filter(|s| **s == StatusCode::TOO_MANY_REQUESTS)
        .count();
    assert!(statuses[0] == StatusCode::OK && statuses[1] == StatusCode::OK);
    assert!(refused <= 1);
    let mut n_refused = refused;
    for _ in 0..5 {
        let resp = router.clone().oneshot(from("10.1.2.3:5001")).await.unwrap();
        if resp.status() == StatusCode::TOO_MANY_REQUESTS {
            n_refused += 1;
        }
    }
    assert!(n_refused >= 1, "{statuses:?}: never refused");
    // Another address has its own bucket.
    let resp = router.clone().oneshot(from("10.9.9.9:5000")).await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
}

#[tokio::test]
async fn answers_are_cached_per_build_and_a_swap_starts_afresh() {
    // A copy of the sample database that a "new build" (the real downloads)
    // replaces by rename, as `cnexport build` does.
    let dir = tempfile::tempdir().unwrap();
    let served = dir.path().join("served.db");
    std::fs::copy(sample_db(), &served).unwrap();
    let next = dir.path().join("next.db");
    build(&realdata_dir(), &next, &dir.path().join("stage"));
    let db = Arc::new(cnexport_serve::db::ServedDb::open(&served).unwrap());
    let router = cnexport_serve::app(
        cnexport_serve::AppState {
            db: db.clone(),
            log: None,
            limiter: None,
        },
        Duration::from_secs(10),
    );
    let target = "/skill/meta";
    let (s1, first, _) = get(&router, target).await;
    let (s2, again, _) = get(&router, target).await;
    assert_eq!((s1, s2), (StatusCode::OK, StatusCode::OK));
    assert_eq!(first, again);
    assert_eq!(db.current().cache.usage().0, 1, "one answer cached");
    // Errors are cached too (they are answers of the build), server errors never.
    let (s, _, _) = get(&router, "/skill/history?hsCode=1").await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(db.current().cache.usage().0, 2);

    std::fs::rename(&next, &served).unwrap();
    assert!(matches!(
        db.reload(false),
        cnexport_serve::db::Reload::Switched { .. }
    ));
    assert_eq!(db.current().cache.usage().0, 0, "a new build, a new cache");
    let (s, after, _) = get(&router, target).await;
    assert_eq!(s, StatusCode::OK);
    let conn = rusqlite::Connection::open(&served).unwrap();
    assert_eq!(after, cnexport_api::answer(&conn, target).body_string());
    assert_ne!(after, first, "the new build's answer, not the cached one");
}
