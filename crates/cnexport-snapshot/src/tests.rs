//! End-to-end tests of `export_all` on a small database with every kind of
//! cell.

use super::*;
use crate::manifest::ColumnEntry;
use parquet::file::reader::{FileReader, SerializedFileReader};
use parquet::record::{Field, RowAccessor};
use rusqlite::Connection;
use sha2::{Digest, Sha256};
use std::fs::File;
use std::path::{Path, PathBuf};

/// A small database with every kind of cell: NULLs, empty and awkward
/// text, reals, a rowid table without a key, a WITHOUT ROWID table.
fn sample_db(dir: &Path) -> PathBuf {
    let path = dir.join("t.db");
    let conn = Connection::open(&path).unwrap();
    conn.execute_batch(
        "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
         INSERT INTO meta VALUES ('input_digest', 'abc'), ('data_latest_month', '202510'), ('schema_version', '2');
         CREATE TABLE facts (code TEXT NOT NULL, month INTEGER NOT NULL, value INTEGER NOT NULL,
                             rate REAL, unit TEXT, PRIMARY KEY (code, month)) WITHOUT ROWID;
         CREATE TABLE log (line INTEGER NOT NULL, raw TEXT NOT NULL);
         CREATE TABLE files (id INTEGER PRIMARY KEY, path TEXT NOT NULL);
         CREATE TABLE empty (a INTEGER, b TEXT);
         INSERT INTO log VALUES (3, 'a,b'), (1, 'say \"hi\"'), (2, ''), (5, 'two
lines'), (4, '美国');
         INSERT INTO files VALUES (2, 'b.csv'), (1, 'a.csv');
         ANALYZE;",
    )
    .unwrap();
    let tx = conn.unchecked_transaction().unwrap();
    let mut st = tx
        .prepare("INSERT INTO facts VALUES (?1, ?2, ?3, ?4, ?5)")
        .unwrap();
    for i in 0..2500i64 {
        let rate = if i % 7 == 0 {
            None
        } else {
            Some(i as f64 / 8.0 - 100.0)
        };
        let unit = if i % 3 == 0 {
            None
        } else {
            Some(format!("u{}", i % 5))
        };
        st.execute(rusqlite::params![
            format!("{:08}", 9999 - i / 10),
            202001 + (i % 10),
            i * 1_000_000_007,
            rate,
            unit
        ])
        .unwrap();
    }
    drop(st);
    tx.commit().unwrap();
    path
}

type FactRow = (String, i64, i64, Option<f64>, Option<String>);

fn options(format: SnapshotFormat) -> SnapshotOptions {
    SnapshotOptions {
        row_group_rows: 1000, // several row groups for `facts`
        ..SnapshotOptions::new(format)
    }
}

#[test]
fn csv_snapshot_holds_every_row_in_key_order() {
    let dir = tempfile::tempdir().unwrap();
    let db = sample_db(dir.path());
    let out = dir.path().join("snap");
    let m = export_all_with(&db, &out, &options(SnapshotFormat::Csv), &mut |_| {}).unwrap();
    let names: Vec<&str> = m.tables.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ["empty", "facts", "files", "log", "meta"]); // no sqlite_stat1
    assert_eq!(m.input_digest.as_deref(), Some("abc"));
    assert_eq!(m.data_latest_month.as_deref(), Some("202510"));
    assert_eq!(m.schema_version.as_deref(), Some("2"));
    assert_eq!(m.csv_bom, Some(false));
    assert_eq!(m.total_rows(), 2500 + 5 + 2 + 3);
    assert_eq!(Manifest::read(&out).unwrap(), m);

    let log = std::fs::read_to_string(out.join("log.csv")).unwrap();
    assert_eq!(
        log,
        "line,raw\r\n3,\"a,b\"\r\n1,\"say \"\"hi\"\"\"\r\n2,\"\"\r\n5,\"two\nlines\"\r\n4,美国\r\n"
    );
    let files = std::fs::read_to_string(out.join("files.csv")).unwrap();
    assert_eq!(files, "id,path\r\n1,a.csv\r\n2,b.csv\r\n");
    assert_eq!(
        std::fs::read_to_string(out.join("empty.csv")).unwrap(),
        "a,b\r\n"
    );
    let facts = std::fs::read_to_string(out.join("facts.csv")).unwrap();
    let mut lines = facts.split("\r\n");
    assert_eq!(lines.next(), Some("code,month,value,rate,unit"));
    // Key order: code ascending, then month.
    assert_eq!(lines.next(), Some("00009750,202001,2490000017430,211.25,"));
    assert!(
        facts.contains("\r\n00009999,202001,0,,\r\n"),
        "NULLs are empty fields"
    );
    assert!(facts.contains(",-100.0,") || facts.contains(",-99.875,"));
    let entry = &m.tables[1];
    assert_eq!(entry.rows, 2500);
    assert_eq!(entry.bytes, facts.len() as u64);
    assert_eq!(entry.sha256, hex::encode(Sha256::digest(facts.as_bytes())));
    assert_eq!(
        entry.columns[3],
        ColumnEntry {
            name: "rate".into(),
            ty: "REAL".into(),
            nullable: true
        }
    );
    assert!(!entry.columns[0].nullable);
    // Every real reads back as the same f64.
    let conn = Connection::open(&db).unwrap();
    let rates: Vec<Option<f64>> = conn
        .prepare("SELECT rate FROM facts ORDER BY code, month")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let read: Vec<Option<f64>> = facts
        .split("\r\n")
        .skip(1)
        .filter(|l| !l.is_empty())
        .map(|l| l.split(',').nth(3).unwrap())
        .map(|f| (!f.is_empty()).then(|| f.parse().unwrap()))
        .collect();
    assert_eq!(read, rates);
}

