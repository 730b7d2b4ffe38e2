//! CSV and XLSX files of an answer's table.

use crate::table::{self, display_cell, scalar_text, Kind, Table};
use crate::{Endpoint, ReportError};
use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, Workbook, Worksheet, XlsxError};
use serde_json::Value;
use unicode_width::UnicodeWidthStr;

/// The UTF-8 byte-order mark that tells Excel the file is UTF-8.
pub const BOM: &[u8] = b"\xEF\xBB\xBF";

/// A table as CSV: a BOM, the header row, one line per row (CRLF, as Excel
/// writes), numbers exactly, null as an empty field.
pub fn csv_bytes(table: &Table) -> Result<Vec<u8>, ReportError> {
    let mut out = BOM.to_vec();
    {
        let mut w = csv::WriterBuilder::new()
            .terminator(csv::Terminator::CRLF)
            .from_writer(&mut out);
        let csv_err = |e: csv::Error| ReportError::Write {
            path: "(csv buffer)".into(),
            source: std::io::Error::other(e),
        };
        w.write_record(table.columns.iter().map(|c| c.name.as_str()))
            .map_err(csv_err)?;
        for row in &table.rows {
            w.write_record(row.iter().map(scalar_text))
                .map_err(csv_err)?;
        }
        w.flush().map_err(|source| ReportError::Write {
            path: "(csv buffer)".into(),
            source,
        })?;
    }
    Ok(out)
}

fn xlsx_err(e: XlsxError) -> ReportError {
    ReportError::Xlsx(e.to_string())
}

/// The fixed creation time written into every workbook, so that the same
/// answer gives the same bytes.
fn fixed_time() -> Result<ExcelDateTime, XlsxError> {
    ExcelDateTime::from_ymd(2000, 1, 1)?.and_hms(0, 0, 0)
}

/// The answer as a workbook: a sheet named after the endpoint with the same
/// table as the CSV; history adds a `summary` sheet (yearly totals and
/// statistics), contributions, growth, priceband and chapter a `summary`
/// sheet of the answer's own figures, and priceband a `priceTrend` sheet.
pub fn xlsx_bytes(endpoint: Endpoint, request: &str, data: &Value) -> Result<Vec<u8>, ReportError> {
    let main = table::main_table(endpoint, data)?;
    let mut workbook = Workbook::new();
    let properties = DocProperties::new()
        .set_title(format!("cnexport {request}"))
        .set_author("cnexport")
        .set_creation_datetime(&fixed_time().map_err(xlsx_err)?);
    workbook.set_properties(&properties);
    let styles = Styles::new();

    let sheet = workbook.add_worksheet();
    sheet.set_name(endpoint.name()).map_err(xlsx_err)?;
    let mut widths = Widths::default();
    write_table(sheet, 0, &main, &styles, &mut widths).map_err(xlsx_err)?;
    sheet.set_freeze_panes(1, 0).map_err(xlsx_err)?;
    widths.apply(sheet).map_err(xlsx_err)?;

    if endpoint == Endpoint::History {
        let (yearly, stats) = table::history_summary(data);
        let sheet = workbook.add_worksheet();
        sheet.set_name("summary").map_err(xlsx_err)?;
        let mut widths = Widths::default();
        let mut row = 0;
        if let Some(yearly) = &yearly {
            row = write_table(sheet, row, yearly, &styles, &mut widths).map_err(xlsx_err)? + 1;
        }
        if let Some(stats) = &stats {
            write_key_values(sheet, row, stats, &styles, &mut widths).map_err(xlsx_err)?;
        }
        sheet.set_freeze_panes(1, 0).map_err(xlsx_err)?;
        widths.apply(sheet).map_err(xlsx_err)?;
    }
    if let Some(summary) = table::summary_fields(endpoint, data) {
        add_sheet(
            &mut workbook,
            "summary",
            &styles,
            |sheet, styles, widths| write_key_values(sheet, 0, &summary, styles, widths),
        )?;
    }
    if endpoint == Endpoint::Priceband {
        if let Some(trend) = data.as_object().and_then(table::price_trend_table) {
            add_sheet(
                &mut workbook,
                "priceTrend",
                &styles,
                |sheet, styles, widths| write_table(sheet, 0, &trend, styles, widths),
            )?;
        }
    }
    workbook.save_to_buffer().map_err(xlsx_err)
}

