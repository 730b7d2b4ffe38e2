//! Text decoding and delimited text (CSV, tab-separated) reading.

use super::columns::{self, Columns, HEADER_SCAN_ROWS};
use super::fields::Cell;
use super::rows::{Row, RowSink};
use super::{IngestError, IngestErrorKind, Table};
use cnexport_core::SourceFormat;
use encoding_rs::{Encoding, GB18030, UTF_16BE, UTF_16LE};
use std::borrow::Cow;

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";
/// The UTF-16 byte-order marks [`decode`] reads, with their encodings.
const UTF16_BOMS: [(&[u8], &Encoding, &str); 2] = [
    (b"\xFF\xFE", UTF_16LE, "UTF-16LE BOM"),
    (b"\xFE\xFF", UTF_16BE, "UTF-16BE BOM"),
];

/// Skips a UTF-8 BOM and leading ASCII whitespace.
pub(crate) fn skip_bom_and_space(bytes: &[u8]) -> &[u8] {
    let b = bytes.strip_prefix(UTF8_BOM).unwrap_or(bytes);
    let start = b
        .iter()
        .position(|c| !c.is_ascii_whitespace())
        .unwrap_or(b.len());
    &b[start..]
}

/// True for UTF-16 text (with a BOM) whose first non-space character is `<`.
pub(crate) fn utf16_starts_with_markup(bytes: &[u8]) -> bool {
    let (enc, rest) = if let Some(rest) = bytes.strip_prefix(b"\xFF\xFE") {
        (UTF_16LE, rest)
    } else if let Some(rest) = bytes.strip_prefix(b"\xFE\xFF") {
        (UTF_16BE, rest)
    } else {
        return false;
    };
    let head = &rest[..rest.len().min(1024) & !1];
    let (text, _) = enc.decode_without_bom_handling(head);
    text.trim_start().starts_with('<')
}

/// Decoded text and the name of the encoding found.
pub(crate) struct Decoded<'a> {
    pub text: Cow<'a, str>,
    pub encoding: &'static str,
}

/// Decodes text: a BOM decides (UTF-8, UTF-16); else valid UTF-8 is UTF-8;
/// else GB18030 (which covers GBK and GB2312). `declared` is a charset an
/// HTML page names: a Chinese one (GBK family, Big5) is tried before the
/// UTF-8 check.
pub(crate) fn decode<'a>(
    bytes: &'a [u8],
    rel_path: &str,
    declared: Option<&'static Encoding>,
) -> Result<Decoded<'a>, IngestError> {
    if let Some(rest) = bytes.strip_prefix(UTF8_BOM) {
        return match std::str::from_utf8(rest) {
            Ok(t) => Ok(Decoded {
                text: Cow::Borrowed(t),
                encoding: "UTF-8 BOM",
            }),
            Err(e) => Err(undecodable(
                rel_path,
                &format!(
                    "the file starts with a UTF-8 byte-order mark but is not valid UTF-8 (bad byte at offset {})",
                    e.valid_up_to() + 3
                ),
            )),
        };
    }
    for (bom, enc, name) in UTF16_BOMS {
        if let Some(rest) = bytes.strip_prefix(bom) {
            return match enc.decode_without_bom_handling_and_without_replacement(rest) {
                Some(t) => Ok(Decoded {
                    text: Cow::Owned(t.into_owned()),
                    encoding: name,
                }),
                None => Err(undecodable(
                    rel_path,
                    &format!("the file starts with a {name} mark but is not valid {name}"),
                )),
            };
        }
    }
    // A declared Chinese charset is trusted (GBK content is often valid
    // GB18030 and UTF-8 alike); other declarations (UTF-8, Latin-1, ...)
    // fall back to the checks below, as browsers would mostly agree.
    if let Some(enc) = declared {
        if enc == GB18030 || enc == encoding_rs::GBK {
            if let Some(t) = GB18030.decode_without_bom_handling_and_without_replacement(bytes) {
                return Ok(Decoded {
                    text: t,
                    encoding: "GB18030",
                });
            }
        } else if enc == encoding_rs::BIG5 {
            if let Some(t) = enc.decode_without_bom_handling_and_without_replacement(bytes) {
                return Ok(Decoded {
                    text: t,
                    encoding: "Big5",
                });
            }
        }
    }
    if binary_head(bytes) {
        return Err(IngestError::new(
            rel_path,
            IngestErrorKind::Undecodable,
            "the file is binary data, not text (it is not a CSV, an HTML page, an .xlsx or an .xls workbook)",
            "check that the right file was downloaded from stats.customs.gov.cn and download it again",
        ));
    }
    let utf8_error = match std::str::from_utf8(bytes) {
        Ok(t) => {
            return Ok(Decoded {
                text: Cow::Borrowed(t),
                encoding: "UTF-8",
            })
        }
        Err(e) => e.valid_up_to(),
    };
    match GB18030.decode_without_bom_handling_and_without_replacement(bytes) {
        Some(t) => Ok(Decoded {
            text: t,
            encoding: "GB18030",
        }),
        None => Err(undecodable(
            rel_path,
            &format!(
                "the text is neither UTF-8 (invalid at byte {utf8_error}) nor GB18030/GBK/GB2312 (tried UTF-8 with and without BOM, UTF-16 with BOM, and GB18030)"
            ),
        )),
    }
}

