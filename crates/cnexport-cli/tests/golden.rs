//! The golden test: every endpoint with a spread of parameters (every
//! level, sortBy, order and regionFilter, as-of months, pagination, ISO
//! country codes, errors) on the sample database and on bulletins generated
//! with another seed, answered through `cnexport_api::answer` (what
//! `cnexport query` prints and `cnexport serve` sends). Each answer's status,
//! `X-Total-Count` and exact body are compared with the recording in
//! `tests/golden/`, made from the code before the typed-model refactor.
//!
//! The recorded files hold the request targets too, so the check replays
//! exactly the recorded requests whatever the database's layout becomes.
//! `CNEXPORT_GOLDEN=record cargo test -p cnexport-cli --test integration golden::`
//! records them again (only for a deliberate change of an answer: say why
//! in the commit). Deliberate changes of single answers are listed in
//! `tests/golden/changes.txt` instead, so the recording stays the old code's.

use crate::common;

use flate2::read::GzDecoder;
use flate2::write::GzEncoder;
use rusqlite::{Connection, OpenFlags};
use serde_json::{json, Value};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

fn golden_path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(format!("{name}.jsonl.gz"))
}

fn open(db: &Path) -> Connection {
    Connection::open_with_flags(db, OpenFlags::SQLITE_OPEN_READ_ONLY).expect("open database")
}

fn strings(conn: &Connection, sql: &str) -> Vec<String> {
    let mut st = conn.prepare(sql).expect(sql);
    let rows = st.query_map([], |r| r.get::<_, String>(0)).expect(sql);
    rows.map(|r| r.expect("row")).collect()
}

