//! Bulk snapshots: every table of a database as Parquet or CSV files, with a
//! manifest of row counts and sha256 digests (`cnexport export --all`).
//!
//! The files hold exactly the database's rows, so a bulk user who sums them
//! gets the numbers the API answers from. What is written:
//!
//! - one file per table, `<table>.parquet` or `<table>.csv`, for every table
//!   of the database in name order (SQLite's internal `sqlite_*` tables, such
//!   as the planner statistics, are left out), rows in primary-key order
//!   (rowid order for a table without one);
//! - `manifest.json`, written last: the database's file name, its
//!   `input_digest`, `data_latest_month` and `schema_version` (from `meta`),
//!   the format, and per table the file, row count, columns, byte size and
//!   sha256 of the file.
//!
//! Types: SQLite INTEGER columns become Parquet INT64, REAL becomes DOUBLE,
//! TEXT becomes BYTE_ARRAY annotated as a UTF-8 string; a column that can
//! hold NULL is OPTIONAL, the others REQUIRED. Parquet files are Snappy
//! compressed, written in row groups of [`ROW_GROUP_ROWS`] rows while the
//! rows stream from SQLite, so memory does not grow with the table; each file
//! carries the table name, `input_digest` and `data_latest_month` as key-value
//! metadata.
//!
//! CSV files are UTF-8 without a byte-order mark unless
//! [`SnapshotOptions::csv_bom`] asks for one (Excel wants it, most programs
//! keep it as part of the first column's name), comma-separated, CRLF line
//! ends and RFC 4180 quoting, a header row of the column names. Integers are
//! written exactly; reals in Rust's shortest round-trip form, always with a
//! `.` or an exponent (`12.5`, `100.0`, `1e-7`) so that they read back as
//! the same `f64`; NULL is an empty field and an empty text is `""`.
//!
//! The snapshot is reproducible: the same database gives byte-identical files
//! and manifest (no export time or host is written anywhere; the manifest's
//! `generator` and the Parquet footers name the writer's version, so a new
//! cnexport version may change the bytes, never the rows). It is written
//! into a hidden temporary folder beside `out` and renamed into place once
//! every file and the manifest are complete, so a failed or killed export
//! never leaves a folder that looks like a whole snapshot. A previous
//! snapshot at `out` (a folder holding `manifest.json`) is replaced; any
//! other non-empty folder is left alone and the export refused.

use parquet::basic::{Compression, LogicalType, Repetition, Type as PhysicalType};
use parquet::data_type::{ByteArray, ByteArrayType, DoubleType, Int64Type};
use parquet::file::metadata::KeyValue;
use parquet::file::properties::WriterProperties;
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::types::Type;
use rusqlite::types::ValueRef;
use rusqlite::{Connection, OpenFlags};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::fmt;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;

/// Rows per Parquet row group (and the most rows held in memory at once).
pub const ROW_GROUP_ROWS: usize = 100_000;

/// The version of the manifest's layout; bumped when fields change meaning.
pub const MANIFEST_VERSION: u32 = 1;

/// The file format of a bulk snapshot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SnapshotFormat {
    /// Apache Parquet, one file per table, typed columns, Snappy compressed.
    Parquet,
    /// RFC 4180 CSV, one file per table, a header row of the column names.
    Csv,
}

impl SnapshotFormat {
    /// The file extension of each table's file, without the dot.
    pub fn extension(self) -> &'static str {
        match self {
            SnapshotFormat::Parquet => "parquet",
            SnapshotFormat::Csv => "csv",
        }
    }
}

impl FromStr for SnapshotFormat {
    type Err = SnapshotError;
    fn from_str(s: &str) -> Result<SnapshotFormat, SnapshotError> {
        match s.to_ascii_lowercase().as_str() {
            "parquet" => Ok(SnapshotFormat::Parquet),
            "csv" => Ok(SnapshotFormat::Csv),
            _ => Err(SnapshotError::UnknownFormat(s.to_string())),
        }
    }
}

impl fmt::Display for SnapshotFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.extension())
    }
}

/// How to write a snapshot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnapshotOptions {
    pub format: SnapshotFormat,
    /// CSV only: start each file with a UTF-8 byte-order mark (for Excel).
    pub csv_bom: bool,
    /// Parquet only: rows per row group ([`ROW_GROUP_ROWS`] by default).
    pub row_group_rows: usize,
}

