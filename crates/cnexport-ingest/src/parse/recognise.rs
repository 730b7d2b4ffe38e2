//! Is a file a bulletin? The same sniffing and header recognition as
//! [`parse_bytes`](super::parse_bytes), on as little of the file as needed,
//! for callers that must decide before a file is kept (the fetch stage:
//! docs/contract.md, section 5.1).

use super::{excel, html, is_blank, sniff, text, IngestError, IngestErrorKind, Sniffed};
use cnexport_core::SourceFormat;
use std::fmt;
use std::io::Read;
use std::path::Path;

/// How much of a text file (CSV or HTML) recognition reads: the header is
/// among the first [`HEADER_SCAN_ROWS`](super::HEADER_SCAN_ROWS) non-blank
/// rows, far inside it. Workbooks are read whole.
pub const RECOGNISE_HEAD_BYTES: usize = 1 << 20;

/// Why a file is not a bulletin, in plain English ("a PDF document", "an
/// HTML page with no bulletin table (title: 登录; a login form with a
/// CAPTCHA)").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotBulletin {
    /// What the file is, one line, without the file's name.
    pub reason: String,
    /// The error [`parse_bytes`](super::parse_bytes) would give: one of
    /// `Empty`, `Undecodable`, `NotATable`, `UnsupportedFormat`.
    pub kind: IngestErrorKind,
}

impl fmt::Display for NotBulletin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.reason)
    }
}

impl std::error::Error for NotBulletin {}

/// Decides whether bytes are a bulletin and in which form, as
/// [`parse_bytes`](super::parse_bytes) would: a file is a bulletin when
/// ingest finds a bulletin header row in it. A header with a required
/// column missing (`MissingColumns`, `NoMonthColumn`: a download made with
/// the wrong options) still makes a bulletin: the build then says what to
/// download again. Not bulletins: an empty or blank file, a known other
/// format (PDF, a zip that is not a workbook, ...), binary data or text in
/// no known encoding, and text, pages or workbooks without a bulletin
/// header.
///
/// `bytes` is the whole file, or for text (CSV, HTML) at least its first
/// [`RECOGNISE_HEAD_BYTES`]: from that length on only the lines that fit
/// in them are read. Workbooks (.xlsx, .xls) must be whole. `name` is the
/// file's name (its extension matters only for text that is neither
/// markup nor delimited, as in `parse_bytes`).
pub fn recognise_bulletin(name: &str, bytes: &[u8]) -> Result<SourceFormat, NotBulletin> {
    if is_blank(bytes) {
        return Err(NotBulletin {
            reason: if bytes.is_empty() {
                "an empty body (0 bytes)".to_string()
            } else {
                format!("only whitespace ({} bytes)", bytes.len())
            },
            kind: IngestErrorKind::Empty,
        });
    }
    let sniffed = sniff(bytes, name);
    let result = match sniffed {
        Sniffed::Zip => excel::read(bytes, name, SourceFormat::Xlsx).map(|t| t.format),
        Sniffed::Ole => excel::read(bytes, name, SourceFormat::Xls).map(|t| t.format),
        Sniffed::Html => html::read(text_head(bytes), name).map(|t| t.format),
        Sniffed::Text => text::read_delimited(text_head(bytes), name).map(|t| t.format),
        Sniffed::Unsupported(what) => {
            return Err(NotBulletin {
                reason: what.to_string(),
                kind: IngestErrorKind::UnsupportedFormat,
            })
        }
    };
    let err = match result {
        Ok(format) => return Ok(format),
        Err(err) => err,
    };
    let format = match sniffed {
        Sniffed::Zip => SourceFormat::Xlsx,
        Sniffed::Ole => SourceFormat::Xls,
        Sniffed::Html => SourceFormat::Html,
        _ => SourceFormat::Csv,
    };
    match err.kind {
        IngestErrorKind::Empty
        | IngestErrorKind::Undecodable
        | IngestErrorKind::NotATable
        | IngestErrorKind::UnsupportedFormat => Err(NotBulletin {
            reason: reason(&err, &sniffed, bytes),
            kind: err.kind,
        }),
        // A bulletin header was found (or the file is a bulletin too large
        // to read): the build reports what is wrong with it.
        _ => Ok(format),
    }
}

/// [`recognise_bulletin`] on a file on disk: reads its first
/// [`RECOGNISE_HEAD_BYTES`], or all of it for a workbook. The outer error is
/// a failure to read the file.
pub fn recognise_bulletin_file(
    path: &Path,
    name: &str,
) -> std::io::Result<Result<SourceFormat, NotBulletin>> {
    let mut file = std::fs::File::open(path)?;
    let mut bytes = Vec::new();
    (&mut file)
        .take(RECOGNISE_HEAD_BYTES as u64)
        .read_to_end(&mut bytes)?;
    let workbook = bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]);
    if workbook || starts_utf16(&bytes) {
        file.read_to_end(&mut bytes)?;
    }
    Ok(recognise_bulletin(name, &bytes))
}

fn starts_utf16(bytes: &[u8]) -> bool {
    bytes.starts_with(b"\xFF\xFE") || bytes.starts_with(b"\xFE\xFF")
}

/// The first [`RECOGNISE_HEAD_BYTES`] of text, ending after its last line
/// feed (so no character is cut: a line feed byte is never part of a
/// multi-byte UTF-8 or GB18030 character). UTF-16 text is left whole.
fn text_head(bytes: &[u8]) -> &[u8] {
    if bytes.len() < RECOGNISE_HEAD_BYTES || starts_utf16(bytes) {
        return bytes;
    }
    let head = &bytes[..RECOGNISE_HEAD_BYTES];
    match head.iter().rposition(|&b| b == b'\n') {
        Some(i) => &head[..=i],
        None => head,
    }
}

