//! `manifest.json` in the landing folder: one entry per fetched file,
//! newest last, written atomically (temporary file + rename).

use serde::{Deserialize, Serialize};
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

/// The manifest's file name inside the landing folder.
pub const MANIFEST_FILE: &str = "manifest.json";

/// Every file fetched into one landing folder.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// Format version (1).
    pub version: u32,
    /// One entry per stored file, oldest first. A URL whose content changed
    /// has several entries; its newest is the last.
    pub files: Vec<ManifestEntry>,
}

/// One stored file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManifestEntry {
    pub url: String,
    /// Path relative to the landing folder, with `/` separators
    /// (`2025-07-20/出口.csv`).
    pub path: String,
    pub size: u64,
    /// Lowercase hex SHA-256 of the content.
    pub sha256: String,
    /// The server's ETag, sent back as If-None-Match on the next fetch.
    #[serde(default)]
    pub etag: Option<String>,
    /// The server's Last-Modified, sent back as If-Modified-Since.
    #[serde(default)]
    pub last_modified: Option<String>,
    /// When it was downloaded (RFC 3339, UTC).
    pub fetched_at: String,
}

impl Manifest {
    /// The manifest of a landing folder (empty when there is none yet).
    pub fn load(into: &Path) -> Result<Manifest, String> {
        let path = into.join(MANIFEST_FILE);
        match fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| {
                format!(
                    "{}: not a fetch manifest ({e}); move it away to start a new one",
                    path.display()
                )
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Manifest {
                version: 1,
                files: Vec::new(),
            }),
            Err(e) => Err(format!("cannot read {}: {e}", path.display())),
        }
    }

    /// Writes the manifest to a temporary file beside it, then renames it
    /// over the old one, so a crash leaves the old or the new manifest whole.
    pub fn save(&self, into: &Path) -> Result<(), String> {
        let path = into.join(MANIFEST_FILE);
        // The temporary file is removed when it drops, unless persisted.
        let write = || -> std::io::Result<()> {
            let mut tmp = tempfile::Builder::new()
                .prefix(&format!(".{MANIFEST_FILE}.tmp-"))
                .tempfile_in(into)?;
            let mut json = serde_json::to_vec_pretty(self).map_err(std::io::Error::other)?;
            json.push(b'\n');
            tmp.write_all(&json)?;
            tmp.as_file().sync_all()?;
            tmp.persist(&path).map(drop).map_err(|e| e.error)
        };
        write().map_err(|e| format!("cannot write {}: {e}", path.display()))
    }

    /// The newest entry for a URL.
    pub fn latest(&self, url: &str) -> Option<&ManifestEntry> {
        self.files.iter().rev().find(|e| e.url == url)
    }

    pub(crate) fn latest_mut(&mut self, url: &str) -> Option<&mut ManifestEntry> {
        self.files.iter_mut().rev().find(|e| e.url == url)
    }
}

impl ManifestEntry {
    /// The entry's file inside the landing folder.
    pub fn local_path(&self, into: &Path) -> PathBuf {
        into.join(&self.path)
    }
}
