//! The served database: a pool of read-only connections per file
//! generation, swapped atomically when a build replaces the file.

use axum::body::Bytes;
use rusqlite::{Connection, OpenFlags, OptionalExtension};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};

/// Most idle connections kept per generation.
const POOL_MAX_IDLE: usize = 16;

/// Most bytes of answers remembered per generation (then no more are added).
const ANSWERS_MAX_BYTES: usize = 64 << 20;
/// Longest request target remembered.
const ANSWER_MAX_TARGET: usize = 512;

/// Answers (200s) already given from one generation: the file never
/// changes under a generation, so the same request gets the same body.
#[derive(Default)]
struct Answers {
    bodies: HashMap<String, Bytes>,
    bytes: usize,
}

/// What identifies one version of the file on disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileIdentity {
    inode: u64,
    size: u64,
    modified_ns: i128,
}

impl FileIdentity {
    pub fn of(path: &Path) -> std::io::Result<FileIdentity> {
        let meta = std::fs::metadata(path)?;
        #[cfg(unix)]
        let inode = std::os::unix::fs::MetadataExt::ino(&meta);
        #[cfg(not(unix))]
        let inode = 0;
        let modified_ns = meta
            .modified()
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map(|d| d.as_nanos() as i128)
            .unwrap_or(0);
        Ok(FileIdentity {
            inode,
            size: meta.len(),
            modified_ns,
        })
    }
}

/// One generation of the database file, with its connection pool.
pub struct DbGeneration {
    pub path: PathBuf,
    pub identity: FileIdentity,
    pub data_month: Option<String>,
    pub input_digest: Option<String>,
    pub generation: u64,
    /// The first connection, opened when the generation was loaded: it holds
    /// the file open, so a later swap cannot pull it away.
    idle: Mutex<Vec<Connection>>,
    answers: RwLock<Answers>,
}

impl DbGeneration {
    /// Opens a generation, checking that the file is a cnexport database.
    pub fn open(path: &Path, generation: u64) -> Result<DbGeneration, String> {
        let identity = FileIdentity::of(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let conn = open_read_only(path)?;
        let meta = |key: &str| -> Result<Option<String>, String> {
            conn.query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
                .optional()
                .map_err(|e| format!("{}: not a cnexport database ({e})", path.display()))
        };
        let data_month = meta("data_latest_month")?;
        let input_digest = meta("input_digest")?;
        Ok(DbGeneration {
            path: path.to_path_buf(),
            identity,
            data_month,
            input_digest,
            generation,
            idle: Mutex::new(vec![conn]),
            answers: RwLock::new(Answers::default()),
        })
    }

    /// The body of a 200 answer already given to this request target.
    pub fn remembered(&self, target: &str) -> Option<Bytes> {
        self.answers.read().ok()?.bodies.get(target).cloned()
    }

    /// Remembers a 200 answer (bounded: past the budget nothing is added).
    pub fn remember(&self, target: &str, body: Bytes) {
        if target.len() > ANSWER_MAX_TARGET {
            return;
        }
        if let Ok(mut a) = self.answers.write() {
            let cost = target.len() + body.len();
            if a.bytes + cost <= ANSWERS_MAX_BYTES && !a.bodies.contains_key(target) {
                a.bytes += cost;
                a.bodies.insert(target.to_string(), body);
            }
        }
    }

    /// Runs `f` with a pooled connection of this generation.
    pub fn with_connection<T>(&self, f: impl FnOnce(&Connection) -> T) -> Result<T, String> {
        let conn = self
            .idle
            .lock()
            .map_err(|_| "pool poisoned".to_string())?
            .pop();
        let conn = match conn {
            Some(c) => c,
            None => open_read_only(&self.path)?,
        };
        let out = f(&conn);
        if let Ok(mut idle) = self.idle.lock() {
            if idle.len() < POOL_MAX_IDLE {
                idle.push(conn);
            }
        }
        Ok(out)
    }
}

fn open_read_only(path: &Path) -> Result<Connection, String> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY
            | OpenFlags::SQLITE_OPEN_NO_MUTEX
            | OpenFlags::SQLITE_OPEN_URI,
    )
    .map_err(|e| format!("{}: cannot open ({e})", path.display()))?;
    // Bound the work of any one query.
    let _ = conn.busy_timeout(std::time::Duration::from_secs(2));
    Ok(conn)
}

/// The current generation, replaceable while requests run.
pub struct ServedDb {
    path: PathBuf,
    current: RwLock<Arc<DbGeneration>>,
}

/// What a reload did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reload {
    Unchanged,
    Switched { generation: u64 },
    Failed(String),
}

impl ServedDb {
    pub fn open(path: &Path) -> Result<ServedDb, String> {
        let generation = DbGeneration::open(path, 1)?;
        Ok(ServedDb {
            path: path.to_path_buf(),
            current: RwLock::new(Arc::new(generation)),
        })
    }

    pub fn current(&self) -> Arc<DbGeneration> {
        match self.current.read() {
            Ok(g) => g.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Switches to the file on disk if it changed. Requests in flight keep
    /// their generation (and its open file) until they finish. A file that
    /// cannot be opened is not switched to: the old one keeps serving.
    pub fn reload(&self, force: bool) -> Reload {
        let now = self.current();
        let identity = match FileIdentity::of(&self.path) {
            Ok(i) => i,
            Err(e) => return Reload::Failed(format!("{}: {e}", self.path.display())),
        };
        if identity == now.identity && !force {
            return Reload::Unchanged;
        }
        match DbGeneration::open(&self.path, now.generation + 1) {
            Ok(next) => {
                let generation = next.generation;
                match self.current.write() {
                    Ok(mut g) => *g = Arc::new(next),
                    Err(poisoned) => *poisoned.into_inner() = Arc::new(next),
                }
                Reload::Switched { generation }
            }
            Err(e) => Reload::Failed(e),
        }
    }
}
