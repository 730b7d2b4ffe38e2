//! The metrics of docs/contract.md, section 3, per code (8-digit and 2/4/6-digit
//! roll-ups) and as-of month, in parallel across HS chapters.
//!
//! Each code's facts become dense monthly series per country over the
//! data's months, kept flat (one array per code) with running sums, so that
//! every window total is a subtraction; every figure is an exact integer sum
//! over a window, so the results do not depend on thread count or order.
//!
//! Work is split by 2-digit chapter: a chapter's 8-digit series, its 6-, 4-
//! and 2-digit roll-ups and all their rows are computed together and the
//! series dropped, so memory holds one chapter per thread, never the whole
//! data's series at once.

use cnexport_core::reference::Reference;
use cnexport_core::round::{growth_pct, percent, ratio_2dp, round_2dp};
use cnexport_core::season;
use cnexport_core::tables::{
    BaseMetricsRow, ChapterRows, Chunks, CountMonthRow, CountryMonthlyRow, MonthlyRow, WindowTotals,
};
use cnexport_core::{Bloc, Continent, HsCode, Month, MonthlyFact, PartnerCode, Sym};
use rayon::prelude::*;
use std::sync::Arc;

/// The unit(s) seen in a set of facts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum Units {
    #[default]
    Nothing,
    One(Sym),
    Mixed,
}

impl Units {
    fn add(&mut self, unit: Option<Sym>) {
        let Some(u) = unit else { return };
        *self = match *self {
            Units::Nothing => Units::One(u),
            Units::One(x) if x == u => Units::One(x),
            _ => Units::Mixed,
        };
    }
    fn merge(&mut self, other: Units) {
        match other {
            Units::Nothing => {}
            Units::One(u) => self.add(Some(u)),
            Units::Mixed => *self = Units::Mixed,
        }
    }
    fn over(units: &[Units]) -> Units {
        let mut u = Units::Nothing;
        for x in units {
            u.merge(*x);
        }
        u
    }
}

/// A code's series, flat: country `c`'s value in month `i` is
/// `values[c * months + i]`.
#[derive(Debug, Clone)]
struct CodeSeries {
    code: String,
    level: u8,
    months: usize,
    /// Sorted.
    partners: Vec<PartnerCode>,
    values: Vec<i64>,
    quantity1: Vec<i64>,
    /// Per partner: the second quantity of the latest 12 months (the only
    /// window it is needed in: `hs_count_month.quantity2`).
    recent_quantity2: Vec<i64>,
    /// Per month, all countries.
    month_quantity1: Vec<i64>,
    month_quantity2: Vec<i64>,
    units1: Vec<Units>,
    units2: Vec<Units>,
}

impl CodeSeries {
    fn empty(code: String, level: u8, months: usize) -> CodeSeries {
        CodeSeries {
            code,
            level,
            months,
            partners: Vec::new(),
            values: Vec::new(),
            quantity1: Vec::new(),
            recent_quantity2: Vec::new(),
            month_quantity1: vec![0; months],
            month_quantity2: vec![0; months],
            units1: vec![Units::Nothing; months],
            units2: vec![Units::Nothing; months],
        }
    }

    fn country_values(&self, c: usize) -> &[i64] {
        &self.values[c * self.months..(c + 1) * self.months]
    }

    fn country_quantity1(&self, c: usize) -> &[i64] {
        &self.quantity1[c * self.months..(c + 1) * self.months]
    }

    /// The sum of several codes' series (a roll-up); countries sorted.
    #[inline(never)]
    fn roll_up(code: String, level: u8, months: usize, members: &[CodeSeries]) -> CodeSeries {
        let mut s = CodeSeries::empty(code, level, months);
        // The countries of all members, sorted, each once; then a slot per
        // partner code for the sums.
        let mut partners: Vec<PartnerCode> = members
            .iter()
            .flat_map(|m| m.partners.iter().copied())
            .collect();
        partners.sort_unstable();
        partners.dedup();
        let slot = |p: PartnerCode| partners.binary_search(&p).unwrap_or(0);
        s.values = vec![0; partners.len() * months];
        s.quantity1 = vec![0; partners.len() * months];
        s.recent_quantity2 = vec![0; partners.len()];
        for m in members {
            for (c, p) in m.partners.iter().enumerate() {
                let at = slot(*p) * months;
                for (a, b) in s.values[at..at + months]
                    .iter_mut()
                    .zip(m.country_values(c))
                {
                    *a += b;
                }
                for (a, b) in s.quantity1[at..at + months]
                    .iter_mut()
                    .zip(m.country_quantity1(c))
                {
                    *a += b;
                }
                s.recent_quantity2[slot(*p)] += m.recent_quantity2[c];
            }
            for i in 0..months {
                s.month_quantity1[i] += m.month_quantity1[i];
                s.month_quantity2[i] += m.month_quantity2[i];
                s.units1[i].merge(m.units1[i]);
                s.units2[i].merge(m.units2[i]);
            }
        }
        s.partners = partners;
        s
    }
}

/// Everything the metrics need to know about the data's months.
#[derive(Debug, Clone, Copy)]
pub struct Calendar {
    pub first: Month,
    pub latest: Month,
}

impl Calendar {
    pub fn months(&self) -> usize {
        (self.latest.since(self.first) + 1) as usize
    }
    fn index(&self, m: Month) -> usize {
        m.since(self.first) as usize
    }
}

