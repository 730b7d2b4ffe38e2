//! Checks of the generated data against a simple reader written here,
//! independent of the production ingest code.

use calamine::{open_workbook_auto_from_rs, Data, Reader};
use cnexport_core::reference::Reference;
use cnexport_core::{HsCode, Month, PartnerCode};
use cnexport_samplegen::{generate, GenConfig, Generated, Key, TruthFact};
use std::collections::{BTreeMap, BTreeSet};
use std::io::Cursor;
use std::sync::OnceLock;

fn sample() -> &'static Generated {
    static SAMPLE: OnceLock<Generated> = OnceLock::new();
    SAMPLE.get_or_init(|| generate(&GenConfig::sample()))
}

// ---------------------------------------------------------------- reader

/// A table as text cells: header, then data rows.
struct Table {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

fn parse_csv_line(line: &str) -> Vec<String> {
    let mut fields = Vec::new();
    let mut cur = String::new();
    let mut in_quotes = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, in_quotes) {
            ('"', true) if chars.peek() == Some(&'"') => {
                cur.push('"');
                chars.next();
            }
            ('"', _) => in_quotes = !in_quotes,
            (',', false) => fields.push(std::mem::take(&mut cur)),
            (c, _) => cur.push(c),
        }
    }
    // A trailing comma ends every line: the last (empty) field is not data.
    if !cur.is_empty() {
        fields.push(cur);
    }
    fields
}

fn read_csv(bytes: &[u8]) -> Table {
    let text = if let Some(rest) = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]) {
        String::from_utf8(rest.to_vec()).expect("utf-8")
    } else {
        let (t, _, bad) = encoding_rs::GB18030.decode(bytes);
        assert!(!bad, "GB18030 decodes");
        t.into_owned()
    };
    let mut lines = text
        .split('\n')
        .map(|l| l.strip_suffix('\r').unwrap_or(l))
        .filter(|l| !l.is_empty());
    let header = parse_csv_line(lines.next().expect("header"));
    let rows = lines.map(parse_csv_line).collect();
    Table { header, rows }
}

fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&nbsp;", " ")
        .replace("&amp;", "&")
}

fn read_html(bytes: &[u8]) -> Table {
    let text = std::str::from_utf8(bytes).expect("utf-8 html");
    assert!(text.contains("<meta charset=\"utf-8\">"));
    let table = &text[text.find("<table").expect("a table")..text.find("</table>").expect("end")];
    let mut rows: Vec<Vec<String>> = Vec::new();
    for tr in table.split("<tr").skip(1) {
        let tr = &tr[..tr.find("</tr>").expect("</tr>")];
        let mut cells = Vec::new();
        let mut rest = tr;
        while let Some(open) = rest.find("<t") {
            let after = &rest[open..];
            let gt = after.find('>').expect(">");
            let body = &after[gt + 1..];
            let close = body.find("</t").expect("close");
            cells.push(unescape(&body[..close]));
            rest = &body[close + 3..];
        }
        rows.push(cells);
    }
    let header = rows.remove(0);
    Table { header, rows }
}

fn cell_text(d: &Data) -> String {
    match d {
        Data::Float(f) if f.fract() == 0.0 => format!("{}", *f as i64),
        Data::Float(f) => f.to_string(),
        Data::Int(i) => i.to_string(),
        Data::String(s) => s.clone(),
        Data::Empty => String::new(),
        other => panic!("unexpected cell {other:?}"),
    }
}

fn read_excel(bytes: &[u8]) -> (Table, Vec<Vec<Data>>) {
    let mut wb =
        open_workbook_auto_from_rs(Cursor::new(bytes.to_vec())).expect("calamine opens it");
    let range = wb
        .worksheet_range_at(0)
        .expect("a sheet")
        .expect("readable sheet");
    let mut it = range.rows();
    let header = it.next().expect("header").iter().map(cell_text).collect();
    let raw: Vec<Vec<Data>> = it.map(|r| r.to_vec()).collect();
    let rows = raw
        .iter()
        .map(|r| r.iter().map(cell_text).collect())
        .collect();
    (Table { header, rows }, raw)
}

