//! What the integration tests share: the binary, the sample and real data,
//! a build that must succeed (in-process, through the pipeline library),
//! and the sample database built once for all the tests.

use cnexport_pipeline::{BuildOptions, BuildReport};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// The `cnexport` binary of this build.
pub fn cnexport() -> Command {
    Command::new(env!("CARGO_BIN_EXE_cnexport"))
}

/// The repository's sample bulletins.
pub fn sample_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../sample_data")
}

/// The real platform downloads kept as test fixtures.
pub fn realdata_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../cnexport-ingest/tests/fixtures/realdata")
}

/// sha256 of a file, hex.
pub fn sha256(path: &Path) -> String {
    hex::encode(Sha256::digest(std::fs::read(path).expect("read")))
}

/// Builds `db` from `input` (staging in `stage`, default beside the db)
/// in this process, as `cnexport build` does; panics when it fails.
pub fn build(input: &Path, db: &Path, stage: Option<&Path>) -> BuildReport {
    build_with(input, db, stage, |_| {})
}

/// The same, with options set by `configure` (`incremental`, ...).
pub fn build_with(
    input: &Path,
    db: &Path,
    stage: Option<&Path>,
    configure: impl FnOnce(&mut BuildOptions),
) -> BuildReport {
    let mut opts = BuildOptions::new(input, db);
    opts.stage = stage.map(Path::to_path_buf);
    configure(&mut opts);
    cnexport_pipeline::build(&opts)
        .unwrap_or_else(|e| panic!("the build of {} failed: {e}", db.display()))
}

/// The sample database, built once for every test.
pub fn sample_db() -> &'static Path {
    static DB: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    &DB.get_or_init(|| {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = dir.path().join("sample.db");
        build(&sample_dir(), &db, Some(&dir.path().join("stage")));
        (dir, db)
    })
    .1
}

/// The whole HTTP router over the sample database, for in-process requests
/// (`oneshot`): no access log, no rate limit, a 10 s request timeout.
pub fn router() -> axum::Router {
    let db = std::sync::Arc::new(cnexport_serve::db::ServedDb::open(sample_db()).expect("open"));
    cnexport_serve::app(
        cnexport_serve::AppState {
            db,
            log: None,
            limiter: None,
        },
        std::time::Duration::from_secs(10),
    )
}

/// One HTTP/1.1 request to a server on `addr`, on a fresh connection
/// (`Connection: close`; `headers` are extra lines, each ending in CRLF):
/// the status and the whole raw answer (head and body).
pub fn http(addr: &str, method: &str, target: &str, headers: &str, body: &str) -> (u16, String) {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(std::time::Duration::from_secs(60)))
        .unwrap();
    write!(
        s,
        "{method} {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n{headers}Content-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut raw = String::new();
    s.read_to_string(&mut raw).unwrap();
    let status = raw
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    (status, raw)
}

/// The address a `cnexport serve --addr 127.0.0.1:0` child (its stderr
/// piped) says it listens on, and the rest of its stderr lines.
pub fn listening_addr(
    child: &mut std::process::Child,
) -> (
    String,
    std::io::Lines<std::io::BufReader<std::process::ChildStderr>>,
) {
    use std::io::BufRead;
    let mut lines = std::io::BufReader::new(child.stderr.take().unwrap()).lines();
    let addr = loop {
        let line = lines.next().expect("server exited").unwrap();
        if let Some(rest) = line.split("listening on http://").nth(1) {
            break rest.trim().to_string();
        }
    };
    (addr, lines)
}
