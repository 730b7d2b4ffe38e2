//! Readers: one customs bulletin file (CSV, Excel, saved HTML page) into a
//! [`ParsedFile`] of normalized monthly facts, with bad rows quarantined.
//!
//! The form of a file is decided by its content first and its extension
//! second, so an `.xls` that is really an HTML page or tab-separated text (as
//! some sites serve) is still read:
//!
//! | content starts with | read as |
//! |---|---|
//! | `PK\x03\x04` (zip) | `.xlsx` workbook ([`SourceFormat::Xlsx`]) |
//! | `D0 CF 11 E0` (OLE) | legacy `.xls` workbook ([`SourceFormat::Xls`]) |
//! | `<` after an optional BOM and whitespace | saved HTML page ([`SourceFormat::Html`]) |
//! | anything else | delimited text, `,` `\t` or `;` ([`SourceFormat::Csv`]) |
//!
//! Columns are mapped by name (Chinese or English headers, any order; extra
//! columns ignored). The header row is the first of the first
//! [`HEADER_SCAN_ROWS`] non-blank rows that names at least two of the
//! required columns (month, HS code, partner code, value), so a title row
//! above the header is skipped.
//!
//! Row rules (decisions where docs/contract.md, section 1 is silent are marked *):
//! - values and quantities: thousands separators (`,` `，` spaces) are
//!   dropped; a fractional number is rounded half away from zero to a whole
//!   unit (* `12.5` -> `13`); scientific notation in text (`1.65E+10`, what
//!   Excel writes when it re-saves a CSV) is rejected as lossy (*);
//! - a quantity that is empty, `?` or `-` is 0 (* `-`); a unit that is
//!   empty, `?` or `-` is none;
//! - HS codes in text (CSV, HTML, Excel text cells) must give exactly 8
//!   digits once dots and spaces are removed; numeric Excel cells are
//!   left-padded (`1012100` -> `01012100`) when they have 7 or 8 digits;
//! - a month may also be written as a full date `2024/3/1` or `2024-03-01`
//!   (what Excel makes of `2024-03` when it re-saves a CSV) (*);
//! - a row with fewer fields than the mapped columns need, or with non-empty
//!   fields beyond the header's width (an unquoted comma shifted it), is a
//!   [`QuarantineReason::MalformedRow`](cnexport_core::QuarantineReason::MalformedRow) (*);
//! - the optional dimensions (registration place, trade mode) hold the code
//!   text, or the name text when the file has only the name column; an empty
//!   cell is kept as an empty string (*);
//! - product and partner names are taken from loaded rows only, first
//!   non-empty occurrence per code (*).

mod columns;
mod excel;
mod fields;
mod html;
mod recognise;
mod rows;
mod text;

use cnexport_core::{Currency, HeaderLanguage, ParsedFile, SourceFormat};
use sha2::{Digest, Sha256};
use std::fmt;
use std::path::Path;

pub use columns::HEADER_SCAN_ROWS;
pub use recognise::{
    recognise_bulletin, recognise_bulletin_file, NotBulletin, RECOGNISE_HEAD_BYTES,
};

/// Files larger than this are refused ([`IngestErrorKind::TooLarge`]).
pub const MAX_FILE_BYTES: u64 = 1 << 30;

/// The number of data rows at which the platform cuts a download off.
pub const DOWNLOAD_ROW_CAP: u64 = 10_000;

/// True for the extensions ingest reads: .csv .xlsx .xls .html .htm
/// (case-insensitive). Excel's lock files (`~$name.xlsx`) and macOS
/// resource forks (`._name.csv`) are not bulletins and are left out.
pub fn is_bulletin_path(path: &Path) -> bool {
    let Some(ext) = path.extension().and_then(|e| e.to_str()) else {
        return false;
    };
    let known = ["csv", "xlsx", "xls", "html", "htm"]
        .iter()
        .any(|k| ext.eq_ignore_ascii_case(k));
    if !known {
        return false;
    }
    match path.file_name().and_then(|n| n.to_str()) {
        Some(name) => !(name.starts_with("~$") || name.starts_with("._")),
        None => false,
    }
}

/// Reads a file from disk and parses it. `rel_path` is how the file is
/// named in reports (path relative to the input dir, '/' separators).
pub fn parse_file(path: &Path, rel_path: &str) -> Result<ParsedFile, IngestError> {
    let meta = std::fs::metadata(path).map_err(|e| io_error(rel_path, path, &e))?;
    if meta.len() > MAX_FILE_BYTES {
        return Err(too_large(rel_path, meta.len()));
    }
    let bytes = std::fs::read(path).map_err(|e| io_error(rel_path, path, &e))?;
    parse_bytes(&bytes, rel_path)
}

/// Parses bytes; the format is chosen by sniffing the content, then by the
/// extension of `rel_path` (see the module documentation).
pub fn parse_bytes(bytes: &[u8], rel_path: &str) -> Result<ParsedFile, IngestError> {
    parse_sniffed(bytes, rel_path, None)
}