impl SnapshotOptions {
    pub fn new(format: SnapshotFormat) -> SnapshotOptions {
        SnapshotOptions {
            format,
            csv_bom: false,
            row_group_rows: ROW_GROUP_ROWS,
        }
    }
}

/// Where an export is, for a progress display.
#[derive(Debug, Clone, Copy)]
pub struct Progress<'a> {
    /// The table being written.
    pub table: &'a str,
    /// Rows written so far, over all tables.
    pub rows_done: u64,
    /// Rows of all tables together.
    pub rows_total: u64,
}

/// `manifest.json` of a snapshot.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// [`MANIFEST_VERSION`].
    pub manifest_version: u32,
    /// The program that wrote the snapshot, `cnexport-report <version>`.
    pub generator: String,
    /// The database's file name (without its folder).
    pub database: String,
    /// `meta.input_digest`: identifies the build's inputs.
    pub input_digest: Option<String>,
    /// `meta.data_latest_month` (YYYYMM): the API's "current" month.
    pub data_latest_month: Option<String>,
    /// `meta.schema_version` (see docs/schema.md).
    pub schema_version: Option<String>,
    pub format: SnapshotFormat,
    /// CSV only: whether each file starts with a UTF-8 byte-order mark.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub csv_bom: Option<bool>,
    /// Every table, in name order.
    pub tables: Vec<TableEntry>,
}

/// One table of a [`Manifest`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableEntry {
    pub name: String,
    /// The file name inside the snapshot folder.
    pub file: String,
    /// Rows written (= `SELECT count(*)` of the table).
    pub rows: u64,
    /// The columns in table order.
    pub columns: Vec<ColumnEntry>,
    /// Lowercase hex sha256 of the file.
    pub sha256: String,
    /// Size of the file in bytes.
    pub bytes: u64,
}

/// One column of a [`TableEntry`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ColumnEntry {
    pub name: String,
    /// `INTEGER`, `REAL` or `TEXT`: the SQLite type (Parquet INT64, DOUBLE,
    /// UTF-8 BYTE_ARRAY).
    #[serde(rename = "type")]
    pub ty: String,
    /// Whether the column can hold NULL (Parquet OPTIONAL).
    pub nullable: bool,
}

impl Manifest {
    /// Reads the `manifest.json` of a snapshot folder.
    pub fn read(dir: &Path) -> Result<Manifest, SnapshotError> {
        let path = dir.join("manifest.json");
        let bytes = std::fs::read(&path).map_err(|source| SnapshotError::Io {
            path: path.clone(),
            source,
        })?;
        serde_json::from_slice(&bytes).map_err(|e| SnapshotError::Io {
            path,
            source: std::io::Error::other(e),
        })
    }

    /// Rows of all tables together.
    pub fn total_rows(&self) -> u64 {
        self.tables.iter().map(|t| t.rows).sum()
    }

    /// Bytes of all table files together (the manifest not included).
    pub fn total_bytes(&self) -> u64 {
        self.tables.iter().map(|t| t.bytes).sum()
    }
}

/// What went wrong; every message says what to do about it.
#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    #[error("unknown snapshot format `{0}` (use parquet or csv)")]
    UnknownFormat(String),
    #[error("cannot open the database {} read-only: {source} (build one with `cnexport build --input DIR --db FILE`)", path.display())]
    Open {
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },
    #[error("cannot read {what} from the database: {source}")]
    Sqlite {
        what: String,
        #[source]
        source: rusqlite::Error,
    },
    #[error("column {table}.{column} has the type `{ty}`, which a snapshot cannot carry (INTEGER, REAL and TEXT can)")]
    UnsupportedType {
        table: String,
        column: String,
        ty: String,
    },
    #[error("row {row} of {table}: column {column} holds {found} where its type allows {expected}; the database is damaged or not written by `cnexport build`: rebuild it")]
    BadValue {
        table: String,
        column: String,
        row: u64,
        found: &'static str,
        expected: &'static str,
    },
    #[error("{table}: {written} rows read but count(*) says {counted}; is something writing to the database? Export again")]
    Inconsistent {
        table: String,
        written: u64,
        counted: u64,
    },
    #[error("cannot write the Parquet file {}: {source}", path.display())]
    Parquet {
        path: PathBuf,
        #[source]
        source: parquet::errors::ParquetError,
    },
    #[error("cannot write {}: {source} (check that the folder is writable and the disk has room)", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("--out {} exists and is not a snapshot (no manifest.json in it): give a new or empty folder, it is never overwritten", path.display())]
    OutNotSnapshot { path: PathBuf },
}

