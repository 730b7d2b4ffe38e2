//! Answers of the cnexport API for people who would rather look than read
//! JSON: files (CSV, XLSX, JSON), charts (PNG, SVG) and terminal tables.
//!
//! Every function takes the request path (`"/skill/trend"`, a query string
//! after it is ignored) and the full answer body, the envelope
//! `{"code": 200, "message": "success", "data": ...}` that
//! `cnexport_api::answer` returns and `cnexport query` prints.
//!
//! - [`export_answer`] writes the answer of any endpoint as a table: CSV
//!   (UTF-8 with a BOM, so that Excel shows the Chinese), XLSX (bold frozen
//!   header, number formats), or the JSON body itself. Lists (markets,
//!   topProducts, search, countries) give one row per element; dashboard and
//!   meta give one row; trend, series and history give one row per month;
//!   contributions, growth and priceband one row per market; chapter one row
//!   per heading; seasonality one row per calendar month. Nested objects
//!   become dotted columns (`bestRegion.regionName`), the 12 months of a
//!   seasonality profile 12 columns (`seasonality.monthShare.01` ..
//!   `.12`), and lists of tags or months are joined with `、`. XLSX adds a
//!   `summary` sheet for the answer's own figures where the main table is a
//!   list inside it (history, contributions, growth, priceband, chapter) and
//!   a `priceTrend` sheet for priceband.
//! - [`plot_answer`] draws trend (12 months, a line) and history (24 months,
//!   bars) as the amount by month; dashboard as horizontal bars of the
//!   continent and trade-bloc shares; priceband as each destination's unit
//!   price against the median and the 0.8x / 1.2x band edges, coloured by
//!   band; seasonality as the 12 monthly shares with the peak months marked
//!   and the even share (8.33%) drawn; chapter as the headings' shares of
//!   the chapter with the queried heading highlighted. Titles always fit the
//!   image: on two lines, and with the product name shortened in the middle,
//!   when one line would be too wide. SVG charts carry the Chinese names (the
//!   viewer's fonts draw them); PNG charts are drawn with an embedded Latin
//!   font (a subset of DejaVu Sans) and so use English names and codes.
//! - [`render_table`] formats the answer for a terminal: columns aligned by
//!   display width (a Chinese character takes two cells), amounts and prices
//!   with thousands separators, growth and shares as percentages, null as
//!   `—`, a seasonality profile as a table of the 12 months.
//!   What a number is (yuan, percent...) comes from the `format` each answer
//!   field declares in its type (`cnexport_api::FieldKind`).
//!
//! Bulk snapshots of a whole database (Parquet or CSV files with a manifest)
//! are the `cnexport-snapshot` crate's job.
//!
//! The same answer always gives the same bytes, in every format.
//!
//! ```
//! use cnexport_report::{export_answer, plot_answer, render_table, ChartFormat, ExportFormat};
//! use serde_json::json;
//!
//! let body = json!({"code": 200, "message": "success", "data": {
//!     "hsCode": "12019020", "countryName": "美国", "countryCode": "502", "currencyUnit": "人民币",
//!     "monthlyData": [{"month": "202409", "amount": 385071}, {"month": "202410", "amount": 339348}]}});
//!
//! let table = render_table("/skill/trend", &body);
//! assert!(table.contains("美国") && table.contains("385,071"));
//!
//! let dir = tempfile::tempdir().unwrap();
//! export_answer("/skill/trend", &body, ExportFormat::Csv, &dir.path().join("trend.csv")).unwrap();
//! let svg = dir.path().join("trend.svg");
//! let format = ChartFormat::from_path(&svg).unwrap(); // from the extension
//! plot_answer("/skill/trend", &body, format, &svg).unwrap();
//!
//! // Markets has no chart: the error says what to do instead.
//! let markets = json!({"code": 200, "message": "success", "data": []});
//! let err = plot_answer("/skill/markets", &markets, ChartFormat::Png, &dir.path().join("m.png"));
//! assert!(err.unwrap_err().to_string().contains("csv"));
//! ```

mod chart;
mod export;
mod table;
mod terminal;

