//! Saved query-result pages: the bulletin table inside `<table>` markup.

use super::columns::{self, Columns, HEADER_SCAN_ROWS};
use super::fields::Cell;
use super::rows::{Row, RowSink};
use super::text::decode;
use super::{excerpt, find_ignore_case, IngestError, Table};
use cnexport_core::SourceFormat;
use encoding_rs::Encoding;
use scraper::{ElementRef, Html};
use std::borrow::Cow;

/// The charset a page declares (`<meta charset=gbk>`, `<meta
/// http-equiv=Content-Type content="text/html; charset=gb2312">`, or an XML
/// declaration's `encoding=`), from its first 16 KiB.
pub(crate) fn declared_charset(bytes: &[u8]) -> Option<&'static Encoding> {
    let head = &bytes[..bytes.len().min(16 * 1024)];
    for key in [&b"charset"[..], &b"encoding"[..]] {
        let mut from = 0;
        while let Some(p) = find_ignore_case(&head[from..], key) {
            let mut i = from + p + key.len();
            from = i;
            while i < head.len() && matches!(head[i], b' ' | b'\t' | b'\r' | b'\n') {
                i += 1;
            }
            if head.get(i) != Some(&b'=') {
                continue;
            }
            i += 1;
            while i < head.len() && matches!(head[i], b' ' | b'"' | b'\'') {
                i += 1;
            }
            let end = head[i..]
                .iter()
                .position(|b| {
                    !(b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
                })
                .map_or(head.len(), |n| i + n);
            if let Some(enc) = Encoding::for_label(&head[i..end]) {
                return Some(enc);
            }
        }
    }
    None
}

/// Cell text as a browser shows it: whitespace runs collapsed, trimmed.
fn cell_text(el: ElementRef<'_>) -> String {
    let mut out = String::new();
    let mut space = false;
    for chunk in el.text() {
        for c in chunk.chars() {
            if c.is_whitespace() {
                space = true;
            } else {
                if space && !out.is_empty() {
                    out.push(' ');
                }
                space = false;
                out.push(c);
            }
        }
    }
    out
}

fn row_cells(tr: ElementRef<'_>) -> Vec<String> {
    tr.child_elements()
        .filter(|c| matches!(c.value().name(), "td" | "th"))
        .map(cell_text)
        .collect()
}

/// The table's own rows (not those of nested tables).
fn table_rows(table: ElementRef<'_>) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    for child in table.child_elements() {
        match child.value().name() {
            "tr" => rows.push(row_cells(child)),
            "thead" | "tbody" | "tfoot" => {
                for tr in child.child_elements() {
                    if tr.value().name() == "tr" {
                        rows.push(row_cells(tr));
                    }
                }
            }
            _ => {}
        }
    }
    rows
}

struct HtmlRow<'a> {
    cells: &'a [String],
}

impl Row for HtmlRow<'_> {
    fn len(&self) -> usize {
        self.cells.len()
    }
    fn cell(&self, i: usize) -> Cell<'_> {
        match self.cells.get(i) {
            Some(s) => Cell::Text(Cow::Borrowed(s)),
            None => Cell::Empty,
        }
    }
}

fn is_blank(row: &[String]) -> bool {
    row.iter().all(|c| c.trim().is_empty())
}

/// The header row of a table: (row index, all four required columns).
fn find_header(rows: &[Vec<String>]) -> Option<(usize, bool)> {
    rows.iter()
        .enumerate()
        .filter(|(_, r)| !is_blank(r))
        .take(HEADER_SCAN_ROWS)
        .find_map(|(i, r)| {
            let hits = columns::required_hits(r.iter().map(String::as_str));
            (hits >= 2).then_some((i, hits == 4))
        })
}

