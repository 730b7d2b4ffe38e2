//! Every endpoint's answer through every format, read back.

mod fixtures;

use calamine::{open_workbook, Data, Reader, Xlsx};
use cnexport_report::{
    export_answer, plot_answer, render_table, ChartFormat, ExportFormat, ReportError,
};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use unicode_width::UnicodeWidthStr;

const ALL: [&str; 8] = [
    "/skill/dashboard",
    "/skill/markets",
    "/skill/trend",
    "/skill/topProducts",
    "/skill/history",
    "/skill/priceband",
    "/skill/chapter",
    "/skill/seasonality",
];

/// The answers that have a chart.
const CHARTS: [&str; 6] = [
    "/skill/trend",
    "/skill/history",
    "/skill/dashboard",
    "/skill/priceband",
    "/skill/seasonality",
    "/skill/chapter",
];

fn body_of(path: &str) -> Value {
    match path {
        "/skill/dashboard" => fixtures::dashboard(),
        "/skill/markets" => fixtures::markets(),
        "/skill/trend" => fixtures::trend(),
        "/skill/topProducts" => fixtures::top_products(),
        "/skill/history" => fixtures::history(),
        "/skill/priceband" => fixtures::priceband(),
        "/skill/chapter" => fixtures::chapter(5, 4),
        "/skill/seasonality" => fixtures::seasonality(),
        other => panic!("no fixture for {other}"),
    }
}

/// The answer of `path` about the product with the long names
/// (`fixtures::LONG_CODE`), as a title has to fit.
fn long_named(path: &str) -> Value {
    let mut body = body_of(path);
    let data = &mut body["data"];
    data["hsCode"] = json!(fixtures::LONG_CODE);
    if data.get("productName").is_some() {
        data["productName"] = json!(fixtures::LONG_NAME_ZH);
    }
    body
}

fn export(dir: &Path, path: &str, format: ExportFormat) -> PathBuf {
    let name = path.trim_start_matches("/skill/");
    let out = dir.join(format!("{name}.{}", format.extension()));
    export_answer(path, &body_of(path), format, &out).unwrap();
    out
}

// --- CSV ---------------------------------------------------------------------

struct Csv {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Csv {
    fn read(file: &Path) -> Csv {
        let bytes = std::fs::read(file).unwrap();
        assert!(
            bytes.starts_with(b"\xEF\xBB\xBF"),
            "no BOM: {}",
            file.display()
        );
        let mut r = csv::Reader::from_reader(&bytes[3..]);
        let header = r.headers().unwrap().iter().map(str::to_string).collect();
        let rows = r
            .records()
            .map(|rec| rec.unwrap().iter().map(str::to_string).collect())
            .collect();
        Csv { header, rows }
    }

