//! GET /skill/priceband: what each destination pays per unit over the
//! recent 12 months, and the price tier it falls in (docs/metrics.md,
//! Price bands). Read from the code's `hs_count_month` rows (its
//! destinations' windows and quantities) and its `hs_monthly` rows (the
//! units of each month, the monthly unit values).

use crate::handler::{Answered, Handler};
use crate::lookup::{country_info, first_month, latest_month, monthly_rows, require_markets};
use crate::metrics::product_name;
use crate::model::CURRENCY_UNIT;
use crate::params::PricebandParams;
use crate::ApiError;
use cnexport_core::round::ratio_2dp;
use cnexport_core::Month;
use rusqlite::Connection;
use serde::Serialize;
use std::cmp::Ordering;
use std::collections::BTreeSet;
use utoipa::ToSchema;

/// A price as a fraction: value / quantity (both > 0), or a mean of two.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Fraction {
    num: i128,
    den: i128,
}

impl Fraction {
    fn as_f64(self) -> f64 {
        self.num as f64 / self.den as f64
    }

    /// `self` against `k_num / k_den` times `other`, exactly when the
    /// products fit (always, for yuan and quantities of trade data), else
    /// in floating point.
    fn cmp_scaled(self, k_num: i128, k_den: i128, other: Fraction) -> Ordering {
        let lhs = self
            .num
            .checked_mul(other.den)
            .and_then(|x| x.checked_mul(k_den));
        let rhs = other
            .num
            .checked_mul(self.den)
            .and_then(|x| x.checked_mul(k_num));
        match (lhs, rhs) {
            (Some(l), Some(r)) => l.cmp(&r),
            _ => self
                .as_f64()
                .total_cmp(&(other.as_f64() * k_num as f64 / k_den as f64)),
        }
    }

    /// The mean of two fractions, exactly when it fits.
    fn mean(a: Fraction, b: Fraction) -> Fraction {
        let exact = (|| {
            let num = a
                .num
                .checked_mul(b.den)?
                .checked_add(b.num.checked_mul(a.den)?)?;
            let den = a.den.checked_mul(b.den)?.checked_mul(2)?;
            Some(Fraction { num, den })
        })();
        exact.unwrap_or_else(|| {
            // Scaled to a fixed denominator in floating point (never seen
            // with real data: yuan and quantities are far below 1e18).
            let den = 1i128 << 60;
            Fraction {
                num: ((a.as_f64() + b.as_f64()) / 2.0 * den as f64) as i128,
                den,
            }
        })
    }
}

/// A price tier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub enum Band {
    /// price > 1.2 x median (高端)
    Premium,
    /// 0.8 x median <= price <= 1.2 x median (中端)
    Mid,
    /// price < 0.8 x median (性价比)
    Value,
}

impl Band {
    fn of(price: Fraction, median: Fraction) -> Band {
        if price.cmp_scaled(6, 5, median) == Ordering::Greater {
            Band::Premium
        } else if price.cmp_scaled(4, 5, median) == Ordering::Less {
            Band::Value
        } else {
            Band::Mid
        }
    }

    pub fn name_zh(self) -> &'static str {
        match self {
            Band::Premium => "高端",
            Band::Mid => "中端",
            Band::Value => "性价比",
        }
    }
}

/// The band summary of one quantity unit.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UnitBands {
    /// the unit's Chinese name (null when there is not exactly one)
    pub unit: Option<String>,
    /// the median of the destinations' prices, yuan per unit, unrounded (null without a priced destination)
    pub median: Option<f64>,
    /// destinations with a price
    pub priced_markets: usize,
    pub premium_count: usize,
    pub mid_count: usize,
    pub value_count: usize,
    /// why there is no band (null when there is one)
    pub reason: Option<String>,
}

/// One destination's prices.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PricedMarket {
    /// 1-based, largest recent12mTotal first (ties: countryCode), before limit and offset
    pub rank: usize,
    pub country_code: String,
    pub country_name: String,
    /// yuan, months M-11..M
    #[schema(format = "yuan")]
    pub recent12m_total: i64,
    /// first quantity, months M-11..M (null unless the facts use exactly one first unit)
    #[schema(format = "quantity")]
    pub quantity1: Option<i64>,
    /// yuan per first unit (null: no quantity, or no band for the unit)
    #[schema(format = "decimal")]
    pub price1: Option<f64>,
    pub band1: Option<Band>,
    /// 高端, 中端 or 性价比
    pub band_zh1: Option<&'static str>,
    /// second quantity, months M-11..M (null unless the facts use exactly one second unit)
    #[schema(format = "quantity")]
    pub quantity2: Option<i64>,
    /// yuan per second unit
    #[schema(format = "decimal")]
    pub price2: Option<f64>,
    pub band2: Option<Band>,
    pub band_zh2: Option<&'static str>,
    pub country_name_en: Option<String>,
    /// ISO 3166-1 alpha-3
    pub iso3: Option<String>,
    /// ISO 3166-1 alpha-2
    pub iso2: Option<String>,
    /// UN M49 numeric code
    pub m49: Option<String>,
}

