//! Files that hash and count their bytes as they are written, synced to disk
//! before the manifest names them.

use crate::SnapshotError;
use sha2::{Digest, Sha256};
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

/// A writer that hashes and counts what goes through it.
pub(crate) struct Hashing<W> {
    inner: W,
    hasher: Sha256,
    bytes: u64,
}

impl<W: Write> Write for Hashing<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

pub(crate) fn create_hashing(path: &Path) -> Result<Hashing<BufWriter<File>>, SnapshotError> {
    let file = File::create(path).map_err(|source| SnapshotError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    Ok(Hashing {
        inner: BufWriter::with_capacity(1 << 20, file),
        hasher: Sha256::new(),
        bytes: 0,
    })
}

/// Flushes and syncs the file; returns its sha256 and size.
pub(crate) fn finish_hashing(
    w: Hashing<BufWriter<File>>,
    path: &Path,
) -> Result<(String, u64), SnapshotError> {
    let io = |source| SnapshotError::Io {
        path: path.to_path_buf(),
        source,
    };
    let Hashing {
        inner,
        hasher,
        bytes,
    } = w;
    let file = inner.into_inner().map_err(|e| io(e.into_error()))?;
    file.sync_all().map_err(io)?;
    Ok((hex::encode(hasher.finalize()), bytes))
}

pub(crate) fn write_synced(path: &Path, bytes: &[u8]) -> Result<(), SnapshotError> {
    let mut w = create_hashing(path)?;
    w.write_all(bytes).map_err(|source| SnapshotError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    finish_hashing(w, path).map(|_| ())
}

pub(crate) struct Written {
    pub(crate) rows: u64,
    pub(crate) sha256: String,
    pub(crate) bytes: u64,
}