/// A NUL byte in the first 8 KiB: binary data, not text ([`decode`]
/// refuses it).
fn binary_head(bytes: &[u8]) -> bool {
    bytes[..bytes.len().min(8192)].contains(&0)
}

fn undecodable(rel_path: &str, what: &str) -> IngestError {
    IngestError::new(
        rel_path,
        IngestErrorKind::Undecodable,
        what,
        "download the file again, or re-save it as CSV in UTF-8 or GB18030 (GBK)",
    )
}

/// NUL bytes that are whole field values (or parts of field values) of
/// otherwise ordinary delimited text, as the platform's English downloads
/// write them (a NUL as the commodity name on every row): `Some(count)`
/// when every run of NULs sits between field boundaries (a quote, a
/// delimiter, a line break, or the start or end of the file) and no other
/// control byte (but tab, CR, LF) appears. Binary data has control bytes
/// everywhere, and UTF-16 without a BOM has a NUL beside every ASCII
/// character (`2\0 0\0`), so both give `None`; so does text without NULs.
pub(crate) fn field_nuls(bytes: &[u8]) -> Option<usize> {
    let boundary =
        |b: Option<&u8>| matches!(b, None | Some(b'"' | b',' | b'\t' | b';' | b'\n' | b'\r'));
    let mut count = 0usize;
    let mut i = 0usize;
    while i < bytes.len() {
        match bytes[i] {
            0 => {
                let start = i;
                while i < bytes.len() && bytes[i] == 0 {
                    i += 1;
                }
                let before = start.checked_sub(1).map(|j| &bytes[j]);
                if !boundary(before) || !boundary(bytes.get(i)) {
                    return None;
                }
                count += i - start;
                continue;
            }
            b'\t' | b'\n' | b'\r' => {}
            0x01..=0x1F => return None,
            _ => {}
        }
        i += 1;
    }
    (count > 0).then_some(count)
}

/// `bytes` without its field NULs (see [`field_nuls`]) and how many were
/// dropped; unchanged (and 0) when it has none or is not such text.
pub(crate) fn drop_field_nuls(bytes: &[u8]) -> (Cow<'_, [u8]>, usize) {
    if !bytes.contains(&0) {
        return (Cow::Borrowed(bytes), 0);
    }
    match field_nuls(bytes) {
        Some(n) => (
            Cow::Owned(bytes.iter().copied().filter(|b| *b != 0).collect()),
            n,
        ),
        None => (Cow::Borrowed(bytes), 0),
    }
}

/// `12345` -> `12,345`.
fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    let first = match digits.len() % 3 {
        0 => 3,
        r => r,
    };
    for (i, c) in digits.chars().enumerate() {
        if i >= first && (i - first) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Counts line breaks (`\n`, `\r\n`, lone `\r`) in `text[from..to]`.
fn count_lines(text: &[u8], from: usize, to: usize) -> u32 {
    let part = &text[from..to];
    if memchr::memchr(b'\r', part).is_none() {
        return memchr::memchr_iter(b'\n', part).count() as u32;
    }
    let mut n = 0u32;
    let mut i = from;
    while i < to {
        match text[i] {
            b'\n' => n += 1,
            b'\r' if text.get(i + 1) != Some(&b'\n') => n += 1,
            _ => {}
        }
        i += 1;
    }
    n
}

/// Tracks the physical line where each record starts.
struct LineCounter<'a> {
    text: &'a [u8],
    offset: usize,
    line: u32,
}

