//! The metrics (docs/contract.md, section 3) and the dashboard / markets
//! / topProducts answers (section 4) against a naive oracle (`oracle/`):
//!
//! 1. bulletins the pipeline has never seen (the sample generator, other
//!    seeds), built with the real binary, every code and roll-up compared;
//! 2. random facts (own splitmix64 PRNG) written as a Chinese-header CSV
//!    bulletin, built and compared the same way;
//! 3. tiny hand-computed fixtures with the expected numbers written out.

use crate::oracle;

use crate::oracle::bulletin::{build, build_from_facts, country_tags, open};
use crate::oracle::compare::Diffs;
use crate::oracle::rng::SplitMix;
use crate::oracle::{month_index, month_text, region_keys, Fact, Oracle, SortBy, TopQuery, View};
use cnexport_core::reference::Reference;
use cnexport_core::PartnerCode;
use rusqlite::Connection;
use serde_json::{json, Value};
use std::collections::BTreeMap;

// ------------------------------------------------------------ comparisons

/// Compares every answer of a data set with the oracle: dashboards of every
/// code (8-digit and roll-ups) at every valid as-of month, markets of every
/// code, and topProducts for every level, sort, region and a spread of
/// parameters.
fn compare_dataset(conn: &Connection, o: &Oracle, d: &mut Diffs) {
    let months = o.as_of_months();
    assert!(!months.is_empty(), "data shorter than 24 months");
    for level in [8, 6, 4, 2] {
        for code in o.codes(level) {
            let view = o.view(&code);
            for &m in &months {
                let met = view.metrics(m, o.tags());
                let target = format!(
                    "/skill/dashboard?hsCode={code}&currentMonth={}",
                    month_text(m)
                );
                d.expect_ok(conn, &target, &o.dashboard(&met));
            }
            // No currentMonth: the latest month.
            let latest = view.metrics(o.latest, o.tags());
            d.expect_ok(
                conn,
                &format!("/skill/dashboard?hsCode={code}"),
                &o.dashboard(&latest),
            );
            // Just outside the valid as-of months.
            for m in [o.first + 22, o.latest + 1] {
                let target = format!(
                    "/skill/dashboard?hsCode={code}&currentMonth={}",
                    month_text(m)
                );
                d.expect_error(conn, &target, 404, "");
            }
            compare_markets(conn, o, &view, d);
            // Growth markets: the default base (the low-base threshold), no
            // base, and markets ranked by growth both ways.
            for (query, min_base) in [("", oracle::extra::LOW_BASE), ("&minBase=0", 0)] {
                d.expect_ok(
                    conn,
                    &format!("/skill/growth?hsCode={code}&limit=1000{query}"),
                    &o.growth(&view, min_base),
                );
            }
            for (order, ascending) in [("desc", false), ("asc", true)] {
                d.expect_ok(
                    conn,
                    &format!("/skill/markets?hsCode={code}&sortBy=growth&order={order}&limit=1000"),
                    &o.markets_by_growth(&view, ascending),
                );
            }
            d.expect_ok(
                conn,
                &format!("/skill/contributions?hsCode={code}&limit=1000"),
                &o.contributions(&view),
            );
            check_identities(conn, &code, d);
        }
    }
    compare_top_products(conn, o, d);
    // /skill/meta, and "is month X in?".
    d.expect_ok(conn, "/skill/meta", &o.meta());
    for (month, status) in o.month_questions() {
        let mut expected = o.meta();
        expected["month"] = json!(month);
        expected["monthPresent"] = json!(status == "present");
        expected["monthStatus"] = json!(status);
        d.expect_ok(conn, &format!("/skill/meta?month={month}"), &expected);
    }
}

/// The identities of docs/metrics.md on the API's own answers: the markets'
/// contributions add up to the YoY growth, and the price and volume parts
/// to the value change (each up to its rounding).
fn check_identities(conn: &Connection, code: &str, d: &mut Diffs) {
    let c = cnexport_api::answer(
        conn,
        &format!("/skill/contributions?hsCode={code}&limit=1000"),
    );
    let data = &c.body["data"];
    if let Some(yoy) = data["yoyGrowthRate"].as_f64() {
        let markets = data["markets"].as_array().expect("markets");
        let sum: f64 = markets
            .iter()
            .map(|m| m["contributionPp"].as_f64().expect("contribution"))
            .sum();
        let slack = 0.005 * (markets.len() as f64 + 1.0) + 1e-9;
        d.fields += 1;
        if (sum - yoy).abs() > slack {
            d.errors.push(format!(
                "contributions of {code}: sum {sum} != yoyGrowthRate {yoy} (slack {slack})"
            ));
        }
        d.note("contributions add up to yoyGrowthRate");
    }
    let dash = cnexport_api::answer(conn, &format!("/skill/dashboard?hsCode={code}"));
    let mut parts = vec![dash.body["data"]["priceVolume"].clone()];
    let markets = cnexport_api::answer(conn, &format!("/skill/markets?hsCode={code}&limit=1000"));
    if let Some(rows) = markets.body["data"].as_array() {
        parts.extend(rows.iter().map(|r| r["priceVolume"].clone()));
    }
    for pv in parts.iter().filter(|p| p.is_object()) {
        let f = |k: &str| pv[k].as_f64().expect("number");
        d.fields += 1;
        if (f("priceEffect") + f("volumeEffect") - f("valueChange")).abs() > 0.01 + 1e-9 {
            d.errors
                .push(format!("priceVolume of {code}: parts do not add up: {pv}"));
        }
        d.note("price + volume = value change");
    }
}

fn rows_json(rows: &[(String, i64, Value)], offset: usize, limit: usize) -> Value {
    Value::Array(
        rows.iter()
            .skip(offset)
            .take(limit)
            .map(|r| r.2.clone())
            .collect(),
    )
}

fn compare_markets(conn: &Connection, o: &Oracle, view: &View, d: &mut Diffs) {
    let code = &view.code;
    let rows = o.markets(view);
    if rows.windows(2).any(|w| w[0].1 == w[1].1) {
        d.note("markets: tie on amount");
    }
    let base = format!("/skill/markets?hsCode={code}");
    d.expect_ok(conn, &base, &rows_json(&rows, 0, 50));
    d.expect_ok(
        conn,
        &format!("{base}&limit=1000"),
        &rows_json(&rows, 0, 1000),
    );
    d.expect_ok(
        conn,
        &format!("{base}&sortBy=amount&order=desc&limit=3&offset=2"),
        &rows_json(&rows, 2, 3),
    );
    let mut asc = rows.clone();
    asc.sort_by(|a, b| a.1.cmp(&b.1).then(a.0.cmp(&b.0)));
    d.expect_ok(
        conn,
        &format!("{base}&sortBy=amount&order=asc&limit=1000"),
        &rows_json(&asc, 0, 1000),
    );
    if let Some(mid) = rows.get(rows.len() / 2) {
        // minAmount keeps totals >= minAmount: equal to one row's total, and
        // one more.
        for min in [mid.1, mid.1 + 1] {
            let kept: Vec<(String, i64, Value)> =
                rows.iter().filter(|r| r.1 >= min).cloned().collect();
            d.expect_ok(
                conn,
                &format!("{base}&minAmount={min}&limit=1000"),
                &rows_json(&kept, 0, 1000),
            );
        }
    }
    // Pinyin order is not recomputed here: the same rows, as a set.
    let by_name = format!("{base}&sortBy=name&limit=1000");
    d.count(&by_name);
    let r = cnexport_api::answer(conn, &by_name);
    if r.status != 200 {
        d.errors
            .push(format!("{by_name}: expected status 200, got {}", r.body));
    }
    let mut actual: Vec<Value> = r.body["data"].as_array().cloned().unwrap_or_default();
    actual.sort_by(|a, b| a["countryCode"].as_str().cmp(&b["countryCode"].as_str()));
    let mut by_code = rows.clone();
    by_code.sort_by(|a, b| a.0.cmp(&b.0));
    d.check(
        &format!("{base}&sortBy=name&limit=1000 (as a set)"),
        &rows_json(&by_code, 0, 1000),
        &Value::Array(actual),
    );
}