    fn get(&self, row: usize, column: &str) -> &str {
        let c = self
            .header
            .iter()
            .position(|h| h == column)
            .unwrap_or_else(|| panic!("no column {column} in {:?}", self.header));
        &self.rows[row][c]
    }
}

#[test]
fn csv_of_markets_has_one_row_per_market() {
    let dir = tempfile::tempdir().unwrap();
    let csv = Csv::read(&export(dir.path(), "/skill/markets", ExportFormat::Csv));
    assert_eq!(
        csv.header,
        [
            "countryName",
            "countryCode",
            "continent",
            "tradeTags",
            "recent12mTotal",
            "monthlyAvg",
            "threeYearCAGR"
        ]
    );
    assert_eq!(csv.rows.len(), 3);
    assert_eq!(csv.get(0, "countryName"), "美国");
    assert_eq!(csv.get(0, "recent12mTotal"), "107972989953");
    assert_eq!(csv.get(0, "monthlyAvg"), "8997749162.75");
    assert_eq!(csv.get(0, "threeYearCAGR"), "-7.5");
    assert_eq!(csv.get(1, "tradeTags"), "一带一路、东盟");
    assert_eq!(csv.get(1, "threeYearCAGR"), "");
    assert_eq!(csv.get(2, "tradeTags"), "");
    assert_eq!(csv.get(2, "countryCode"), "331");
}

#[test]
fn csv_of_top_products_flattens_best_region() {
    let dir = tempfile::tempdir().unwrap();
    let csv = Csv::read(&export(dir.path(), "/skill/topProducts", ExportFormat::Csv));
    assert!(csv.header.contains(&"bestRegion.regionName".to_string()));
    assert!(csv.header.contains(&"bestRegion.percent".to_string()));
    assert!(!csv.header.contains(&"bestRegion".to_string()));
    assert_eq!(csv.rows.len(), 2);
    assert_eq!(csv.get(0, "bestRegion.regionName"), "asia");
    assert_eq!(csv.get(0, "bestRegion.percent"), "58.73");
    assert_eq!(csv.get(0, "recent12mGlobalTotal"), "745235761798");
    assert_eq!(csv.get(1, "hsCode"), "01012100");
    assert_eq!(csv.get(1, "bestRegion.regionName"), "");
    assert_eq!(csv.get(1, "productName"), "");
}

#[test]
fn csv_of_dashboard_is_one_row_with_dotted_columns() {
    let dir = tempfile::tempdir().unwrap();
    let csv = Csv::read(&export(dir.path(), "/skill/dashboard", ExportFormat::Csv));
    assert_eq!(csv.rows.len(), 1);
    assert_eq!(csv.header[0], "hsCode");
    assert_eq!(csv.get(0, "productName"), "智能手机");
    assert_eq!(csv.get(0, "recent12mGlobalTotal"), "279462943768");
    assert_eq!(csv.get(0, "yoyGrowthRate"), "-9.3");
    assert_eq!(csv.get(0, "regionBreakdown.asiaTotal"), "158673094242");
    assert_eq!(csv.get(0, "regionBreakdown.asiaPercent"), "56.78");
    assert_eq!(csv.get(0, "tradeBlocBreakdown.middleEastTotal"), "0");
    assert_eq!(csv.get(0, "tradeBlocBreakdown.usmcaPercent"), "20");
    assert_eq!(csv.get(0, "bestRegion.regionName"), "asia");
    assert_eq!(csv.get(0, "firstUnit"), "台");
    // 16 scalar fields (momentumScore included), 12 + 10 region columns, 2 of bestRegion.
    assert_eq!(csv.header.len(), 16 + 12 + 10 + 2);
}

#[test]
fn csv_of_trend_and_history_is_one_row_per_month() {
    let dir = tempfile::tempdir().unwrap();
    let trend = Csv::read(&export(dir.path(), "/skill/trend", ExportFormat::Csv));
    assert_eq!(
        trend.header,
        [
            "hsCode",
            "countryName",
            "countryCode",
            "currencyUnit",
            "month",
            "amount"
        ]
    );
    assert_eq!(trend.rows.len(), 12);
    for (i, amount) in fixtures::TREND_AMOUNTS.iter().enumerate() {
        assert_eq!(trend.get(i, "amount"), amount.to_string());
        assert_eq!(trend.get(i, "countryName"), "美国");
        assert_eq!(trend.get(i, "currencyUnit"), "人民币");
    }
    assert_eq!(trend.get(0, "month"), "202411");

    let history = Csv::read(&export(dir.path(), "/skill/history", ExportFormat::Csv));
    assert_eq!(
        history.header,
        [
            "hsCode",
            "countryCode",
            "countryName",
            "currentDataMonth",
            "month",
            "amount"
        ]
    );
    assert_eq!(history.rows.len(), 24);
    assert_eq!(history.get(0, "month"), "202510");
    assert_eq!(history.get(23, "month"), "202311");
    assert_eq!(history.get(23, "amount"), "2400041");
    assert_eq!(history.get(5, "amount"), "0");
}

#[test]
fn csv_numbers_are_exact_and_lines_end_in_crlf() {
    let dir = tempfile::tempdir().unwrap();
    let body = fixtures::ok(json!([
        {"hsCode": "85171300", "recent12mGlobalTotal": 9007199254740993i64, "momentumScore": 1e-7,
         "yoyGrowthRate": 1e16, "activeCountriesCount": 0}
    ]));
    let out = dir.path().join("big.csv");
    export_answer("/skill/topProducts", &body, ExportFormat::Csv, &out).unwrap();
    let text = String::from_utf8(std::fs::read(&out).unwrap()).unwrap();
    assert_eq!(
        text,
        "\u{feff}hsCode,recent12mGlobalTotal,momentumScore,yoyGrowthRate,activeCountriesCount\r\n\
         85171300,9007199254740993,0.0000001,10000000000000000,0\r\n"
    );
}

// --- XLSX --------------------------------------------------------------------

fn sheet(file: &Path, name: &str) -> Vec<Vec<Data>> {
    let mut book: Xlsx<_> = open_workbook(file).unwrap();
    let range = book.worksheet_range(name).unwrap();
    range.rows().map(|r| r.to_vec()).collect()
}

fn header(rows: &[Vec<Data>]) -> Vec<String> {
    rows[0].iter().map(|d| d.to_string()).collect()
}

#[test]
fn xlsx_holds_the_csv_table_for_every_endpoint() {
    let dir = tempfile::tempdir().unwrap();
    for path in ALL {
        let csv = Csv::read(&export(dir.path(), path, ExportFormat::Csv));
        let file = export(dir.path(), path, ExportFormat::Xlsx);
        let book: Xlsx<_> = open_workbook(&file).unwrap();
        let name = path.trim_start_matches("/skill/");
        assert_eq!(book.sheet_names()[0], name);
        let rows = sheet(&file, name);
        assert_eq!(header(&rows), csv.header, "{path}");
        assert_eq!(rows.len(), csv.rows.len() + 1, "{path}");
        for (r, csv_row) in csv.rows.iter().enumerate() {
            for (c, text) in csv_row.iter().enumerate() {
                let cell = &rows[r + 1][c];
                match cell {
                    Data::Empty => assert_eq!(text, "", "{path} {r} {c}"),
                    Data::Float(f) => {
                        assert_eq!(*f, text.parse::<f64>().unwrap(), "{path} {r} {c}")
                    }
                    Data::Int(i) => assert_eq!(i.to_string(), *text),
                    Data::Bool(b) => assert_eq!(b.to_string(), *text, "{path} {r} {c}"),
                    Data::String(s) => assert_eq!(s, text, "{path} {r} {c}"),
                    other => panic!("{path}: unexpected cell {other:?}"),
                }
            }
        }
    }
}

#[test]
fn xlsx_keeps_chinese_text_and_codes_as_text() {
    let dir = tempfile::tempdir().unwrap();
    let rows = sheet(
        &export(dir.path(), "/skill/markets", ExportFormat::Xlsx),
        "markets",
    );
    assert_eq!(rows[1][0], Data::String("美国".into()));
    assert_eq!(rows[2][3], Data::String("一带一路、东盟".into()));
    assert_eq!(rows[1][4], Data::Float(107972989953.0));
    let rows = sheet(
        &export(dir.path(), "/skill/topProducts", ExportFormat::Xlsx),
        "topProducts",
    );
    assert_eq!(rows[2][1], Data::String("01012100".into()));
    assert_eq!(rows[1][2], Data::String("锂离子蓄电池".into()));
}

#[test]
fn xlsx_of_history_has_a_summary_sheet() {
    let dir = tempfile::tempdir().unwrap();
    let file = export(dir.path(), "/skill/history", ExportFormat::Xlsx);
    let book: Xlsx<_> = open_workbook(&file).unwrap();
    assert_eq!(book.sheet_names(), ["history", "summary"]);
    let rows = sheet(&file, "summary");
    assert_eq!(header(&rows), ["year", "totalAmount"]);
    assert_eq!(rows[1][0], Data::Float(2024.0));
    assert_eq!(rows[1][1], Data::Float(15601234.0));
    let text: Vec<String> = rows.iter().map(|r| r[0].to_string()).collect();
    let at = |key: &str| text.iter().position(|t| t == key).unwrap();
    assert_eq!(rows[at("total24MonthAmount")][1], Data::Float(29400984.0));
    assert_eq!(rows[at("maxMonth.month")][1], Data::String("202311".into()));
    assert_eq!(rows[at("minMonth.amount")][1], Data::Float(0.0));
}

#[test]
fn same_answer_same_bytes() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    for path in ALL {
        for format in [ExportFormat::Csv, ExportFormat::Xlsx, ExportFormat::Json] {
            let x = std::fs::read(export(a.path(), path, format)).unwrap();
            let y = std::fs::read(export(b.path(), path, format)).unwrap();
            assert!(x == y, "{path} {format} differs between runs");
        }
    }
    for path in CHARTS {
        for format in [ChartFormat::Png, ChartFormat::Svg] {
            let x = a.path().join(format!("c.{format}"));
            let y = b.path().join(format!("c.{format}"));
            plot_answer(path, &body_of(path), format, &x).unwrap();
            plot_answer(path, &body_of(path), format, &y).unwrap();
            assert!(
                std::fs::read(x).unwrap() == std::fs::read(y).unwrap(),
                "{path} {format}"
            );
        }
    }
}

