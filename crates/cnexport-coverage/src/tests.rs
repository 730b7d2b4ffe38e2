//! The planner against a brute-force oracle, and the flag rules on a small
//! database.

use super::plan::*;
use super::*;
use cnexport_core::tables::{Database, SourceFileRow};
use cnexport_core::{HsCode, PartnerCode};
use std::collections::BTreeSet;

/// Facts as a set of (code, month, partner): the sizes are direct counts.
struct Facts(BTreeSet<(u32, u32, u16)>, Vec<u16>);

impl Sizing for Facts {
    fn rows(&self, range: CodeRange, m1: u32, m2: u32) -> BTreeMap<u32, [u64; 12]> {
        let mut out: BTreeMap<u32, [u64; 12]> = BTreeMap::new();
        for &(c, m, _) in &self.0 {
            if (range.0..=range.1).contains(&c) && (m1..=m2).contains(&m) {
                out.entry(c).or_default()[(m - 1) as usize] += 1;
            }
        }
        out
    }
    fn partners(&self, range: CodeRange, month: u32) -> Vec<(u16, u64)> {
        self.1
            .iter()
            .map(|&p| {
                let n = self
                    .0
                    .iter()
                    .filter(|&&(c, m, q)| (range.0..=range.1).contains(&c) && m == month && q == p)
                    .count();
                (p, n as u64)
            })
            .collect()
    }
}

/// A query as numbers: codes, months, partners (None: all).
type Box3 = (u32, u32, u32, u32, Option<Vec<u16>>);

fn boxed(q: &PlannedQuery) -> Box3 {
    (
        q.code_from.parse().unwrap(),
        q.code_to.parse().unwrap(),
        q.month_from,
        q.month_to,
        q.partners
            .as_ref()
            .map(|ps| ps.iter().map(|p| p.parse().unwrap()).collect()),
    )
}

fn covers(q: &Box3, code: u32, month: u32, partner: u16) -> bool {
    (q.0..=q.1).contains(&code)
        && (q.2..=q.3).contains(&month)
        && q.4.as_ref().is_none_or(|ps| ps.contains(&partner))
}

/// A deterministic spread of facts: a few heavy codes, many light ones.
fn synthetic(seed: u64) -> Facts {
    let mut x = seed;
    let mut next = move || {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (x >> 33) as u32
    };
    let partners: Vec<u16> = (100..160).collect();
    let mut facts = BTreeSet::new();
    for i in 0..300 {
        let code = 84_000_000 + (next() % 2_000_000);
        let heavy = i % 50 == 0;
        for m in 1..=12 {
            let n = if heavy { 40 + next() % 20 } else { next() % 6 };
            for _ in 0..n {
                facts.insert((code, m, partners[(next() % 60) as usize]));
            }
        }
    }
    Facts(facts, partners)
}

#[test]
fn the_plan_covers_the_code_space_once_and_each_query_fits() {
    for (seed, max) in [(1u64, 9_000u64), (2, 500), (3, 60), (4, 20)] {
        let sizing = synthetic(seed);
        let ranges = code_ranges(&["84", "8501", "850710"]).unwrap();
        let plan = plan(2025, 1, 12, &ranges, max, &sizing, Some("test".into()));
        // Every query fits and its expected rows are a direct count.
        let boxes: Vec<Box3> = plan.queries.iter().map(boxed).collect();
        for (q, b) in plan.queries.iter().zip(&boxes) {
            assert!(q.expected_rows <= max, "{q:?}");
            let direct = sizing
                .0
                .iter()
                .filter(|&&(c, m, p)| covers(b, c, m, p))
                .count() as u64;
            assert_eq!(q.expected_rows, direct, "{q:?}");
            assert!(q.monthly && q.grouping == GROUPING);
        }
        // Exactly one query covers each fact, and each point of the code
        // space (seen codes, the edges of every query, random codes).
        let mut points: BTreeSet<u32> = sizing.0.iter().map(|f| f.0).collect();
        for b in &boxes {
            points.extend([b.0.saturating_sub(1), b.0, b.1, b.1 + 1]);
        }
        points.extend((0..500).map(|i| 83_900_000 + i * 4_471));
        for &code in &points {
            let inside = ranges.iter().any(|r| (r.0..=r.1).contains(&code));
            for month in 1..=12 {
                for &p in [100u16, 131, 159].iter() {
                    let n = boxes.iter().filter(|q| covers(q, code, month, p)).count();
                    assert_eq!(n, inside as usize, "code {code} month {month} partner {p}");
                }
            }
        }
        let ids: Vec<usize> = plan.queries.iter().map(|q| q.id).collect();
        assert_eq!(ids, (1..=plan.queries.len()).collect::<Vec<_>>());
    }
}

