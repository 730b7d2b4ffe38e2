//! The served database: a pool of read-only connections per file
//! generation, swapped atomically when a build replaces the file.

use axum::body::Bytes;
use rusqlite::{Connection, OpenFlags, OptionalExtension};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex, RwLock};

/// Why a database file cannot be served.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// The file is missing or unreadable.
    #[error("{}", path.display())]
    Stat {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// SQLite cannot open the file read-only.
    #[error("{}: cannot open", path.display())]
    Open {
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },
    /// The file opens but has no readable `meta` table.
    #[error("{}: not a cnexport database", path.display())]
    NotCnexport {
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },
    /// A thread panicked while it held the connection pool.
    #[error("the connection pool of {} is poisoned", path.display())]
    PoolPoisoned { path: PathBuf },
}

/// Most idle connections kept per generation.
const POOL_MAX_IDLE: usize = 16;

/// Default size of a generation's answer cache.
pub const DEFAULT_CACHE_BYTES: usize = 64 << 20;

/// Answers larger than this are not cached.
const CACHE_MAX_ANSWER: usize = 1 << 20;

/// One answer as sent: status, body and `X-Total-Count`.
#[derive(Debug, Clone)]
pub struct CachedAnswer {
    pub status: u16,
    pub body: Bytes,
    pub total: Option<u64>,
}

/// The answers of one generation by request target. A build's data never
/// changes, so an answer computed once is the answer until the file is
/// swapped, and the cache goes with its generation. Bounded by bytes; when
/// full it starts again empty (simple, and a monthly batch's working set of
/// popular products refills it in seconds).
pub struct AnswerCache {
    max_bytes: usize,
    inner: RwLock<(HashMap<String, Arc<CachedAnswer>>, usize)>,
}

impl AnswerCache {
    pub fn new(max_bytes: usize) -> AnswerCache {
        AnswerCache {
            max_bytes,
            inner: RwLock::new((HashMap::new(), 0)),
        }
    }

    pub fn get(&self, target: &str) -> Option<Arc<CachedAnswer>> {
        if self.max_bytes == 0 {
            return None;
        }
        self.inner.read().ok()?.0.get(target).cloned()
    }

    /// Keeps an answer (not a server error: those may pass).
    pub fn put(&self, target: &str, answer: Arc<CachedAnswer>) {
        let size = target.len() + answer.body.len() + 64;
        if self.max_bytes == 0 || answer.status >= 500 || size > CACHE_MAX_ANSWER {
            return;
        }
        if let Ok(mut inner) = self.inner.write() {
            let (map, bytes) = &mut *inner;
            if *bytes + size > self.max_bytes {
                map.clear();
                *bytes = 0;
            }
            if map.insert(target.to_string(), answer).is_none() {
                *bytes += size;
            }
        }
    }

    /// (entries, bytes)
    pub fn usage(&self) -> (usize, usize) {
        self.inner
            .read()
            .map(|i| (i.0.len(), i.1))
            .unwrap_or((0, 0))
    }
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
    /// Signalled when a connection goes back to `idle`.
    returned: Condvar,
    /// Answers computed from this generation.
    pub cache: AnswerCache,
}

impl DbGeneration {
    /// Opens a generation, checking that the file is a cnexport database.
    pub fn open(path: &Path, generation: u64, cache_bytes: usize) -> Result<DbGeneration, DbError> {
        let identity = FileIdentity::of(path).map_err(|source| DbError::Stat {
            path: path.to_path_buf(),
            source,
        })?;
        let conn = open_read_only(path)?;
        let meta = |key: &str| -> Result<Option<String>, DbError> {
            conn.query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
                .optional()
                .map_err(|source| DbError::NotCnexport {
                    path: path.to_path_buf(),
                    source,
                })
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
            returned: Condvar::new(),
            cache: AnswerCache::new(cache_bytes),
        })
    }

    /// Runs `f` with a pooled connection of this generation. A new
    /// connection is opened only while the path still names this
    /// generation's file: once the file was deleted or replaced (by a
    /// truncated copy, say, that the server will not switch to), opening the
    /// path would reach another file, so the request waits for one of this
    /// generation's connections instead (at least one always exists).
    pub fn with_connection<T>(&self, f: impl FnOnce(&Connection) -> T) -> Result<T, DbError> {
        let poisoned = || DbError::PoolPoisoned {
            path: self.path.clone(),
        };
        let conn = {
            let mut idle = self.idle.lock().map_err(|_| poisoned())?;
            match idle.pop() {
                Some(c) => c,
                None if FileIdentity::of(&self.path).ok().as_ref() == Some(&self.identity) => {
                    drop(idle);
                    open_read_only(&self.path)?
                }
                None => loop {
                    let (guard, waited) = self
                        .returned
                        .wait_timeout(idle, std::time::Duration::from_secs(2))
                        .map_err(|_| poisoned())?;
                    idle = guard;
                    if let Some(c) = idle.pop() {
                        break c;
                    }
                    if waited.timed_out() {
                        // No connection came back (a request that panicked
                        // took the last one): try the path after all.
                        drop(idle);
                        break open_read_only(&self.path)?;
                    }
                },
            }
        };
        let out = f(&conn);
        if let Ok(mut idle) = self.idle.lock() {
            if idle.len() < POOL_MAX_IDLE {
                idle.push(conn);
                self.returned.notify_one();
            }
        }
        Ok(out)
    }
}