#[test]
fn bom_only_when_asked() {
    let dir = tempfile::tempdir().unwrap();
    let db = sample_db(dir.path());
    let out = dir.path().join("snap");
    let mut opts = options(SnapshotFormat::Csv);
    opts.csv_bom = true;
    let m = export_all_with(&db, &out, &opts, &mut |_| {}).unwrap();
    assert_eq!(m.csv_bom, Some(true));
    let bytes = std::fs::read(out.join("files.csv")).unwrap();
    assert!(bytes.starts_with(b"\xEF\xBB\xBFid,path\r\n"));
}

#[test]
fn parquet_snapshot_reads_back_typed() {
    let dir = tempfile::tempdir().unwrap();
    let db = sample_db(dir.path());
    let out = dir.path().join("snap");
    let mut seen = Vec::new();
    let m = export_all_with(&db, &out, &options(SnapshotFormat::Parquet), &mut |p| {
        seen.push((p.table.to_string(), p.rows_done, p.rows_total))
    })
    .unwrap();
    assert_eq!(m.csv_bom, None);
    assert_eq!(seen.last().unwrap().1, m.total_rows());
    assert!(seen.iter().all(|s| s.2 == m.total_rows()));

    let reader = SerializedFileReader::new(File::open(out.join("facts.parquet")).unwrap()).unwrap();
    assert_eq!(reader.metadata().num_row_groups(), 3);
    assert_eq!(reader.metadata().file_metadata().num_rows(), 2500);
    let kv = reader
        .metadata()
        .file_metadata()
        .key_value_metadata()
        .unwrap();
    assert!(kv
        .iter()
        .any(|k| k.key == "cnexport.input_digest" && k.value.as_deref() == Some("abc")));
    let conn = Connection::open(&db).unwrap();
    let mut st = conn
        .prepare("SELECT code, month, value, rate, unit FROM facts ORDER BY code, month")
        .unwrap();
    let expected: Vec<FactRow> = st
        .query_map([], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
        })
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let mut got = Vec::new();
    for row in reader.get_row_iter(None).unwrap() {
        let row = row.unwrap();
        let f: Vec<&Field> = row.get_column_iter().map(|(_, f)| f).collect();
        let text = |f: &Field| match f {
            Field::Str(s) => Some(s.clone()),
            Field::Null => None,
            other => panic!("{other:?}"),
        };
        let (Field::Long(month), Field::Long(value)) = (f[1], f[2]) else {
            panic!("{f:?}")
        };
        let rate = match f[3] {
            Field::Double(d) => Some(*d),
            Field::Null => None,
            other => panic!("{other:?}"),
        };
        got.push((text(f[0]).unwrap(), *month, *value, rate, text(f[4])));
    }
    assert_eq!(got, expected);

    let log = SerializedFileReader::new(File::open(out.join("log.parquet")).unwrap()).unwrap();
    let raw: Vec<String> = log
        .get_row_iter(None)
        .unwrap()
        .map(|r| r.unwrap().get_string(1).unwrap().clone())
        .collect();
    assert_eq!(raw, ["a,b", "say \"hi\"", "", "two\nlines", "美国"]);
    let empty = SerializedFileReader::new(File::open(out.join("empty.parquet")).unwrap()).unwrap();
    assert_eq!(empty.metadata().file_metadata().num_rows(), 0);
}

