//! CSV files: RFC 4180, CRLF line ends, a header row of the column names.

use crate::reader::{cell, for_each_row, Cell, Table};
use crate::sink::{create_hashing, finish_hashing, Written};
use crate::{SnapshotError, PROGRESS_EVERY};
use rusqlite::Connection;
use std::io::Write;
use std::path::Path;

/// The UTF-8 byte-order mark that tells Excel the file is UTF-8.
const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Appends one RFC 4180 field: quoted when it holds a comma, a quote or a
/// line break, or is empty (an empty unquoted field is NULL).
fn push_csv_text(line: &mut Vec<u8>, s: &str) {
    if s.is_empty() || s.contains([',', '"', '\r', '\n']) {
        line.push(b'"');
        for b in s.bytes() {
            if b == b'"' {
                line.push(b'"');
            }
            line.push(b);
        }
        line.push(b'"');
    } else {
        line.extend_from_slice(s.as_bytes());
    }
}

/// A real in the shortest form that reads back as the same f64, always with
/// a `.` or an exponent (`{:?}` of f64).
fn real_text(v: f64) -> String {
    format!("{v:?}")
}

pub(crate) fn write_csv(
    conn: &Connection,
    table: &Table,
    bom: bool,
    path: &Path,
    progress: &mut dyn FnMut(u64),
) -> Result<Written, SnapshotError> {
    let mut w = create_hashing(path)?;
    let io = |source| SnapshotError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut line = Vec::with_capacity(1024);
    if bom {
        line.extend_from_slice(BOM);
    }
    for (i, c) in table.columns.iter().enumerate() {
        if i > 0 {
            line.push(b',');
        }
        push_csv_text(&mut line, &c.name);
    }
    line.extend_from_slice(b"\r\n");
    w.write_all(&line).map_err(io)?;
    let rows = for_each_row(conn, table, |n, row| {
        line.clear();
        for i in 0..table.columns.len() {
            if i > 0 {
                line.push(b',');
            }
            match cell(table, i, n, row)? {
                Cell::Null => {}
                Cell::Integer(v) => line.extend_from_slice(v.to_string().as_bytes()),
                Cell::Real(v) => line.extend_from_slice(real_text(v).as_bytes()),
                Cell::Text(s) => push_csv_text(&mut line, s),
            }
        }
        line.extend_from_slice(b"\r\n");
        w.write_all(&line).map_err(io)?;
        if n % PROGRESS_EVERY == 0 {
            progress(n);
        }
        Ok(())
    })?;
    progress(rows);
    let (sha256, bytes) = finish_hashing(w, path)?;
    Ok(Written {
        rows,
        sha256,
        bytes,
    })
}

#[cfg(test)]
mod tests {
    use super::real_text;

    #[test]
    fn reals_read_back_as_the_same_f64() {
        assert_eq!(real_text(100.0), "100.0");
        assert_eq!(real_text(0.1), "0.1");
        assert_eq!(real_text(1e-7), "1e-7");
        assert_eq!(real_text(-12.25), "-12.25");
    }
}
