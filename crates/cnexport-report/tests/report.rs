//! Every endpoint's answer through every format, read back.

mod fixtures;

use calamine::{open_workbook, Data, Reader, Xlsx};
use cnexport_report::{
    export_answer, plot_answer, render_table, ChartFormat, ExportFormat, ReportError,
};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use unicode_width::UnicodeWidthStr;

const ALL: [&str; 5] = [
    "/skill/dashboard",
    "/skill/markets",
    "/skill/trend",
    "/skill/topProducts",
    "/skill/history",
];

fn body_of(path: &str) -> Value {
    match path {
        "/skill/dashboard" => fixtures::dashboard(),
        "/skill/markets" => fixtures::markets(),
        "/skill/trend" => fixtures::trend(),
        "/skill/topProducts" => fixtures::top_products(),
        "/skill/history" => fixtures::history(),
        other => panic!("no fixture for {other}"),
    }
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
    for path in ["/skill/trend", "/skill/history", "/skill/dashboard"] {
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
    for path in ["/skill/trend", "/skill/history", "/skill/dashboard"] {
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
    text.trim_end()
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
    for path in ["/skill/trend", "/skill/history", "/skill/dashboard"] {
        for format in [ChartFormat::Png, ChartFormat::Svg] {
            let name = path.trim_start_matches("/skill/");
            plot_answer(
                path,
                &body_of(path),
                format,
                &dir.join(format!("{name}.{format}")),
            )
            .unwrap();
        }
    }
}