/// The unit value of one month, all destinations together.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MonthPrice {
    /// YYYYMM
    pub month: String,
    /// yuan per unit, 2 decimals (null: no quantity, no unit, or several units that month)
    #[schema(format = "decimal")]
    pub price: Option<f64>,
    /// the month's unit
    pub unit: Option<String>,
}

/// GET /skill/priceband
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PricebandAnswer {
    pub hs_code: String,
    pub product_name: Option<String>,
    /// YYYYMM: the latest month M
    pub current_month: String,
    #[schema(value_type = String, example = "人民币")]
    pub currency_unit: &'static str,
    pub unit1: UnitBands,
    pub unit2: UnitBands,
    /// destinations listed (before limit and offset)
    pub market_count: usize,
    pub markets: Vec<PricedMarket>,
    /// every month of the data, oldest first: value / first quantity
    pub price_trend1: Vec<MonthPrice>,
    /// every month of the data, oldest first: value / second quantity
    pub price_trend2: Vec<MonthPrice>,
}

/// The unit(s) a code's facts use over some months.
enum Units {
    None,
    One(String),
    Several,
}

fn units_over<'a>(months: impl Iterator<Item = (Option<&'a String>, bool)>) -> Units {
    let mut seen = BTreeSet::new();
    for (unit, mixed) in months {
        if mixed {
            return Units::Several;
        }
        seen.extend(unit);
    }
    match seen.len() {
        0 => Units::None,
        1 => Units::One(seen.into_iter().next().cloned().unwrap_or_default()),
        _ => Units::Several,
    }
}

/// Prices and bands of one unit: per destination (in the order given),
/// and the summary.
fn bands(units: &Units, windows: &[(i64, i64)]) -> (Vec<Option<(f64, Band)>>, UnitBands) {
    let mut summary = UnitBands {
        unit: None,
        median: None,
        priced_markets: 0,
        premium_count: 0,
        mid_count: 0,
        value_count: 0,
        reason: None,
    };
    let none = vec![None; windows.len()];
    match units {
        Units::None => {
            summary.reason =
                Some("无数量数据 (no quantity reported in this unit in the 12 months)".into());
            return (none, summary);
        }
        Units::Several => {
            summary.reason = Some(
                "计量单位不一致 (the destinations use more than one unit in the 12 months: a roll-up of codes with different units, or a unit change): no price band".into(),
            );
            return (none, summary);
        }
        Units::One(u) => summary.unit = Some(u.clone()),
    }
    let prices: Vec<Option<Fraction>> = windows
        .iter()
        .map(|&(v, q)| {
            (q > 0 && v > 0).then_some(Fraction {
                num: v as i128,
                den: q as i128,
            })
        })
        .collect();
    let mut sorted: Vec<Fraction> = prices.iter().flatten().copied().collect();
    if sorted.is_empty() {
        summary.reason =
            Some("没有目的地报告数量 (no destination reported a quantity in the 12 months)".into());
        return (none, summary);
    }
    sorted.sort_by(|a, b| a.cmp_scaled(1, 1, *b));
    let n = sorted.len();
    let median = if n % 2 == 1 {
        sorted[n / 2]
    } else {
        Fraction::mean(sorted[n / 2 - 1], sorted[n / 2])
    };
    summary.median = Some(median.as_f64());
    summary.priced_markets = n;
    let out = prices
        .iter()
        .zip(windows)
        .map(|(p, &(v, q))| {
            p.map(|p| {
                let band = Band::of(p, median);
                (ratio_2dp(v as i128, q as i128).unwrap_or(0.0), band)
            })
        })
        .collect::<Vec<_>>();
    for (_, band) in out.iter().flatten() {
        match band {
            Band::Premium => summary.premium_count += 1,
            Band::Mid => summary.mid_count += 1,
            Band::Value => summary.value_count += 1,
        }
    }
    (out, summary)
}

pub struct Priceband;

impl Handler for Priceband {
    type Params = PricebandParams;
    type Data = PricebandAnswer;