/// Writes every table of the database `db` into the folder `out` (created,
/// or replaced if it holds an earlier snapshot) and returns the manifest
/// that is also written to `out/manifest.json`.
pub fn export_all(
    db: &Path,
    out: &Path,
    format: SnapshotFormat,
) -> Result<Manifest, SnapshotError> {
    export_all_with(db, out, &SnapshotOptions::new(format), &mut |_| {})
}

/// [`export_all`] with options and a progress callback, called as rows are
/// written (every few thousand rows and at each table's end).
pub fn export_all_with(
    db: &Path,
    out: &Path,
    options: &SnapshotOptions,
    progress: &mut dyn FnMut(Progress<'_>),
) -> Result<Manifest, SnapshotError> {
    let conn = Connection::open_with_flags(
        db,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|source| SnapshotError::Open {
        path: db.to_path_buf(),
        source,
    })?;
    // One read transaction: every file sees the same state of the database.
    conn.execute_batch("BEGIN")
        .map_err(sql("a read transaction"))?;
    let tables = list_tables(&conn)?;
    let meta = read_meta(&conn)?;
    let mut counts = Vec::with_capacity(tables.len());
    for t in &tables {
        let n: i64 = conn
            .query_row(
                &format!("SELECT count(*) FROM {}", quote_ident(&t.name)),
                [],
                |r| r.get(0),
            )
            .map_err(sql(&format!("the row count of {}", t.name)))?;
        counts.push(n as u64);
    }
    let rows_total = counts.iter().sum();

    check_out(out)?;
    let parent = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&parent).map_err(|source| SnapshotError::Io {
        path: parent.clone(),
        source,
    })?;
    let name = out
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "snapshot".into());
    // Removed on any error (a killed export leaves only this hidden folder).
    let staging = tempfile::Builder::new()
        .prefix(&format!(".{name}.partial-"))
        .tempdir_in(&parent)
        .map_err(|source| SnapshotError::Io {
            path: parent.clone(),
            source,
        })?;

    let mut entries = Vec::with_capacity(tables.len());
    let mut rows_before = 0u64;
    for (table, &expected) in tables.iter().zip(&counts) {
        let file = format!("{}.{}", table.name, options.format.extension());
        let path = staging.path().join(&file);
        let mut report = |done: u64| {
            progress(Progress {
                table: &table.name,
                rows_done: rows_before + done,
                rows_total,
            })
        };
        let written = match options.format {
            SnapshotFormat::Parquet => {
                write_parquet(&conn, table, &meta, options, &path, &mut report)?
            }
            SnapshotFormat::Csv => write_csv(&conn, table, options.csv_bom, &path, &mut report)?,
        };
        if written.rows != expected {
            // Cannot happen inside one read transaction; never publish it if it does.
            return Err(SnapshotError::Inconsistent {
                table: table.name.clone(),
                written: written.rows,
                counted: expected,
            });
        }
        rows_before += written.rows;
        entries.push(TableEntry {
            name: table.name.clone(),
            file,
            rows: written.rows,
            columns: table
                .columns
                .iter()
                .map(|c| ColumnEntry {
                    name: c.name.clone(),
                    ty: c.kind.sql_name().to_string(),
                    nullable: c.nullable,
                })
                .collect(),
            sha256: written.sha256,
            bytes: written.bytes,
        });
    }
    conn.execute_batch("COMMIT")
        .map_err(sql("the end of the read transaction"))?;

    let manifest = Manifest {
        manifest_version: MANIFEST_VERSION,
        generator: format!("cnexport-report {}", env!("CARGO_PKG_VERSION")),
        database: db
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        input_digest: meta.input_digest,
        data_latest_month: meta.data_latest_month,
        schema_version: meta.schema_version,
        format: options.format,
        csv_bom: (options.format == SnapshotFormat::Csv).then_some(options.csv_bom),
        tables: entries,
    };
    let manifest_path = staging.path().join("manifest.json");
    let mut json = serde_json::to_vec_pretty(&manifest).map_err(|e| SnapshotError::Io {
        path: manifest_path.clone(),
        source: std::io::Error::other(e),
    })?;
    json.push(b'\n');
    write_synced(&manifest_path, &json)?;

    publish(staging, out)?;
    Ok(manifest)
}

