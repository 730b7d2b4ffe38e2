//! The staging area: every parsed file is kept, with its facts and its
//! source path, under its content digest, so a re-run parses only new or
//! changed files. Entries are written to a temporary name and renamed, so a
//! killed run never leaves a half-written entry.

use cnexport_core::ParsedFile;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// Bumped whenever parsing changes what a file yields, so stale entries are
/// ignored instead of trusted.
pub const STAGE_FORMAT_VERSION: u32 = 2;

/// A directory of staged parsed files.
#[derive(Debug, Clone)]
pub struct Stage {
    dir: PathBuf,
}

impl Stage {
    /// Opens (creating it if needed) a staging directory.
    pub fn open(dir: &Path) -> io::Result<Stage> {
        fs::create_dir_all(dir)?;
        Ok(Stage {
            dir: dir.to_path_buf(),
        })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn entry_path(&self, sha256: &str) -> PathBuf {
        self.dir
            .join(format!("v{STAGE_FORMAT_VERSION}-{sha256}.facts"))
    }

    /// The staged parse of a file with this digest, if any. The stored path
    /// is replaced by `rel_path` (the same content may have moved). A
    /// corrupt entry counts as absent.
    pub fn get(&self, sha256: &str, rel_path: &str) -> Option<ParsedFile> {
        let bytes = fs::read(self.entry_path(sha256)).ok()?;
        let mut parsed: ParsedFile = postcard::from_bytes(&bytes).ok()?;
        if parsed.sha256 != sha256 {
            return None;
        }
        if parsed.path != rel_path {
            // Warnings name the file: name it as it is now.
            for w in &mut parsed.warnings {
                *w = w.replace(&parsed.path, rel_path);
            }
            parsed.path = rel_path.to_string();
        }
        Some(parsed)
    }

    /// Stores a parsed file (atomically: temporary name, then rename).
    pub fn put(&self, parsed: &ParsedFile) -> io::Result<()> {
        let bytes = postcard::to_allocvec(parsed).map_err(io::Error::other)?;
        let target = self.entry_path(&parsed.sha256);
        let tmp = target.with_extension(format!("tmp{}", std::process::id()));
        fs::write(&tmp, &bytes)?;
        fs::rename(&tmp, &target)
    }

    /// Removes entries whose digest is not in `keep` (files no longer in the
    /// input). Returns how many were removed.
    pub fn prune(&self, keep: &[&str]) -> io::Result<usize> {
        let mut removed = 0;
        for entry in fs::read_dir(&self.dir)? {
            let entry = entry?;
            let name = entry.file_name().to_string_lossy().to_string();
            let keep_it = keep
                .iter()
                .any(|sha| name == format!("v{STAGE_FORMAT_VERSION}-{sha}.facts"));
            if !keep_it && (name.ends_with(".facts") || name.contains(".tmp")) {
                fs::remove_file(entry.path())?;
                removed += 1;
            }
        }
        Ok(removed)
    }
}

/// The content digest a stage entry is keyed by: lowercase hex sha256.
pub fn content_digest(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(bytes))
}