impl LineCounter<'_> {
    /// The line of a record whose reading started at byte `pos` (the csv
    /// reader's position includes the line breaks before the record).
    fn line_at(&mut self, pos: usize) -> u32 {
        let mut start = pos.min(self.text.len());
        while start < self.text.len() && matches!(self.text[start], b'\r' | b'\n') {
            start += 1;
        }
        if start >= self.offset {
            self.line += count_lines(self.text, self.offset, start);
            self.offset = start;
        }
        self.line
    }
}

/// Picks the delimiter from the first non-blank line: the most frequent of
/// `,` `\t` `;` outside quotes (comma on a tie).
fn sniff_delimiter(text: &str) -> u8 {
    let line = text
        .lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or_default();
    delimiter_of(line)
}

/// [`sniff_delimiter`] of text not yet checked as UTF-8: `None` when a line
/// up to the first non-blank one is not UTF-8.
fn sniff_delimiter_bytes(bytes: &[u8]) -> Option<u8> {
    for line in bytes.split(|b| *b == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let line = std::str::from_utf8(line).ok()?;
        if !line.trim().is_empty() {
            return Some(delimiter_of(line));
        }
    }
    Some(b',')
}

fn delimiter_of(line: &str) -> u8 {
    let mut counts = [0usize; 3];
    let mut quoted = false;
    for b in line.bytes() {
        match b {
            b'"' => quoted = !quoted,
            b',' if !quoted => counts[0] += 1,
            b'\t' if !quoted => counts[1] += 1,
            b';' if !quoted => counts[2] += 1,
            _ => {}
        }
    }
    if counts[1] > counts[0] && counts[1] >= counts[2] {
        b'\t'
    } else if counts[2] > counts[0] && counts[2] > counts[1] {
        b';'
    } else {
        b','
    }
}

struct CsvRow<'r> {
    record: &'r csv::ByteRecord,
    /// The record's fields, one after the other, as text ([`record_text`]).
    text: &'r str,
}

impl Row for CsvRow<'_> {
    fn len(&self) -> usize {
        self.record.len()
    }
    fn cell(&self, i: usize) -> Cell<'_> {
        match self.record.range(i) {
            None => Cell::Empty,
            Some(r) => match self.text.get(r) {
                Some(t) => Cell::Text(Cow::Borrowed(t)),
                None => Cell::Text(String::from_utf8_lossy(&self.record[i])),
            },
        }
    }
    fn is_blank(&self) -> bool {
        // Fast path: any ASCII non-space byte means data.
        if self
            .text
            .bytes()
            .any(|b| b.is_ascii() && !b.is_ascii_whitespace())
        {
            return false;
        }
        (0..self.len()).all(|i| self.cell(i).is_blank())
    }
}

/// A record's fields as one text, checked as UTF-8 once (not field by
/// field), with every field starting and ending on a character boundary;
/// `None` when it is not so.
fn record_text(record: &csv::ByteRecord) -> Option<&str> {
    let text = std::str::from_utf8(record.as_slice()).ok()?;
    (0..record.len())
        .filter_map(|i| record.range(i))
        .all(|r| text.is_char_boundary(r.start) && text.is_char_boundary(r.end))
        .then_some(text)
}

fn record_strs<'r>(record: &'r csv::ByteRecord, text: &'r str) -> Vec<&'r str> {
    (0..record.len())
        .map(|i| record.range(i).and_then(|r| text.get(r)).unwrap_or(""))
        .collect()
}

fn no_header() -> String {
    format!(
        "none of the first {HEADER_SCAN_ROWS} rows is a header naming the bulletin columns ({})",
        columns::HEADER_HINT
    )
}