fn compare_top_products(conn: &Connection, o: &Oracle, d: &mut Diffs) {
    let mut regions: Vec<Option<&'static str>> = vec![None];
    regions.extend(region_keys().into_iter().map(Some));
    for level in [8, 6, 4, 2] {
        let all = o.latest_metrics(level);
        for sort in SortBy::ALL {
            for &region in &regions {
                let q = TopQuery {
                    level,
                    sort,
                    region,
                    min_amount: 0,
                    max_concentration: None,
                    limit: 100,
                    offset: 0,
                    min_base: 1_000_000,
                };
                let (expected, n) = o.top_products(&all, &q);
                note_ties(d, &expected, sort, region.is_some());
                d.expect_ok(conn, &q.target(), &expected);
                if n > 100 {
                    let q = TopQuery { offset: 100, ..q };
                    d.expect_ok(conn, &q.target(), &o.top_products(&all, &q).0);
                }
                // Default minAmount (10,000,000), limit and offset.
                let q = TopQuery {
                    level,
                    sort,
                    region,
                    ..TopQuery::defaults()
                };
                let mut target =
                    format!("/skill/topProducts?level={level}&sortBy={}", sort.param());
                if let Some(r) = region {
                    target.push_str(&format!("&regionFilter={r}"));
                }
                d.expect_ok(conn, &target, &o.top_products(&all, &q).0);
            }
            // maxConcentration, including exactly one code's top-3 share.
            let mut caps = vec![50.0, 90.0, 99.99, 100.0, 0.0];
            if let Some(t) = all.get(all.len() / 2).and_then(|m| m.top3) {
                caps.push(t as f64 / 100.0);
            }
            for cap in caps {
                for region in [None, Some("asia")] {
                    let q = TopQuery {
                        level,
                        sort,
                        region,
                        min_amount: 0,
                        max_concentration: Some(cap),
                        limit: 100,
                        offset: 0,
                        min_base: 1_000_000,
                    };
                    d.expect_ok(conn, &q.target(), &o.top_products(&all, &q).0);
                }
            }
            // Pages: rank is the position in the whole ranking.
            for (limit, offset) in [(5, 3), (1, 0), (2, 1), (30, 1000)] {
                let q = TopQuery {
                    level,
                    sort,
                    region: None,
                    min_amount: 0,
                    max_concentration: None,
                    limit,
                    offset,
                    min_base: 1_000_000,
                };
                d.expect_ok(conn, &q.target(), &o.top_products(&all, &q).0);
            }
        }
    }
    // No parameter at all.
    let all = o.latest_metrics(8);
    d.expect_ok(
        conn,
        "/skill/topProducts",
        &o.top_products(&all, &TopQuery::defaults()).0,
    );
}

/// Counts the ties an expected ranking holds (broken by hsCode, or by the
/// total for marketBreadth).
fn note_ties(d: &mut Diffs, expected: &Value, sort: SortBy, regional: bool) {
    let entries = expected.as_array().cloned().unwrap_or_default();
    let total = if regional {
        "regionTotal"
    } else {
        "recent12mGlobalTotal"
    };
    let growth = if regional {
        "regionYoyGrowthRate"
    } else {
        "yoyGrowthRate"
    };
    for w in entries.windows(2) {
        match sort {
            SortBy::Amount if w[0][total] == w[1][total] => d.note("topProducts: tie on amount"),
            SortBy::Growth if w[0][growth] == w[1][growth] => d.note("topProducts: tie on growth"),
            SortBy::Breadth if w[0]["activeCountriesCount"] == w[1]["activeCountriesCount"] => {
                if w[0][total] == w[1][total] {
                    d.note("topProducts: tie on breadth and total");
                } else {
                    d.note("topProducts: breadth tie broken by total");
                }
            }
            _ => {}
        }
    }
}

// ------------------------------------------------- 1. generated bulletins

fn check_generated(seed: u64) {
    let started = std::time::Instant::now();
    let g = cnexport_samplegen::generate(&cnexport_samplegen::GenConfig::small(seed));
    let dir = tempfile::tempdir().expect("tempdir");
    let input = dir.path().join("landing");
    cnexport_testkit::write_tree(&input, g.files.iter().map(|(rel, bytes)| (rel, bytes)));
    let db = dir.path().join("gen.db");
    build(&input, &db);
    let conn = open(&db);

    let reference = Reference::get();
    let facts: Vec<Fact> = g
        .truth
        .iter()
        .map(|((m, hs, p), t)| {
            let product = reference
                .products
                .get(hs)
                .unwrap_or_else(|| panic!("{hs} not in the reference table"));
            Fact {
                month: m.yyyymm(),
                hs: hs.to_string(),
                partner: p.to_string(),
                value: t.value,
                q1: t.quantity1,
                unit1: product.unit1.clone(),
                q2: t.quantity2,
                unit2: product.unit2.clone(),
            }
        })
        .collect();
    let product_names = g
        .product_names
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect();
    let country_names = g
        .partner_names
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect();
    let o = Oracle::new(facts, country_tags(&conn), product_names, country_names);
    assert!(o.codes(8).len() >= 50, "{} codes", o.codes(8).len());
    let mut d = Diffs::default();
    compare_dataset(&conn, &o, &mut d);
    d.finish(&format!(
        "generated bulletins, seed {seed} ({} codes of 8 digits, {} roll-ups, {} as-of months, {:.1}s)",
        o.codes(8).len(),
        o.codes(2).len() + o.codes(4).len() + o.codes(6).len(),
        o.as_of_months().len(),
        started.elapsed().as_secs_f64()
    ));
}

#[test]
fn generated_bulletins_seed_11() {
    check_generated(11);
}

#[test]
fn generated_bulletins_seed_12345() {
    check_generated(12345);
}

// ------------------------------------------------- 2. random facts

/// Codes sharing 2-, 4- and 6-digit prefixes, with leading zeros.
const CODE_POOL: [&str; 14] = [
    "85171300", "85171200", "85171800", "85176200", "85176990", "85011000", "85015100", "01012100",
    "01012900", "01051210", "12019020", "61091000", "61102000", "61109000",
];
/// Every continent, 7xx, Cyprus (EU, Middle East, Belt and Road), Turkey
/// (Middle East, Belt and Road), ASEAN, USMCA incl. Mexico (4xx).
const PARTNER_POOL: [&str; 16] = [
    "101", "108", "116", "132", "137", "141", "201", "303", "304", "344", "410", "429", "501",
    "502", "601", "701",
];
const UNITS: [&str; 5] = ["千克", "台", "个", "吨", "件"];

fn reference_country_names() -> BTreeMap<String, String> {
    let reference = Reference::get();
    PARTNER_POOL
        .iter()
        .map(|p| {
            let code = PartnerCode(p.parse().expect("digits"));
            (p.to_string(), reference.countries[&code].name_zh.clone())
        })
        .collect()
}

