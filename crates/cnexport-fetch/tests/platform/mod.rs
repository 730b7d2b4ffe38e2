//! Fetch against the simulated customs platform of `cnexport-testkit`: the
//! listing links real downloads and the strays a real site links too; only
//! the bulletins are landed, every stray is reported as skipped with its
//! reason, and a URL that turns from a bulletin into a login page keeps its
//! earlier file.

use crate::support::{check_landing, files_under, options};
use cnexport_fetch::{fetch, FetchReport, SkipKind};
use cnexport_testkit::platform::{
    Changing, Platform, PlatformSpec, Query, CHANGING, ROW_CAP, STRAYS,
};
use std::collections::BTreeMap;
use std::path::Path;

/// The URLs of the strays fetch downloads (all but the `.pdf` link, which
/// it never follows), with the reason each is skipped for.
fn expected_skips(url: impl Fn(&str) -> String) -> BTreeMap<String, String> {
    [
        (
            "/about.html",
            "an HTML page with no bulletin table (title: 关于海关统计数据在线查询平台)",
        ),
        (
            "/help.htm",
            "an HTML page with no bulletin table (title: 使用帮助; 1 table, none with the bulletin columns)",
        ),
        (
            "/login.html",
            "an HTML page with no bulletin table (title: 用户登录; a login form with a CAPTCHA)",
        ),
        (
            "/error.html",
            "an HTML page with no bulletin table (text: 系统繁忙，请稍后再试)",
        ),
        ("/notice.csv", "a PDF document"),
    ]
    .into_iter()
    .map(|(p, r)| (url(p), r.to_string()))
    .collect()
}

fn skips_of(report: &FetchReport) -> BTreeMap<String, String> {
    report
        .skipped
        .iter()
        .map(|s| (s.url.clone(), s.reason.clone()))
        .collect()
}

