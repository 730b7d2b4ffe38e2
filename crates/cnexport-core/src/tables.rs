//! The rows of the database a build writes. Transform produces them, load
//! writes them; neither knows the other. The columns each field goes to
//! are declared once, in `cnexport_load`'s schema; `docs/schema.md`
//! documents the tables.

use crate::model::MonthlyFact;

/// A partner (country or region) as stored in `countries`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CountryRow {
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    /// Sort key of the Chinese name in pinyin order (tone numbers, char by char).
    pub name_pinyin: String,
    /// API key of the continent (`asia`, ..., `southAmerica`), `None` for 7xx.
    pub continent_key: Option<String>,
    pub continent_zh: Option<String>,
    pub iso3: Option<String>,
    pub iso2: Option<String>,
    pub m49: Option<String>,
    /// False for a code seen in the bulletins but missing from the reference table.
    pub in_reference: bool,
    /// Bloc keys (`beltRoad`, `asean`, ...), in a fixed order.
    pub tags: Vec<String>,
}

/// A product (8-digit code, or a 2/4/6-digit roll-up) as stored in `products`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductRow {
    pub code: String,
    pub level: u8,
    pub name_zh: Option<String>,
    pub name_en: Option<String>,
    /// Where the Chinese name came from: `bulletin` or `reference`.
    pub name_source: Option<String>,
}

/// One source file of the build, with its reconciliation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceFileRow {
    pub release_order: u32,
    pub path: String,
    pub sha256: String,
    pub size: u64,
    pub format: String,
    pub language: String,
    pub encoding: Option<String>,
    pub rows_read: u64,
    pub rows_loaded: u64,
    pub rows_quarantined: u64,
    pub rows_superseded: u64,
    pub value_loaded: i128,
    pub value_quarantined: i128,
    pub value_superseded: i128,
    pub warnings: Vec<String>,
    /// The months, 8-digit codes and partners of the file's loaded rows
    /// (what its query covered, as far as the rows show): first and last
    /// month (YYYYMM), lowest and highest code, number of distinct
    /// partners. `None` for a file without loaded rows.
    pub first_month: Option<u32>,
    pub last_month: Option<u32>,
    pub min_code: Option<u32>,
    pub max_code: Option<u32>,
    pub partner_count: u64,
}

/// One cell of the coverage grid (table `coverage`): the facts of one
/// month and HS chapter held by one source file (the file that last
/// contributed each fact, `monthly_facts.source_file`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CoverageRow {
    /// YYYYMM
    pub month: u32,
    /// the 4-digit heading, as a number (101-9999); its first 2 digits are the chapter
    pub heading: u16,
    /// release order of the source file
    pub source_file: u32,
    pub facts: u64,
    /// yuan
    pub value: i64,
}

/// A quarantined row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuarantineRow {
    pub path: String,
    pub line: u32,
    pub reason: String,
    pub detail: String,
    pub raw: String,
}

/// Everything a build writes.
#[derive(Debug, Clone, Default)]
pub struct Database {
    /// `meta` key/value pairs (data months, currency, input digest...). No
    /// build time or host: the file must be reproducible.
    pub meta: Vec<(String, String)>,
    pub countries: Vec<CountryRow>,
    pub products: Vec<ProductRow>,
    /// Sorted by (HS code, partner, month).
    pub facts: Vec<MonthlyFact>,
    pub source_files: Vec<SourceFileRow>,
    pub quarantine: Vec<QuarantineRow>,
    /// Sorted by (month, chapter, source file).
    pub coverage: Vec<CoverageRow>,
    pub base_metrics: Chunks<BaseMetricsRow>,
    pub count_month: Chunks<CountMonthRow>,
    pub monthly: Chunks<MonthlyRow>,
    pub country_monthly: Chunks<CountryMonthlyRow>,
}

/// Rows kept in the pieces they were computed in (one per HS chapter), in
/// order: joining them into one vector would copy hundreds of megabytes at
/// national scale for nothing, since they are only ever read in order.
#[derive(Debug, Clone, PartialEq)]
pub struct Chunks<T>(pub Vec<Vec<T>>);

impl<T> Default for Chunks<T> {
    fn default() -> Chunks<T> {
        Chunks(Vec::new())
    }
}