/// A further sheet with a frozen header row and fitted columns.
fn add_sheet(
    workbook: &mut Workbook,
    name: &str,
    styles: &Styles,
    write: impl FnOnce(&mut Worksheet, &Styles, &mut Widths) -> Result<u32, XlsxError>,
) -> Result<(), ReportError> {
    let sheet = workbook.add_worksheet();
    sheet.set_name(name).map_err(xlsx_err)?;
    let mut widths = Widths::default();
    write(sheet, styles, &mut widths).map_err(xlsx_err)?;
    sheet.set_freeze_panes(1, 0).map_err(xlsx_err)?;
    widths.apply(sheet).map_err(xlsx_err)
}

struct Styles {
    header: Format,
    amount: Format,
    amount_2dp: Format,
    rate: Format,
    count: Format,
    text: Format,
}

impl Styles {
    fn new() -> Styles {
        Styles {
            header: Format::new().set_bold(),
            amount: Format::new().set_num_format("#,##0"),
            amount_2dp: Format::new().set_num_format("#,##0.00"),
            rate: Format::new().set_num_format("0.00"),
            count: Format::new().set_num_format("0"),
            text: Format::new(),
        }
    }

    fn number_format(&self, kind: Kind, value: &Value) -> &Format {
        let integer = value.is_i64() || value.is_u64();
        match kind {
            Kind::Amount if integer => &self.amount,
            Kind::Amount | Kind::Decimal => &self.amount_2dp,
            Kind::Percent => &self.rate,
            Kind::Count if integer => &self.count,
            Kind::Count | Kind::Text => &self.text,
        }
    }
}

/// Column widths fitted to the content, in Excel's character units (a
/// Chinese character counts two).
#[derive(Default)]
struct Widths(Vec<usize>);

impl Widths {
    fn fit(&mut self, col: usize, text: &str) {
        if self.0.len() <= col {
            self.0.resize(col + 1, 0);
        }
        self.0[col] = self.0[col].max(text.width());
    }

    fn apply(&self, sheet: &mut Worksheet) -> Result<(), XlsxError> {
        for (col, &w) in self.0.iter().enumerate() {
            let width = (w + 2).clamp(6, 60) as f64;
            sheet.set_column_width(col as u16, width)?;
        }
        Ok(())
    }
}

fn write_cell(
    sheet: &mut Worksheet,
    row: u32,
    col: u16,
    value: &Value,
    kind: Kind,
    styles: &Styles,
    widths: &mut Widths,
) -> Result<(), XlsxError> {
    match value {
        Value::Null => {}
        Value::Number(n) => {
            let format = styles.number_format(kind, value);
            sheet.write_number_with_format(row, col, n.as_f64().unwrap_or(0.0), format)?;
            widths.fit(col as usize, &display_cell(value, kind));
        }
        Value::Bool(b) => {
            sheet.write_boolean(row, col, *b)?;
            widths.fit(col as usize, "FALSE");
        }
        other => {
            // Codes and months stay text, so that 01012100 keeps its zero.
            let text = scalar_text(other);
            sheet.write_string(row, col, &text)?;
            widths.fit(col as usize, &text);
        }
    }
    Ok(())
}

/// Writes the column names as a header row at `row`.
fn write_header(
    sheet: &mut Worksheet,
    row: u32,
    table: &Table,
    styles: &Styles,
    widths: &mut Widths,
) -> Result<(), XlsxError> {
    for (c, column) in table.columns.iter().enumerate() {
        sheet.write_string_with_format(row, c as u16, &column.name, &styles.header)?;
        widths.fit(c, &column.name);
    }
    Ok(())
}

/// Writes a header row and the rows from `first_row`; returns the next free row.
fn write_table(
    sheet: &mut Worksheet,
    first_row: u32,
    table: &Table,
    styles: &Styles,
    widths: &mut Widths,
) -> Result<u32, XlsxError> {
    write_header(sheet, first_row, table, styles, widths)?;
    let mut r = first_row + 1;
    for row in &table.rows {
        for (c, value) in row.iter().enumerate() {
            let kind = table.columns[c].kind;
            write_cell(sheet, r, c as u16, value, kind, styles, widths)?;
        }
        r += 1;
    }
    Ok(r)
}

/// Writes key/value rows with a header; each value's format comes from its key.
fn write_key_values(
    sheet: &mut Worksheet,
    first_row: u32,
    table: &Table,
    styles: &Styles,
    widths: &mut Widths,
) -> Result<u32, XlsxError> {
    write_header(sheet, first_row, table, styles, widths)?;
    let mut r = first_row + 1;
    for row in &table.rows {
        let key = row[0].as_str().unwrap_or("");
        write_cell(sheet, r, 0, &row[0], Kind::Text, styles, widths)?;
        let kind = table::kind_of(key, [&row[1]]);
        write_cell(sheet, r, 1, &row[1], kind, styles, widths)?;
        r += 1;
    }
    Ok(r)
}