#[test]
fn fetch_lands_only_the_bulletins_of_a_platform_listing() {
    let platform = Platform::generate(16, &PlatformSpec::default());
    let queries = [
        // More than 10,000 rows: cut off, as the platform does.
        Query::new(2024, 1, 12, "85000000", "85999999", None),
        Query::new(2024, 1, 6, "90000000", "90999999", None),
        Query::new(
            2025,
            3,
            3,
            "84000000",
            "84999999",
            Some(vec!["110".into(), "502".into(), "116".into()]),
        ),
    ];
    let expected: Vec<(String, Vec<u8>, usize, i64)> = queries
        .iter()
        .map(|q| {
            let rows = platform.download(q);
            let total: i64 = rows.iter().map(|r| r.value as i64).sum();
            (q.path(), platform.csv(q), rows.len(), total)
        })
        .collect();
    assert_eq!(expected[0].2, ROW_CAP);
    assert!(platform.rows(&queries[0]).len() > ROW_CAP);
    assert!(expected[1].2 > 100 && expected[2].2 > 10);
    let changing_bytes = platform.csv(&Query::new(
        2024,
        1,
        1,
        &platform.codes()[0],
        &platform.codes()[0],
        None,
    ));

    let server = platform.start();
    server.set_listing(queries.iter().map(Query::path).collect());
    let dir = tempfile::tempdir().unwrap();
    let into = dir.path().join("raw");
    let mut opts = options(server.listing_url(), &into, "2025-07-20");
    opts.timeout = std::time::Duration::from_secs(10);
    let report = fetch(&opts).unwrap();
    eprintln!("{}", report.summary());
    assert!(report.is_success(), "{}", report.summary());
    // 3 downloads, /changing.csv and 5 strays; /report.pdf is not followed.
    assert_eq!(report.listed, 3 + 1 + STRAYS.len() - 1);
    assert_eq!(report.ignored_links, 1);
    assert_eq!(server.hits("/report.pdf"), 0);
    assert!(report.failed.is_empty() && report.changed.is_empty());

    // Exactly the bulletins are landed, byte for byte.
    let landed: BTreeMap<String, Vec<u8>> = report
        .downloaded
        .iter()
        .map(|f| (f.url.clone(), std::fs::read(&f.path).unwrap()))
        .collect();
    let mut wanted: BTreeMap<String, Vec<u8>> = expected
        .iter()
        .map(|(path, bytes, _, _)| (server.url(path), bytes.clone()))
        .collect();
    wanted.insert(server.url(CHANGING), changing_bytes.clone());
    assert_eq!(
        landed.keys().collect::<Vec<_>>(),
        wanted.keys().collect::<Vec<_>>()
    );
    assert!(landed == wanted, "landed bytes differ from the platform's");

    // Every stray is skipped with its reason: in the report, the summary
    // and the manifest.
    let skips = expected_skips(|p| server.url(p));
    assert_eq!(skips_of(&report), skips);
    assert!(report
        .skipped
        .iter()
        .all(|s| s.kind == SkipKind::NotABulletin && s.kept.is_none()));
    let summary = report.summary();
    assert!(summary.contains("  skipped     5 (not bulletins, nothing stored)"));
    for (url, reason) in &skips {
        assert!(
            summary.contains(&format!("    {url}: {reason}\n")),
            "{summary}"
        );
    }
    let manifest = check_landing(&into);
    assert_eq!(manifest.files.len(), 4);
    let recorded: BTreeMap<String, String> = manifest
        .skipped
        .iter()
        .map(|s| (s.url.clone(), s.reason.clone()))
        .collect();
    assert_eq!(recorded, skips);
    assert!(manifest
        .skipped
        .iter()
        .all(|s| s.kind == SkipKind::NotABulletin && s.size > 0 && s.sha256.len() == 64));
    let json = std::fs::read_to_string(into.join("manifest.json")).unwrap();
    assert!(json.contains("\"skipped\"") && json.contains("\"not_a_bulletin\""));

    // Nothing else in the landing folder: the four bulletins and the
    // manifest, no temporary file.
    let mut files: Vec<String> = report
        .downloaded
        .iter()
        .map(|f| {
            f.path
                .strip_prefix(&into)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/")
        })
        .collect();
    files.push("manifest.json".into());
    files.sort();
    assert_eq!(files_under(&into), files);

    // The platform's bytes are the real format: ingest reads each landed
    // download as a bulletin with every row.
    for (path, _, rows, total) in &expected {
        let file = report
            .downloaded
            .iter()
            .find(|f| f.url == server.url(path))
            .unwrap();
        let parsed = cnexport_ingest::parse_file(&file.path, "landed.csv").unwrap();
        assert_eq!(parsed.format, cnexport_core::SourceFormat::Csv);
        assert_eq!(parsed.encoding.as_deref(), Some("GB18030"));
        assert_eq!(parsed.rows_read, *rows as u64, "{path}");
        assert_eq!(parsed.facts.len(), *rows, "{path}");
        assert!(parsed.quarantined.is_empty(), "{path}");
        assert_eq!(parsed.facts.iter().map(|f| f.value).sum::<i64>(), *total);
        let cap_warned = parsed.warnings.iter().any(|w| w.contains("10,000"));
        assert_eq!(
            cap_warned,
            *rows == ROW_CAP,
            "{path}: {:?}",
            parsed.warnings
        );
    }
    let truth = server.platform().download(&queries[2]);
    let file = report
        .downloaded
        .iter()
        .find(|f| f.url == server.url(&queries[2].path()))
        .unwrap();
    let parsed = cnexport_ingest::parse_file(&file.path, "landed.csv").unwrap();
    for (fact, row) in parsed.facts.iter().zip(&truth) {
        assert_eq!(fact.hs_code.to_string(), row.hs);
        assert_eq!(fact.partner.to_string(), row.partner);
        assert_eq!(
            (fact.value, fact.quantity1, fact.quantity2),
            (row.value as i64, row.quantity1 as i64, row.quantity2 as i64)
        );
    }

    // Next month: /changing.csv now serves a login page. It is reported,
    // and the bulletin it served is kept byte for byte.
    let changing_file = report
        .downloaded
        .iter()
        .find(|f| f.url == server.url(CHANGING))
        .unwrap()
        .path
        .clone();
    let before = files_under(&into);
    let opts = options(server.listing_url(), &into, "2025-08-20");
    let report = fetch(&opts).unwrap();
    eprintln!("{}", report.summary());
    assert!(report.is_success(), "{}", report.summary());
    assert!(report.downloaded.is_empty() && report.changed.is_empty());
    assert_eq!(report.unchanged.len(), 3);
    let mut skips = expected_skips(|p| server.url(p));
    let login =
        "an HTML page with no bulletin table (title: 用户登录; a login form with a CAPTCHA)";
    skips.insert(server.url(CHANGING), login.to_string());
    assert_eq!(skips_of(&report), skips);
    let replaced = report
        .skipped
        .iter()
        .find(|s| s.url == server.url(CHANGING))
        .unwrap();
    assert_eq!(replaced.kind, SkipKind::ReplacedByNonBulletin);
    assert_eq!(replaced.kept.as_deref(), Some(changing_file.as_path()));
    let summary = report.summary();
    assert!(
        summary.contains(&format!(
            "    {}: {login}; it was a bulletin before, {} kept untouched\n",
            server.url(CHANGING),
            changing_file.display()
        )),
        "{summary}"
    );
    assert_eq!(std::fs::read(&changing_file).unwrap(), changing_bytes);
    assert_eq!(files_under(&into), before, "no new file, no empty folder");
    let manifest = check_landing(&into);
    assert_eq!(manifest.files.len(), 4);
    assert_eq!(manifest.skipped.len(), 6);
    let record = manifest.skipped(&server.url(CHANGING)).unwrap();
    assert_eq!(record.kind, SkipKind::ReplacedByNonBulletin);
    assert_eq!(record.reason, login);
    assert_eq!(
        record.kept.as_deref().map(Path::new),
        changing_file.strip_prefix(&into).ok()
    );

    // When it serves its bulletin again, it is unchanged and its skip
    // record goes.
    server.set_changing(Changing::Bulletin);
    let report = fetch(&opts).unwrap();
    assert!(report.unchanged.contains(&server.url(CHANGING)));
    assert_eq!(report.skipped.len(), 5);
    let manifest = check_landing(&into);
    assert!(manifest.skipped(&server.url(CHANGING)).is_none());
    assert_eq!(manifest.skipped.len(), 5);
}