/// Per-partner region and bloc membership, indexed by partner code.
struct Membership {
    /// Index in `Continent::ALL`, or `NONE`.
    continent: Vec<u8>,
    /// Bit `i` set: member of `Bloc::ALL[i]`.
    blocs: Vec<u8>,
}

const NONE: u8 = u8::MAX;

impl Membership {
    fn new(reference: &Reference, partners: impl Iterator<Item = PartnerCode>) -> Membership {
        let size = u16::MAX as usize + 1;
        let mut m = Membership {
            continent: vec![NONE; size],
            blocs: vec![0; size],
        };
        for p in partners {
            if let Some(c) = p.continent() {
                m.continent[p.0 as usize] =
                    Continent::ALL.iter().position(|x| *x == c).unwrap_or(0) as u8;
            }
            for b in reference.blocs_of(p) {
                if let Some(i) = Bloc::ALL.iter().position(|x| x == b) {
                    m.blocs[p.0 as usize] |= 1 << i;
                }
            }
        }
        m
    }
}

/// The tables computed from the facts, each in code order (and as-of
/// month, month or partner within a code).
#[derive(Debug, Default)]
pub struct MetricTables {
    pub base: Chunks<BaseMetricsRow>,
    pub counts: Chunks<CountMonthRow>,
    pub monthly: Chunks<MonthlyRow>,
    pub country_monthly: Chunks<CountryMonthlyRow>,
}

/// The metric tables. `low_base_threshold`: the least prev12 a destination
/// needs to be a code's fastest-growing market.
pub fn compute(
    facts: &[MonthlyFact],
    summary: &crate::Summary,
    reference: &Reference,
    low_base_threshold: i64,
) -> MetricTables {
    let (Some(&first), Some(&latest)) = (summary.months.first(), summary.months.last()) else {
        return MetricTables::default();
    };
    let cal = Calendar { first, latest };
    let membership = Membership::new(reference, summary.partners.iter().copied());

    let chapters = split_chapters(facts);
    // Large chapters first, so the threads finish together; the results are
    // put back in code order below.
    let mut order: Vec<usize> = (0..chapters.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(chapters[i].len()));
    let mut done: Vec<(usize, ChapterRows)> = order
        .par_iter()
        .map(|&i| {
            (
                i,
                chapter_rows(chapters[i], &cal, &membership, low_base_threshold, None),
            )
        })
        .collect();
    done.sort_by_key(|d| d.0);
    let mut tables = MetricTables::default();
    for (_, rows) in done {
        tables.base.0.push(rows.base);
        tables.counts.0.push(rows.counts);
        tables.monthly.0.push(rows.monthly);
        tables.country_monthly.0.push(rows.country_monthly);
    }
    tables
}

/// Facts sorted by (code, partner, month), split by chapter, each boundary
/// found by binary search (no pass over the facts).
fn split_chapters(facts: &[MonthlyFact]) -> Vec<&[MonthlyFact]> {
    let mut chapters: Vec<&[MonthlyFact]> = Vec::new();
    let mut rest = facts;
    while let Some(first) = rest.first() {
        let c = chapter(first.hs_code);
        let end = rest.partition_point(|f| chapter(f.hs_code) <= c);
        let (this, next) = rest.split_at(end);
        chapters.push(this);
        rest = next;
    }
    chapters
}

/// The metric tables chapter by chapter, in code order: the same rows as
/// [`compute`], computed a batch of chapters at a time (in parallel, the
/// largest first) as the consumer asks for them. The load writes each
/// chapter and frees it, so only a batch is held at a time.
pub struct ChapterStream<'a> {
    chapters: Vec<&'a [MonthlyFact]>,
    next: usize,
    ready: std::collections::VecDeque<ChapterRows>,
    cal: Option<Calendar>,
    membership: Membership,
    low_base_threshold: i64,
    /// Facts a batch aims at (it takes at least a chapter per thread).
    batch_facts: usize,
    /// The first as-of month of `hs_base_metrics` the consumer needs, per
    /// code (`None`: every one); see [`ChapterStream::base_from`].
    base_from: Option<FirstAsOf>,
    /// Time spent computing, for the build's report.
    pub secs: f64,
}

/// For a code (8 digits or a roll-up), the first as-of month whose
/// `hs_base_metrics` row is needed; `None`: every one.
pub type FirstAsOf = Box<dyn Fn(&str) -> Option<Month> + Send + Sync>;

impl ChapterStream<'_> {
    /// Computes only the `hs_base_metrics` rows a consumer needs: in each
    /// chapter, the as-of months from the earliest `first(code)` of its
    /// codes on (every month when one of them says `None`). The other
    /// tables are whole, and so is each chapter's run of months for every
    /// code (`active_codes` counts across codes at one month). The rows
    /// left out are counted in [`ChapterRows::base_skipped`].
    pub fn base_from(&mut self, first: FirstAsOf) {
        self.base_from = Some(first);
    }
}