#[test]
fn same_database_same_bytes_and_replaces_an_earlier_snapshot() {
    let dir = tempfile::tempdir().unwrap();
    let db = sample_db(dir.path());
    for format in [SnapshotFormat::Parquet, SnapshotFormat::Csv] {
        let a = export_all(&db, &dir.path().join("a"), format).unwrap();
        // Written over the earlier snapshot (of the other format for csv).
        let b = export_all(&db, &dir.path().join("a"), format).unwrap();
        assert_eq!(a, b);
        let c = export_all(&db, &dir.path().join(format!("c-{format}")), format).unwrap();
        assert_eq!(a, c);
        let files: Vec<String> = std::fs::read_dir(dir.path().join("a"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| !n.ends_with(format.extension()))
            .collect();
        assert_eq!(
            files,
            ["manifest.json"],
            "no files of the earlier snapshot stay"
        );
        for t in &a.tables {
            let bytes = std::fs::read(dir.path().join("a").join(&t.file)).unwrap();
            assert_eq!(hex::encode(Sha256::digest(&bytes)), t.sha256);
        }
    }
    // Nothing left behind beside the snapshots.
    let mut names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["a", "c-csv", "c-parquet", "t.db"]);
}

#[test]
fn refuses_a_folder_that_is_not_a_snapshot_and_leaves_nothing_on_failure() {
    let dir = tempfile::tempdir().unwrap();
    let db = sample_db(dir.path());
    let out = dir.path().join("mine");
    std::fs::create_dir(&out).unwrap();
    std::fs::write(out.join("notes.txt"), "keep me").unwrap();
    let err = export_all(&db, &out, SnapshotFormat::Csv).unwrap_err();
    assert!(matches!(err, SnapshotError::OutNotSnapshot { .. }), "{err}");
    assert!(err.to_string().contains("never overwritten"));
    assert_eq!(
        std::fs::read_to_string(out.join("notes.txt")).unwrap(),
        "keep me"
    );
    // An empty folder is fine.
    let empty = dir.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    export_all(&db, &empty, SnapshotFormat::Csv).unwrap();
    assert!(empty.join("manifest.json").is_file());

    // A value that does not fit its column fails the export, and no
    // folder appears.
    let conn = Connection::open(&db).unwrap();
    conn.execute("INSERT INTO log VALUES ('x', 'y')", [])
        .unwrap();
    drop(conn);
    for format in [SnapshotFormat::Csv, SnapshotFormat::Parquet] {
        let bad = dir.path().join(format!("bad-{format}"));
        let err = export_all(&db, &bad, format).unwrap_err();
        assert!(
            err.to_string().contains("log") && err.to_string().contains("line"),
            "{err}"
        );
        assert!(!bad.exists());
    }
    let stray: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect();
    assert!(stray.is_empty(), "{stray:?}");
    let missing = export_all(
        &dir.path().join("nope.db"),
        &dir.path().join("x"),
        SnapshotFormat::Csv,
    )
    .unwrap_err();
    assert!(missing.to_string().contains("cnexport build"), "{missing}");
}
