//! Excel workbooks (.xlsx and legacy .xls) through calamine.

use super::columns::{self, Columns, HEADER_SCAN_ROWS};
use super::fields::Cell;
use super::rows::{Row, RowSink};
use super::{excerpt, IngestError, IngestErrorKind, Table};
use calamine::{open_workbook_from_rs, Data, Range, Reader, Xls, Xlsx};
use cnexport_core::{Month, SourceFormat};
use std::borrow::Cow;
use std::fmt::Display;
use std::io::Cursor;
use std::panic::{catch_unwind, AssertUnwindSafe};

/// An .xlsx whose parts declare more than this, unpacked, is refused
/// (a guard against zip bombs; a full 1,048,576-row sheet is well below).
pub const MAX_XLSX_UNPACKED_BYTES: u64 = 4 << 30;

pub(crate) fn read(
    bytes: &[u8],
    rel_path: &str,
    format: SourceFormat,
) -> Result<Table, IngestError> {
    if format == SourceFormat::Xlsx {
        let entries = check_zip(bytes, rel_path)?;
        if let Some(names) = entries {
            if !names.iter().any(|n| n == "xl/workbook.xml") {
                return Err(not_a_workbook(rel_path, &names));
            }
        }
    }
    if format == SourceFormat::Xls {
        check_cfb(bytes).map_err(|why| corrupt(rel_path, format, why))?;
    }
    // calamine parses untrusted bytes; a panic in it must not take the
    // pipeline down, so it becomes a file error.
    match catch_unwind(AssertUnwindSafe(|| read_workbook(bytes, rel_path, format))) {
        Ok(result) => result,
        Err(_) => Err(corrupt(
            rel_path,
            format,
            "the workbook reader failed on its content",
        )),
    }
}

fn kind_name(format: SourceFormat) -> &'static str {
    match format {
        SourceFormat::Xls => ".xls",
        _ => ".xlsx",
    }
}

fn corrupt(rel_path: &str, format: SourceFormat, why: &str) -> IngestError {
    IngestError::new(
        rel_path,
        IngestErrorKind::Undecodable,
        format!(
            "the {} workbook is truncated or corrupt and cannot be read ({why})",
            kind_name(format)
        ),
        "download the file again (or open it in Excel and save it again as .xlsx or CSV)",
    )
}

fn read_workbook(bytes: &[u8], rel_path: &str, format: SourceFormat) -> Result<Table, IngestError> {
    let cursor = Cursor::new(bytes);
    match format {
        SourceFormat::Xls => {
            let mut wb: Xls<_> = open_workbook_from_rs(cursor)
                .map_err(|e: calamine::XlsError| corrupt(rel_path, format, &e.to_string()))?;
            read_sheets(&mut wb, rel_path, format)
        }
        _ => {
            let mut wb: Xlsx<_> = open_workbook_from_rs(cursor)
                .map_err(|e: calamine::XlsxError| corrupt(rel_path, format, &e.to_string()))?;
            check_xlsx_cell_span(&mut wb).map_err(|why| corrupt(rel_path, format, why))?;
            read_sheets(&mut wb, rel_path, format)
        }
    }
}

/// calamine 0.38 turns a sheet's cells into a dense grid spanning the
/// lowest to the highest row and column any non-empty cell names, so a
/// 1 KB .xlsx with cells at A1 and XFD1048576 made it allocate 550 GB, and
/// the failed allocation aborted the process. Each sheet's cells are
/// streamed first (no grid) and must span at most [`MAX_XLSX_CELLS`].
fn check_xlsx_cell_span(wb: &mut Xlsx<Cursor<&[u8]>>) -> Result<(), &'static str> {
    for name in wb.sheet_names() {
        let Ok(mut cells) = wb.worksheet_cells_reader(&name) else {
            continue; // worksheet_range reports it
        };
        let (mut r0, mut r1, mut c0, mut c1) = (u32::MAX, 0u32, u32::MAX, 0u32);
        while let Ok(Some(cell)) = cells.next_cell() {
            if matches!(cell.get_value(), calamine::DataRef::Empty) {
                continue;
            }
            let (r, c) = cell.get_position();
            r0 = r0.min(r);
            r1 = r1.max(r);
            c0 = c0.min(c);
            c1 = c1.max(c);
        }
        if r0 <= r1 && c0 <= c1 {
            let span = ((r1 - r0) as usize + 1).saturating_mul((c1 - c0) as usize + 1);
            if span > MAX_XLSX_CELLS {
                return Err("a worksheet's cells span more than 16,777,216 cells");
            }
        }
    }
    Ok(())
}

