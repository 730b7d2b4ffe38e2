//! trend and history: a product's (or roll-up's) exports to one destination.

use crate::handler::{Answered, Handler};
use crate::lookup::{code_range, country_info, latest_month, pair_series, resolve_country};
use crate::model::{MonthAmount, CURRENCY_UNIT};
use crate::params::{HistoryParams, PairParams};
use crate::{ApiError, NO_RECORD_MESSAGE};
use cnexport_core::round::ratio_2dp;
use cnexport_core::Month;
use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;
use std::collections::BTreeMap;
use utoipa::ToSchema;

/// Value and first-published value of one month.
type MonthValues = BTreeMap<Month, (i64, i64)>;

/// Monthly values of a product (or roll-up) to one country, in `[from, to]`.
fn pair_monthly(
    conn: &Connection,
    hs: &str,
    country: &str,
    from: Month,
    to: Month,
) -> Result<Option<MonthValues>, ApiError> {
    let (lo, hi) = code_range(hs);
    let exists: Option<i64> = conn
        .prepare_cached(
            "SELECT 1 FROM fact_series WHERE country_code = ?1 AND hs_code BETWEEN ?2 AND ?3 LIMIT 1",
        )?
        .query_row(params![country, lo, hi], |r| r.get(0))
        .optional()?;
    if exists.is_none() {
        return Ok(None);
    }
    let mut out: MonthValues = BTreeMap::new();
    pair_series(conn, country, &lo, &hi, true, &mut |m, v, first| {
        if (from..=to).contains(&m) {
            let e = out.entry(m).or_default();
            e.0 += v;
            e.1 += first;
        }
    })?;
    Ok(Some(out))
}

/// GET /skill/trend: the 12 months M-11..M of a product to one
/// destination, oldest first.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TrendAnswer {
    pub hs_code: String,
    pub country_name: String,
    pub country_code: String,
    #[schema(value_type = String, example = "人民币")]
    pub currency_unit: &'static str,
    /// 12 months, oldest first
    #[schema(min_items = 12, max_items = 12)]
    pub monthly_data: Vec<MonthAmount>,
    pub country_name_en: Option<String>,
    /// ISO 3166-1 alpha-3
    pub iso3: Option<String>,
    /// ISO 3166-1 alpha-2
    pub iso2: Option<String>,
    /// UN M49 numeric code
    pub m49: Option<String>,
}

pub struct Trend;

impl Handler for Trend {
    type Params = PairParams;
    type Data = TrendAnswer;

    fn answer(&self, conn: &Connection, p: &PairParams) -> Result<Answered<TrendAnswer>, ApiError> {
        let hs = &p.hs_code.0;
        let country = resolve_country(conn, &p.country_code)?;
        let latest = latest_month(conn)?;
        let first = latest.minus(11);
        let values = pair_monthly(conn, hs, &country, first, latest)?
            .ok_or_else(|| ApiError::not_found(NO_RECORD_MESSAGE))?;
        let monthly_data = (0..12)
            .map(|i| {
                let m = first.plus(i);
                MonthAmount::new(m, values.get(&m).map_or(0, |v| v.0))
            })
            .collect();
        let info = country_info(conn, &country)?;
        Ok(Answered::data(TrendAnswer {
            hs_code: hs.clone(),
            country_name: info.name_zh,
            country_code: country,
            currency_unit: CURRENCY_UNIT,
            monthly_data,
            country_name_en: info.name_en,
            iso3: info.iso3,
            iso2: info.iso2,
            m49: info.m49,
        }))
    }
}

/// One month of history.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct HistoryMonth {
    /// YYYYMM
    #[schema(pattern = "^[0-9]{6}$", example = "202401")]
    pub month: String,
    /// yuan
    #[schema(format = "yuan")]
    pub amount: i64,
    /// with vintages=true only: the value first published for the month (0 for a month never published)
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(format = "yuan", nullable = false)]
    pub first_published: Option<i64>,
    /// with vintages=true only: amount - firstPublished
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(format = "yuan", nullable = false)]
    pub revision: Option<i64>,
}

/// A calendar year's total.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct YearTotal {
    pub year: u32,
    /// yuan
    #[schema(format = "yuan")]
    pub total_amount: i64,
}

