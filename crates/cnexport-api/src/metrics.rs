//! dashboard, markets and topProducts: answers from the pre-aggregated
//! tables `hs_base_metrics` and `hs_count_month`.

use crate::analytics::{self, Extra};
use crate::handler::{Answered, Handler};
use crate::lookup::{latest_month, no_metrics, require_markets};
use crate::model::{
    BestRegion, Concentration, MomentumComponents, PriceVolume, RegionBreakdown, RegionShare,
    TradeBlocBreakdown, UnitValue,
};
use crate::params::{
    DashboardParams, MarketSort, MarketsParams, ProductSort, SortOrder, TopProductsParams,
};
use crate::ApiError;
use cnexport_core::round::{growth_pct, percent};
use cnexport_core::{Bloc, Month, Region};
use rusqlite::{params, Connection, OptionalExtension, Row};
use serde::Serialize;
use utoipa::ToSchema;

/// What topProducts ranks a code by (the few columns it reads of every
/// code of a level).
struct Ranked {
    hs_code: String,
    recent12: i64,
    prev12: i64,
    yoy: Option<f64>,
    active: i64,
    top3: Option<f64>,
    peak_months: u16,
    next_month_share: Option<f64>,
    /// (recent12, prev12) of the regionFilter's region (the global windows
    /// without one).
    region: (i64, i64),
}

/// One `hs_base_metrics` row, as read.
struct Metrics {
    hs_code: String,
    recent12: i64,
    prev12: i64,
    yoy: Option<f64>,
    mom: Option<f64>,
    active: i64,
    activity: i64,
    top3: Option<f64>,
    avg_active_months: Option<f64>,
    first_unit: Option<String>,
    first_quantity: Option<i64>,
    second_unit: Option<String>,
    second_quantity: Option<i64>,
    /// (recent12, prev12) per region, in `Region::ALL` order.
    regions: Vec<(i64, i64)>,
    best_region: Option<String>,
    best_region_percent: Option<f64>,
    momentum: f64,
    extra: Extra,
    peak_months: u16,
    next_month_share: Option<f64>,
    fastest_market: Option<(String, f64)>,
}

/// Reads one `hs_base_metrics` row, column by name: the queries select
/// `*`, so reading one more column is one line here.
fn read_metrics(row: &Row) -> rusqlite::Result<Metrics> {
    let regions = Region::ALL
        .iter()
        .map(|region| {
            let col = region.column();
            Ok((
                row.get(format!("{col}_total").as_str())?,
                row.get(format!("{col}_prev_total").as_str())?,
            ))
        })
        .collect::<rusqlite::Result<_>>()?;
    Ok(Metrics {
        hs_code: row.get("hs_code")?,
        recent12: row.get("recent12m_global_total")?,
        prev12: row.get("prev12m_global_total")?,
        yoy: row.get("yoy_growth_rate")?,
        mom: row.get("mom_growth_rate")?,
        active: row.get("active_countries_count")?,
        activity: row.get("monthly_activity_count")?,
        top3: row.get("top3_concentration_percent")?,
        avg_active_months: row.get("avg_country_active_months")?,
        first_unit: row.get("first_unit")?,
        first_quantity: row.get("first_quantity")?,
        second_unit: row.get("second_unit")?,
        second_quantity: row.get("second_quantity")?,
        best_region: row.get("best_region")?,
        best_region_percent: row.get("best_region_percent")?,
        momentum: row.get("momentum_score")?,
        extra: Extra::read(row)?,
        regions,
        peak_months: row.get::<_, i64>("peak_months")? as u16,
        next_month_share: row.get("next_month_share")?,
        fastest_market: match (
            row.get::<_, Option<String>>("fastest_market")?,
            row.get::<_, Option<f64>>("fastest_market_growth")?,
        ) {
            (Some(c), Some(g)) => Some((c, g)),
            _ => None,
        },
    })
}