// --- JSON --------------------------------------------------------------------

#[test]
fn json_is_the_body() {
    let dir = tempfile::tempdir().unwrap();
    for path in ALL {
        let text = std::fs::read_to_string(export(dir.path(), path, ExportFormat::Json)).unwrap();
        assert_eq!(text, body_of(path).to_string());
        assert_eq!(serde_json::from_str::<Value>(&text).unwrap(), body_of(path));
    }
}

// --- charts ------------------------------------------------------------------

#[test]
fn png_charts_are_pngs_of_a_sensible_size() {
    let dir = tempfile::tempdir().unwrap();
    for path in CHARTS {
        let out = dir.path().join("chart.png");
        plot_answer(path, &body_of(path), ChartFormat::Png, &out).unwrap();
        let bytes = std::fs::read(&out).unwrap();
        assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"), "{path}");
        assert!(
            (5_000..1_000_000).contains(&bytes.len()),
            "{path}: {} bytes",
            bytes.len()
        );
        // IHDR: width and height.
        let width = u32::from_be_bytes(bytes[16..20].try_into().unwrap());
        let height = u32::from_be_bytes(bytes[20..24].try_into().unwrap());
        assert!(width >= 800 && height >= 400, "{path}: {width}x{height}");
    }
}

#[test]
fn svg_charts_carry_the_chinese_names() {
    let dir = tempfile::tempdir().unwrap();
    let svg = |path: &str| {
        let out = dir.path().join("chart.svg");
        plot_answer(path, &body_of(path), ChartFormat::Svg, &out).unwrap();
        std::fs::read_to_string(&out).unwrap()
    };
    let trend = svg("/skill/trend");
    assert!(trend.starts_with("<svg"));
    assert!(trend.contains("美国") && trend.contains("12019020") && trend.contains("2025-10"));
    let history = svg("/skill/history");
    assert!(history.contains("<svg") && history.contains("美国") && history.contains("2023-11"));
    let dashboard = svg("/skill/dashboard");
    assert!(dashboard.contains("<svg") && dashboard.contains("智能手机"));
    assert!(
        dashboard.contains("亚洲")
            && dashboard.contains("一带一路")
            && dashboard.contains("56.78%")
    );
}

#[test]
fn chart_format_comes_from_the_extension() {
    assert_eq!(
        ChartFormat::from_path(Path::new("a/b.PNG")),
        Some(ChartFormat::Png)
    );
    assert_eq!(
        ChartFormat::from_path(Path::new("b.svg")),
        Some(ChartFormat::Svg)
    );
    assert_eq!(ChartFormat::from_path(Path::new("b.jpg")), None);
    assert_eq!(
        ExportFormat::from_path(Path::new("x.Xlsx")),
        Some(ExportFormat::Xlsx)
    );
    assert_eq!("csv".parse::<ExportFormat>().unwrap(), ExportFormat::Csv);
    let err = "pdf".parse::<ChartFormat>().unwrap_err().to_string();
    assert!(err.contains("png, svg"), "{err}");
}

#[test]
fn a_chart_of_all_zeros_and_of_null_shares_draws() {
    let dir = tempfile::tempdir().unwrap();
    let mut trend = fixtures::trend();
    for m in trend["data"]["monthlyData"].as_array_mut().unwrap() {
        m["amount"] = json!(0);
    }
    let mut dashboard = fixtures::dashboard();
    for key in ["regionBreakdown", "tradeBlocBreakdown"] {
        for (k, v) in dashboard["data"][key].as_object_mut().unwrap() {
            *v = if k.ends_with("Percent") {
                Value::Null
            } else {
                json!(0)
            };
        }
    }
    dashboard["data"]["productName"] = Value::Null;
    dashboard["data"]["hsCode"] = json!("8517");
    for format in [ChartFormat::Png, ChartFormat::Svg] {
        let out = dir.path().join(format!("z.{format}"));
        plot_answer("/skill/trend", &trend, format, &out).unwrap();
        plot_answer("/skill/dashboard", &dashboard, format, &out).unwrap();
    }
}

// --- errors ------------------------------------------------------------------

#[test]
fn errors_say_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("x.png");

    let err = plot_answer(
        "/skill/markets",
        &fixtures::markets(),
        ChartFormat::Png,
        &out,
    )
    .unwrap_err();
    assert!(matches!(err, ReportError::NoChart { .. }));
    assert!(
        err.to_string()
            .contains("export /skill/markets as csv or xlsx"),
        "{err}"
    );

    let err =
        export_answer("/skill/nope", &fixtures::markets(), ExportFormat::Csv, &out).unwrap_err();
    assert!(matches!(err, ReportError::UnknownEndpoint { .. }));
    assert!(err.to_string().contains("/skill/history"), "{err}");

    let not_found = json!({"code": 404, "message": "该商品对此国家暂无出口记录", "data": null});
    let err = export_answer("/skill/trend", &not_found, ExportFormat::Xlsx, &out).unwrap_err();
    assert!(matches!(err, ReportError::ErrorAnswer { code: 404, .. }));
    assert!(
        err.to_string().contains("该商品对此国家暂无出口记录"),
        "{err}"
    );

    let err = export_answer(
        "/skill/trend",
        &fixtures::markets(),
        ExportFormat::Csv,
        &out,
    )
    .unwrap_err();
    assert!(matches!(err, ReportError::UnexpectedShape { .. }), "{err}");
    let err = plot_answer(
        "/skill/history",
        &fixtures::markets(),
        ChartFormat::Svg,
        &out,
    )
    .unwrap_err();
    assert!(matches!(err, ReportError::UnexpectedShape { .. }), "{err}");

    let missing = dir.path().join("no/such/folder/m.csv");
    let err = export_answer(
        "/skill/markets",
        &fixtures::markets(),
        ExportFormat::Csv,
        &missing,
    )
    .unwrap_err();
    assert!(matches!(err, ReportError::Write { .. }));
    assert!(err.to_string().contains("no/such/folder"), "{err}");
    assert!(err.to_string().contains("writable"), "{err}");
}