pub use table::group_thousands;

use cnexport_api::Endpoint;
use serde_json::Value;
use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

/// A file format for [`export_answer`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ExportFormat {
    /// UTF-8 with a byte-order mark, comma-separated, a header row of the
    /// API's field names.
    Csv,
    /// One worksheet with the same table as the CSV (history adds a
    /// `summary` sheet with yearlySummary and summaryStats).
    Xlsx,
    /// The API body exactly, as compact JSON.
    Json,
}

/// An image format for [`plot_answer`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChartFormat {
    /// A bitmap; labels in English and codes (no CJK font is embedded).
    Png,
    /// A vector image; labels in Chinese, drawn by the viewer's fonts.
    Svg,
}

/// What went wrong; every message says what to do about it.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("unknown endpoint `{path}`: reports exist for {} (pass the path of the request the answer came from)", endpoint_list())]
    UnknownEndpoint { path: String },
    #[error("the answer is an error ({code}: {message}); there is nothing to report: fix the request and query again")]
    ErrorAnswer { code: i64, message: String },
    #[error("the answer does not have the shape of {path} ({detail}); pass the full JSON body that `cnexport query` prints for that request")]
    UnexpectedShape { path: String, detail: String },
    #[error(
        "there is no chart for {path}: charts exist for {} ; export {path} as csv or xlsx instead",
        chart::chart_paths()
    )]
    NoChart { path: String },
    #[error("nothing to chart in this {path} answer: {reason}; export it as csv or xlsx instead")]
    NothingToChart { path: String, reason: String },
    #[error("unknown {what} format `{given}` (use one of: {allowed})")]
    UnknownFormat {
        what: &'static str,
        given: String,
        allowed: &'static str,
    },
    #[error("cannot write {}: {source} (check that the folder exists and is writable)", path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot build the xlsx workbook: {0}")]
    Xlsx(String),
    #[error("cannot draw the chart: {0}")]
    Chart(String),
}

/// The endpoints, as the unknown-endpoint error lists them.
fn endpoint_list() -> String {
    let paths: Vec<&str> = Endpoint::ALL.iter().map(|e| e.path()).collect();
    paths.join(", ")
}

impl ExportFormat {
    /// The format named by a file's extension (`.csv`, `.xlsx`, `.json`,
    /// any case), if any.
    pub fn from_path(path: &Path) -> Option<ExportFormat> {
        path.extension()?.to_str()?.parse().ok()
    }

    /// The usual file extension, without the dot.
    pub fn extension(self) -> &'static str {
        match self {
            ExportFormat::Csv => "csv",
            ExportFormat::Xlsx => "xlsx",
            ExportFormat::Json => "json",
        }
    }
}

impl FromStr for ExportFormat {
    type Err = ReportError;
    fn from_str(s: &str) -> Result<ExportFormat, ReportError> {
        match s.to_ascii_lowercase().as_str() {
            "csv" => Ok(ExportFormat::Csv),
            "xlsx" => Ok(ExportFormat::Xlsx),
            "json" => Ok(ExportFormat::Json),
            _ => Err(ReportError::UnknownFormat {
                what: "export",
                given: s.to_string(),
                allowed: "csv, xlsx, json",
            }),
        }
    }
}

impl fmt::Display for ExportFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.extension())
    }
}

impl ChartFormat {
    /// The format named by a file's extension (`.png`, `.svg`, any case), if any.
    pub fn from_path(path: &Path) -> Option<ChartFormat> {
        path.extension()?.to_str()?.parse().ok()
    }

    /// The usual file extension, without the dot.
    pub fn extension(self) -> &'static str {
        match self {
            ChartFormat::Png => "png",
            ChartFormat::Svg => "svg",
        }
    }
}

impl FromStr for ChartFormat {
    type Err = ReportError;
    fn from_str(s: &str) -> Result<ChartFormat, ReportError> {
        match s.to_ascii_lowercase().as_str() {
            "png" => Ok(ChartFormat::Png),
            "svg" => Ok(ChartFormat::Svg),
            _ => Err(ReportError::UnknownFormat {
                what: "chart",
                given: s.to_string(),
                allowed: "png, svg",
            }),
        }
    }
}