/// [`parse_bytes`] for a caller that has the content digest already
/// ([`crate::stage::content_digest`] of `bytes`, as a build computes to
/// look the file up in its stage), so the file is not hashed twice.
pub fn parse_bytes_with_digest(
    bytes: &[u8],
    rel_path: &str,
    sha256: String,
) -> Result<ParsedFile, IngestError> {
    debug_assert_eq!(sha256, crate::stage::content_digest(bytes));
    parse_sniffed(bytes, rel_path, Some(sha256))
}

fn parse_sniffed(
    bytes: &[u8],
    rel_path: &str,
    sha256: Option<String>,
) -> Result<ParsedFile, IngestError> {
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(too_large(rel_path, bytes.len() as u64));
    }
    if is_blank(bytes) {
        return Err(IngestError::new(
            rel_path,
            IngestErrorKind::Empty,
            if bytes.is_empty() {
                "the file is empty (0 bytes)".to_string()
            } else {
                format!("the file holds only whitespace ({} bytes)", bytes.len())
            },
            "download it again from stats.customs.gov.cn (the download may have been interrupted, or the query returned nothing)",
        ));
    }
    let table = match sniff(bytes, rel_path) {
        Sniffed::Zip => excel::read(bytes, rel_path, SourceFormat::Xlsx)?,
        Sniffed::Ole => excel::read(bytes, rel_path, SourceFormat::Xls)?,
        Sniffed::Html => html::read(bytes, rel_path)?,
        Sniffed::Text => text::read_delimited(bytes, rel_path)?,
        Sniffed::Unsupported(what) => {
            return Err(IngestError::new(
                rel_path,
                IngestErrorKind::UnsupportedFormat,
                format!("the file is {what}, not a bulletin table"),
                "download the query result from stats.customs.gov.cn as CSV or Excel (.xlsx/.xls), or save the result page as HTML",
            ))
        }
    };
    Ok(finish(table, bytes, rel_path, sha256))
}

/// Parses bytes with the reader of `format`, without sniffing: one reader
/// at a time, for the fuzz targets (`fuzz/`) and tests. The size and
/// blank-file checks of [`parse_bytes`] still apply.
pub fn parse_bytes_as(
    bytes: &[u8],
    rel_path: &str,
    format: SourceFormat,
) -> Result<ParsedFile, IngestError> {
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(too_large(rel_path, bytes.len() as u64));
    }
    if is_blank(bytes) {
        return Err(IngestError::new(
            rel_path,
            IngestErrorKind::Empty,
            "the file is empty or holds only whitespace",
            "download it again",
        ));
    }
    let table = match format {
        SourceFormat::Xlsx | SourceFormat::Xls => excel::read(bytes, rel_path, format)?,
        SourceFormat::Html => html::read(bytes, rel_path)?,
        SourceFormat::Csv => text::read_delimited(bytes, rel_path)?,
    };
    Ok(finish(table, bytes, rel_path, None))
}

/// A fatal, file-level error. Its `Display` is one line:
/// `<rel_path>: <what is wrong>; <how to fix it>`.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{path}: {message}")]
pub struct IngestError {
    /// The file, as named in reports.
    pub path: String,
    pub kind: IngestErrorKind,
    /// What is wrong and how to fix it (`<what>; <how>`), one line.
    pub message: String,
}

impl IngestError {
    pub(crate) fn new(
        path: &str,
        kind: IngestErrorKind,
        what: impl fmt::Display,
        how: impl fmt::Display,
    ) -> IngestError {
        let message = format!("{what}; {how}");
        IngestError {
            path: path.to_string(),
            kind,
            message: one_line(&message),
        }
    }
}

/// What kind of fatal error a file has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum IngestErrorKind {
    /// The file could not be read from disk.
    Io,
    /// 0 bytes, or only whitespace.
    Empty,
    /// Text that is neither UTF-8 nor GB18030, binary data, or a corrupt or
    /// truncated workbook.
    Undecodable,
    /// Readable, but no table with bulletin headers in it.
    NotATable,
    /// A header row was found but required columns are missing.
    MissingColumns,
    /// No 数据年月 column: downloaded without 分月展示.
    NoMonthColumn,
    /// A known non-bulletin format (PDF, a zip that is not a workbook, ...).
    UnsupportedFormat,
    /// Over [`MAX_FILE_BYTES`], or a workbook that unpacks to too much.
    TooLarge,
}

impl IngestErrorKind {
    /// A stable code for reports.
    pub fn code(self) -> &'static str {
        match self {
            IngestErrorKind::Io => "io",
            IngestErrorKind::Empty => "empty",
            IngestErrorKind::Undecodable => "undecodable",
            IngestErrorKind::NotATable => "not_a_table",
            IngestErrorKind::MissingColumns => "missing_columns",
            IngestErrorKind::NoMonthColumn => "no_month_column",
            IngestErrorKind::UnsupportedFormat => "unsupported_format",
            IngestErrorKind::TooLarge => "too_large",
        }
    }
}