pub(crate) fn product_name(conn: &Connection, hs: &str) -> Result<Option<String>, ApiError> {
    Ok(conn
        .prepare_cached("SELECT name_zh FROM products WHERE hs_code = ?1")?
        .query_row([hs], |r| r.get("name_zh"))
        .optional()?
        .flatten())
}

fn best_region(m: &Metrics) -> Option<BestRegion> {
    match (&m.best_region, m.best_region_percent) {
        (Some(name), Some(p)) => Some(BestRegion {
            region_name: name.clone(),
            percent: p,
        }),
        _ => None,
    }
}

/// The months for which a code has metrics.
pub(crate) fn metric_months(conn: &Connection, hs: &str) -> Result<Option<(u32, u32)>, ApiError> {
    let r: (Option<u32>, Option<u32>) = conn
        .prepare_cached(
            "SELECT min(as_of_month), max(as_of_month) FROM hs_base_metrics WHERE hs_code = ?1",
        )?
        .query_row([hs], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(match r {
        (Some(a), Some(b)) => Some((a, b)),
        _ => None,
    })
}

/// GET /skill/dashboard: a product's (or roll-up's) 12-month figures at an
/// as-of month.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DashboardAnswer {
    pub hs_code: String,
    pub product_name: Option<String>,
    /// YYYYMM as an integer (the seed API's type): the as-of month M
    #[schema(example = 202412)]
    pub current_month: u32,
    /// yuan, months M-11..M
    #[schema(format = "yuan")]
    pub recent12m_global_total: i64,
    /// yuan, months M-23..M-12
    #[schema(format = "yuan")]
    pub prev12m_global_total: i64,
    /// recent12mGlobalTotal over prev12mGlobalTotal, in percent (null without a base)
    #[schema(format = "percent")]
    pub yoy_growth_rate: Option<f64>,
    /// month M over month M-1, in percent
    #[schema(format = "percent")]
    pub mom_growth_rate: Option<f64>,
    /// destinations with exports in the recent 12 months
    pub active_countries_count: i64,
    /// months of the recent 12 with exports
    pub monthly_activity_count: i64,
    /// the three largest destinations' share, in percent
    #[schema(format = "percent")]
    pub top3_concentration_percent: Option<f64>,
    /// months with exports per active destination
    #[schema(format = "decimal")]
    pub avg_country_active_months: Option<f64>,
    pub first_unit: Option<String>,
    /// recent 12 months, in firstUnit
    #[schema(format = "quantity")]
    pub first_quantity: Option<i64>,
    pub second_unit: Option<String>,
    /// recent 12 months, in secondUnit
    #[schema(format = "quantity")]
    pub second_quantity: Option<i64>,
    pub region_breakdown: RegionBreakdown,
    pub trade_bloc_breakdown: TradeBlocBreakdown,
    pub best_region: Option<BestRegion>,
    /// 100 * (0.5 g3 + 0.3 g12 + 0.2 gb), from -100 to 100
    #[schema(format = "decimal", minimum = -100, maximum = 100)]
    pub momentum_score: f64,
    /// prev12mGlobalTotal is below the low-base threshold (default 1,000,000 yuan): read yoyGrowthRate with care
    pub low_base: bool,
    /// value(M-1) is below a twelfth of the threshold
    pub mom_low_base: bool,
    /// month M over the same month a year before, in percent
    #[schema(format = "percent")]
    pub month_yoy_growth_rate: Option<f64>,
    /// value(M-12) is below a twelfth of the threshold
    pub month_yoy_low_base: bool,
    pub momentum_components: MomentumComponents,
    pub concentration: Concentration,
    pub unit_value: Option<UnitValue>,
    pub price_volume: Option<PriceVolume>,
    /// the months of the year the product sells in, at currentMonth
    pub seasonality: crate::seasonality::SeasonProfile,
}

pub struct Dashboard;

impl Handler for Dashboard {
    type Params = DashboardParams;
    type Data = DashboardAnswer;

