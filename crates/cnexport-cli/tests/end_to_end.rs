//! End to end: bulletin files -> `cnexport build` -> `cnexport query`.
//!
//! - the real platform downloads (fixtures of cnexport-ingest) build and
//!   answer the README's worked example (history 12019020 to 502, 202401: 456041);
//! - bulletins the pipeline has never seen (the sample generator with other
//!   seeds: every form, overlapping downloads, restated months, province and
//!   trade-mode splits) build, and every trend and history answer equals a
//!   direct computation from the generator's ground truth.

use cnexport_core::{HsCode, Month, PartnerCode};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use crate::common;
use crate::common::{cnexport, realdata_dir};

fn build(input: &Path, db: &Path) -> cnexport_pipeline::BuildReport {
    common::build(input, db, None)
}

fn query(db: &Path, target: &str) -> (i32, Value) {
    let out = cnexport()
        .arg("query")
        .arg("--db")
        .arg(db)
        .arg(target)
        .output()
        .expect("run cnexport query");
    let body: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{target}: not JSON ({e}): {}",
            String::from_utf8_lossy(&out.stdout)
        )
    });
    (out.status.code().unwrap_or(-1), body)
}

/// A landing folder `dir/raw` holding the real export bulletins of 2024
/// and 2025.
fn real_exports(dir: &Path) -> PathBuf {
    let input = dir.join("raw");
    std::fs::create_dir_all(&input).unwrap();
    for f in ["2024out.csv", "2025out.csv"] {
        std::fs::copy(realdata_dir().join(f), input.join(f)).unwrap();
    }
    input
}

#[test]
fn real_downloads_build_and_answer_the_worked_example() {
    let dir = tempfile::tempdir().unwrap();
    // Only the export files: the import files carry the same keys for the
    // other direction of trade, which a bulletin does not mark.
    let input = real_exports(dir.path());
    let db = dir.path().join("real.db");
    build(&input, &db);
    let (status, body) = query(&db, "/skill/history?hsCode=12019020&countryCode=502");
    assert_eq!(status, 0, "{body}");
    assert_eq!(body["code"], 200);
    assert_eq!(body["data"]["countryName"], "美国");
    assert_eq!(body["data"]["currentDataMonth"], "202510");
    let detail = body["data"]["monthlyDetail"].as_array().unwrap();
    assert_eq!(detail.len(), 24);
    let jan = detail
        .iter()
        .find(|e| e["month"] == "202401")
        .expect("202401 in the 24 months");
    assert_eq!(jan["amount"], 456041);

    let (status, body) = query(&db, "/skill/trend?hsCode=12019020&countryCode=410");
    assert_eq!(status, 2);
    assert_eq!(body["code"], 404);
    assert_eq!(body["message"], "该商品对此国家暂无出口记录");
    assert_eq!(body["data"], Value::Null);
}

#[test]
fn every_real_download_builds_together() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("all.db");
    let report = build(&realdata_dir(), &db);
    assert!(report.reconciled, "{}", report.summary());
}

