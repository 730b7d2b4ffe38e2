//! `manifest.json`: what a snapshot holds, written last so that its presence
//! marks a complete snapshot.

use crate::{SnapshotError, SnapshotFormat};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// The version of the manifest's layout; bumped when fields change meaning.
pub const MANIFEST_VERSION: u32 = 1;

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
