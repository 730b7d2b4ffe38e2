//! One build of a database at a time: a lock file beside the database
//! (`.<name>.lock`) holding an OS advisory lock (`flock`) and, as text, the
//! process id and start time of the build that holds it.
//!
//! The OS releases the lock when its process ends, however it ends, so a
//! crashed build never blocks the next one: its lock file stays behind,
//! unlocked, and the next build locks it again and writes its own process
//! id. A build that finishes (or fails) removes the lock file while still
//! holding the lock; a build waiting on that file then finds it gone and
//! locks a new one, so two builds never both hold the lock.
//! Where `flock` is not available (not Unix) there is no lock.

use crate::{classify_io, LoadError};
use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

/// The lock file of the database `target`: `.<name>.lock` beside it.
pub fn lock_path(target: &Path) -> PathBuf {
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_else(|| "cnexport.db".into());
    target.with_file_name(format!(".{name}.lock"))
}

/// The build that holds a lock, as its lock file says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holder {
    pub pid: u32,
    /// UTC, `YYYY-MM-DD HH:MM:SS`.
    pub started: String,
}

impl Holder {
    fn read(path: &Path) -> Option<Holder> {
        let text = fs::read_to_string(path).ok()?;
        let mut pid = None;
        let mut started = None;
        for line in text.lines() {
            if let Some(p) = line.strip_prefix("pid ") {
                pid = p.trim().parse().ok();
            } else if let Some(s) = line.strip_prefix("started ") {
                started = Some(s.trim().to_string());
            }
        }
        Some(Holder {
            pid: pid?,
            started: started.unwrap_or_default(),
        })
    }

    /// `process 123 (started 2026-12-01 10:00:00 UTC)`, or a vaguer text
    /// when the lock file does not say (yet).
    pub fn describe(holder: Option<&Holder>) -> String {
        match holder {
            Some(h) if !h.started.is_empty() => {
                format!("process {} (started {} UTC)", h.pid, h.started)
            }
            Some(h) => format!("process {}", h.pid),
            None => "another process".to_string(),
        }
    }
}

/// What to do when another build holds the lock.
pub enum Wait<'a> {
    /// Wait for it; the function is told once, before waiting, who holds it.
    Wait(&'a dyn Fn(Option<&Holder>)),
    /// Fail at once with [`LoadError::Locked`].
    NoWait,
}

/// A held build lock; dropping it removes the lock file and releases it.
#[derive(Debug)]
pub struct BuildLock {
    path: PathBuf,
    file: Option<File>,
}

impl BuildLock {
    /// Takes the lock of the database `target` (its folder must exist).
    pub fn acquire(target: &Path, wait: Wait<'_>) -> Result<BuildLock, LoadError> {
        let path = lock_path(target);
        let mut told = false;
        loop {
            let file = OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false)
                .open(&path)
                .map_err(|e| classify_io(target, &path, e))?;
            if !try_lock(&file).map_err(|e| classify_io(target, &path, e))? {
                let holder = Holder::read(&path);
                match &wait {
                    Wait::NoWait => {
                        return Err(LoadError::Locked {
                            db: target.to_path_buf(),
                            lock: path,
                            holder: Holder::describe(holder.as_ref()),
                        })
                    }
                    Wait::Wait(tell) => {
                        if !told {
                            tell(holder.as_ref());
                            told = true;
                        }
                        lock(&file).map_err(|e| classify_io(target, &path, e))?;
                    }
                }
            }
            // The holder we waited for removed the file: lock the new one.
            if !same_file(&file, &path) {
                continue;
            }
            let mut lock = BuildLock {
                path,
                file: Some(file),
            };
            lock.write_holder();
            return Ok(lock);
        }
    }

    fn write_holder(&mut self) {
        let Some(file) = self.file.as_mut() else {
            return;
        };
        let started = chrono::Utc::now().format("%Y-%m-%d %H:%M:%S");
        // The lock is what matters; a lock file without its text (a full
        // disk) only makes a waiting build's message vaguer.
        let _ = file.set_len(0).and_then(|()| {
            file.write_all(format!("pid {}\nstarted {started}\n", std::process::id()).as_bytes())
        });
    }
}

impl Drop for BuildLock {
    fn drop(&mut self) {
        // Removed while held (see the module documentation), then released.
        let _ = fs::remove_file(&self.path);
        drop(self.file.take());
    }
}

#[cfg(unix)]
fn try_lock(file: &File) -> std::io::Result<bool> {
    use rustix::fs::{flock, FlockOperation};
    match flock(file, FlockOperation::NonBlockingLockExclusive) {
        Ok(()) => Ok(true),
        Err(e) if e == rustix::io::Errno::WOULDBLOCK => Ok(false),
        Err(e) => Err(e.into()),
    }
}

#[cfg(unix)]
fn lock(file: &File) -> std::io::Result<()> {
    use rustix::fs::{flock, FlockOperation};
    flock(file, FlockOperation::LockExclusive).map_err(Into::into)
}

#[cfg(unix)]
fn same_file(file: &File, path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (file.metadata(), fs::metadata(path)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

#[cfg(not(unix))]
fn try_lock(_: &File) -> std::io::Result<bool> {
    Ok(true)
}

#[cfg(not(unix))]
fn lock(_: &File) -> std::io::Result<()> {
    Ok(())
}

#[cfg(not(unix))]
fn same_file(_: &File, path: &Path) -> bool {
    path.exists()
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn a_second_lock_waits_or_fails_and_the_file_goes_with_the_lock() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("x.db");
        let first = BuildLock::acquire(&db, Wait::NoWait).unwrap();
        let text = fs::read_to_string(lock_path(&db)).unwrap();
        assert!(
            text.starts_with(&format!("pid {}\n", std::process::id())),
            "{text}"
        );
        // flock is per open file: a second open in this process conflicts too.
        let err = BuildLock::acquire(&db, Wait::NoWait).unwrap_err();
        let shown = err.to_string();
        assert!(
            shown.contains(&format!("process {}", std::process::id())),
            "{shown}"
        );
        assert!(shown.contains("x.db"), "{shown}");
        let waiter = {
            let db = db.clone();
            std::thread::spawn(move || {
                let told = std::sync::atomic::AtomicBool::new(false);
                let lock = BuildLock::acquire(
                    &db,
                    Wait::Wait(&|h| {
                        assert!(h.is_some());
                        told.store(true, std::sync::atomic::Ordering::SeqCst);
                    }),
                )
                .unwrap();
                (lock, told.into_inner())
            })
        };
        std::thread::sleep(std::time::Duration::from_millis(200));
        drop(first);
        let (second, told) = waiter.join().unwrap();
        assert!(told);
        assert!(lock_path(&db).exists());
        drop(second);
        assert!(!lock_path(&db).exists());
        // A stale lock file (its process gone) is taken over.
        fs::write(lock_path(&db), "pid 999999\nstarted 2000-01-01 00:00:00\n").unwrap();
        let third = BuildLock::acquire(&db, Wait::NoWait).unwrap();
        drop(third);
        assert!(!lock_path(&db).exists());
    }
}