fn read_any(path: &str, bytes: &[u8]) -> Table {
    match path.rsplit('.').next() {
        Some("csv") => read_csv(bytes),
        Some("html") => read_html(bytes),
        Some("xlsx" | "xls") => read_excel(bytes).0,
        other => panic!("unknown form {other:?} of {path}"),
    }
}

/// One data row, normalized: key, optional dimension, value, q1, q2, name.
struct Parsed {
    key: Key,
    dim: Option<String>,
    fact: TruthFact,
    name: String,
}

fn col(t: &Table, names: &[&str]) -> Option<usize> {
    t.header.iter().position(|h| names.contains(&h.as_str()))
}

fn int(s: &str) -> i64 {
    s.replace(',', "")
        .parse()
        .unwrap_or_else(|_| panic!("not an integer: {s:?}"))
}

fn parse_rows(path: &str, t: &Table) -> Vec<Parsed> {
    let need =
        |names: &[&str]| col(t, names).unwrap_or_else(|| panic!("{path}: no column {names:?}"));
    let month = need(&["数据年月", "Date of data"]);
    let hs = need(&["商品编码", "Commodity code"]);
    let partner = need(&["贸易伙伴编码", "Trading partner code"]);
    let name = need(&["商品名称", "Commodity"]);
    let value = need(&["人民币", "Renminbi Yuan"]);
    let q1 = need(&["第一数量", "Quantity"]);
    let q2 = need(&[
        "第二数量",
        "Supplementary Quantity",
        "Supplimentary Quantity",
    ]);
    let dim = col(t, &["注册地编码", "贸易方式编码"]);
    t.rows
        .iter()
        .map(|r| {
            assert_eq!(r.len(), t.header.len(), "{path}: row width {r:?}");
            let m = Month::parse(&r[month]).unwrap_or_else(|| panic!("{path}: month {}", r[month]));
            let code = format!("{:0>8}", r[hs]);
            let p = format!("{:0>3}", r[partner]);
            Parsed {
                key: (
                    m,
                    HsCode(code.parse().expect("hs")),
                    PartnerCode(p.parse().expect("partner")),
                ),
                dim: dim.map(|d| r[d].clone()),
                fact: TruthFact {
                    value: int(&r[value]),
                    quantity1: int(&r[q1]),
                    quantity2: int(&r[q2]),
                },
                name: r[name].clone(),
            }
        })
        .collect()
}

/// Applies "later release (path order) wins" per (month, code, country),
/// summing the optional dimension inside a file. Also checks that no file
/// has a key twice and returns how many keys came twice / changed.
fn merge(g: &Generated) -> (BTreeMap<Key, TruthFact>, usize, usize) {
    let paths: Vec<&String> = g.files.iter().map(|f| &f.0).collect();
    let mut sorted = paths.clone();
    sorted.sort();
    assert_eq!(paths, sorted, "files come in release (path) order");
    let mut merged: BTreeMap<Key, TruthFact> = BTreeMap::new();
    let (mut dup, mut changed) = (0, 0);
    for (path, bytes) in &g.files {
        let t = read_any(path, bytes);
        let rows = parse_rows(path, &t);
        let mut seen = BTreeSet::new();
        let mut file: BTreeMap<Key, TruthFact> = BTreeMap::new();
        for r in rows {
            assert!(r.fact.value > 0, "{path}: only non-zero rows");
            assert!(
                seen.insert((r.key, r.dim.clone())),
                "{path}: key twice {:?}",
                r.key
            );
            let e = file.entry(r.key).or_insert(TruthFact {
                value: 0,
                quantity1: 0,
                quantity2: 0,
            });
            e.value += r.fact.value;
            e.quantity1 += r.fact.quantity1;
            e.quantity2 += r.fact.quantity2;
        }
        for (k, f) in file {
            if let Some(old) = merged.insert(k, f) {
                dup += 1;
                if old != f {
                    changed += 1;
                }
            }
        }
    }
    (merged, dup, changed)
}