#[test]
fn a_query_string_after_the_path_is_ignored() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("t.csv");
    export_answer(
        "/skill/trend?hsCode=12019020&countryCode=502",
        &fixtures::trend(),
        ExportFormat::Csv,
        &out,
    )
    .unwrap();
    assert_eq!(Csv::read(&out).rows.len(), 12);
}

// --- terminal ----------------------------------------------------------------

/// The blocks of a rendering (separated by blank lines).
fn blocks(text: &str) -> Vec<Vec<&str>> {
    text.trim_end_matches('\n')
        .split("\n\n")
        .map(|b| b.lines().collect())
        .collect()
}

/// The display column where `needle` ends in `line`.
fn end_column(line: &str, needle: &str) -> usize {
    let at = line
        .find(needle)
        .unwrap_or_else(|| panic!("{needle} not in {line}"));
    line[..at + needle.len()].width()
}

/// The display column where `needle` starts in `line`.
fn start_column(line: &str, needle: &str) -> usize {
    let at = line
        .find(needle)
        .unwrap_or_else(|| panic!("{needle} not in {line}"));
    line[..at].width()
}

fn assert_table_aligned(lines: &[&str]) {
    let width = lines[0].width();
    for line in lines {
        assert_eq!(
            line.width(),
            width,
            "ragged table line: {line:?}\n{}",
            lines.join("\n")
        );
    }
    // The rule under the header marks each column's extent.
    let rule = lines[1];
    assert!(rule.chars().all(|c| c == '-' || c == ' '), "{rule}");
}

#[test]
fn terminal_table_of_markets_is_aligned_by_display_width() {
    let text = render_table("/skill/markets", &fixtures::markets());
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 5, "{text}");
    assert_table_aligned(&lines);
    // Names start in the same column; amounts end in the same column.
    let names = ["美国", "越南", "瑞士"];
    let totals = ["107,972,989,953", "5,004", "1,234,567"];
    let growth = ["-7.50%", "—", "12.25%"];
    let code_start = start_column(lines[0], "countryCode");
    let total_end = end_column(lines[0], "recent12mTotal");
    let growth_end = end_column(lines[0], "threeYearCAGR");
    for (i, line) in lines[2..].iter().enumerate() {
        assert_eq!(start_column(line, names[i]), 0, "{line}");
        let code = ["502", "141", "331"][i];
        assert_eq!(start_column(line, code), code_start, "{text}");
        assert_eq!(end_column(line, totals[i]), total_end, "{text}");
        assert_eq!(end_column(line, growth[i]), growth_end, "{text}");
    }
    assert!(text.contains("一带一路、东盟"));
}

#[test]
fn terminal_table_of_top_products_shows_null_as_a_dash() {
    let text = render_table("/skill/topProducts", &fixtures::top_products());
    let lines: Vec<&str> = text.lines().collect();
    assert_table_aligned(&lines);
    assert!(lines[2].contains("锂离子蓄电池") && lines[2].contains("745,235,761,798"));
    assert!(lines[2].contains("35.65%") && lines[2].contains("30.67"));
    assert!(lines[3].contains("01012100") && lines[3].contains('—'));
}

#[test]
fn terminal_sections_of_dashboard() {
    let text = render_table("/skill/dashboard", &fixtures::dashboard());
    let parts = blocks(&text);
    assert_eq!(parts.len(), 3, "{text}");
    // Key/value rows: values start in one column, numbers end in one column.
    let fields = &parts[0];
    let value_start = start_column(fields[0], "85171300");
    assert_eq!(start_column(fields[1], "智能手机"), value_start);
    let line = |key: &str| *fields.iter().find(|l| l.starts_with(key)).unwrap();
    let total_end = end_column(line("recent12mGlobalTotal"), "279,462,943,768");
    assert_eq!(end_column(line("yoyGrowthRate"), "-9.30%"), total_end);
    assert_eq!(end_column(line("firstQuantity"), "403,344,855"), total_end);
    assert_eq!(
        end_column(line("avgCountryActiveMonths"), "11.00"),
        total_end
    );
    assert!(line("bestRegion.regionName").contains("asia"));
    // The region breakdowns as tables.
    assert_eq!(parts[1][0], "regionBreakdown");
    assert_table_aligned(&parts[1][1..]);
    assert!(parts[1]
        .iter()
        .any(|l| l.contains("拉丁美洲") && l.contains("13,973,147,188") && l.contains("5.00%")));
    assert_eq!(parts[2][0], "tradeBlocBreakdown");
    assert_table_aligned(&parts[2][1..]);
}

#[test]
fn terminal_sections_of_trend_and_history() {
    let text = render_table("/skill/trend", &fixtures::trend());
    let parts = blocks(&text);
    assert_eq!(parts.len(), 2, "{text}");
    assert!(parts[0].iter().any(|l| l.contains("美国")));
    assert_eq!(parts[1][0], "monthlyData");
    assert_table_aligned(&parts[1][1..]);
    assert_eq!(parts[1].len(), 1 + 2 + 12);
    assert!(parts[1].iter().any(|l| l.ends_with("7,654,321")));

    let text = render_table("/skill/history", &fixtures::history());
    let parts = blocks(&text);
    let titles: Vec<&str> = parts[1..].iter().map(|p| p[0]).collect();
    assert_eq!(
        titles,
        ["yearlySummary", "monthlyDetail", "summaryStats"],
        "{text}"
    );
    for p in &parts[1..3] {
        assert_table_aligned(&p[1..]);
    }
    // Years are not grouped like amounts.
    assert!(parts[1]
        .iter()
        .any(|l| l.starts_with("2024") && l.contains("15,601,234")));
    assert!(parts[3]
        .iter()
        .any(|l| l.contains("maxMonth.month") && l.contains("202311")));
}

#[test]
fn terminal_shows_an_error_answer_as_code_and_message() {
    let not_found = json!({"code": 404, "message": "该商品对此国家暂无出口记录", "data": null});
    assert_eq!(
        render_table("/skill/history", &not_found),
        "404  该商品对此国家暂无出口记录\n"
    );
    let empty = fixtures::ok(json!([]));
    assert_eq!(render_table("/skill/markets", &empty), "(no rows)\n");
}

// --- titles and text inside the image -----------------------------------------

/// The RGB pixels of a PNG chart, its width and height.
fn png_pixels(file: &Path) -> (Vec<u8>, usize, usize) {
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(file).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    assert_eq!(info.color_type, png::ColorType::Rgb);
    buf.truncate(info.buffer_size());
    (buf, info.width as usize, info.height as usize)
}