impl fmt::Display for IngestErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// What a reader hands back before the file-level bookkeeping.
pub(crate) struct Table {
    pub format: SourceFormat,
    pub encoding: Option<String>,
    pub language: HeaderLanguage,
    pub currency: Currency,
    pub has_reg_place: bool,
    pub has_trade_mode: bool,
    pub rows: rows::RowSink,
    pub warnings: Vec<String>,
}

fn finish(table: Table, bytes: &[u8], rel_path: &str, sha256: Option<String>) -> ParsedFile {
    let sha256 = sha256.unwrap_or_else(|| hex::encode(Sha256::digest(bytes)));
    let mut warnings = table.warnings;
    let sink = table.rows;
    if sink.rows_read == 0 {
        warnings.push(format!(
            "{rel_path}: the file has a header but no data rows (the query returned nothing)"
        ));
    }
    if sink.rows_read == DOWNLOAD_ROW_CAP {
        warnings.push(format!(
            "{rel_path}: exactly 10,000 data rows: the file was probably cut off by the platform's 10,000-row download cap; split the query (for example by month range or by HS chapter) and download each part again"
        ));
    }
    ParsedFile {
        path: rel_path.to_string(),
        sha256,
        size: bytes.len() as u64,
        format: table.format,
        language: table.language,
        encoding: table.encoding,
        currency: table.currency,
        has_reg_place: table.has_reg_place,
        has_trade_mode: table.has_trade_mode,
        rows_read: sink.rows_read,
        facts: sink.facts,
        quarantined: sink.quarantined,
        warnings,
        product_names: sink.product_names,
        partner_names: sink.partner_names,
    }
}

#[derive(Clone, Copy)]
enum Sniffed {
    Zip,
    Ole,
    Html,
    Text,
    Unsupported(&'static str),
}

fn sniff(bytes: &[u8], rel_path: &str) -> Sniffed {
    if bytes.starts_with(b"PK\x03\x04") {
        return Sniffed::Zip;
    }
    if bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]) {
        return Sniffed::Ole;
    }
    if bytes.starts_with(b"%PDF") {
        return Sniffed::Unsupported("a PDF document");
    }
    if bytes.starts_with(b"PK\x05\x06") || bytes.starts_with(b"PK\x07\x08") {
        // An empty or spanned zip archive.
        return Sniffed::Unsupported("an empty or split zip archive");
    }
    let body = text::skip_bom_and_space(bytes);
    if body.first() == Some(&b'<') || text::utf16_starts_with_markup(bytes) {
        let head = &bytes[..bytes.len().min(4096)];
        if contains_ignore_case(head, b"urn:schemas-microsoft-com:office:spreadsheet") {
            return Sniffed::Unsupported(
                "an XML Spreadsheet 2003 file (open it in Excel and save it as .xlsx)",
            );
        }
        return Sniffed::Html;
    }
    let ext = rel_path
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    if (ext == "html" || ext == "htm") && contains_ignore_case(bytes, b"<table") {
        return Sniffed::Html;
    }
    Sniffed::Text
}

fn is_blank(bytes: &[u8]) -> bool {
    text::skip_bom_and_space(bytes).is_empty()
}

pub(crate) fn contains_ignore_case(hay: &[u8], needle: &[u8]) -> bool {
    find_ignore_case(hay, needle).is_some()
}

pub(crate) fn find_ignore_case(hay: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() || hay.len() < needle.len() {
        return None;
    }
    hay.windows(needle.len())
        .position(|w| w.eq_ignore_ascii_case(needle))
}

fn io_error(rel_path: &str, path: &Path, e: &std::io::Error) -> IngestError {
    IngestError::new(
        rel_path,
        IngestErrorKind::Io,
        format!("cannot read {}: {e}", path.display()),
        "check that the file exists and is readable",
    )
}

fn too_large(rel_path: &str, size: u64) -> IngestError {
    IngestError::new(
        rel_path,
        IngestErrorKind::TooLarge,
        format!(
            "the file is {size} bytes, over the {} byte (1 GiB) limit",
            MAX_FILE_BYTES
        ),
        "split the query into smaller downloads (by month range or HS chapter)",
    )
}

/// Makes a message one line: control characters become spaces.
pub(crate) fn one_line(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// A short, one-line excerpt of cells for error messages.
pub(crate) fn excerpt<'a>(cells: impl IntoIterator<Item = &'a str>) -> String {
    let joined = cells
        .into_iter()
        .map(str::trim)
        .collect::<Vec<_>>()
        .join(", ");
    let joined = one_line(joined.trim_end_matches([',', ' ']));
    truncate_chars(&joined, 160)
}

pub(crate) fn truncate_chars(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((i, _)) => format!("{}...", &s[..i]),
        None => s.to_string(),
    }
}