/// One random data set: 1-8 codes over 24-50 months, with late starters,
/// early stoppers, gaps, explicit zero rows, ties, and unit schemes that
/// sometimes mix units within a code.
fn random_case(seed: u64) -> Vec<Fact> {
    let mut r = SplitMix::new(seed);
    let n_months = 24 + r.below(27) as i64;
    let first = month_index(201901) + r.below(36) as i64;
    let n_codes = 1 + r.below(8) as usize;
    let codes = r.distinct(&CODE_POOL, n_codes);
    // 0: a few round values (ties in totals and growth), 1: wide, 2: mixed.
    let value_mode = r.below(3);
    let mut facts: BTreeMap<(i64, String, String), Fact> = BTreeMap::new();
    for code in &codes {
        let start = if r.chance(1, 3) {
            r.below(n_months as u64) as i64
        } else {
            0
        };
        let end = if r.chance(1, 5) {
            start + r.below((n_months - start) as u64) as i64
        } else {
            n_months - 1
        };
        let scheme = r.below(6);
        let unit_a = r.pick(&UNITS).to_string();
        let unit_b = r.pick(&UNITS).to_string();
        let unit_2 = r.chance(1, 2).then(|| r.pick(&UNITS).to_string());
        let change_at = r.below(n_months as u64) as i64;
        let n_partners = 1 + r.below(8) as usize;
        let partners = r.distinct(&PARTNER_POOL, n_partners);
        for (pi, p) in partners.iter().enumerate() {
            let density = *r.pick(&[3u64, 7, 10]);
            let p_start = if r.chance(1, 4) {
                start + r.below((end - start + 1) as u64) as i64
            } else {
                start
            };
            for k in p_start..=end {
                let zero = !r.chance(density, 10);
                if zero && !r.chance(1, 8) {
                    continue; // a month without a record
                }
                let value = if zero {
                    0 // an explicit zero row
                } else {
                    match value_mode {
                        0 => 1000 * (1 + r.below(3) as i64),
                        1 => 1 + r.below(1_000_000_000) as i64,
                        _ => {
                            if r.chance(1, 2) {
                                1 + r.below(50) as i64
                            } else {
                                1 + r.below(100_000_000) as i64
                            }
                        }
                    }
                };
                let (unit1, unit2) = match scheme {
                    // one unit for the code
                    0 => (Some(unit_a.clone()), unit_2.clone()),
                    // the unit changes at some month
                    1 => (
                        Some(if k < change_at {
                            unit_a.clone()
                        } else {
                            unit_b.clone()
                        }),
                        unit_2.clone(),
                    ),
                    // different units for different partners
                    2 => (
                        Some(if pi % 2 == 0 {
                            unit_a.clone()
                        } else {
                            unit_b.clone()
                        }),
                        unit_2.clone(),
                    ),
                    // no unit at all
                    3 => (None, None),
                    // a second unit for some partners only
                    4 => (Some(unit_a.clone()), (pi % 2 == 0).then(|| unit_b.clone())),
                    // the first unit missing on some rows
                    _ => ((!r.chance(1, 4)).then(|| unit_a.clone()), unit_2.clone()),
                };
                let q1 = r.below(10_000_000) as i64;
                let q2 = if unit2.is_some() {
                    r.below(1_000_000) as i64
                } else if r.chance(1, 5) {
                    r.below(100) as i64
                } else {
                    0
                };
                let month: u32 = month_text(first + k).parse().expect("month");
                facts.insert(
                    (first + k, code.to_string(), p.to_string()),
                    Fact {
                        month,
                        hs: code.to_string(),
                        partner: p.to_string(),
                        value,
                        q1,
                        unit1,
                        q2,
                        unit2,
                    },
                );
            }
        }
    }
    // The data spans exactly n_months: a non-zero fact at both ends.
    let template = facts.values().next().cloned().unwrap_or_else(|| Fact {
        month: 0,
        hs: codes[0].to_string(),
        partner: "502".into(),
        value: 1,
        q1: 1,
        unit1: Some("千克".into()),
        q2: 0,
        unit2: None,
    });
    for k in [first, first + n_months - 1] {
        let key = (k, template.hs.clone(), template.partner.clone());
        let f = facts.entry(key).or_insert_with(|| Fact {
            month: month_text(k).parse().expect("month"),
            ..template.clone()
        });
        if f.value == 0 {
            f.value = 777;
        }
    }
    facts.into_values().collect()
}

fn check_random_case(seed: u64) -> Diffs {
    let facts = random_case(seed);
    let country_names = reference_country_names();
    let product_names: BTreeMap<String, String> = CODE_POOL
        .iter()
        .map(|c| (c.to_string(), format!("随机商品{c},含逗号")))
        .collect();
    let dir = tempfile::tempdir().expect("tempdir");
    let conn = build_from_facts(
        dir.path(),
        &facts,
        &product_names,
        &country_names,
        seed.is_multiple_of(2),
    );
    let o = Oracle::new(facts, country_tags(&conn), product_names, country_names);
    let mut d = Diffs::default();
    compare_dataset(&conn, &o, &mut d);
    for e in &mut d.errors {
        e.insert_str(0, &format!("[random case seed {seed}] "));
    }
    d
}

#[test]
fn random_facts_agree_with_the_oracle() {
    let started = std::time::Instant::now();
    let seeds: Vec<u64> = (0..50).map(|i| 0xC0FFEE + i * 7919).collect();
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(4)
        .clamp(1, 8);
    let mut total = Diffs::default();
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let mine: Vec<u64> = seeds.iter().copied().skip(t).step_by(threads).collect();
                s.spawn(move || {
                    let mut d = Diffs::default();
                    for seed in mine {
                        d.merge(check_random_case(seed));
                    }
                    d
                })
            })
            .collect();
        for h in handles {
            total.merge(h.join().expect("thread"));
        }
    });
    // The random data must keep exercising the edge cases.
    for feature in [
        "firstUnit/firstQuantity null (mixed units)",
        "firstUnit null, firstQuantity a sum (no unit)",
        "secondUnit/secondQuantity null (mixed units)",
        "yoyGrowthRate null (prev12 = 0)",
        "momGrowthRate null (M-1 = 0)",
        "bestRegion null (recent12 = 0)",
        "regionYoyGrowthRate null",
        "threeYearCAGR computed",
        "markets row of a 7xx partner",
        "markets row with 3 blocs",
        "region totals < global total (7xx)",
        "markets: tie on amount",
        "topProducts: tie on amount",
        "topProducts: tie on growth",
        "topProducts: tie on breadth and total",
        "topProducts: breadth tie broken by total",
    ] {
        assert!(
            total.features.get(feature).is_some_and(|n| *n > 0),
            "the random cases never had: {feature} ({:?})",
            total.features
        );
    }
    total.finish(&format!(
        "{} random cases ({:.1}s)",
        seeds.len(),
        started.elapsed().as_secs_f64()
    ));
}

// ------------------------------------------------- 3. hand-computed fixtures

/// A fact whose first quantity equals its value.
fn fact(month: u32, hs: &str, partner: &str, value: i64, unit1: &str, unit2: Option<&str>) -> Fact {
    Fact {
        month,
        hs: hs.into(),
        partner: partner.into(),
        value,
        q1: value,
        unit1: Some(unit1.into()),
        q2: if unit2.is_some() { 2 * value } else { 0 },
        unit2: unit2.map(String::from),
    }
}

fn months_of(year: u32) -> Vec<u32> {
    (1..=12).map(|m| year * 100 + m).collect()
}