fn open_read_only(path: &Path) -> Result<Connection, DbError> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY
            | OpenFlags::SQLITE_OPEN_NO_MUTEX
            | OpenFlags::SQLITE_OPEN_URI,
    )
    .map_err(|source| DbError::Open {
        path: path.to_path_buf(),
        source,
    })?;
    // Bound the work of any one query.
    let _ = conn.busy_timeout(std::time::Duration::from_secs(2));
    Ok(conn)
}

/// The current generation, replaceable while requests run.
pub struct ServedDb {
    path: PathBuf,
    cache_bytes: usize,
    current: RwLock<Arc<DbGeneration>>,
}

/// What a reload did.
#[derive(Debug)]
pub enum Reload {
    Unchanged,
    Switched {
        generation: u64,
    },
    /// The file on disk cannot be served; the current generation stays.
    Failed(DbError),
}

impl ServedDb {
    /// Opens the file with the default answer cache.
    pub fn open(path: &Path) -> Result<ServedDb, DbError> {
        ServedDb::open_with_cache(path, DEFAULT_CACHE_BYTES)
    }

    /// Opens the file; each generation caches answers up to `cache_bytes`
    /// (0: no cache).
    pub fn open_with_cache(path: &Path, cache_bytes: usize) -> Result<ServedDb, DbError> {
        let generation = DbGeneration::open(path, 1, cache_bytes)?;
        Ok(ServedDb {
            cache_bytes,
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
            Err(source) => {
                return Reload::Failed(DbError::Stat {
                    path: self.path.clone(),
                    source,
                })
            }
        };
        if identity == now.identity && !force {
            return Reload::Unchanged;
        }
        match DbGeneration::open(&self.path, now.generation + 1, self.cache_bytes) {
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A tiny database with the `meta` table a generation reads.
    fn tiny(path: &Path) {
        let conn = Connection::open(path).unwrap();
        conn.execute_batch(
            "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT);
             INSERT INTO meta VALUES ('data_latest_month', '202510');",
        )
        .unwrap();
    }

    #[test]
    fn a_deleted_or_replaced_file_is_served_from_the_open_connections() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.db");
        tiny(&path);
        let generation = Arc::new(DbGeneration::open(&path, 1, 0).unwrap());
        let month = |conn: &Connection| -> String {
            conn.query_row("SELECT value FROM meta", [], |r| r.get(0))
                .unwrap()
        };
        for replace in [false, true] {
            // One request holds the only connection while the file goes.
            let (held, release) = std::sync::mpsc::channel::<()>();
            let busy = {
                let generation = generation.clone();
                let (started, wait) = std::sync::mpsc::channel::<()>();
                let t = std::thread::spawn(move || {
                    generation
                        .with_connection(|conn| {
                            started.send(()).unwrap();
                            let _ = release.recv();
                            month(conn)
                        })
                        .unwrap()
                });
                wait.recv().unwrap();
                t
            };
            let _ = std::fs::remove_file(&path);
            if replace {
                std::fs::write(&path, b"SQLite format 3\0 truncated").unwrap();
            }
            // A second request: no connection to the path (gone, or another
            // file), so it waits for the first one's.
            let second = {
                let generation = generation.clone();
                std::thread::spawn(move || generation.with_connection(month).unwrap())
            };
            std::thread::sleep(std::time::Duration::from_millis(100));
            held.send(()).unwrap();
            assert_eq!(busy.join().unwrap(), "202510");
            assert_eq!(second.join().unwrap(), "202510");
        }
    }
}