#[test]
fn empty_answers_and_pdfs_under_any_name_are_not_landed() {
    use crate::support::{Res, Server};
    let server = Server::start();
    server.set(
        "/list.html",
        Res::html(
            r#"<a href="empty.csv">0 bytes</a> <a href="blank.xls">spaces</a>
               <a href="paper.xlsx">a PDF named .xlsx</a> <a href="ok.csv">a bulletin</a>"#,
        ),
    );
    server.set("/empty.csv", Res::file(""));
    server.set("/blank.xls", Res::file("  \r\n "));
    server.set("/paper.xlsx", Res::file("%PDF-1.7\n%%EOF\n"));
    server.set(
        "/ok.csv",
        Res::file("数据年月,商品编码,贸易伙伴编码,人民币\n202506,85171300,110,5\n"),
    );
    let dir = tempfile::tempdir().unwrap();
    let report = fetch(&options(server.url("/list.html"), dir.path(), "2025-07-20")).unwrap();
    assert!(report.is_success(), "{}", report.summary());
    assert_eq!(report.downloaded.len(), 1);
    let skips = skips_of(&report);
    assert_eq!(skips[&server.url("/empty.csv")], "an empty body (0 bytes)");
    assert_eq!(
        skips[&server.url("/blank.xls")],
        "only whitespace (5 bytes)"
    );
    assert_eq!(skips[&server.url("/paper.xlsx")], "a PDF document");
    assert_eq!(
        files_under(dir.path()),
        ["2025-07-20/ok.csv", "manifest.json"]
    );
    check_landing(dir.path());
}