/// The reader's message without the file name and the advice.
fn what_of(err: &IngestError) -> String {
    let what = match err.message.rsplit_once("; ") {
        Some((what, _how)) => what,
        None => err.message.as_str(),
    };
    let what = what.strip_prefix("not a bulletin table: ").unwrap_or(what);
    let what = what.strip_prefix("the file is ").unwrap_or(what);
    what.to_string()
}

fn reason(err: &IngestError, sniffed: &Sniffed, bytes: &[u8]) -> String {
    match (sniffed, err.kind) {
        (Sniffed::Html, IngestErrorKind::NotATable) => {
            let page = html::page_facts(text_head(bytes));
            let mut details = Vec::new();
            match (&page.title, &page.text) {
                (Some(title), _) => details.push(format!("title: {title}")),
                (None, Some(text)) => details.push(format!("text: {text}")),
                (None, None) => details.push("no title".to_string()),
            }
            if page.tables > 0 {
                details.push(format!(
                    "{} table{}, none with the bulletin columns",
                    page.tables,
                    if page.tables == 1 { "" } else { "s" }
                ));
            }
            match (page.password_field, page.captcha) {
                (true, true) => details.push("a login form with a CAPTCHA".into()),
                (true, false) => details.push("a login form".into()),
                (false, true) => details.push("a CAPTCHA".into()),
                (false, false) => {}
            }
            format!(
                "an HTML page with no bulletin table ({})",
                details.join("; ")
            )
        }
        (Sniffed::Text, IngestErrorKind::NotATable) => {
            format!("text with no bulletin header row ({})", what_of(err))
        }
        (Sniffed::Zip | Sniffed::Ole, IngestErrorKind::NotATable) => {
            format!("a workbook with no bulletin table ({})", what_of(err))
        }
        _ => what_of(err),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GBK_HEADER: &str = "\"数据年月\",\"贸易伙伴编码\",\"贸易伙伴名称\",\"商品编码\",\"商品名称\",\"第一数量\",\"第一计量单位\",\"第二数量\",\"第二计量单位\",\"人民币\",\n";

    fn gbk(s: &str) -> Vec<u8> {
        encoding_rs::GBK.encode(s).0.into_owned()
    }

    #[test]
    fn bulletins_are_recognised_in_every_form() {
        let mut csv = GBK_HEADER.to_string();
        csv += "\"202401\",\"502\",\"美国\",\"12011000\",\"种用大豆\",\"908\",\"千克\",\"0\",\"?\",\"23,416\",\n";
        assert_eq!(
            recognise_bulletin("a.csv", &gbk(&csv)),
            Ok(SourceFormat::Csv)
        );
        // A large file: only its head is read, and no character is cut.
        let mut big = GBK_HEADER.to_string();
        while big.len() < 3 * RECOGNISE_HEAD_BYTES {
            big += "\"202401\",\"502\",\"美国\",\"12011000\",\"黑大豆，种用除外\",\"908\",\"千克\",\"0\",\"?\",\"23,416\",\n";
        }
        assert_eq!(
            recognise_bulletin("big.csv", &gbk(&big)),
            Ok(SourceFormat::Csv)
        );
        let page = "<html><head><meta charset=gbk><title>查询结果</title></head><body><table>\
            <tr><th>数据年月</th><th>商品编码</th><th>贸易伙伴编码</th><th>人民币</th></tr>\
            <tr><td>202401</td><td>12011000</td><td>502</td><td>23,416</td></tr></table></body></html>";
        assert_eq!(
            recognise_bulletin("r.html", &gbk(page)),
            Ok(SourceFormat::Html)
        );
        // No month column: a bulletin downloaded without 分月展示 is still
        // a bulletin (the build says what to do).
        let no_month = "商品编码,贸易伙伴编码,人民币\n12011000,502,23416\n";
        assert_eq!(
            recognise_bulletin("m.csv", no_month.as_bytes()),
            Ok(SourceFormat::Csv)
        );
    }

    #[test]
    fn other_files_are_named_in_plain_english() {
        let reason = |name: &str, bytes: &[u8]| recognise_bulletin(name, bytes).unwrap_err().reason;
        assert_eq!(reason("a.csv", b""), "an empty body (0 bytes)");
        assert_eq!(reason("a.csv", b" \n "), "only whitespace (3 bytes)");
        assert_eq!(reason("notice.csv", b"%PDF-1.4\n..."), "a PDF document");
        let login = "<html><head><title>登录</title></head><body><form>\
            <input name=u><input type=password name=p><img src=\"/captcha.jpg\">\
            </form></body></html>";
        assert_eq!(
            reason("changing.csv", login.as_bytes()),
            "an HTML page with no bulletin table (title: 登录; a login form with a CAPTCHA)"
        );
        let busy = "<html><body><p>系统繁忙，请稍后再试</p></body></html>";
        assert_eq!(
            reason("error.html", &gbk(busy)),
            "an HTML page with no bulletin table (text: 系统繁忙，请稍后再试)"
        );
        let help = "<html><head><title>帮助</title></head><body><table>\
            <tr><th>按键</th><th>作用</th></tr><tr><td>Ctrl+F</td><td>查找</td></tr></table></body></html>";
        assert_eq!(
            reason("help.htm", help.as_bytes()),
            "an HTML page with no bulletin table (title: 帮助; 1 table, none with the bulletin columns)"
        );
        let text = reason("x.csv", b"hello,world\n1,2\n");
        assert!(
            text.starts_with("text with no bulletin header row") && text.contains("hello"),
            "{text}"
        );
        assert_eq!(
            reason("x.xls", b"\x00\x01\x02binary"),
            "binary data, not text (it is not a CSV, an HTML page, an .xlsx or an .xls workbook)"
        );
    }
}
