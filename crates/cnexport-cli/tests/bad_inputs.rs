//! The bad-input corpus: each case is a file dropped into a landing folder
//! beside a good bulletin, with the outcome a user should get: a fatal error
//! naming the file (and the database from before stays byte for byte), or
//! quarantined rows with their reasons (and the good rows load), or a
//! warning, or a clean load.

use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::process::Command;

use cnexport_testkit::bulletin::CSV_HEADER as HEADER;
use cnexport_testkit::zip::{zip, Entry};

fn row(month: &str, partner: &str, hs: &str, value: &str) -> String {
    format!("\"{month}\",\"{partner}\",\"美国\",\"{hs}\",\"种用大豆\",\"10\",\"千克\",\"0\",\"?\",\"{value}\",\n")
}

/// `"数据年月"` in GB18030, for the encoding cases.
const GBK_MONTH: &[u8] = b"\"\xCA\xFD\xBE\xDD\xC4\xEA\xD4\xC2\"";

/// A header whose first column is GB18030 and the rest as given (UTF-8).
fn gbk_then(rest: &str) -> Vec<u8> {
    [GBK_MONTH, rest.as_bytes()].concat()
}

enum Expect {
    /// The build fails; stderr names the file and contains these words.
    Fatal(&'static [&'static str]),
    /// The build succeeds with these quarantine reasons (code, count) for the case file.
    Quarantine(&'static [(&'static str, u64)]),
    /// The build succeeds with a warning containing these words.
    Warning(&'static [&'static str]),
    /// The build succeeds; the file loads this many rows.
    Loads(u64),
    /// The file is not a bulletin: ignored and listed.
    Ignored,
}

struct Case {
    name: &'static str,
    file: &'static str,
    bytes: Vec<u8>,
    expect: Expect,
}

fn xlsx(build: impl FnOnce(&mut rust_xlsxwriter::Worksheet)) -> Vec<u8> {
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    build(ws);
    wb.save_to_buffer().unwrap()
}

fn xlsx_header(ws: &mut rust_xlsxwriter::Worksheet) {
    for (i, h) in cnexport_testkit::bulletin::HEADERS.iter().enumerate() {
        ws.write_string(0, i as u16, *h).unwrap();
    }
}

