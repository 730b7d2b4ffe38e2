//! The download plan (docs/contract.md, Download plan): the platform
//! queries that cover a code space for a year in downloads of at most
//! `max_rows` expected rows each.
//!
//! A query's expected rows are the (month, 8-digit code, partner) facts the
//! same query gave a year earlier. The planner starts from the whole year
//! (months 1-12, 分月展示 ticked, grouped by commodity and partner) over each
//! contiguous range of the chosen codes, and splits:
//!
//! 1. by code range: the codes (in order) are packed greedily into
//!    contiguous ranges of at most `max_rows`; the cut between two ranges is
//!    the roundest code between the last code of one and the first of the
//!    next (`85079999` / `85080000` rather than `85079010` / `85079011`), so
//!    the ranges cover the whole code space, codes not seen a year earlier
//!    included, with no gap and no overlap;
//! 2. a single code still over `max_rows`: by month ranges, packed greedily;
//! 3. a single code-month still over: by partner group, packed greedily
//!    over every known partner (the reference table and the database's).

use rusqlite::{params, Connection};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use utoipa::ToSchema;

/// The platform's cap on one download.
pub const PLATFORM_CAP: u64 = 10_000;
/// The default ceiling of a planned query's expected rows (room under the
/// cap for a year's growth).
pub const DEFAULT_MAX_ROWS: u64 = 9_000;
/// Without a database: the rows assumed for each 4-digit heading slot
/// (XX00..XX99 of a chapter) a month, i.e. 5,000 per chapter a month (the
/// national average is about 4,600). A guess, and the plan says so.
pub const GUESS_ROWS_PER_HEADING_MONTH: u64 = 50;
/// What the platform groups a download by (the ticked grouping boxes).
pub const GROUPING: [&str; 2] = ["商品编码", "贸易伙伴"];

/// One platform query.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PlannedQuery {
    /// 1-based, in plan order
    pub id: usize,
    pub year: u32,
    /// first month of the year, 1-12
    pub month_from: u32,
    /// last month of the year, 1-12
    pub month_to: u32,
    /// first 8-digit code, inclusive
    pub code_from: String,
    /// last 8-digit code, inclusive
    pub code_to: String,
    /// null: all partners; else the 3-digit partner codes to tick
    pub partners: Option<Vec<String>>,
    /// the grouping boxes to tick: 商品编码 (commodity, 8 digits) and 贸易伙伴 (trading partner)
    pub grouping: Vec<String>,
    /// 分月展示 (show each month) ticked
    pub monthly: bool,
    /// rows the same query gave a year earlier (or the guess)
    pub expected_rows: u64,
}

/// A download plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Plan {
    pub year: u32,
    pub max_rows: u64,
    /// `<database> YYYY-MM..YYYY-MM`: the months the sizes come from; null when the plan is a guess without data
    pub sized_from: Option<String>,
    pub queries: Vec<PlannedQuery>,
}

/// A contiguous range of 8-digit codes, inclusive.
pub type CodeRange = (u32, u32);

/// The codes of 2-, 4-, 6- or 8-digit prefixes (dots dropped) as sorted,
/// merged ranges; `Err` names a bad prefix.
pub fn code_ranges<S: AsRef<str>>(prefixes: &[S]) -> Result<Vec<CodeRange>, String> {
    let mut ranges = Vec::new();
    for p in prefixes {
        let p = p.as_ref().trim();
        let digits: String = p.chars().filter(|c| *c != '.').collect();
        if !(digits.bytes().all(|b| b.is_ascii_digit()) && [2, 4, 6, 8].contains(&digits.len())) {
            return Err(format!("{p:?} is not a code prefix of 2, 4, 6 or 8 digits"));
        }
        let scale = 10u32.pow(8 - digits.len() as u32);
        let n: u32 = digits.parse().map_err(|_| format!("{p:?}: not a number"))?;
        ranges.push((n * scale, (n + 1) * scale - 1));
    }
    Ok(merge_ranges(ranges))
}