/// Refuses an `out` that exists and is neither empty nor a snapshot.
fn check_out(out: &Path) -> Result<(), SnapshotError> {
    if !out.exists() {
        return Ok(());
    }
    let refuse = || SnapshotError::OutNotSnapshot {
        path: out.to_path_buf(),
    };
    if !out.is_dir() {
        return Err(refuse());
    }
    if out.join("manifest.json").is_file() {
        return Ok(());
    }
    let mut entries = std::fs::read_dir(out).map_err(|source| SnapshotError::Io {
        path: out.to_path_buf(),
        source,
    })?;
    if entries.next().is_some() {
        return Err(refuse());
    }
    Ok(())
}

/// Moves the finished staging folder to `out`: an empty `out` is removed
/// first; an earlier snapshot is moved aside, replaced, then deleted.
fn publish(staging: tempfile::TempDir, out: &Path) -> Result<(), SnapshotError> {
    check_out(out)?;
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| SnapshotError::Io { path, source }
    };
    let parent = staging
        .path()
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."));
    let mut old = None;
    if out.exists() {
        if out.join("manifest.json").is_file() {
            let aside = tempfile::Builder::new()
                .prefix(&format!(
                    ".{}.old-",
                    out.file_name().unwrap_or_default().to_string_lossy()
                ))
                .tempdir_in(&parent)
                .map_err(io(&parent))?;
            // rename() onto the empty folder `aside` replaces it.
            std::fs::rename(out, aside.path()).map_err(io(out))?;
            old = Some(aside);
        } else {
            std::fs::remove_dir(out).map_err(io(out))?;
        }
    }
    let staged = staging.keep();
    if let Err(source) = std::fs::rename(&staged, out) {
        let _ = std::fs::remove_dir_all(&staged);
        if let Some(old) = &old {
            // Put the earlier snapshot back.
            let _ = std::fs::rename(old.path(), out);
        }
        return Err(SnapshotError::Io {
            path: out.to_path_buf(),
            source,
        });
    }
    if let Ok(dir) = File::open(&parent) {
        let _ = dir.sync_all();
    }
    drop(old); // deletes the earlier snapshot
    Ok(())
}

fn sql(what: &str) -> impl FnOnce(rusqlite::Error) -> SnapshotError + '_ {
    move |source| SnapshotError::Sqlite {
        what: what.to_string(),
        source,
    }
}

fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// A column's storage class in the snapshot, from SQLite's type affinity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Integer,
    Real,
    Text,
}

impl Kind {
    /// SQLite's affinity rules (section 3.1 of "Datatypes In SQLite"); BLOB
    /// and NUMERIC columns are not carried.
    fn of_declared(ty: &str) -> Option<Kind> {
        let t = ty.to_ascii_uppercase();
        if t.contains("INT") {
            Some(Kind::Integer)
        } else if t.contains("CHAR") || t.contains("CLOB") || t.contains("TEXT") {
            Some(Kind::Text)
        } else if t.contains("BLOB") || t.is_empty() {
            None
        } else if t.contains("REAL") || t.contains("FLOA") || t.contains("DOUB") {
            Some(Kind::Real)
        } else {
            None
        }
    }

    fn sql_name(self) -> &'static str {
        match self {
            Kind::Integer => "INTEGER",
            Kind::Real => "REAL",
            Kind::Text => "TEXT",
        }
    }
}

#[derive(Debug, Clone)]
struct Column {
    name: String,
    kind: Kind,
    nullable: bool,
}

#[derive(Debug, Clone)]
struct Table {
    name: String,
    columns: Vec<Column>,
    /// The ORDER BY clause that makes the row order deterministic.
    order_by: String,
}