fn check_consistent(g: &Generated) {
    let (merged, dup, changed) = merge(g);
    let missing: Vec<_> = g
        .truth
        .keys()
        .filter(|k| !merged.contains_key(k))
        .take(5)
        .collect();
    let extra: Vec<_> = merged
        .keys()
        .filter(|k| !g.truth.contains_key(k))
        .take(5)
        .collect();
    assert!(missing.is_empty(), "truth keys no file has: {missing:?}");
    assert!(extra.is_empty(), "file keys not in the truth: {extra:?}");
    for (k, f) in &g.truth {
        assert_eq!(&merged[k], f, "{k:?}");
    }
    assert!(dup > 0, "some keys come twice (overlap, restatement)");
    assert!(changed > 0, "some keys are restated with other values");
    assert!(dup > changed, "some keys come twice with the same values");

    // Product names: the latest Chinese-header file that has the code.
    let mut names: BTreeMap<HsCode, String> = BTreeMap::new();
    for (path, bytes) in &g.files {
        let t = read_any(path, bytes);
        if col(&t, &["商品名称"]).is_some() {
            for r in parse_rows(path, &t) {
                names.insert(r.key.1, r.name);
            }
        }
    }
    for (code, name) in &names {
        assert_eq!(&g.product_names[code], name, "{code}");
    }
}

// ---------------------------------------------------------------- tests

#[test]
fn same_config_same_bytes() {
    let a = generate(&GenConfig::small(11));
    let b = generate(&GenConfig::small(11));
    assert_eq!(a.files.len(), b.files.len());
    for ((pa, ba), (pb, bb)) in a.files.iter().zip(&b.files) {
        assert_eq!(pa, pb);
        assert!(ba == bb, "{pa} differs between two runs");
    }
    assert_eq!(a.truth, b.truth);
    let c = generate(&GenConfig::small(12));
    assert_ne!(a.truth, c.truth, "another seed gives other data");
}

#[test]
fn small_configs_are_consistent() {
    for seed in [1, 2, 3] {
        let g = generate(&GenConfig::small(seed));
        check_consistent(&g);
        assert!(g.files.iter().all(|f| f.1.len() > 100));
    }
}

#[test]
fn sample_is_consistent() {
    check_consistent(sample());
}

#[test]
fn sample_has_the_promised_shape() {
    let g = sample();
    let r = Reference::get();
    let months: BTreeSet<Month> = g.truth.keys().map(|k| k.0).collect();
    assert!(months.len() >= 48, "{} months", months.len());
    assert_eq!(
        months.first().map(|m| m.to_string()).as_deref(),
        Some("202101")
    );
    assert_eq!(
        months.last().map(|m| m.to_string()).as_deref(),
        Some("202506")
    );
    let codes: BTreeSet<HsCode> = g.truth.keys().map(|k| k.1).collect();
    assert!(codes.len() >= 300, "{} codes", codes.len());
    assert!(codes.iter().all(|c| r.products.contains_key(c)));
    let chapters: BTreeSet<u32> = codes.iter().map(|c| c.0 / 1_000_000).collect();
    assert!(chapters.len() >= 60, "{} chapters", chapters.len());
    for famous in [85171300, 84713010, 85076000, 61102000] {
        assert!(codes.contains(&HsCode(famous)), "{famous}");
    }
    let partners: BTreeSet<PartnerCode> = g.truth.keys().map(|k| k.2).collect();
    assert!(partners.len() >= 100, "{} destinations", partners.len());
    assert!(partners.contains(&PartnerCode(701)));
    assert!(
        partners.iter().any(|p| !r.countries.contains_key(p)),
        "a partner code the reference lacks"
    );
    // Big markets receive more than the long tail.
    let mut by_partner: BTreeMap<PartnerCode, i128> = BTreeMap::new();
    for (k, f) in &g.truth {
        *by_partner.entry(k.2).or_default() += f.value as i128;
    }
    let mut ranked: Vec<_> = by_partner.iter().collect();
    ranked.sort_by_key(|(_, v)| std::cmp::Reverse(**v));
    let top10: Vec<u16> = ranked.iter().take(10).map(|(p, _)| p.0).collect();
    assert!(top10.contains(&502), "US among the top markets: {top10:?}");
    // Magnitudes from thousands (or less) to billions.
    let max = g.truth.values().map(|f| f.value).max().unwrap();
    let min = g.truth.values().map(|f| f.value).min().unwrap();
    assert!(max > 1_000_000_000 && min < 10_000, "{min}..{max}");
    // Rows: some tens of thousands.
    let rows: usize = g.manifest.iter().map(|f| f.data_rows).sum();
    assert!((35_000..=60_000).contains(&rows), "{rows} rows");
    // Every file under the platform cap; total size small.
    for f in &g.manifest {
        assert!(
            f.data_rows <= 10_000 && f.data_rows > 0,
            "{}: {}",
            f.path,
            f.data_rows
        );
    }
    let total: usize = g.files.iter().map(|f| f.1.len()).sum();
    assert!(total < 5 * 1024 * 1024, "{total} bytes");
    // Release folders.
    for (p, _) in &g.files {
        let (dir, name) = p.split_once('/').expect("release folder");
        assert_eq!(dir.len(), 10, "{p}");
        assert!(!name.contains('/'), "{p}");
    }
}

