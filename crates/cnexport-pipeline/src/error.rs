//! Why a build failed. Each message names the file or folder, says what is
//! wrong and, where it is known, what to do; the underlying error is kept
//! as the source. On every error the previous database is left as it was.

use cnexport_ingest::IngestError;
use std::fmt;
use std::path::PathBuf;

/// A build that did not write its database.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error("--input {}: not a directory; give the folder that holds the downloaded bulletins", .input.display())]
    InputNotADirectory { input: PathBuf },

    #[error("cannot read the input directory {}: {source}; check that it exists and is readable", .path.display())]
    ReadInput {
        path: PathBuf,
        source: std::io::Error,
    },

    #[error("--input {}: no bulletin files (.csv, .xlsx, .xls, .html) found; download them from stats.customs.gov.cn into this folder", .input.display())]
    NoBulletins { input: PathBuf },

    #[error("cannot create the staging folder {}: {source}; give a writable folder as --stage; the database was left as it was", .path.display())]
    Stage {
        path: PathBuf,
        source: std::io::Error,
    },

    /// Files that cannot be read or do not fit the build, every one listed.
    #[error(
        "{} input file(s) cannot be used; the database {} was left as it was:\n  {}",
        .problems.len(),
        .db.display(),
        .problems.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n  ")
    )]
    UnusableInputs {
        db: PathBuf,
        problems: Vec<InputProblem>,
    },

    #[error("cannot create the database folder {}: {source}; choose a writable --db path", .path.display())]
    CreateDatabaseFolder {
        path: PathBuf,
        source: std::io::Error,
    },

    #[error("cannot read the database {}: {source}; check its permissions, or build without --incremental", .path.display())]
    ReadDatabase {
        path: PathBuf,
        source: std::io::Error,
    },

    #[error(transparent)]
    Load(#[from] cnexport_load::LoadError),
}

/// One input file that stops a build.
#[derive(Debug, Clone)]
pub enum InputProblem {
    /// The file cannot be read or parsed.
    Ingest(IngestError),
    /// The file's values are in another currency than the build's.
    Currency {
        path: String,
        found: cnexport_core::Currency,
        build: cnexport_core::Currency,
    },
}

impl fmt::Display for InputProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InputProblem::Ingest(e) => e.fmt(f),
            InputProblem::Currency { path, found, build } => write!(
                f,
                "{path}: values are in {} but this build is in {}; download the file in {} or build its currency separately",
                found.name_zh(),
                build.name_zh(),
                build.name_zh()
            ),
        }
    }
}