/// Every table but SQLite's own, in name order, with columns and key order.
fn list_tables(conn: &Connection) -> Result<Vec<Table>, SnapshotError> {
    let mut stmt = conn
        .prepare(
            "SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name",
        )
        .map_err(sql("the list of tables"))?;
    let listed: Vec<(String, String)> = stmt
        .query_map([], |r| {
            Ok((
                r.get(0)?,
                r.get::<_, Option<String>>(1)?.unwrap_or_default(),
            ))
        })
        .and_then(|rows| rows.collect())
        .map_err(sql("the list of tables"))?;
    let mut tables = Vec::with_capacity(listed.len());
    for (name, create) in listed {
        let without_rowid = create.to_ascii_uppercase().contains("WITHOUT ROWID");
        let mut stmt = conn
            .prepare("SELECT name, type, \"notnull\", pk FROM pragma_table_info(?1) ORDER BY cid")
            .map_err(sql(&format!("the columns of {name}")))?;
        let info: Vec<(String, String, bool, i64)> = stmt
            .query_map([&name], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
            })
            .and_then(|rows| rows.collect())
            .map_err(sql(&format!("the columns of {name}")))?;
        let mut key: Vec<(i64, &str)> = info
            .iter()
            .filter(|c| c.3 > 0)
            .map(|c| (c.3, c.0.as_str()))
            .collect();
        key.sort();
        // An INTEGER PRIMARY KEY is the rowid: never NULL.
        let rowid_alias = !without_rowid
            && key.len() == 1
            && info
                .iter()
                .any(|c| c.3 == 1 && c.1.eq_ignore_ascii_case("INTEGER"));
        let mut columns = Vec::with_capacity(info.len());
        for (col, ty, notnull, pk) in &info {
            let kind = Kind::of_declared(ty).ok_or_else(|| SnapshotError::UnsupportedType {
                table: name.clone(),
                column: col.clone(),
                ty: ty.clone(),
            })?;
            let never_null = *notnull || (*pk > 0 && (without_rowid || rowid_alias));
            columns.push(Column {
                name: col.clone(),
                kind,
                nullable: !never_null,
            });
        }
        let mut order: Vec<String> = key.iter().map(|(_, c)| quote_ident(c)).collect();
        if !without_rowid && !rowid_alias {
            order.push("rowid".into());
        }
        tables.push(Table {
            name,
            columns,
            order_by: order.join(", "),
        });
    }
    Ok(tables)
}

#[derive(Debug, Default)]
struct Meta {
    input_digest: Option<String>,
    data_latest_month: Option<String>,
    schema_version: Option<String>,
}

/// The build's identity from the `meta` table (all None without one).
fn read_meta(conn: &Connection) -> Result<Meta, SnapshotError> {
    let has_meta: bool = conn
        .query_row(
            "SELECT count(*) > 0 FROM sqlite_master WHERE type = 'table' AND name = 'meta'",
            [],
            |r| r.get(0),
        )
        .map_err(sql("the meta table"))?;
    if !has_meta {
        return Ok(Meta::default());
    }
    let get = |key: &str| -> Result<Option<String>, SnapshotError> {
        let mut stmt = conn
            .prepare_cached("SELECT CAST(value AS TEXT) FROM meta WHERE key = ?1")
            .map_err(sql("the meta table"))?;
        let mut rows = stmt.query([key]).map_err(sql("the meta table"))?;
        match rows.next().map_err(sql("the meta table"))? {
            Some(row) => row.get(0).map_err(sql("the meta table")),
            None => Ok(None),
        }
    };
    Ok(Meta {
        input_digest: get("input_digest")?,
        data_latest_month: get("data_latest_month")?,
        schema_version: get("schema_version")?,
    })
}

/// A writer that hashes and counts what goes through it.
struct Hashing<W> {
    inner: W,
    hasher: Sha256,
    bytes: u64,
}

impl<W: Write> Write for Hashing<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

