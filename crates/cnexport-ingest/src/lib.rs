//! Ingest: customs bulletin files -> normalized monthly facts.
//!
//! `parse_file` reads one file in any of the platform's forms (see docs/contract.md,
//! section 1); `stage` caches parsed files by content digest so a re-run
//! parses only new or changed files; `merge` applies the overlap rule
//! (later release wins, nothing counted twice).

pub mod merge;
pub mod stage;

// Readers and normalization: see parse.rs (owned by the reader work).
mod parse;
pub use parse::*;
