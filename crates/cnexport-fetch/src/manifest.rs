//! `manifest.json` in the landing folder: one entry per fetched file,
//! newest last, and one record per URL whose last answer was not a
//! bulletin; written atomically (temporary file + rename).

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
    /// URLs whose last answer was not a bulletin (nothing stored for that
    /// answer), one record per URL, in the order first seen. A URL that
    /// serves a bulletin again loses its record. Absent from manifests
    /// written before it existed, and left out when empty.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub skipped: Vec<SkippedEntry>,
}

/// Why a URL's answer was not stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SkipKind {
    /// The URL never served a bulletin.
    NotABulletin,
    /// The URL served a bulletin before (it is in [`Manifest::files`]) and
    /// now serves something else; the earlier file is kept untouched.
    ReplacedByNonBulletin,
}

/// A URL whose answer was not a bulletin.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SkippedEntry {
    pub url: String,
    pub kind: SkipKind,
    /// What the answer was, in plain English ("a PDF document", "an HTML
    /// page with no bulletin table (title: 登录; a login form)").
    pub reason: String,
    /// For [`SkipKind::ReplacedByNonBulletin`]: the URL's newest stored
    /// file, kept as it was (relative to the landing folder).
    #[serde(default)]
    pub kept: Option<String>,
    /// Size and SHA-256 of the answer that was not stored.
    pub size: u64,
    pub sha256: String,
    /// When the answer was received (RFC 3339, UTC).
    pub checked_at: String,
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
                ..Manifest::default()
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

    /// The skip record of a URL.
    pub fn skipped(&self, url: &str) -> Option<&SkippedEntry> {
        self.skipped.iter().find(|e| e.url == url)
    }

    /// Records a skipped answer, replacing the URL's earlier record.
    pub(crate) fn record_skip(&mut self, entry: SkippedEntry) {
        match self.skipped.iter_mut().find(|e| e.url == entry.url) {
            Some(old) => *old = entry,
            None => self.skipped.push(entry),
        }
    }

    /// Forgets a URL's skip record; true when there was one.
    pub(crate) fn clear_skip(&mut self, url: &str) -> bool {
        let before = self.skipped.len();
        self.skipped.retain(|e| e.url != url);
        self.skipped.len() != before
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manifest_without_skip_records_still_loads_and_is_written_the_same() {
        let old = r#"{
  "version": 1,
  "files": [
    {
      "url": "http://example.invalid/a.csv",
      "path": "2025-07-20/a.csv",
      "size": 3,
      "sha256": "00",
      "etag": null,
      "last_modified": null,
      "fetched_at": "2025-07-20T00:00:00Z"
    }
  ]
}
"#;
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join(MANIFEST_FILE), old).unwrap();
        let m = Manifest::load(dir.path()).unwrap();
        assert_eq!(m.files.len(), 1);
        assert!(m.skipped.is_empty());
        m.save(dir.path()).unwrap();
        assert_eq!(
            fs::read_to_string(dir.path().join(MANIFEST_FILE)).unwrap(),
            old
        );
    }
}