/// Statistics of the 24 months.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SummaryStats {
    /// yuan
    #[schema(format = "yuan")]
    pub total24_month_amount: i64,
    /// yuan per month, two decimals
    #[schema(format = "yuan")]
    pub monthly_avg: Option<f64>,
    /// the largest month (ties: the most recent)
    pub max_month: Option<MonthAmount>,
    /// the smallest month (ties: the most recent)
    pub min_month: Option<MonthAmount>,
    pub active_months_count: usize,
}

/// GET /skill/history: 24 months M..M-23 newest first, the two latest
/// complete calendar years, and summary statistics.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct HistoryAnswer {
    pub hs_code: String,
    pub country_code: String,
    pub country_name: String,
    /// YYYYMM: the latest month of the data
    pub current_data_month: String,
    /// the two latest complete calendar years, newest first
    pub yearly_summary: Vec<YearTotal>,
    /// 24 months, newest first
    #[schema(min_items = 24, max_items = 24)]
    pub monthly_detail: Vec<HistoryMonth>,
    pub summary_stats: SummaryStats,
    pub country_name_en: Option<String>,
    /// ISO 3166-1 alpha-3
    pub iso3: Option<String>,
    /// ISO 3166-1 alpha-2
    pub iso2: Option<String>,
    /// UN M49 numeric code
    pub m49: Option<String>,
}

pub struct History;

impl Handler for History {
    type Params = HistoryParams;
    type Data = HistoryAnswer;

    fn answer(
        &self,
        conn: &Connection,
        p: &HistoryParams,
    ) -> Result<Answered<HistoryAnswer>, ApiError> {
        let hs = &p.hs_code.0;
        let country = resolve_country(conn, &p.country_code)?;
        let latest = latest_month(conn)?;
        // The two latest complete calendar years up to M.
        let last_full_year = if latest.month() == 12 {
            latest.year()
        } else {
            latest.year() - 1
        };
        let years = [last_full_year, last_full_year - 1];
        let from = Month::new(years[1], 1)
            .unwrap_or(latest)
            .min(latest.minus(23));
        let values = pair_monthly(conn, hs, &country, from, latest)?
            .ok_or_else(|| ApiError::not_found(NO_RECORD_MESSAGE))?;
        let amount = |m: Month| values.get(&m).map_or(0, |v| v.0);
        let detail: Vec<(Month, i64)> = (0..24)
            .map(|i| latest.minus(i))
            .map(|m| (m, amount(m)))
            .collect();
        let total: i64 = detail.iter().map(|(_, v)| v).sum();
        // Ties: the most recent month wins (detail is newest first, first hit kept).
        let max = detail
            .iter()
            .fold(None::<(Month, i64)>, |best, &(m, v)| match best {
                Some((_, bv)) if bv >= v => best,
                _ => Some((m, v)),
            });
        let min = detail
            .iter()
            .fold(None::<(Month, i64)>, |best, &(m, v)| match best {
                Some((_, bv)) if bv <= v => best,
                _ => Some((m, v)),
            });
        let yearly_summary = years
            .iter()
            .map(|&year| YearTotal {
                year,
                total_amount: values
                    .iter()
                    .filter(|(m, _)| m.year() == year)
                    .map(|(_, v)| v.0)
                    .sum(),
            })
            .collect();
        let monthly_detail = detail
            .iter()
            .map(|&(m, v)| {
                // The value first published for the month and the revision
                // since (latest - first); 0 and 0 for a month never published.
                let first = values.get(&m).map_or(0, |x| x.1);
                HistoryMonth {
                    month: m.to_string(),
                    amount: v,
                    first_published: p.vintages.then_some(first),
                    revision: p.vintages.then_some(v - first),
                }
            })
            .collect();
        let info = country_info(conn, &country)?;
        let entry = |x: Option<(Month, i64)>| x.map(|(m, v)| MonthAmount::new(m, v));
        Ok(Answered::data(HistoryAnswer {
            hs_code: hs.clone(),
            country_code: country,
            country_name: info.name_zh,
            current_data_month: latest.to_string(),
            yearly_summary,
            monthly_detail,
            summary_stats: SummaryStats {
                total24_month_amount: total,
                monthly_avg: ratio_2dp(total as i128, 24),
                max_month: entry(max),
                min_month: entry(min),
                active_months_count: detail.iter().filter(|(_, v)| *v > 0).count(),
            },
            country_name_en: info.name_en,
            iso3: info.iso3,
            iso2: info.iso2,
            m49: info.m49,
        }))
    }
}
