//! Inputs the fuzzers (`fuzz/`, `scripts/fuzz.sh`) once crashed on, kept so
//! they never crash again. Each file in `tests/fixtures/fuzz/` is read both
//! through the sniffer (as a build reads it) and by the reader its
//! extension names; either way the outcome is a parsed file or a one-line
//! error naming the file, never a panic.

use cnexport_core::SourceFormat;
use cnexport_ingest::{parse_bytes, parse_bytes_as, IngestErrorKind};
use std::path::Path;

fn format_of(name: &str) -> SourceFormat {
    match name.rsplit('.').next() {
        Some("xlsx") => SourceFormat::Xlsx,
        Some("xls") => SourceFormat::Xls,
        Some("html") => SourceFormat::Html,
        _ => SourceFormat::Csv,
    }
}

#[test]
fn every_input_that_once_crashed_a_fuzzer_reads_cleanly() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/fuzz");
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_str().unwrap().to_string();
        let bytes = std::fs::read(&path).unwrap();
        for result in [
            parse_bytes(&bytes, &name),
            parse_bytes_as(&bytes, &name, format_of(&name)),
        ] {
            match result {
                Ok(p) => assert!(p.facts.len() as u64 <= p.rows_read, "{name}"),
                Err(e) => {
                    assert_eq!(e.path, name);
                    assert!(!e.message.contains('\n'), "{name}: {}", e.message);
                }
            }
        }
        seen += 1;
    }
    assert!(seen >= 1);
}

/// A damaged legacy .xls found by the excel fuzzer: calamine 0.38 panics on
/// it (an assertion in `utils::to_u32`: a buffer whose length is not a
/// multiple of 4); the reader's catch turns that into a file error.
#[test]
fn an_xls_with_a_short_sector_is_a_corrupt_workbook() {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/fuzz/xls-short-sector.xls");
    let bytes = std::fs::read(path).unwrap();
    let e = parse_bytes(&bytes, "raw/x.xls").unwrap_err();
    assert_eq!(e.kind, IngestErrorKind::Undecodable);
    assert!(e.to_string().starts_with("raw/x.xls: "), "{e}");
    assert!(e.message.contains("corrupt"), "{e}");
}

/// A 5 KB .xls whose sector table (FAT) sends a chain round in a loop: calamine
/// 0.38 followed it, allocating until memory ran out (the excel fuzzer's
/// first out-of-memory). The loop is found before calamine reads the file.
#[test]
fn an_xls_whose_fat_loops_is_refused_before_calamine_reads_it() {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/fuzz/xls-looping-fat.xls");
    let bytes = std::fs::read(path).unwrap();
    assert!(bytes.len() < 10_000);
    let e = parse_bytes(&bytes, "raw/loop.xls").unwrap_err();
    assert_eq!(e.kind, IngestErrorKind::Undecodable);
    assert!(e.message.contains("loops"), "{e}");
}

/// A 5 KB .xls whose DIMENSIONS record declares a sheet of petabytes:
/// calamine 0.38 reserves room for every declared cell first, and the failed
/// allocation aborted the process (not a panic: nothing could catch it).
/// The declared size is checked before calamine reads the file.
#[test]
fn an_xls_declaring_a_sheet_larger_than_excel_allows_is_refused() {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/fuzz/xls-huge-dimensions.xls");
    let bytes = std::fs::read(path).unwrap();
    let e = parse_bytes(&bytes, "raw/huge.xls").unwrap_err();
    assert_eq!(e.kind, IngestErrorKind::Undecodable);
    assert!(e.message.contains("more cells"), "{e}");
}

/// A 5 KB .xls whose few cells lie far apart: calamine 0.38 makes a dense
/// grid from the lowest to the highest row and column, 10 GB here (the
/// excel fuzzer's second out-of-memory). The span is checked first.
#[test]
fn an_xls_whose_cells_span_more_than_a_sheet_is_refused() {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/fuzz/xls-sparse-cells.xls");
    let bytes = std::fs::read(path).unwrap();
    let e = parse_bytes(&bytes, "raw/sparse.xls").unwrap_err();
    assert_eq!(e.kind, IngestErrorKind::Undecodable);
    assert!(e.message.contains("span"), "{e}");
}