/// Sorts ranges and joins those that overlap or touch.
pub fn merge_ranges(mut ranges: Vec<CodeRange>) -> Vec<CodeRange> {
    ranges.sort();
    let mut out: Vec<CodeRange> = Vec::new();
    for (lo, hi) in ranges {
        match out.last_mut() {
            Some(last) if lo <= last.1.saturating_add(1) => last.1 = last.1.max(hi),
            _ => out.push((lo, hi)),
        }
    }
    out
}

/// The roundest code `c` with `a < c <= b`: the start of the range after
/// a cut between codes `a` and `b`.
pub fn cut_between(a: u32, b: u32) -> u32 {
    debug_assert!(a < b);
    for k in (0..=8).rev() {
        let scale = 10u32.pow(k);
        let c = b / scale * scale;
        if c > a {
            return c;
        }
    }
    b
}

/// What the planner sizes queries from.
pub trait Sizing {
    /// Rows per unit (an 8-digit code, or the first code of a guessed
    /// block) and month (index 0 = January) within `range`, months
    /// `month_from..=month_to`.
    fn rows(&self, range: CodeRange, month_from: u32, month_to: u32) -> BTreeMap<u32, [u64; 12]>;
    /// Every known partner with the rows it gives in `range` and `month`
    /// (0 for a partner without rows), sorted by code.
    fn partners(&self, range: CodeRange, month: u32) -> Vec<(u16, u64)>;
}

/// A query before numbering.
#[derive(Debug, Clone)]
struct Draft {
    months: (u32, u32),
    codes: CodeRange,
    partners: Option<Vec<u16>>,
    rows: u64,
}

/// Plans `year`, months `month_from..=month_to`, over `ranges`.
pub fn plan(
    year: u32,
    month_from: u32,
    month_to: u32,
    ranges: &[CodeRange],
    max_rows: u64,
    sizing: &dyn Sizing,
    sized_from: Option<String>,
) -> Plan {
    let max_rows = max_rows.max(1);
    let mut drafts = Vec::new();
    for &range in ranges {
        plan_range(range, month_from, month_to, max_rows, sizing, &mut drafts);
    }
    let queries = drafts
        .into_iter()
        .enumerate()
        .map(|(i, d)| PlannedQuery {
            id: i + 1,
            year,
            month_from: d.months.0,
            month_to: d.months.1,
            code_from: format!("{:08}", d.codes.0),
            code_to: format!("{:08}", d.codes.1),
            partners: d
                .partners
                .map(|ps| ps.iter().map(|p| format!("{p:03}")).collect()),
            grouping: GROUPING.iter().map(|g| g.to_string()).collect(),
            monthly: true,
            expected_rows: d.rows,
        })
        .collect();
    Plan {
        year,
        max_rows,
        sized_from,
        queries,
    }
}

