//! Writing facts as a customs bulletin (CSV, Chinese headers), building a
//! database from it with the real `cnexport` binary, and reading the
//! reference data (bloc membership) back.

use super::Fact;
use rusqlite::{Connection, OpenFlags};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use cnexport_testkit::bulletin::CSV_HEADER;

fn quote(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

/// `1234567` -> `1,234,567`.
fn thousands(v: i64) -> String {
    let digits = v.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The text of a bulletin holding `facts`: every field quoted, a trailing
/// comma, `?` for no unit; values with thousands separators when
/// `separators`.
pub fn csv_text(
    facts: &[Fact],
    product_names: &BTreeMap<String, String>,
    country_names: &BTreeMap<String, String>,
    separators: bool,
) -> String {
    let mut out = String::from(CSV_HEADER);
    for f in facts {
        let fields = [
            f.month.to_string(),
            f.partner.clone(),
            country_names
                .get(&f.partner)
                .cloned()
                .unwrap_or_else(|| f.partner.clone()),
            f.hs.clone(),
            product_names.get(&f.hs).cloned().unwrap_or_default(),
            f.q1.to_string(),
            f.unit1.clone().unwrap_or_else(|| "?".into()),
            f.q2.to_string(),
            f.unit2.clone().unwrap_or_else(|| "?".into()),
            if separators {
                thousands(f.value)
            } else {
                f.value.to_string()
            },
        ];
        for x in &fields {
            out.push_str(&quote(x));
            out.push(',');
        }
        out.push('\n');
    }
    out
}

/// Builds `db` from `input` in this process, as `cnexport build --input
/// INPUT --db DB` does; panics when it fails.
pub fn build(input: &Path, db: &Path) {
    crate::common::build(input, db, None);
}

/// Opens a built database read-only.
pub fn open(db: &Path) -> Connection {
    Connection::open_with_flags(db, OpenFlags::SQLITE_OPEN_READ_ONLY).expect("open database")
}

/// Bloc membership from `country_tags`: partner -> tags.
pub fn country_tags(conn: &Connection) -> BTreeMap<String, BTreeSet<String>> {
    let mut st = conn
        .prepare("SELECT country_code, tag FROM country_tags")
        .expect("country_tags");
    let rows = st
        .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))
        .expect("country_tags rows");
    let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for row in rows {
        let (c, t) = row.expect("row");
        out.entry(c).or_default().insert(t);
    }
    out
}

/// Writes `facts` as one bulletin under `dir/input`, builds `dir/db.sqlite`
/// (in process), checks that every fact was loaded, and opens it.
pub fn build_from_facts(
    dir: &Path,
    facts: &[Fact],
    product_names: &BTreeMap<String, String>,
    country_names: &BTreeMap<String, String>,
    separators: bool,
) -> Connection {
    let input = dir.join("input");
    std::fs::create_dir_all(&input).expect("mkdir");
    std::fs::write(
        input.join("bulletin.csv"),
        csv_text(facts, product_names, country_names, separators),
    )
    .expect("write bulletin");
    let db = dir.join("db.sqlite");
    build(&input, &db);
    let conn = open(&db);
    let (count, total): (i64, i64) = conn
        .query_row(
            "SELECT count(*), coalesce(sum(value), 0) FROM monthly_facts",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .expect("count facts");
    let expected: i64 = facts.iter().map(|f| f.value).sum();
    assert_eq!(
        (count, total),
        (facts.len() as i64, expected),
        "the build did not load every fact of the bulletin"
    );
    conn
}