/// [`ChapterStream`] over `facts` (sorted by code, partner, month, as
/// `summary` says).
pub fn stream<'a>(
    facts: &'a [MonthlyFact],
    summary: &crate::Summary,
    reference: &Reference,
    low_base_threshold: i64,
) -> ChapterStream<'a> {
    let cal = match (summary.months.first(), summary.months.last()) {
        (Some(&first), Some(&latest)) => Some(Calendar { first, latest }),
        _ => None,
    };
    ChapterStream {
        chapters: if cal.is_some() {
            split_chapters(facts)
        } else {
            Vec::new()
        },
        next: 0,
        ready: Default::default(),
        cal,
        membership: Membership::new(reference, summary.partners.iter().copied()),
        low_base_threshold,
        batch_facts: (facts.len() / 16).max(1),
        base_from: None,
        secs: 0.0,
    }
}

impl Iterator for ChapterStream<'_> {
    type Item = ChapterRows;

    fn next(&mut self) -> Option<ChapterRows> {
        if self.ready.is_empty() && self.next < self.chapters.len() {
            let started = std::time::Instant::now();
            let threads = rayon::current_num_threads();
            let mut end = self.next;
            let mut facts = 0;
            while end < self.chapters.len()
                && (facts < self.batch_facts || end - self.next < threads)
            {
                facts += self.chapters[end].len();
                end += 1;
            }
            let batch = &self.chapters[self.next..end];
            let mut order: Vec<usize> = (0..batch.len()).collect();
            order.sort_by_key(|&i| std::cmp::Reverse(batch[i].len()));
            let cal = self.cal.as_ref().expect("chapters only with months");
            let (membership, low_base) = (&self.membership, self.low_base_threshold);
            let base_from = self.base_from.as_ref();
            let mut done: Vec<(usize, ChapterRows)> = order
                .par_iter()
                .map(|&i| {
                    let rows = chapter_rows(batch[i], cal, membership, low_base, base_from);
                    (i, rows)
                })
                .collect();
            done.sort_by_key(|d| d.0);
            self.ready.extend(done.into_iter().map(|(_, rows)| rows));
            self.next = end;
            self.secs += started.elapsed().as_secs_f64();
        }
        self.ready.pop_front()
    }
}

fn chapter(code: HsCode) -> u32 {
    code.0 / 1_000_000
}

/// Every row of one chapter's codes (facts sorted by code, partner, month).
fn chapter_rows(
    facts: &[MonthlyFact],
    cal: &Calendar,
    membership: &Membership,
    low_base_threshold: i64,
    base_from: Option<&FirstAsOf>,
) -> ChapterRows {
    let months = cal.months();
    let mut level8: Vec<CodeSeries> = Vec::new();
    let mut start = 0;
    for i in 1..=facts.len() {
        if i == facts.len() || facts[i].hs_code != facts[start].hs_code {
            level8.push(series_of_code(&facts[start..i], cal));
            start = i;
        }
    }
    // Roll-ups: 6, 4 and 2 digits, each the sum of the 8-digit codes under
    // it; codes sorted as text put a prefix right before its members.
    let mut all: Vec<CodeSeries> = Vec::with_capacity(level8.len() * 2);
    for level in [2usize, 4, 6] {
        let mut i = 0;
        while i < level8.len() {
            let prefix = &level8[i].code[..level];
            let mut end = i + 1;
            while end < level8.len() && level8[end].code.starts_with(prefix) {
                end += 1;
            }
            all.push(CodeSeries::roll_up(
                prefix.to_string(),
                level as u8,
                months,
                &level8[i..end],
            ));
            i = end;
        }
    }
    all.extend(level8);
    all.sort_by(|a, b| a.code.cmp(&b.code));
    // The first as-of index of `hs_base_metrics` to compute (23: the first
    // with a whole 24-month window).
    let first_as_of = base_from
        .and_then(|first| {
            all.iter().try_fold(months, |t, s| {
                first(&s.code).map(|m| t.min(m.since(cal.first).clamp(0, months as i64) as usize))
            })
        })
        .unwrap_or(0)
        .max(23);

    let mut out = ChapterRows {
        base: Vec::with_capacity(all.len() * months.saturating_sub(first_as_of)),
        base_skipped: all.len() * first_as_of.min(months).saturating_sub(23),
        counts: Vec::with_capacity(all.iter().map(|s| s.partners.len()).sum()),
        ..ChapterRows::default()
    };
    let mut scratch = Scratch::default();
    let context = Context {
        cal,
        membership,
        low_base_threshold,
        season: season_months(cal),
        first_as_of,
    };
    for s in &all {
        scratch.prepare(s);
        let code: Arc<str> = Arc::from(s.code.as_str());
        base_rows(s, &code, &context, &scratch, &mut out.base);
        count_rows(s, &code, cal, &scratch, &mut out.counts);
        monthly_rows(s, &code, cal, &scratch, &mut out.monthly);
        if s.level <= 4 {
            country_monthly_rows(s, &code, cal, &mut out.country_monthly);
        }
    }
    count_active_codes(&all, &mut out.base);
    out
}

/// Sets `active_codes` of every base row: 1 for an 8-digit code with
/// exports in recent12, and for a roll-up the number of such codes under
/// it. Rows are in code order, each code with the same run of as-of months.
#[inline(never)]
fn count_active_codes(all: &[CodeSeries], base: &mut [BaseMetricsRow]) {
    let per_code = if all.is_empty() {
        0
    } else {
        base.len() / all.len()
    };
    if per_code == 0 {
        return;
    }
    for i in 0..all.len() {
        if all[i].level != 8 {
            continue;
        }
        for t in 0..per_code {
            let active = base[i * per_code + t].recent12 > 0;
            base[i * per_code + t].active_codes = active as u32;
            if !active {
                continue;
            }
            for level in [2, 4, 6] {
                let prefix = &all[i].code[..level];
                if let Ok(j) = all.binary_search_by(|s| s.code.as_str().cmp(prefix)) {
                    base[j * per_code + t].active_codes += 1;
                }
            }
        }
    }
}