fn plan_range(
    range: CodeRange,
    m1: u32,
    m2: u32,
    max: u64,
    sizing: &dyn Sizing,
    out: &mut Vec<Draft>,
) {
    let months = |r: &[u64; 12]| -> u64 { r[(m1 - 1) as usize..m2 as usize].iter().sum() };
    let units: Vec<(u32, [u64; 12])> = sizing
        .rows(range, m1, m2)
        .into_iter()
        .filter(|(code, _)| (range.0..=range.1).contains(code))
        .collect();
    // Greedy packing of the units in code order.
    let mut groups: Vec<Vec<(u32, [u64; 12])>> = Vec::new();
    let mut total = 0u64;
    for unit in units {
        let rows = months(&unit.1);
        match groups.last_mut() {
            Some(g) if total + rows <= max => {
                g.push(unit);
                total += rows;
            }
            _ => {
                groups.push(vec![unit]);
                total = rows;
            }
        }
    }
    if groups.is_empty() {
        out.push(Draft {
            months: (m1, m2),
            codes: range,
            partners: None,
            rows: 0,
        });
        return;
    }
    let mut start = range.0;
    for i in 0..groups.len() {
        let end = match groups.get(i + 1) {
            Some(next) => cut_between(groups[i].last().unwrap().0, next[0].0) - 1,
            None => range.1,
        };
        let codes = (start, end);
        let group = &groups[i];
        let rows: u64 = group.iter().map(|u| months(&u.1)).sum();
        if rows <= max {
            out.push(Draft {
                months: (m1, m2),
                codes,
                partners: None,
                rows,
            });
        } else {
            // One unit over the ceiling: by month ranges, then partners.
            let per_month = group[0].1;
            let mut month_groups: Vec<(u32, u32, u64)> = Vec::new();
            for m in m1..=m2 {
                let r = per_month[(m - 1) as usize];
                match month_groups.last_mut() {
                    Some(g) if g.2 + r <= max => {
                        g.1 = m;
                        g.2 += r;
                    }
                    _ => month_groups.push((m, m, r)),
                }
            }
            for (a, b, r) in month_groups {
                if r <= max {
                    out.push(Draft {
                        months: (a, b),
                        codes,
                        partners: None,
                        rows: r,
                    });
                } else {
                    split_partners(codes, a, max, sizing, out);
                }
            }
        }
        start = end.wrapping_add(1);
    }
}

fn split_partners(
    codes: CodeRange,
    month: u32,
    max: u64,
    sizing: &dyn Sizing,
    out: &mut Vec<Draft>,
) {
    let mut groups: Vec<(Vec<u16>, u64)> = Vec::new();
    for (p, r) in sizing.partners(codes, month) {
        match groups.last_mut() {
            Some(g) if g.1 + r <= max => {
                g.0.push(p);
                g.1 += r;
            }
            _ => groups.push((vec![p], r)),
        }
    }
    for (partners, rows) in groups {
        out.push(Draft {
            months: (month, month),
            codes,
            partners: Some(partners),
            rows,
        });
    }
}

/// Sizes from the facts of a database for the months of `year` (the year
/// before the planned one). A month of that year the database does not
/// hold at all is sized, per code, as its busiest month that is held.
pub struct DbSizing<'c> {
    pub conn: &'c Connection,
    pub year: u32,
    /// Months (1-12) of `year` with facts in the database.
    pub present: Vec<u32>,
}