/// The requests of one database: built from what the database holds when
/// recording, then kept in the golden file.
fn targets(conn: &Connection) -> Vec<String> {
    let mut t: Vec<String> = Vec::new();
    let codes = strings(
        conn,
        "SELECT hs_code FROM products WHERE hs_code IN (SELECT hs_code FROM hs_base_metrics) ORDER BY level DESC, hs_code",
    );
    let months = strings(
        conn,
        "SELECT DISTINCT CAST(as_of_month AS TEXT) FROM hs_base_metrics ORDER BY as_of_month",
    );
    let latest = months.last().cloned().unwrap_or_default();
    let first_fact_month = strings(conn, "SELECT CAST(min(month) AS TEXT) FROM monthly_facts");
    let regions = [
        "asia",
        "europe",
        "africa",
        "northAmerica",
        "southAmerica",
        "oceania",
        "middleEast",
        "beltRoad",
        "asean",
        "eu",
        "usmca",
    ];
    let regions_zh = [
        "亚洲",
        "欧洲",
        "非洲",
        "北美洲",
        "拉丁美洲",
        "大洋洲",
        "中东",
        "一带一路",
        "东盟",
        "欧盟",
        "美墨加",
    ];

    for (i, code) in codes.iter().enumerate() {
        t.push(format!("/skill/dashboard?hsCode={code}"));
        t.push(format!("/skill/markets?hsCode={code}"));
        t.push(format!("/skill/contributions?hsCode={code}"));
        t.push(format!("/skill/series?hsCode={code}"));
        if i % 3 == 0 {
            t.push(format!("/skill/priceband?hsCode={code}"));
            t.push(format!("/skill/seasonality?hsCode={code}"));
        }
        if i % 5 == 0 {
            t.push(format!("/skill/chapter?hsCode={code}"));
            if let (Some(first), Some(last)) = (first_fact_month.first(), months.last()) {
                t.push(format!(
                    "/skill/series?hsCode={code}&from={first}&to={last}"
                ));
            }
            if let Some(c) = first_country(conn, code) {
                t.push(format!("/skill/seasonality?hsCode={code}&countryCode={c}"));
                t.push(format!("/skill/series?hsCode={code}&countryCode={c}"));
            }
            if let Some(m) = months.first() {
                t.push(format!("/skill/chapter?hsCode={code}&currentMonth={m}"));
                t.push(format!("/skill/seasonality?hsCode={code}&currentMonth={m}"));
            }
            t.push(format!("/skill/priceband?hsCode={code}&limit=2&offset=1"));
        }
        if i % 10 == 0 {
            for m in &months {
                t.push(format!("/skill/dashboard?hsCode={code}&currentMonth={m}"));
            }
            for m in ["202001", "209912", "2025-06", "202513"] {
                t.push(format!("/skill/dashboard?hsCode={code}&currentMonth={m}"));
            }
            if let Some(m) = first_fact_month.first() {
                t.push(format!("/skill/dashboard?hsCode={code}&currentMonth={m}"));
            }
            t.push(format!("/skill/growth?hsCode={code}"));
            t.push(format!("/skill/growth?hsCode={code}&minBase=0"));
            t.push(format!("/skill/growth?hsCode={code}&minBase=100000000000"));
            t.push(format!(
                "/skill/growth?hsCode={code}&minBase=0&limit=3&offset=2"
            ));
            for sort in ["amount", "name", "growth"] {
                for order in ["desc", "asc"] {
                    t.push(format!(
                        "/skill/markets?hsCode={code}&sortBy={sort}&order={order}"
                    ));
                }
            }
            t.push(format!(
                "/skill/markets?hsCode={code}&minAmount=1000000&limit=5&offset=3"
            ));
            t.push(format!("/skill/markets?hsCode={code}&limit=1000"));
            t.push(format!("/skill/markets?hsCode={code}&offset=100000"));
            t.push(format!(
                "/skill/contributions?hsCode={code}&limit=3&offset=1"
            ));
            t.push(format!("/skill/contributions?hsCode={code}&limit=1000"));
            t.push(format!("/skill/search?q={code}"));
        }
        if i % 7 == 0 {
            let mut st = conn
                .prepare(
                    "SELECT country_code FROM hs_count_month WHERE hs_code = ?1
                     ORDER BY recent12m_total DESC, country_code LIMIT 3",
                )
                .expect("countries");
            let countries: Vec<String> = st
                .query_map([code], |r| r.get(0))
                .expect("countries")
                .map(|r| r.expect("row"))
                .collect();
            for c in &countries {
                t.push(format!("/skill/trend?hsCode={code}&countryCode={c}"));
                t.push(format!("/skill/history?hsCode={code}&countryCode={c}"));
                t.push(format!(
                    "/skill/history?hsCode={code}&countryCode={c}&vintages=true"
                ));
            }
            if let Some(c) = countries.first() {
                let iso3: Vec<String> = conn
                    .prepare(
                        "SELECT iso3 FROM countries WHERE country_code = ?1 AND iso3 IS NOT NULL",
                    )
                    .expect("iso3")
                    .query_map([c], |r| r.get(0))
                    .expect("iso3")
                    .map(|r| r.expect("row"))
                    .collect();
                for iso in iso3 {
                    t.push(format!("/skill/trend?hsCode={code}&countryCode={iso}"));
                    t.push(format!(
                        "/skill/history?hsCode={code}&countryCode={}",
                        iso.to_lowercase()
                    ));
                }
            }
            // A partner that exists but not for this code, and one that does not exist.
            t.push(format!("/skill/trend?hsCode={code}&countryCode=999"));
            t.push(format!("/skill/history?hsCode={code}&countryCode=701"));
        }
    }
    for level in ["8", "6", "4", "2"] {
        for sort in ["", "growth", "amount", "marketBreadth", "chance", "season"] {
            let sort = if sort.is_empty() {
                String::new()
            } else {
                format!("&sortBy={sort}")
            };
            t.push(format!("/skill/topProducts?level={level}{sort}"));
            for r in regions {
                t.push(format!(
                    "/skill/topProducts?level={level}{sort}&regionFilter={r}"
                ));
            }
            t.push(format!(
                "/skill/topProducts?level={level}{sort}&minAmount=0&limit=100"
            ));
            t.push(format!(
                "/skill/topProducts?level={level}{sort}&minAmount=0&minBase=0&maxConcentration=60&limit=7&offset=2"
            ));
        }
    }
    for r in regions_zh {
        t.push(format!("/skill/topProducts?regionFilter={r}&minAmount=0"));
    }
    t.push("/skill/topProducts".into());
    t.push("/skill/topProducts?offset=100000".into());
    for q in [
        "8517",
        "85",
        "0101",
        "手机",
        "phone",
        "lithium ion",
        "电池 锂",
        "99999999",
        "8517.13",
        "x",
    ] {
        t.push(format!("/skill/search?q={}", urlenc(q)));
    }
    t.push("/skill/search?q=85&limit=3".into());
    t.push("/skill/meta".into());
    for m in months.iter().take(1).chain([&latest]) {
        t.push(format!("/skill/meta?month={m}"));
    }
    for m in ["190001", "209901", "202402"] {
        t.push(format!("/skill/meta?month={m}"));
    }
    t.push("/skill/countries".into());
    // Bad parameters and unknown things: one of each kind.
    let code = codes.first().cloned().unwrap_or_default();
    for q in [
        "",
        "hsCode=",
        "hsCode=123",
        "hsCode=abcdefgh",
        "hsCode=851713001",
        "hsCode=00000000",
        "hsCode=99",
        "hsCode=8517.13.00",
        "hsCode=85171300&hsCode=85171300",
        "hsCode=%ZZ",
        "hsCode=%FF",
    ] {
        t.push(format!("/skill/dashboard?{q}"));
    }
    for q in [
        "sortBy=bogus",
        "order=up",
        "limit=0",
        "limit=1001",
        "offset=-1",
        "minAmount=abc",
        "sortby=name",
    ] {
        t.push(format!("/skill/markets?hsCode={code}&{q}"));
    }
    for q in [
        "level=3",
        "level=10",
        "sortBy=chance",
        "regionFilter=mars",
        "maxConcentration=101",
        "maxConcentration=nan",
        "limit=101",
        "minBase=-5",
    ] {
        t.push(format!("/skill/topProducts?{q}"));
    }
    for q in [
        format!("hsCode={code}"),
        format!("hsCode={code}&countryCode=US"),
        format!("hsCode={code}&countryCode=ZZZ"),
        format!("hsCode={code}&countryCode=5021"),
        "countryCode=502".to_string(),
    ] {
        t.push(format!("/skill/trend?{q}"));
        t.push(format!("/skill/history?{q}"));
    }
    t.push(format!(
        "/skill/history?hsCode={code}&countryCode=502&vintages=yes"
    ));
    for q in [
        "",
        "hsCode=123",
        "hsCode=99",
        "minBase=-1",
        "minBase=x",
        "limit=0",
        "minbase=5",
    ] {
        let q = if q.starts_with("hsCode") || q.is_empty() {
            q.to_string()
        } else {
            format!("hsCode={code}&{q}")
        };
        t.push(format!("/skill/growth?{q}"));
    }
    for q in [
        "",
        "hsCode=99",
        "from=2024",
        "from=190001",
        "to=209912",
        "from=202406&to=202405",
        "countryCode=ZZZ",
        "countryCode=999",
        "form=202401",
    ] {
        let q = if q.starts_with("hsCode") || q.is_empty() {
            q.to_string()
        } else {
            format!("hsCode={code}&{q}")
        };
        t.push(format!("/skill/series?{q}"));
        t.push(format!(
            "/skill/seasonality?{}",
            q.replace("from=", "currentMonth=")
        ));
    }
    for q in [
        "",
        "hsCode=99",
        "limit=0",
        "limit=101",
        "currentMonth=202001",
        "currentmonth=202401",
    ] {
        let q = if q.starts_with("hsCode") || q.is_empty() {
            q.to_string()
        } else {
            format!("hsCode={code}&{q}")
        };
        t.push(format!("/skill/chapter?{q}"));
        t.push(format!(
            "/skill/priceband?{}",
            q.replace("currentMonth=202001", "offset=-1")
        ));
    }
    t.push("/skill/search".into());
    t.push(format!("/skill/search?q={}", "8".repeat(65)));
    t.push("/skill/meta?month=2024".into());
    t.push("/skill/nothing".into());
    t.push("/skill/dashboard/".to_string() + "?hsCode=85");
    t.push("/".into());
    t.push(format!(
        "/skill/dashboard?hsCode=85&pad={}",
        "x".repeat(5000)
    ));
    t
}