/// Every chart kind, about the product with the long names: nothing is
/// drawn in the 8 pixels at the left and right edges of the PNG, so no
/// title or label runs off the image (a centred title wider than the image
/// did, at both edges).
#[test]
fn nothing_runs_off_the_edges_of_a_png_chart() {
    let dir = tempfile::tempdir().unwrap();
    let mut bodies: Vec<(&str, Value)> = CHARTS.iter().map(|p| (*p, long_named(p))).collect();
    bodies.push(("/skill/chapter", fixtures::chapter(40, 33)));
    bodies.push(("/skill/priceband", priceband_with_outlier()));
    for (path, body) in bodies {
        let out = dir.path().join("edge.png");
        plot_answer(path, &body, ChartFormat::Png, &out).unwrap();
        let (rgb, w, h) = png_pixels(&out);
        for y in 0..h {
            for x in (0..8).chain(w - 8..w) {
                let px = &rgb[(y * w + x) * 3..][..3];
                assert_eq!(
                    px,
                    [255, 255, 255],
                    "{path}: pixel ({x}, {y}) of {w}x{h} is drawn"
                );
            }
        }
    }
}

/// A `<text>` element of an SVG chart.
#[derive(Debug)]
struct SvgText {
    x: f64,
    anchor: String,
    size: f64,
    text: String,
    rotated: bool,
}

fn svg_texts(svg: &str) -> Vec<SvgText> {
    let attr = |tag: &str, name: &str| {
        let key = format!(" {name}=\"");
        let at = tag.find(&key)? + key.len();
        Some(tag[at..].split('"').next()?.to_string())
    };
    svg.split("<text")
        .skip(1)
        .map(|part| {
            let (tag, rest) = part.split_once('>').unwrap();
            let text = rest.split("</text>").next().unwrap().trim().to_string();
            SvgText {
                x: attr(tag, "x").unwrap().parse().unwrap(),
                anchor: attr(tag, "text-anchor").unwrap(),
                size: attr(tag, "font-size").unwrap().parse().unwrap(),
                text,
                rotated: tag.contains("transform="),
            }
        })
        .collect()
}

fn svg_width(svg: &str) -> f64 {
    let at = svg.find("width=\"").unwrap() + 7;
    svg[at..].split('"').next().unwrap().parse().unwrap()
}

/// The horizontal extent of a text in a viewer's font: a CJK (wide)
/// character one em, any other 0.6 em (about the average of the usual sans-
/// serif fonts).
fn extent(t: &SvgText) -> (f64, f64) {
    let ems: f64 = t
        .text
        .chars()
        .map(|c| {
            if unicode_width::UnicodeWidthChar::width(c) == Some(2) {
                1.0
            } else {
                0.6
            }
        })
        .sum();
    let w = ems * t.size;
    match t.anchor.as_str() {
        "middle" => (t.x - w / 2.0, t.x + w / 2.0),
        "end" => (t.x - w, t.x),
        _ => (t.x, t.x + w),
    }
}

/// In the SVG of every chart kind, about the product with a Chinese name
/// of more than 40 characters, every text lies inside the image, and the
/// title keeps the code and the figures.
#[test]
fn svg_texts_lie_inside_the_image_and_titles_keep_code_and_figures() {
    let dir = tempfile::tempdir().unwrap();
    for path in CHARTS {
        let out = dir.path().join("t.svg");
        plot_answer(path, &long_named(path), ChartFormat::Svg, &out).unwrap();
        let svg = std::fs::read_to_string(&out).unwrap();
        let width = svg_width(&svg);
        let texts = svg_texts(&svg);
        for t in texts.iter().filter(|t| !t.rotated) {
            let (left, right) = extent(t);
            assert!(
                left >= 0.0 && right <= width,
                "{path}: {:?} spans {left:.0}..{right:.0} of {width}",
                t.text
            );
        }
        let titles: Vec<&SvgText> = texts.iter().filter(|t| t.size > 15.0).collect();
        let title: String = titles.iter().map(|t| t.text.as_str()).collect();
        let code = if path == "/skill/chapter" {
            "第 84 章"
        } else {
            fixtures::LONG_CODE
        };
        assert!(titles[0].text.starts_with(code), "{path}: {title}");
        let figures = match path {
            "/skill/dashboard" => "合计 2,794.63亿元",
            "/skill/trend" => "美国（502）",
            "/skill/history" => "2023-11 至 2025-10（24个月）",
            "/skill/priceband" => "中位数 11,000.00",
            "/skill/seasonality" => "季节性强度 12.02%",
            "/skill/chapter" => "8485 排第 4 / 5",
            other => panic!("{other}"),
        };
        assert!(title.contains(figures), "{path}: {title}");
    }
}

// --- the answers of contract sections 4.5, 4.8, 4.17-4.19 ----------------------

#[test]
fn dashboard_current_month_as_an_integer_or_a_string() {
    let dir = tempfile::tempdir().unwrap();
    for (body, month) in [
        (fixtures::dashboard(), "202506"),
        (fixtures::dashboard_now(), "202506"),
    ] {
        let out = dir.path().join("d.csv");
        export_answer("/skill/dashboard", &body, ExportFormat::Csv, &out).unwrap();
        assert_eq!(Csv::read(&out).get(0, "currentMonth"), month);
        let text = render_table("/skill/dashboard", &body);
        let line = text
            .lines()
            .find(|l| l.starts_with("currentMonth"))
            .unwrap();
        assert!(line.ends_with(" 202506"), "{line}");
        let out = dir.path().join("d.svg");
        plot_answer("/skill/dashboard", &body, ChartFormat::Svg, &out).unwrap();
        let svg = std::fs::read_to_string(&out).unwrap();
        assert!(
            svg.contains("截至 2025-06"),
            "{}",
            body["data"]["currentMonth"]
        );
        plot_answer(
            "/skill/dashboard",
            &body,
            ChartFormat::Png,
            &dir.path().join("d.png"),
        )
        .unwrap();
    }
}