impl<'c> DbSizing<'c> {
    pub fn new(conn: &'c Connection, year: u32) -> rusqlite::Result<DbSizing<'c>> {
        let mut st = conn.prepare_cached(
            "SELECT DISTINCT month FROM coverage WHERE month BETWEEN ?1 AND ?2 ORDER BY month",
        )?;
        let present = st
            .query_map(params![year * 100 + 1, year * 100 + 12], |r| {
                r.get::<_, u32>(0)
            })?
            .collect::<Result<Vec<u32>, _>>()?
            .into_iter()
            .map(|m| m % 100)
            .collect();
        Ok(DbSizing {
            conn,
            year,
            present,
        })
    }

    /// `YYYY-MM..YYYY-MM` of the held months of the year, if any.
    pub fn months_label(&self) -> Option<String> {
        let (a, b) = (self.present.first()?, self.present.last()?);
        Some(format!("{}-{a:02}..{}-{b:02}", self.year, self.year))
    }

    fn try_rows(
        &self,
        range: CodeRange,
        m1: u32,
        m2: u32,
    ) -> rusqlite::Result<BTreeMap<u32, [u64; 12]>> {
        let mut out: BTreeMap<u32, [u64; 12]> = BTreeMap::new();
        self.each_fact(range, &mut |code, _, m| {
            if self.present.contains(&m) && (m1..=m2).contains(&m) {
                out.entry(code).or_default()[(m - 1) as usize] += 1;
            }
        })?;
        let absent: Vec<u32> = (m1..=m2).filter(|m| !self.present.contains(m)).collect();
        if !absent.is_empty() && !self.present.is_empty() {
            for rows in out.values_mut() {
                let busiest = *rows.iter().max().unwrap_or(&0);
                for &m in &absent {
                    rows[(m - 1) as usize] = busiest;
                }
            }
        }
        Ok(out)
    }

    fn try_partners(&self, range: CodeRange, month: u32) -> rusqlite::Result<Vec<(u16, u64)>> {
        let mut all: BTreeMap<u16, u64> = known_partners(Some(self.conn))
            .into_iter()
            .map(|p| (p, 0))
            .collect();
        // A month the database does not hold: its busiest held month.
        let held = if self.present.contains(&month) {
            Some(month)
        } else {
            let mut best = None;
            let mut best_rows = 0;
            for &m in &self.present {
                let rows: u64 = self
                    .try_rows(range, m, m)?
                    .values()
                    .map(|r| r[(m - 1) as usize])
                    .sum();
                if best.is_none() || rows > best_rows {
                    best = Some(m);
                    best_rows = rows;
                }
            }
            best
        };
        if let Some(held) = held {
            self.each_fact(range, &mut |_, p, m| {
                if m == held {
                    *all.entry(p).or_default() += 1;
                }
            })?;
        }
        Ok(all.into_iter().collect())
    }

    /// Calls `each(code, partner, month)` for every fact of the year with a
    /// code in `range` (month 1-12): one range of the packed facts' key.
    fn each_fact(
        &self,
        range: CodeRange,
        each: &mut dyn FnMut(u32, u16, u32),
    ) -> rusqlite::Result<()> {
        let mut st = self.conn.prepare_cached(
            "SELECT hs_code, country_code, first_month, months, json_array_length(value)
             FROM fact_series WHERE hs_code BETWEEN ?1 AND ?2",
        )?;
        let mut rows = st.query(params![
            format!("{:08}", range.0),
            format!("{:08}", range.1)
        ])?;
        while let Some(r) = rows.next()? {
            let (Ok(code), Ok(partner)) = (
                r.get_ref(0)?.as_str()?.parse::<u32>(),
                r.get_ref(1)?.as_str()?.parse::<u16>(),
            ) else {
                continue;
            };
            let n: i64 = r.get(4)?;
            let months = cnexport_core::series::decode_months(
                r.get(2)?,
                r.get_ref(3)?.as_str_or_null()?,
                n as usize,
            )
            .map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?;
            for m in months {
                if m.year() == self.year {
                    each(code, partner, m.month());
                }
            }
        }
        Ok(())
    }
}

impl Sizing for DbSizing<'_> {
    fn rows(&self, range: CodeRange, m1: u32, m2: u32) -> BTreeMap<u32, [u64; 12]> {
        self.try_rows(range, m1, m2).unwrap_or_else(|e| {
            tracing::warn!(error = %e, "sizing from the database failed");
            BTreeMap::new()
        })
    }

    fn partners(&self, range: CodeRange, month: u32) -> Vec<(u16, u64)> {
        self.try_partners(range, month).unwrap_or_default()
    }
}

/// Every partner code the reference table knows, and the database's
/// (`countries` holds both) when there is one.
pub fn known_partners(conn: Option<&Connection>) -> BTreeSet<u16> {
    let mut all: BTreeSet<u16> = cnexport_core::reference::Reference::get()
        .countries
        .keys()
        .map(|p| p.0)
        .collect();
    if let Some(conn) = conn {
        if let Ok(mut st) = conn.prepare_cached("SELECT country_code FROM countries") {
            if let Ok(rows) = st.query_map([], |r| r.get::<_, String>(0)) {
                all.extend(rows.flatten().filter_map(|p| p.parse::<u16>().ok()));
            }
        }
    }
    all
}