#[test]
fn prefixes_become_merged_ranges_and_cuts_are_round() {
    assert_eq!(
        code_ranges(&["85", "8471", "84", "8.5.0.7.10"]).unwrap(),
        vec![(84_000_000, 85_999_999)]
    );
    assert_eq!(
        code_ranges(&["01", "03"]).unwrap(),
        vec![(1_000_000, 1_999_999), (3_000_000, 3_999_999)]
    );
    assert!(code_ranges(&["851"]).is_err());
    assert_eq!(cut_between(85_079_000, 85_081_000), 85_080_000);
    assert_eq!(cut_between(84_999_999, 85_010_000), 85_000_000);
    assert_eq!(cut_between(85_010_001, 85_010_002), 85_010_002);
}

#[test]
fn without_data_the_plan_is_a_stated_guess() {
    let plan = plan_year(2025, &[], None, DEFAULT_MAX_ROWS).unwrap();
    assert_eq!(plan.sized_from, None);
    assert_eq!(plan.queries.first().unwrap().code_from, "01000000");
    assert_eq!(plan.queries.last().unwrap().code_to, "98999999");
    // 15 heading slots of 50 rows x 12 months = 9,000 per query.
    assert_eq!(plan.queries[0].expected_rows, 9_000);
    assert_eq!(plan.queries[0].code_to, "01149999");
    for w in plan.queries.windows(2) {
        let end: u32 = w[0].code_to.parse().unwrap();
        assert_eq!(format!("{:08}", end + 1), w[1].code_from);
    }
}

fn fact(month: u32, code: u32, partner: u16, file: u32) -> MonthlyFact {
    MonthlyFact {
        month: Month::from_yyyymm(month).unwrap(),
        hs_code: HsCode(code),
        partner: PartnerCode(partner),
        value: 100,
        quantity1: 0,
        unit1: None,
        quantity2: 0,
        unit2: None,
        first_value: 100,
        source_file: file,
    }
}

fn file(id: u32, rows: u64, facts: &[MonthlyFact]) -> SourceFileRow {
    let own: Vec<&MonthlyFact> = facts.iter().filter(|f| f.source_file == id).collect();
    SourceFileRow {
        release_order: id,
        path: format!("f{id}.csv"),
        sha256: String::new(),
        size: 0,
        format: "csv".into(),
        language: "zh".into(),
        encoding: None,
        rows_read: rows,
        rows_loaded: rows,
        rows_quarantined: 0,
        rows_superseded: 0,
        value_loaded: 0,
        value_quarantined: 0,
        value_superseded: 0,
        warnings: Vec::new(),
        first_month: own.iter().map(|f| f.month.yyyymm()).min(),
        last_month: own.iter().map(|f| f.month.yyyymm()).max(),
        min_code: own.iter().map(|f| f.hs_code.0).min(),
        max_code: own.iter().map(|f| f.hs_code.0).max(),
        partner_count: own
            .iter()
            .map(|f| f.partner.0)
            .collect::<BTreeSet<_>>()
            .len() as u64,
    }
}