/// The code's months with a fact, all destinations together.
#[inline(never)]
fn monthly_rows(
    s: &CodeSeries,
    code: &Arc<str>,
    cal: &Calendar,
    sums: &Scratch,
    rows: &mut Vec<MonthlyRow>,
) {
    let unit = |u: Units| match u {
        Units::One(x) => (Some(x), false),
        Units::Nothing => (None, false),
        Units::Mixed => (None, true),
    };
    for i in 0..s.months {
        let (value, q1, q2) = (sums.global[i], s.month_quantity1[i], s.month_quantity2[i]);
        let seen = s.units1[i] != Units::Nothing || s.units2[i] != Units::Nothing;
        if value == 0 && q1 == 0 && q2 == 0 && !seen {
            continue;
        }
        let (unit1, units1_mixed) = unit(s.units1[i]);
        let (unit2, units2_mixed) = unit(s.units2[i]);
        rows.push(MonthlyRow {
            hs_code: code.clone(),
            level: s.level,
            month: cal.first.plus(i as i64),
            value,
            quantity1: q1,
            unit1,
            units1_mixed,
            quantity2: q2,
            unit2,
            units2_mixed,
            countries: sums.countries[i],
        });
    }
}

/// A 2- or 4-digit roll-up's months with a value, per destination.
#[inline(never)]
fn country_monthly_rows(
    s: &CodeSeries,
    code: &Arc<str>,
    cal: &Calendar,
    rows: &mut Vec<CountryMonthlyRow>,
) {
    for (c, partner) in s.partners.iter().enumerate() {
        for (i, v) in s.country_values(c).iter().enumerate() {
            if *v == 0 {
                continue;
            }
            rows.push(CountryMonthlyRow {
                hs_code: code.clone(),
                level: s.level,
                country_code: *partner,
                month: cal.first.plus(i as i64),
                value: *v,
            });
        }
    }
}

/// What every code's rows are computed with.
struct Context<'a> {
    cal: &'a Calendar,
    membership: &'a Membership,
    low_base_threshold: i64,
    /// Per as-of index `t`: (calendar month 0-11, month index) of every
    /// month of the complete years the seasonality uses at `t`.
    season: Vec<Vec<(u8, usize)>>,
    /// The first as-of index `t` of the rows to compute (at least 23).
    first_as_of: usize,
}

/// `Context::season` of a calendar.
fn season_months(cal: &Calendar) -> Vec<Vec<(u8, usize)>> {
    (0..cal.months())
        .map(|t| {
            let as_of = cal.first.plus(t as i64);
            season::complete_years(cal.first, as_of)
                .into_iter()
                .flat_map(|y| (1..=12).filter_map(move |m| Month::new(y, m)))
                .map(|m| ((m.month() - 1) as u8, cal.index(m)))
                .collect()
        })
        .collect()
}

#[inline(never)]
fn series_of_code(facts: &[MonthlyFact], cal: &Calendar) -> CodeSeries {
    let months = cal.months();
    let mut s = CodeSeries::empty(facts[0].hs_code.to_string(), 8, months);
    for f in facts {
        if s.partners.last() != Some(&f.partner) {
            s.partners.push(f.partner);
            s.values.resize(s.values.len() + months, 0);
            s.quantity1.resize(s.quantity1.len() + months, 0);
            s.recent_quantity2.push(0);
        }
        let i = cal.index(f.month);
        let at = (s.partners.len() - 1) * months + i;
        s.values[at] += f.value;
        s.quantity1[at] += f.quantity1;
        if i + 12 >= months {
            *s.recent_quantity2.last_mut().unwrap_or(&mut 0) += f.quantity2;
        }
        s.month_quantity1[i] += f.quantity1;
        s.month_quantity2[i] += f.quantity2;
        s.units1[i].add(f.unit1);
        s.units2[i].add(f.unit2);
    }
    s
}

/// Running sums of a code's series: `values[c * (months + 1) + i]` is
/// country `c`'s total of months `0..i`, `active` its count of months with
/// a value; `quantity1` the same for quantities.
#[derive(Default)]
struct Scratch {
    stride: usize,
    values: Vec<i64>,
    active: Vec<u32>,
    quantity1: Vec<i64>,
    global: Vec<i64>,
    /// Per month, the destinations with a value > 0.
    countries: Vec<u32>,
}

impl Scratch {
    #[inline(never)]
    fn prepare(&mut self, s: &CodeSeries) {
        let months = s.months;
        self.stride = months + 1;
        let n = s.partners.len();
        self.values.clear();
        self.active.clear();
        self.quantity1.clear();
        self.values.reserve(n * self.stride);
        self.active.reserve(n * self.stride);
        self.quantity1.reserve(n * self.stride);
        self.global.clear();
        self.global.resize(months, 0);
        self.countries.clear();
        self.countries.resize(months, 0);
        for c in 0..n {
            let (mut v, mut a, mut q) = (0i64, 0u32, 0i64);
            self.values.push(0);
            self.active.push(0);
            self.quantity1.push(0);
            for (i, (x, y)) in s
                .country_values(c)
                .iter()
                .zip(s.country_quantity1(c))
                .enumerate()
            {
                v += x;
                a += (*x > 0) as u32;
                q += y;
                self.values.push(v);
                self.active.push(a);
                self.quantity1.push(q);
                self.global[i] += x;
                self.countries[i] += (*x > 0) as u32;
            }
        }
    }