/// Most cells a worksheet's filled area may span (the span of a full
/// BIFF8 sheet; a bulletin download is at most 10,000 rows by a dozen
/// columns).
pub const MAX_XLSX_CELLS: usize = 65_536 * 256;

struct ExcelRow<'a> {
    cells: &'a [Data],
}

impl Row for ExcelRow<'_> {
    fn len(&self) -> usize {
        self.cells.len()
    }
    fn cell(&self, i: usize) -> Cell<'_> {
        data_cell(self.cells.get(i).unwrap_or(&Data::Empty))
    }
}

fn data_cell(d: &Data) -> Cell<'_> {
    match d {
        Data::Empty => Cell::Empty,
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => {
            Cell::Text(Cow::Borrowed(s))
        }
        Data::Float(f) => Cell::Float(*f),
        Data::Int(n) => Cell::Int(*n),
        Data::Bool(b) => Cell::Text(Cow::Borrowed(if *b { "TRUE" } else { "FALSE" })),
        Data::DateTime(dt) => {
            let serial = dt.as_f64();
            let month = if dt.is_datetime() && serial.is_finite() && serial >= 1.0 {
                let (y, m, ..) = dt.to_ymd_hms_milli();
                Month::new(u32::from(y), u32::from(m))
            } else {
                None
            };
            Cell::Date { serial, month }
        }
        Data::Error(e) => Cell::Text(Cow::Owned(e.to_string())),
    }
}

fn row_texts(cells: &[Data]) -> Vec<String> {
    cells
        .iter()
        .map(|d| data_cell(d).text().into_owned())
        .collect()
}

/// Where the header of a sheet is: (row index in the range, all four
/// required columns present).
fn find_header(range: &Range<Data>) -> (Option<(usize, bool)>, Option<String>) {
    let mut first_row = None;
    for (i, row) in range
        .rows()
        .enumerate()
        .filter(|(_, r)| !r.iter().all(|d| data_cell(d).is_blank()))
        .take(HEADER_SCAN_ROWS)
    {
        let texts = row_texts(row);
        let hits = columns::required_hits(texts.iter().map(|t| t.as_ref()));
        if hits >= 2 {
            return (Some((i, hits == 4)), first_row);
        }
        if first_row.is_none() {
            first_row = Some(excerpt(texts.iter().map(|t| t.as_ref())));
        }
    }
    (None, first_row)
}

fn read_sheets<'b, R>(
    wb: &mut R,
    rel_path: &str,
    format: SourceFormat,
) -> Result<Table, IngestError>
where
    R: Reader<Cursor<&'b [u8]>>,
    R::Error: Display,
{
    let names = wb.sheet_names();
    if names.is_empty() {
        return Err(columns::not_a_table(
            rel_path,
            "the workbook has no worksheets",
            None,
        ));
    }
    let mut first_error: Option<String> = None;
    let mut sheets_read = 0usize;
    let mut first_row: Option<String> = None;
    // The first sheet whose header has all required columns; else the first
    // sheet with a partial header (to report what is missing).
    let mut chosen: Option<(Range<Data>, usize)> = None;
    for name in &names {
        let range = match wb.worksheet_range(name) {
            Ok(r) => r,
            Err(e) => {
                first_error.get_or_insert_with(|| format!("sheet {name}: {e}"));
                continue;
            }
        };
        sheets_read += 1;
        let (header, first) = find_header(&range);
        if first_row.is_none() {
            first_row = first;
        }
        match header {
            Some((row, true)) => {
                chosen = Some((range, row));
                break;
            }
            Some((row, false)) if chosen.is_none() => chosen = Some((range, row)),
            _ => {}
        }
    }
    let Some((range, header_row)) = chosen else {
        if sheets_read == 0 {
            let why = first_error.unwrap_or_else(|| "no readable worksheet".to_string());
            return Err(corrupt(rel_path, format, &why));
        }
        let what = format!(
            "none of the {sheets_read} worksheet(s) of the {} workbook has a header row naming the bulletin columns ({}) in its first {HEADER_SCAN_ROWS} rows",
            kind_name(format),
            columns::HEADER_HINT
        );
        return Err(columns::not_a_table(rel_path, &what, first_row));
    };

    let start_row = range.start().map_or(0, |(r, _)| r as usize);
    let mut rows = range.rows().skip(header_row);
    let header = rows.next().map(row_texts).unwrap_or_default();
    let strs: Vec<&str> = header.iter().map(String::as_str).collect();
    let mut warnings = Vec::new();
    let cols = Columns::from_header(&strs, rel_path, &mut warnings)?;
    let language = cols.language;
    let currency = cols.currency;
    let has_reg_place = cols.reg_place.is_some();
    let has_trade_mode = cols.trade_mode.is_some();
    let mut sink = RowSink::new(cols, false);
    sink.reserve(range.height().saturating_sub(header_row + 1));
    for (i, cells) in rows.enumerate() {
        // Spreadsheet row number as Excel shows it (1-based).
        let line = start_row + header_row + 2 + i;
        let line = u32::try_from(line).unwrap_or(u32::MAX);
        sink.push(line, &ExcelRow { cells });
    }
    Ok(Table {
        format,
        encoding: None,
        language,
        currency,
        has_reg_place,
        has_trade_mode,
        rows: sink,
        warnings,
    })
}

