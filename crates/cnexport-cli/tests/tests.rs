//! The integration tests of `cnexport`, in one test binary: one link
//! instead of one per file. Each module is one group of tests; `common`
//! holds what they share (the sample database is built once for all).
//! Run one group with `cargo test -p cnexport-cli --test integration golden::`.

mod common;
mod oracle;

mod bad_inputs;
mod build_guarantees;
mod coverage;
mod end_to_end;
mod faults;
mod golden;
mod hostile_clients;
mod http;
mod incremental;
mod json_access_log;
mod mcp;
mod metrics_oracle;
mod monthly;
mod snapshot;
mod web;
