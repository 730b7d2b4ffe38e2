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
    compare_next(conn, o, d);
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
            SortBy::Chance
                if w[0]["top3ConcentrationPercent"] == w[1]["top3ConcentrationPercent"] =>
            {
                d.note("topProducts: chance tie on concentration")
            }
            SortBy::Season if w[0]["nextMonthShare"] == w[1]["nextMonthShare"] => {
                d.note("topProducts: season tie on nextMonthShare")
            }
            _ => {}
        }
    }
    for e in &entries {
        match sort {
            SortBy::Chance => d.note("topProducts: a chance entry"),
            SortBy::Season => d.note("topProducts: a season entry"),
            _ => {}
        }
        if e["fastestGrowingMarket"].is_null() {
            d.note("topProducts: fastestGrowingMarket null");
        } else {
            d.note("topProducts: fastestGrowingMarket");
        }
        if e["nextMonthShare"].is_null() {
            d.note("topProducts: nextMonthShare null");
        }
    }
}

// ------------------------------------------- issue 14: the next answers

fn add_notes(d: &mut Diffs, notes: Vec<&'static str>) {
    for n in notes {
        d.note(n);
    }
}

/// The entries `offset..offset + limit` of an array.
fn page_of(rows: &Value, offset: usize, limit: usize) -> Value {
    Value::Array(
        rows.as_array()
            .expect("array")
            .iter()
            .skip(offset)
            .take(limit)
            .cloned()
            .collect(),
    )
}

/// The as-of months seasonality is asked at: the latest, a year earlier,
/// the end of the data's first year and a month early in the data (often
/// without a complete year).
fn season_months(o: &Oracle) -> Vec<i64> {
    let mut months = vec![o.latest, o.latest - 12, o.first + 11, o.first + 4];
    months.retain(|m| *m >= o.first && *m <= o.latest);
    months.sort_unstable();
    months.dedup();
    months
}

/// The answers of issue 14 on a data set (any length): priceband,
/// seasonality (to the world and to destinations, at several as-of months),
/// long series (whole history, ranges, to a destination) and their errors
/// for every code of every level; the chapter at the latest and the
/// earliest valid as-of months (404 without a 24-month window).
/// topProducts' chance and season, and the dashboard's seasonality, are in
/// `compare_top_products` and the dashboards.
fn compare_next(conn: &Connection, o: &Oracle, d: &mut Diffs) {
    let series = o.code_series();
    let full = o.latest - 23 >= o.first;
    let every_partner = o.partners();
    let (first, latest) = (month_text(o.first), month_text(o.latest));
    for level in [8, 6, 4, 2] {
        for (i, code) in o.codes(level).into_iter().enumerate() {
            let view = o.view(&code);
            let mut notes = Vec::new();

            // Price bands: the whole list, and a page (the medians and
            // counts stay those of every destination).
            let pb = o.priceband(&view, &mut notes);
            let n = pb["marketCount"].as_u64().expect("marketCount") as usize;
            d.expect_ok_total(
                conn,
                &format!("/skill/priceband?hsCode={code}&limit=1000"),
                &pb,
                n,
            );
            let mut page = pb.clone();
            page["markets"] = page_of(&pb["markets"], 1, 2);
            d.expect_ok_total(
                conn,
                &format!("/skill/priceband?hsCode={code}&limit=2&offset=1"),
                &page,
                n,
            );

            // Seasonality, to the world and to the largest and smallest
            // destinations.
            let partners = oracle::next::partners_by_recent(&view);
            let s = format!("/skill/seasonality?hsCode={code}");
            d.expect_ok(conn, &s, &o.seasonality(&view, o.latest, None, &mut notes));
            for m in season_months(o) {
                d.expect_ok(
                    conn,
                    &format!("{s}&currentMonth={}", month_text(m)),
                    &o.seasonality(&view, m, None, &mut notes),
                );
            }
            let mut ends: Vec<&String> = partners.iter().map(|p| &p.0).take(1).collect();
            ends.extend(partners.iter().map(|p| &p.0).next_back());
            ends.dedup();
            for p in &ends {
                for m in [o.latest, o.first + 11] {
                    if m > o.latest {
                        continue;
                    }
                    d.expect_ok(
                        conn,
                        &format!("{s}&countryCode={p}&currentMonth={}", month_text(m)),
                        &o.seasonality(&view, m, Some(p), &mut notes),
                    );
                }
            }

            // Series: the default range, the whole history, a range, one
            // month; to the largest destination over the whole history and
            // to the smallest over the default range.
            // The default range: the 23 months before `to` and `to` (M), the
            // months before the data listed with 0 (contract 4.14).
            let default_from = o.latest - 23;
            let sr = format!("/skill/series?hsCode={code}");
            d.expect_ok(conn, &sr, &o.series(&view, default_from, o.latest, None));
            d.expect_ok(
                conn,
                &format!("{sr}&from={first}&to={latest}"),
                &o.series(&view, o.first, o.latest, None),
            );
            let (a, b) = ((o.first + 2).min(o.latest), (o.latest - 3).max(o.first));
            let (a, b) = (a.min(b), a.max(b));
            d.expect_ok(
                conn,
                &format!("{sr}&from={}&to={}", month_text(a), month_text(b)),
                &o.series(&view, a, b, None),
            );
            d.expect_ok(
                conn,
                &format!("{sr}&from={first}&to={first}"),
                &o.series(&view, o.first, o.first, None),
            );
            // Only `to`: the 23 months before it, and it.
            d.expect_ok(
                conn,
                &format!("{sr}&to={}", month_text(b)),
                &o.series(&view, b - 23, b, None),
            );
            if let Some(p) = ends.first() {
                d.expect_ok(
                    conn,
                    &format!("{sr}&countryCode={p}&from={first}&to={latest}"),
                    &o.series(&view, o.first, o.latest, Some(p)),
                );
            }
            if let Some(p) = ends.last() {
                d.expect_ok(
                    conn,
                    &format!("{sr}&countryCode={p}"),
                    &o.series(&view, default_from, o.latest, Some(p)),
                );
            }
            if partners.len() == 1 || partners.iter().any(|p| p.1 == 0) {
                notes.push("series: a destination with nothing in recent12");
            }
            if o.latest - o.first + 1 < 12 {
                notes.push("fewer than 12 months of data");
            }
            // A destination of the data without a record of this code.
            if let Some(p) = every_partner
                .iter()
                .find(|p| !partners.iter().any(|q| &q.0 == *p))
            {
                d.expect_error(
                    conn,
                    &format!("{sr}&countryCode={p}&from={first}"),
                    404,
                    "该商品对此国家暂无出口记录",
                );
                d.expect_error(
                    conn,
                    &format!("{s}&countryCode={p}"),
                    404,
                    "该商品对此国家暂无出口记录",
                );
            }
            if i == 0 {
                series_errors(conn, o, &code, d);
            }

            // The chapter, at the latest and the earliest valid as-of month.
            if full {
                let c = format!("/skill/chapter?hsCode={code}");
                for (target, m) in [
                    (c.clone(), o.latest),
                    (
                        format!("{c}&currentMonth={}", month_text(o.first + 23)),
                        o.first + 23,
                    ),
                ] {
                    let expected = o.chapter(&series, &code, m, &mut notes);
                    let n = expected["headingCount"].as_u64().expect("count") as usize;
                    d.expect_ok_total(conn, &target, &expected, n);
                    if level == 2 && m == o.latest {
                        let mut page = expected.clone();
                        page["headings"] = page_of(&expected["headings"], 1, 1);
                        d.expect_ok_total(conn, &format!("{target}&limit=1&offset=1"), &page, n);
                    }
                }
                if i == 0 {
                    for m in [o.first + 22, o.latest + 1] {
                        d.expect_error(
                            conn,
                            &format!("{c}&currentMonth={}", month_text(m)),
                            404,
                            &month_text(m),
                        );
                    }
                }
            } else {
                d.expect_error(conn, &format!("/skill/chapter?hsCode={code}"), 404, "");
            }
            add_notes(d, notes);
        }
    }
    for bad in ["99999999", "9999"] {
        for path in ["priceband", "chapter", "seasonality", "series"] {
            d.expect_error(conn, &format!("/skill/{path}?hsCode={bad}"), 404, bad);
        }
    }
    if !full {
        // Nothing to rank without a 24-month window.
        for sort in SortBy::ALL {
            d.expect_ok(
                conn,
                &format!("/skill/topProducts?minAmount=0&sortBy={}", sort.param()),
                &json!([]),
            );
        }
    }
}