/// Reads CSV or tab-separated text (also an `.xls` that is really text).
///
/// Text without a byte-order mark and without NUL bytes in its head, the
/// case where [`decode`] would take it as UTF-8 if it is valid, is read as
/// UTF-8 at once, each record checked as it is read: every byte that is
/// not a delimiter, quote or line break is in a field, so valid records
/// mean valid text, and the text is not checked a second time. At the first
/// record that is not UTF-8, or any error, it is read again the usual way
/// (decoded as a whole first), which then decides.
pub(crate) fn read_delimited(bytes: &[u8], rel_path: &str) -> Result<Table, IngestError> {
    let (bytes, nuls) = drop_field_nuls(bytes);
    let plain = !(bytes.starts_with(UTF8_BOM)
        || UTF16_BOMS.iter().any(|(bom, _, _)| bytes.starts_with(bom))
        || binary_head(&bytes));
    if plain {
        if let Some(delimiter) = sniff_delimiter_bytes(&bytes) {
            if let Ok(table) = read_text(&bytes, delimiter, rel_path, nuls, "UTF-8") {
                return Ok(table);
            }
        }
    }
    read_decoded(&bytes, rel_path, nuls)
}

/// [`read_delimited`] the usual way: the text decoded as a whole first.
fn read_decoded(bytes: &[u8], rel_path: &str, nuls: usize) -> Result<Table, IngestError> {
    let decoded = decode(bytes, rel_path, None)?;
    let text: &str = decoded.text.as_ref();
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let delimiter = sniff_delimiter(text);
    read_text(text.as_bytes(), delimiter, rel_path, nuls, decoded.encoding)
}

/// Reads the records of `data` (an error at a record that is not UTF-8).
fn read_text(
    data: &[u8],
    delimiter: u8,
    rel_path: &str,
    nuls: usize,
    encoding: &str,
) -> Result<Table, IngestError> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(data);
    let mut lines = LineCounter {
        text: data,
        offset: 0,
        line: 1,
    };
    let mut record = csv::ByteRecord::new();
    let mut warnings = Vec::new();
    let mut first_row: Option<String> = None;
    let mut scanned = 0usize;
    if nuls > 0 {
        warnings.push(format!(
            "{rel_path}: {} NUL bytes read as empty values (the platform's English downloads write a NUL byte as the commodity name)",
            thousands(nuls)
        ));
    }

    // The header: the first of the first rows that names the columns.
    let cols = loop {
        if !read_record(&mut reader, &mut record, rel_path)? {
            return Err(columns::not_a_table(rel_path, &no_header(), first_row));
        }
        let text = record_text(&record).ok_or_else(|| not_utf8(rel_path))?;
        let cells = record_strs(&record, text);
        if cells.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        if columns::is_header_candidate(cells.iter().copied()) {
            break Columns::from_header(&cells, rel_path, &mut warnings)?;
        }
        if first_row.is_none() {
            first_row = Some(super::excerpt(cells.iter().copied()));
        }
        scanned += 1;
        if scanned >= HEADER_SCAN_ROWS {
            return Err(columns::not_a_table(rel_path, &no_header(), first_row));
        }
    };

    let language = cols.language;
    let currency = cols.currency;
    let has_reg_place = cols.reg_place.is_some();
    let has_trade_mode = cols.trade_mode.is_some();
    let mut sink = RowSink::new(cols, true);
    // A row a line (a quoted line break makes one more): reserved at its
    // size, the facts are not copied into a smaller block at the end.
    sink.reserve(memchr::memchr_iter(b'\n', data).count() + 1);
    while read_record(&mut reader, &mut record, rel_path)? {
        let pos = record.position().map_or(0, |p| p.byte() as usize);
        let line = lines.line_at(pos);
        let text = record_text(&record).ok_or_else(|| not_utf8(rel_path))?;
        sink.push(
            line,
            &CsvRow {
                record: &record,
                text,
            },
        );
    }
    sink.shrink();
    Ok(Table {
        format: SourceFormat::Csv,
        encoding: Some(encoding.to_string()),
        language,
        currency,
        has_reg_place,
        has_trade_mode,
        rows: sink,
        warnings,
    })
}

/// A record that is not UTF-8: only text not yet decoded has one, and
/// [`read_delimited`] then reads the text again decoded.
fn not_utf8(rel_path: &str) -> IngestError {
    undecodable(rel_path, "a record is not UTF-8")
}