#[test]
fn dashboard_seasonality_gives_a_column_per_month_and_a_month_table() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("d.csv");
    export_answer(
        "/skill/dashboard",
        &fixtures::dashboard_now(),
        ExportFormat::Csv,
        &out,
    )
    .unwrap();
    let csv = Csv::read(&out);
    let profile = fixtures::season_profile();
    for m in 1..=12 {
        let share = csv.get(0, &format!("seasonality.monthShare.{m:02}"));
        assert_eq!(
            share.parse::<f64>().unwrap(),
            profile["monthShare"][m - 1].as_f64().unwrap()
        );
        let total = csv.get(0, &format!("seasonality.monthTotals.{m:02}"));
        assert_eq!(total, fixtures::MONTH_TOTALS[m - 1].to_string());
    }
    assert_eq!(csv.get(0, "seasonality.peakMonths"), "3、12");
    assert_eq!(csv.get(0, "seasonality.yearsUsed"), "2022、2023、2024");
    assert_eq!(csv.get(0, "concentration.hhi"), "2485.77");

    let text = render_table("/skill/dashboard", &fixtures::dashboard_now());
    let parts = blocks(&text);
    let titles: Vec<&str> = parts[1..].iter().map(|p| p[0]).collect();
    assert!(titles.contains(&"seasonality"), "{titles:?}");
    let months = parts
        .iter()
        .find(|p| p[0] == "seasonality by calendar month")
        .unwrap_or_else(|| panic!("{text}"));
    assert_table_aligned(&months[1..]);
    assert_eq!(months.len(), 1 + 2 + 12);
    let december = months.last().unwrap();
    assert!(
        december.contains("225,000,407")
            && december.contains("16.07%")
            && december.contains("true"),
        "{december}"
    );
    let seasonality = parts.iter().find(|p| p[0] == "seasonality").unwrap();
    assert!(seasonality
        .iter()
        .any(|l| l.starts_with("peakMonths") && l.ends_with("3、12")));
    assert!(seasonality
        .iter()
        .any(|l| l.starts_with("seasonalityStrength") && l.ends_with("12.02%")));
    assert!(seasonality
        .iter()
        .any(|l| l.starts_with("yearsTotal") && l.ends_with("1,400,002,442")));
}

#[test]
fn priceband_exports_one_row_per_market_with_prices_and_bands() {
    let dir = tempfile::tempdir().unwrap();
    let csv = Csv::read(&export(dir.path(), "/skill/priceband", ExportFormat::Csv));
    assert_eq!(
        csv.header,
        [
            "rank",
            "countryCode",
            "countryName",
            "recent12mTotal",
            "quantity1",
            "price1",
            "band1",
            "bandZh1",
            "quantity2",
            "price2",
            "band2",
            "bandZh2",
            "countryNameEn",
            "iso3",
            "iso2",
            "m49"
        ]
    );
    assert_eq!(csv.rows.len(), 6);
    assert_eq!(csv.get(0, "price1"), "15000");
    assert_eq!(csv.get(0, "band1"), "premium");
    assert_eq!(csv.get(0, "bandZh1"), "高端");
    assert_eq!(csv.get(1, "price1"), "12500.69");
    assert_eq!(csv.get(4, "bandZh1"), "性价比");
    assert_eq!(csv.get(5, "price1"), "");
    assert_eq!(csv.get(5, "band1"), "");
    assert_eq!(csv.get(4, "m49"), "036");

    let file = export(dir.path(), "/skill/priceband", ExportFormat::Xlsx);
    let book: Xlsx<_> = open_workbook(&file).unwrap();
    assert_eq!(book.sheet_names(), ["priceband", "summary", "priceTrend"]);
    let summary = sheet(&file, "summary");
    let at = |key: &str| {
        summary
            .iter()
            .find(|r| r[0] == Data::String(key.into()))
            .unwrap_or_else(|| panic!("{key}"))[1]
            .clone()
    };
    assert_eq!(at("unit1.median"), Data::Float(11000.0));
    assert_eq!(at("unit1.unit"), Data::String("台".into()));
    assert_eq!(
        at("unit2.reason"),
        Data::String("目的地使用多个单位 (several units)".into())
    );
    assert_eq!(at("marketCount"), Data::Float(6.0));
    let trend = sheet(&file, "priceTrend");
    assert_eq!(
        header(&trend),
        ["month", "price1", "unit1", "price2", "unit2"]
    );
    assert_eq!(trend.len(), 1 + 4);
    assert_eq!(trend[1][0], Data::String("202409".into()));
    assert_eq!(trend[1][1], Data::Float(10234.5));
    assert_eq!(trend[2][1], Data::Empty);
    assert_eq!(trend[4][2], Data::String("台".into()));
}

#[test]
fn priceband_in_the_terminal() {
    let text = render_table("/skill/priceband", &fixtures::priceband());
    let parts = blocks(&text);
    let titles: Vec<&str> = parts[1..].iter().map(|p| p[0]).collect();
    assert_eq!(
        titles,
        ["unit1", "unit2", "markets", "priceTrend1, priceTrend2"],
        "{text}"
    );
    let unit1 = &parts[1];
    assert!(
        unit1
            .iter()
            .any(|l| l.starts_with("median") && l.ends_with("11,000.00")),
        "{text}"
    );
    let markets = &parts[3];
    assert_table_aligned(&markets[1..]);
    let price_end = end_column(markets[1], "price1");
    let row = |rank: &str| {
        *markets
            .iter()
            .find(|l| l.trim_start().starts_with(rank))
            .unwrap()
    };
    // Prices with two decimals and separators, right-aligned; null as a dash.
    assert_eq!(end_column(row("2 "), "12,500.69"), price_end, "{text}");
    assert_eq!(end_column(row("1 "), "15,000.00"), price_end, "{text}");
    assert_eq!(end_column(row("6 "), "—"), price_end, "{text}");
    assert!(row("1 ").contains("premium") && row("1 ").contains("高端"));
    assert!(row("1 ").contains("600,000,000") && row("1 ").contains("40,000"));
    let trend = &parts[4];
    assert_table_aligned(&trend[1..]);
    assert_eq!(trend.len(), 1 + 2 + 4);
    assert!(
        trend[3].starts_with("202409") && trend[3].contains("10,234.50") && trend[3].contains("台"),
        "{text}"
    );
    assert!(trend[4].starts_with("202410") && trend[4].contains('—'));
}

