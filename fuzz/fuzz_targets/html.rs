//! The saved-page reader (`<table>` markup, declared charsets).
#![no_main]

use cnexport_core::SourceFormat;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    match cnexport_ingest::parse_bytes_as(data, "fuzz.html", SourceFormat::Html) {
        Err(e) => assert!(!e.message.contains('\n'), "{}", e.message),
        Ok(p) => assert!(p.facts.len() as u64 <= p.rows_read),
    }
});
