//! What a database covers (docs/contract.md, Coverage): the grid of months
//! x HS chapters (facts, value and the source files that hold them, from
//! the small `coverage` table the build writes), and the holes it flags:
//!
//! - `missing_month`: a month between the first and the latest month of the
//!   data with no facts at all;
//! - `chapter_gap`: a chapter with no facts in a month (that has facts)
//!   while it has facts within 12 months before and within 12 months after,
//!   averaging at least 5 facts a month over the 2 months before and the 2
//!   after its empty months (a sparse chapter's empty month is chance);
//! - `uncovered_codes`: codes that no download of a month covers: the
//!   files holding a month each cover a code range (their lowest to their
//!   highest code); a range between two of them, holding whole headings
//!   that had at least 5 facts in the same month a year earlier, was in no
//!   query (one flag per run of months, with the queries to download).
//!   Planned downloads split the code space, so a missed one leaves such a
//!   range, not an empty chapter or month;
//! - `cut_off_file`: a source file of exactly 10,000 data rows, the
//!   platform's cap on a download, with the queries that would fit
//!   ([`plan`]).
//!
//! The build report, `GET /skill/coverage` and `cnexport coverage` all
//! answer from [`coverage`].

pub mod plan;

use cnexport_core::tables::CoverageRow;
use cnexport_core::{Month, MonthlyFact};
use plan::{CodeRange, DbSizing, Plan, Sizing, DEFAULT_MAX_ROWS, PLATFORM_CAP};
use rusqlite::{Connection, OptionalExtension};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use utoipa::ToSchema;

/// How far (in months, each side) `chapter_gap` looks for the chapter's
/// facts around a month without them.
pub const GAP_WINDOW: i64 = 12;
/// The facts a month a chapter must average in the 2 months before and
/// the 2 months after its empty months for them to be a `chapter_gap`
/// (with 5 a month, an empty month by chance is under 1%).
pub const GAP_MIN_FACTS: u64 = 5;

/// The coverage rows of a build's facts: one per month, 4-digit heading and
/// source file, sorted. Facts in code order (as a build holds them) are
/// summed a heading at a time into one slot per month (a slot holds a cell
/// per source file, usually one), with no lookup per fact; facts in any
/// other order give the same rows (a heading seen twice is summed by the
/// final sort).
pub fn grid_rows(facts: &[MonthlyFact]) -> Vec<CoverageRow> {
    let Some(first) = facts.iter().map(|f| f.month).min() else {
        return Vec::new();
    };
    let latest = facts.iter().map(|f| f.month).max().unwrap_or(first);
    // Per month of the current heading: (source_file, facts, value).
    let mut slots: Vec<Vec<(u32, u64, i64)>> = vec![Vec::new(); latest.since(first) as usize + 1];
    let mut used: Vec<usize> = Vec::new();
    let mut rows: Vec<CoverageRow> = Vec::new();
    let mut flush = |heading: u16, slots: &mut [Vec<(u32, u64, i64)>], used: &mut Vec<usize>| {
        for &i in used.iter() {
            let month = first.plus(i as i64).yyyymm();
            rows.extend(
                slots[i]
                    .drain(..)
                    .map(|(source_file, facts, value)| CoverageRow {
                        month,
                        heading,
                        source_file,
                        facts,
                        value,
                    }),
            );
        }
        used.clear();
    };
    let mut heading = None;
    for f in facts {
        let h = (f.hs_code.0 / 10_000) as u16;
        if heading != Some(h) {
            if let Some(done) = heading {
                flush(done, &mut slots, &mut used);
            }
            heading = Some(h);
        }
        let i = f.month.since(first) as usize;
        let slot = &mut slots[i];
        if slot.is_empty() {
            used.push(i);
        }
        match slot.iter_mut().find(|c| c.0 == f.source_file) {
            Some(cell) => {
                cell.1 += 1;
                cell.2 += f.value;
            }
            None => slot.push((f.source_file, 1, f.value)),
        }
    }
    if let Some(done) = heading {
        flush(done, &mut slots, &mut used);
    }
    rows.sort_unstable_by_key(|r| (r.month, r.heading, r.source_file));
    rows.dedup_by(|later, kept| {
        let same = (later.month, later.heading, later.source_file)
            == (kept.month, kept.heading, kept.source_file);
        if same {
            kept.facts += later.facts;
            kept.value += later.value;
        }
        same
    });
    rows
}