#[test]
fn seasonality_exports_one_row_per_calendar_month() {
    let dir = tempfile::tempdir().unwrap();
    let csv = Csv::read(&export(dir.path(), "/skill/seasonality", ExportFormat::Csv));
    assert_eq!(csv.rows.len(), 12);
    let tail = &csv.header[csv.header.len() - 4..];
    assert_eq!(tail, ["month", "monthTotals", "monthShare", "peak"]);
    assert_eq!(csv.header[0], "hsCode");
    assert!(csv.header.contains(&"countryNameEn".to_string()));
    let profile = fixtures::season_profile();
    for m in 0..12 {
        assert_eq!(csv.get(m, "month"), (m + 1).to_string());
        assert_eq!(
            csv.get(m, "monthTotals"),
            fixtures::MONTH_TOTALS[m].to_string()
        );
        assert_eq!(
            csv.get(m, "monthShare").parse::<f64>().unwrap(),
            profile["monthShare"][m].as_f64().unwrap()
        );
        let peak = [3, 12].contains(&(m + 1));
        assert_eq!(csv.get(m, "peak"), peak.to_string(), "month {}", m + 1);
        assert_eq!(csv.get(m, "yearsUsed"), "2022、2023、2024");
        assert_eq!(csv.get(m, "peakMonths"), "3、12");
        assert_eq!(csv.get(m, "countryCode"), "");
    }
    // Without a complete year: 12 rows, shares empty.
    let out = dir.path().join("none.csv");
    export_answer(
        "/skill/seasonality",
        &fixtures::seasonality_without_a_year(),
        ExportFormat::Csv,
        &out,
    )
    .unwrap();
    let csv = Csv::read(&out);
    assert_eq!(csv.rows.len(), 12);
    assert!((0..12).all(|m| csv.get(m, "monthShare").is_empty() && csv.get(m, "peak") == "false"));
    assert_eq!(csv.get(0, "countryName"), "美国");

    let text = render_table("/skill/seasonality", &fixtures::seasonality());
    let parts = blocks(&text);
    assert_eq!(parts.len(), 2, "{text}");
    assert!(parts[0]
        .iter()
        .any(|l| l.starts_with("seasonalityStrength") && l.ends_with("12.02%")));
    assert!(parts[0]
        .iter()
        .any(|l| l.starts_with("yearsUsed") && l.ends_with("2022、2023、2024")));
    assert_eq!(parts[1][0], "by calendar month");
    assert_table_aligned(&parts[1][1..]);
    let march = parts[1][2 + 3];
    assert!(
        march.trim_start().starts_with("3 ")
            && march.contains("150,000,074")
            && march.contains("10.71%")
            && march.trim_end().ends_with("true"),
        "{march}"
    );
}

#[test]
fn chapter_exports_one_row_per_heading() {
    let dir = tempfile::tempdir().unwrap();
    let csv = Csv::read(&export(dir.path(), "/skill/chapter", ExportFormat::Csv));
    assert_eq!(
        csv.header,
        [
            "rank",
            "hsCode",
            "productName",
            "recent12mTotal",
            "prev12mTotal",
            "share",
            "yoyGrowthRate",
            "activeCodes",
            "isSelf"
        ]
    );
    assert_eq!(csv.rows.len(), 5);
    assert_eq!(csv.get(3, "hsCode"), "8485");
    assert_eq!(csv.get(3, "isSelf"), "true");
    assert_eq!(csv.get(0, "isSelf"), "false");
    let file = export(dir.path(), "/skill/chapter", ExportFormat::Xlsx);
    let summary = sheet(&file, "summary");
    let at = |key: &str| {
        summary
            .iter()
            .find(|r| r[0] == Data::String(key.into()))
            .unwrap()[1]
            .clone()
    };
    assert_eq!(at("selfHeading"), Data::String("8485".into()));
    assert_eq!(
        at("chapterName"),
        Data::String("核反应堆、锅炉、机器、机械器具及其零件".into())
    );
    let total = fixtures::chapter(5, 4)["data"]["chapterTotal"]
        .as_f64()
        .unwrap();
    assert_eq!(at("chapterTotal"), Data::Float(total));

    let text = render_table("/skill/chapter", &fixtures::chapter(5, 4));
    let parts = blocks(&text);
    let fields = &parts[0];
    let total_line = fields
        .iter()
        .find(|l| l.starts_with("chapterTotal"))
        .unwrap();
    assert!(
        total_line.ends_with(&cnexport_report::group_thousands(
            &(total as i64).to_string()
        )),
        "{total_line}"
    );
    assert!(fields
        .iter()
        .any(|l| l.starts_with("chapterYoyGrowthRate") && l.ends_with("11.11%")));
    assert_eq!(parts[1][0], "headings");
    assert_table_aligned(&parts[1][1..]);
    // Title, header and rule, then heading k in line 2 + k.
    assert!(parts[1][2 + 4].contains("8485") && parts[1][2 + 4].contains("true"));
    assert!(parts[1][2 + 1].contains("43.80%"), "{text}");
}

#[test]
fn top_products_with_seasons_and_fastest_growing_markets() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("t.csv");
    export_answer(
        "/skill/topProducts",
        &fixtures::top_products_now(),
        ExportFormat::Csv,
        &out,
    )
    .unwrap();
    let csv = Csv::read(&out);
    assert_eq!(csv.get(0, "peakMonths"), "3、12");
    assert_eq!(csv.get(0, "nextMonthShare"), "16.07");
    assert_eq!(csv.get(0, "fastestGrowingMarket.countryCode"), "141");
    assert_eq!(csv.get(0, "fastestGrowingMarket.iso3"), "VNM");
    // A null market keeps the columns.
    assert_eq!(csv.get(1, "fastestGrowingMarket.countryName"), "");
    assert!(!csv.header.contains(&"fastestGrowingMarket".to_string()));

    let text = render_table("/skill/topProducts", &fixtures::top_products_now());
    let lines: Vec<&str> = text.lines().collect();
    assert_table_aligned(&lines);
    let share_end = end_column(lines[0], "nextMonthShare");
    assert_eq!(end_column(lines[2], "16.07%"), share_end, "{text}");
    let growth_end = end_column(lines[0], "fastestGrowingMarket.yoyGrowthRate");
    assert_eq!(end_column(lines[2], "120.50%"), growth_end, "{text}");
    assert_eq!(
        end_column(lines[0], "momGrowthRate"),
        end_column(lines[2], "-4.20%")
    );
}

fn svg_of(path: &str, body: &Value) -> String {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("c.svg");
    plot_answer(path, body, ChartFormat::Svg, &out).unwrap();
    std::fs::read_to_string(out).unwrap()
}

/// The fills of an SVG's circles or rectangles (`tag`), in drawing order.
fn fills(svg: &str, tag: &str) -> Vec<String> {
    svg.split(&format!("<{tag} "))
        .skip(1)
        .filter_map(|t| Some(t.split("fill=\"").nth(1)?.split('"').next()?.to_string()))
        .collect()
}