    /// Country `c`'s total of the `len` months ending with month `end`.
    #[inline]
    fn window(&self, c: usize, end: usize, len: usize) -> i64 {
        let row = c * self.stride;
        self.values[row + end + 1] - self.values[row + end + 1 - len]
    }

    #[inline]
    fn active_months(&self, c: usize, end: usize, len: usize) -> u32 {
        let row = c * self.stride;
        self.active[row + end + 1] - self.active[row + end + 1 - len]
    }

    #[inline]
    fn window_quantity1(&self, c: usize, end: usize, len: usize) -> i64 {
        let row = c * self.stride;
        self.quantity1[row + end + 1] - self.quantity1[row + end + 1 - len]
    }
}

fn window_sum(values: &[i64], end: usize, len: usize) -> i64 {
    values[end + 1 - len..=end].iter().sum()
}

/// A ratio for momentum: `num / base - 1`; a zero base counts as +1 when
/// the numerator is positive, 0 when both are 0.
fn momentum_ratio(num: i64, base: i64) -> f64 {
    if base == 0 {
        if num > 0 {
            1.0
        } else {
            0.0
        }
    } else {
        num as f64 / base as f64 - 1.0
    }
}

/// Concentration of the markets in a window: (HHI, effective markets) from
/// the sum of squared values, exactly: sum(v^2) / total^2.
fn concentration(total: i64, squares: i128) -> (Option<f64>, Option<f64>) {
    if total <= 0 {
        return (None, None);
    }
    let t2 = (total as i128) * (total as i128);
    (ratio_2dp(squares * 10_000, t2), ratio_2dp(t2, squares))
}