/// A build on generated bulletins agrees with the generator's truth for
/// every product-country pair.
fn check_generated(seed: u64) {
    let generated = cnexport_samplegen::generate(&cnexport_samplegen::GenConfig::small(seed));
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("landing");
    cnexport_testkit::write_tree(
        &input,
        generated.files.iter().map(|(rel, bytes)| (rel, bytes)),
    );
    let db = dir.path().join("gen.db");
    build(&input, &db);

    let truth = &generated.truth;
    let latest = truth.keys().map(|k| k.0).max().unwrap();
    let pairs: BTreeSet<(HsCode, PartnerCode)> = truth.keys().map(|k| (k.1, k.2)).collect();
    let value =
        |m: Month, hs: HsCode, c: PartnerCode| truth.get(&(m, hs, c)).map(|t| t.value).unwrap_or(0);
    // Every pair, in-process through the same query layer `cnexport query`
    // calls; a spread of them also through the binary.
    let conn =
        rusqlite::Connection::open_with_flags(&db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .unwrap();
    let ask = |i: usize, target: String| -> (i32, Value) {
        if i.is_multiple_of(25) {
            query(&db, &target)
        } else {
            let r = cnexport_api::answer(&conn, &target);
            (if r.status == 200 { 0 } else { 2 }, r.body)
        }
    };
    assert!(pairs.len() > 100, "{} pairs", pairs.len());
    for (i, &(hs, c)) in pairs.iter().enumerate() {
        let (status, body) = ask(i, format!("/skill/trend?hsCode={hs}&countryCode={c}"));
        assert_eq!(status, 0, "{body}");
        let data = &body["data"];
        let months: Vec<(String, i64)> = data["monthlyData"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                (
                    e["month"].as_str().unwrap().to_string(),
                    e["amount"].as_i64().unwrap(),
                )
            })
            .collect();
        let expected: Vec<(String, i64)> = (0..12)
            .rev()
            .map(|i| latest.minus(i))
            .map(|m| (m.to_string(), value(m, hs, c)))
            .collect();
        assert_eq!(months, expected, "trend {hs} {c}");

        let (status, body) = ask(i, format!("/skill/history?hsCode={hs}&countryCode={c}"));
        assert_eq!(status, 0, "{body}");
        let data = &body["data"];
        let detail: Vec<i64> = data["monthlyDetail"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["amount"].as_i64().unwrap())
            .collect();
        let expected: Vec<i64> = (0..24).map(|i| value(latest.minus(i), hs, c)).collect();
        assert_eq!(detail, expected, "history {hs} {c}");
        let total: i64 = expected.iter().sum();
        assert_eq!(data["summaryStats"]["total24MonthAmount"], total);
        assert_eq!(
            data["summaryStats"]["activeMonthsCount"],
            expected.iter().filter(|v| **v > 0).count()
        );
        let mut yearly = BTreeMap::new();
        for ((m, h, p), t) in truth {
            if *h == hs && *p == c {
                *yearly.entry(m.year()).or_insert(0i64) += t.value;
            }
        }
        for y in data["yearlySummary"].as_array().unwrap() {
            let year = y["year"].as_u64().unwrap() as u32;
            assert_eq!(
                y["totalAmount"],
                yearly.get(&year).copied().unwrap_or(0),
                "year {year} {hs} {c}"
            );
        }
    }
}

#[test]
fn generated_bulletins_agree_with_the_truth() {
    check_generated(7);
}

#[test]
fn generated_bulletins_agree_with_the_truth_other_seed() {
    check_generated(20261125);
}

#[test]
fn a_bad_file_fails_the_build_and_keeps_the_old_database() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("raw");
    std::fs::create_dir_all(&input).unwrap();
    std::fs::copy(realdata_dir().join("2024out.csv"), input.join("a.csv")).unwrap();
    let db = dir.path().join("x.db");
    build(&input, &db);
    let before = std::fs::read(&db).unwrap();
    // A download made without 分月展示: no month column.
    std::fs::write(
        input.join("b.csv"),
        "\"商品编码\",\"贸易伙伴编码\",\"人民币\",\n\"12019020\",\"502\",\"1\",\n",
    )
    .unwrap();
    let out = cnexport()
        .args(["build", "--input"])
        .arg(&input)
        .arg("--db")
        .arg(&db)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("b.csv"), "{err}");
    assert!(err.contains("分月展示"), "{err}");
    assert_eq!(std::fs::read(&db).unwrap(), before);
}

#[test]
fn rebuilding_gives_a_byte_identical_database() {
    let dir = tempfile::tempdir().unwrap();
    let generated = cnexport_samplegen::generate(&cnexport_samplegen::GenConfig::small(3));
    let input = dir.path().join("in");
    cnexport_testkit::write_tree(
        &input,
        generated.files.iter().map(|(rel, bytes)| (rel, bytes)),
    );
    let a = dir.path().join("a.db");
    let b = dir.path().join("b.db");
    build(&input, &a);
    // The second build takes every file from the stage.
    let report = build(&input, &b);
    assert_eq!(report.files_parsed, 0, "{}", report.summary());
    assert_eq!(std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap());
}

