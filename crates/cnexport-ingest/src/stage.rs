//! The staging area: every parsed file is kept, with its facts and its
//! source path, under its content digest, so a re-run parses only new or
//! changed files. Entries are written to a temporary name and renamed, so a
//! killed run never leaves a half-written entry.

use cnexport_core::ParsedFile;
use std::collections::HashMap;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// Bumped whenever parsing changes what a file yields, so stale entries are
/// ignored instead of trusted.
pub const STAGE_FORMAT_VERSION: u32 = 2;

/// A directory of staged parsed files.
#[derive(Debug)]
pub struct Stage {
    dir: PathBuf,
    /// Content digests of input files by path, valid while the file's size
    /// and modification time are unchanged (as `git` trusts its index), so
    /// an unchanged file is neither parsed nor even read again.
    known: Mutex<HashMap<String, Known>>,
    seen: Mutex<HashMap<String, Known>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Known {
    size: u64,
    modified_ns: i128,
    sha256: String,
}

impl Known {
    fn of(meta: &fs::Metadata, sha256: String) -> Option<Known> {
        let modified = meta.modified().ok()?;
        let ns = match modified.duration_since(std::time::UNIX_EPOCH) {
            Ok(d) => d.as_nanos() as i128,
            Err(e) => -(e.duration().as_nanos() as i128),
        };
        Some(Known {
            size: meta.len(),
            modified_ns: ns,
            sha256,
        })
    }
}

const DIGESTS_FILE: &str = "digests.tsv";

impl Stage {
    /// Opens (creating it if needed) a staging directory.
    pub fn open(dir: &Path) -> io::Result<Stage> {
        fs::create_dir_all(dir)?;
        let mut known = HashMap::new();
        // size, modified (ns), sha256, path; a damaged line is skipped.
        if let Ok(text) = fs::read_to_string(dir.join(DIGESTS_FILE)) {
            for line in text.lines() {
                let mut f = line.splitn(4, '\t');
                let (Some(size), Some(ns), Some(sha), Some(path)) =
                    (f.next(), f.next(), f.next(), f.next())
                else {
                    continue;
                };
                if let (Ok(size), Ok(modified_ns)) = (size.parse(), ns.parse()) {
                    let sha256 = sha.to_string();
                    known.insert(
                        path.to_string(),
                        Known {
                            size,
                            modified_ns,
                            sha256,
                        },
                    );
                }
            }
        }
        Ok(Stage {
            dir: dir.to_path_buf(),
            known: Mutex::new(known),
            seen: Mutex::new(HashMap::new()),
        })
    }

    /// The digest recorded for `rel_path` when its size and modification
    /// time are still `meta`'s.
    pub fn known_digest(&self, rel_path: &str, meta: &fs::Metadata) -> Option<String> {
        let known = self.known.lock().unwrap_or_else(|e| e.into_inner());
        let k = known.get(rel_path)?;
        let now = Known::of(meta, k.sha256.clone())?;
        (now == *k).then(|| {
            self.remember(rel_path, now.clone());
            now.sha256
        })
    }

    /// Records the digest of `rel_path` as read with `meta` (before reading).
    pub fn remember_digest(&self, rel_path: &str, meta: &fs::Metadata, sha256: &str) {
        if let Some(k) = Known::of(meta, sha256.to_string()) {
            self.remember(rel_path, k);
        }
    }

    fn remember(&self, rel_path: &str, k: Known) {
        self.seen
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(rel_path.to_string(), k);
    }

    /// Writes the digests of this run's files (atomically); the files of
    /// earlier runs that are gone are forgotten.
    pub fn save_digests(&self) -> io::Result<()> {
        let seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        let mut lines: Vec<String> = seen
            .iter()
            .filter(|(path, _)| !path.contains('\n'))
            .map(|(path, k)| format!("{}\t{}\t{}\t{}\n", k.size, k.modified_ns, k.sha256, path))
            .collect();
        lines.sort();
        let target = self.dir.join(DIGESTS_FILE);
        let tmp = target.with_extension(format!("tmp{}", std::process::id()));
        fs::write(&tmp, lines.concat())?;
        fs::rename(&tmp, &target)
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
        let target = self.entry_path(&parsed.sha256);
        let tmp = target.with_extension(format!("tmp{}", std::process::id()));
        // Written as it is encoded, not gathered in memory first.
        let file = io::BufWriter::with_capacity(1 << 20, fs::File::create(&tmp)?);
        let file = postcard::to_io(parsed, file).map_err(io::Error::other)?;
        file.into_inner().map_err(|e| e.into_error())?;
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