fn names(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// Months 202301..202412 (one as-of month, 202412):
/// - A 85171300 (千克, no second unit): 502 US 100/month in 2023 and
///   150/month in 2024; 108 Cyprus 60 in 202410 and 40 in 202412; 701
///   (unknown) 100 in 202412;
/// - B 85171200 (台, second unit 千克 = 2 x value): 137 Turkey 50/month in
///   2024 only (starts late: prev12 = 0);
/// - C 85176200 (千克): 303 UK 100/month in 2023, 150/month 202401..202411,
///   350 in 202412;
/// - D 85176100 (千克): 304 Germany, the same numbers as C.
fn basic_fixture() -> (Vec<Fact>, BTreeMap<String, String>) {
    let mut facts = Vec::new();
    for m in months_of(2023) {
        facts.push(fact(m, "85171300", "502", 100, "千克", None));
        facts.push(fact(m, "85176200", "303", 100, "千克", None));
        facts.push(fact(m, "85176100", "304", 100, "千克", None));
    }
    for m in months_of(2024) {
        let cd = if m == 202412 { 350 } else { 150 };
        facts.push(fact(m, "85171300", "502", 150, "千克", None));
        facts.push(fact(m, "85171200", "137", 50, "台", Some("千克")));
        facts.push(fact(m, "85176200", "303", cd, "千克", None));
        facts.push(fact(m, "85176100", "304", cd, "千克", None));
    }
    facts.push(fact(202410, "85171300", "108", 60, "千克", None));
    facts.push(fact(202412, "85171300", "108", 40, "千克", None));
    facts.push(fact(202412, "85171300", "701", 100, "千克", None));
    let products = names(&[
        ("85171300", "手机,甲"),
        ("85171200", "座机乙"),
        ("85176200", "设备丙"),
        ("85176100", "基站丁"),
    ]);
    (facts, products)
}

/// Checks the answer and the oracle against the hand-written numbers.
fn expect_both(d: &mut Diffs, conn: &Connection, o: &Oracle, target: &str, expected: &Value) {
    d.expect_ok(conn, target, expected);
    // The oracle must agree with the hand-written numbers too.
    let mut self_check = Diffs::default();
    let from_oracle = oracle_answer(o, target);
    self_check.check(&format!("ORACLE {target}"), expected, &from_oracle);
    d.merge(self_check);
}

/// The oracle's answer to the few request shapes the fixtures use.
fn oracle_answer(o: &Oracle, target: &str) -> Value {
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let params: BTreeMap<&str, &str> = query
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .collect();
    let hs = params.get("hsCode").copied().unwrap_or("");
    match path {
        "/skill/dashboard" => {
            let m = params
                .get("currentMonth")
                .map(|m| month_index(m.parse().expect("month")))
                .unwrap_or(o.latest);
            o.dashboard(&o.view(hs).metrics(m, o.tags()))
        }
        "/skill/markets" => {
            let mut rows = o.markets(&o.view(hs));
            if params.get("order") == Some(&"asc") {
                rows.sort_by(|a, b| a.1.cmp(&b.1).then(a.0.cmp(&b.0)));
            }
            let min: i64 = params.get("minAmount").map_or(0, |v| v.parse().expect("n"));
            rows.retain(|r| r.1 >= min);
            rows_json(&rows, 0, 50)
        }
        "/skill/topProducts" => {
            let num =
                |k: &str, default: i64| params.get(k).map_or(default, |v| v.parse().expect("n"));
            let q = TopQuery {
                level: num("level", 8) as usize,
                sort: match params.get("sortBy").copied().unwrap_or("growth") {
                    "amount" => SortBy::Amount,
                    "marketBreadth" => SortBy::Breadth,
                    _ => SortBy::Growth,
                },
                region: params
                    .get("regionFilter")
                    .map(|r| *region_keys().iter().find(|k| *k == r).expect("region")),
                min_amount: num("minAmount", 10_000_000),
                max_concentration: params
                    .get("maxConcentration")
                    .map(|v| v.parse().expect("f")),
                limit: num("limit", 30) as usize,
                offset: num("offset", 0) as usize,
                min_base: num("minBase", 1_000_000),
            };
            o.top_products(&o.latest_metrics(q.level), &q).0
        }
        other => panic!("no oracle for {other}"),
    }
}

/// Keeps only some fields of each entry of an array answer.
fn project(data: &Value, fields: &[&str]) -> Value {
    Value::Array(
        data.as_array()
            .map(|a| {
                a.iter()
                    .map(|e| {
                        let mut o = serde_json::Map::new();
                        for f in fields {
                            o.insert(f.to_string(), e[*f].clone());
                        }
                        Value::Object(o)
                    })
                    .collect()
            })
            .unwrap_or_default(),
    )
}

/// topProducts, projected, against hand-written entries (and the oracle).
fn expect_top(
    d: &mut Diffs,
    conn: &Connection,
    o: &Oracle,
    target: &str,
    fields: &[&str],
    expected: Value,
) {
    d.count(target);
    let r = cnexport_api::answer(conn, target);
    assert_eq!(r.status, 200, "{target}: {}", r.body);
    d.check(target, &expected, &project(&r.body["data"], fields));
    d.check(
        &format!("ORACLE {target}"),
        &expected,
        &project(&oracle_answer(o, target), fields),
    );
}

fn zero_regions() -> Value {
    json!({
        "asiaTotal": 0, "asiaPercent": 0.0, "europeTotal": 0, "europePercent": 0.0,
        "africaTotal": 0, "africaPercent": 0.0, "northAmericaTotal": 0, "northAmericaPercent": 0.0,
        "southAmericaTotal": 0, "southAmericaPercent": 0.0, "oceaniaTotal": 0, "oceaniaPercent": 0.0,
    })
}

#[test]
fn hand_computed_basic_fixture() {
    let (facts, products) = basic_fixture();
    let countries = reference_country_names();
    let dir = tempfile::tempdir().expect("tempdir");
    let conn = build_from_facts(dir.path(), &facts, &products, &countries, true);
    let o = Oracle::new(facts, country_tags(&conn), products, countries);
    let mut d = Diffs::default();

    // A: a 7xx partner in the total but in no region; Cyprus in 3 blocs.
    let a = json!({
        "hsCode": "85171300",
        "productName": "手机,甲",
        "currentMonth": "202412",
        "recent12mGlobalTotal": 2000, // 12*150 + (60+40) + 100
        "prev12mGlobalTotal": 1200,   // 12*100
        "yoyGrowthRate": 66.67,       // (2000/1200 - 1)*100 = 66.666..
        "momGrowthRate": 93.33,       // M = 150+40+100 = 290, M-1 = 150: 93.333..
        "activeCountriesCount": 3,
        "monthlyActivityCount": 12,
        "top3ConcentrationPercent": 100.0,
        "avgCountryActiveMonths": 5.0, // (12 + 2 + 1) / 3
        "firstUnit": "千克",
        "firstQuantity": 2000,
        "secondUnit": null,
        "secondQuantity": 0,
        // Cyprus (108) is coded in Asia; 701 is in no region: 5 + 90 = 95 < 100.
        "regionBreakdown": {
            "asiaTotal": 100, "asiaPercent": 5.0,
            "europeTotal": 0, "europePercent": 0.0,
            "africaTotal": 0, "africaPercent": 0.0,
            "northAmericaTotal": 1800, "northAmericaPercent": 90.0,
            "southAmericaTotal": 0, "southAmericaPercent": 0.0,
            "oceaniaTotal": 0, "oceaniaPercent": 0.0,
        },
        // Cyprus counts in middleEast, beltRoad and eu at once.
        "tradeBlocBreakdown": {
            "middleEastTotal": 100, "middleEastPercent": 5.0,
            "beltRoadTotal": 100, "beltRoadPercent": 5.0,
            "aseanTotal": 0, "aseanPercent": 0.0,
            "euTotal": 100, "euPercent": 5.0,
            "usmcaTotal": 1800, "usmcaPercent": 90.0,
        },
        "bestRegion": {"regionName": "northAmerica", "percent": 90.0},
        // g3 = (210+150+290)/(3*100) - 1, g12 = 2000/1200 - 1, gb = (3-1)/1:
        // 100*(0.5 tanh(1.1667) + 0.3 tanh(0.6667) + 0.2 tanh(2)) = 77.924..
        "momentumScore": 77.92,
    });
    expect_both(&mut d, &conn, &o, "/skill/dashboard?hsCode=85171300", &a);
    expect_both(
        &mut d,
        &conn,
        &o,
        "/skill/dashboard?hsCode=85171300&currentMonth=202412",
        &a,
    );

    // B: starts in 2024, prev12 = 0: growth null, momentum ratios count +1.
    let mut b_regions = zero_regions();
    b_regions["asiaTotal"] = json!(600);
    b_regions["asiaPercent"] = json!(100.0);
    let b = json!({
        "hsCode": "85171200",
        "productName": "座机乙",
        "currentMonth": "202412",
        "recent12mGlobalTotal": 600, // 12*50
        "prev12mGlobalTotal": 0,
        "yoyGrowthRate": null,
        "momGrowthRate": 0.0, // 50/50 - 1
        "activeCountriesCount": 1,
        "monthlyActivityCount": 12,
        "top3ConcentrationPercent": 100.0,
        "avgCountryActiveMonths": 12.0,
        "firstUnit": "台",
        "firstQuantity": 600,
        "secondUnit": "千克",
        "secondQuantity": 1200, // 2 x 600
        "regionBreakdown": b_regions,
        // Turkey: Middle East and Belt and Road.
        "tradeBlocBreakdown": {
            "middleEastTotal": 600, "middleEastPercent": 100.0,
            "beltRoadTotal": 600, "beltRoadPercent": 100.0,
            "aseanTotal": 0, "aseanPercent": 0.0,
            "euTotal": 0, "euPercent": 0.0,
            "usmcaTotal": 0, "usmcaPercent": 0.0,
        },
        "bestRegion": {"regionName": "asia", "percent": 100.0},
        // g3 = +1 (base 0), g12 = +1 (base 0), gb = (1-0)/max(0,1) = 1:
        // 100*tanh(1) = 76.159..
        "momentumScore": 76.16,
    });
    expect_both(&mut d, &conn, &o, "/skill/dashboard?hsCode=85171200", &b);

    // The 4-digit roll-up 8517 = A + B + C + D.
    let r8517 = json!({
        "hsCode": "8517",
        "productName": null,
        "currentMonth": "202412",
        "recent12mGlobalTotal": 6600, // 2000 + 600 + 2000 + 2000
        "prev12mGlobalTotal": 3600,   // 1200 + 0 + 1200 + 1200
        "yoyGrowthRate": 83.33,       // 6600/3600 - 1 = 0.8333..
        "momGrowthRate": 108.0,       // M = 290+50+350+350 = 1040, M-1 = 150+50+150+150 = 500
        "activeCountriesCount": 6,    // 502 108 701 137 303 304
        "monthlyActivityCount": 12,
        "top3ConcentrationPercent": 87.88, // (2000+2000+1800)/6600 = 87.878..
        "avgCountryActiveMonths": 8.5,     // (12+2+1+12+12+12)/6 = 51/6
        // 千克 (A, C, D) and 台 (B): mixed, both null.
        "firstUnit": null,
        "firstQuantity": null,
        // Only B has a second unit: no unit does not mix.
        "secondUnit": "千克",
        "secondQuantity": 1200,
        "regionBreakdown": {
            "asiaTotal": 700, "asiaPercent": 10.61,        // 108 + 137: 700/6600
            "europeTotal": 4000, "europePercent": 60.61,   // 303 + 304
            "africaTotal": 0, "africaPercent": 0.0,
            "northAmericaTotal": 1800, "northAmericaPercent": 27.27,
            "southAmericaTotal": 0, "southAmericaPercent": 0.0,
            "oceaniaTotal": 0, "oceaniaPercent": 0.0,
        },
        "tradeBlocBreakdown": {
            "middleEastTotal": 700, "middleEastPercent": 10.61, // 108 + 137
            "beltRoadTotal": 700, "beltRoadPercent": 10.61,     // 108 + 137
            "aseanTotal": 0, "aseanPercent": 0.0,
            "euTotal": 2100, "euPercent": 31.82,                // 108 + 304: 31.818..
            "usmcaTotal": 1800, "usmcaPercent": 27.27,
        },
        "bestRegion": {"regionName": "europe", "percent": 60.61},
        // g3 = (650+150+650+650)/(300+0+300+300) - 1, g12 = 6600/3600 - 1,
        // gb = (6-3)/3: 100*(0.5 tanh(1.3333) + 0.3 tanh(0.8333) + 0.2 tanh(1)) = 79.202..
        "momentumScore": 79.20,
    });
    expect_both(&mut d, &conn, &o, "/skill/dashboard?hsCode=8517", &r8517);

    // Markets of A: ties (108 and 701 at 100) by countryCode; 701 has no
    // continent and no tags.
    let us = json!({"countryName": "美国", "countryCode": "502", "continent": "北美洲",
        "tradeTags": ["美墨加"], "recent12mTotal": 1800, "monthlyAvg": 150.0, "threeYearCAGR": null});
    let cy = json!({"countryName": "塞浦路斯", "countryCode": "108", "continent": "亚洲",
        "tradeTags": ["中东", "一带一路", "欧盟"], "recent12mTotal": 100,
        "monthlyAvg": 8.33, // 100/12 = 8.333..
        "threeYearCAGR": null});
    let unknown = json!({"countryName": "国（地）别不详", "countryCode": "701", "continent": null,
        "tradeTags": [], "recent12mTotal": 100, "monthlyAvg": 8.33, "threeYearCAGR": null});
    let m = "/skill/markets?hsCode=85171300";
    expect_both(&mut d, &conn, &o, m, &json!([us, cy, unknown]));
    expect_both(
        &mut d,
        &conn,
        &o,
        &format!("{m}&sortBy=amount&order=asc"),
        &json!([cy, unknown, us]),
    );
    expect_both(
        &mut d,
        &conn,
        &o,
        &format!("{m}&minAmount=100"),
        &json!([us, cy, unknown]),
    );
    expect_both(
        &mut d,
        &conn,
        &o,
        &format!("{m}&minAmount=101"),
        &json!([us]),
    );

    // topProducts.
    // minBase=0: these hand-made bases are far below the low-base threshold.
    let t = "/skill/topProducts?minAmount=0&minBase=0";
    // growth: B (null) left out; A, C, D tie at 66.67 -> hsCode order.
    expect_top(
        &mut d,
        &conn,
        &o,
        t,
        &["rank", "hsCode", "yoyGrowthRate"],
        json!([
            {"rank": 1, "hsCode": "85171300", "yoyGrowthRate": 66.67},
            {"rank": 2, "hsCode": "85176100", "yoyGrowthRate": 66.67},
            {"rank": 3, "hsCode": "85176200", "yoyGrowthRate": 66.67},
        ]),
    );
    // amount: A, C, D tie at 2000 -> hsCode order; then B.
    expect_top(
        &mut d,
        &conn,
        &o,
        &format!("{t}&sortBy=amount"),
        &["rank", "hsCode", "recent12mGlobalTotal"],
        json!([
            {"rank": 1, "hsCode": "85171300", "recent12mGlobalTotal": 2000},
            {"rank": 2, "hsCode": "85176100", "recent12mGlobalTotal": 2000},
            {"rank": 3, "hsCode": "85176200", "recent12mGlobalTotal": 2000},
            {"rank": 4, "hsCode": "85171200", "recent12mGlobalTotal": 600},
        ]),
    );
    // offset/limit: rank stays the position in the whole ranking.
    expect_top(
        &mut d,
        &conn,
        &o,
        &format!("{t}&sortBy=amount&offset=1&limit=2"),
        &["rank", "hsCode"],
        json!([
            {"rank": 2, "hsCode": "85176100"},
            {"rank": 3, "hsCode": "85176200"},
        ]),
    );
    // marketBreadth: A (3 countries), then 1 country each by recent12
    // desc (D 2000 = C 2000 -> hsCode, then B 600).
    expect_top(
        &mut d,
        &conn,
        &o,
        &format!("{t}&sortBy=marketBreadth"),
        &["rank", "hsCode", "activeCountriesCount"],
        json!([
            {"rank": 1, "hsCode": "85171300", "activeCountriesCount": 3},
            {"rank": 2, "hsCode": "85176100", "activeCountriesCount": 1},
            {"rank": 3, "hsCode": "85176200", "activeCountriesCount": 1},
            {"rank": 4, "hsCode": "85171200", "activeCountriesCount": 1},
        ]),
    );
    // regionFilter=europe, amount: D, C (2000 each), then A and B at 0 by hsCode.
    let region_fields = [
        "rank",
        "hsCode",
        "regionTotal",
        "regionPercent",
        "regionYoyGrowthRate",
    ];
    expect_top(
        &mut d,
        &conn,
        &o,
        &format!("{t}&sortBy=amount&regionFilter=europe"),
        &region_fields,
        json!([
            {"rank": 1, "hsCode": "85176100", "regionTotal": 2000, "regionPercent": 100.0, "regionYoyGrowthRate": 66.67},
            {"rank": 2, "hsCode": "85176200", "regionTotal": 2000, "regionPercent": 100.0, "regionYoyGrowthRate": 66.67},
            {"rank": 3, "hsCode": "85171200", "regionTotal": 0, "regionPercent": 0.0, "regionYoyGrowthRate": null},
            {"rank": 4, "hsCode": "85171300", "regionTotal": 0, "regionPercent": 0.0, "regionYoyGrowthRate": null},
        ]),
    );
    // regionFilter=eu, growth: only D has an EU base (Germany 1200); A's EU
    // part (Cyprus, 100) has prev12 = 0 and is left out.
    expect_top(
        &mut d,
        &conn,
        &o,
        &format!("{t}&regionFilter=eu"),
        &region_fields,
        json!([
            {"rank": 1, "hsCode": "85176100", "regionTotal": 2000, "regionPercent": 100.0, "regionYoyGrowthRate": 66.67},
        ]),
    );
    // regionFilter=middleEast, amount: B 600 (Turkey), A 100 (Cyprus), D, C at 0.
    expect_top(
        &mut d,
        &conn,
        &o,
        &format!("{t}&sortBy=amount&regionFilter=middleEast"),
        &region_fields,
        json!([
            {"rank": 1, "hsCode": "85171200", "regionTotal": 600, "regionPercent": 100.0, "regionYoyGrowthRate": null},
            {"rank": 2, "hsCode": "85171300", "regionTotal": 100, "regionPercent": 5.0, "regionYoyGrowthRate": null},
            {"rank": 3, "hsCode": "85176100", "regionTotal": 0, "regionPercent": 0.0, "regionYoyGrowthRate": null},
            {"rank": 4, "hsCode": "85176200", "regionTotal": 0, "regionPercent": 0.0, "regionYoyGrowthRate": null},
        ]),
    );
    // Roll-ups, and maxConcentration (top3 of 8517 = 87.88, inclusive).
    expect_top(
        &mut d,
        &conn,
        &o,
        &format!("{t}&level=4&sortBy=amount&maxConcentration=87.88"),
        &["rank", "hsCode", "top3ConcentrationPercent"],
        json!([
            {"rank": 1, "hsCode": "8517", "top3ConcentrationPercent": 87.88},
        ]),
    );
    expect_top(
        &mut d,
        &conn,
        &o,
        &format!("{t}&level=4&sortBy=amount&maxConcentration=87.87"),
        &["rank"],
        json!([]),
    );
    expect_top(
        &mut d,
        &conn,
        &o,
        &format!("{t}&level=6&sortBy=amount"),
        &["rank", "hsCode", "recent12mGlobalTotal"],
        json!([
            {"rank": 1, "hsCode": "851713", "recent12mGlobalTotal": 2000},
            {"rank": 2, "hsCode": "851761", "recent12mGlobalTotal": 2000},
            {"rank": 3, "hsCode": "851762", "recent12mGlobalTotal": 2000},
            {"rank": 4, "hsCode": "851712", "recent12mGlobalTotal": 600},
        ]),
    );
    // Default minAmount is 10,000,000: nothing that small qualifies.
    expect_top(
        &mut d,
        &conn,
        &o,
        "/skill/topProducts?sortBy=amount",
        &["rank"],
        json!([]),
    );

    // Errors.
    let dash = "/skill/dashboard?hsCode=85171300";
    d.expect_error(&conn, &format!("{dash}&currentMonth=202411"), 404, "202411"); // before the first valid as-of month
    d.expect_error(&conn, &format!("{dash}&currentMonth=202501"), 404, "202501"); // after the data
    d.expect_error(
        &conn,
        &format!("{dash}&currentMonth=2024-12"),
        400,
        "currentMonth",
    );
    d.expect_error(
        &conn,
        &format!("{dash}&currentMonth=202413"),
        400,
        "currentMonth",
    );
    d.expect_error(&conn, "/skill/dashboard?hsCode=99999999", 404, "99999999");
    d.expect_error(&conn, "/skill/dashboard?hsCode=9999", 404, "9999");
    d.expect_error(&conn, "/skill/markets?hsCode=99999999", 404, "99999999");
    d.expect_error(&conn, "/skill/dashboard?hsCode=8517123", 400, "hsCode");
    d.expect_error(&conn, "/skill/topProducts?limit=101", 400, "limit");
    d.expect_error(&conn, "/skill/topProducts?limit=0", 400, "limit");
    d.expect_error(
        &conn,
        "/skill/topProducts?regionFilter=mars",
        400,
        "regionFilter",
    );
    d.expect_error(&conn, "/skill/topProducts?sortBy=price", 400, "sortBy");
    d.expect_error(&conn, "/skill/topProducts?level=5", 400, "level");
    d.expect_error(
        &conn,
        "/skill/topProducts?maxConcentration=101",
        400,
        "maxConcentration",
    );
    d.expect_error(
        &conn,
        "/skill/markets?hsCode=85171300&order=up",
        400,
        "order",
    );
    d.expect_error(
        &conn,
        "/skill/markets?hsCode=85171300&minAmount=-1",
        400,
        "minAmount",
    );

    d.finish("hand-computed basic fixture");
}

/// Months 202101..202412 (48 months: the 3-year CAGR base M-47..M-36 =
/// 2021 is inside the data), one code E 61091000 (件):
/// - 410 Brazil: 100/month in 2021, 800/month in 2024;
/// - 502 US: 1000 in 202101, 1331 in 202412;
/// - 601 Australia: 10/month in 2024;
/// - 116 Japan: 500 in 202101 only.
#[test]
fn hand_computed_cagr_and_early_months() {
    let mut facts = Vec::new();
    for m in months_of(2021) {
        facts.push(fact(m, "61091000", "410", 100, "件", None));
    }
    for m in months_of(2024) {
        facts.push(fact(m, "61091000", "410", 800, "件", None));
        facts.push(fact(m, "61091000", "601", 10, "件", None));
    }
    facts.push(fact(202101, "61091000", "502", 1000, "件", None));
    facts.push(fact(202412, "61091000", "502", 1331, "件", None));
    facts.push(fact(202101, "61091000", "116", 500, "件", None));
    let products = names(&[("61091000", "棉制T恤衫")]);
    let countries = reference_country_names();
    let dir = tempfile::tempdir().expect("tempdir");
    let conn = build_from_facts(dir.path(), &facts, &products, &countries, false);
    let o = Oracle::new(facts, country_tags(&conn), products, countries);
    let mut d = Diffs::default();

    // Japan has recent12 = 0: not listed.
    expect_both(
        &mut d,
        &conn,
        &o,
        "/skill/markets?hsCode=61091000",
        &json!([
            {"countryName": "巴西", "countryCode": "410", "continent": "拉丁美洲", "tradeTags": [],
             "recent12mTotal": 9600, "monthlyAvg": 800.0,
             "threeYearCAGR": 100.0}, // (9600/1200)^(1/3) - 1 = 8^(1/3) - 1 = 1
            {"countryName": "美国", "countryCode": "502", "continent": "北美洲", "tradeTags": ["美墨加"],
             "recent12mTotal": 1331, "monthlyAvg": 110.92, // 1331/12 = 110.9166..
             "threeYearCAGR": 10.0}, // (1331/1000)^(1/3) - 1 = 0.1
            {"countryName": "澳大利亚", "countryCode": "601", "continent": "大洋洲", "tradeTags": [],
             "recent12mTotal": 120, "monthlyAvg": 10.0,
             "threeYearCAGR": null}, // base 0
        ]),
    );

    // The latest month: prev12 (2023) = 0.
    expect_both(
        &mut d,
        &conn,
        &o,
        "/skill/dashboard?hsCode=61091000",
        &json!({
            "hsCode": "61091000",
            "productName": "棉制T恤衫",
            "currentMonth": "202412",
            "recent12mGlobalTotal": 11051, // 9600 + 1331 + 120
            "prev12mGlobalTotal": 0,
            "yoyGrowthRate": null,
            "momGrowthRate": 164.32, // (800+1331+10)/(800+10) - 1 = 2141/810 - 1 = 1.643209..
            "activeCountriesCount": 3,
            "monthlyActivityCount": 12,
            "top3ConcentrationPercent": 100.0,
            "avgCountryActiveMonths": 8.33, // (12 + 1 + 12)/3 = 8.333..
            "firstUnit": "件",
            "firstQuantity": 11051,
            "secondUnit": null,
            "secondQuantity": 0,
            "regionBreakdown": {
                "asiaTotal": 0, "asiaPercent": 0.0,
                "europeTotal": 0, "europePercent": 0.0,
                "africaTotal": 0, "africaPercent": 0.0,
                "northAmericaTotal": 1331, "northAmericaPercent": 12.04, // 12.044..
                "southAmericaTotal": 9600, "southAmericaPercent": 86.87, // 86.869..
                "oceaniaTotal": 120, "oceaniaPercent": 1.09,             // 1.0858..
            },
            "tradeBlocBreakdown": {
                "middleEastTotal": 0, "middleEastPercent": 0.0,
                "beltRoadTotal": 0, "beltRoadPercent": 0.0,
                "aseanTotal": 0, "aseanPercent": 0.0,
                "euTotal": 0, "euPercent": 0.0,
                "usmcaTotal": 1331, "usmcaPercent": 12.04,
            },
            "bestRegion": {"regionName": "southAmerica", "percent": 86.87},
            // g3 = +1 (202310..202312 = 0), g12 = +1, gb = (3-0)/max(0,1) = 3:
            // 100*(0.8 tanh(1) + 0.2 tanh(3)) = 80.828..
            "momentumScore": 80.83,
        }),
    );

    // The earliest valid as-of month, 202212 (= 202101 + 23): recent12
    // (2022) is empty, prev12 (2021) = 1200 + 1000 + 500 = 2700.
    let none_regions = json!({
        "asiaTotal": 0, "asiaPercent": null, "europeTotal": 0, "europePercent": null,
        "africaTotal": 0, "africaPercent": null, "northAmericaTotal": 0, "northAmericaPercent": null,
        "southAmericaTotal": 0, "southAmericaPercent": null, "oceaniaTotal": 0, "oceaniaPercent": null,
    });
    expect_both(
        &mut d,
        &conn,
        &o,
        "/skill/dashboard?hsCode=61091000&currentMonth=202212",
        &json!({
            "hsCode": "61091000",
            "productName": "棉制T恤衫",
            "currentMonth": "202212",
            "recent12mGlobalTotal": 0,
            "prev12mGlobalTotal": 2700,
            "yoyGrowthRate": -100.0,
            "momGrowthRate": null, // 0 / 0
            "activeCountriesCount": 0,
            "monthlyActivityCount": 0,
            "top3ConcentrationPercent": null,
            "avgCountryActiveMonths": null,
            "firstUnit": null,      // no fact in the window: no unit,
            "firstQuantity": 0,     // and the sum of nothing
            "secondUnit": null,
            "secondQuantity": 0,
            "regionBreakdown": none_regions,
            "tradeBlocBreakdown": {
                "middleEastTotal": 0, "middleEastPercent": null,
                "beltRoadTotal": 0, "beltRoadPercent": null,
                "aseanTotal": 0, "aseanPercent": null,
                "euTotal": 0, "euPercent": null,
                "usmcaTotal": 0, "usmcaPercent": null,
            },
            "bestRegion": null,
            // g3 = 0/300 - 1 = -1, g12 = 0/2700 - 1 = -1, gb = (0-3)/3 = -1:
            // -100*tanh(1) = -76.159..
            "momentumScore": -76.16,
        }),
    );
    // One month earlier has no 24-month window.
    d.expect_error(
        &conn,
        "/skill/dashboard?hsCode=61091000&currentMonth=202211",
        404,
        "202211",
    );
    d.expect_error(
        &conn,
        "/skill/dashboard?hsCode=61&currentMonth=202211",
        404,
        "202211",
    );
    d.finish("hand-computed CAGR fixture");
}

/// Markets needs only recent12 (and the CAGR base, null when outside the
/// data): docs/contract.md (3.3) sets no 24-month condition on `hs_count_month`, and (4.6)
/// keeps 404 for unknown codes. With 13 months of data (202401..202501),
/// recent12 = 202402..202501 lies inside the data.
///
/// KNOWN FAILURE (production deviation): markets answers 404 "metrics need
/// 24 months of data" because it requires `hs_base_metrics` rows.
#[test]
fn markets_with_less_than_24_months_of_data() {
    let mut facts = Vec::new();
    for m in months_of(2024).into_iter().chain([202501]) {
        facts.push(fact(m, "85171300", "502", 100, "千克", None));
    }
    let products = names(&[("85171300", "手机")]);
    let countries = reference_country_names();
    let dir = tempfile::tempdir().expect("tempdir");
    let conn = build_from_facts(dir.path(), &facts, &products, &countries, false);
    let mut d = Diffs::default();
    // No 24-month window: no dashboard, and nothing to rank.
    d.expect_error(&conn, "/skill/dashboard?hsCode=85171300", 404, "85171300");
    d.expect_ok(&conn, "/skill/topProducts?minAmount=0", &json!([]));
    d.expect_ok(
        &conn,
        "/skill/markets?hsCode=85171300",
        &json!([{"countryName": "美国", "countryCode": "502", "continent": "北美洲",
            "tradeTags": ["美墨加"],
            "recent12mTotal": 1200, // 202402..202501: 12 x 100
            "monthlyAvg": 100.0,
            "threeYearCAGR": null}]),
    );
    d.finish("markets with 13 months of data");
}

/// docs/metrics.md's figures on a fixture small enough to compute by hand (the
/// arithmetic is in the comments), and checked against the oracle too.
///
/// 85171300 (千克), months 202301..202412, as-of 202412:
/// - 502 US: 1,000,000 yuan / 500 kg a month in 2023, 1,500,000 / 600 kg in
///   2024; its 202301 value was first published as 900,000 and revised to
///   1,000,000 by a later release;
/// - 303 UK: 3,000,000 / 1,000 kg in 202301 only (exits);
/// - 108 Cyprus: 600,000 / 20 kg in 202410 and 400,000 / 20 kg in 202412
///   (enters).
#[test]
fn hand_computed_figures_of_metrics_md() {
    let k = |month: u32, partner: &str, value: i64, q1: i64| Fact {
        month,
        hs: "85171300".into(),
        partner: partner.into(),
        value,
        q1,
        unit1: Some("千克".into()),
        q2: 0,
        unit2: None,
    };
    let mut facts = Vec::new();
    for m in months_of(2023) {
        facts.push(k(m, "502", 1_000_000, 500));
    }
    for m in months_of(2024) {
        facts.push(k(m, "502", 1_500_000, 600));
    }
    facts.push(k(202301, "303", 3_000_000, 1_000));
    facts.push(k(202410, "108", 600_000, 20));
    facts.push(k(202412, "108", 400_000, 20));
    let products = names(&[("85171300", "手机")]);
    let countries = reference_country_names();

    // Two releases: the first with US 202301 at 900,000, the second revising it.
    let dir = tempfile::tempdir().expect("tempdir");
    let input = dir.path().join("input");
    let mut first = facts.clone();
    first.iter_mut().for_each(|f| {
        if f.month == 202301 && f.partner == "502" {
            f.value = 900_000;
        }
    });
    let revised: Vec<Fact> = facts
        .iter()
        .filter(|f| f.month == 202301 && f.partner == "502")
        .cloned()
        .collect();
    for (release, rows) in [("2025-01-20", &first), ("2025-02-20", &revised)] {
        std::fs::create_dir_all(input.join(release)).expect("mkdir");
        std::fs::write(
            input.join(release).join("bulletin.csv"),
            oracle::bulletin::csv_text(rows, &products, &countries, true),
        )
        .expect("write");
    }
    let db = dir.path().join("fixture.db");
    build(&input, &db);
    let conn = open(&db);
    let o = Oracle::new(facts, country_tags(&conn), products, countries.clone());
    let mut d = Diffs::default();

    let dash = cnexport_api::answer(&conn, "/skill/dashboard?hsCode=85171300");
    assert_eq!(dash.status, 200, "{}", dash.body);
    let extra = json!({
        "recent12mGlobalTotal": 19_000_000, // 12 * 1.5M + 0.6M + 0.4M
        "prev12mGlobalTotal": 15_000_000,   // 12 * 1M + 3M
        "yoyGrowthRate": 26.67,             // 19/15 - 1
        "lowBase": false,                   // 15M >= 1M
        "momLowBase": false,                // M-1 = 1.5M; 12 * 1.5M >= 1M
        "monthYoyGrowthRate": 90.0,         // 202412: 1.9M vs 202312: 1M
        "monthYoyLowBase": false,
        // g3 = (3 * 1.5M + 0.6M + 0.4M) / 3M - 1; g12 = 19/15 - 1; gb = (2 - 2) / 2
        "momentumComponents": {"g3": 0.8333, "g12": 0.2667, "gb": 0.0,
                               "weights": {"g3": 0.5, "g12": 0.3, "gb": 0.2}},
        "momentumScore": 41.93, // 100 * (0.5 tanh 0.8333 + 0.3 tanh 0.2667)
        "concentration": {
            "hhi": 9002.77,             // (18^2 + 1^2) / 19^2 * 10000
            "effectiveMarkets": 1.11,   // 361 / 325
            "hhiPrev": 6800.0,          // (12^2 + 3^2) / 15^2 * 10000
            "effectiveMarketsPrev": 1.47, // 225 / 153
            "marketsEntered": 1,        // Cyprus
            "marketsExited": 1,         // UK
        },
        // 19M / (12 * 600 + 40) kg and 15M / (12 * 500 + 1000) kg
        "unitValue": {"unit": "千克", "recent12": 2624.31, "prev12": 2142.86},
        // 100 ln(19/15) = 23.64 = price 100 ln(2624.31/2142.86) 20.27 + volume 100 ln(7240/7000) 3.37
        "priceVolume": {"valueChange": 23.64, "priceEffect": 20.27, "volumeEffect": 3.37},
    });
    d.check("dashboard", &extra, &like(&extra, &dash.body["data"]));
    d.check(
        "ORACLE dashboard",
        &extra,
        &like(
            &extra,
            &oracle_answer(&o, "/skill/dashboard?hsCode=85171300"),
        ),
    );

    // Contributions: US +6M / 15M = +40 pp, UK -3M = -20 pp, Cyprus +1M = +6.67 pp;
    // they add up to the 26.67% growth.
    let name = |c: &str| countries[c].clone();
    let contributions = json!({
        "hsCode": "85171300", "currentMonth": "202412",
        "recent12mGlobalTotal": 19_000_000, "prev12mGlobalTotal": 15_000_000,
        "change": 4_000_000, "yoyGrowthRate": 26.67, "marketCount": 3,
        "markets": [
            {"countryCode": "502", "countryName": name("502"), "recent12mTotal": 18_000_000,
             "prev12mTotal": 12_000_000, "change": 6_000_000, "contributionPp": 40.0, "yoyGrowthRate": 50.0},
            {"countryCode": "303", "countryName": name("303"), "recent12mTotal": 0,
             "prev12mTotal": 3_000_000, "change": -3_000_000, "contributionPp": -20.0, "yoyGrowthRate": -100.0},
            {"countryCode": "108", "countryName": name("108"), "recent12mTotal": 1_000_000,
             "prev12mTotal": 0, "change": 1_000_000, "contributionPp": 6.67, "yoyGrowthRate": null},
        ],
    });
    expect_both_json(
        &mut d,
        &conn,
        "/skill/contributions?hsCode=85171300",
        &contributions,
        o.contributions(&o.view("85171300")),
    );

    // Per market: US 18M / 7200 kg = 2500, 12M / 6000 kg = 2000; value
    // 100 ln 1.5 = 40.55 = price 100 ln 1.25 (22.31) + volume 100 ln 1.2 (18.23).
    // Cyprus has no prev12: its unit value then, and the split, are null.
    let markets = cnexport_api::answer(&conn, "/skill/markets?hsCode=85171300");
    let rows = markets.body["data"].as_array().expect("rows");
    assert_eq!(rows.len(), 2, "{}", markets.body);
    d.check(
        "markets[US]",
        &json!({"countryCode": "502", "prev12mTotal": 12_000_000, "iso3": "USA", "iso2": "US", "m49": "840",
                "unitValue": {"unit": "千克", "recent12": 2500.0, "prev12": 2000.0},
                "priceVolume": {"valueChange": 40.55, "priceEffect": 22.31, "volumeEffect": 18.23}}),
        &like(&json!({"countryCode": 0, "prev12mTotal": 0, "iso3": 0, "iso2": 0, "m49": 0, "unitValue": 0, "priceVolume": 0}), &rows[0]),
    );
    d.check(
        "markets[Cyprus]",
        &json!({"countryCode": "108", "prev12mTotal": 0, "iso3": "CYP",
                "unitValue": {"unit": "千克", "recent12": 25000.0, "prev12": null},
                "priceVolume": null}),
        &like(&json!({"countryCode": 0, "prev12mTotal": 0, "iso3": 0, "unitValue": 0, "priceVolume": 0}), &rows[1]),
    );

    // Vintages: 202301 to the US was first published as 900,000.
    let h = cnexport_api::answer(
        &conn,
        "/skill/history?hsCode=85171300&countryCode=USA&vintages=true",
    );
    assert_eq!(h.status, 200, "{}", h.body);
    assert_eq!(h.body["data"]["countryCode"], "502");
    assert_eq!(h.body["data"]["iso3"], "USA");
    let detail = h.body["data"]["monthlyDetail"].as_array().expect("detail");
    let jan = detail
        .iter()
        .find(|e| e["month"] == "202301")
        .expect("202301");
    assert_eq!(jan["amount"], 1_000_000);
    assert_eq!(jan["firstPublished"], 900_000);
    assert_eq!(jan["revision"], 100_000);
    let dec = detail
        .iter()
        .find(|e| e["month"] == "202412")
        .expect("202412");
    assert_eq!(
        (dec["firstPublished"].clone(), dec["revision"].clone()),
        (json!(1_500_000), json!(0))
    );
    // Without vintages=true, the plain answer is unchanged.
    let plain = cnexport_api::answer(&conn, "/skill/history?hsCode=85171300&countryCode=502");
    assert!(plain.body["data"]["monthlyDetail"][0]
        .get("firstPublished")
        .is_none());

    // /skill/meta: 24 months, none missing; "is 202501 in?" no, after the latest.
    let meta = cnexport_api::answer(&conn, "/skill/meta?month=202501");
    d.check(
        "meta",
        &json!({"latestMonth": "202412", "firstMonth": "202301", "monthCount": 24,
                "missingMonths": [], "codeCount": 1, "countryCount": 3, "factCount": 27,
                "currency": "CNY", "unit": "元", "month": "202501", "monthPresent": false,
                "monthStatus": "afterLatest"}),
        &like(
            &json!({"latestMonth": 0, "firstMonth": 0, "monthCount": 0, "missingMonths": 0, "codeCount": 0,
                    "countryCount": 0, "factCount": 0, "currency": 0, "unit": 0, "month": 0,
                    "monthPresent": 0, "monthStatus": 0}),
            &meta.body["data"],
        ),
    );
    d.finish("docs/metrics.md figures by hand");
}

/// `actual` with only the top-level keys of `expected` (to compare a few
/// fields of a larger answer).
fn like(expected: &Value, actual: &Value) -> Value {
    let mut o = serde_json::Map::new();
    for k in expected.as_object().expect("object").keys() {
        o.insert(k.clone(), actual.get(k).cloned().unwrap_or(Value::Null));
    }
    Value::Object(o)
}

/// Checks an answer against hand-written data, and the oracle's too.
fn expect_both_json(
    d: &mut Diffs,
    conn: &Connection,
    target: &str,
    expected: &Value,
    oracle: Value,
) {
    d.expect_ok(conn, target, expected);
    d.check(&format!("ORACLE {target}"), expected, &oracle);
}