pub(crate) fn read(bytes: &[u8], rel_path: &str) -> Result<Table, IngestError> {
    let decoded = decode(bytes, rel_path, declared_charset(bytes))?;
    let doc = Html::parse_document(&decoded.text);
    let tables: Vec<Vec<Vec<String>>> = doc
        .root_element()
        .descendent_elements()
        .filter(|e| e.value().name() == "table")
        .map(table_rows)
        .collect();
    let table_count = tables.len();

    // The first table whose header has all required columns; else the
    // first with a partial header (to report what is missing).
    let mut chosen: Option<(usize, usize)> = None;
    for (t, rows) in tables.iter().enumerate() {
        match find_header(rows) {
            Some((h, true)) => {
                chosen = Some((t, h));
                break;
            }
            Some((h, false)) if chosen.is_none() => chosen = Some((t, h)),
            _ => {}
        }
    }
    let Some((t, header_row)) = chosen else {
        let first_row = tables
            .iter()
            .flatten()
            .find(|r| !is_blank(r))
            .map(|r| excerpt(r.iter().map(String::as_str)));
        let what = if table_count == 0 {
            "the page has no <table> (save the query-result page once the results are shown)"
                .to_string()
        } else {
            format!(
                "none of the page's {table_count} table(s) has a header row naming the bulletin columns ({})",
                columns::HEADER_HINT
            )
        };
        return Err(columns::not_a_table(rel_path, &what, first_row));
    };
    let rows = &tables[t];
    let header: Vec<&str> = rows[header_row].iter().map(String::as_str).collect();
    let mut warnings = Vec::new();
    let cols = Columns::from_header(&header, rel_path, &mut warnings)?;
    let language = cols.language;
    let currency = cols.currency;
    let has_reg_place = cols.reg_place.is_some();
    let has_trade_mode = cols.trade_mode.is_some();
    let mut sink = RowSink::new(cols, false);
    sink.reserve(rows.len().saturating_sub(header_row + 1));
    for (i, cells) in rows.iter().enumerate().skip(header_row + 1) {
        // Table row index, the header row being 1.
        let line = u32::try_from(i - header_row + 1).unwrap_or(u32::MAX);
        sink.push(line, &HtmlRow { cells });
    }
    Ok(Table {
        format: SourceFormat::Html,
        encoding: Some(decoded.encoding.to_string()),
        language,
        currency,
        has_reg_place,
        has_trade_mode,
        rows: sink,
        warnings,
    })
}

/// What a page that holds no bulletin table shows, for the reason a fetch
/// gives when it does not land it.
pub(crate) struct PageFacts {
    pub title: Option<String>,
    /// The start of the visible text of the body (at most 60 characters).
    pub text: Option<String>,
    pub tables: usize,
    pub password_field: bool,
    pub captcha: bool,
}

pub(crate) fn page_facts(bytes: &[u8]) -> PageFacts {
    let text = match decode(bytes, "page", declared_charset(bytes)) {
        Ok(d) => d.text.into_owned(),
        Err(_) => String::from_utf8_lossy(bytes).into_owned(),
    };
    let doc = Html::parse_document(&text);
    let select = |css: &str| scraper::Selector::parse(css).expect("static selector");
    let title = doc
        .select(&select("title"))
        .next()
        .map(cell_text)
        .filter(|t| !t.is_empty())
        .map(|t| super::truncate_chars(&t, 60));
    let body_text = doc
        .select(&select("body"))
        .next()
        .map(|body| {
            // The visible text: script and style contents aside.
            let mut out = String::new();
            for node in body.descendants() {
                if let Some(t) = node.value().as_text() {
                    let hidden = node.ancestors().any(|a| {
                        a.value()
                            .as_element()
                            .is_some_and(|e| matches!(e.name(), "script" | "style"))
                    });
                    if !hidden {
                        out.push_str(t);
                        out.push(' ');
                    }
                }
            }
            out.split_whitespace().collect::<Vec<_>>().join(" ")
        })
        .filter(|t| !t.is_empty())
        .map(|t| super::truncate_chars(&t, 60));
    let lower = text.to_lowercase();
    PageFacts {
        title,
        text: body_text,
        tables: doc.select(&select("table")).count(),
        password_field: doc.select(&select("input[type=password]")).next().is_some(),
        captcha: lower.contains("captcha") || text.contains("验证码"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charsets() {
        let gbk = declared_charset(
            b"<meta http-equiv=\"Content-Type\" content=\"text/html; charset=gb2312\">",
        );
        assert_eq!(gbk.map(|e| e.name()), Some("GBK"));
        let utf8 = declared_charset(b"<meta charset=\"UTF-8\">");
        assert_eq!(utf8.map(|e| e.name()), Some("UTF-8"));
        assert!(declared_charset(b"<html><body>").is_none());
    }
}