fn not_a_workbook(rel_path: &str, names: &[String]) -> IngestError {
    let what = if names.iter().any(|n| n == "xl/workbook.bin") {
        "an Excel binary workbook (.xlsb)".to_string()
    } else if names.iter().any(|n| n == "content.xml") {
        "an OpenDocument spreadsheet (.ods)".to_string()
    } else {
        let shown: Vec<&str> = names.iter().take(5).map(String::as_str).collect();
        format!(
            "a zip archive but not an Excel .xlsx workbook (it holds {})",
            shown.join(", ")
        )
    };
    IngestError::new(
        rel_path,
        IngestErrorKind::UnsupportedFormat,
        format!("the file is {what}"),
        "open it in Excel and save it as .xlsx or CSV, or download the query result again from stats.customs.gov.cn",
    )
}

/// Checks an .xlsx (zip) before it is unpacked: its central directory must
/// be present (a truncated download loses it) and the sizes it declares
/// must stay under [`MAX_XLSX_UNPACKED_BYTES`]. Gives the entry names, or
/// `None` for a zip64 archive (left to the zip reader).
fn check_zip(bytes: &[u8], rel_path: &str) -> Result<Option<Vec<String>>, IngestError> {
    let fmt = SourceFormat::Xlsx;
    let truncated = || {
        corrupt(
            rel_path,
            fmt,
            "its zip directory is missing or damaged; the download was probably cut short",
        )
    };
    // End of central directory: 22 bytes plus a comment of up to 65,535.
    let tail_start = bytes.len().saturating_sub(22 + 65_535);
    let eocd = bytes[tail_start..]
        .windows(4)
        .rposition(|w| w == b"PK\x05\x06")
        .map(|p| tail_start + p)
        .ok_or_else(truncated)?;
    let u16_at = |at: usize| -> Option<u64> {
        let b = bytes.get(at..at + 2)?;
        Some(u64::from(u16::from_le_bytes([b[0], b[1]])))
    };
    let u32_at = |at: usize| -> Option<u64> {
        let b = bytes.get(at..at + 4)?;
        Some(u64::from(u32::from_le_bytes([b[0], b[1], b[2], b[3]])))
    };
    let entries = u16_at(eocd + 10).ok_or_else(truncated)?;
    let cd_offset = u32_at(eocd + 16).ok_or_else(truncated)?;
    if entries == 0xFFFF || cd_offset == 0xFFFF_FFFF {
        // Zip64: left to the zip reader.
        return Ok(None);
    }
    let mut names = Vec::new();
    let mut at = cd_offset as usize;
    let mut total: u64 = 0;
    for _ in 0..entries {
        if bytes.get(at..at + 4) != Some(b"PK\x01\x02") {
            return Err(truncated());
        }
        let mut size = u32_at(at + 24).ok_or_else(truncated)?;
        let name_len = u16_at(at + 28).ok_or_else(truncated)? as usize;
        let extra_len = u16_at(at + 30).ok_or_else(truncated)? as usize;
        let comment_len = u16_at(at + 32).ok_or_else(truncated)? as usize;
        if size == 0xFFFF_FFFF {
            // The zip64 extra field (id 1) holds the real size first.
            let extra_start = at + 46 + name_len;
            let extra = bytes
                .get(extra_start..extra_start + extra_len)
                .ok_or_else(truncated)?;
            let mut e = 0;
            while e + 4 <= extra.len() {
                let id = u16::from_le_bytes([extra[e], extra[e + 1]]);
                let len = usize::from(u16::from_le_bytes([extra[e + 2], extra[e + 3]]));
                if id == 1 && len >= 8 {
                    if let Some(b) = extra.get(e + 4..e + 12) {
                        let mut v = [0u8; 8];
                        v.copy_from_slice(b);
                        size = u64::from_le_bytes(v);
                    }
                    break;
                }
                e += 4 + len;
            }
        }
        let name = bytes
            .get(at + 46..at + 46 + name_len)
            .ok_or_else(truncated)?;
        names.push(String::from_utf8_lossy(name).into_owned());
        total = total.saturating_add(size);
        at += 46 + name_len + extra_len + comment_len;
    }
    if total > MAX_XLSX_UNPACKED_BYTES {
        return Err(IngestError::new(
            rel_path,
            IngestErrorKind::TooLarge,
            format!(
                "the .xlsx workbook unpacks to {total} bytes, over the {MAX_XLSX_UNPACKED_BYTES} byte limit (a damaged file or a zip bomb)"
            ),
            "download the query again in smaller parts (by month range or HS chapter), or as CSV",
        ));
    }
    Ok(Some(names))
}