impl<T> Chunks<T> {
    pub fn len(&self) -> usize {
        self.0.iter().map(Vec::len).sum()
    }
    pub fn is_empty(&self) -> bool {
        self.0.iter().all(Vec::is_empty)
    }
    /// Every row, in order.
    pub fn iter(&self) -> impl Iterator<Item = &T> + '_ {
        self.0.iter().flatten()
    }
    /// Every row in one vector (for tests and small data).
    pub fn to_vec(&self) -> Vec<T>
    where
        T: Clone,
    {
        self.iter().cloned().collect()
    }
}

impl<T> From<Vec<T>> for Chunks<T> {
    fn from(rows: Vec<T>) -> Chunks<T> {
        Chunks(vec![rows])
    }
}

impl<'a, T> IntoIterator for &'a Chunks<T> {
    type Item = &'a T;
    type IntoIter = std::iter::Flatten<std::slice::Iter<'a, Vec<T>>>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter().flatten()
    }
}

/// Totals of one region or bloc in the two windows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WindowTotals {
    pub recent12: i64,
    pub prev12: i64,
}

/// One chapter's rows of the four metric tables (`hs_base_metrics`,
/// `hs_count_month`, `hs_monthly`, `hs_country_monthly`), each in key order.
/// The build computes the chapters in code order and the load writes each
/// one as it comes and frees it, so the tables are never all held at once.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ChapterRows {
    pub base: Vec<BaseMetricsRow>,
    pub counts: Vec<CountMonthRow>,
    pub monthly: Vec<MonthlyRow>,
    pub country_monthly: Vec<CountryMonthlyRow>,
    /// `hs_base_metrics` rows of the chapter not computed, because the
    /// consumer asked for later as-of months only (an incremental update,
    /// which keeps the earlier rows): counted here, so that the table's row
    /// count is still known.
    pub base_skipped: usize,
}

/// One row of `hs_base_metrics`: a code (8-digit or a 2/4/6-digit roll-up)
/// at one as-of month. Rounded figures are stored as they are served.
#[derive(Debug, Clone, PartialEq)]
pub struct BaseMetricsRow {
    /// Shared by the rows of one code (a clone is a count, not a copy).
    pub hs_code: std::sync::Arc<str>,
    pub level: u8,
    pub as_of: crate::Month,
    pub recent12: i64,
    pub prev12: i64,
    pub yoy_growth: Option<f64>,
    pub value_month: i64,
    pub value_prev_month: i64,
    pub mom_growth: Option<f64>,
    pub active_countries: u32,
    pub active_countries_prev: u32,
    pub monthly_activity: u32,
    pub top3_concentration: Option<f64>,
    pub avg_country_active_months: Option<f64>,
    pub first_unit: Option<crate::Sym>,
    pub first_quantity: Option<i64>,
    pub second_unit: Option<crate::Sym>,
    pub second_quantity: Option<i64>,
    /// In the order of `Continent::ALL`.
    pub regions: [WindowTotals; 6],
    /// In the order of `Bloc::ALL` (with `regions`, the order of
    /// `Region::ALL`, which names the columns).
    pub blocs: [WindowTotals; 5],
    /// Continent API key of the largest share, and that share.
    pub best_region: Option<(&'static str, f64)>,
    pub g3: f64,
    pub g12: f64,
    pub gb: f64,
    pub momentum_score: f64,
    /// value(M-12), for the same-month year-on-year growth.
    pub value_year_ago_month: i64,
    /// Herfindahl-Hirschman index of market shares (0-10000), recent12 / prev12.
    pub hhi: Option<f64>,
    pub hhi_prev: Option<f64>,
    /// 1 / sum of squared shares, recent12 / prev12.
    pub effective_markets: Option<f64>,
    pub effective_markets_prev: Option<f64>,
    /// Markets with value > 0 in recent12 but not prev12, and the reverse.
    pub markets_entered: u32,
    pub markets_exited: u32,
    /// First quantity summed over prev12 (recent12 is `first_quantity`).
    pub first_quantity_prev: i64,
    /// The one first unit of both windows; `None` when the unit changed,
    /// mixed, or there is none (then unit values are not defined).
    pub unit_both_windows: Option<crate::Sym>,
    /// 8-digit codes under this one (itself, for an 8-digit code) with
    /// exports in recent12.
    pub active_codes: u32,
    /// The seasonality at this month (`cnexport_core::season`): bit `m - 1`
    /// set for each peak month `m`.
    pub peak_months: u16,
    /// The month share of the calendar month after the as-of month.
    pub next_month_share: Option<f64>,
    /// The destination with the fastest growth of its 12-month total among
    /// those with a base (prev12) of at least the low-base threshold (ties:
    /// the lower partner code), and that growth, rounded.
    pub fastest_market: Option<(crate::PartnerCode, f64)>,
}

/// One row of `hs_count_month`: a code and a country at the latest month.
#[derive(Debug, Clone, PartialEq)]
pub struct CountMonthRow {
    pub hs_code: std::sync::Arc<str>,
    pub level: u8,
    pub country_code: crate::PartnerCode,
    pub as_of: crate::Month,
    pub recent12: i64,
    pub prev12: i64,
    pub monthly_avg: f64,
    pub three_year_cagr: Option<f64>,
    /// First quantity in recent12 / prev12.
    pub quantity1: i64,
    pub quantity1_prev: i64,
    /// Second quantity in recent12.
    pub quantity2: i64,
}

/// One row of `hs_monthly`: a code (any level) in one month, all
/// destinations together. Months without a fact have no row.
#[derive(Debug, Clone, PartialEq)]
pub struct MonthlyRow {
    pub hs_code: std::sync::Arc<str>,
    pub level: u8,
    pub month: crate::Month,
    pub value: i64,
    pub quantity1: i64,
    /// The one first unit of the month's facts; `None` when there is none
    /// or several (then `units1_mixed`).
    pub unit1: Option<crate::Sym>,
    pub units1_mixed: bool,
    pub quantity2: i64,
    pub unit2: Option<crate::Sym>,
    pub units2_mixed: bool,
    /// Destinations with a value > 0 in the month.
    pub countries: u32,
}

/// One row of `hs_country_monthly`: a 2- or 4-digit roll-up to one
/// destination in one month with a value. (An 8-digit code's rows are its
/// `monthly_facts`; a 6-digit code's are the facts of its few 8-digit
/// codes.)
#[derive(Debug, Clone, PartialEq)]
pub struct CountryMonthlyRow {
    pub hs_code: std::sync::Arc<str>,
    pub level: u8,
    pub country_code: crate::PartnerCode,
    pub month: crate::Month,
    pub value: i64,
}

/// What one pass over a build's merged facts tells: the months that occur,
/// the codes and partners used (each sorted, each once), and whether the
/// facts are in (code, partner, month) order. The merge fills it while it
/// writes the facts (they are in cache then); `cnexport_transform::summarize`
/// computes it for facts from elsewhere.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FactSummary {
    pub months: Vec<crate::Month>,
    pub codes: Vec<crate::HsCode>,
    pub partners: Vec<crate::PartnerCode>,
    pub sorted: bool,
}