/// The 400s of long series: a month outside the data, `from` after `to`,
/// malformed months.
fn series_errors(conn: &Connection, o: &Oracle, code: &str, d: &mut Diffs) {
    let sr = format!("/skill/series?hsCode={code}");
    let (before, after) = (month_text(o.first - 1), month_text(o.latest + 1));
    for query in [
        format!("from={before}"),
        format!("to={after}"),
        format!("from={before}&to={}", month_text(o.latest)),
        format!("from={}&to={after}", month_text(o.first)),
    ] {
        d.expect_error(conn, &format!("{sr}&{query}"), 400, "");
    }
    if o.latest > o.first {
        d.expect_error(
            conn,
            &format!(
                "{sr}&from={}&to={}",
                month_text(o.latest),
                month_text(o.latest - 1)
            ),
            400,
            "",
        );
    }
    for bad in ["2024-01", "202413", "20241", "abc"] {
        d.expect_error(conn, &format!("{sr}&from={bad}"), 400, "from");
        d.expect_error(conn, &format!("{sr}&to={bad}"), 400, "to");
    }
    // Seasonality at a month outside the data: refused (the contract gives
    // no status).
    d.expect_refused(
        conn,
        &format!("/skill/seasonality?hsCode={code}&currentMonth={after}"),
        &[400, 404],
    );
    d.expect_error(
        conn,
        &format!("/skill/seasonality?hsCode={code}&currentMonth=202413"),
        400,
        "currentMonth",
    );
    d.expect_error(
        conn,
        &format!("/skill/priceband?hsCode={code}&limit=1001"),
        400,
        "limit",
    );
    d.expect_error(
        conn,
        &format!("/skill/chapter?hsCode={code}&limit=101"),
        400,
        "limit",
    );
}

// ------------------------------------------------- 1. generated bulletins

/// The oracle over a generator's truth (the final value of every month,
/// code and destination), with the names the bulletins carry.
fn generated_oracle(g: &cnexport_samplegen::Generated, conn: &Connection) -> Oracle {
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
    Oracle::new(facts, country_tags(conn), product_names, country_names)
}

