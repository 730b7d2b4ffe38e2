//! The atomic directory swap: a snapshot is written into a hidden staging
//! folder beside `--out` and renamed into place only when complete.

use crate::SnapshotError;
use std::fs::File;
use std::path::{Path, PathBuf};

/// Creates the hidden staging folder `.<name>.partial-XXXX` beside `out`
/// (and `out`'s parent if needed), after checking that `out` may be written.
/// The folder is removed when the returned guard drops, so an export that
/// fails leaves nothing behind; a killed one leaves only this hidden folder.
pub(crate) fn stage(out: &Path) -> Result<tempfile::TempDir, SnapshotError> {
    check_out(out)?;
    let parent = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&parent).map_err(|source| SnapshotError::Io {
        path: parent.clone(),
        source,
    })?;
    let name = out
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "snapshot".into());
    tempfile::Builder::new()
        .prefix(&format!(".{name}.partial-"))
        .tempdir_in(&parent)
        .map_err(|source| SnapshotError::Io {
            path: parent,
            source,
        })
}

/// Refuses an `out` that exists and is neither empty nor a snapshot.
fn check_out(out: &Path) -> Result<(), SnapshotError> {
    if !out.exists() {
        return Ok(());
    }
    let refuse = || SnapshotError::OutNotSnapshot {
        path: out.to_path_buf(),
    };
    if !out.is_dir() {
        return Err(refuse());
    }
    if out.join("manifest.json").is_file() {
        return Ok(());
    }
    let mut entries = std::fs::read_dir(out).map_err(|source| SnapshotError::Io {
        path: out.to_path_buf(),
        source,
    })?;
    if entries.next().is_some() {
        return Err(refuse());
    }
    Ok(())
}

/// Moves the finished staging folder to `out`: an empty `out` is removed
/// first; an earlier snapshot is moved aside, replaced, then deleted.
pub(crate) fn publish(staging: tempfile::TempDir, out: &Path) -> Result<(), SnapshotError> {
    check_out(out)?;
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| SnapshotError::Io { path, source }
    };
    let parent = staging
        .path()
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."));
    let mut old = None;
    if out.exists() {
        if out.join("manifest.json").is_file() {
            let aside = tempfile::Builder::new()
                .prefix(&format!(
                    ".{}.old-",
                    out.file_name().unwrap_or_default().to_string_lossy()
                ))
                .tempdir_in(&parent)
                .map_err(io(&parent))?;
            // rename() onto the empty folder `aside` replaces it.
            std::fs::rename(out, aside.path()).map_err(io(out))?;
            old = Some(aside);
        } else {
            std::fs::remove_dir(out).map_err(io(out))?;
        }
    }
    let staged = staging.keep();
    if let Err(source) = std::fs::rename(&staged, out) {
        let _ = std::fs::remove_dir_all(&staged);
        if let Some(old) = &old {
            // Put the earlier snapshot back.
            let _ = std::fs::rename(old.path(), out);
        }
        return Err(SnapshotError::Io {
            path: out.to_path_buf(),
            source,
        });
    }
    if let Ok(dir) = File::open(&parent) {
        let _ = dir.sync_all();
    }
    drop(old); // deletes the earlier snapshot
    Ok(())
}