/// The largest destination of a code at the latest month.
fn first_country(conn: &Connection, code: &str) -> Option<String> {
    conn.query_row(
        "SELECT country_code FROM hs_count_month WHERE hs_code = ?1
         ORDER BY recent12m_total DESC, country_code LIMIT 1",
        [code],
        |r| r.get(0),
    )
    .ok()
}

fn urlenc(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b == b'.' {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn answer_line(conn: &Connection, target: &str) -> Value {
    let r = cnexport_api::answer(conn, target);
    json!({
        "target": target,
        "status": r.status,
        "total": r.total_count,
        "body": without_build_time(&r.body_string()),
    })
}

/// `/skill/meta`'s `buildTime` is the database file's modification time,
/// the one thing in an answer that differs between two builds of the same
/// files: it is replaced by a fixed text before comparing.
fn without_build_time(body: &str) -> String {
    const KEY: &str = "\"buildTime\":\"";
    match body.find(KEY) {
        Some(at) => {
            let start = at + KEY.len();
            let end = body[start..].find('"').map_or(body.len(), |e| start + e);
            format!("{}<build time>{}", &body[..start], &body[end..])
        }
        None => body.to_string(),
    }
}

fn record(name: &str, conn: &Connection) {
    let path = golden_path(name);
    std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    let mut gz = GzEncoder::new(Vec::new(), flate2::Compression::best());
    for target in targets(conn) {
        writeln!(gz, "{}", answer_line(conn, &target)).expect("write");
    }
    std::fs::write(&path, gz.finish().expect("gzip")).expect("write golden");
    eprintln!("recorded {}", path.display());
}

/// A deliberate change of one recorded answer: the new status and a text
/// the new body contains.
struct Change {
    target: String,
    status: u16,
    contains: String,
}

fn changes(name: &str) -> Vec<Change> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/changes.txt");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text.lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .filter_map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            assert_eq!(f.len(), 4, "changes.txt: bad line {l:?}");
            (f[0] == name).then(|| Change {
                target: f[1].to_string(),
                status: f[2].parse().expect("changes.txt: status"),
                contains: f[3].to_string(),
            })
        })
        .collect()
}

