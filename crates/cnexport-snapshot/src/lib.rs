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
//!
//! The modules follow the steps: `reader` lists the tables and checks each
//! cell, `csv_writer` and `parquet_writer` write one table each through the
//! hashing file of `sink`, `manifest` describes the result, and `publish`
//! stages the folder and swaps it into place.

mod csv_writer;
mod error;
mod manifest;
mod parquet_writer;
mod publish;
mod reader;
mod sink;

pub use error::SnapshotError;
pub use manifest::{ColumnEntry, Manifest, TableEntry, MANIFEST_VERSION};

use reader::{list_tables, quote_ident, read_meta, sql};
use rusqlite::{Connection, OpenFlags};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::path::Path;
use std::str::FromStr;

/// Rows per Parquet row group (and the most rows held in memory at once).
pub const ROW_GROUP_ROWS: usize = 100_000;

/// How often the progress callback is called, in rows.
const PROGRESS_EVERY: u64 = 10_000;

/// The name the manifest's `generator` gives the writer. The snapshot code
/// began in the `cnexport-report` crate and the name is kept, so that moving
/// it changed no byte of a snapshot.
const GENERATOR: &str = "cnexport-report";

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
    /// Views carried as tables, in place of the tables that store them
    /// (SQLite does not keep a view's column types): none by default.
    pub views: Vec<ViewSchema>,
}

/// A view exported as a table: its columns as the table it stands for
/// declares them, its key (the row order) and the storage tables it reads,
/// which the snapshot leaves out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ViewSchema {
    pub name: String,
    pub columns: Vec<ViewColumn>,
    pub key: Vec<String>,
    pub storage: Vec<String>,
}

/// A column of a [`ViewSchema`]: `sql_type` is `INTEGER`, `REAL` or `TEXT`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ViewColumn {
    pub name: String,
    pub sql_type: String,
    pub nullable: bool,
}

impl SnapshotOptions {
    pub fn new(format: SnapshotFormat) -> SnapshotOptions {
        SnapshotOptions {
            format,
            csv_bom: false,
            row_group_rows: ROW_GROUP_ROWS,
            views: Vec::new(),
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
    let tables = list_tables(&conn, &options.views)?;
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

    let staging = publish::stage(out)?;

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
                parquet_writer::write_parquet(&conn, table, &meta, options, &path, &mut report)?
            }
            SnapshotFormat::Csv => {
                csv_writer::write_csv(&conn, table, options.csv_bom, &path, &mut report)?
            }
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
        generator: format!("{GENERATOR} {}", env!("CARGO_PKG_VERSION")),
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
    sink::write_synced(&manifest_path, &json)?;

    publish::publish(staging, out)?;
    Ok(manifest)
}

#[cfg(test)]
mod tests;