    fn answer(
        &self,
        conn: &Connection,
        p: &DashboardParams,
    ) -> Result<Answered<DashboardAnswer>, ApiError> {
        let hs = &p.hs_code.0;
        let (first, last) = metric_months(conn, hs)?.ok_or_else(|| no_metrics(conn, hs))?;
        let latest = latest_month(conn)?;
        let month: Month = p.current_month.unwrap_or(latest);
        let m = conn
            .prepare_cached(
                "SELECT * FROM hs_base_metrics WHERE hs_code = ?1 AND as_of_month = ?2",
            )?
            .query_row(params![hs, month.yyyymm()], read_metrics)
            .optional()?
            .ok_or_else(|| {
                ApiError::not_found(format!(
                    "currentMonth {month} 无数据 (no metrics for {month}: months with a full 24-month window are {first}..{last})"
                ))
            })?;
        let threshold = analytics::low_base_threshold(conn);
        let (unit_value, price_volume) = m.extra.unit_value();
        let shares: Vec<RegionShare> = Region::ALL
            .iter()
            .zip(&m.regions)
            .map(|(region, (recent, _))| RegionShare::new(*region, *recent, m.recent12))
            .collect();
        let (continents, blocs): (Vec<RegionShare>, Vec<RegionShare>) = shares
            .into_iter()
            .partition(|s| matches!(s.region, Region::Continent(_)));
        Ok(Answered::data(DashboardAnswer {
            hs_code: hs.clone(),
            product_name: product_name(conn, hs)?,
            current_month: month.yyyymm(),
            recent12m_global_total: m.recent12,
            prev12m_global_total: m.prev12,
            yoy_growth_rate: m.yoy,
            mom_growth_rate: m.mom,
            active_countries_count: m.active,
            monthly_activity_count: m.activity,
            top3_concentration_percent: m.top3,
            avg_country_active_months: m.avg_active_months,
            first_unit: m.first_unit.clone(),
            first_quantity: m.first_quantity,
            second_unit: m.second_unit.clone(),
            second_quantity: m.second_quantity,
            region_breakdown: RegionBreakdown(continents),
            trade_bloc_breakdown: TradeBlocBreakdown(blocs),
            best_region: best_region(&m),
            momentum_score: m.momentum,
            low_base: analytics::low_base_12(m.prev12, threshold),
            mom_low_base: analytics::low_base_1(m.extra.value_prev_month, threshold),
            month_yoy_growth_rate: m.extra.month_yoy(),
            month_yoy_low_base: analytics::low_base_1(m.extra.value_year_ago_month, threshold),
            momentum_components: m.extra.momentum_components(),
            concentration: m.extra.concentration(),
            unit_value,
            price_volume,
            seasonality: crate::seasonality::profile(conn, hs, None, month)?,
        }))
    }
}

/// One destination of /skill/markets.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MarketEntry {
    pub country_name: String,
    pub country_code: String,
    /// 亚洲, 非洲, 欧洲, 拉丁美洲, 北美洲 or 大洋洲
    pub continent: Option<String>,
    /// the trade blocs of the partner: 一带一路, 东盟, 欧盟, 美墨加, 中东
    pub trade_tags: Vec<String>,
    /// yuan, the recent 12 months
    #[schema(format = "yuan")]
    pub recent12m_total: i64,
    /// yuan per month of the recent 12
    #[schema(format = "yuan")]
    pub monthly_avg: f64,
    /// growth per year over three years, in percent
    #[serde(rename = "threeYearCAGR")]
    #[schema(format = "percent")]
    pub three_year_cagr: Option<f64>,
    /// yuan, the 12 months before the recent 12
    #[schema(format = "yuan")]
    pub prev12m_total: i64,
    /// (recent12 / prev12 - 1) * 100, in percent; null on a zero base
    #[schema(format = "percent")]
    pub yoy_growth_rate: Option<f64>,
    /// prev12 is below the database's low-base threshold: the growth rate is
    /// on a small base
    pub low_base: bool,
    /// recent12mTotal / the product's recent12 * 100, in percent
    #[schema(format = "percent")]
    pub share: Option<f64>,
    pub unit_value: Option<UnitValue>,
    pub price_volume: Option<PriceVolume>,
    pub country_name_en: Option<String>,
    /// ISO 3166-1 alpha-3
    pub iso3: Option<String>,
    /// ISO 3166-1 alpha-2
    pub iso2: Option<String>,
    /// UN M49 numeric code
    pub m49: Option<String>,
}