/// What to show: one chapter, a range of months.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Filter {
    /// 1-99
    pub chapter: Option<u8>,
    pub from: Option<Month>,
    pub to: Option<Month>,
}

/// Why there is no coverage to show.
#[derive(Debug)]
pub enum CoverageError {
    /// No facts at all.
    NoData,
    /// A database of an older schema, without the `coverage` table.
    NoTable,
    Sqlite(rusqlite::Error),
}

impl std::fmt::Display for CoverageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CoverageError::NoData => write!(f, "the database holds no data"),
            CoverageError::NoTable => write!(
                f,
                "the database has no coverage table (built before schema version 4): build it again"
            ),
            CoverageError::Sqlite(e) => write!(f, "SQLite: {e}"),
        }
    }
}

impl std::error::Error for CoverageError {}

impl From<rusqlite::Error> for CoverageError {
    fn from(e: rusqlite::Error) -> CoverageError {
        CoverageError::Sqlite(e)
    }
}

/// One month of the grid, all chapters (of the filter) together.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MonthCoverage {
    /// YYYYMM
    pub month: String,
    pub facts: u64,
    /// yuan
    #[schema(format = "yuan")]
    pub value: i64,
    /// chapters with facts
    pub chapters: usize,
    /// the source files (release order, see `files`) holding the facts
    pub files: Vec<u32>,
    /// flags of this month
    pub flags: usize,
}

/// One cell of the grid: a month and a chapter with facts.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CoverageCell {
    /// YYYYMM
    pub month: String,
    /// 2 digits
    pub chapter: String,
    pub facts: u64,
    /// yuan
    #[schema(format = "yuan")]
    pub value: i64,
    /// the source files (release order) holding the facts
    pub files: Vec<u32>,
}

/// A source file: what its rows cover.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CoverageFile {
    /// release order (source_files.release_order)
    pub id: u32,
    pub path: String,
    pub rows_read: u64,
    /// YYYYMM of the file's first and last loaded rows
    pub first_month: Option<String>,
    pub last_month: Option<String>,
    /// lowest and highest 8-digit code of its loaded rows
    pub min_code: Option<String>,
    pub max_code: Option<String>,
    /// distinct partners of its loaded rows
    pub partner_count: u64,
    /// exactly 10,000 rows: the platform's cap
    pub cut_off: bool,
}

/// Something that looks like a hole.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CoverageFlag {
    /// `missing_month`, `chapter_gap`, `uncovered_codes` or `cut_off_file`
    pub kind: String,
    /// YYYYMM (a cut-off file: its last month)
    pub month: Option<String>,
    /// 2 digits (chapter_gap; uncovered_codes: of its first code)
    pub chapter: Option<String>,
    /// uncovered_codes: the first code of the range no download covers (8 digits)
    pub code_from: Option<String>,
    /// uncovered_codes: its last code
    pub code_to: Option<String>,
    /// release order of the file (cut_off_file)
    pub file: Option<u32>,
    pub path: Option<String>,
    /// what is wrong, in Chinese and English
    pub detail: String,
    /// cut_off_file: the queries that would fit under the cap, one plan per year the file spans
    pub suggestion: Vec<Plan>,
}

/// Flags by kind.
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct FlagCounts {
    pub missing_month: usize,
    pub chapter_gap: usize,
    pub uncovered_codes: usize,
    pub cut_off_file: usize,
}