#[inline(never)]
fn base_rows(
    s: &CodeSeries,
    code: &Arc<str>,
    context: &Context,
    sums: &Scratch,
    rows: &mut Vec<BaseMetricsRow>,
) {
    let (cal, membership) = (context.cal, context.membership);
    let months = cal.months();
    if months < 24 {
        return;
    }
    let global = &sums.global;
    let continents: Vec<u8> = s
        .partners
        .iter()
        .map(|p| membership.continent[p.0 as usize])
        .collect();
    let blocs: Vec<u8> = s
        .partners
        .iter()
        .map(|p| membership.blocs[p.0 as usize])
        .collect();
    rows.reserve(months.saturating_sub(context.first_as_of));
    for t in context.first_as_of..months {
        let recent12 = window_sum(global, t, 12);
        let prev12 = window_sum(global, t - 12, 12);
        let mut regions = [WindowTotals::default(); 6];
        let mut bloc_totals = [WindowTotals::default(); 5];
        let (mut active_countries, mut active_countries_prev) = (0u32, 0u32);
        let mut active_month_sum = 0i128;
        let mut top = [0i64; 3];
        let (mut squares, mut squares_prev) = (0i128, 0i128);
        let (mut markets_entered, mut markets_exited) = (0u32, 0u32);
        // The fastest-growing market: (index, recent12, prev12), compared
        // exactly; partners are in code order, so ties keep the first.
        let mut fastest: Option<(usize, i64, i64)> = None;
        for c in 0..s.partners.len() {
            let r = sums.window(c, t, 12);
            let p = sums.window(c, t - 12, 12);
            if p > 0 && p >= context.low_base_threshold {
                let faster = match fastest {
                    None => true,
                    Some((_, br, bp)) => (r as i128) * (bp as i128) > (br as i128) * (p as i128),
                };
                if faster {
                    fastest = Some((c, r, p));
                }
            }
            if r > 0 {
                active_countries += 1;
                active_month_sum += sums.active_months(c, t, 12) as i128;
                if p <= 0 {
                    markets_entered += 1;
                }
            } else if p > 0 {
                markets_exited += 1;
            }
            if p > 0 {
                active_countries_prev += 1;
            }
            // The three largest (ties do not change the sum).
            let v = r.max(0);
            if v > top[2] {
                if v > top[0] {
                    top = [v, top[0], top[1]];
                } else if v > top[1] {
                    top = [top[0], v, top[1]];
                } else {
                    top[2] = v;
                }
            }
            squares += (r as i128) * (r as i128);
            squares_prev += (p as i128) * (p as i128);
            let ci = continents[c];
            if ci != NONE {
                regions[ci as usize].recent12 += r;
                regions[ci as usize].prev12 += p;
            }
            let mut mask = blocs[c];
            while mask != 0 {
                let bi = mask.trailing_zeros() as usize;
                bloc_totals[bi].recent12 += r;
                bloc_totals[bi].prev12 += p;
                mask &= mask - 1;
            }
        }
        let avg_active_months = if active_countries == 0 {
            None
        } else {
            ratio_2dp(active_month_sum, active_countries as i128)
        };
        let top3: i64 = top.iter().sum();

        // The largest continent; ties go to the first in Continent::ALL order.
        let best_region = if recent12 > 0 {
            let (i, best) = regions
                .iter()
                .enumerate()
                .fold((0, regions[0]), |acc, (i, r)| {
                    if r.recent12 > acc.1.recent12 {
                        (i, *r)
                    } else {
                        acc
                    }
                });
            // Everything went to 7xx partners: no continent at all.
            percent(best.recent12 as i128, recent12 as i128)
                .filter(|_| best.recent12 > 0)
                .map(|p| (Continent::ALL[i].api_key(), p))
        } else {
            None
        };

        let quantity = |units: &[Units], quantities: &[i64]| match Units::over(&units[t - 11..=t]) {
            Units::One(u) => (Some(u), Some(window_sum(quantities, t, 12))),
            Units::Nothing => (None, Some(window_sum(quantities, t, 12))),
            Units::Mixed => (None, None),
        };
        let (first_unit, first_quantity) = quantity(&s.units1, &s.month_quantity1);
        let (second_unit, second_quantity) = quantity(&s.units2, &s.month_quantity2);
        let (hhi, effective_markets) = concentration(recent12, squares);
        let (hhi_prev, effective_markets_prev) = concentration(prev12, squares_prev);
        let unit_both_windows = match Units::over(&s.units1[t - 23..=t]) {
            Units::One(unit) => Some(unit),
            _ => None,
        };

        let g3 = momentum_ratio(window_sum(global, t, 3), window_sum(global, t - 12, 3));
        let g12 = momentum_ratio(recent12, prev12);
        let gb = (active_countries as f64 - active_countries_prev as f64)
            / (active_countries_prev.max(1) as f64);
        let momentum = round_2dp(100.0 * (0.5 * g3.tanh() + 0.3 * g12.tanh() + 0.2 * gb.tanh()));

        let as_of = cal.first.plus(t as i64);
        // Seasonality over the complete years (their month indices are the
        // same for every code: `context.season[t]`).
        let mut month_totals = [0i64; 12];
        for &(m, i) in &context.season[t] {
            month_totals[m as usize] += global[i];
        }
        let next_month = as_of.plus(1).month();
        rows.push(BaseMetricsRow {
            hs_code: code.clone(),
            level: s.level,
            as_of,
            recent12,
            prev12,
            yoy_growth: growth_pct(recent12 as i128, prev12 as i128),
            value_month: global[t],
            value_prev_month: global[t - 1],
            mom_growth: growth_pct(global[t] as i128, global[t - 1] as i128),
            active_countries,
            active_countries_prev,
            monthly_activity: global[t - 11..=t].iter().filter(|v| **v > 0).count() as u32,
            top3_concentration: percent(top3 as i128, recent12 as i128),
            avg_country_active_months: avg_active_months,
            first_unit,
            first_quantity,
            second_unit,
            second_quantity,
            regions,
            blocs: bloc_totals,
            best_region,
            g3,
            g12,
            gb,
            momentum_score: momentum,
            value_year_ago_month: global[t - 12],
            hhi,
            hhi_prev,
            effective_markets,
            effective_markets_prev,
            markets_entered,
            markets_exited,
            first_quantity_prev: window_sum(&s.month_quantity1, t - 12, 12),
            unit_both_windows,
            active_codes: 0,
            peak_months: season::peak_mask(&month_totals),
            next_month_share: season::month_share(&month_totals, next_month),
            fastest_market: fastest
                .and_then(|(c, r, p)| growth_pct(r as i128, p as i128).map(|g| (s.partners[c], g))),
        });
    }
}