/// GET /skill/markets
pub struct Markets;

impl Handler for Markets {
    type Params = MarketsParams;
    type Data = Vec<MarketEntry>;

    fn answer(
        &self,
        conn: &Connection,
        p: &MarketsParams,
    ) -> Result<Answered<Vec<MarketEntry>>, ApiError> {
        let hs = &p.hs_code.0;
        require_markets(conn, hs)?;
        let mut st = conn.prepare_cached(
            "SELECT c.country_code, co.name_zh, co.name_pinyin, co.continent_zh, c.recent12m_total, c.monthly_avg,
                    c.three_year_cagr,
                    (SELECT group_concat(tag, ',') FROM (SELECT tag FROM country_tags t WHERE t.country_code = c.country_code ORDER BY tag)) AS tags,
                    c.prev12m_total, c.quantity1, c.quantity1_prev, co.name_en, co.iso3, co.iso2, co.m49
             FROM hs_count_month c LEFT JOIN countries co ON co.country_code = c.country_code
             WHERE c.hs_code = ?1 AND c.recent12m_total > 0 AND c.recent12m_total >= ?2",
        )?;
        struct MarketRow {
            code: String,
            name: String,
            pinyin: String,
            continent: Option<String>,
            total: i64,
            avg: f64,
            cagr: Option<f64>,
            tags: Option<String>,
            prev: i64,
            q1: i64,
            q0: i64,
            name_en: Option<String>,
            iso3: Option<String>,
            iso2: Option<String>,
            m49: Option<String>,
        }
        let mut rows: Vec<MarketRow> = st
            .query_map(params![hs, p.min_amount], |r| {
                let code: String = r.get("country_code")?;
                Ok(MarketRow {
                    name: r
                        .get::<_, Option<String>>("name_zh")?
                        .unwrap_or_else(|| code.clone()),
                    pinyin: r
                        .get::<_, Option<String>>("name_pinyin")?
                        .unwrap_or_default(),
                    code,
                    continent: r.get("continent_zh")?,
                    total: r.get("recent12m_total")?,
                    avg: r.get("monthly_avg")?,
                    cagr: r.get("three_year_cagr")?,
                    tags: r.get("tags")?,
                    prev: r.get("prev12m_total")?,
                    q1: r.get("quantity1")?,
                    q0: r.get("quantity1_prev")?,
                    name_en: r.get("name_en")?,
                    iso3: r.get("iso3")?,
                    iso2: r.get("iso2")?,
                    m49: r.get("m49")?,
                })
            })?
            .collect::<Result<_, _>>()?;
        rows.sort_by(|a, b| {
            let primary = match p.sort_by {
                MarketSort::Name => a.pinyin.cmp(&b.pinyin),
                MarketSort::Amount => a.total.cmp(&b.total),
                MarketSort::Growth => match (a.prev > 0, b.prev > 0) {
                    // recent / prev compared exactly: a.r * b.p against b.r * a.p.
                    (true, true) => {
                        (a.total as i128 * b.prev as i128).cmp(&(b.total as i128 * a.prev as i128))
                    }
                    // A zero base has no growth rate: last in either order.
                    (true, false) => return std::cmp::Ordering::Less,
                    (false, true) => return std::cmp::Ordering::Greater,
                    (false, false) => std::cmp::Ordering::Equal,
                },
            };
            let primary = match p.order {
                SortOrder::Asc => primary,
                SortOrder::Desc => primary.reverse(),
            };
            primary.then_with(|| a.code.cmp(&b.code))
        });
        let total = rows.len();
        // The product's recent12 (the base of each market's share): every
        // market with exports in recent12 (minAmount does not change it).
        let product_recent12: i64 = conn
            .prepare_cached(
                "SELECT coalesce(sum(recent12m_total), 0) FROM hs_count_month WHERE hs_code = ?1",
            )?
            .query_row([hs], |r| r.get(0))?;
        let threshold = analytics::low_base_threshold(conn);
        // Unit values per market use the product's unit when it is one and the
        // same in both windows (as for the product itself).
        let unit: Option<String> = conn
            .query_row(
                "SELECT unit_both_windows FROM hs_base_metrics WHERE hs_code = ?1
                 ORDER BY as_of_month DESC LIMIT 1",
                [hs],
                |r| r.get("unit_both_windows"),
            )
            .optional()?
            .flatten();
        let out = rows
            .into_iter()
            .skip(p.offset.0)
            .take(p.limit.0)
            .map(|r| {
                let (unit_value, price_volume) =
                    analytics::unit_value(unit.as_deref(), r.total, r.prev, r.q1, r.q0);
                MarketEntry {
                    country_name: r.name,
                    country_code: r.code,
                    continent: r.continent,
                    trade_tags: tags_zh(r.tags.as_deref().unwrap_or("")),
                    recent12m_total: r.total,
                    monthly_avg: r.avg,
                    three_year_cagr: r.cagr,
                    prev12m_total: r.prev,
                    yoy_growth_rate: growth_pct(r.total as i128, r.prev as i128),
                    low_base: analytics::low_base_12(r.prev, threshold),
                    share: percent(r.total as i128, product_recent12 as i128),
                    unit_value,
                    price_volume,
                    country_name_en: r.name_en,
                    iso3: r.iso3,
                    iso2: r.iso2,
                    m49: r.m49,
                }
            })
            .collect();
        Ok(Answered::list(out, total))
    }
}