impl FlagCounts {
    /// `3 flags (1 missing month, 0 chapter gap, 2 uncovered code range, 0
    /// cut-off file)`, or `no holes flagged`.
    pub fn summary(&self) -> String {
        let n = self.missing_month + self.chapter_gap + self.uncovered_codes + self.cut_off_file;
        if n == 0 {
            return "no holes flagged".into();
        }
        format!(
            "{n} flag{} ({} missing month, {} chapter gap, {} uncovered code range, {} cut-off file)",
            if n == 1 { "" } else { "s" },
            self.missing_month,
            self.chapter_gap,
            self.uncovered_codes,
            self.cut_off_file
        )
    }
}

/// GET /skill/coverage
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CoverageAnswer {
    /// YYYYMM: the data's first and latest month
    pub first_month: String,
    pub latest_month: String,
    /// YYYYMM: the months shown (the filter within the data's range)
    pub from: String,
    pub to: String,
    /// the chapter shown (null: all)
    pub chapter: Option<String>,
    pub fact_count: u64,
    /// yuan
    #[schema(format = "yuan")]
    pub total_value: i64,
    pub flag_count: usize,
    pub flag_counts: FlagCounts,
    /// every month from..to, months without facts included
    pub months: Vec<MonthCoverage>,
    /// every month x chapter with facts
    pub cells: Vec<CoverageCell>,
    /// the source files the cells and flags name
    pub files: Vec<CoverageFile>,
    pub flags: Vec<CoverageFlag>,
}

#[derive(Default)]
struct Acc {
    facts: u64,
    value: i64,
    files: BTreeSet<u32>,
}

struct FileRow {
    id: u32,
    path: String,
    rows_read: u64,
    first_month: Option<u32>,
    last_month: Option<u32>,
    min_code: Option<String>,
    max_code: Option<String>,
    partner_count: u64,
}

fn month_of(yyyymm: u32) -> Month {
    Month::from_yyyymm(yyyymm).unwrap_or_else(|| Month::from_index(0))
}

