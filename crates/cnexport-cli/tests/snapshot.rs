//! Bulk snapshots: `cnexport export --all --format parquet|csv --out DIR` on
//! the sample database.
//!
//! - every table is in the snapshot with exactly the database's rows (read
//!   back with the parquet crate's reader and the csv crate), and the manifest
//!   says so (row counts, columns, sizes, sha256);
//! - the totals a bulk user computes from the files equal the API's answers
//!   (dashboard recent12mGlobalTotal from monthly_facts, for every code and
//!   roll-up; markets recent12mTotal from hs_count_month and monthly_facts);
//! - the same database gives byte-identical snapshots;
//! - wrong combinations of options are usage errors.

use cnexport_snapshot::Manifest;
use parquet::file::reader::{FileReader, SerializedFileReader};
use parquet::record::Field;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::Path;

use crate::common::{cnexport, sample_db};

fn export_all(db: &Path, format: &str, out: &Path) -> std::process::Output {
    let output = cnexport()
        .args(["export", "--db"])
        .arg(db)
        .args(["--all", "--format", format, "--out"])
        .arg(out)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

fn read_only(db: &Path) -> rusqlite::Connection {
    rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap()
}

/// One cell, as the database, the Parquet file or the CSV file holds it.
#[derive(Debug, Clone, PartialEq)]
enum Cell {
    Null,
    Int(i64),
    Real(f64),
    Text(String),
}

impl Cell {
    fn int(&self) -> i64 {
        match self {
            Cell::Int(v) => *v,
            other => panic!("not an integer: {other:?}"),
        }
    }
    fn text(&self) -> &str {
        match self {
            Cell::Text(s) => s,
            other => panic!("not text: {other:?}"),
        }
    }
}

/// Every row of a table in key order, straight from SQLite.
fn db_rows(conn: &rusqlite::Connection, table: &str) -> Vec<Vec<Cell>> {
    let mut key: Vec<String> = conn
        .prepare("SELECT name FROM pragma_table_info(?1) WHERE pk > 0 ORDER BY pk")
        .unwrap()
        .query_map([table], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    if let Some(view) = cnexport_load::views().iter().find(|v| v.name == table) {
        key = view.key.iter().map(|k| k.to_string()).collect();
    }
    let order = if key.is_empty() {
        "rowid".to_string()
    } else {
        key.join(", ")
    };
    let mut st = conn
        .prepare(&format!("SELECT * FROM {table} ORDER BY {order}"))
        .unwrap();
    let n = st.column_count();
    st.query_map([], |r| {
        (0..n)
            .map(|i| {
                Ok(match r.get_ref(i)? {
                    rusqlite::types::ValueRef::Null => Cell::Null,
                    rusqlite::types::ValueRef::Integer(v) => Cell::Int(v),
                    rusqlite::types::ValueRef::Real(v) => Cell::Real(v),
                    rusqlite::types::ValueRef::Text(t) => {
                        Cell::Text(String::from_utf8(t.to_vec()).unwrap())
                    }
                    rusqlite::types::ValueRef::Blob(_) => panic!("blob in {table}"),
                })
            })
            .collect()
    })
    .unwrap()
    .collect::<Result<_, _>>()
    .unwrap()
}

fn parquet_rows(path: &Path) -> Vec<Vec<Cell>> {
    let reader = SerializedFileReader::new(std::fs::File::open(path).unwrap()).unwrap();
    reader
        .get_row_iter(None)
        .unwrap()
        .map(|row| {
            row.unwrap()
                .get_column_iter()
                .map(|(_, f)| match f {
                    Field::Null => Cell::Null,
                    Field::Long(v) => Cell::Int(*v),
                    Field::Double(v) => Cell::Real(*v),
                    Field::Str(s) => Cell::Text(s.clone()),
                    other => panic!("{}: unexpected {other:?}", path.display()),
                })
                .collect()
        })
        .collect()
}

fn csv_rows(path: &Path, entry: &cnexport_snapshot::TableEntry) -> Vec<Vec<Cell>> {
    let mut reader = csv::Reader::from_path(path).unwrap();
    let header: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_string)
        .collect();
    let names: Vec<String> = entry.columns.iter().map(|c| c.name.clone()).collect();
    assert_eq!(header, names, "{}", path.display());
    // The csv crate reads `""` and an empty field alike (the unit tests of
    // cnexport-report check that NULL is written empty and empty text `""`).
    reader
        .into_byte_records()
        .map(|record| {
            record
                .unwrap()
                .iter()
                .zip(&entry.columns)
                .map(|(field, col)| {
                    let s = std::str::from_utf8(field).unwrap();
                    match col.ty.as_str() {
                        _ if s.is_empty() && col.ty != "TEXT" => Cell::Null,
                        "INTEGER" => Cell::Int(s.parse().unwrap()),
                        "REAL" => Cell::Real(s.parse().unwrap()),
                        _ => Cell::Text(s.to_string()),
                    }
                })
                .collect()
        })
        .collect()
}

/// NULL and empty text look alike to the csv reader; so compare them alike.
fn blur_empty_text(rows: &[Vec<Cell>]) -> Vec<Vec<Cell>> {
    rows.iter()
        .map(|r| {
            r.iter()
                .map(|c| match c {
                    Cell::Null => Cell::Text(String::new()),
                    other => other.clone(),
                })
                .collect()
        })
        .collect()
}

fn sha256_file(path: &Path) -> String {
    hex::encode(Sha256::digest(std::fs::read(path).unwrap()))
}

fn month_minus(yyyymm: i64, n: i64) -> i64 {
    let index = (yyyymm / 100) * 12 + (yyyymm % 100 - 1) - n;
    (index / 12) * 100 + index % 12 + 1
}

#[test]
fn snapshots_hold_every_row_and_agree_with_the_api() {
    let db = sample_db();
    let dir = tempfile::tempdir().unwrap();
    let conn = read_only(db);
    // Every table and view, the views in place of the tables that store
    // them.
    let storage: Vec<&str> = cnexport_load::views()
        .iter()
        .flat_map(|v| v.storage.iter().copied())
        .collect();
    let tables: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_master WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite_%' ORDER BY name")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<Vec<String>, _>>()
        .unwrap()
        .into_iter()
        .filter(|t| !storage.contains(&t.as_str()))
        .collect();
    for expected in ["monthly_facts", "hs_base_metrics", "hs_count_month", "meta"] {
        assert!(tables.iter().any(|t| t == expected), "{tables:?}");
    }

    let mut snapshot_rows: BTreeMap<&str, BTreeMap<String, Vec<Vec<Cell>>>> = BTreeMap::new();
    for format in ["parquet", "csv"] {
        let out = dir.path().join(format);
        let output = export_all(db, format, &out);
        let said = String::from_utf8_lossy(&output.stderr);
        assert!(
            said.contains(&format!("wrote {} tables", tables.len())),
            "{said}"
        );

        let manifest = Manifest::read(&out).unwrap();
        assert_eq!(manifest.database, "sample.db");
        assert_eq!(manifest.format.to_string(), format);
        let meta = |key: &str| -> String {
            conn.query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
                .unwrap()
        };
        assert_eq!(manifest.input_digest, Some(meta("input_digest")));
        assert_eq!(manifest.data_latest_month, Some(meta("data_latest_month")));
        assert_eq!(manifest.schema_version, Some(meta("schema_version")));
        let names: Vec<&str> = manifest.tables.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, tables);
        let mut files: Vec<String> = std::fs::read_dir(&out)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        files.sort();
        let mut listed: Vec<String> = manifest.tables.iter().map(|t| t.file.clone()).collect();
        listed.push("manifest.json".into());
        listed.sort();
        assert_eq!(
            files, listed,
            "the folder holds the manifest's files and nothing else"
        );

        for entry in &manifest.tables {
            let path = out.join(&entry.file);
            assert_eq!(entry.file, format!("{}.{format}", entry.name));
            assert_eq!(sha256_file(&path), entry.sha256, "{}", entry.file);
            assert_eq!(std::fs::metadata(&path).unwrap().len(), entry.bytes);
            let count: i64 = conn
                .query_row(&format!("SELECT count(*) FROM {}", entry.name), [], |r| {
                    r.get(0)
                })
                .unwrap();
            assert_eq!(entry.rows, count as u64, "{}", entry.name);
            let mut in_file: Vec<(String, String)> = conn
                .prepare("SELECT name, type FROM pragma_table_info(?1) ORDER BY cid")
                .unwrap()
                .query_map([&entry.name], |r| Ok((r.get(0)?, r.get(1)?)))
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap();
            if let Some(view) = cnexport_load::views().iter().find(|v| v.name == entry.name) {
                // SQLite keeps no types for a view's columns: the names are
                // the view's, the types the declaration's.
                let names: Vec<&str> = in_file.iter().map(|c| c.0.as_str()).collect();
                let declared: Vec<&str> = view.columns.iter().map(|c| &*c.name).collect();
                assert_eq!(names, declared, "{}", entry.name);
                in_file = view
                    .columns
                    .iter()
                    .map(|c| (c.name.to_string(), c.sql_type.sql().to_string()))
                    .collect();
            }
            let listed: Vec<(String, String)> = entry
                .columns
                .iter()
                .map(|c| (c.name.clone(), c.ty.clone()))
                .collect();
            assert_eq!(listed, in_file, "{}", entry.name);
            // And the columns are the schema's declaration.
            let schema = cnexport_load::tables();
            let (_, declared) = schema
                .iter()
                .find(|(name, _)| *name == entry.name)
                .unwrap_or_else(|| panic!("{} is not a declared table", entry.name));
            let declared: Vec<(String, String)> = declared
                .iter()
                .map(|c| (c.name.to_string(), c.sql_type.sql().to_string()))
                .collect();
            assert_eq!(listed, declared, "{}", entry.name);

            let expected = db_rows(&conn, &entry.name);
            let rows = if format == "parquet" {
                let reader =
                    SerializedFileReader::new(std::fs::File::open(&path).unwrap()).unwrap();
                assert_eq!(
                    reader.metadata().file_metadata().num_rows(),
                    count,
                    "{}",
                    entry.file
                );
                let rows = parquet_rows(&path);
                assert_eq!(
                    rows, expected,
                    "{}: the database's rows, in key order",
                    entry.file
                );
                rows
            } else {
                let rows = csv_rows(&path, entry);
                assert_eq!(
                    blur_empty_text(&rows),
                    blur_empty_text(&expected),
                    "{}: the database's rows, in key order",
                    entry.file
                );
                rows
            };
            assert_eq!(rows.len() as u64, entry.rows);
            snapshot_rows
                .entry(format)
                .or_default()
                .insert(entry.name.clone(), rows);
        }

        // The same database gives the same bytes.
        let again = dir.path().join(format!("{format}-again"));
        export_all(db, format, &again);
        assert_eq!(Manifest::read(&again).unwrap(), manifest);
        for entry in &manifest.tables {
            assert_eq!(
                std::fs::read(out.join(&entry.file)).unwrap(),
                std::fs::read(again.join(&entry.file)).unwrap(),
                "{}",
                entry.file
            );
        }
        assert_eq!(
            std::fs::read(out.join("manifest.json")).unwrap(),
            std::fs::read(again.join("manifest.json")).unwrap()
        );
    }

    // The totals a bulk user computes equal the API's answers.
    let latest: i64 = conn
        .query_row(
            "SELECT value FROM meta WHERE key = 'data_latest_month'",
            [],
            |r| r.get::<_, String>(0),
        )
        .unwrap()
        .parse()
        .unwrap();
    let window = month_minus(latest, 11)..=latest;
    for (format, rows) in &snapshot_rows {
        // monthly_facts: hs_code, country_code, month, value, ...
        let mut by_code: BTreeMap<String, i64> = BTreeMap::new();
        let mut by_code_country: BTreeMap<(String, String), i64> = BTreeMap::new();
        for r in &rows["monthly_facts"] {
            if window.contains(&r[2].int()) {
                *by_code.entry(r[0].text().to_string()).or_default() += r[3].int();
                *by_code_country
                    .entry((r[0].text().to_string(), r[1].text().to_string()))
                    .or_default() += r[3].int();
            }
        }
        // Every code and roll-up the API has metrics for at the latest month.
        let codes: Vec<String> = rows["hs_base_metrics"]
            .iter()
            .filter(|r| r[2].int() == latest)
            .map(|r| r[0].text().to_string())
            .collect();
        assert!(codes.len() > 20, "{} codes", codes.len());
        assert!(codes.iter().any(|c| c == "85171300"));
        for code in &codes {
            let body = cnexport_api::answer(&conn, &format!("/skill/dashboard?hsCode={code}")).body;
            assert_eq!(body["code"], 200, "{body}");
            let from_files: i64 = by_code
                .iter()
                .filter(|(c, _)| c.starts_with(code.as_str()))
                .map(|(_, v)| v)
                .sum();
            assert_eq!(
                body["data"]["recent12mGlobalTotal"].as_i64(),
                Some(from_files),
                "{format}: dashboard {code}"
            );
        }
        // Markets: hs_count_month (hs_code, level, country_code, as_of_month,
        // recent12m_total, ...) and the facts' sums per country.
        for code in ["85171300", "8517", "85"] {
            let body =
                cnexport_api::answer(&conn, &format!("/skill/markets?hsCode={code}&limit=1000"))
                    .body;
            assert_eq!(body["code"], 200, "{body}");
            let api: BTreeMap<String, i64> = body["data"]
                .as_array()
                .unwrap()
                .iter()
                .map(|m| {
                    (
                        m["countryCode"].as_str().unwrap().to_string(),
                        m["recent12mTotal"].as_i64().unwrap(),
                    )
                })
                .collect();
            assert!(api.len() > 5, "{code}: {} markets", api.len());
            let from_counts: BTreeMap<String, i64> = rows["hs_count_month"]
                .iter()
                .filter(|r| r[0].text() == code && r[4].int() > 0)
                .map(|r| (r[2].text().to_string(), r[4].int()))
                .collect();
            assert_eq!(
                api, from_counts,
                "{format}: markets {code} from hs_count_month"
            );
            let mut from_facts: BTreeMap<String, i64> = BTreeMap::new();
            for ((hs, country), v) in &by_code_country {
                if hs.starts_with(code) {
                    *from_facts.entry(country.clone()).or_default() += v;
                }
            }
            from_facts.retain(|_, v| *v > 0);
            assert_eq!(
                api, from_facts,
                "{format}: markets {code} from monthly_facts"
            );
        }
    }
}

