//! Test inputs that several of cnexport's test suites build by hand.
//!
//! - [`zip`]: ZIP archives byte by byte, including the broken ones a reader
//!   must refuse (a wrong CRC, a declared size that lies);
//! - [`xlsx`]: the parts of a one-sheet workbook, and the workbook zipped;
//! - [`bulletin`]: the header of a customs bulletin as the platform writes it;
//! - [`rng`]: the splitmix64 stream behind every generated input, so that the
//!   same seed gives the same files in every crate;
//! - [`write_tree`]: generated files written under a landing folder;
//! - [`platform`]: a simulated customs statistics platform: generated
//!   facts, the downloads a query gives (the real bytes, the 10,000-row
//!   cap) and an HTTP server with a listing page and its strays.

pub mod bulletin;
pub mod platform;
pub mod rng;
pub mod xlsx;
pub mod zip;

use std::path::Path;

/// Writes each `(relative path, bytes)` under `root`, creating folders as
/// needed: a generated landing folder for `cnexport build --input`.
///
/// Panics on any I/O error (a test cannot go on without its input).
pub fn write_tree<P: AsRef<Path>, B: AsRef<[u8]>>(
    root: &Path,
    files: impl IntoIterator<Item = (P, B)>,
) {
    for (rel, bytes) in files {
        let path = root.join(rel.as_ref());
        let parent = path.parent().unwrap_or(root);
        std::fs::create_dir_all(parent)
            .unwrap_or_else(|e| panic!("cannot create {}: {e}", parent.display()));
        std::fs::write(&path, bytes.as_ref())
            .unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn write_tree_creates_the_folders() {
        let dir = std::env::temp_dir().join(format!("cnexport-testkit-{}", std::process::id()));
        super::write_tree(&dir, [("2024/a.csv", "x"), ("b.csv", "yz")]);
        assert_eq!(std::fs::read(dir.join("2024/a.csv")).unwrap(), b"x");
        assert_eq!(std::fs::read(dir.join("b.csv")).unwrap(), b"yz");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