/// The coverage of the database, with the flags, within `filter`. Reads
/// the `coverage` and `source_files` tables, and for a cut-off file's
/// suggestion the facts of its codes a year earlier (one index range per
/// month).
pub fn coverage(conn: &Connection, filter: &Filter) -> Result<CoverageAnswer, CoverageError> {
    let has_table: Option<i64> = conn
        .query_row(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'coverage'",
            [],
            |r| r.get(0),
        )
        .optional()?;
    if has_table.is_none() {
        return Err(CoverageError::NoTable);
    }
    let mut grid: BTreeMap<(u32, u8), Acc> = BTreeMap::new();
    // Facts per 4-digit heading and month (for `uncovered_codes`).
    let mut headings: BTreeMap<u16, BTreeMap<u32, u64>> = BTreeMap::new();
    {
        let mut st = conn.prepare_cached(
            "SELECT month, heading, source_file, facts, value FROM coverage
             ORDER BY month, heading, source_file",
        )?;
        let rows = st.query_map([], |r| {
            Ok((
                r.get::<_, u32>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, u32>(2)?,
                r.get::<_, i64>(3)?,
                r.get::<_, i64>(4)?,
            ))
        })?;
        for row in rows {
            let (month, heading, file, facts, value) = row?;
            let heading: u16 = heading.parse().unwrap_or(0);
            let acc = grid.entry((month, (heading / 100) as u8)).or_default();
            acc.facts += facts as u64;
            acc.value += value;
            acc.files.insert(file);
            *headings
                .entry(heading)
                .or_default()
                .entry(month)
                .or_default() += facts as u64;
        }
    }
    let (Some(first), Some(latest)) = (
        grid.keys().next().map(|k| month_of(k.0)),
        grid.keys().next_back().map(|k| month_of(k.0)),
    ) else {
        return Err(CoverageError::NoData);
    };
    let files = read_files(conn)?;

    // The flags, on the whole grid.
    let months_with_facts: BTreeSet<u32> = grid.keys().map(|k| k.0).collect();
    let chapters: BTreeSet<u8> = grid.keys().map(|k| k.1).collect();
    let mut flags: Vec<(Month, Option<u8>, Option<CodeRange>, CoverageFlag)> = Vec::new();
    let all_months: Vec<Month> = (0..=latest.since(first)).map(|i| first.plus(i)).collect();
    for &m in &all_months {
        if !months_with_facts.contains(&m.yyyymm()) {
            flags.push((
                m,
                None,
                None,
                CoverageFlag {
                    kind: "missing_month".into(),
                    month: Some(m.to_string()),
                    chapter: None,
                    code_from: None,
                    code_to: None,
                    file: None,
                    path: None,
                    detail: format!(
                        "本月无任何数据 (no facts at all in {m}, inside the data's range {first}..{latest}: a month's download is missing)"
                    ),
                    suggestion: Vec::new(),
                },
            ));
        }
    }
    let facts_of = |m: Month, c: u8| grid.get(&(m.yyyymm(), c)).map_or(0, |a| a.facts);
    let has = |m: Month, c: u8| facts_of(m, c) > 0;
    for &c in &chapters {
        for &m in &all_months {
            if has(m, c) || !months_with_facts.contains(&m.yyyymm()) {
                continue;
            }
            let before = (1..=GAP_WINDOW)
                .map(|d| m.minus(d))
                .find(|&b| b >= first && has(b, c));
            let after = (1..=GAP_WINDOW)
                .map(|d| m.plus(d))
                .find(|&a| a <= latest && has(a, c));
            // Dense enough around the empty run that an empty month is no
            // chance: the 2 months before it and the 2 after (within the
            // range) average GAP_MIN_FACTS facts.
            let dense = |b: Month, a: Month| {
                let around: Vec<u64> = [b.minus(1), b, a, a.plus(1)]
                    .into_iter()
                    .filter(|x| *x >= first && *x <= latest)
                    .map(|x| facts_of(x, c))
                    .collect();
                around.iter().sum::<u64>() >= GAP_MIN_FACTS * around.len() as u64
            };
            let (before, after) = match (before, after) {
                (Some(b), Some(a)) if dense(b, a) => (Some(b), Some(a)),
                _ => (None, None),
            };
            if let (Some(b), Some(a)) = (before, after) {
                flags.push((
                    m,
                    Some(c),
                    None,
                    CoverageFlag {
                        kind: "chapter_gap".into(),
                        month: Some(m.to_string()),
                        chapter: Some(format!("{c:02}")),
                        code_from: None,
                    code_to: None,
                        file: None,
                        path: None,
                        detail: format!(
                            "第{c:02}章本月无数据 (chapter {c:02} has no facts in {m} but has facts in {b} and {a}: its download for {m} is probably missing)"
                        ),
                        suggestion: Vec::new(),
                    },
                ));
            }
        }
    }
    // Codes no download covers: for each month, the code ranges of the
    // files holding it (lowest to highest code loaded); a heading with
    // facts a year earlier that lies between two of those ranges, inside
    // none, was in no query: a download between them is missing. Headings
    // below the lowest or above the highest range are not flagged (where a
    // query ended is unknown there). Runs of months with the same gap are
    // one flag.
    // Per range: the months it is uncovered, with the year-earlier facts
    // and headings inside it.
    type Uncovered = Vec<(Month, u64, Vec<u16>)>;
    let mut gaps: BTreeMap<CodeRange, Uncovered> = BTreeMap::new();
    for &m in &all_months {
        let year_ago = m.minus(12);
        if !months_with_facts.contains(&m.yyyymm()) || year_ago < first {
            continue;
        }
        let mut ranges: Vec<CodeRange> = files
            .values()
            .filter(|f| {
                f.first_month.is_some_and(|a| a <= m.yyyymm())
                    && f.last_month.is_some_and(|b| b >= m.yyyymm())
            })
            .filter_map(|f| {
                Some((
                    f.min_code.as_deref()?.parse().ok()?,
                    f.max_code.as_deref()?.parse().ok()?,
                ))
            })
            .collect();
        ranges.sort_unstable();
        let mut merged: Vec<CodeRange> = Vec::new();
        for r in ranges {
            match merged.last_mut() {
                Some(last) if r.0 <= last.1.saturating_add(1) => last.1 = last.1.max(r.1),
                _ => merged.push(r),
            }
        }
        for pair in merged.windows(2) {
            let gap = (pair[0].1 + 1, pair[1].0 - 1);
            let mut facts = 0;
            let mut in_gap = Vec::new();
            let first_heading = (gap.0 / 10_000) as u16;
            for (&h, by_month) in headings.range(first_heading..=(gap.1 / 10_000) as u16) {
                let (lo, hi) = (u32::from(h) * 10_000, u32::from(h) * 10_000 + 9_999);
                let n = by_month.get(&year_ago.yyyymm()).copied().unwrap_or(0);
                // Wholly inside the gap: a heading split between a file
                // and the gap may just have ended early.
                if lo >= gap.0 && hi <= gap.1 && n > 0 {
                    facts += n;
                    in_gap.push(h);
                }
            }
            if facts >= GAP_MIN_FACTS {
                gaps.entry(gap).or_default().push((m, facts, in_gap));
            }
        }
    }
    for (gap, months) in gaps {
        let mut k = 0;
        while k < months.len() {
            let start = months[k].0;
            let mut end = k;
            while end + 1 < months.len() && months[end + 1].0 == months[end].0.plus(1) {
                end += 1;
            }
            let run = &months[k..=end];
            let year_ago: u64 = run.iter().map(|r| r.1).sum();
            let mut heads: BTreeSet<u16> = BTreeSet::new();
            for r in run {
                heads.extend(r.2.iter().copied());
            }
            let last = run[run.len() - 1].0;
            k = end + 1;
            let span = if start == last {
                start.to_string()
            } else {
                format!("{start}..{last}")
            };
            let list = heads
                .iter()
                .map(|h| format!("{h:04}"))
                .collect::<Vec<_>>()
                .join(", ");
            let suggestion = suggest(conn, start, last, gap)?;
            let chapter = (gap.0 / 1_000_000) as u8;
            flags.push((
                start,
                Some(chapter),
                Some(gap),
                CoverageFlag {
                    kind: "uncovered_codes".into(),
                    month: Some(start.to_string()),
                    chapter: Some(format!("{chapter:02}")),
                    code_from: Some(format!("{:08}", gap.0)),
                    code_to: Some(format!("{:08}", gap.1)),
                    file: None,
                    path: None,
                    detail: format!(
                        "商品编码{a:08}..{b:08}无下载覆盖 (codes {a:08}..{b:08} are in no download of {span}: the downloads of those months cover the codes below and above them, and a year earlier headings {list} had {year_ago} facts in those months; the download for these codes is probably missing)",
                        a = gap.0,
                        b = gap.1,
                    ),
                    suggestion,
                },
            ));
        }
    }
    for f in files.values().filter(|f| f.rows_read == PLATFORM_CAP) {
        let (Some(fm), Some(lm), Some(lo), Some(hi)) = (
            f.first_month.map(month_of),
            f.last_month.map(month_of),
            f.min_code.as_deref().and_then(|c| c.parse::<u32>().ok()),
            f.max_code.as_deref().and_then(|c| c.parse::<u32>().ok()),
        ) else {
            continue;
        };
        // Whole 4-digit headings from the file's first code to its last.
        let range = (lo / 10_000 * 10_000, hi / 10_000 * 10_000 + 9_999);
        // The rows after the cut are lost, and with them every later month
        // of the query (the platform sorts by month): download again to the
        // end of the file's last year (or the data's latest month).
        let end = Month::from_yyyymm(lm.year() * 100 + 12)
            .unwrap_or(lm)
            .min(latest.max(lm));
        let suggestion = suggest(conn, fm, end, range)?;
        flags.push((
            lm,
            None,
            Some(range),
            CoverageFlag {
                kind: "cut_off_file".into(),
                month: Some(lm.to_string()),
                chapter: None,
                code_from: None,
                    code_to: None,
                file: Some(f.id),
                path: Some(f.path.clone()),
                detail: format!(
                    "文件恰好{cap}行, 可能被截断 ({path} has exactly {cap} rows, the platform's cap on a download: the rows after its last one ({lm}, code {hi:08}) were probably cut off, and with them any later month the query asked for. Download {fm}..{end}, codes {a:08}..{b:08} again as the suggested queries, each expected under {max} rows)",
                    cap = PLATFORM_CAP,
                    path = f.path,
                    a = range.0,
                    b = range.1,
                    max = DEFAULT_MAX_ROWS,
                ),
                suggestion,
            },
        ));
    }

    // The filter.
    let from = filter.from.map_or(first, |m| m.max(first));
    let to = filter.to.map_or(latest, |m| m.min(latest));
    let in_months = |m: Month| m >= from && m <= to;
    let in_chapter = |c: u8| filter.chapter.is_none_or(|x| x == c);
    let flags: Vec<CoverageFlag> = {
        let mut kept: Vec<_> = flags
            .into_iter()
            .filter(|(m, c, range, flag)| match range {
                // A cut-off file: its months and codes meet the filter.
                Some((lo, hi)) => {
                    let fm = flag
                        .file
                        .and_then(|id| files.get(&id))
                        .and_then(|f| f.first_month)
                        .map(month_of)
                        .unwrap_or(*m);
                    fm <= to
                        && *m >= from
                        && filter
                            .chapter
                            .is_none_or(|x| (lo / 1_000_000..=hi / 1_000_000).contains(&(x as u32)))
                }
                None => in_months(*m) && c.is_none_or(in_chapter),
            })
            .collect();
        kept.sort_by_key(|(m, c, _, f)| {
            (
                match f.kind.as_str() {
                    "missing_month" => 0,
                    "chapter_gap" => 1,
                    "uncovered_codes" => 2,
                    _ => 3,
                },
                *m,
                *c,
                f.file,
            )
        });
        kept.into_iter().map(|(_, _, _, f)| f).collect()
    };
    let mut months = Vec::new();
    let mut cells = Vec::new();
    let mut named: BTreeSet<u32> = flags.iter().filter_map(|f| f.file).collect();
    let (mut fact_count, mut total_value) = (0u64, 0i64);
    let mut m = from;
    while m <= to {
        let mut month = MonthCoverage {
            month: m.to_string(),
            facts: 0,
            value: 0,
            chapters: 0,
            files: Vec::new(),
            flags: flags
                .iter()
                .filter(|f| f.month.as_deref() == Some(&*m.to_string()))
                .count(),
        };
        let mut month_files = BTreeSet::new();
        for ((_, c), acc) in grid.range((m.yyyymm(), 0)..=(m.yyyymm(), u8::MAX)) {
            if !in_chapter(*c) {
                continue;
            }
            month.facts += acc.facts;
            month.value += acc.value;
            month.chapters += 1;
            month_files.extend(acc.files.iter().copied());
            cells.push(CoverageCell {
                month: m.to_string(),
                chapter: format!("{c:02}"),
                facts: acc.facts,
                value: acc.value,
                files: acc.files.iter().copied().collect(),
            });
        }
        fact_count += month.facts;
        total_value += month.value;
        named.extend(month_files.iter().copied());
        month.files = month_files.into_iter().collect();
        months.push(month);
        m = m.plus(1);
    }
    let mut counts = FlagCounts::default();
    for f in &flags {
        match f.kind.as_str() {
            "missing_month" => counts.missing_month += 1,
            "chapter_gap" => counts.chapter_gap += 1,
            "uncovered_codes" => counts.uncovered_codes += 1,
            _ => counts.cut_off_file += 1,
        }
    }
    Ok(CoverageAnswer {
        first_month: first.to_string(),
        latest_month: latest.to_string(),
        from: from.to_string(),
        to: to.to_string(),
        chapter: filter.chapter.map(|c| format!("{c:02}")),
        fact_count,
        total_value,
        flag_count: flags.len(),
        flag_counts: counts,
        months,
        cells,
        files: named
            .iter()
            .filter_map(|id| files.get(id))
            .map(|f| CoverageFile {
                id: f.id,
                path: f.path.clone(),
                rows_read: f.rows_read,
                first_month: f.first_month.map(|m| m.to_string()),
                last_month: f.last_month.map(|m| m.to_string()),
                min_code: f.min_code.clone(),
                max_code: f.max_code.clone(),
                partner_count: f.partner_count,
                cut_off: f.rows_read == PLATFORM_CAP,
            })
            .collect(),
        flags,
    })
}

