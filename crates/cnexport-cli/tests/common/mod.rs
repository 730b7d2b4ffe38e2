//! What the integration tests share: the binary, the sample and real data,
//! a build that must succeed, and the sample database built once per test
//! binary. Each test file uses the part it needs.
#![allow(dead_code)]

use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
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

/// `cnexport build --input INPUT --db DB [--stage STAGE]`, which must succeed.
pub fn build(input: &Path, db: &Path, stage: Option<&Path>) -> Output {
    build_with_args(input, db, stage, &[])
}

/// The same with more arguments (`--incremental`, `--report FILE`...).
pub fn build_with_args(
    input: &Path,
    db: &Path,
    stage: Option<&Path>,
    extra: &[&std::ffi::OsStr],
) -> Output {
    let mut cmd = cnexport();
    cmd.args(["build", "--input"])
        .arg(input)
        .arg("--db")
        .arg(db);
    if let Some(stage) = stage {
        cmd.arg("--stage").arg(stage);
    }
    cmd.args(extra);
    let out = cmd.output().expect("run cnexport build");
    assert!(
        out.status.success(),
        "cnexport build failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// The sample database, built once per test binary.
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