#[test]
fn sample_has_every_form() {
    let g = sample();
    let has = |pred: &dyn Fn(&str, &[u8]) -> bool| g.files.iter().any(|(p, b)| pred(p, b));
    let gb_zh = |b: &[u8]| {
        let (text, _, bad) = encoding_rs::GB18030.decode(b);
        !bad && !b.starts_with(&[0xEF, 0xBB, 0xBF])
            && text.lines().next().is_some_and(|l| l.contains("数据年月"))
    };
    assert!(has(&|p, b| p.ends_with(".csv")
        && !b.starts_with(&[0xEF, 0xBB, 0xBF])
        && gb_zh(b)
        && b.windows(2).any(|w| w == b"\r\n")));
    assert!(has(&|p, b| p.ends_with(".csv")
        && gb_zh(b)
        && !b.windows(2).any(|w| w == b"\r\n")));
    assert!(has(&|p, b| p.ends_with(".csv")
        && b.starts_with(&[0xEF, 0xBB, 0xBF])
        && std::str::from_utf8(&b[3..])
            .is_ok_and(|t| t.starts_with("\"Date of data\""))));
    assert!(has(&|p, b| p.ends_with(".csv")
        && !b.starts_with(&[0xEF, 0xBB, 0xBF])
        && b.starts_with(b"\"Date of data\"")
        && b.windows(22).any(|w| w == b"Supplimentary Quantity")));
    assert!(has(&|p, _| p.ends_with(".xlsx")));
    assert!(has(&|p, _| p.ends_with(".xls")));
    assert!(has(
        &|p, b| p.ends_with(".html") && b.starts_with(b"<!DOCTYPE html>")
    ));
    // Different column orders among the Chinese CSV files.
    let headers: BTreeSet<String> = g
        .files
        .iter()
        .filter(|(p, b)| p.ends_with(".csv") && gb_zh(b))
        .map(|(_, b)| {
            encoding_rs::GB18030
                .decode(b)
                .0
                .lines()
                .next()
                .unwrap()
                .to_string()
        })
        .collect();
    assert!(headers.len() >= 3, "{headers:#?}");
    // The real files' exact header is among them.
    assert!(headers.contains(
        "\"数据年月\",\"贸易伙伴编码\",\"贸易伙伴名称\",\"商品编码\",\"商品名称\",\"第一数量\",\"第一计量单位\",\"第二数量\",\"第二计量单位\",\"人民币\","
    ));
    // Split files.
    assert!(headers
        .iter()
        .any(|h| h.contains("\"注册地编码\",\"注册地名称\"")));
    assert!(headers
        .iter()
        .any(|h| h.contains("\"贸易方式编码\",\"贸易方式名称\"")));
    // Thousands separators and `?` for a missing second unit.
    let body = encoding_rs::GB18030
        .decode(&g.files.iter().find(|(p, _)| p.ends_with(".csv")).unwrap().1)
        .0
        .into_owned();
    assert!(body.contains(",\"?\","));
    assert!(body
        .lines()
        .skip(1)
        .any(|l| l.trim_end().ends_with("\",") && l.contains(",\"1,")));
}