impl fmt::Display for ChartFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.extension())
    }
}

/// The `data` of a successful answer, or the error that says why there is none.
pub(crate) fn success_data(body: &Value) -> Result<&Value, ReportError> {
    let Some(obj) = body.as_object() else {
        return Err(ReportError::UnexpectedShape {
            path: "the API".into(),
            detail: "the body is not a JSON object".into(),
        });
    };
    let code = obj.get("code").and_then(Value::as_i64);
    match (code, obj.get("data")) {
        (Some(200), Some(data)) if !data.is_null() => Ok(data),
        (Some(code), _) => Err(ReportError::ErrorAnswer {
            code,
            message: obj
                .get("message")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string(),
        }),
        _ => Err(ReportError::UnexpectedShape {
            path: "the API".into(),
            detail:
                "no `code` and `data` fields: not the envelope {\"code\", \"message\", \"data\"}"
                    .into(),
        }),
    }
}

/// The endpoint of a request path; a query string is ignored.
fn endpoint_of(path: &str) -> Result<Endpoint, ReportError> {
    let path = path.split(['?', '#']).next().unwrap_or("");
    Endpoint::from_path(path).ok_or_else(|| ReportError::UnknownEndpoint {
        path: path.to_string(),
    })
}

fn write_file(out: &Path, bytes: &[u8]) -> Result<(), ReportError> {
    std::fs::write(out, bytes).map_err(|source| ReportError::Write {
        path: out.to_path_buf(),
        source,
    })
}

/// Writes one API answer (`body` = the full envelope JSON of endpoint `path`,
/// e.g. "/skill/markets") as a file.
///
/// An error answer (code other than 200) is refused with
/// [`ReportError::ErrorAnswer`] in every format, so that a file never holds
/// an error where a table was expected.
pub fn export_answer(
    path: &str,
    body: &serde_json::Value,
    format: ExportFormat,
    out: &Path,
) -> Result<(), ReportError> {
    let endpoint = endpoint_of(path)?;
    let data = success_data(body)?;
    let bytes = match format {
        ExportFormat::Json => body.to_string().into_bytes(),
        ExportFormat::Csv => export::csv_bytes(&table::main_table(endpoint, data)?)?,
        ExportFormat::Xlsx => export::xlsx_bytes(endpoint, path, data)?,
    };
    write_file(out, &bytes)
}

/// Draws a chart of one answer: trend (12 months) and history (24 months) as
/// line/bar charts of amount by month; dashboard as horizontal bars of region
/// shares and of trade-bloc shares; priceband as the destinations' unit
/// prices (first unit) against the median band; seasonality as the 12
/// monthly shares; chapter as the headings' shares. Use
/// [`ChartFormat::from_path`] to take the format from the extension of `out`.
///
/// An answer without anything to draw (a price band without priced
/// destinations, a seasonality without a complete year) is refused with
/// [`ReportError::NothingToChart`], which says why.
pub fn plot_answer(
    path: &str,
    body: &serde_json::Value,
    format: ChartFormat,
    out: &Path,
) -> Result<(), ReportError> {
    let endpoint = endpoint_of(path)?;
    if !chart::has_chart(endpoint) {
        return Err(ReportError::NoChart {
            path: endpoint.path().to_string(),
        });
    }
    let data = success_data(body)?;
    let bytes = chart::draw(endpoint, data, format)?;
    write_file(out, &bytes)
}

/// A readable terminal table of one answer: Chinese text aligned by display
/// width, numbers right-aligned with thousands separators, growth as
/// percentages, null as "—". Objects (dashboard, trend, history) are shown as
/// sections of key/value rows plus tables for their arrays; arrays (markets,
/// topProducts) as one table. An error answer is shown as its code and
/// message. Never fails: an unknown path or shape is shown generically.
pub fn render_table(path: &str, body: &serde_json::Value) -> String {
    // The answer's shape decides the layout; `path` is kept for symmetry with
    // the other functions and for endpoint-specific layouts later.
    let _ = path;
    terminal::render(body)
}