/// The guess without data: every 4-digit heading slot of the code space
/// (or a finer prefix on its own) gives [`GUESS_ROWS_PER_HEADING_MONTH`]
/// rows a month, spread evenly over the reference partners.
pub struct GuessSizing;

impl Sizing for GuessSizing {
    fn rows(&self, range: CodeRange, _m1: u32, _m2: u32) -> BTreeMap<u32, [u64; 12]> {
        let mut out = BTreeMap::new();
        let step = 10_000u32;
        let mut at = range.0;
        while at <= range.1 {
            out.insert(at, [GUESS_ROWS_PER_HEADING_MONTH; 12]);
            let next = (at / step + 1) * step;
            if next <= at {
                break;
            }
            at = next;
        }
        out
    }

    fn partners(&self, range: CodeRange, _month: u32) -> Vec<(u16, u64)> {
        let partners = known_partners(None);
        let units = self.rows(range, 1, 12).len() as u64;
        let each = (GUESS_ROWS_PER_HEADING_MONTH * units).div_ceil(partners.len().max(1) as u64);
        partners.into_iter().map(|p| (p, each)).collect()
    }
}

/// The chapters (2 digits) with facts in the database, as code ranges.
pub fn database_chapters(conn: &Connection) -> rusqlite::Result<Vec<CodeRange>> {
    let mut st = conn.prepare("SELECT DISTINCT chapter FROM coverage ORDER BY chapter")?;
    let chapters = st
        .query_map([], |r| r.get::<_, String>(0))?
        .collect::<Result<Vec<String>, _>>()?;
    Ok(merge_ranges(
        chapters
            .iter()
            .filter_map(|c| c.parse::<u32>().ok())
            .map(|c| (c * 1_000_000, c * 1_000_000 + 999_999))
            .collect(),
    ))
}

/// The plan of `cnexport plan`: `year` over `codes` (prefixes; default the
/// database's chapters, or 01-98 without one), sized from `db` a year
/// earlier (labelled `db_label`), or guessed.
pub fn plan_year(
    year: u32,
    codes: &[String],
    db: Option<(&Connection, &str)>,
    max_rows: u64,
) -> Result<Plan, String> {
    let ranges = if codes.is_empty() {
        match db {
            Some((conn, _)) => database_chapters(conn).map_err(|e| e.to_string())?,
            None => vec![(1_000_000, 98_999_999)],
        }
    } else {
        code_ranges(codes)?
    };
    Ok(match db {
        Some((conn, label)) => {
            let sizing = DbSizing::new(conn, year - 1).map_err(|e| e.to_string())?;
            match sizing.months_label() {
                Some(months) => plan(
                    year,
                    1,
                    12,
                    &ranges,
                    max_rows,
                    &sizing,
                    Some(format!("{label} {months}")),
                ),
                // Nothing a year earlier: the guess.
                None => plan(year, 1, 12, &ranges, max_rows, &GuessSizing, None),
            }
        }
        None => plan(year, 1, 12, &ranges, max_rows, &GuessSizing, None),
    })
}

/// The plan as CSV: the JSON's columns, one row per query; `partners` is
/// empty for all partners, else the codes joined by `_`; `grouping` is
/// joined by `+`.
pub fn to_csv(plan: &Plan) -> String {
    let mut s = String::from(
        "id,year,monthFrom,monthTo,codeFrom,codeTo,partners,grouping,monthly,expectedRows\n",
    );
    for q in &plan.queries {
        s.push_str(&format!(
            "{},{},{},{},{},{},{},{},{},{}\n",
            q.id,
            q.year,
            q.month_from,
            q.month_to,
            q.code_from,
            q.code_to,
            q.partners.as_ref().map(|p| p.join("_")).unwrap_or_default(),
            q.grouping.join("+"),
            q.monthly,
            q.expected_rows
        ));
    }
    s
}