/// Flags of what a run of facts holds, to be combined into a [`FactSummary`].
#[derive(Debug, Clone)]
pub struct SummaryFlags {
    months: Vec<bool>,
    partners: Vec<bool>,
    codes: Vec<crate::HsCode>,
}

/// Months are flagged by their index from January 1900 (`Month` allows
/// years 1900-2999).
const MONTH_FLAGS: usize = 1100 * 12;

fn month_flag(m: crate::Month) -> usize {
    ((m.year() - 1900) * 12 + m.month() - 1) as usize
}

impl Default for SummaryFlags {
    fn default() -> SummaryFlags {
        SummaryFlags {
            months: vec![false; MONTH_FLAGS],
            partners: vec![false; u16::MAX as usize + 1],
            codes: Vec::new(),
        }
    }
}

impl SummaryFlags {
    #[inline]
    pub fn add(&mut self, f: &crate::MonthlyFact) {
        self.months[month_flag(f.month)] = true;
        self.partners[f.partner.0 as usize] = true;
        if self.codes.last() != Some(&f.hs_code) {
            self.codes.push(f.hs_code);
        }
    }

    /// Adds another run's flags.
    pub fn absorb(&mut self, other: SummaryFlags) {
        for (a, b) in self.months.iter_mut().zip(&other.months) {
            *a |= b;
        }
        for (a, b) in self.partners.iter_mut().zip(&other.partners) {
            *a |= b;
        }
        self.codes.extend(other.codes);
    }

    pub fn finish(mut self, sorted: bool) -> FactSummary {
        self.codes.sort_unstable();
        self.codes.dedup();
        FactSummary {
            months: (0..MONTH_FLAGS)
                .filter(|&i| self.months[i])
                .filter_map(|i| crate::Month::new(1900 + (i / 12) as u32, (i % 12) as u32 + 1))
                .collect(),
            codes: self.codes,
            partners: (0..self.partners.len())
                .filter(|&i| self.partners[i])
                .map(|i| crate::PartnerCode(i as u16))
                .collect(),
            sorted,
        }
    }
}