fn check_generated(seed: u64) {
    let started = std::time::Instant::now();
    let g = cnexport_samplegen::generate(&cnexport_samplegen::GenConfig::small(seed));
    let dir = tempfile::tempdir().expect("tempdir");
    let input = dir.path().join("landing");
    cnexport_testkit::write_tree(&input, g.files.iter().map(|(rel, bytes)| (rel, bytes)));
    let db = dir.path().join("gen.db");
    build(&input, &db);
    let conn = open(&db);
    let o = generated_oracle(&g, &conn);
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

/// The answers of issue 14 on the sample database (`sample_data/`, the
/// generator's `GenConfig::sample()`): price bands, seasonality, series
/// and chapters of every code, topProducts' chance and season rankings
/// with their new entry fields, and the dashboards' seasonality at the
/// latest month.
#[test]
fn sample_database_next_answers() {
    let started = std::time::Instant::now();
    let g = cnexport_samplegen::generate(&cnexport_samplegen::GenConfig::sample());
    let conn = open(crate::common::sample_db());
    let o = generated_oracle(&g, &conn);
    // The committed sample is the generator's output: the same facts.
    let (count, total): (i64, i64) = conn
        .query_row(
            "SELECT count(*), coalesce(sum(value), 0) FROM monthly_facts",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .expect("count facts");
    let truth: i64 = g.truth.values().map(|t| t.value).sum();
    assert_eq!(
        total, truth,
        "sample_data/ is not GenConfig::sample()'s ({count} facts)"
    );
    let mut d = Diffs::default();
    compare_next(&conn, &o, &mut d);
    for level in [8, 6, 4, 2] {
        let all = o.latest_metrics(level);
        for m in &all {
            d.expect_ok(
                &conn,
                &format!("/skill/dashboard?hsCode={}", m.code),
                &o.dashboard(m),
            );
        }
        for sort in [SortBy::Chance, SortBy::Season] {
            for region in [None, Some("asia"), Some("eu")] {
                for (min_amount, limit) in [(0, 100), (10_000_000, 30)] {
                    let q = TopQuery {
                        level,
                        sort,
                        region,
                        min_amount,
                        limit,
                        ..TopQuery::defaults()
                    };
                    let (expected, n) = o.top_products(&all, &q);
                    note_ties(&mut d, &expected, sort, region.is_some());
                    d.expect_ok(&conn, &q.target(), &expected);
                    if n > limit {
                        let q = TopQuery { offset: limit, ..q };
                        d.expect_ok(&conn, &q.target(), &o.top_products(&all, &q).0);
                    }
                }
            }
        }
    }
    d.finish(&format!(
        "sample database, issue 14 answers ({} codes of 8 digits, {:.1}s)",
        o.codes(8).len(),
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

/// One random data set: 1-8 codes over 24-50 months (one in six over 1-23
/// months), with late starters, early stoppers, gaps, explicit zero rows,
/// ties, unit schemes that sometimes mix units within a code, and (one
/// code in two) a fixed price per destination from a few round prices, so
/// that prices tie and fall exactly on the band edges (4 and 6 around a
/// median of 5).
fn random_case(seed: u64) -> Vec<Fact> {
    let mut r = SplitMix::new(seed);
    let n_months = if r.chance(1, 6) {
        1 + r.below(23) as i64
    } else {
        24 + r.below(27) as i64
    };
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
        let fixed_prices = r.chance(1, 2);
        for (pi, p) in partners.iter().enumerate() {
            let density = *r.pick(&[3u64, 7, 10]);
            // Fixed prices: yuan per first and second unit, or no quantity.
            let price1 = *r.pick(&[2i64, 4, 5, 5, 6, 8]);
            let price2 = *r.pick(&[1i64, 3, 5]);
            let no_quantity = r.chance(1, 6);
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
                        // 3,600 is a multiple of every fixed price pair below.
                        0 => 3600 * (1 + r.below(3) as i64),
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
                let mut q1 = r.below(10_000_000) as i64;
                let mut q2 = if unit2.is_some() {
                    r.below(1_000_000) as i64
                } else if r.chance(1, 5) {
                    r.below(100) as i64
                } else {
                    0
                };
                let mut value = value;
                if fixed_prices {
                    value = value / (price1 * price2) * price1 * price2;
                    q1 = if no_quantity { 0 } else { value / price1 };
                    q2 = if unit2.is_some() { value / price2 } else { 0 };
                }
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
    // One case in three: the last code is a twin of the first, at the same
    // or twice the values and quantities (the same growth, prices and
    // season, or the same totals: ties between codes and headings).
    if codes.len() >= 2 && r.chance(1, 3) {
        let (from, twin) = (codes[0].to_string(), codes[codes.len() - 1].to_string());
        let scale = 1 + r.below(2) as i64;
        facts.retain(|k, _| k.1 != twin);
        let copies: Vec<Fact> = facts
            .values()
            .filter(|f| f.hs == from)
            .map(|f| Fact {
                hs: twin.clone(),
                value: scale * f.value,
                q1: scale * f.q1,
                q2: scale * f.q2,
                ..f.clone()
            })
            .collect();
        for f in copies {
            facts.insert((month_index(f.month), twin.clone(), f.partner.clone()), f);
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
    if o.as_of_months().is_empty() {
        // Shorter than 24 months: no metrics, but price bands, seasonality
        // and series.
        compare_next(&conn, &o, &mut d);
    } else {
        compare_dataset(&conn, &o, &mut d);
    }
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
        // Issue 14's answers.
        "topProducts: a chance entry",
        "topProducts: a season entry",
        "topProducts: chance tie on concentration",
        "topProducts: season tie on nextMonthShare",
        "topProducts: fastestGrowingMarket",
        "topProducts: fastestGrowingMarket null",
        "topProducts: nextMonthShare null",
        "priceband: a price exactly on a band edge",
        "priceband: tie on price",
        "priceband: median of an even count",
        "priceband: median of an odd count",
        "priceband: several units (no band)",
        "priceband: no unit (no band)",
        "priceband: one unit, no quantity (no band)",
        "priceband: a destination without quantity",
        "priceband: a premium destination",
        "priceband: a mid destination",
        "priceband: a value destination",
        "priceTrend: a month mixing units",
        "priceTrend: a month with one unit and no quantity",
        // (ties between headings: hand_computed_chapter)
        "chapter: a heading with one code",
        "chapter: a heading with prev12 only",
        "chapter: a heading with a zero base",
        "chapter: a heading with an inactive code",
        "chapter: a 2-digit query",
        "seasonality: no complete year",
        "seasonality: a single complete year",
        "seasonality: two complete years",
        "seasonality: three complete years",
        "seasonality: complete years with a zero total",
        "seasonality: tie in shares",
        "seasonality: no peak month",
        "series: a destination with nothing in recent12",
        "fewer than 12 months of data",
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
                    "chance" => SortBy::Chance,
                    "season" => SortBy::Season,
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
        "currentMonth": 202412, // an integer (issue 14)
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
        "currentMonth": 202412, // an integer (issue 14)
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
        "currentMonth": 202412, // an integer (issue 14)
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
            "currentMonth": 202412, // an integer (issue 14)
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
            "currentMonth": 202212, // an integer (issue 14)
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

// ------------------------------------- 4. issue 14, hand-computed fixtures

/// A fact of code `hs` with an explicit first quantity (unit 千克 by
/// default) and no second quantity.
fn priced(month: u32, hs: &str, partner: &str, value: i64, q1: i64) -> Fact {
    Fact {
        month,
        hs: hs.into(),
        partner: partner.into(),
        value,
        q1,
        unit1: Some("千克".into()),
        q2: 0,
        unit2: None,
    }
}

/// Checks the oracle's answer against hand-written data (panicking at once
/// when the oracle is wrong), then the API's against both.
fn expect_hand(d: &mut Diffs, conn: &Connection, target: &str, hand: &Value, oracle: &Value) {
    let mut own = Diffs::default();
    own.check(&format!("ORACLE {target}"), hand, oracle);
    assert!(
        own.errors.is_empty(),
        "the oracle disagrees with the hand-computed answer:\n{}",
        own.errors.join("\n")
    );
    d.expect_ok(conn, target, hand);
    d.expect_ok(conn, target, oracle);
}

/// docs/metrics.md's price-band example: two months of data (202411,
/// 202412), unit 千克, no second unit.
/// - 502 US: 8,000,000 / 2,000 kg in 202411, 12,000,000 / 3,000 kg in 202412
///   (20,000,000 / 5,000 = 4,000 per kg);
/// - 116 Japan 9,000,000 / 3,000 (3,000), 303 UK 4,000,000 / 2,000 (2,000),
///   108 Cyprus 499,999 / 250 (1,999.996), 132 Singapore 300,000 / 0 kg;
/// - and 85171800 (台, second unit 千克): 1,000 yuan to the US in 202412,
///   no pieces, 10 kg. Its roll-up with 85171300 mixes 千克 and 台 in the
///   first unit.
#[test]
fn hand_computed_price_bands() {
    let hs = "85171300";
    let facts = vec![
        Fact {
            month: 202412,
            hs: "85171800".into(),
            partner: "502".into(),
            value: 1_000,
            q1: 0,
            unit1: Some("台".into()),
            q2: 10,
            unit2: Some("千克".into()),
        },
        priced(202411, hs, "502", 8_000_000, 2_000),
        priced(202412, hs, "502", 12_000_000, 3_000),
        priced(202412, hs, "116", 9_000_000, 3_000),
        priced(202412, hs, "303", 4_000_000, 2_000),
        priced(202412, hs, "108", 499_999, 250),
        priced(202412, hs, "132", 300_000, 0),
    ];
    let products = names(&[(hs, "手机"), ("85171800", "电话")]);
    let countries = reference_country_names();
    let dir = tempfile::tempdir().expect("tempdir");
    let conn = build_from_facts(dir.path(), &facts, &products, &countries, true);
    let o = Oracle::new(facts, country_tags(&conn), products, countries.clone());
    let mut d = Diffs::default();
    let name = |c: &str| countries[c].clone();
    let any = oracle::compare::ANY;
    let non_null = oracle::compare::NON_NULL;
    let row = |rank: usize, c: &str, total: i64, q: i64, price: Value, band: Value, zh: Value| {
        json!({"rank": rank, "countryCode": c, "countryName": name(c), "recent12mTotal": total,
               "quantity1": q, "price1": price, "band1": band, "bandZh1": zh,
               "quantity2": oracle::compare::ANY, "price2": null, "band2": null, "bandZh2": null})
    };
    let markets = vec![
        // 4,000 > 1.2 x 2,500 = 3,000
        row(
            1,
            "502",
            20_000_000,
            5_000,
            json!(4000.0),
            json!("premium"),
            json!("高端"),
        ),
        // exactly 1.2 x median: not above, mid
        row(
            2,
            "116",
            9_000_000,
            3_000,
            json!(3000.0),
            json!("mid"),
            json!("中端"),
        ),
        // exactly 0.8 x median: not below, mid
        row(
            3,
            "303",
            4_000_000,
            2_000,
            json!(2000.0),
            json!("mid"),
            json!("中端"),
        ),
        // 499,999 / 250 = 1,999.996 < 2,000, served as 2000.00
        row(
            4,
            "108",
            499_999,
            250,
            json!(2000.0),
            json!("value"),
            json!("性价比"),
        ),
        // no quantity: listed, unpriced, outside the median
        row(5, "132", 300_000, 0, json!(null), json!(null), json!(null)),
    ];
    let hand = json!({
        "hsCode": hs, "productName": "手机", "currentMonth": "202412", "currencyUnit": "人民币",
        // prices 1,999.996 < 2,000 < 3,000 < 4,000: median (2,000 + 3,000) / 2
        "unit1": {"unit": "千克", "median": 2500.0, "pricedMarkets": 4, "premiumCount": 1,
                  "midCount": 2, "valueCount": 1, "reason": null},
        "unit2": {"unit": null, "median": null, "pricedMarkets": 0, "premiumCount": 0,
                  "midCount": 0, "valueCount": 0, "reason": oracle::compare::NON_NULL},
        "marketCount": 5,
        "markets": markets,
        "priceTrend1": [
            {"month": "202411", "price": 4000.0, "unit": "千克"},      // 8,000,000 / 2,000
            {"month": "202412", "price": 3127.27, "unit": "千克"},     // 25,799,999 / 8,250
        ],
        "priceTrend2": [
            {"month": "202411", "price": null, "unit": null},
            {"month": "202412", "price": null, "unit": null},
        ],
    });
    let mut notes = Vec::new();
    let from_oracle = o.priceband(&o.view(hs), &mut notes);
    expect_hand(
        &mut d,
        &conn,
        &format!("/skill/priceband?hsCode={hs}"),
        &hand,
        &from_oracle,
    );
    // A page: ranks, medians and counts of the whole list.
    let mut page = hand.clone();
    page["markets"] = page_of(&hand["markets"], 3, 2);
    let mut oracle_page = from_oracle.clone();
    oracle_page["markets"] = page_of(&from_oracle["markets"], 3, 2);
    expect_hand(
        &mut d,
        &conn,
        &format!("/skill/priceband?hsCode={hs}&limit=2&offset=3"),
        &page,
        &oracle_page,
    );
    for n in [
        "priceband: a price exactly on a band edge",
        "priceband: median of an even count",
        "priceband: a destination without quantity",
    ] {
        assert!(notes.contains(&n), "{n}: {notes:?}");
    }
    // The 6-digit roll-up answers the same (one code under it).
    {
        let code = "851713";
        let mut h = hand.clone();
        h["hsCode"] = json!(code);
        h["productName"] = Value::Null;
        let from_oracle = o.priceband(&o.view(code), &mut notes);
        expect_hand(
            &mut d,
            &conn,
            &format!("/skill/priceband?hsCode={code}"),
            &h,
            &from_oracle,
        );
    }
    // 85171800: one first unit (台) and no pieces: no band, but the unit
    // (contract 4.17: `unit` is null only when there is not exactly one);
    // its second unit prices the US at 1,000 / 10 kg = 100 (the median: mid).
    let one_unit_no_quantity = json!({
        "hsCode": "85171800", "productName": "电话", "currentMonth": "202412", "currencyUnit": "人民币",
        "unit1": {"unit": "台", "median": null, "pricedMarkets": 0, "premiumCount": 0,
                  "midCount": 0, "valueCount": 0, "reason": non_null},
        "unit2": {"unit": "千克", "median": 100.0, "pricedMarkets": 1, "premiumCount": 0,
                  "midCount": 1, "valueCount": 0, "reason": null},
        "marketCount": 1,
        "markets": [{"rank": 1, "countryCode": "502", "countryName": name("502"), "recent12mTotal": 1000,
                     "quantity1": any, "price1": null, "band1": null, "bandZh1": null,
                     "quantity2": 10, "price2": 100.0, "band2": "mid", "bandZh2": "中端"}],
        "priceTrend1": [{"month": "202411", "price": null, "unit": null},
                        {"month": "202412", "price": null, "unit": "台"}],
        "priceTrend2": [{"month": "202411", "price": null, "unit": null},
                        {"month": "202412", "price": 100.0, "unit": "千克"}],
    });
    expect_hand(
        &mut d,
        &conn,
        "/skill/priceband?hsCode=85171800",
        &one_unit_no_quantity,
        &o.priceband(&o.view("85171800"), &mut notes),
    );
    // The roll-up 8517 mixes 千克 and 台: no first-unit band at all; the
    // second unit is 85171800's only: the US at (20,000,000 + 1,000) / 10 kg.
    // priceTrend1 of 202412 mixes the units; priceTrend2 of 202412 is
    // 25,800,999 / 10 kg.
    let roll =
        |c: &str, total: i64, q2: i64, price2: Value, band2: Value, zh2: Value, rank: usize| {
            json!({"rank": rank, "countryCode": c, "countryName": name(c), "recent12mTotal": total,
               "quantity1": any, "price1": null, "band1": null, "bandZh1": null,
               "quantity2": q2, "price2": price2, "band2": band2, "bandZh2": zh2})
        };
    let mixed = json!({
        "hsCode": "8517", "productName": null, "currentMonth": "202412", "currencyUnit": "人民币",
        "unit1": {"unit": null, "median": null, "pricedMarkets": 0, "premiumCount": 0,
                  "midCount": 0, "valueCount": 0, "reason": non_null},
        "unit2": {"unit": "千克", "median": 2_000_100.0, "pricedMarkets": 1, "premiumCount": 0,
                  "midCount": 1, "valueCount": 0, "reason": null},
        "marketCount": 5,
        "markets": [
            roll("502", 20_001_000, 10, json!(2_000_100.0), json!("mid"), json!("中端"), 1),
            roll("116", 9_000_000, 0, json!(null), json!(null), json!(null), 2),
            roll("303", 4_000_000, 0, json!(null), json!(null), json!(null), 3),
            roll("108", 499_999, 0, json!(null), json!(null), json!(null), 4),
            roll("132", 300_000, 0, json!(null), json!(null), json!(null), 5),
        ],
        "priceTrend1": [{"month": "202411", "price": 4000.0, "unit": "千克"},
                        {"month": "202412", "price": null, "unit": null}],
        "priceTrend2": [{"month": "202411", "price": null, "unit": null},
                        {"month": "202412", "price": 2_580_099.9, "unit": "千克"}],
    });
    for code in ["8517", "85"] {
        let mut h = mixed.clone();
        h["hsCode"] = json!(code);
        expect_hand(
            &mut d,
            &conn,
            &format!("/skill/priceband?hsCode={code}"),
            &h,
            &o.priceband(&o.view(code), &mut notes),
        );
    }
    d.expect_error(&conn, "/skill/priceband?hsCode=85171200", 404, "85171200");
    d.expect_error(&conn, "/skill/priceband?hsCode=8517&limit=0", 400, "limit");
    // Two months of data: no chapter (no 24-month window), but the rest.
    compare_next(&conn, &o, &mut d);
    d.finish("hand-computed price bands");
}

/// docs/metrics.md's chapter example: months 202301..202412 (as-of
/// 202412), chapter 85 with three headings, and chapter 61 with one code.
/// - 8517: 85171300 22,000,000 (202306) and 30,000,000 (202406); 85176200
///   10,000,000 (202412); 85171800 10,000,000 (202301, prev12 only);
/// - 8504: 85041010, 85041090, 85042100 5,000,000 each in 202405 (new);
/// - 8544: 85444219 20,000,000 (202310) and 15,000,000 (202410), its only code;
/// - 6109: 61091000 1,000 in 202412.
#[test]
fn hand_computed_chapter() {
    let facts = vec![
        priced(202306, "85171300", "502", 22_000_000, 1),
        priced(202406, "85171300", "502", 30_000_000, 1),
        priced(202412, "85176200", "303", 10_000_000, 1),
        priced(202301, "85171800", "116", 10_000_000, 1),
        priced(202405, "85041010", "108", 5_000_000, 1),
        priced(202405, "85041090", "108", 5_000_000, 1),
        priced(202405, "85042100", "108", 5_000_000, 1),
        priced(202310, "85444219", "502", 20_000_000, 1),
        priced(202410, "85444219", "502", 15_000_000, 1),
        priced(202412, "61091000", "502", 1_000, 1),
    ];
    let products = names(&[
        ("85171300", "手机"),
        ("85176200", "设备"),
        ("85171800", "电话"),
        ("85041010", "镇流器"),
        ("85041090", "其他镇流器"),
        ("85042100", "变压器"),
        ("85444219", "导体"),
        ("61091000", "T恤衫"),
    ]);
    let countries = reference_country_names();
    let dir = tempfile::tempdir().expect("tempdir");
    let conn = build_from_facts(dir.path(), &facts, &products, &countries, false);
    let o = Oracle::new(facts, country_tags(&conn), products, countries);
    let series = o.code_series();
    let mut d = Diffs::default();
    let heading = |rank: usize, code: &str, r: i64, p: i64, share: f64, g: Value, active: usize| {
        json!({"rank": rank, "hsCode": code, "productName": null, "recent12mTotal": r,
               "prev12mTotal": p, "share": share, "yoyGrowthRate": g, "activeCodes": active,
               "isSelf": false})
    };
    let headings = vec![
        // 40/70 = 57.142..%, 40/32 - 1 = +25%; 85171800 sold in prev12 only
        heading(1, "8517", 40_000_000, 32_000_000, 57.14, json!(25.0), 2),
        // a tie at 15,000,000 (21.428..%): the lower code first; new, no growth
        heading(2, "8504", 15_000_000, 0, 21.43, json!(null), 3),
        // one code; 15/20 - 1 = -25%
        heading(3, "8544", 15_000_000, 20_000_000, 21.43, json!(-25.0), 1),
    ];
    let chapter = |code: &str, self_heading: Value, self_rank: Value| {
        let mut h = json!({
            "hsCode": code, "currentMonth": "202412", "chapter": "85", "chapterName": null,
            "chapterTotal": 70_000_000, "chapterPrevTotal": 52_000_000,
            "chapterYoyGrowthRate": 34.62, // 70/52 - 1 = 0.34615..
            "selfHeading": self_heading, "selfRank": self_rank, "headingCount": 3,
            "headings": headings.clone(),
        });
        if let Some(rank) = self_rank.as_u64() {
            h["headings"][rank as usize - 1]["isSelf"] = json!(true);
        }
        h
    };
    for (code, self_heading, self_rank) in [
        ("85171300", json!("8517"), json!(1)),
        ("85444219", json!("8544"), json!(3)),
        ("850410", json!("8504"), json!(2)),
        ("8504", json!("8504"), json!(2)),
        ("85", json!(null), json!(null)),
    ] {
        let hand = chapter(code, self_heading, self_rank);
        let mut notes = Vec::new();
        let from_oracle = o.chapter(&series, code, o.latest, &mut notes);
        expect_hand(
            &mut d,
            &conn,
            &format!("/skill/chapter?hsCode={code}"),
            &hand,
            &from_oracle,
        );
        for n in [
            "chapter: tie on recent12",
            "chapter: a heading with one code",
            "chapter: a heading with a zero base",
            "chapter: a heading with an inactive code",
        ] {
            assert!(notes.contains(&n), "{n}: {notes:?}");
        }
    }
    // A page: rank stays the position in the whole list.
    let mut page = chapter("85171300", json!("8517"), json!(1));
    page["headings"] = page_of(&page["headings"], 1, 1);
    d.expect_ok_total(
        &conn,
        "/skill/chapter?hsCode=85171300&currentMonth=202412&limit=1&offset=1",
        &page,
        3,
    );
    // A chapter of one heading of one code, without a base.
    let mut notes = Vec::new();
    expect_hand(
        &mut d,
        &conn,
        "/skill/chapter?hsCode=61091000",
        &json!({
            "hsCode": "61091000", "currentMonth": "202412", "chapter": "61", "chapterName": null,
            "chapterTotal": 1000, "chapterPrevTotal": 0, "chapterYoyGrowthRate": null,
            "selfHeading": "6109", "selfRank": 1, "headingCount": 1,
            "headings": [{"rank": 1, "hsCode": "6109", "productName": null, "recent12mTotal": 1000,
                          "prev12mTotal": 0, "share": 100.0, "yoyGrowthRate": null,
                          "activeCodes": 1, "isSelf": true}],
        }),
        &o.chapter(&series, "61091000", o.latest, &mut notes),
    );
    // Only 202412 has a 24-month window.
    d.expect_error(
        &conn,
        "/skill/chapter?hsCode=85171300&currentMonth=202411",
        404,
        "202411",
    );
    d.expect_error(
        &conn,
        "/skill/chapter?hsCode=85171300&currentMonth=202501",
        404,
        "202501",
    );
    d.expect_error(
        &conn,
        "/skill/chapter?hsCode=8517&currentMonth=2024-12",
        400,
        "currentMonth",
    );
    d.expect_error(&conn, "/skill/chapter?hsCode=99", 404, "99");
    compare_dataset(&conn, &o, &mut d);
    d.finish("hand-computed chapter");
}

/// The values (thousands of yuan) of docs/metrics.md's seasonality example,
/// January first: 2022 and 2023.
const SEASON_2022: [i64; 12] = [
    400, 300, 700, 900, 1000, 800, 1000, 900, 1100, 1400, 1600, 900,
];
const SEASON_2023: [i64; 12] = [
    600, 200, 800, 1100, 1000, 1200, 1000, 1100, 1400, 1600, 1900, 1100,
];

/// docs/metrics.md's seasonality example: data 202201..202410, 85171300
/// (one code, so the roll-ups answer the same): 2022 to 502 US, 2023 to
/// 303 UK, 1,000,000 a month in 2024 to the US.
#[test]
fn hand_computed_seasonality() {
    let hs = "85171300";
    let mut facts = Vec::new();
    for k in 0..12 {
        facts.push(priced(
            202201 + k as u32,
            hs,
            "502",
            SEASON_2022[k] * 1000,
            1,
        ));
        facts.push(priced(
            202301 + k as u32,
            hs,
            "303",
            SEASON_2023[k] * 1000,
            1,
        ));
    }
    for m in 202401..=202410 {
        facts.push(priced(m, hs, "502", 1_000_000, 1));
    }
    let products = names(&[(hs, "手机")]);
    let countries = reference_country_names();
    let dir = tempfile::tempdir().expect("tempdir");
    let conn = build_from_facts(dir.path(), &facts, &products, &countries, true);
    let o = Oracle::new(facts, country_tags(&conn), products, countries.clone());
    let view = o.view(hs);
    let mut d = Diffs::default();
    let thousands = |a: [i64; 12]| a.map(|x| x * 1000);
    let both: [i64; 12] = std::array::from_fn(|k| (SEASON_2022[k] + SEASON_2023[k]) * 1000);
    let profile = |m: &str,
                   country: Option<&str>,
                   years: Value,
                   total: i64,
                   totals: [i64; 12],
                   shares: Value,
                   peaks: Value,
                   strength: Value| {
        json!({
            "hsCode": hs, "productName": "手机", "currentMonth": m,
            "countryCode": country, "countryName": country.map(|c| countries[c].clone()),
            "yearsUsed": years, "yearsTotal": total, "monthTotals": totals,
            "monthShare": shares, "peakMonths": peaks, "seasonalityStrength": strength,
        })
    };
    // 2024 is incomplete: 2022 and 2023. T = 24,000,000; September is
    // exactly on the peak edge (48 x 2,500,000 = 5 x 24,000,000);
    // strength = 100 x 72,000,000 / (24 x 24,000,000) = 12.5.
    let two_years = profile(
        "202410",
        None,
        json!([2022, 2023]),
        24_000_000,
        both,
        json!([4.17, 2.08, 6.25, 8.33, 8.33, 8.33, 8.33, 8.33, 10.42, 12.5, 14.58, 8.33]),
        json!([9, 10, 11]),
        json!(12.5),
    );
    // 2022 alone: T = 11,000,000; peaks need 48 t >= 55,000,000, t >=
    // 1,145,834: October and November; sum |12 t - T| = 36,400,000, strength
    // = 100 x 36,400,000 / 264,000,000 = 13.787..
    let shares_2022 =
        json!([3.64, 2.73, 6.36, 8.18, 9.09, 7.27, 9.09, 8.18, 10.0, 12.73, 14.55, 8.18]);
    let one_year = |m: &str, country: Option<&str>, years: Value| {
        profile(
            m,
            country,
            years,
            11_000_000,
            thousands(SEASON_2022),
            shares_2022.clone(),
            json!([10, 11]),
            json!(13.79),
        )
    };
    let none = |m: &str, country: Option<&str>, years: Value| {
        profile(
            m,
            country,
            years,
            0,
            [0; 12],
            json!(null),
            json!([]),
            json!(null),
        )
    };
    let s = format!("/skill/seasonality?hsCode={hs}");
    let cases: Vec<(String, Value, i64, Option<&str>)> = vec![
        (s.clone(), two_years.clone(), o.latest, None),
        (
            format!("{s}&currentMonth=202312"),
            {
                let mut p = two_years.clone();
                p["currentMonth"] = json!("202312");
                p
            },
            month_index(202312),
            None,
        ),
        (
            format!("{s}&currentMonth=202311"),
            one_year("202311", None, json!([2022])),
            month_index(202311),
            None,
        ),
        (
            format!("{s}&currentMonth=202212"),
            one_year("202212", None, json!([2022])),
            month_index(202212),
            None,
        ),
        // No complete year before December 2022.
        (
            format!("{s}&currentMonth=202211"),
            none("202211", None, json!([])),
            month_index(202211),
            None,
        ),
        // To the US: the years of the data, with the US's 2022 only.
        (
            format!("{s}&countryCode=502"),
            one_year("202410", Some("502"), json!([2022, 2023])),
            o.latest,
            Some("502"),
        ),
        (
            format!("{s}&countryCode=USA"),
            one_year("202410", Some("502"), json!([2022, 2023])),
            o.latest,
            Some("502"),
        ),
        // To the UK in 2022: a complete year with a zero total.
        (
            format!("{s}&countryCode=303&currentMonth=202212"),
            none("202212", Some("303"), json!([2022])),
            month_index(202212),
            Some("303"),
        ),
    ];
    for (target, hand, m, country) in &cases {
        let mut notes = Vec::new();
        expect_hand(
            &mut d,
            &conn,
            target,
            hand,
            &o.seasonality(&view, *m, *country, &mut notes),
        );
    }
    // The dashboard's seasonality: the same object at its currentMonth
    // (an integer now); its first as-of month is 202312 (202201 + 23).
    for (target, profile) in [
        (format!("/skill/dashboard?hsCode={hs}"), &cases[0].1),
        (
            format!("/skill/dashboard?hsCode={hs}&currentMonth=202312"),
            &cases[1].1,
        ),
    ] {
        let r = cnexport_api::answer(&conn, &target);
        d.count(&target);
        let mut expected = serde_json::Map::new();
        for k in [
            "yearsUsed",
            "yearsTotal",
            "monthTotals",
            "monthShare",
            "peakMonths",
            "seasonalityStrength",
        ] {
            expected.insert(k.into(), profile[k].clone());
        }
        let expected = Value::Object(expected);
        d.check(
            &target,
            &expected,
            &like(&expected, &r.body["data"]["seasonality"]),
        );
        let month: i64 = profile["currentMonth"]
            .as_str()
            .expect("month")
            .parse()
            .expect("n");
        d.check(
            &target,
            &json!({"currentMonth": month}),
            &like(&json!({"currentMonth": 0}), &r.body["data"]),
        );
    }
    // Series: the default range M-23..M = 202211..202410, a range to the UK,
    // the whole history to the US, and the roll-up to the US.
    let amounts = |from: u32, values: &[i64]| -> Value {
        let first = month_index(from);
        Value::Array(
            values
                .iter()
                .enumerate()
                .map(|(k, v)| json!({"month": month_text(first + k as i64), "amount": v}))
                .collect(),
        )
    };
    let mut default_range = vec![1_600_000, 900_000];
    default_range.extend(thousands(SEASON_2023));
    default_range.extend([1_000_000; 10]);
    let mut us_history: Vec<i64> = thousands(SEASON_2022).to_vec();
    us_history.extend([0; 12]);
    us_history.extend([1_000_000; 10]);
    let series = |code: &str, name: Value, data: Value, country: Option<&str>| {
        let mut v = json!({"hsCode": code, "productName": name, "currentMonth": "202410",
                           "currencyUnit": "人民币", "monthlyData": data});
        if let Some(c) = country {
            v["countryCode"] = json!(c);
            v["countryName"] = json!(countries[c]);
        }
        v
    };
    for (target, hand, from, to, country) in [
        (
            format!("/skill/series?hsCode={hs}"),
            series(hs, json!("手机"), amounts(202211, &default_range), None),
            202211,
            202410,
            None,
        ),
        (
            format!("/skill/series?hsCode={hs}&countryCode=303&from=202301&to=202303"),
            series(
                hs,
                json!("手机"),
                amounts(202301, &[600_000, 200_000, 800_000]),
                Some("303"),
            ),
            202301,
            202303,
            Some("303"),
        ),
        (
            format!("/skill/series?hsCode={hs}&countryCode=USA&from=202201&to=202410"),
            series(hs, json!("手机"), amounts(202201, &us_history), Some("502")),
            202201,
            202410,
            Some("502"),
        ),
        (
            "/skill/series?hsCode=8517&countryCode=502&from=202201".to_string(),
            series(
                "8517",
                json!(null),
                amounts(202201, &us_history),
                Some("502"),
            ),
            202201,
            202410,
            Some("502"),
        ),
    ] {
        let v = o.view(hand["hsCode"].as_str().expect("code"));
        let from_oracle = o.series(&v, month_index(from), month_index(to), country);
        expect_hand(&mut d, &conn, &target, &hand, &from_oracle);
    }
    d.expect_error(
        &conn,
        "/skill/series?hsCode=85171300&from=202112",
        400,
        "from",
    );
    d.expect_error(&conn, "/skill/series?hsCode=85171300&to=202411", 400, "to");
    d.expect_error(
        &conn,
        "/skill/series?hsCode=85171300&from=202402&to=202401",
        400,
        "",
    );
    d.expect_error(
        &conn,
        "/skill/series?hsCode=85171300&countryCode=116",
        404,
        "该商品对此国家暂无出口记录",
    );
    d.expect_error(
        &conn,
        "/skill/seasonality?hsCode=85171300&countryCode=116",
        404,
        "该商品对此国家暂无出口记录",
    );
    d.expect_error(
        &conn,
        "/skill/seasonality?hsCode=85171300&countryCode=XYZ",
        400,
        "countryCode",
    );
    compare_dataset(&conn, &o, &mut d);
    d.finish("hand-computed seasonality and series");
}

/// The opportunity rankings and topProducts' new fields on six codes,
/// 202301..202412 (M = 202412, so the coming month is January). Each code
/// is a set of destinations with a base per year, times a monthly factor
/// shared by every destination (so that its top-3 share is that of the
/// bases): flat (1 each month, 12 in a year), January (3 in January, 1
/// otherwise: 14), January and December (2, 2, 1 otherwise: 14) and the
/// peak edge (55 in January, 43 otherwise: 528, January = 55/528 = 1.25/12).
#[test]
fn hand_computed_opportunities() {
    let flat = [1i64; 12];
    let january: [i64; 12] = std::array::from_fn(|k| if k == 0 { 3 } else { 1 });
    let jan_dec: [i64; 12] = std::array::from_fn(|k| if k == 0 || k == 11 { 2 } else { 1 });
    let edge: [i64; 12] = std::array::from_fn(|k| if k == 0 { 55 } else { 43 });
    // (code, factors, [(partner, base 2023, base 2024)])
    type Code<'a> = (&'a str, [i64; 12], Vec<(&'a str, i64, i64)>);
    let codes: Vec<Code> = vec![
        // A: 12M -> 15M (+25%); top 3 of 1,250: 1,100 = 88%
        (
            "85171300",
            flat,
            vec![
                ("502", 400_000, 500_000),
                ("303", 300_000, 300_000),
                ("116", 200_000, 300_000),
                ("108", 100_000, 150_000),
            ],
        ),
        // B: 21M -> 35M (+66.67%); top 3 of 2,500: 2,200 = 88%
        (
            "85176200",
            january,
            vec![
                ("502", 600_000, 1_000_000),
                ("303", 450_000, 600_000),
                ("116", 300_000, 600_000),
                ("108", 150_000, 300_000),
            ],
        ),
        // C: 528,000 -> 1,056,000 (+100%, a low base), January on the edge
        ("85044000", edge, vec![("502", 1_000, 2_000)]),
        // D: 8.4M -> 7M (-16.67%); top 3 of 500: 300 = 60%
        (
            "85444219",
            jan_dec,
            vec![
                ("502", 200_000, 100_000),
                ("303", 100_000, 100_000),
                ("116", 100_000, 100_000),
                ("108", 100_000, 100_000),
                ("601", 100_000, 100_000),
            ],
        ),
        // E: 5.6M -> 7M (+25%); top 3 of 500: 400 = 80%
        (
            "61091000",
            january,
            vec![
                ("410", 100_000, 200_000),
                ("502", 100_000, 100_000),
                ("601", 100_000, 100_000),
                ("116", 100_000, 100_000),
            ],
        ),
        // F: 1.2M -> 1.2M (+0.00%)
        ("12019020", flat, vec![("502", 100_000, 100_000)]),
    ];
    let mut facts = Vec::new();
    for (code, factors, partners) in &codes {
        for (p, b23, b24) in partners {
            for (k, f) in factors.iter().enumerate() {
                facts.push(priced(202301 + k as u32, code, p, b23 * f, 1));
                facts.push(priced(202401 + k as u32, code, p, b24 * f, 1));
            }
        }
    }
    let products = names(&[
        ("85171300", "甲"),
        ("85176200", "乙"),
        ("85044000", "丙"),
        ("85444219", "丁"),
        ("61091000", "戊"),
        ("12019020", "己"),
    ]);
    let countries = reference_country_names();
    let dir = tempfile::tempdir().expect("tempdir");
    let conn = build_from_facts(dir.path(), &facts, &products, &countries, false);
    let o = Oracle::new(facts, country_tags(&conn), products, countries.clone());
    let mut d = Diffs::default();
    let check = |d: &mut Diffs, target: &str, fields: &[&str], hand: Value| {
        let mut own = Diffs::default();
        own.check(
            &format!("ORACLE {target}"),
            &hand,
            &project(&oracle_answer(&o, target), fields),
        );
        assert!(
            own.errors.is_empty(),
            "the oracle disagrees:\n{}",
            own.errors.join("\n")
        );
        expect_top(d, &conn, &o, target, fields, hand);
    };
    let chance = [
        "rank",
        "hsCode",
        "top3ConcentrationPercent",
        "yoyGrowthRate",
        "lowBase",
    ];
    // C (+100%) has a low base, D shrinks, F does not grow. E (80%) first;
    // B and A tie at 88.00%: the faster grower, B, first.
    check(
        &mut d,
        "/skill/topProducts?sortBy=chance&minAmount=0",
        &chance,
        json!([
            {"rank": 1, "hsCode": "61091000", "top3ConcentrationPercent": 80.0, "yoyGrowthRate": 25.0, "lowBase": false},
            {"rank": 2, "hsCode": "85176200", "top3ConcentrationPercent": 88.0, "yoyGrowthRate": 66.67, "lowBase": false},
            {"rank": 3, "hsCode": "85171300", "top3ConcentrationPercent": 88.0, "yoyGrowthRate": 25.0, "lowBase": false},
        ]),
    );
    // The default minAmount (10,000,000) leaves E (7M) out.
    check(
        &mut d,
        "/skill/topProducts?sortBy=chance",
        &chance,
        json!([
            {"rank": 1, "hsCode": "85176200", "top3ConcentrationPercent": 88.0, "yoyGrowthRate": 66.67, "lowBase": false},
            {"rank": 2, "hsCode": "85171300", "top3ConcentrationPercent": 88.0, "yoyGrowthRate": 25.0, "lowBase": false},
        ]),
    );
    let season = [
        "rank",
        "hsCode",
        "nextMonthShare",
        "recent12mGlobalTotal",
        "peakMonths",
    ];
    // January is a peak month of B, E (3/14 = 21.43%), D (2/14 = 14.29%)
    // and C (55/528 = 10.4166..%, exactly on the edge); B and E tie, the
    // larger (B, 35M) first. A and F are flat.
    check(
        &mut d,
        "/skill/topProducts?sortBy=season&minAmount=0",
        &season,
        json!([
            {"rank": 1, "hsCode": "85176200", "nextMonthShare": 21.43, "recent12mGlobalTotal": 35_000_000, "peakMonths": [1]},
            {"rank": 2, "hsCode": "61091000", "nextMonthShare": 21.43, "recent12mGlobalTotal": 7_000_000, "peakMonths": [1]},
            {"rank": 3, "hsCode": "85444219", "nextMonthShare": 14.29, "recent12mGlobalTotal": 7_000_000, "peakMonths": [1, 12]},
            {"rank": 4, "hsCode": "85044000", "nextMonthShare": 10.42, "recent12mGlobalTotal": 1_056_000, "peakMonths": [1]},
        ]),
    );
    check(
        &mut d,
        "/skill/topProducts?sortBy=season&minAmount=0&offset=1&limit=2",
        &["rank", "hsCode"],
        json!([
            {"rank": 2, "hsCode": "61091000"}, {"rank": 3, "hsCode": "85444219"},
        ]),
    );
    check(
        &mut d,
        "/skill/topProducts?sortBy=season",
        &season,
        json!([
            {"rank": 1, "hsCode": "85176200", "nextMonthShare": 21.43, "recent12mGlobalTotal": 35_000_000, "peakMonths": [1]},
        ]),
    );
    // With regionFilter=oceania (601: E and D 1,400,000 each, B and C 0) the
    // profile stays the code's; minAmount applies to the region's total,
    // the tie of B and E is broken by recent12mGlobalTotal (B first, though
    // E has the larger Oceania total).
    let regional = ["rank", "hsCode", "nextMonthShare", "regionTotal"];
    check(
        &mut d,
        "/skill/topProducts?sortBy=season&minAmount=0&regionFilter=oceania",
        &regional,
        json!([
            {"rank": 1, "hsCode": "85176200", "nextMonthShare": 21.43, "regionTotal": 0},
            {"rank": 2, "hsCode": "61091000", "nextMonthShare": 21.43, "regionTotal": 1_400_000},
            {"rank": 3, "hsCode": "85444219", "nextMonthShare": 14.29, "regionTotal": 1_400_000},
            {"rank": 4, "hsCode": "85044000", "nextMonthShare": 10.42, "regionTotal": 0},
        ]),
    );
    check(
        &mut d,
        "/skill/topProducts?sortBy=season&minAmount=1&regionFilter=oceania",
        &regional,
        json!([
            {"rank": 1, "hsCode": "61091000", "nextMonthShare": 21.43, "regionTotal": 1_400_000},
            {"rank": 2, "hsCode": "85444219", "nextMonthShare": 14.29, "regionTotal": 1_400_000},
        ]),
    );
    // chance in Asia (116, 108): A +50% (3.6M -> 5.4M), B +100% (6.3M ->
    // 12.6M); E and D do not grow there, C and F sell nothing there.
    check(
        &mut d,
        "/skill/topProducts?sortBy=chance&minAmount=0&regionFilter=asia",
        &[
            "rank",
            "hsCode",
            "top3ConcentrationPercent",
            "regionYoyGrowthRate",
        ],
        json!([
            {"rank": 1, "hsCode": "85176200", "top3ConcentrationPercent": 88.0, "regionYoyGrowthRate": 100.0},
            {"rank": 2, "hsCode": "85171300", "top3ConcentrationPercent": 88.0, "regionYoyGrowthRate": 50.0},
        ]),
    );
    // The new fields on every entry, by amount (D and E tie at 7M: hsCode).
    // fastestGrowingMarket: A's 116 and 108 both grow 50% (108 first), B's
    // 116 and 108 100%, D's 303, 116, 108 and 601 0% (502 -50%), E's 410
    // 100%; C's only destination has a base of 528,000 < 1,000,000: null.
    let cy =
        |g: f64| json!({"countryCode": "108", "countryName": countries["108"], "yoyGrowthRate": g});
    let fields = [
        "hsCode",
        "momGrowthRate",
        "peakMonths",
        "nextMonthShare",
        "fastestGrowingMarket",
    ];
    check(
        &mut d,
        "/skill/topProducts?sortBy=amount&minAmount=0",
        &fields,
        json!([
            {"hsCode": "85176200", "momGrowthRate": 0.0, "peakMonths": [1], "nextMonthShare": 21.43, "fastestGrowingMarket": cy(100.0)},
            {"hsCode": "85171300", "momGrowthRate": 0.0, "peakMonths": [], "nextMonthShare": 8.33, "fastestGrowingMarket": cy(50.0)},
            {"hsCode": "61091000", "momGrowthRate": 0.0, "peakMonths": [1], "nextMonthShare": 21.43,
             "fastestGrowingMarket": {"countryCode": "410", "countryName": countries["410"], "yoyGrowthRate": 100.0}},
            // December = 2 x November
            {"hsCode": "85444219", "momGrowthRate": 100.0, "peakMonths": [1, 12], "nextMonthShare": 14.29, "fastestGrowingMarket": cy(0.0)},
            {"hsCode": "12019020", "momGrowthRate": 0.0, "peakMonths": [], "nextMonthShare": 8.33,
             "fastestGrowingMarket": {"countryCode": "502", "countryName": countries["502"], "yoyGrowthRate": 0.0}},
            {"hsCode": "85044000", "momGrowthRate": 0.0, "peakMonths": [1], "nextMonthShare": 10.42, "fastestGrowingMarket": null},
        ]),
    );
    // Every level and region, by the oracle only.
    compare_dataset(&conn, &o, &mut d);
    d.finish("hand-computed opportunity rankings");
}
