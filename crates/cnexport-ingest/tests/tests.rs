//! The integration tests of cnexport-ingest, in one test binary (one link
//! instead of one per file).

mod fuzz_regressions;
mod readers;
