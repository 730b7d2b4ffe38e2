//! Pipeline files (`pipelines/*.toml`): typed, unknown keys rejected, every
//! problem listed at once. Relative paths are taken from the pipeline
//! file's own folder, so a pipeline runs the same from any directory.

use serde::Deserialize;
use std::path::{Path, PathBuf};

/// A pipeline file that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum PipelineFileError {
    #[error("cannot read the pipeline {}", .path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}: not a valid pipeline file", .path.display())]
    Syntax {
        path: PathBuf,
        source: toml::de::Error,
    },
    /// Values out of range, every one listed (`<key> = <value>: <what is allowed>`).
    #[error("{}:\n  {}", .path.display(), .problems.join("\n  "))]
    Values {
        path: PathBuf,
        problems: Vec<String>,
    },
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Pipeline {
    /// A name for reports.
    pub name: Option<String>,
    /// Download new bulletins first (optional).
    pub fetch: Option<FetchSection>,
    pub build: BuildSection,
    /// Settings of the metrics.
    pub metrics: Option<MetricsSection>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FetchSection {
    /// URL of the listing page that links the bulletin files.
    pub source: String,
    /// Landing folder; files go to `<into>/<release date>/`.
    pub into: PathBuf,
    /// Seconds per request (default 30).
    pub timeout_secs: Option<u64>,
    /// Retries on 5xx and timeouts (default 4).
    pub retries: Option<u32>,
    /// Parallel downloads (default 4).
    pub parallel: Option<usize>,
    /// Largest file accepted, in MiB (default 200).
    pub max_file_mb: Option<u64>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetricsSection {
    /// A 12-month base below this (yuan) flags growth as `lowBase` and is the
    /// default `minBase` of growth rankings (default 1,000,000).
    pub low_base_threshold: Option<i64>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BuildSection {
    /// Folder of bulletins (searched recursively; release order = path order).
    pub input: PathBuf,
    /// The SQLite database to write (atomically replaced).
    pub db: PathBuf,
    /// The JSON build report (default: `<db>.report.json`).
    pub report: Option<PathBuf>,
    /// Staging folder for parsed files (default: `.cnexport-stage` beside the db).
    pub stage: Option<PathBuf>,
    /// `CNY` (default) or `USD`.
    pub currency: Option<String>,
    /// Update the previous database when only new release files were added
    /// (`cnexport build --incremental`); default false.
    pub incremental: Option<bool>,
}

impl Pipeline {
    /// Reads and checks the pipeline at `path`, with its relative paths
    /// resolved from its folder.
    pub fn load(path: &Path) -> Result<Pipeline, PipelineFileError> {
        let text = std::fs::read_to_string(path).map_err(|source| PipelineFileError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let mut p: Pipeline =
            toml::from_str(&text).map_err(|source| PipelineFileError::Syntax {
                path: path.to_path_buf(),
                source,
            })?;
        let base = path.parent().unwrap_or(Path::new("."));
        let resolve = |p: &mut PathBuf| {
            if p.is_relative() {
                *p = clean(&base.join(&*p));
            }
        };
        resolve(&mut p.build.input);
        resolve(&mut p.build.db);
        if let Some(r) = p.build.report.as_mut() {
            resolve(r);
        }
        if let Some(s) = p.build.stage.as_mut() {
            resolve(s);
        }
        if let Some(f) = p.fetch.as_mut() {
            resolve(&mut f.into);
        }
        let mut problems = Vec::new();
        if let Some(c) = &p.build.currency {
            if !matches!(c.as_str(), "CNY" | "USD") {
                problems.push(format!(
                    "build.currency = {c:?}: allowed values are \"CNY\" and \"USD\""
                ));
            }
        }
        if let Some(f) = &p.fetch {
            if !(f.source.starts_with("http://") || f.source.starts_with("https://")) {
                problems.push(format!(
                    "fetch.source = {:?}: must be an http:// or https:// URL",
                    f.source
                ));
            }
            if f.parallel == Some(0) {
                problems.push("fetch.parallel = 0: at least 1".into());
            }
        }
        if let Some(t) = p.metrics.as_ref().and_then(|m| m.low_base_threshold) {
            if t < 0 {
                problems.push(format!("metrics.low_base_threshold = {t}: must be >= 0"));
            }
        }
        if !problems.is_empty() {
            return Err(PipelineFileError::Values {
                path: path.to_path_buf(),
                problems,
            });
        }
        Ok(p)
    }
}

/// `a/b/../c` -> `a/c`, lexically (for readable paths in messages).
fn clean(path: &Path) -> PathBuf {
    use std::path::Component;
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir
                if matches!(out.components().next_back(), Some(Component::Normal(_))) =>
            {
                out.pop();
            }
            other => out.push(other.as_os_str()),
        }
    }
    if out.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_committed_pipeline_parses() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../pipelines");
        let mut n = 0;
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "toml") {
                let p =
                    Pipeline::load(&path).unwrap_or_else(|e| panic!("{}: {e:#}", path.display()));
                assert!(
                    p.fetch.is_some() || p.build.input.exists(),
                    "{}: input {} missing",
                    path.display(),
                    p.build.input.display()
                );
                n += 1;
            }
        }
        assert!(n >= 1);
    }

    #[test]
    fn unknown_keys_and_bad_values_are_rejected() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.toml");
        std::fs::write(
            &path,
            "[build]\ninput = \"x\"\ndb = \"y.db\"\nthreads = 3\n",
        )
        .unwrap();
        let err = Pipeline::load(&path).unwrap_err();
        let err = format!("{err}: {}", std::error::Error::source(&err).unwrap());
        assert!(err.contains("threads"), "{err}");
        std::fs::write(
            &path,
            "[build]\ninput = \"x\"\ndb = \"y.db\"\ncurrency = \"EUR\"\n",
        )
        .unwrap();
        let err = Pipeline::load(&path).unwrap_err().to_string();
        assert!(err.contains("currency"), "{err}");
    }
}