#[test]
fn excel_files_read_back_with_numeric_cells() {
    let g = sample();
    for ext in [".xlsx", ".xls"] {
        let (path, bytes) = g.files.iter().find(|(p, _)| p.ends_with(ext)).expect(ext);
        let (table, raw) = read_excel(bytes);
        assert_eq!(table.header[0], "数据年月");
        let hs = col(&table, &["商品编码"]).unwrap();
        let value = col(&table, &["人民币"]).unwrap();
        assert!(raw
            .iter()
            .all(|r| matches!(r[hs], Data::Float(_)) && matches!(r[value], Data::Float(_))));
        // The values are those of the truth (none of these rows is restated
        // later except in the revision file, which the truth follows).
        let rows = parse_rows(path, &table);
        assert!(!rows.is_empty());
        let (merged, _, _) = merge(g);
        let mut equal = 0;
        for r in &rows {
            assert!(merged.contains_key(&r.key));
            if g.truth[&r.key] == r.fact {
                equal += 1;
            }
        }
        assert!(
            equal * 10 >= rows.len() * 8,
            "{path}: {equal} of {} rows equal the truth",
            rows.len()
        );
        if ext == ".xlsx" {
            // Chapters 01-09 lose their leading zero in numeric cells.
            assert!(raw
                .iter()
                .any(|r| matches!(r[hs], Data::Float(f) if f < 10_000_000.0)));
        }
    }
}

#[test]
fn seasonality_shows() {
    let g = sample();
    let mut by_month: BTreeMap<Month, i128> = BTreeMap::new();
    for (k, f) in &g.truth {
        *by_month.entry(k.0).or_default() += f.value as i128;
    }
    for year in 2021..=2024 {
        let v = |m: u32| by_month[&Month::new(year, m).unwrap()];
        let avg: i128 = (1..=12).map(v).sum::<i128>() / 12;
        assert!(v(2) < avg * 9 / 10, "{year}: February dip");
        assert!(v(12) > avg, "{year}: year-end rise");
    }
    // Some products start late, some stop.
    let first = |c: HsCode| {
        g.truth
            .keys()
            .filter(|k| k.1 == c)
            .map(|k| k.0)
            .min()
            .unwrap()
    };
    let last = |c: HsCode| {
        g.truth
            .keys()
            .filter(|k| k.1 == c)
            .map(|k| k.0)
            .max()
            .unwrap()
    };
    let codes: BTreeSet<HsCode> = g.truth.keys().map(|k| k.1).collect();
    let m2023 = Month::new(2023, 1).unwrap();
    let m2025 = Month::new(2025, 1).unwrap();
    assert!(codes.iter().filter(|c| first(**c) >= m2023).count() >= 5);
    assert!(codes.iter().filter(|c| last(**c) < m2025).count() >= 5);
}

/// The committed sample is what the generator writes (run
/// `cargo run -p cnexport-samplegen` after changing the generator).
#[test]
fn committed_sample_is_up_to_date() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../sample_data");
    if !dir.join("README.md").exists() {
        eprintln!("no committed sample_data: skipped");
        return;
    }
    let g = sample();
    for (path, bytes) in &g.files {
        let on_disk = std::fs::read(dir.join(path)).unwrap_or_default();
        assert!(
            &on_disk == bytes,
            "sample_data/{path} is not what the generator writes: run `cargo run -p cnexport-samplegen`"
        );
    }
    let readme = cnexport_samplegen::readme(&GenConfig::sample(), g);
    assert_eq!(
        std::fs::read_to_string(dir.join("README.md")).unwrap(),
        readme
    );
}

#[test]
fn other_shapes_work() {
    for (first, months) in [(202307, 30), (202401, 14), (202211, 3), (202001, 70)] {
        let cfg = GenConfig {
            seed: first as u64,
            first_month: Month::from_yyyymm(first).unwrap(),
            months,
            products: 30,
            countries: 25,
        };
        let g = generate(&cfg);
        assert!(!g.files.is_empty(), "{first}+{months}");
        check_consistent_loose(&g);
    }
}

/// Like `check_consistent`, without requiring overlaps (tiny shapes).
fn check_consistent_loose(g: &Generated) {
    let (merged, _, _) = merge(g);
    assert_eq!(merged, g.truth);
}