fn cases() -> Vec<Case> {
    let good_row = row("202401", "502", "12011000", "1,000");
    let csv = |rows: &[String]| format!("{HEADER}{}", rows.concat()).into_bytes();
    let mut ten_thousand = String::from(HEADER);
    for i in 0..10_000 {
        ten_thousand.push_str(&row(
            "202401",
            &format!("{:03}", 101 + i % 100),
            &format!("{:08}", 12011000 + i / 100),
            "5",
        ));
    }
    let huge_name = "大".repeat(3_500_000); // about 10 MB of UTF-8 on one line
    let good_xlsx = xlsx(|ws| {
        xlsx_header(ws);
        ws.write_number(1, 0, 202401.0).unwrap();
        ws.write_number(1, 1, 502.0).unwrap();
        ws.write_number(1, 3, 1012100.0).unwrap();
        ws.write_number(1, 9, 5.0).unwrap();
    });
    vec![
        Case { name: "empty file", file: "empty.csv", bytes: vec![], expect: Expect::Fatal(&["empty"]) },
        Case { name: "whitespace only", file: "blank.csv", bytes: b"\n\n  \r\n".to_vec(), expect: Expect::Fatal(&["blank.csv", "whitespace"]) },
        Case { name: "header only", file: "header.csv", bytes: HEADER.as_bytes().to_vec(), expect: Expect::Warning(&["header.csv"]) },
        Case {
            name: "binary junk",
            file: "junk.csv",
            bytes: (0..4096u32).map(|i| (i.wrapping_mul(2654435761) >> 13) as u8).collect(),
            expect: Expect::Fatal(&["junk.csv"]),
        },
        Case {
            name: "truncated xlsx",
            file: "truncated.xlsx",
            bytes: good_xlsx[..good_xlsx.len() / 2].to_vec(),
            expect: Expect::Fatal(&["truncated.xlsx"]),
        },
        Case { name: "pdf renamed to csv", file: "report.csv", bytes: b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n".to_vec(), expect: Expect::Fatal(&["report.csv"]) },
        Case {
            name: "missing value column",
            file: "novalue.csv",
            bytes: "\"数据年月\",\"贸易伙伴编码\",\"商品编码\",\n\"202401\",\"502\",\"12011000\",\n".as_bytes().to_vec(),
            expect: Expect::Fatal(&["novalue.csv", "人民币"]),
        },
        Case {
            name: "no 数据年月 (分月展示 not ticked)",
            file: "nomonth.csv",
            bytes: "\"贸易伙伴编码\",\"商品编码\",\"人民币\",\n\"502\",\"12011000\",\"5\",\n".as_bytes().to_vec(),
            expect: Expect::Fatal(&["nomonth.csv", "分月展示"]),
        },
        Case {
            name: "a second currency",
            file: "usd.csv",
            bytes: "\"数据年月\",\"贸易伙伴编码\",\"商品编码\",\"美元\",\n\"202401\",\"502\",\"12011000\",\"5\",\n".as_bytes().to_vec(),
            expect: Expect::Fatal(&["usd.csv", "美元"]),
        },
        Case {
            name: "English headers in US dollars",
            file: "usd_en.csv",
            bytes: b"Date of data,Commodity code,Trading partner code,US dollar\n202401,12011000,502,5\n".to_vec(),
            expect: Expect::Fatal(&["usd_en.csv"]),
        },
        Case { name: "negative value", file: "neg.csv", bytes: csv(&[good_row.clone(), row("202402", "502", "12011000", "-5")]), expect: Expect::Quarantine(&[("negative_value", 1)]) },
        Case { name: "non-numeric value", file: "nan.csv", bytes: csv(&[good_row.clone(), row("202402", "502", "12011000", "n/a")]), expect: Expect::Quarantine(&[("bad_value", 1)]) },
        Case { name: "empty value", file: "novalue_row.csv", bytes: csv(&[good_row.clone(), row("202402", "502", "12011000", "")]), expect: Expect::Quarantine(&[("bad_value", 1)]) },
        Case { name: "scientific notation (digits lost)", file: "sci.csv", bytes: csv(&[good_row.clone(), row("202402", "502", "12011000", "1.65E+10")]), expect: Expect::Quarantine(&[("bad_value", 1)]) },
        Case { name: "HS code of 7 digits", file: "hs7.csv", bytes: csv(&[good_row.clone(), row("202402", "502", "1201100", "5")]), expect: Expect::Quarantine(&[("bad_hs_code", 1)]) },
        Case { name: "HS code of 9 digits", file: "hs9.csv", bytes: csv(&[good_row.clone(), row("202402", "502", "120110001", "5")]), expect: Expect::Quarantine(&[("bad_hs_code", 1)]) },
        Case { name: "partner code of 2 digits", file: "p2.csv", bytes: csv(&[good_row.clone(), row("202402", "50", "12011000", "5")]), expect: Expect::Quarantine(&[("bad_partner_code", 1)]) },
        Case { name: "partner code of 4 digits", file: "p4.csv", bytes: csv(&[good_row.clone(), row("202402", "5020", "12011000", "5")]), expect: Expect::Quarantine(&[("bad_partner_code", 1)]) },
        Case {
            name: "months out of range",
            file: "months.csv",
            bytes: csv(&[good_row.clone(), row("202413", "502", "12011000", "5"), row("202400", "502", "12011000", "5"), row("24-01", "502", "12011000", "5")]),
            expect: Expect::Quarantine(&[("bad_month", 3)]),
        },
        Case {
            name: "the same key twice in one file",
            file: "dup.csv",
            bytes: csv(&[good_row.clone(), row("202401", "502", "12011000", "7")]),
            expect: Expect::Quarantine(&[("duplicate_key_in_file", 1)]),
        },
        Case {
            name: "non-numeric quantity",
            file: "qty.csv",
            bytes: format!("{HEADER}{good_row}\"202402\",\"502\",\"美国\",\"12011000\",\"x\",\"ten\",\"千克\",\"0\",\"?\",\"5\",\n").into_bytes(),
            expect: Expect::Quarantine(&[("bad_quantity", 1)]),
        },
        Case {
            name: "a row with fields shifted by an unquoted comma",
            file: "shifted.csv",
            bytes: format!("{HEADER}{good_row}\"202402\",\"502\",\"美国\",\"12011000\",种用,大豆,\"10\",\"千克\",\"0\",\"?\",\"5\",\n").into_bytes(),
            expect: Expect::Quarantine(&[("malformed_row", 1)]),
        },
        Case { name: "exactly 10,000 rows", file: "cap.csv", bytes: ten_thousand.into_bytes(), expect: Expect::Warning(&["cap.csv", "10,000"]) },
        Case {
            name: "a line of 10 MB",
            file: "longline.csv",
            bytes: format!("{HEADER}\"202401\",\"502\",\"美国\",\"12011000\",\"{huge_name}\",\"10\",\"千克\",\"0\",\"?\",\"5\",\n").into_bytes(),
            expect: Expect::Loads(1),
        },
        Case {
            name: "embedded newlines in names",
            file: "newlines.csv",
            bytes: format!("{HEADER}\"202401\",\"502\",\"美国\",\"12011000\",\"种用\n大豆\",\"10\",\"千克\",\"0\",\"?\",\"5\",\n{}", row("202402", "502", "12011000", "6")).into_bytes(),
            expect: Expect::Loads(2),
        },
        Case {
            name: "UTF-8 BOM followed by GBK bytes",
            file: "bomgbk.csv",
            bytes: [b"\xEF\xBB\xBF".to_vec(), gbk_then(",\"贸易伙伴编码\",\"商品编码\",\"人民币\",\n\"202401\",\"502\",\"12011000\",\"5\",\n")].concat(),
            expect: Expect::Fatal(&["bomgbk.csv"]),
        },
        Case {
            name: "mixed encodings: a GBK header and UTF-8 rows",
            file: "mixed.csv",
            bytes: gbk_then(",\"贸易伙伴编码\",\"商品编码\",\"人民币\",\n\"202401\",\"502\",\"12011000\",\"5\",\n"),
            // Neither encoding reads the whole file: refused, never half-read.
            expect: Expect::Fatal(&["mixed.csv", "UTF-8", "GB18030"]),
        },
        Case {
            name: "NUL bytes as field values (the English interface's commodity names)",
            file: "nul_en.csv",
            bytes: b"\"Date of data\",\"Commodity code\",\"Commodity\",\"Trading partner code\",\"Renminbi Yuan\",\r\n\"201701\",\"12011000\",\"\0\",\"502\",\"5\",\r\n\"201702\",\"12011000\",\"\0\",\"502\",\"6\",\r\n".to_vec(),
            expect: Expect::Warning(&["nul_en.csv", "2 NUL bytes read as empty values"]),
        },
        Case {
            name: "an English (ASCII) file with a few GBK bytes (Hong Kong，China)",
            file: "hk_en.csv",
            bytes: b"Date of data,Commodity code,Trading partner code,Trading partner,Renminbi Yuan\n201701,12011000,110,\"Hong Kong\xA3\xACChina\",5\n201702,12011000,110,\"Hong Kong\xA3\xACChina\",6\n".to_vec(),
            expect: Expect::Loads(2),
        },
        Case {
            name: "formula cells",
            file: "formula.xlsx",
            bytes: xlsx(|ws| {
                xlsx_header(ws);
                ws.write_number(1, 0, 202401.0).unwrap();
                ws.write_number(1, 1, 502.0).unwrap();
                ws.write_number(1, 3, 1012100.0).unwrap();
                ws.write_formula(1, 9, rust_xlsxwriter::Formula::new("=400+56041").set_result("456041")).unwrap();
            }),
            expect: Expect::Loads(1),
        },
        Case {
            name: "months as Excel dates",
            file: "dates.xlsx",
            bytes: xlsx(|ws| {
                xlsx_header(ws);
                let fmt = rust_xlsxwriter::Format::new().set_num_format("yyyy-mm");
                ws.write_datetime_with_format(1, 0, rust_xlsxwriter::ExcelDateTime::from_ymd(2024, 3, 1).unwrap(), &fmt).unwrap();
                ws.write_number(1, 1, 502.0).unwrap();
                ws.write_number(1, 3, 1012100.0).unwrap();
                ws.write_number(1, 9, 5.0).unwrap();
            }),
            expect: Expect::Loads(1),
        },
        Case { name: "numeric HS codes in xlsx", file: "numeric.xlsx", bytes: good_xlsx.clone(), expect: Expect::Loads(1) },
        Case {
            name: "zip bomb: an xlsx that declares a huge sheet",
            file: "bomb.xlsx",
            bytes: zip_declaring(&[("xl/worksheets/sheet1.xml", b"<x/>"), ("[Content_Types].xml", b"<x/>")], u32::MAX - 1),
            expect: Expect::Fatal(&["bomb.xlsx"]),
        },
        Case {
            name: "zip bomb: a deflated sheet that inflates to 20 MB but declares 1 KB",
            file: "liar.xlsx",
            bytes: deflated_workbook(&format!("<worksheet><sheetData>{}</sheetData></worksheet>", " ".repeat(20 << 20)), "xl/worksheets/sheet1.xml", 1024),
            expect: Expect::Fatal(&["liar.xlsx", "declared"]),
        },
        Case {
            name: "an .xlsx of two cells, at A1 and XFD1048576 (a 17-billion-cell span)",
            file: "sparse.xlsx",
            bytes: deflated_workbook(r#"<worksheet><sheetData><row r="1"><c r="A1"><v>1</v></c></row><row r="1048576"><c r="XFD1048576"><v>1</v></c></row></sheetData></worksheet>"#, "", 0),
            expect: Expect::Fatal(&["sparse.xlsx", "span"]),
        },
        Case {
            name: "months as bare Excel date serials (no date format)",
            file: "serials.xlsx",
            bytes: xlsx(|ws| {
                xlsx_header(ws);
                for (r, month) in [(1u32, 202401.0), (2, 45352.0)] {
                    ws.write_number(r, 0, month).unwrap();
                    ws.write_number(r, 1, 502.0).unwrap();
                    ws.write_number(r, 3, 1012100.0).unwrap();
                    ws.write_number(r, 9, 5.0).unwrap();
                }
            }),
            expect: Expect::Quarantine(&[("bad_month", 1)]),
        },
        Case {
            name: "wrong encoding: Big5",
            file: "big5.csv",
            // "數據年月,貿易夥伴編碼,商品編碼,人民幣" in Big5.
            bytes: [&b"\xbc\xc6\xbe\xda\xa6\x7e\xa4\xeb,\xb6\x54\xa9\xf6\xb9\xd9\xa6\xf1\xbd\x73\xbd\x58,\xb0\xd3\xab\x7e\xbd\x73\xbd\x58,\xa4\x48\xa5\xc1\xb9\xf4\n"[..], b"202401,502,12011000,5\n"].concat(),
            expect: Expect::Fatal(&["big5.csv"]),
        },
        Case {
            name: "wrong encoding: UTF-16LE without a BOM",
            file: "utf16.csv",
            bytes: format!("{HEADER}{good_row}").encode_utf16().flat_map(|u| u.to_le_bytes()).collect(),
            expect: Expect::Fatal(&["utf16.csv"]),
        },
        Case {
            name: "UTF-16LE with a BOM (Excel's Unicode text)",
            file: "unicode.csv",
            bytes: [vec![0xFF, 0xFE], format!("{HEADER}{good_row}").encode_utf16().flat_map(|u| u.to_le_bytes()).collect()].concat(),
            expect: Expect::Loads(1),
        },
        Case {
            name: "an HTML page with no table",
            file: "page.html",
            bytes: "<html><body><p>查询结果为空</p></body></html>".as_bytes().to_vec(),
            expect: Expect::Fatal(&["page.html"]),
        },
        Case {
            name: "an .xls that is really an HTML table",
            file: "html.xls",
            bytes: "<table><tr><th>数据年月</th><th>贸易伙伴编码</th><th>商品编码</th><th>人民币</th></tr><tr><td>202401</td><td>502</td><td>12011000</td><td>5</td></tr></table>".as_bytes().to_vec(),
            expect: Expect::Loads(1),
        },
        Case { name: "not a bulletin at all", file: "notes.pdf", bytes: b"%PDF-1.4".to_vec(), expect: Expect::Ignored },
    ]
}

/// A stored zip whose entries declare `declared` bytes uncompressed (and a
/// wrong CRC).
fn zip_declaring(entries: &[(&str, &[u8])], declared: u32) -> Vec<u8> {
    let entries: Vec<Entry<'_>> = entries
        .iter()
        .map(|(name, data)| Entry::stored(name, *data).with_crc(0).declaring(declared))
        .collect();
    zip(&entries)
}

/// A one-sheet .xlsx of deflated parts with true CRCs and sizes, except
/// that the part `liar` declares `declared` bytes uncompressed.
fn deflated_workbook(sheet: &str, liar: &str, declared: u32) -> Vec<u8> {
    let parts = cnexport_testkit::xlsx::parts(sheet.as_bytes(), None);
    let entries: Vec<Entry<'_>> = parts
        .iter()
        .map(|(name, data)| {
            let e = Entry::deflated(name, data.as_slice());
            if *name == liar {
                e.declaring(declared)
            } else {
                e
            }
        })
        .collect();
    zip(&entries)
}

fn sha256(path: &Path) -> String {
    hex::encode(Sha256::digest(std::fs::read(path).unwrap()))
}

fn realdata() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../cnexport-ingest/tests/fixtures/realdata")
}

#[test]
fn every_case_of_the_corpus_has_its_expected_outcome() {
    let cases = cases();
    assert!(cases.len() >= 30, "{} cases", cases.len());
    let mut failures = Vec::new();
    for case in cases {
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("raw");
        std::fs::create_dir_all(input.join("2025-01-20")).unwrap();
        std::fs::create_dir_all(input.join("2025-02-20")).unwrap();
        std::fs::copy(
            realdata().join("2024out.csv"),
            input.join("2025-01-20/2024out.csv"),
        )
        .unwrap();
        let db = dir.path().join("x.db");
        let report = dir.path().join("report.json");
        let run = || {
            Command::new(env!("CARGO_BIN_EXE_cnexport"))
                .args(["build", "--input"])
                .arg(&input)
                .arg("--db")
                .arg(&db)
                .arg("--report")
                .arg(&report)
                .output()
                .unwrap()
        };
        assert!(run().status.success());
        let before = sha256(&db);
        std::fs::write(input.join("2025-02-20").join(case.file), &case.bytes).unwrap();
        let out = run();
        let stderr = String::from_utf8_lossy(&out.stderr).to_string();
        let problem = match &case.expect {
            Expect::Fatal(words) => {
                if out.status.code() != Some(1) {
                    Some(format!(
                        "expected a fatal error, got {:?}: {stderr}",
                        out.status.code()
                    ))
                } else if sha256(&db) != before {
                    Some("the database changed".into())
                } else {
                    words
                        .iter()
                        .find(|w| !stderr.contains(*w))
                        .map(|w| format!("message lacks {w:?}: {stderr}"))
                }
            }
            other => {
                if !out.status.success() {
                    Some(format!("build failed: {stderr}"))
                } else {
                    let r: serde_json::Value =
                        serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap();
                    let file = r["files"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .find(|f| f["path"].as_str().unwrap().ends_with(case.file))
                        .cloned();
                    match (other, file) {
                        (Expect::Ignored, None) => {
                            let ignored = r["files_ignored"].to_string();
                            (!ignored.contains(case.file))
                                .then(|| format!("not listed as ignored: {ignored}"))
                        }
                        (Expect::Ignored, Some(_)) => Some("read as a bulletin".into()),
                        (_, None) => Some("file missing from the report".into()),
                        (Expect::Quarantine(reasons), Some(f)) => {
                            let got = &f["quarantined_by_reason"];
                            let want: serde_json::Map<String, serde_json::Value> = reasons
                                .iter()
                                .map(|(k, v)| (k.to_string(), serde_json::json!(v)))
                                .collect();
                            (got != &serde_json::Value::Object(want.clone())
                                || f["rows_loaded"] != 1)
                                .then(|| {
                                    format!(
                                        "quarantine {got} / loaded {}, expected {want:?} / 1",
                                        f["rows_loaded"]
                                    )
                                })
                        }
                        (Expect::Warning(words), Some(f)) => {
                            let w = f["warnings"].to_string();
                            words
                                .iter()
                                .find(|x| !w.contains(*x))
                                .map(|x| format!("warning lacks {x:?}: {w}"))
                        }
                        (Expect::Loads(n), Some(f)) => {
                            (f["rows_loaded"] != *n || f["rows_quarantined"] != 0).then(|| {
                                format!(
                                    "loaded {} quarantined {}, expected {n}",
                                    f["rows_loaded"], f["rows_quarantined"]
                                )
                            })
                        }
                        (Expect::Fatal(_), _) => unreachable!(),
                    }
                }
            }
        };
        if let Some(p) = problem {
            failures.push(format!("{} ({}): {p}", case.name, case.file));
        }
        // Whatever happened, the database opens and is whole.
        let conn = rusqlite::Connection::open(&db).unwrap();
        let ok: String = conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .unwrap();
        assert_eq!(ok, "ok", "{}", case.name);
    }
    assert!(
        failures.is_empty(),
        "{} cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