#[inline(never)]
fn count_rows(
    s: &CodeSeries,
    code: &Arc<str>,
    cal: &Calendar,
    sums: &Scratch,
    rows: &mut Vec<CountMonthRow>,
) {
    let months = cal.months();
    let t = months - 1;
    let len = t.min(11) + 1;
    rows.reserve(s.partners.len());
    for (c, partner) in s.partners.iter().enumerate() {
        let recent12 = sums.window(c, t, len);
        let prev12 = if t >= 23 {
            sums.window(c, t - 12, 12)
        } else {
            0
        };
        // Base of the 3-year CAGR: the 12 months ending M-36.
        let cagr = if t >= 47 {
            let base = sums.window(c, t - 36, 12);
            if base > 0 {
                Some(round_2dp(
                    ((recent12 as f64 / base as f64).powf(1.0 / 3.0) - 1.0) * 100.0,
                ))
            } else {
                None
            }
        } else {
            None
        };
        rows.push(CountMonthRow {
            hs_code: code.clone(),
            level: s.level,
            country_code: *partner,
            as_of: cal.latest,
            recent12,
            prev12,
            monthly_avg: ratio_2dp(recent12 as i128, 12).unwrap_or(0.0),
            three_year_cagr: cagr,
            quantity1: sums.window_quantity1(c, t, len),
            quantity1_prev: if t >= 23 {
                sums.window_quantity1(c, t - 12, 12)
            } else {
                0
            },
            quantity2: s.recent_quantity2[c],
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cnexport_core::HsCode;

    /// `compute` with the summary it is given in `transform`.
    fn compute(
        facts: &[MonthlyFact],
        reference: &Reference,
    ) -> (Vec<BaseMetricsRow>, Vec<CountMonthRow>) {
        let t = super::compute(facts, &crate::summarize(facts), reference, 1_000_000);
        (t.base.to_vec(), t.counts.to_vec())
    }

    fn fact(month: Month, hs: u32, partner: u16, value: i64) -> MonthlyFact {
        MonthlyFact {
            month,
            hs_code: HsCode(hs),
            partner: PartnerCode(partner),
            value,
            quantity1: value,
            unit1: Some("千克".into()),
            quantity2: 0,
            unit2: None,
            first_value: value,
            source_file: 0,
        }
    }

    fn sorted(mut facts: Vec<MonthlyFact>) -> Vec<MonthlyFact> {
        facts.sort_by_key(|f| (f.hs_code, f.partner, f.month));
        facts
    }

    /// Facts from January 2021 for `months` months of every code and
    /// partner, three in four of them present, with pseudo-random values
    /// (an LCG from `seed`), sorted.
    fn random_facts(codes: &[u32], partners: &[u16], months: i64, seed: u64) -> Vec<MonthlyFact> {
        let first = Month::new(2021, 1).unwrap();
        let mut facts = Vec::new();
        let mut x = seed;
        for &hs in codes {
            for &partner in partners {
                for i in 0..months {
                    x = x
                        .wrapping_mul(6364136223846793005)
                        .wrapping_add(1442695040888963407);
                    if x >> 62 != 0 {
                        facts.push(fact(first.plus(i), hs, partner, (x >> 40) as i64));
                    }
                }
            }
        }
        sorted(facts)
    }

    /// 24 months of data: one as-of month. Worked by hand:
    /// - 502 (US): 10 every month of prev12, 20 every month of recent12;
    /// - 108 (Cyprus: EU, Middle East, Belt and Road): 0 in prev12, 5 in the last month only;
    /// - 701 (unknown): 15 in the last month (in the total, in no region).
    #[test]
    fn a_hand_computed_code() {
        let first = Month::new(2023, 1).unwrap();
        let mut facts = Vec::new();
        for i in 0..24 {
            let m = first.plus(i);
            facts.push(fact(m, 85171300, 502, if i < 12 { 10 } else { 20 }));
        }
        facts.push(fact(first.plus(23), 85171300, 108, 5));
        facts.push(fact(first.plus(23), 85171300, 701, 15));
        let (base, counts) = compute(&sorted(facts), Reference::get());
        let row = base.iter().find(|r| &*r.hs_code == "85171300").unwrap();
        assert_eq!(row.as_of.to_string(), "202412");
        // recent12 = 12*20 + 5 + 15 = 260; prev12 = 120; yoy = 116.67
        assert_eq!((row.recent12, row.prev12), (260, 120));
        assert_eq!(row.yoy_growth, Some(116.67));
        // M = 20+5+15 = 40, M-1 = 20: mom = 100
        assert_eq!(row.mom_growth, Some(100.0));
        assert_eq!((row.active_countries, row.active_countries_prev), (3, 1));
        assert_eq!(row.monthly_activity, 12);
        // top3 = all three = 100%
        assert_eq!(row.top3_concentration, Some(100.0));
        // (12 + 1 + 1) / 3 = 4.67
        assert_eq!(row.avg_country_active_months, Some(4.67));
        // North America 240 (92.31%), Asia 5 (Cyprus is coded in Asia), 701 nowhere.
        assert_eq!(row.regions[3].recent12, 240);
        assert_eq!(row.regions[0].recent12, 5);
        let region_sum: i64 = row.regions.iter().map(|r| r.recent12).sum();
        assert_eq!(region_sum, 245);
        assert_eq!(row.best_region, Some(("northAmerica", 92.31)));
        // Cyprus in three blocs, US in USMCA.
        assert_eq!(row.blocs[0].recent12, 5); // middleEast
        assert_eq!(row.blocs[1].recent12, 5); // beltRoad
        assert_eq!(row.blocs[3].recent12, 5); // eu
        assert_eq!(row.blocs[4].recent12, 240); // usmca
                                                // g3 = (20+20+40)/30 - 1 = 1.6667; g12 = 260/120 - 1; gb = (3-1)/1 = 2
        let expected = 100.0
            * (0.5 * (80.0f64 / 30.0 - 1.0).tanh()
                + 0.3 * (260.0f64 / 120.0 - 1.0).tanh()
                + 0.2 * 2.0f64.tanh());
        assert_eq!(row.momentum_score, round_2dp(expected));
        assert_eq!(row.first_unit.as_deref(), Some("千克"));
        assert_eq!(row.first_quantity, Some(260));
        // Roll-ups exist with the same totals.
        for code in ["85", "8517", "851713"] {
            let r = base.iter().find(|r| &*r.hs_code == code).unwrap();
            assert_eq!((r.recent12, r.prev12), (260, 120), "{code}");
        }
        // Only 24 months: no 3-year CAGR.
        let us = counts
            .iter()
            .find(|c| &*c.hs_code == "85171300" && c.country_code == PartnerCode(502))
            .unwrap();
        assert_eq!(us.recent12, 240);
        assert_eq!(us.monthly_avg, 20.0);
        assert_eq!(us.three_year_cagr, None);
    }

    #[test]
    fn zero_base_and_late_start() {
        let first = Month::new(2023, 1).unwrap();
        // Starts in the last 3 months: prev12 = 0.
        // Another code anchors the data's first month.
        let anchor = fact(first, 27090000, 502, 1);
        let facts = vec![
            anchor,
            fact(first.plus(21), 1012100, 502, 7),
            fact(first.plus(23), 1012100, 502, 3),
        ];
        let (base, _) = compute(&sorted(facts), Reference::get());
        let row = base.iter().find(|r| &*r.hs_code == "01012100").unwrap();
        assert_eq!(row.yoy_growth, None);
        // M = 3, M-1 = 0: mom null.
        assert_eq!(row.mom_growth, None);
        // g3 and g12 have a zero base with a positive numerator: +1 each; gb = 1.
        let expected =
            round_2dp(100.0 * (0.5 * 1f64.tanh() + 0.3 * 1f64.tanh() + 0.2 * 1f64.tanh()));
        assert_eq!(row.momentum_score, expected);
    }

    #[test]
    fn mixed_units_give_no_quantity() {
        let first = Month::new(2023, 1).unwrap();
        let mut a = fact(first.plus(23), 1012100, 502, 3);
        a.unit1 = Some("头".into());
        let b = fact(first, 1012900, 502, 3);
        let anchor = fact(first, 27090000, 502, 1);
        let (base, _) = compute(
            &sorted(vec![anchor.clone(), a.clone(), b]),
            Reference::get(),
        );
        // 8-digit: one unit each.
        assert_eq!(
            base.iter()
                .find(|r| &*r.hs_code == "01012100")
                .unwrap()
                .first_unit
                .as_deref(),
            Some("头")
        );
        // The roll-up 0101 in its window holds only the 头 row (the 千克 row is in prev12).
        let r = base.iter().find(|r| &*r.hs_code == "0101").unwrap();
        assert_eq!(r.first_unit.as_deref(), Some("头"));
        let mut c = fact(first.plus(23), 1012900, 502, 3);
        c.unit1 = Some("千克".into());
        let (base, _) = compute(&sorted(vec![anchor, a, c]), Reference::get());
        let r = base.iter().find(|r| &*r.hs_code == "0101").unwrap();
        assert_eq!((r.first_unit, r.first_quantity), (None, None));
    }

    #[test]
    fn the_thread_count_does_not_change_the_result() {
        let facts = random_facts(
            &[85171300, 85176200, 84713010, 61102000, 94036090, 1012100],
            &[101, 108, 116, 133, 304, 410, 502, 601, 701],
            50,
            42,
        );
        let run = |threads| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap()
                .install(|| compute(&facts, Reference::get()))
        };
        let (b1, c1) = run(1);
        let (b2, c2) = run(2);
        assert_eq!(b1, b2);
        assert_eq!(c1, c2);
        assert!(c1.iter().any(|c| c.three_year_cagr.is_some()));
    }

    /// With `base_from`, each chapter's base rows are those of the whole
    /// computation from the earliest first month of its codes on (a code
    /// saying `None` keeps the chapter whole); the other tables are whole,
    /// and computed plus skipped rows make the whole count.
    #[test]
    fn base_from_computes_the_needed_as_of_months_only() {
        let first = Month::new(2021, 1).unwrap();
        let facts = random_facts(
            &[85171300, 85176200, 84713010, 61102000, 61103000, 1012100],
            &[101, 116, 304, 502, 601],
            40,
            7,
        );
        let summary = crate::summarize(&facts);
        let whole: Vec<ChapterRows> =
            stream(&facts, &summary, Reference::get(), 1_000_000).collect();
        // Chapter 85: its roll-up asks from month 30, one code from 33;
        // chapter 61: one code asks for every month; chapter 01: past the
        // data (nothing to compute); chapter 84: not asked (None).
        let wanted = move |code: &str| -> Option<Month> {
            match code {
                "85" => Some(first.plus(30)),
                "85171300" => Some(first.plus(33)),
                c if c.starts_with("85") => Some(first.plus(36)),
                "61102000" => None,
                c if c.starts_with("61") => Some(first.plus(38)),
                c if c.starts_with("01") => Some(first.plus(45)),
                _ => None,
            }
        };
        let mut partial = stream(&facts, &summary, Reference::get(), 1_000_000);
        partial.base_from(Box::new(wanted));
        let partial: Vec<ChapterRows> = partial.collect();
        assert_eq!(whole.len(), partial.len());
        let from_chapter = [
            ("01", first.plus(45)),
            ("61", first),
            ("84", first),
            ("85", first.plus(30)),
        ];
        for (w, p) in whole.iter().zip(&partial) {
            let chapter = &w.base[0].hs_code[..2];
            let from = from_chapter.iter().find(|(c, _)| *c == chapter).unwrap().1;
            let expected: Vec<&BaseMetricsRow> =
                w.base.iter().filter(|r| r.as_of >= from).collect();
            assert_eq!(
                p.base.iter().collect::<Vec<_>>(),
                expected,
                "chapter {chapter}"
            );
            assert_eq!(
                p.base.len() + p.base_skipped,
                w.base.len(),
                "chapter {chapter}"
            );
            assert_eq!(w.base_skipped, 0);
            assert_eq!((&p.counts, &p.monthly), (&w.counts, &w.monthly));
            assert_eq!(p.country_monthly, w.country_monthly);
        }
        assert!(partial
            .iter()
            .any(|p| p.base.is_empty() && p.base_skipped > 0));
    }
}
