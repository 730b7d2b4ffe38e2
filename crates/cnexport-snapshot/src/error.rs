//! What can go wrong while writing a snapshot.

use std::path::PathBuf;

/// What went wrong; every message says what to do about it.
#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    #[error("unknown snapshot format `{0}` (use parquet or csv)")]
    UnknownFormat(String),
    #[error("cannot open the database {} read-only (build one with `cnexport build --input DIR --db FILE`)", path.display())]
    Open {
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },
    #[error("cannot read {what} from the database")]
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
    #[error("cannot write the Parquet file {}", path.display())]
    Parquet {
        path: PathBuf,
        #[source]
        source: parquet::errors::ParquetError,
    },
    #[error("cannot write {} (check that the folder is writable and the disk has room)", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("--out {} exists and is not a snapshot (no manifest.json in it): give a new or empty folder, it is never overwritten", path.display())]
    OutNotSnapshot { path: PathBuf },
}