fn read_files(conn: &Connection) -> Result<BTreeMap<u32, FileRow>, CoverageError> {
    let mut st = conn
        .prepare_cached(
            "SELECT release_order, path, rows_read, first_month, last_month, min_code, max_code,
                    partner_count
             FROM source_files ORDER BY release_order",
        )
        .map_err(|_| CoverageError::NoTable)?;
    let rows = st.query_map([], |r| {
        Ok(FileRow {
            id: r.get(0)?,
            path: r.get(1)?,
            rows_read: r.get::<_, i64>(2)? as u64,
            first_month: r.get(3)?,
            last_month: r.get(4)?,
            min_code: r.get(5)?,
            max_code: r.get(6)?,
            partner_count: r.get::<_, i64>(7)? as u64,
        })
    })?;
    let mut out = BTreeMap::new();
    for row in rows {
        let row = row?;
        out.insert(row.id, row);
    }
    Ok(out)
}

/// The queries that would re-download a cut-off file's months `fm..=lm`
/// and codes `range` under the cap: one plan per year, each code and month
/// sized as the larger of the database's facts a year earlier and this
/// year's facts already in it (a lower bound, since the cut lost rows, but
/// they show the query gave at least 10,000).
fn suggest(
    conn: &Connection,
    fm: Month,
    lm: Month,
    range: CodeRange,
) -> Result<Vec<Plan>, CoverageError> {
    let mut plans = Vec::new();
    for year in fm.year()..=lm.year() {
        let m1 = if year == fm.year() { fm.month() } else { 1 };
        let m2 = if year == lm.year() { lm.month() } else { 12 };
        let sizing = Larger(DbSizing::new(conn, year - 1)?, DbSizing::new(conn, year)?);
        let label = format!(
            "database {p}-{m1:02}..{p}-{m2:02} and {year}-{m1:02}..{year}-{m2:02}, the larger per code and month",
            p = year - 1
        );
        plans.push(plan::plan(
            year,
            m1,
            m2,
            &[range],
            DEFAULT_MAX_ROWS,
            &sizing,
            Some(label),
        ));
    }
    Ok(plans)
}

/// The larger of two sizings, per code and month (per partner).
struct Larger<A, B>(A, B);

impl<A: Sizing, B: Sizing> Sizing for Larger<A, B> {
    fn rows(&self, range: CodeRange, m1: u32, m2: u32) -> BTreeMap<u32, [u64; 12]> {
        let mut out = self.0.rows(range, m1, m2);
        for (code, rows) in self.1.rows(range, m1, m2) {
            let e = out.entry(code).or_default();
            for (a, b) in e.iter_mut().zip(rows) {
                *a = (*a).max(b);
            }
        }
        out
    }

    fn partners(&self, range: CodeRange, month: u32) -> Vec<(u16, u64)> {
        let mut out: BTreeMap<u16, u64> = self.0.partners(range, month).into_iter().collect();
        for (p, n) in self.1.partners(range, month) {
            let e = out.entry(p).or_default();
            *e = (*e).max(n);
        }
        out.into_iter().collect()
    }
}

#[cfg(test)]
mod tests;