/// Comma-separated bloc keys -> their Chinese names, in the order the API
/// lists them (一带一路, 东盟, 欧盟, 美墨加, 中东).
pub fn tags_zh(keys: &str) -> Vec<String> {
    let keys: Vec<&str> = keys.split(',').collect();
    [
        Bloc::BeltRoad,
        Bloc::Asean,
        Bloc::Eu,
        Bloc::Usmca,
        Bloc::MiddleEast,
    ]
    .iter()
    .filter(|b| keys.contains(&b.api_key()))
    .map(|b| b.name_zh().to_string())
    .collect()
}

/// One product of /skill/topProducts.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TopProduct {
    /// 1-based, before limit and offset
    pub rank: usize,
    pub hs_code: String,
    pub product_name: Option<String>,
    /// yuan, the recent 12 months
    #[schema(format = "yuan")]
    pub recent12m_global_total: i64,
    /// in percent
    #[schema(format = "percent")]
    pub yoy_growth_rate: Option<f64>,
    pub active_countries_count: i64,
    /// in percent
    #[schema(format = "percent")]
    pub top3_concentration_percent: Option<f64>,
    pub best_region: Option<BestRegion>,
    #[schema(format = "decimal")]
    pub momentum_score: f64,
    /// the base of the ranked growth is below the low-base threshold
    pub low_base: bool,
    pub momentum_components: MomentumComponents,
    /// with regionFilter only: the region's recent-12-month total (yuan)
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(format = "yuan", nullable = false)]
    pub region_total: Option<i64>,
    /// with regionFilter only: the region's share of the product's total, in percent
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<f64>, format = "percent")]
    pub region_percent: Option<Option<f64>>,
    /// with regionFilter only: the region's year-on-year growth, in percent
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<f64>, format = "percent")]
    pub region_yoy_growth_rate: Option<Option<f64>>,
    /// month M over month M-1, in percent
    #[schema(format = "percent")]
    pub mom_growth_rate: Option<f64>,
    /// the peak months (1-12) of the latest complete years (as /skill/seasonality)
    pub peak_months: Vec<u32>,
    /// the monthShare of the calendar month after M, in percent (null without a complete year)
    #[schema(format = "percent")]
    pub next_month_share: Option<f64>,
    /// the first destination of /skill/growth for this code (default minBase); null when none qualifies
    pub fastest_growing_market: Option<FastestMarket>,
}