#[test]
fn export_options_that_do_not_go_together_are_usage_errors() {
    let db = sample_db();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("snap");
    let cases: &[(&[&str], &str)] = &[
        (&["--all"], "--format"),
        (&["--all", "--format", "xlsx"], "parquet or csv"),
        (
            &[
                "--all",
                "--format",
                "csv",
                "/skill/dashboard?hsCode=85171300",
            ],
            "cannot be used with",
        ),
        (
            &["--format", "parquet", "/skill/dashboard?hsCode=85171300"],
            "--all",
        ),
        (&["--bom", "/skill/dashboard?hsCode=85171300"], "--all"),
        (&["--all", "--format", "parquet", "--bom"], "--format csv"),
        (&[], "--all"),
    ];
    for (args, hint) in cases {
        let output = cnexport()
            .args(["export", "--db"])
            .arg(db)
            .arg("--out")
            .arg(&out)
            .args(*args)
            .output()
            .unwrap();
        let said = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {said}");
        assert!(
            said.contains(hint),
            "{args:?} should mention {hint}: {said}"
        );
        assert!(!out.exists(), "{args:?}");
    }
    // A folder that is not a snapshot is never written over.
    std::fs::create_dir(&out).unwrap();
    std::fs::write(out.join("notes.txt"), "mine").unwrap();
    let output = cnexport()
        .args(["export", "--db"])
        .arg(db)
        .args(["--all", "--format", "csv", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("not a snapshot"));
    assert_eq!(
        std::fs::read_to_string(out.join("notes.txt")).unwrap(),
        "mine"
    );
    // --bom writes a BOM at the start of every CSV file.
    let bom = dir.path().join("bom");
    let output = cnexport()
        .args(["export", "--db"])
        .arg(db)
        .args(["--all", "--format", "csv", "--bom", "--out"])
        .arg(&bom)
        .output()
        .unwrap();
    assert!(output.status.success());
    let manifest = Manifest::read(&bom).unwrap();
    assert_eq!(manifest.csv_bom, Some(true));
    for t in &manifest.tables {
        assert!(std::fs::read(bom.join(&t.file))
            .unwrap()
            .starts_with(b"\xEF\xBB\xBF"));
    }
    let help = cnexport().args(["export", "--help"]).output().unwrap();
    let help = String::from_utf8_lossy(&help.stdout);
    assert!(help.contains("--all") && help.contains("manifest.json") && help.contains("parquet"));
}
