//! The workbook readers (calamine): .xlsx and .xls.
//!
//! Raw bytes rarely make a zip that gets as far as the sheet XML, so the
//! first byte chooses what the rest is:
//! - 0: a raw .xlsx file;
//! - 1: a raw .xls (OLE) file;
//! - otherwise: the XML of the first worksheet (and, after a NUL byte, the
//!   shared strings), packed into a valid .xlsx with a fixed workbook
//!   (`cnexport_testkit::xlsx`).
#![no_main]

use cnexport_core::SourceFormat;
use cnexport_testkit::xlsx::workbook;
use libfuzzer_sys::fuzz_target;

fuzz_target!(
    init: {
        // The reader runs calamine under catch_unwind: a panic inside it is
        // a file error ("the workbook reader failed on its content"), as in
        // a real build. libfuzzer-sys's panic hook would abort the process
        // before that catch, so this target puts back a quiet hook. A panic
        // that escapes the reader still reaches libfuzzer-sys's own catch
        // and aborts: it is a crash.
        std::panic::set_hook(Box::new(|_| {}));
    },
    |data: &[u8]| run(data)
);

fn run(data: &[u8]) {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let (bytes, format) = match mode {
        0 => (rest.to_vec(), SourceFormat::Xlsx),
        1 => (rest.to_vec(), SourceFormat::Xls),
        _ => {
            let (sheet, strings) = match rest.iter().position(|b| *b == 0) {
                Some(i) => (&rest[..i], &rest[i + 1..]),
                None => (rest, &b""[..]),
            };
            (workbook(sheet, Some(strings)), SourceFormat::Xlsx)
        }
    };
    match cnexport_ingest::parse_bytes_as(&bytes, "fuzz.xlsx", format) {
        Err(e) => assert!(!e.message.contains('\n'), "{}", e.message),
        Ok(p) => assert!(p.facts.len() as u64 <= p.rows_read),
    }
}