/// Reads the next record: `Ok(false)` at the end.
fn read_record(
    reader: &mut csv::Reader<&[u8]>,
    record: &mut csv::ByteRecord,
    rel_path: &str,
) -> Result<bool, IngestError> {
    reader.read_byte_record(record).map_err(|e| {
        IngestError::new(
            rel_path,
            IngestErrorKind::NotATable,
            format!("the text cannot be read as CSV: {e}"),
            "download the file again",
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delimiter() {
        assert_eq!(sniff_delimiter("\"a,b\"\tc\td"), b'\t');
        assert_eq!(sniff_delimiter("a,b,c"), b',');
        assert_eq!(sniff_delimiter("\n\na;b;c"), b';');
        assert_eq!(sniff_delimiter(""), b',');
    }

    #[test]
    fn nuls_in_fields_and_binary_data() {
        assert_eq!(field_nuls(b"a,\0,b\n\"1\",\"\0\",\n"), Some(2));
        assert_eq!(field_nuls(b"\0\0,x\r\n"), Some(2));
        assert_eq!(field_nuls(b"a,b\n"), None);
        // UTF-16LE without a BOM: a NUL beside every ASCII character.
        assert_eq!(field_nuls(b"\"\x002\x000\x00\"\x00,\x00"), None);
        // Control bytes other than tab, CR and LF.
        assert_eq!(field_nuls(b"a,\0,\x01\n"), None);
        assert_eq!(field_nuls(b"ab\0c\n"), None);
        let (bytes, n) = drop_field_nuls(b"\"x\",\"\0\",\n");
        assert_eq!((&*bytes, n), (&b"\"x\",\"\",\n"[..], 1));
        assert_eq!(thousands(12345), "12,345");
        assert_eq!(thousands(123), "123");
        assert_eq!(thousands(1234567), "1,234,567");
    }

    /// What a reading gives, for comparing two.
    fn outcome(r: Result<Table, IngestError>) -> String {
        match r {
            Err(e) => format!("error {e}"),
            Ok(t) => format!(
                "{:?} {:?} rows {} facts {:?} quarantined {:?} names {:?} {:?} warnings {:?}",
                t.encoding,
                t.language,
                t.rows.rows_read,
                t.rows.facts,
                t.rows.quarantined,
                t.rows.product_names,
                t.rows.partner_names,
                t.warnings
            ),
        }
    }

    /// Reading UTF-8 at once gives what decoding first gives, whatever
    /// the text: UTF-8, GBK with an ASCII header and Chinese only in the
    /// last row, a character cut by a delimiter (valid bytes once the
    /// delimiter is gone, invalid with it), a BOM, and bytes that are
    /// neither UTF-8 nor GB18030.
    #[test]
    fn utf8_at_once_reads_as_decoding_first() {
        let header = "\"数据年月\",\"商品编码\",\"贸易伙伴编码\",\"贸易伙伴名称\",\"人民币\"\n";
        let utf8 = format!("{header}\"202401\",\"85171200\",\"502\",\"美国\",\"1,000\"\n");
        let (gbk_tail, _, _) =
            encoding_rs::GBK.encode("\"202401\",\"85171200\",\"502\",\"美国\",\"7\"\n");
        let mut ascii_then_gbk =
            b"month,hs_code,partner_code,partner_name,value_cny\n202401,85171200,110,HK,5\n"
                .to_vec();
        ascii_then_gbk.extend_from_slice(&gbk_tail);
        let (gbk_all, _, _) = encoding_rs::GBK.encode(&utf8);
        let mut cut = header.as_bytes().to_vec();
        cut.extend_from_slice(b"202401,85171200,502,\xE4,\xB8\xAD9\n");
        let cut_again = cut.clone();
        let mut bom = UTF8_BOM.to_vec();
        bom.extend_from_slice(utf8.as_bytes());
        let mut neither = header.as_bytes().to_vec();
        neither.extend_from_slice(b"202401,85171200,502,\xFF\xFF,3\n");
        for (name, bytes) in [
            ("utf8", utf8.as_bytes().to_vec()),
            ("ascii then gbk", ascii_then_gbk),
            ("gbk", gbk_all.to_vec()),
            ("cut", cut),
            ("bom", bom),
            ("neither", neither),
        ] {
            assert_eq!(
                outcome(read_delimited(&bytes, "f.csv")),
                outcome(read_decoded(&bytes, "f.csv", 0)),
                "{name}"
            );
        }
        // The cut character is not read as 中: the text is not UTF-8.
        let got = outcome(read_delimited(&cut_again, "f.csv"));
        assert!(!got.contains("中") && !got.contains("\"UTF-8\""), "{got}");
    }

    #[test]
    fn lines() {
        let t = b"a\r\nb\n\n\"c\nd\"\re";
        assert_eq!(count_lines(t, 0, t.len()), 5);
    }
}