fn create_hashing(path: &Path) -> Result<Hashing<BufWriter<File>>, SnapshotError> {
    let file = File::create(path).map_err(|source| SnapshotError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    Ok(Hashing {
        inner: BufWriter::with_capacity(1 << 20, file),
        hasher: Sha256::new(),
        bytes: 0,
    })
}

/// Flushes and syncs the file; returns its sha256 and size.
fn finish_hashing(
    w: Hashing<BufWriter<File>>,
    path: &Path,
) -> Result<(String, u64), SnapshotError> {
    let io = |source| SnapshotError::Io {
        path: path.to_path_buf(),
        source,
    };
    let Hashing {
        inner,
        hasher,
        bytes,
    } = w;
    let file = inner.into_inner().map_err(|e| io(e.into_error()))?;
    file.sync_all().map_err(io)?;
    Ok((hex::encode(hasher.finalize()), bytes))
}

fn write_synced(path: &Path, bytes: &[u8]) -> Result<(), SnapshotError> {
    let mut w = create_hashing(path)?;
    w.write_all(bytes).map_err(|source| SnapshotError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    finish_hashing(w, path).map(|_| ())
}

struct Written {
    rows: u64,
    sha256: String,
    bytes: u64,
}

/// How often the progress callback is called, in rows.
const PROGRESS_EVERY: u64 = 10_000;

/// Runs `each` on every row of the table in key order.
fn for_each_row(
    conn: &Connection,
    table: &Table,
    mut each: impl FnMut(u64, &rusqlite::Row<'_>) -> Result<(), SnapshotError>,
) -> Result<u64, SnapshotError> {
    let columns: Vec<String> = table.columns.iter().map(|c| quote_ident(&c.name)).collect();
    let mut query = format!(
        "SELECT {} FROM {}",
        columns.join(", "),
        quote_ident(&table.name)
    );
    if !table.order_by.is_empty() {
        query.push_str(" ORDER BY ");
        query.push_str(&table.order_by);
    }
    let what = || format!("the rows of {}", table.name);
    let mut stmt = conn
        .prepare(&query)
        .map_err(|source| SnapshotError::Sqlite {
            what: what(),
            source,
        })?;
    let mut rows = stmt.query([]).map_err(|source| SnapshotError::Sqlite {
        what: what(),
        source,
    })?;
    let mut n = 0u64;
    while let Some(row) = rows.next().map_err(|source| SnapshotError::Sqlite {
        what: what(),
        source,
    })? {
        n += 1;
        each(n, row)?;
    }
    Ok(n)
}

/// A typed cell, checked against its column.
enum Cell<'a> {
    Null,
    Integer(i64),
    Real(f64),
    Text(&'a str),
}

fn cell<'a>(
    table: &Table,
    i: usize,
    row_no: u64,
    row: &'a rusqlite::Row<'_>,
) -> Result<Cell<'a>, SnapshotError> {
    let column = &table.columns[i];
    let value = row.get_ref(i).map_err(|source| SnapshotError::Sqlite {
        what: format!("{}.{}", table.name, column.name),
        source,
    })?;
    let bad = |found: &'static str| SnapshotError::BadValue {
        table: table.name.clone(),
        column: column.name.clone(),
        row: row_no,
        found,
        expected: match (column.kind, column.nullable) {
            (Kind::Integer, false) => "an integer",
            (Kind::Integer, true) => "an integer or NULL",
            (Kind::Real, false) => "a number",
            (Kind::Real, true) => "a number or NULL",
            (Kind::Text, false) => "UTF-8 text",
            (Kind::Text, true) => "UTF-8 text or NULL",
        },
    };
    Ok(match (column.kind, value) {
        (_, ValueRef::Null) if column.nullable => Cell::Null,
        (_, ValueRef::Null) => return Err(bad("NULL")),
        (Kind::Integer, ValueRef::Integer(v)) => Cell::Integer(v),
        (Kind::Real, ValueRef::Real(v)) => Cell::Real(v),
        (Kind::Real, ValueRef::Integer(v)) => Cell::Real(v as f64),
        (Kind::Text, ValueRef::Text(t)) => {
            Cell::Text(std::str::from_utf8(t).map_err(|_| bad("bytes that are not UTF-8"))?)
        }
        (_, ValueRef::Integer(_)) => return Err(bad("an integer")),
        (_, ValueRef::Real(_)) => return Err(bad("a real")),
        (_, ValueRef::Text(_)) => return Err(bad("text")),
        (_, ValueRef::Blob(_)) => return Err(bad("a blob")),
    })
}

// ---------------------------------------------------------------- CSV

/// Appends one RFC 4180 field: quoted when it holds a comma, a quote or a
/// line break, or is empty (an empty unquoted field is NULL).
fn push_csv_text(line: &mut Vec<u8>, s: &str) {
    if s.is_empty() || s.contains([',', '"', '\r', '\n']) {
        line.push(b'"');
        for b in s.bytes() {
            if b == b'"' {
                line.push(b'"');
            }
            line.push(b);
        }
        line.push(b'"');
    } else {
        line.extend_from_slice(s.as_bytes());
    }
}

/// A real in the shortest form that reads back as the same f64, always with
/// a `.` or an exponent (`{:?}` of f64).
fn real_text(v: f64) -> String {
    format!("{v:?}")
}