/// Checks the sector tables of a legacy .xls (an OLE compound file) before
/// calamine reads it: every sector of the FAT must lie inside the file, and
/// no chain of the FAT or of the mini FAT may loop. calamine 0.38 follows a
/// looping chain until it has read as many bytes as the directory claims
/// (for the directory itself: without end), so a 5 KB file could make it
/// allocate gigabytes (found by the excel fuzzer). With loop-free tables
/// every chain is at most as long as the file.
fn check_cfb(bytes: &[u8]) -> Result<(), &'static str> {
    const FIRST_RESERVED: u32 = 0xFFFF_FFFA;
    const DIFSECT: u32 = 0xFFFF_FFFC;
    let u16_at = |at: usize| {
        bytes
            .get(at..at + 2)
            .map(|b| u16::from_le_bytes([b[0], b[1]]))
    };
    let u32_at = |at: usize| {
        bytes
            .get(at..at + 4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    };
    let short = "the compound-file header is cut short";
    let sector_size = match u16_at(0x1E).ok_or(short)? {
        9 => 512usize,
        12 => 4096usize,
        _ => return Err("the compound-file header gives an invalid sector size"),
    };
    // Sector n starts at (n + 1) * sector_size; whole sectors only.
    let sectors = (bytes.len() / sector_size).saturating_sub(1);
    let sector = |id: u32| -> Option<&[u8]> {
        let start = (id as usize).checked_add(1)?.checked_mul(sector_size)?;
        bytes.get(start..start.checked_add(sector_size)?)
    };
    let words = |s: &[u8]| -> Vec<u32> {
        s.chunks_exact(4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect()
    };
    // The DIFAT: 109 entries in the header, then a chain of DIFAT sectors
    // whose last word points to the next.
    let mut difat: Vec<u32> = (0..109)
        .map(|i| u32_at(0x4C + 4 * i).ok_or(short))
        .collect::<Result<_, _>>()?;
    let mut next = u32_at(0x44).ok_or(short)?;
    let mut hops = 0usize;
    while next < FIRST_RESERVED {
        hops += 1;
        if hops > sectors + 1 {
            return Err("the DIFAT chain loops");
        }
        let mut w = words(sector(next).ok_or("a DIFAT sector lies beyond the end of the file")?);
        next = w.pop().unwrap_or(u32::MAX);
        difat.extend(w);
    }
    let mut fat = Vec::new();
    for id in difat.into_iter().filter(|id| *id < DIFSECT) {
        fat.extend(words(
            sector(id).ok_or("a FAT sector lies beyond the end of the file")?,
        ));
        if fat.len() > sectors.saturating_mul(sector_size / 4) + sector_size {
            return Err("the FAT is larger than the file");
        }
    }
    if has_loop(&fat) {
        return Err("a chain of the FAT loops");
    }
    // The mini FAT: a chain of the (now loop-free) FAT.
    let mut mini_fat = Vec::new();
    let mut id = u32_at(0x3C).ok_or(short)?;
    while (id as usize) < fat.len() && id < FIRST_RESERVED {
        match sector(id) {
            Some(s) => mini_fat.extend(words(s)),
            None => break,
        }
        id = fat[id as usize];
    }
    if has_loop(&mini_fat) {
        return Err("a chain of the mini FAT loops");
    }
    // The workbook stream, to check the sheet sizes it declares.
    let chain = |start: u32, table: &[u32], size: usize, get: &dyn Fn(u32) -> Option<Vec<u8>>| {
        let mut out = Vec::new();
        let mut id = start;
        while id < FIRST_RESERVED && out.len() < size {
            match get(id) {
                Some(s) => out.extend_from_slice(&s),
                None => break,
            }
            match table.get(id as usize) {
                Some(next) => id = *next,
                None => break,
            }
        }
        out.truncate(size);
        out
    };
    let big = |id: u32| sector(id).map(<[u8]>::to_vec);
    let dirs = chain(u32_at(0x30).ok_or(short)?, &fat, usize::MAX, &big);
    let entry = |e: &[u8]| -> (String, u32, usize) {
        let name: Vec<u16> = e[..64]
            .chunks_exact(2)
            .map(|b| u16::from_le_bytes([b[0], b[1]]))
            .take_while(|u| *u != 0)
            .collect();
        let start = u32::from_le_bytes([e[116], e[117], e[118], e[119]]);
        let len = u32::from_le_bytes([e[120], e[121], e[122], e[123]]) as usize;
        (String::from_utf16_lossy(&name), start, len)
    };
    let entries: Vec<_> = dirs.chunks_exact(128).map(entry).collect();
    let Some((_, root_start, root_len)) = entries.first().cloned() else {
        return Ok(());
    };
    let Some((_, start, len)) = ["Workbook", "Book"].iter().find_map(|want| {
        entries
            .iter()
            .find(|(n, ..)| n.eq_ignore_ascii_case(want))
            .cloned()
    }) else {
        return Ok(());
    };
    let stream = if len < 4096 {
        let mini_stream = chain(root_start, &fat, root_len, &big);
        let mini = |id: u32| {
            let at = (id as usize).checked_mul(64)?;
            mini_stream.get(at..at.checked_add(64)?).map(<[u8]>::to_vec)
        };
        chain(start, &mini_fat, len, &mini)
    } else {
        chain(start, &fat, len, &big)
    };
    check_dimensions(&stream)?;
    check_cell_span(&stream)
}

/// The records of a BIFF stream from `at`, as calamine walks them: (type,
/// data), stopping at the end or at a record that runs past it.
fn biff_records(stream: &[u8], mut at: usize) -> impl Iterator<Item = (u16, &[u8])> {
    std::iter::from_fn(move || {
        let head = stream.get(at..at.checked_add(4)?)?;
        let typ = u16::from_le_bytes([head[0], head[1]]);
        let len = usize::from(u16::from_le_bytes([head[2], head[3]]));
        let data = stream.get(at + 4..at + 4 + len)?;
        at += 4 + len;
        Some((typ, data))
    })
}

/// calamine 0.38 turns a sheet's cells into a dense grid spanning the
/// lowest to the highest row and column any cell names, so two cells far
/// apart make it allocate gigabytes (found by the excel fuzzer: a 5 KB file,
/// 10 GB). The cells of each sheet (found through its BoundSheet record, as
/// calamine finds them) must span at most a sheet's worth of cells.
fn check_cell_span(stream: &[u8]) -> Result<(), &'static str> {
    let u16_at = |d: &[u8], i: usize| -> Option<u32> {
        d.get(i..i + 2)
            .map(|b| u32::from(u16::from_le_bytes([b[0], b[1]])))
    };
    let sheets: Vec<usize> = biff_records(stream, 0)
        .take_while(|(typ, _)| *typ != 0x000A)
        .filter(|(typ, d)| *typ == 0x0085 && d.len() >= 4)
        .map(|(_, d)| u32::from_le_bytes([d[0], d[1], d[2], d[3]]) as usize)
        .collect();
    for pos in sheets {
        let (mut r0, mut r1, mut c0, mut c1) = (u32::MAX, 0u32, u32::MAX, 0u32);
        let mut seen_bof = false;
        let mut depth = 0usize;
        for (typ, d) in biff_records(stream, pos) {
            if depth > 0 {
                match typ {
                    0x0809 => depth += 1,
                    0x000A => depth -= 1,
                    _ => {}
                }
                continue;
            }
            let cells: Vec<(u32, u32)> = match typ {
                0x0809 => {
                    if seen_bof {
                        depth += 1;
                    }
                    seen_bof = true;
                    continue;
                }
                0x000A => break,
                0x0203 | 0x0204 | 0x00D6 | 0x0205 | 0x027E | 0x00FD | 0x0006 => {
                    match (u16_at(d, 0), u16_at(d, 2)) {
                        (Some(r), Some(c)) => vec![(r, c)],
                        _ => continue,
                    }
                }
                // MulRk: row, first column, ..., last column.
                0x00BD if d.len() >= 6 => {
                    match (u16_at(d, 0), u16_at(d, 2), u16_at(d, d.len() - 2)) {
                        (Some(r), Some(first), Some(last)) => vec![(r, first), (r, last)],
                        _ => continue,
                    }
                }
                _ => continue,
            };
            for (r, c) in cells {
                r0 = r0.min(r);
                r1 = r1.max(r);
                c0 = c0.min(c);
                c1 = c1.max(c);
            }
        }
        if r0 <= r1 && c0 <= c1 {
            let span = ((r1 - r0 + 1) as usize).saturating_mul((c1 - c0 + 1) as usize);
            if span > MAX_XLS_CELLS {
                return Err("a worksheet's cells span more than a sheet can hold");
            }
        }
    }
    Ok(())
}