fn check(name: &str, conn: &Connection) {
    if std::env::var("CNEXPORT_GOLDEN").as_deref() == Ok("record") {
        return record(name, conn);
    }
    let path = golden_path(name);
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut text = String::new();
    GzDecoder::new(&bytes[..])
        .read_to_string(&mut text)
        .expect("gunzip golden");
    let mut failures = Vec::new();
    let mut count = 0;
    let changes = changes(name);
    let mut changed = 0;
    for line in text.lines() {
        let want: Value = serde_json::from_str(line).expect("golden line");
        let target = want["target"].as_str().expect("target");
        let got = answer_line(conn, target);
        count += 1;
        if let Some(change) = changes.iter().find(|c| c.target == target) {
            changed += 1;
            let body = got["body"].as_str().unwrap_or("");
            if got["status"] != change.status || !body.contains(&change.contains) {
                failures.push(format!(
                    "{target}\n  changes.txt: {} ..{}..\n  now:         {} {body:.600}",
                    change.status, change.contains, got["status"]
                ));
            }
            continue;
        }
        if got != want {
            failures.push(format!(
                "{target}\n  recorded: {} {} {:.600}\n  now:      {} {} {:.600}",
                want["status"],
                want["total"],
                want["body"],
                got["status"],
                got["total"],
                got["body"]
            ));
        }
    }
    assert!(count > 100, "{name}: only {count} recorded answers");
    assert_eq!(
        changed,
        changes.len(),
        "{name}: a target of changes.txt is not in the recording"
    );
    assert!(
        failures.is_empty(),
        "{name}: {} of {count} answers differ from the recording:\n{}",
        failures.len(),
        failures
            .iter()
            .take(20)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}

#[test]
fn sample_answers_are_as_recorded() {
    let conn = open(common::sample_db());
    check("sample", &conn);
}

#[test]
fn generated_answers_are_as_recorded() {
    let g = cnexport_samplegen::generate(&cnexport_samplegen::GenConfig::small(4711));
    let dir = tempfile::tempdir().expect("tempdir");
    let input = dir.path().join("landing");
    cnexport_testkit::write_tree(&input, g.files.iter().map(|(rel, bytes)| (rel, bytes)));
    let db = dir.path().join("gen.db");
    common::build(&input, &db, None);
    check("seed4711", &open(&db));
}
