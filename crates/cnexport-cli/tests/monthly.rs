//! The monthly batch run against a listing server on 127.0.0.1:
//! `cnexport run pipelines/monthly.toml` fetches the linked bulletins,
//! builds a database whose answers equal the generator's truth, and a second
//! run with nothing new parses nothing and leaves a byte-identical database.

use axum::body::Body;
use axum::extract::{Path as UrlPath, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;
use std::sync::Arc;

type Files = Arc<BTreeMap<String, Vec<u8>>>;

async fn listing(State(files): State<Files>) -> Html<String> {
    let mut page = String::from("<html><body><h1>bulletins</h1><ul>");
    for name in files.keys() {
        page.push_str(&format!("<li><a href=\"files/{name}\">{name}</a></li>"));
    }
    page.push_str("<li><a href=\"/about.pdf\">about</a></li><li><a href=\"mailto:x@example.org\">mail</a></li></ul></body></html>");
    Html(page)
}

async fn file(State(files): State<Files>, UrlPath(name): UrlPath<String>) -> Response {
    match files.get(&name) {
        Some(bytes) => Response::new(Body::from(bytes.clone())),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

fn start_listing_server(files: Files) -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let app = Router::new()
                .route("/bulletins/", get(listing))
                .route("/bulletins/files/{name}", get(file))
                .with_state(files);
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            axum::serve(listener, app).await.unwrap();
        });
    });
    format!("http://{addr}/bulletins/")
}

fn run_monthly(source: &str, into: &Path, db: &Path) -> std::process::Output {
    let pipeline = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../pipelines/monthly.toml");
    Command::new(env!("CARGO_BIN_EXE_cnexport"))
        .arg("run")
        .arg(pipeline)
        .args(["--source", source, "--into"])
        .arg(into)
        .arg("--db")
        .arg(db)
        .output()
        .unwrap()
}

#[test]
fn the_monthly_pipeline_fetches_builds_and_reruns_identically() {
    let generated = cnexport_samplegen::generate(&cnexport_samplegen::GenConfig::small(99));
    // The listing serves every generated bulletin under a flat name; the
    // release order is the fetch order of one release folder, so keep the
    // generator's order in the names.
    let files: BTreeMap<String, Vec<u8>> = generated
        .files
        .iter()
        .filter(|(rel, _)| !rel.ends_with("README.md"))
        .map(|(rel, bytes)| (rel.replace('/', "_"), bytes.clone()))
        .collect();
    let source = start_listing_server(Arc::new(files.clone()));
    let dir = tempfile::tempdir().unwrap();
    let into = dir.path().join("raw");
    let db = dir.path().join("monthly.db");

    let first = run_monthly(&source, &into, &db);
    let stderr = String::from_utf8_lossy(&first.stderr).to_string();
    assert!(first.status.success(), "{stderr}");
    // Exactly the linked bulletins were fetched.
    let mut fetched: Vec<String> = Vec::new();
    for entry in std::fs::read_dir(&into).unwrap().flatten() {
        if entry.path().is_dir() {
            for f in std::fs::read_dir(entry.path()).unwrap().flatten() {
                fetched.push(f.file_name().to_string_lossy().to_string());
            }
        }
    }
    fetched.sort();
    assert_eq!(fetched, files.keys().cloned().collect::<Vec<_>>());

    // Answers agree with the generator's truth.
    let conn =
        rusqlite::Connection::open_with_flags(&db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .unwrap();
    let latest = generated.truth.keys().map(|k| k.0).max().unwrap();
    let pairs: std::collections::BTreeSet<_> = generated.truth.keys().map(|k| (k.1, k.2)).collect();
    for (hs, c) in pairs {
        let r = cnexport_api::answer(&conn, &format!("/skill/trend?hsCode={hs}&countryCode={c}"));
        assert_eq!(r.status, 200);
        for (i, e) in r.body["data"]["monthlyData"]
            .as_array()
            .unwrap()
            .iter()
            .enumerate()
        {
            let m = latest.minus(11 - i as i64);
            let want = generated
                .truth
                .get(&(m, hs, c))
                .map(|t| t.value)
                .unwrap_or(0);
            assert_eq!(e["amount"], want, "{hs} {c} {m}");
        }
    }
    drop(conn);

    // A second run: nothing new is downloaded or parsed; the same bytes.
    let before = std::fs::read(&db).unwrap();
    let second = run_monthly(&source, &into, &db);
    let stderr = String::from_utf8_lossy(&second.stderr).to_string();
    assert!(second.status.success(), "{stderr}");
    assert!(stderr.contains("(0 parsed"), "{stderr}");
    assert_eq!(std::fs::read(&db).unwrap(), before);
}

#[test]
fn a_failing_source_exits_non_zero_naming_it_and_keeps_the_database() {
    let dir = tempfile::tempdir().unwrap();
    let into = dir.path().join("raw");
    let db = dir.path().join("x.db");
    // Nothing listens on port 9 of 127.0.0.1.
    let out = run_monthly("http://127.0.0.1:9/bulletins/", &into, &db);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("127.0.0.1:9"), "{stderr}");
}