#[test]
fn priceband_chart_colours_each_destination_by_band() {
    let svg = svg_of("/skill/priceband", &fixtures::priceband());
    // One dot per priced destination, in the band's colour, highest first.
    let dots = fills(&svg, "circle");
    assert_eq!(
        dots,
        ["#D62728", "#1F77B4", "#1F77B4", "#1F77B4", "#2CA02C"]
    );
    for name in [
        "美国",
        "日本",
        "德国",
        "越南",
        "澳大利亚",
        "15,000.00",
        "12,500.69",
        "6,000.00",
    ] {
        assert!(svg.contains(name), "{name}");
    }
    assert!(
        !svg.contains("瑞士"),
        "a destination without a price has no dot"
    );
    assert!(svg.contains("中位数 11,000.00") && svg.contains("高端") && svg.contains("性价比"));
    // An outlier is drawn at the axis' end and says so.
    let svg = svg_of("/skill/priceband", &priceband_with_outlier());
    assert!(svg.contains("99,999.50 →"));

    // No prices for either unit: nothing to chart, and why.
    let mut none = fixtures::priceband();
    for m in none["data"]["markets"].as_array_mut().unwrap() {
        m["price1"] = Value::Null;
        m["band1"] = Value::Null;
    }
    none["data"]["unit1"]["median"] = Value::Null;
    none["data"]["unit1"]["reason"] = json!("没有数量 (no quantity reported)");
    let dir = tempfile::tempdir().unwrap();
    let err = plot_answer(
        "/skill/priceband",
        &none,
        ChartFormat::Png,
        &dir.path().join("n.png"),
    )
    .unwrap_err();
    assert!(matches!(err, ReportError::NothingToChart { .. }), "{err}");
    assert!(err.to_string().contains("no quantity reported"), "{err}");
}

#[test]
fn seasonality_chart_marks_the_peak_months() {
    let svg = svg_of("/skill/seasonality", &fixtures::seasonality());
    let bars: Vec<String> = fills(&svg, "rect")
        .into_iter()
        .filter(|f| f == "#FF7F0E" || f == "#1F77B4")
        .collect();
    // Two legend squares, then the 12 months: March and December are peaks.
    let mut expected = vec!["#FF7F0E", "#1F77B4"];
    expected.extend((1..=12).map(|m| {
        if m == 3 || m == 12 {
            "#FF7F0E"
        } else {
            "#1F77B4"
        }
    }));
    assert_eq!(bars, expected);
    assert!(
        svg.contains("平均占比 8.33%") && svg.contains("旺季 3月、12月") && svg.contains("16.07%")
    );
    let dir = tempfile::tempdir().unwrap();
    let err = plot_answer(
        "/skill/seasonality",
        &fixtures::seasonality_without_a_year(),
        ChartFormat::Svg,
        &dir.path().join("n.svg"),
    )
    .unwrap_err();
    assert!(matches!(err, ReportError::NothingToChart { .. }), "{err}");
    assert!(
        err.to_string().contains("no complete calendar year"),
        "{err}"
    );
}

#[test]
fn chapter_chart_highlights_the_queried_heading() {
    let svg = svg_of("/skill/chapter", &fixtures::chapter(5, 4));
    let bars: Vec<String> = fills(&svg, "rect")
        .into_iter()
        .filter(|f| f == "#FF7F0E" || f == "#1F77B4")
        .collect();
    assert_eq!(
        bars,
        ["#FF7F0E", "#1F77B4", "#1F77B4", "#1F77B4", "#1F77B4", "#FF7F0E", "#1F77B4"]
    );
    // Beyond the rows shown, the queried heading takes the last row, with its rank.
    let svg = svg_of("/skill/chapter", &fixtures::chapter(40, 33));
    let bars = fills(&svg, "rect")
        .into_iter()
        .filter(|f| f == "#FF7F0E" || f == "#1F77B4")
        .count();
    assert_eq!(bars, 2 + 25);
    assert!(svg.contains("#33 8485 增材制造设备"), "{svg}");
    assert!(svg.contains("8485 排第 33 / 40（图示 25 个）"));
}

#[test]
fn the_no_chart_error_lists_the_new_charts() {
    let dir = tempfile::tempdir().unwrap();
    let err = plot_answer(
        "/skill/markets",
        &fixtures::markets(),
        ChartFormat::Svg,
        &dir.path().join("m.svg"),
    )
    .unwrap_err()
    .to_string();
    for path in CHARTS {
        assert!(err.contains(path), "{err}");
    }
    let err = export_answer(
        "/skill/nope",
        &fixtures::markets(),
        ExportFormat::Csv,
        &dir.path().join("x.csv"),
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("/skill/priceband") && err.contains("/skill/seasonality"),
        "{err}"
    );
}

/// Writes every export and chart to `$CNEXPORT_REPORT_SAMPLE_DIR` for
/// `tests/check_with_python.sh`; does nothing without it.
#[test]
fn write_samples_for_python() {
    let Some(dir) = std::env::var_os("CNEXPORT_REPORT_SAMPLE_DIR") else {
        return;
    };
    let dir = PathBuf::from(dir);
    std::fs::create_dir_all(&dir).unwrap();
    for path in ALL {
        for format in [ExportFormat::Csv, ExportFormat::Xlsx, ExportFormat::Json] {
            export(&dir, path, format);
        }
    }
    for path in CHARTS {
        for format in [ChartFormat::Png, ChartFormat::Svg] {
            let name = path.trim_start_matches("/skill/");
            plot_answer(
                path,
                &body_of(path),
                format,
                &dir.join(format!("{name}.{format}")),
            )
            .unwrap();
            plot_answer(
                path,
                &long_named(path),
                format,
                &dir.join(format!("{name}-long.{format}")),
            )
            .unwrap();
        }
    }
    for format in [ChartFormat::Png, ChartFormat::Svg] {
        for (name, path, body) in [
            ("chapter-many", "/skill/chapter", fixtures::chapter(40, 33)),
            (
                "priceband-outlier",
                "/skill/priceband",
                priceband_with_outlier(),
            ),
        ] {
            plot_answer(path, &body, format, &dir.join(format!("{name}.{format}"))).unwrap();
        }
    }
}

/// The priceband fixture with the United States paying far above the
/// band (more than 3 medians, so drawn at the edge of the axis).
fn priceband_with_outlier() -> Value {
    let mut body = fixtures::priceband();
    body["data"]["markets"][0]["price1"] = json!(99999.5);
    body
}