#[test]
fn exports_charts_and_help() {
    let dir = tempfile::tempdir().unwrap();
    let input = real_exports(dir.path());
    let db = dir.path().join("real.db");
    build(&input, &db);
    let target = "/skill/history?hsCode=12019020&countryCode=502";
    for out in ["h.csv", "h.xlsx", "h.json", "h.png", "h.svg"] {
        let path = dir.path().join(out);
        let command = if out.ends_with("png") || out.ends_with("svg") {
            "plot"
        } else {
            "export"
        };
        let status = cnexport()
            .arg(command)
            .arg("--db")
            .arg(&db)
            .arg("--out")
            .arg(&path)
            .arg(target)
            .status()
            .unwrap();
        assert!(status.success(), "{out}");
        let bytes = std::fs::read(&path).unwrap();
        assert!(bytes.len() > 100, "{out}");
    }
    let csv = std::fs::read_to_string(dir.path().join("h.csv")).unwrap();
    assert!(
        csv.starts_with('\u{feff}'),
        "CSV starts with a BOM for Excel"
    );
    assert!(csv.contains("202401") && csv.contains("456041") && csv.contains("美国"));
    let json = std::fs::read_to_string(dir.path().join("h.json")).unwrap();
    let (_, body) = query(&db, target);
    assert_eq!(json.trim(), body.to_string());
    // An error answer is not written as a file.
    let bad = dir.path().join("bad.csv");
    let status = cnexport()
        .args(["export", "--db"])
        .arg(&db)
        .arg("--out")
        .arg(&bad)
        .arg("/skill/trend?hsCode=1")
        .status()
        .unwrap();
    assert_eq!(status.code(), Some(2));
    assert!(!bad.exists());
    // Every subcommand explains itself.
    for cmd in [
        "build", "run", "fetch", "serve", "query", "export", "plot", "mcp",
    ] {
        let out = cnexport().args([cmd, "--help"]).output().unwrap();
        assert!(out.status.success(), "{cmd}");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            text.len() > 300 && text.contains("Usage"),
            "{cmd} --help is too thin:\n{text}"
        );
    }
}

/// A request of each endpoint on the sample database. The match has no
/// wildcard: a new endpoint does not compile until it has one here.
fn example_target(endpoint: cnexport_api::Endpoint) -> &'static str {
    use cnexport_api::Endpoint;
    match endpoint {
        Endpoint::Dashboard => "/skill/dashboard?hsCode=85171300",
        Endpoint::Markets => "/skill/markets?hsCode=8517&sortBy=growth",
        Endpoint::Trend => "/skill/trend?hsCode=85171300&countryCode=502",
        Endpoint::TopProducts => "/skill/topProducts?level=4&minAmount=0",
        Endpoint::History => "/skill/history?hsCode=85171300&countryCode=USA",
        Endpoint::Search => "/skill/search?q=8517",
        Endpoint::Meta => "/skill/meta",
        Endpoint::Contributions => "/skill/contributions?hsCode=85",
        Endpoint::Countries => "/skill/countries",
        Endpoint::Series => "/skill/series?hsCode=85171300",
        Endpoint::Growth => "/skill/growth?hsCode=85&minBase=0",
        Endpoint::Priceband => "/skill/priceband?hsCode=85171300",
        Endpoint::Chapter => "/skill/chapter?hsCode=85171300",
        Endpoint::Seasonality => "/skill/seasonality?hsCode=8517&countryCode=502",
        Endpoint::Coverage => "/skill/coverage?chapter=85&from=202501",
    }
}

/// Every endpoint's answer exports as CSV, XLSX and JSON, and renders as a
/// terminal table (`cnexport query` and `cnexport export` for every answer).
#[test]
fn every_endpoint_exports_and_renders() {
    let conn = rusqlite::Connection::open_with_flags(
        common::sample_db(),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .expect("open");
    let dir = tempfile::tempdir().expect("tempdir");
    for endpoint in cnexport_api::Endpoint::ALL {
        let target = example_target(endpoint);
        let r = cnexport_api::answer(&conn, target);
        assert_eq!(r.status, 200, "{target}: {}", r.body);
        let table = cnexport_report::render_table(target, &r.body);
        assert!(
            table.lines().count() > 1 && !table.contains("error"),
            "{target}: {table}"
        );
        for format in [
            cnexport_report::ExportFormat::Csv,
            cnexport_report::ExportFormat::Xlsx,
            cnexport_report::ExportFormat::Json,
        ] {
            let out = dir.path().join(format!("{}.{format}", endpoint.name()));
            cnexport_report::export_answer(target, &r.body, format, &out)
                .unwrap_or_else(|e| panic!("{target} as {format}: {e}"));
            assert!(std::fs::metadata(&out).expect("written").len() > 0);
        }
    }
}