/// The fastest-growing destination of a product.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct FastestMarket {
    pub country_code: String,
    pub country_name: String,
    /// growth of its 12-month total, in percent
    #[schema(format = "percent")]
    pub yoy_growth_rate: f64,
    pub country_name_en: Option<String>,
    /// ISO 3166-1 alpha-3
    pub iso3: Option<String>,
    /// ISO 3166-1 alpha-2
    pub iso2: Option<String>,
    /// UN M49 numeric code
    pub m49: Option<String>,
}

/// GET /skill/topProducts
pub struct TopProducts;

impl Handler for TopProducts {
    type Params = TopProductsParams;
    type Data = Vec<TopProduct>;

    fn answer(
        &self,
        conn: &Connection,
        p: &TopProductsParams,
    ) -> Result<Answered<Vec<TopProduct>>, ApiError> {
        let region = p
            .region_filter
            .and_then(|r| Region::ALL.iter().position(|x| *x == r.0));
        let threshold = analytics::low_base_threshold(conn);
        // Growth rankings leave out bases below minBase (default: the low-base
        // threshold) so that tiny bases do not top them.
        let min_base = p.min_base.unwrap_or(threshold);
        let latest: Month = latest_month(conn)?;
        // The ranking reads the few columns it ranks by (a level has up to
        // ~25,000 codes); the page's rows are then read whole.
        let region_column = region.map_or("recent12m_global", |i| Region::ALL[i].column());
        let (region_total, region_prev) = if region.is_some() {
            (
                format!("{region_column}_total"),
                format!("{region_column}_prev_total"),
            )
        } else {
            (
                "recent12m_global_total".to_string(),
                "prev12m_global_total".to_string(),
            )
        };
        let mut st = conn.prepare_cached(&format!(
            "SELECT hs_code, recent12m_global_total, prev12m_global_total, yoy_growth_rate,
                    active_countries_count, top3_concentration_percent, peak_months,
                    next_month_share, {region_total}, {region_prev}
             FROM hs_base_metrics WHERE as_of_month = ?1 AND level = ?2"
        ))?;
        let all: Vec<Ranked> = st
            .query_map(params![latest.yyyymm(), p.level.0], |r| {
                Ok(Ranked {
                    hs_code: r.get(0)?,
                    recent12: r.get(1)?,
                    prev12: r.get(2)?,
                    yoy: r.get(3)?,
                    active: r.get(4)?,
                    top3: r.get(5)?,
                    peak_months: r.get::<_, i64>(6)? as u16,
                    next_month_share: r.get(7)?,
                    region: (r.get(8)?, r.get(9)?),
                })
            })?
            .collect::<Result<_, _>>()?;
        let growth_sort = p.sort_by == ProductSort::Growth;
        let next_month = latest.plus(1).month();
        let next_bit = 1u16 << (next_month - 1);
        // (metrics, ranking total, ranking growth, its base)
        let mut candidates: Vec<(Ranked, i64, Option<f64>, i64)> = all
            .into_iter()
            .map(|m| {
                let (total, growth, base) = match region {
                    Some(_) => {
                        let (r, prev) = m.region;
                        (r, growth_pct(r as i128, prev as i128), prev)
                    }
                    None => (m.recent12, m.yoy, m.prev12),
                };
                (m, total, growth, base)
            })
            .filter(|(m, total, growth, base)| {
                *total >= p.min_amount
                    && (!growth_sort || (growth.is_some() && *base >= min_base))
                    && (p.sort_by != ProductSort::Chance
                        || (growth.is_some_and(|g| g > 0.0)
                            && !analytics::low_base_12(*base, threshold)))
                    && (p.sort_by != ProductSort::Season || m.peak_months & next_bit != 0)
                    && p.max_concentration
                        .is_none_or(|max| m.top3.is_some_and(|t| t <= max))
            })
            .collect();
        candidates.sort_by(|a, b| {
            let primary = match p.sort_by {
                ProductSort::Growth => b.2.unwrap_or(f64::MIN).total_cmp(&a.2.unwrap_or(f64::MIN)),
                ProductSort::Amount => b.1.cmp(&a.1),
                ProductSort::MarketBreadth => b.0.active.cmp(&a.0.active).then(b.1.cmp(&a.1)),
                // Served figures: 2 decimals, as growth compares them.
                ProductSort::Chance => {
                    a.0.top3
                        .unwrap_or(f64::MAX)
                        .total_cmp(&b.0.top3.unwrap_or(f64::MAX))
                        .then_with(|| b.2.unwrap_or(f64::MIN).total_cmp(&a.2.unwrap_or(f64::MIN)))
                }
                ProductSort::Season => {
                    b.0.next_month_share
                        .unwrap_or(f64::MIN)
                        .total_cmp(&a.0.next_month_share.unwrap_or(f64::MIN))
                        .then(b.0.recent12.cmp(&a.0.recent12))
                }
            };
            primary.then_with(|| a.0.hs_code.cmp(&b.0.hs_code))
        });
        let total_count = candidates.len();
        let mut names = conn.prepare_cached("SELECT name_zh FROM products WHERE hs_code = ?1")?;
        let mut row = conn.prepare_cached(
            "SELECT * FROM hs_base_metrics WHERE hs_code = ?1 AND as_of_month = ?2",
        )?;
        let mut out = Vec::new();
        for (i, (ranked, total, growth, base)) in candidates
            .iter()
            .enumerate()
            .skip(p.offset.0)
            .take(p.limit.0)
        {
            let m = &row.query_row(params![ranked.hs_code, latest.yyyymm()], read_metrics)?;
            let name: Option<String> = names
                .query_row([&m.hs_code], |r| r.get("name_zh"))
                .optional()?
                .flatten();
            let filtered = region.is_some();
            out.push(TopProduct {
                rank: i + 1,
                hs_code: m.hs_code.clone(),
                product_name: name,
                recent12m_global_total: m.recent12,
                yoy_growth_rate: m.yoy,
                active_countries_count: m.active,
                top3_concentration_percent: m.top3,
                best_region: best_region(m),
                momentum_score: m.momentum,
                low_base: analytics::low_base_12(*base, threshold),
                momentum_components: m.extra.momentum_components(),
                region_total: filtered.then_some(*total),
                region_percent: filtered.then(|| percent(*total as i128, m.recent12 as i128)),
                region_yoy_growth_rate: filtered.then_some(*growth),
                mom_growth_rate: m.mom,
                peak_months: (1..=12u32)
                    .filter(|k| m.peak_months & (1 << (k - 1)) != 0)
                    .collect(),
                next_month_share: m.next_month_share,
                fastest_growing_market: match &m.fastest_market {
                    Some((code, g)) => {
                        let info = crate::lookup::country_info(conn, code)?;
                        Some(FastestMarket {
                            country_code: code.clone(),
                            country_name: info.name_zh,
                            yoy_growth_rate: *g,
                            country_name_en: info.name_en,
                            iso3: info.iso3,
                            iso2: info.iso2,
                            m49: info.m49,
                        })
                    }
                    None => None,
                },
            });
        }
        Ok(Answered::list(out, total_count))
    }
}