/// Most cells a BIFF8 sheet can have (65,536 rows by 256 columns).
const MAX_XLS_CELLS: usize = 65_536 * 256;

/// calamine 0.38 reserves room for every cell a sheet's DIMENSIONS record
/// declares, before reading any: a crafted record asks for petabytes, and
/// the failed allocation aborts the process (found by the excel fuzzer).
/// Every place in the workbook stream where such a record could start is
/// read the way calamine reads it; more cells than a sheet can hold is a
/// corrupt file.
fn check_dimensions(stream: &[u8]) -> Result<(), &'static str> {
    let u16_at = |i: usize| u32::from(u16::from_le_bytes([stream[i], stream[i + 1]]));
    let u32_at =
        |i: usize| u32::from_le_bytes([stream[i], stream[i + 1], stream[i + 2], stream[i + 3]]);
    for i in 0..stream.len().saturating_sub(3) {
        if stream[i] != 0x00 || stream[i + 1] != 0x02 {
            continue;
        }
        let len = u16_at(i + 2) as usize;
        let d = i + 4;
        if !matches!(len, 10 | 14 | 16) || d + len > stream.len() {
            continue;
        }
        let (rf, rl, mut cf, cl) = if len == 10 {
            (u16_at(d), u16_at(d + 2), u16_at(d + 4), u16_at(d + 6))
        } else {
            (u32_at(d), u32_at(d + 4), u16_at(d + 8), u16_at(d + 10))
        };
        if 0xFF < cf || cl < cf {
            cf = 0;
        }
        if rl >= 1 && cl >= 1 {
            // calamine: (end - start + 1) in u32, which wraps.
            let rows = (rl - 1).wrapping_sub(rf).wrapping_add(1) as usize;
            let cols = (cl - 1).wrapping_sub(cf).wrapping_add(1) as usize;
            if rows.saturating_mul(cols) > MAX_XLS_CELLS {
                return Err("a worksheet declares more cells than a sheet can hold");
            }
        }
    }
    Ok(())
}

/// True when following `next[i]` (while it indexes `next`) can come back to
/// a sector already on the path.
fn has_loop(next: &[u32]) -> bool {
    // 0 = not seen, 1 = on the current path, 2 = known to end.
    let mut state = vec![0u8; next.len()];
    let mut path = Vec::new();
    for start in 0..next.len() {
        let mut i = start;
        while i < next.len() && state[i] == 0 {
            state[i] = 1;
            path.push(i);
            i = next[i] as usize;
        }
        if i < next.len() && state[i] == 1 {
            return true;
        }
        for p in path.drain(..) {
            state[p] = 2;
        }
    }
    false
}