fn write_csv(
    conn: &Connection,
    table: &Table,
    bom: bool,
    path: &Path,
    progress: &mut dyn FnMut(u64),
) -> Result<Written, SnapshotError> {
    let mut w = create_hashing(path)?;
    let io = |source| SnapshotError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut line = Vec::with_capacity(1024);
    if bom {
        line.extend_from_slice(crate::export::BOM);
    }
    for (i, c) in table.columns.iter().enumerate() {
        if i > 0 {
            line.push(b',');
        }
        push_csv_text(&mut line, &c.name);
    }
    line.extend_from_slice(b"\r\n");
    w.write_all(&line).map_err(io)?;
    let rows = for_each_row(conn, table, |n, row| {
        line.clear();
        for i in 0..table.columns.len() {
            if i > 0 {
                line.push(b',');
            }
            match cell(table, i, n, row)? {
                Cell::Null => {}
                Cell::Integer(v) => line.extend_from_slice(v.to_string().as_bytes()),
                Cell::Real(v) => line.extend_from_slice(real_text(v).as_bytes()),
                Cell::Text(s) => push_csv_text(&mut line, s),
            }
        }
        line.extend_from_slice(b"\r\n");
        w.write_all(&line).map_err(io)?;
        if n % PROGRESS_EVERY == 0 {
            progress(n);
        }
        Ok(())
    })?;
    progress(rows);
    let (sha256, bytes) = finish_hashing(w, path)?;
    Ok(Written {
        rows,
        sha256,
        bytes,
    })
}

// ------------------------------------------------------------ Parquet

/// One column's values of the current row group.
enum Buffer {
    Integer(Vec<i64>),
    Real(Vec<f64>),
    Text(Vec<ByteArray>),
}

struct ColumnBuffer {
    values: Buffer,
    /// Definition levels (1 = value, 0 = NULL); used for nullable columns.
    defs: Vec<i16>,
    nullable: bool,
}

impl ColumnBuffer {
    fn new(column: &Column, capacity: usize) -> ColumnBuffer {
        let values = match column.kind {
            Kind::Integer => Buffer::Integer(Vec::with_capacity(capacity)),
            Kind::Real => Buffer::Real(Vec::with_capacity(capacity)),
            Kind::Text => Buffer::Text(Vec::with_capacity(capacity)),
        };
        ColumnBuffer {
            values,
            defs: Vec::with_capacity(if column.nullable { capacity } else { 0 }),
            nullable: column.nullable,
        }
    }

    fn push(&mut self, cell: Cell<'_>) {
        let present = !matches!(cell, Cell::Null);
        if self.nullable {
            self.defs.push(i16::from(present));
        }
        match (&mut self.values, cell) {
            (_, Cell::Null) => {}
            (Buffer::Integer(v), Cell::Integer(x)) => v.push(x),
            (Buffer::Real(v), Cell::Real(x)) => v.push(x),
            (Buffer::Text(v), Cell::Text(s)) => v.push(ByteArray::from(s)),
            // `cell` checked the value against the column's kind.
            _ => unreachable!("cell kind matches column kind"),
        }
    }

    fn clear(&mut self) {
        match &mut self.values {
            Buffer::Integer(v) => v.clear(),
            Buffer::Real(v) => v.clear(),
            Buffer::Text(v) => v.clear(),
        }
        self.defs.clear();
    }
}

fn parquet_schema(table: &Table) -> Result<Type, parquet::errors::ParquetError> {
    let mut fields = Vec::with_capacity(table.columns.len());
    for c in &table.columns {
        let (physical, logical) = match c.kind {
            Kind::Integer => (PhysicalType::INT64, None),
            Kind::Real => (PhysicalType::DOUBLE, None),
            Kind::Text => (PhysicalType::BYTE_ARRAY, Some(LogicalType::String)),
        };
        let repetition = if c.nullable {
            Repetition::OPTIONAL
        } else {
            Repetition::REQUIRED
        };
        fields.push(Arc::new(
            Type::primitive_type_builder(&c.name, physical)
                .with_repetition(repetition)
                .with_logical_type(logical)
                .build()?,
        ));
    }
    Type::group_type_builder(&table.name)
        .with_fields(fields)
        .build()
}

