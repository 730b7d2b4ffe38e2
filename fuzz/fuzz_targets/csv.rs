//! The delimited-text reader (CSV, tab, semicolon; UTF-8, UTF-16, GB18030).
#![no_main]

use cnexport_core::SourceFormat;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    check(
        cnexport_ingest::parse_bytes_as(data, "fuzz.csv", SourceFormat::Csv),
        data,
    );
    // And through the sniffer, as a build reads a landing folder.
    let _ = cnexport_ingest::parse_bytes(data, "fuzz.csv");
});

/// What holds for any input: an error is one line naming the file; a parsed
/// file accounts for every row it read.
fn check(r: Result<cnexport_core::ParsedFile, cnexport_ingest::IngestError>, data: &[u8]) {
    match r {
        Err(e) => {
            assert_eq!(e.path, "fuzz.csv");
            assert!(!e.message.contains('\n'), "{}", e.message);
        }
        Ok(p) => {
            assert_eq!(p.size, data.len() as u64);
            assert!(p.facts.len() as u64 <= p.rows_read);
        }
    }
}
