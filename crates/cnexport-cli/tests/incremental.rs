//! `cnexport build --incremental`: monthly runs that add release files
//! update the previous database to exactly the rows a full build writes
//! (every table compared, row by row), on the sample bulletins and on
//! generated bulletins with restatements; anything else is a full build.

use crate::common::{build_with, sample_dir, sha256};
use rusqlite::types::Value;
use rusqlite::Connection;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Builds (in process), which must succeed; returns the report as the
/// JSON that `cnexport build --report` writes.
fn build(input: &Path, db: &Path, stage: &Path, incremental: bool) -> serde_json::Value {
    let report = build_with(input, db, Some(stage), |o| o.incremental = incremental);
    serde_json::to_value(&report).expect("report JSON")
}

/// Every row of every table (and the schema), as text, sorted: what two
/// databases must agree on to answer every query the same.
fn contents(db: &Path) -> BTreeMap<String, Vec<String>> {
    let conn = Connection::open(db).expect("open");
    let mut out = BTreeMap::new();
    let schema: Vec<String> = conn
        .prepare("SELECT type || ' ' || name || ' ' || ifnull(sql, '') FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY name")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let tables: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    out.insert("(schema)".to_string(), schema);
    for t in tables {
        let mut st = conn.prepare(&format!("SELECT * FROM {t}")).unwrap();
        let n = st.column_count();
        let mut rows: Vec<String> = st
            .query_map([], |r| {
                let cells: Vec<Value> = (0..n).map(|i| r.get(i)).collect::<Result<_, _>>()?;
                Ok(format!("{cells:?}"))
            })
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        rows.sort();
        out.insert(t, rows);
    }
    out
}

fn assert_same_rows(incremental: &Path, full: &Path, what: &str) {
    let (a, b) = (contents(incremental), contents(full));
    assert_eq!(
        a.keys().collect::<Vec<_>>(),
        b.keys().collect::<Vec<_>>(),
        "{what}: tables"
    );
    for (table, rows) in &a {
        let other = &b[table];
        if rows != other {
            let only_a: Vec<_> = rows.iter().filter(|r| !other.contains(r)).take(3).collect();
            let only_b: Vec<_> = other.iter().filter(|r| !rows.contains(r)).take(3).collect();
            panic!(
                "{what}: table {table} differs ({} vs {} rows)\n only incremental: {only_a:#?}\n only full: {only_b:#?}",
                rows.len(),
                other.len()
            );
        }
    }
    let conn = Connection::open(incremental).unwrap();
    let check: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(check, "ok", "{what}");
}

/// The release folders (and loose files) of a landing folder, in order.
fn releases(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    v.sort();
    v
}

fn copy_into(from: &Path, to: &Path) {
    if from.is_dir() {
        std::fs::create_dir_all(to).unwrap();
        for e in std::fs::read_dir(from).unwrap().flatten() {
            copy_into(&e.path(), &to.join(e.file_name()));
        }
    } else {
        std::fs::copy(from, to).unwrap();
    }
}

/// Adds the releases of `source` one by one (after the first `start`) and
/// runs an incremental build after each, comparing it with a full build
/// of the same files. Returns the modes the incremental builds reported.
fn monthly_runs(source: &Path, start: usize, work: &Path) -> Vec<String> {
    let all = releases(source);
    assert!(
        all.len() > start,
        "{} has too few releases",
        source.display()
    );
    let landing = work.join("landing");
    std::fs::create_dir_all(&landing).unwrap();
    let (inc_db, inc_stage) = (work.join("served.db"), work.join("stage"));
    let mut modes = Vec::new();
    // Loose files (a README) are there from the start; each folder is a release.
    for loose in all.iter().filter(|p| !p.is_dir()) {
        copy_into(loose, &landing.join(loose.file_name().unwrap()));
    }
    let all: Vec<&PathBuf> = all.iter().filter(|p| p.is_dir()).collect();
    for (i, release) in all.iter().enumerate() {
        copy_into(release, &landing.join(release.file_name().unwrap()));
        if i + 1 < start {
            continue;
        }
        let report = build(&landing, &inc_db, &inc_stage, true);
        let mode = report["load_mode"].as_str().unwrap().to_string();
        let full_db = work.join(format!("full-{i}.db"));
        build(
            &landing,
            &full_db,
            &work.join(format!("full-stage-{i}")),
            false,
        );
        assert_same_rows(
            &inc_db,
            &full_db,
            &format!(
                "after adding {} ({mode}: {})",
                release.display(),
                report["load_note"]
            ),
        );
        std::fs::remove_file(&full_db).unwrap();
        modes.push(mode);
    }
    modes
}

#[test]
fn monthly_runs_on_the_sample_give_the_rows_of_a_full_build() {
    let dir = tempfile::tempdir().unwrap();
    let modes = monthly_runs(&sample_dir(), 4, dir.path());
    assert_eq!(modes[0], "full", "the first build has no previous database");
    assert!(
        modes[1..].iter().all(|m| m == "incremental"),
        "every later release is an update: {modes:?}"
    );

    // Nothing new: the file is left as it was.
    let (landing, db, stage) = (
        dir.path().join("landing"),
        dir.path().join("served.db"),
        dir.path().join("stage"),
    );
    let before = sha256(&db);
    let report = build(&landing, &db, &stage, true);
    assert_eq!(report["load_mode"], "up to date");
    assert_eq!(sha256(&db), before);

    // An earlier file changed: not an update, a full build.
    let first = releases(&landing)[0].clone();
    let file = releases(&first)
        .into_iter()
        .find(|p| p.extension().is_some_and(|e| e == "csv"))
        .expect("a csv in the first release");
    let mut text = std::fs::read(&file).unwrap();
    text.extend_from_slice(b"\n");
    std::fs::write(&file, text).unwrap();
    let report = build(&landing, &db, &stage, true);
    assert_eq!(report["load_mode"], "full", "{}", report["load_note"]);
    let full_db = dir.path().join("check.db");
    build(&landing, &full_db, &dir.path().join("check-stage"), false);
    assert_eq!(
        sha256(&db),
        sha256(&full_db),
        "a full build is byte-identical"
    );
}

#[test]
fn monthly_runs_on_generated_bulletins_with_restatements() {
    // Generated releases restate earlier months, per province and in total,
    // and bring new codes and partners: the held-out case.
    for seed in [11u64, 4242] {
        let g = cnexport_samplegen::generate(&cnexport_samplegen::GenConfig::small(seed));
        let dir = tempfile::tempdir().unwrap();
        let source = dir.path().join("source");
        cnexport_testkit::write_tree(&source, g.files.iter().map(|(rel, bytes)| (rel, bytes)));
        let n = releases(&source).len();
        let modes = monthly_runs(
            &source,
            n.saturating_sub(4).max(1),
            &dir.path().join("work"),
        );
        assert!(
            modes.iter().filter(|m| *m == "incremental").count() >= 2,
            "seed {seed}: {modes:?}"
        );
    }
}

#[test]
fn without_the_flag_a_build_writes_a_new_file() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("a.db");
    let stage = dir.path().join("stage");
    let first = build(&sample_dir(), &db, &stage, false);
    assert_eq!(first["load_mode"], "full");
    assert!(first["load_note"].is_null());
    let before = sha256(&db);
    let again = build(&sample_dir(), &db, &stage, false);
    assert_eq!(again["load_mode"], "full");
    assert_eq!(sha256(&db), before, "byte-identical rebuild");
}