fn write_parquet(
    conn: &Connection,
    table: &Table,
    meta: &Meta,
    options: &SnapshotOptions,
    path: &Path,
    progress: &mut dyn FnMut(u64),
) -> Result<Written, SnapshotError> {
    let pq = |source| SnapshotError::Parquet {
        path: path.to_path_buf(),
        source,
    };
    let schema = Arc::new(parquet_schema(table).map_err(pq)?);
    let mut kv = vec![KeyValue::new("cnexport.table".into(), table.name.clone())];
    if let Some(d) = &meta.input_digest {
        kv.push(KeyValue::new("cnexport.input_digest".into(), d.clone()));
    }
    if let Some(m) = &meta.data_latest_month {
        kv.push(KeyValue::new(
            "cnexport.data_latest_month".into(),
            m.clone(),
        ));
    }
    let props = WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .set_key_value_metadata(Some(kv))
        .build();
    let sink = create_hashing(path)?;
    let mut writer = SerializedFileWriter::new(sink, schema, Arc::new(props)).map_err(pq)?;
    let group_rows = options.row_group_rows.max(1);
    let mut buffers: Vec<ColumnBuffer> = table
        .columns
        .iter()
        .map(|c| ColumnBuffer::new(c, group_rows.min(ROW_GROUP_ROWS)))
        .collect();
    let mut buffered = 0usize;
    let rows = for_each_row(conn, table, |n, row| {
        for (i, b) in buffers.iter_mut().enumerate() {
            b.push(cell(table, i, n, row)?);
        }
        buffered += 1;
        if buffered == group_rows {
            write_row_group(&mut writer, &mut buffers).map_err(pq)?;
            buffered = 0;
        }
        if n % PROGRESS_EVERY == 0 {
            progress(n);
        }
        Ok(())
    })?;
    // The last, partial row group (none for an empty table: zero row groups).
    if buffered > 0 {
        write_row_group(&mut writer, &mut buffers).map_err(pq)?;
    }
    progress(rows);
    let sink = writer.into_inner().map_err(pq)?;
    let (sha256, bytes) = finish_hashing(sink, path)?;
    Ok(Written {
        rows,
        sha256,
        bytes,
    })
}

fn write_row_group<W: Write + Send>(
    writer: &mut SerializedFileWriter<W>,
    buffers: &mut [ColumnBuffer],
) -> Result<(), parquet::errors::ParquetError> {
    let mut group = writer.next_row_group()?;
    for b in buffers.iter_mut() {
        let Some(mut column) = group.next_column()? else {
            return Err(parquet::errors::ParquetError::General(
                "fewer columns in the schema than in the table".into(),
            ));
        };
        let defs = b.nullable.then_some(b.defs.as_slice());
        match &b.values {
            Buffer::Integer(v) => {
                column.typed::<Int64Type>().write_batch(v, defs, None)?;
            }
            Buffer::Real(v) => {
                column.typed::<DoubleType>().write_batch(v, defs, None)?;
            }
            Buffer::Text(v) => {
                column.typed::<ByteArrayType>().write_batch(v, defs, None)?;
            }
        }
        column.close()?;
        b.clear();
    }
    group.close()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use parquet::file::reader::{FileReader, SerializedFileReader};
    use parquet::record::{Field, RowAccessor};

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

        let reader =
            SerializedFileReader::new(File::open(out.join("facts.parquet")).unwrap()).unwrap();
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
        let empty =
            SerializedFileReader::new(File::open(out.join("empty.parquet")).unwrap()).unwrap();
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

    #[test]
    fn affinity_rules() {
        assert_eq!(Kind::of_declared("INTEGER"), Some(Kind::Integer));
        assert_eq!(Kind::of_declared("bigint"), Some(Kind::Integer));
        assert_eq!(Kind::of_declared("VARCHAR(10)"), Some(Kind::Text));
        assert_eq!(Kind::of_declared("DOUBLE PRECISION"), Some(Kind::Real));
        assert_eq!(Kind::of_declared("BLOB"), None);
        assert_eq!(Kind::of_declared(""), None);
        assert_eq!(Kind::of_declared("NUMERIC"), None);
        assert_eq!(real_text(100.0), "100.0");
        assert_eq!(real_text(0.1), "0.1");
        assert_eq!(real_text(1e-7), "1e-7");
        assert_eq!(real_text(-12.25), "-12.25");
    }
}
