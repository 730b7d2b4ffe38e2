//! The build as a library: list the bulletins under a folder, ingest them
//! (parse, or take from the stage), merge (the overlap rule), transform,
//! and load the database, as a new file or as an update of the previous
//! one. The `cnexport` binary parses arguments, draws progress and prints
//! the report; tests and other programs call [`build`] directly.

mod build;
mod error;
pub mod pipeline_file;
mod progress;
pub mod report;

pub use build::{build, build_with_progress, list_bulletins, BuildOptions, Bulletin};
pub use error::{BuildError, InputProblem};
pub use pipeline_file::{Pipeline, PipelineFileError};
pub use progress::{NoProgress, Progress, Step};
pub use report::{BuildReport, CoverageReport};
