//! `cnexport coverage`, `/skill/coverage` and `cnexport plan` (docs/contract.md,
//! Coverage and Download plan): the sample is clean and its grid adds up to
//! the facts; a removed download and a download at the platform's cap are
//! flagged, with exit status 1; a plan covers its codes once, each query
//! expected under the ceiling, counted as the database counts them.

use crate::common;

use rusqlite::Connection;
use serde_json::Value;
use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// `cnexport coverage --db DB --json ARGS`: the exit status and the JSON.
fn coverage(db: &Path, args: &[&str]) -> (i32, Value) {
    let out = common::cnexport()
        .args(["coverage", "--json", "--db"])
        .arg(db)
        .args(args)
        .output()
        .unwrap();
    let json = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    (out.status.code().unwrap(), json)
}

fn kinds(c: &Value) -> Vec<(String, String)> {
    c["flags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["kind"].as_str().unwrap().to_string(),
                f["month"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

#[test]
fn the_sample_is_covered_and_the_grid_adds_up_to_the_facts() {
    let db = common::sample_db();
    let (status, c) = coverage(db, &[]);
    assert_eq!(status, 0, "{:?}", c["flags"]);
    assert_eq!(c["flagCount"], 0);
    let conn = Connection::open(db).unwrap();
    let direct: i64 = conn
        .query_row("SELECT count(*) FROM monthly_facts", [], |r| r.get(0))
        .unwrap();
    assert_eq!(c["factCount"].as_i64(), Some(direct));
    let mut st = conn
        .prepare(
            "SELECT month, substr(hs_code, 1, 2), count(*), sum(value) FROM monthly_facts
             GROUP BY 1, 2 ORDER BY 1, 2",
        )
        .unwrap();
    let cells: Vec<(String, String, i64, i64)> = st
        .query_map([], |r| {
            Ok((
                r.get::<_, i64>(0)?.to_string(),
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
            ))
        })
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let got: Vec<(String, String, i64, i64)> = c["cells"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| {
            (
                x["month"].as_str().unwrap().to_string(),
                x["chapter"].as_str().unwrap().to_string(),
                x["facts"].as_i64().unwrap(),
                x["value"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(got, cells);
    // Month totals and the files named are those of the facts.
    let mut by_month: BTreeMap<String, i64> = BTreeMap::new();
    for (m, _, n, _) in &cells {
        *by_month.entry(m.clone()).or_default() += n;
    }
    for m in c["months"].as_array().unwrap() {
        let month = m["month"].as_str().unwrap();
        assert_eq!(m["facts"].as_i64().unwrap(), by_month[month], "{month}");
        let files: i64 = conn
            .query_row(
                "SELECT count(DISTINCT source_file) FROM monthly_facts WHERE month = ?1",
                [month.parse::<i64>().unwrap()],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(m["files"].as_array().unwrap().len() as i64, files);
    }
    // The endpoint answers the same data; a filter narrows it.
    let api = cnexport_api::answer(&conn, "/skill/coverage");
    assert_eq!(api.status, 200);
    assert_eq!(api.body["data"], c);
    let api = cnexport_api::answer(&conn, "/skill/coverage?chapter=85&from=202401&to=202412");
    assert_eq!(api.status, 200);
    let months = api.body["data"]["months"].as_array().unwrap();
    assert_eq!(months.len(), 12);
    assert!(api.body["data"]["cells"]
        .as_array()
        .unwrap()
        .iter()
        .all(|x| x["chapter"] == "85"));
    for bad in [
        "chapter=8",
        "chapter=851",
        "from=2024",
        "from=202405&to=202401",
    ] {
        let r = cnexport_api::answer(&conn, &format!("/skill/coverage?{bad}"));
        assert_eq!(r.status, 400, "{bad}: {}", r.body);
        assert!(
            r.body["message"].as_str().unwrap().contains("参数"),
            "{}",
            r.body
        );
    }
    // The terminal table; a bad option is exit status 2.
    let out = common::cnexport()
        .args(["coverage", "--db"])
        .arg(db)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("no holes flagged"));
    let (status, _) = coverage(db, &["--chapter", "x"]);
    assert_eq!(status, 2);
    let (status, _) = coverage(Path::new("/nonexistent/x.db"), &[]);
    assert_eq!(status, 2);
}

#[test]
fn a_missing_download_is_flagged_and_the_exit_status_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in");
    copy_dir(&common::sample_dir(), &input);
    std::fs::remove_file(input.join("2025-03-20/export_202501-202502.csv")).unwrap();
    let db = dir.path().join("x.db");
    let report = common::build(&input, &db, None);
    let section = report.coverage.as_ref().expect("a coverage section");
    assert_eq!(section.flag_counts.missing_month, 2);
    assert!(
        report.summary().contains("coverage    2 flags"),
        "{}",
        report.summary()
    );
    let (status, c) = coverage(&db, &[]);
    assert_eq!(status, 1);
    assert_eq!(
        kinds(&c),
        [
            ("missing_month".to_string(), "202501".to_string()),
            ("missing_month".to_string(), "202502".to_string())
        ]
    );
    let out = common::cnexport()
        .args(["coverage", "--db"])
        .arg(&db)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("missing_month 202501"));
    // A month range without the hole: nothing flagged.
    let (status, _) = coverage(&db, &["--from", "202503"]);
    assert_eq!(status, 0);
}

#[test]
fn a_download_at_the_cap_is_flagged_with_queries_that_fit() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in");
    copy_dir(&common::sample_dir(), &input);
    // 100 codes x 100 partners in 202507: exactly the platform's cap.
    let conn = Connection::open(common::sample_db()).unwrap();
    let mut st = conn
        .prepare("SELECT country_code FROM countries ORDER BY country_code LIMIT 100")
        .unwrap();
    let partners: Vec<String> = st
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let mut csv = String::from(
        "数据年月,商品编码,商品名称,贸易伙伴编码,贸易伙伴名称,第一数量,第一计量单位,第二数量,第二计量单位,人民币\n",
    );
    for i in 0..100 {
        for p in &partners {
            csv.push_str(&format!(
                "202507,{},电动机,{p},某国,10,千克,0,,{}\n",
                85_010_000 + i,
                1000 + i
            ));
        }
    }
    std::fs::create_dir_all(input.join("2025-08-20")).unwrap();
    std::fs::write(input.join("2025-08-20/export_202507_ch85.csv"), csv).unwrap();
    let db = dir.path().join("x.db");
    common::build(&input, &db, None);
    let (status, c) = coverage(&db, &[]);
    assert_eq!(status, 1);
    assert_eq!(
        kinds(&c),
        [("cut_off_file".to_string(), "202507".to_string())]
    );
    let flag = &c["flags"][0];
    assert_eq!(flag["path"], "2025-08-20/export_202507_ch85.csv");
    let plan = &flag["suggestion"][0];
    assert_eq!(plan["year"], 2025);
    let queries = plan["queries"].as_array().unwrap();
    assert!(queries.len() >= 2, "{plan}");
    for q in queries {
        assert!(q["expectedRows"].as_u64().unwrap() <= 9_000, "{q}");
        assert_eq!(
            (q["monthFrom"].as_u64(), q["monthTo"].as_u64()),
            (Some(7), Some(7))
        );
    }
    assert_eq!(queries[0]["codeFrom"], "85010000");
    assert_eq!(queries.last().unwrap()["codeTo"], "85019999");
    let file = c["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["cutOff"] == true)
        .unwrap();
    assert_eq!(file["rowsRead"], 10_000);
    assert_eq!(file["partnerCount"], 100);
    assert_eq!(
        (&file["minCode"], &file["maxCode"]),
        (&Value::from("85010000"), &Value::from("85010099"))
    );
}

/// `cnexport plan` with FORMAT and ARGS: the text printed.
fn plan(args: &[&str]) -> String {
    let out = common::cnexport().arg("plan").args(args).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn a_plan_covers_the_codes_once_with_counted_queries_under_the_ceiling() {
    let db = common::sample_db();
    let db_arg = db.to_str().unwrap();
    let conn = Connection::open(db).unwrap();
    for max in ["9000", "40"] {
        let text = plan(&[
            "--year",
            "2025",
            "--db",
            db_arg,
            "--codes",
            "85,8471",
            "--max-rows",
            max,
            "--format",
            "json",
        ]);
        let p: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(p["year"], 2025);
        assert_eq!(p["sizedFrom"], format!("{db_arg} 2024-01..2024-12"));
        let queries = p["queries"].as_array().unwrap();
        let max: u64 = max.parse().unwrap();
        for q in queries {
            let expected = q["expectedRows"].as_u64().unwrap();
            assert!(expected <= max, "{q}");
            // As the database counts the same query a year earlier.
            let mut sql = String::from(
                "SELECT count(*) FROM monthly_facts WHERE month BETWEEN ?1 AND ?2
                 AND hs_code BETWEEN ?3 AND ?4",
            );
            if let Some(ps) = q["partners"].as_array() {
                let list: Vec<String> = ps
                    .iter()
                    .map(|p| format!("'{}'", p.as_str().unwrap()))
                    .collect();
                sql.push_str(&format!(" AND country_code IN ({})", list.join(",")));
            }
            let direct: i64 = conn
                .query_row(
                    &sql,
                    rusqlite::params![
                        202400 + q["monthFrom"].as_i64().unwrap(),
                        202400 + q["monthTo"].as_i64().unwrap(),
                        q["codeFrom"].as_str().unwrap(),
                        q["codeTo"].as_str().unwrap()
                    ],
                    |r| r.get(0),
                )
                .unwrap();
            assert_eq!(expected as i64, direct, "{q}");
        }
        // The code ranges (each over all months) tile 84710000-84719999 and
        // 85000000-85999999.
        let mut tiles: Vec<(u32, u32, u64, u64)> = queries
            .iter()
            .map(|q| {
                (
                    q["codeFrom"].as_str().unwrap().parse().unwrap(),
                    q["codeTo"].as_str().unwrap().parse().unwrap(),
                    q["monthFrom"].as_u64().unwrap(),
                    q["monthTo"].as_u64().unwrap(),
                )
            })
            .collect();
        tiles.dedup_by(|b, a| a.0 == b.0 && a.1 == b.1);
        assert_eq!(tiles[0].0, 84_710_000);
        assert_eq!(tiles.last().unwrap().1, 85_999_999);
        for w in tiles.windows(2) {
            assert!(
                w[1].0 == w[0].1 + 1 || (w[0].1, w[1].0) == (84_719_999, 85_000_000),
                "{w:?}"
            );
        }
    }
    // CSV: the same queries; the table says what it is sized from.
    let json: Value = serde_json::from_str(&plan(&[
        "--year", "2025", "--db", db_arg, "--format", "json",
    ]))
    .unwrap();
    let csv = plan(&["--year", "2025", "--db", db_arg, "--format", "csv"]);
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines[0],
        "id,year,monthFrom,monthTo,codeFrom,codeTo,partners,grouping,monthly,expectedRows"
    );
    assert_eq!(lines.len() - 1, json["queries"].as_array().unwrap().len());
    let table = plan(&["--year", "2025"]);
    assert!(table.contains("GUESS"), "{table}");
    let out = common::cnexport()
        .args(["plan", "--year", "2025", "--codes", "851"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

/// End to end against the simulated customs platform: plan 2025 from a
/// 2024 database, download the plan, build, and check the coverage and
/// the facts against the platform's ground truth; then miss a download and
/// force one over the cap. The platform's listing also links its stray
/// pages (about, help, login, an error served with 200, a PDF): fetch must
/// skip them, or the build would stop.
mod platform {
    use super::*;
    use cnexport_testkit::platform::{Platform, PlatformSpec, Query};

    fn fetch_and_build(base: &str, into: &Path, db: &Path) {
        let out = common::cnexport()
            .args(["fetch", "--source"])
            .arg(format!("{base}/listing.html"))
            .arg("--into")
            .arg(into)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        common::build(into, db, None);
    }

    fn queries_of(plan: &Value) -> Vec<Query> {
        plan["queries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|q| Query {
                year: q["year"].as_u64().unwrap() as u16,
                month_from: q["monthFrom"].as_u64().unwrap() as u8,
                month_to: q["monthTo"].as_u64().unwrap() as u8,
                code_from: q["codeFrom"].as_str().unwrap().to_string(),
                code_to: q["codeTo"].as_str().unwrap().to_string(),
                partners: q["partners"]
                    .as_array()
                    .map(|ps| ps.iter().map(|p| p.as_str().unwrap().to_string()).collect()),
            })
            .collect()
    }

    type Fact = (u32, String, String, i64);

    /// The facts equal the ground truth; if not, says what differs.
    fn same(got: Vec<Fact>, truth: Vec<Fact>) {
        if got == truth {
            return;
        }
        let g: std::collections::BTreeSet<&Fact> = got.iter().collect();
        let t: std::collections::BTreeSet<&Fact> = truth.iter().collect();
        let missing: Vec<_> = t.difference(&g).take(5).collect();
        let extra: Vec<_> = g.difference(&t).take(5).collect();
        panic!(
            "{} facts, {} in the ground truth; {} missing, e.g. {missing:?}; {} not in it, e.g. {extra:?}",
            got.len(),
            truth.len(),
            t.difference(&g).count(),
            g.difference(&t).count()
        );
    }

    /// Every file under a folder, sorted.
    fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
        let mut out = Vec::new();
        let mut stack = vec![dir.to_path_buf()];
        while let Some(d) = stack.pop() {
            for e in fs::read_dir(&d).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    stack.push(p);
                } else {
                    out.push(p);
                }
            }
        }
        out.sort();
        out
    }

    fn facts_of(db: &Path, year: u32) -> Vec<Fact> {
        let conn = Connection::open(db).unwrap();
        let mut st = conn
            .prepare(
                "SELECT month, hs_code, country_code, value FROM monthly_facts
                 WHERE month / 100 = ?1 ORDER BY 1, 2, 3",
            )
            .unwrap();
        st.query_map([year], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    }

    fn truth_of(server: &cnexport_testkit::platform::RunningPlatform, year: u32) -> Vec<Fact> {
        let mut truth: Vec<Fact> = server
            .platform()
            .facts()
            .iter()
            .filter(|f| f.month / 100 == year)
            .map(|f| (f.month, f.hs.clone(), f.partner.clone(), f.value as i64))
            .collect();
        truth.sort();
        truth
    }

    #[test]
    fn planned_downloads_cover_the_year() {
        let platform = Platform::generate(16, &PlatformSpec::default());
        let server = platform.start();
        let dir = tempfile::tempdir().unwrap();
        // 2024 from a plan without a database: a guess, so some downloads
        // come back cut off. Follow coverage as a user would: delete each
        // cut-off file, download its suggested queries, rebuild.
        let guess: Value =
            serde_json::from_str(&plan(&["--year", "2024", "--format", "json"])).unwrap();
        let paths: Vec<String> = queries_of(&guess).iter().map(Query::path).collect();
        server.set_listing(paths.clone());
        let into2024 = dir.path().join("in2024");
        let db2024 = dir.path().join("2024.db");
        fetch_and_build(&server.base_url(), &into2024, &db2024);
        let mut rounds = 0;
        loop {
            let (status, c) = coverage(&db2024, &[]);
            let cut: Vec<&Value> = c["flags"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|f| f["kind"] == "cut_off_file")
                .collect();
            if cut.is_empty() {
                assert_eq!(status, 0, "{:?}", c["flags"]);
                break;
            }
            rounds += 1;
            assert!(rounds <= 2, "still cut off after {rounds} rounds: {cut:?}");
            let mut again = Vec::new();
            for f in cut {
                let path = into2024.join(f["path"].as_str().unwrap());
                fs::remove_file(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
                for p in f["suggestion"].as_array().unwrap() {
                    again.extend(queries_of(p).iter().map(Query::path));
                }
            }
            assert!(!again.is_empty());
            server.set_listing(again);
            fetch_and_build(&server.base_url(), &into2024, &db2024);
        }
        assert!(
            rounds >= 1,
            "the guess was expected to cut some downloads off"
        );
        same(facts_of(&db2024, 2024), truth_of(&server, 2024));
        // 2025 sized from it, downloaded into the same landing folder (a
        // user's folder holds every year): one database of both years.
        let p: Value = serde_json::from_str(&plan(&[
            "--year",
            "2025",
            "--db",
            db2024.to_str().unwrap(),
            "--format",
            "json",
        ]))
        .unwrap();
        let queries = queries_of(&p);
        assert!(queries.len() > 1);
        let paths: Vec<String> = queries.iter().map(Query::path).collect();
        server.set_listing(paths.clone());
        let db = dir.path().join("both.db");
        fetch_and_build(&server.base_url(), &into2024, &db);
        let conn = Connection::open(&db).unwrap();
        let cut: i64 = conn
            .query_row(
                "SELECT count(*) FROM source_files WHERE rows_read >= 10000",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(cut, 0, "a planned download reached the cap");
        let (status, c) = coverage(&db, &[]);
        assert_eq!(status, 0, "{:?}", c["flags"]);
        // The facts are the platform's, both years.
        same(facts_of(&db, 2024), truth_of(&server, 2024));
        same(facts_of(&db, 2025), truth_of(&server, 2025));

        // One download missed (the largest planned one) and one query
        // forced over the cap: a copy of the landing folder without the
        // first, then the second fetched into it.
        let interior = &p["queries"].as_array().unwrap()[1..queries.len() - 1];
        let largest = queries[1..queries.len() - 1]
            .iter()
            .zip(interior)
            .max_by_key(|(_, q)| q["expectedRows"].as_u64().unwrap())
            .map(|(q, _)| q.clone())
            .unwrap();
        let missed_name = largest.path().rsplit('/').next().unwrap().to_string();
        let holey = dir.path().join("holey");
        let mut removed = 0;
        for entry in walk(&into2024) {
            let rel = entry.strip_prefix(&into2024).unwrap();
            let to = holey.join(rel);
            fs::create_dir_all(to.parent().unwrap()).unwrap();
            if rel.file_name().unwrap().to_str() == Some(missed_name.as_str()) {
                removed += 1;
                continue;
            }
            if rel.file_name().unwrap() != "manifest.json" {
                fs::copy(&entry, &to).unwrap();
            }
        }
        assert_eq!(removed, 1, "{missed_name} not found in the landing folder");
        let over = Query::new(2025, 1, 12, "01000000", "98999999", None);
        server.set_listing(vec![over.path()]);
        let db = dir.path().join("holey.db");
        fetch_and_build(&server.base_url(), &holey, &db);
        let (status, c) = coverage(&db, &[]);
        assert_eq!(status, 1);
        let flags = c["flags"].as_array().unwrap();
        let cut: Vec<&Value> = flags
            .iter()
            .filter(|f| f["kind"] == "cut_off_file")
            .collect();
        assert_eq!(cut.len(), 1, "{flags:?}");
        assert!(cut[0]["path"]
            .as_str()
            .unwrap()
            .ends_with(over.path().rsplit('/').next().unwrap()));
        // The missed download's codes are flagged: the range between the
        // codes of the downloads on either side holds every code of the
        // missed one, and the suggested queries cover that range.
        let missed_rows = server.platform().rows(&largest);
        let lo = missed_rows.iter().map(|r| r.hs.as_str()).min().unwrap();
        let hi = missed_rows.iter().map(|r| r.hs.as_str()).max().unwrap();
        let gaps: Vec<&Value> = flags
            .iter()
            .filter(|f| f["kind"] == "uncovered_codes")
            .collect();
        assert!(!gaps.is_empty(), "{flags:?}");
        for g in &gaps {
            let (a, b) = (
                g["codeFrom"].as_str().unwrap(),
                g["codeTo"].as_str().unwrap(),
            );
            assert!(a <= lo && hi <= b, "{a}..{b} does not hold {lo}..{hi}");
            let mut next = a.to_string();
            for plan in g["suggestion"].as_array().unwrap() {
                let qs = queries_of(plan);
                assert_eq!(qs.first().unwrap().code_from, a);
                assert_eq!(qs.last().unwrap().code_to, b);
                if plan == &g["suggestion"][0] {
                    for q in &qs {
                        assert_eq!(q.code_from, next);
                        next = format!("{:08}", q.code_to.parse::<u32>().unwrap() + 1);
                    }
                }
            }
        }
        assert!(
            flags
                .iter()
                .all(|f| f["kind"] == "cut_off_file" || f["kind"] == "uncovered_codes"),
            "{flags:?}"
        );
    }
}