#[test]
fn the_flags_find_the_holes_and_only_them() {
    let mut facts = Vec::new();
    for m in (202301..=202312).chain(202401..=202412) {
        // 202403: no download at all.
        if m == 202403 {
            continue;
        }
        // Chapter 01, dense (10 facts a month), missing in 202406.
        if m != 202406 {
            for p in 0..10 {
                facts.push(fact(m, 1_012_100, 101 + p, 0));
            }
        }
        // Chapter 85, other codes than the cut-off file's, every month.
        for p in 0..10 {
            facts.push(fact(m, 85_020_000, 101 + p, 0));
        }
        // Chapter 02, sparse (1 fact every other month): never a gap.
        if m % 2 == 0 {
            facts.push(fact(m, 2_011_000, 101, 0));
        }
    }
    // File 1: 10,000 rows of chapter 85 in 202412 (a cut-off download).
    for i in 0..100 {
        for p in 0..100u16 {
            facts.push(fact(202412, 85_010_000 + i, 100 + p, 1));
        }
    }
    // A year earlier, 5,000 rows of the same codes.
    for i in 0..50 {
        for p in 0..100u16 {
            facts.push(fact(202312, 85_010_000 + i, 100 + p, 0));
        }
    }
    facts.sort_by_key(|f| (f.hs_code, f.partner, f.month));
    let mut db = Database {
        coverage: grid_rows(&facts),
        ..Database::default()
    };
    db.source_files = vec![file(0, 600, &facts), file(1, 10_000, &facts)];
    db.facts = facts;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.db");
    cnexport_load::write_database(&path, &db).unwrap();
    let conn = Connection::open(&path).unwrap();
    let c = coverage(&conn, &Filter::default()).unwrap();
    let kinds: Vec<(String, Option<String>, Option<String>)> = c
        .flags
        .iter()
        .map(|f| (f.kind.clone(), f.month.clone(), f.chapter.clone()))
        .collect();
    let s = |x: &str| Some(x.to_string());
    assert_eq!(
        kinds,
        vec![
            ("missing_month".into(), s("202403"), None),
            ("chapter_gap".into(), s("202406"), s("01")),
            ("cut_off_file".into(), s("202412"), None),
        ]
    );
    assert_eq!(c.fact_count, db.facts.len() as u64);
    assert_eq!(c.months.len(), 24);
    let cut = &c.flags[2];
    assert_eq!(cut.file, Some(1));
    let plan = &cut.suggestion[0];
    assert_eq!((plan.year, plan.queries[0].month_from), (2024, 12));
    assert!(plan.queries.len() >= 2, "{plan:?}");
    for q in &plan.queries {
        assert!(q.expected_rows <= DEFAULT_MAX_ROWS, "{q:?}");
    }
    assert_eq!(plan.queries[0].code_from, "85010000");
    assert_eq!(plan.queries.last().unwrap().code_to, "85019999");
    // The filter: chapter 02 has no gap flagged; months narrow the flags.
    let c2 = coverage(
        &conn,
        &Filter {
            chapter: Some(2),
            from: Month::from_yyyymm(202404),
            to: None,
        },
    )
    .unwrap();
    assert_eq!(c2.flag_count, 0, "{:?}", c2.flags);
    assert_eq!(c2.from, "202404");
    assert!(c2.cells.iter().all(|cell| cell.chapter == "02"));
}

/// The grid by a map keyed by every cell (the first implementation, kept
/// here as the oracle), against [`grid_rows`] on facts in code order, in
/// reverse and interleaved, with several source files in a month and
/// months without facts.
#[test]
fn grid_rows_equal_a_map_of_every_cell_in_any_order() {
    fn oracle(facts: &[MonthlyFact]) -> Vec<CoverageRow> {
        let mut cells: std::collections::BTreeMap<(u32, u16, u32), (u64, i64)> = Default::default();
        for f in facts {
            let cell = cells
                .entry((
                    f.month.yyyymm(),
                    (f.hs_code.0 / 10_000) as u16,
                    f.source_file,
                ))
                .or_default();
            cell.0 += 1;
            cell.1 += f.value;
        }
        cells
            .into_iter()
            .map(
                |((month, heading, source_file), (facts, value))| CoverageRow {
                    month,
                    heading,
                    source_file,
                    facts,
                    value,
                },
            )
            .collect()
    }
    let mut facts = Vec::new();
    let mut x: u64 = 99;
    for code in [
        1_012_100u32,
        1_012_900,
        1_022_100,
        61_102_000,
        85_171_300,
        85_176_200,
    ] {
        for partner in [101u16, 116, 502] {
            for m in [202201u32, 202202, 202205, 202212, 202301, 202302] {
                x = x
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                if x >> 62 == 0 {
                    continue;
                }
                let mut f = fact(m, code, partner, ((x >> 33) % 3) as u32);
                f.value = (x >> 40) as i64;
                facts.push(f);
            }
        }
    }
    facts.sort_by_key(|f| (f.hs_code, f.partner, f.month));
    assert_eq!(grid_rows(&facts), oracle(&facts));
    assert!(grid_rows(&facts).iter().any(|r| r.source_file == 2));
    facts.reverse();
    assert_eq!(grid_rows(&facts), oracle(&facts));
    let (even, odd): (Vec<_>, Vec<_>) = facts
        .iter()
        .cloned()
        .enumerate()
        .partition(|(i, _)| i % 2 == 0);
    let mixed: Vec<MonthlyFact> = odd.into_iter().chain(even).map(|(_, f)| f).collect();
    assert_eq!(grid_rows(&mixed), oracle(&mixed));
    assert!(grid_rows(&[]).is_empty());
}