    fn answer(
        &self,
        conn: &Connection,
        p: &PricebandParams,
    ) -> Result<Answered<PricebandAnswer>, ApiError> {
        let hs = &p.hs_code.0;
        require_markets(conn, hs)?;
        let latest = latest_month(conn)?;
        let first = first_month(conn)?;
        // (country, recent12, quantity1, quantity2), largest first.
        let mut rows: Vec<(String, i64, i64, i64)> = conn
            .prepare_cached(
                "SELECT country_code, recent12m_total, quantity1, quantity2 FROM hs_count_month
                 WHERE hs_code = ?1 AND recent12m_total > 0",
            )?
            .query_map([hs], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
            .collect::<Result<_, _>>()?;
        rows.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        let months = monthly_rows(conn, hs, None, first, latest)?;
        let window_from = latest.minus(11);
        let recent = || months.range(window_from..=latest).map(|(_, r)| r);
        let units1 = units_over(recent().map(|r| (r.unit1.as_ref(), r.units1_mixed)));
        let units2 = units_over(recent().map(|r| (r.unit2.as_ref(), r.units2_mixed)));
        let w1: Vec<(i64, i64)> = rows.iter().map(|r| (r.1, r.2)).collect();
        let w2: Vec<(i64, i64)> = rows.iter().map(|r| (r.1, r.3)).collect();
        let (p1, unit1) = bands(&units1, &w1);
        let (p2, unit2) = bands(&units2, &w2);
        let mut markets = Vec::new();
        for (i, (code, recent12, q1, q2)) in
            rows.iter().enumerate().skip(p.offset.0).take(p.limit.0)
        {
            let info = country_info(conn, code)?;
            markets.push(PricedMarket {
                rank: i + 1,
                country_code: code.clone(),
                country_name: info.name_zh,
                recent12m_total: *recent12,
                quantity1: matches!(units1, Units::One(_)).then_some(*q1),
                price1: p1[i].map(|x| x.0),
                band1: p1[i].map(|x| x.1),
                band_zh1: p1[i].map(|x| x.1.name_zh()),
                quantity2: matches!(units2, Units::One(_)).then_some(*q2),
                price2: p2[i].map(|x| x.0),
                band2: p2[i].map(|x| x.1),
                band_zh2: p2[i].map(|x| x.1.name_zh()),
                country_name_en: info.name_en,
                iso3: info.iso3,
                iso2: info.iso2,
                m49: info.m49,
            });
        }
        let trend = |second: bool| -> Vec<MonthPrice> {
            let count = (latest.since(first) + 1) as usize;
            (0..count)
                .map(|i| {
                    let m: Month = first.plus(i as i64);
                    let row = months.get(&m);
                    let (q, unit, mixed) = match row {
                        Some(r) if second => (r.quantity2, r.unit2.clone(), r.units2_mixed),
                        Some(r) => (r.quantity1, r.unit1.clone(), r.units1_mixed),
                        None => (0, None, false),
                    };
                    let value = row.map_or(0, |r| r.value);
                    MonthPrice {
                        month: m.to_string(),
                        price: if q > 0 && !mixed && unit.is_some() {
                            ratio_2dp(value as i128, q as i128)
                        } else {
                            None
                        },
                        unit,
                    }
                })
                .collect()
        };
        Ok(Answered::list(
            PricebandAnswer {
                hs_code: hs.clone(),
                product_name: product_name(conn, hs)?,
                current_month: latest.to_string(),
                currency_unit: CURRENCY_UNIT,
                unit1,
                unit2,
                market_count: rows.len(),
                markets,
                price_trend1: trend(false),
                price_trend2: trend(true),
            },
            rows.len(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(num: i128, den: i128) -> Fraction {
        Fraction { num, den }
    }

    #[test]
    fn bands_compare_exactly() {
        // Median 2500 (mean of 2000 and 3000): edges 2000 and 3000 are mid.
        let median = Fraction::mean(f(2000, 1), f(3000, 1));
        assert_eq!(Band::of(f(3000, 1), median), Band::Mid);
        assert_eq!(Band::of(f(2000, 1), median), Band::Mid);
        assert_eq!(Band::of(f(3001, 1), median), Band::Premium);
        // 499999 / 250 = 1999.996: shown as 2000.00 but below the edge.
        assert_eq!(Band::of(f(499_999, 250), median), Band::Value);
    }

    #[test]
    fn units_decide_whether_there_is_a_band() {
        let kg = "千克".to_string();
        let pieces = "个".to_string();
        let one = units_over([(Some(&kg), false), (None, false)].into_iter());
        assert!(matches!(one, Units::One(ref u) if u == "千克"));
        let two = units_over([(Some(&kg), false), (Some(&pieces), false)].into_iter());
        assert!(matches!(two, Units::Several));
        let mixed = units_over([(None, true)].into_iter());
        assert!(matches!(mixed, Units::Several));
        let (prices, summary) = bands(&two, &[(10, 2)]);
        assert_eq!(prices, vec![None]);
        assert!(summary.reason.is_some() && summary.median.is_none());
        // Odd count: the middle price; a zero quantity has no price.
        let (prices, summary) = bands(&one, &[(100, 1), (50, 1), (10, 1), (7, 0)]);
        assert_eq!(summary.median, Some(50.0));
        assert_eq!(prices[0].map(|p| p.1), Some(Band::Premium));
        assert_eq!(prices[1].map(|p| p.1), Some(Band::Mid));
        assert_eq!(prices[2].map(|p| p.1), Some(Band::Value));
        assert_eq!(prices[3], None);
        assert_eq!(
            (
                summary.premium_count,
                summary.mid_count,
                summary.value_count
            ),
            (1, 1, 1)
        );
    }
}
