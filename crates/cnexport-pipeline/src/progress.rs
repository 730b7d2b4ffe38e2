//! Progress of a build, reported to whoever draws it (the CLI draws
//! terminal bars; the library does not know how).

/// A step of a build, in the order they run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Reading the bulletin files (this many), one [`Progress::file_done`] each.
    Ingest { files: u64 },
    /// The overlap rule and the aggregates.
    MergeAndTransform,
    /// Writing (or updating) the database.
    Load,
}

/// Receives a build's progress. Called from the build's threads (files are
/// ingested in parallel), hence `Sync`.
pub trait Progress: Sync {
    /// A step starts.
    fn start(&self, step: Step);
    /// One file of the ingest step is read.
    fn file_done(&self);
    /// The step that started last is over (also when it failed).
    fn finish(&self, step: Step);
    /// Another build of the same database holds its lock and this one
    /// waits for it; `message` says which (`waiting for the build of ...`).
    fn waiting(&self, message: &str) {
        let _ = message;
    }
}

/// Progress that goes nowhere.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoProgress;

impl Progress for NoProgress {
    fn start(&self, _: Step) {}
    fn file_done(&self) {}
    fn finish(&self, _: Step) {}
}
