//! dashboard, markets and topProducts: answers from the pre-aggregated
//! tables `hs_base_metrics` and `hs_count_month`.

use crate::endpoints::latest_month;
use crate::{ApiError, Params};
use cnexport_core::round::{growth_pct, percent};
use cnexport_core::{Bloc, Continent, Month};
use rusqlite::{params, Connection, OptionalExtension, Row};
use serde_json::{json, Map, Value};

/// Region keys (continents, then blocs) as the API names them, with the
/// column prefix of `hs_base_metrics`.
pub fn region_columns() -> Vec<(&'static str, &'static str, &'static str)> {
    let continents = Continent::ALL
        .iter()
        .map(|c| (c.api_key(), c.name_zh(), continent_column(*c)));
    let blocs = Bloc::ALL
        .iter()
        .map(|b| (b.api_key(), b.name_zh(), bloc_column(*b)));
    continents.chain(blocs).collect()
}

fn continent_column(c: Continent) -> &'static str {
    match c {
        Continent::Asia => "asia",
        Continent::Europe => "europe",
        Continent::Africa => "africa",
        Continent::NorthAmerica => "north_america",
        Continent::LatinAmerica => "south_america",
        Continent::Oceania => "oceania",
    }
}

fn bloc_column(b: Bloc) -> &'static str {
    match b {
        Bloc::MiddleEast => "middle_east",
        Bloc::BeltRoad => "belt_road",
        Bloc::Asean => "asean",
        Bloc::Eu => "eu",
        Bloc::Usmca => "usmca",
    }
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
    /// (recent12, prev12) per region key, in `region_columns` order.
    regions: Vec<(i64, i64)>,
    best_region: Option<String>,
    best_region_percent: Option<f64>,
    momentum: f64,
    extra: crate::analytics::Extra,
}

fn select_columns() -> String {
    let mut cols = vec![
        "hs_code",
        "recent12m_global_total",
        "prev12m_global_total",
        "yoy_growth_rate",
        "mom_growth_rate",
        "active_countries_count",
        "monthly_activity_count",
        "top3_concentration_percent",
        "avg_country_active_months",
        "first_unit",
        "first_quantity",
        "second_unit",
        "second_quantity",
        "best_region",
        "best_region_percent",
        "momentum_score",
    ]
    .into_iter()
    .map(String::from)
    .collect::<Vec<_>>();
    for (_, _, col) in region_columns() {
        cols.push(format!("{col}_total"));
        cols.push(format!("{col}_prev_total"));
    }
    cols.extend(
        crate::analytics::EXTRA_COLUMNS
            .iter()
            .map(|c| c.to_string()),
    );
    cols.join(", ")
}

fn read_metrics(row: &Row) -> rusqlite::Result<Metrics> {
    let n = region_columns().len();
    let mut regions = Vec::with_capacity(n);
    for i in 0..n {
        regions.push((row.get(16 + 2 * i)?, row.get(17 + 2 * i)?));
    }
    Ok(Metrics {
        hs_code: row.get(0)?,
        recent12: row.get(1)?,
        prev12: row.get(2)?,
        yoy: row.get(3)?,
        mom: row.get(4)?,
        active: row.get(5)?,
        activity: row.get(6)?,
        top3: row.get(7)?,
        avg_active_months: row.get(8)?,
        first_unit: row.get(9)?,
        first_quantity: row.get(10)?,
        second_unit: row.get(11)?,
        second_quantity: row.get(12)?,
        best_region: row.get(13)?,
        best_region_percent: row.get(14)?,
        momentum: row.get(15)?,
        extra: crate::analytics::Extra::read(row, 16 + 2 * n)?,
        regions,
    })
}

fn product_name(conn: &Connection, hs: &str) -> Result<Option<String>, ApiError> {
    Ok(conn
        .prepare_cached("SELECT name_zh FROM products WHERE hs_code = ?1")?
        .query_row([hs], |r| r.get(0))
        .optional()?
        .flatten())
}

fn best_region_json(m: &Metrics) -> Value {
    match (&m.best_region, m.best_region_percent) {
        (Some(name), Some(p)) => json!({"regionName": name, "percent": p}),
        _ => Value::Null,
    }
}

/// The months for which a code has metrics.
fn metric_months(conn: &Connection, hs: &str) -> Result<Option<(u32, u32)>, ApiError> {
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

/// The 404 for a code without metrics: either no export record at all, or
/// data too short for a 24-month window.
pub(crate) fn no_metrics(conn: &Connection, hs: &str) -> ApiError {
    let (lo, hi) = crate::endpoints::code_range(hs);
    let known: Result<Option<i64>, _> = conn
        .query_row(
            "SELECT 1 FROM monthly_facts WHERE hs_code BETWEEN ?1 AND ?2 LIMIT 1",
            params![lo, hi],
            |r| r.get(0),
        )
        .optional();
    match known {
        Ok(Some(_)) => ApiError::not_found(format!(
            "商品编码 {hs} 数据不足24个月 (hsCode {hs}: metrics need 24 months of data and the database holds fewer)"
        )),
        _ => ApiError::not_found(format!("未找到商品编码 {hs} 的出口数据 (no export data for hsCode {hs})")),
    }
}

/// GET /skill/dashboard
pub fn dashboard(conn: &Connection, params: &Params) -> Result<Value, ApiError> {
    let hs = params.hs_code(&[2, 4, 6, 8])?;
    let requested = params.month("currentMonth")?;
    let (first, last) = metric_months(conn, &hs)?.ok_or_else(|| no_metrics(conn, &hs))?;
    let month = requested.unwrap_or(latest_month(conn)?);
    let sql = format!(
        "SELECT {} FROM hs_base_metrics WHERE hs_code = ?1 AND as_of_month = ?2",
        select_columns()
    );
    let m = conn
        .prepare_cached(&sql)?
        .query_row(params![hs, month.yyyymm()], read_metrics)
        .optional()?
        .ok_or_else(|| {
            ApiError::not_found(format!(
                "currentMonth {month} 无数据 (no metrics for {month}: months with a full 24-month window are {first}..{last})"
            ))
        })?;
    let threshold = crate::analytics::low_base_threshold(conn);
    let (unit_value, price_volume) = m.extra.unit_value();
    let mut regions = Map::new();
    let mut blocs = Map::new();
    for (i, (key, _, _)) in region_columns().into_iter().enumerate() {
        let (recent, _) = m.regions[i];
        let target = if i < Continent::ALL.len() {
            &mut regions
        } else {
            &mut blocs
        };
        target.insert(format!("{key}Total"), json!(recent));
        target.insert(
            format!("{key}Percent"),
            json!(percent(recent as i128, m.recent12 as i128)),
        );
    }
    Ok(json!({
        "hsCode": hs,
        "productName": product_name(conn, &hs)?,
        "currentMonth": month.to_string(),
        "recent12mGlobalTotal": m.recent12,
        "prev12mGlobalTotal": m.prev12,
        "yoyGrowthRate": m.yoy,
        "momGrowthRate": m.mom,
        "activeCountriesCount": m.active,
        "monthlyActivityCount": m.activity,
        "top3ConcentrationPercent": m.top3,
        "avgCountryActiveMonths": m.avg_active_months,
        "firstUnit": m.first_unit,
        "firstQuantity": m.first_quantity,
        "secondUnit": m.second_unit,
        "secondQuantity": m.second_quantity,
        "regionBreakdown": regions,
        "tradeBlocBreakdown": blocs,
        "bestRegion": best_region_json(&m),
        "momentumScore": m.momentum,
        "lowBase": crate::analytics::low_base_12(m.prev12, threshold),
        "momLowBase": crate::analytics::low_base_1(m.extra.value_prev_month, threshold),
        "monthYoyGrowthRate": m.extra.month_yoy(),
        "monthYoyLowBase": crate::analytics::low_base_1(m.extra.value_year_ago_month, threshold),
        "momentumComponents": m.extra.momentum_components(),
        "concentration": m.extra.concentration(),
        "unitValue": unit_value,
        "priceVolume": price_volume,
    }))
}

/// GET /skill/markets
pub fn markets(conn: &Connection, params: &Params) -> Result<Value, ApiError> {
    let hs = params.hs_code(&[2, 4, 6, 8])?;
    let by_name = match params.get("sortBy").unwrap_or("amount") {
        "" | "amount" => false,
        "name" => true,
        other => return Err(bad_choice("sortBy", other, "amount, name")),
    };
    let ascending = order(params)?;
    let min_amount = params.integer("minAmount", 0, 0, i64::MAX)?;
    let limit = params.integer("limit", 50, 1, 1000)? as usize;
    let offset = params.integer("offset", 0, 0, 100_000)? as usize;
    let known: Option<i64> = conn
        .query_row(
            "SELECT 1 FROM hs_count_month WHERE hs_code = ?1 LIMIT 1",
            [&hs],
            |r| r.get(0),
        )
        .optional()?;
    if known.is_none() {
        return Err(no_metrics(conn, &hs));
    }
    let mut st = conn.prepare_cached(
        "SELECT c.country_code, co.name_zh, co.name_pinyin, co.continent_zh, c.recent12m_total, c.monthly_avg,
                c.three_year_cagr,
                (SELECT group_concat(tag, ',') FROM (SELECT tag FROM country_tags t WHERE t.country_code = c.country_code ORDER BY tag)),
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
        codes: crate::endpoints::CountryInfo,
    }
    let mut rows: Vec<MarketRow> = st
        .query_map(params![hs, min_amount], |r| {
            let code: String = r.get(0)?;
            Ok(MarketRow {
                name: r
                    .get::<_, Option<String>>(1)?
                    .unwrap_or_else(|| code.clone()),
                pinyin: r.get::<_, Option<String>>(2)?.unwrap_or_default(),
                code,
                continent: r.get(3)?,
                total: r.get(4)?,
                avg: r.get(5)?,
                cagr: r.get(6)?,
                tags: r.get(7)?,
                prev: r.get(8)?,
                q1: r.get(9)?,
                q0: r.get(10)?,
                codes: crate::endpoints::CountryInfo {
                    name_zh: String::new(),
                    name_en: r.get(11)?,
                    iso3: r.get(12)?,
                    iso2: r.get(13)?,
                    m49: r.get(14)?,
                },
            })
        })?
        .collect::<Result<_, _>>()?;
    rows.sort_by(|a, b| {
        let primary = if by_name {
            a.pinyin.cmp(&b.pinyin)
        } else {
            a.total.cmp(&b.total)
        };
        let primary = if ascending {
            primary
        } else {
            primary.reverse()
        };
        primary.then_with(|| a.code.cmp(&b.code))
    });
    params.set_total(rows.len());
    // Unit values per market use the product's unit when it is one and the
    // same in both windows (as for the product itself).
    let unit: Option<String> = conn
        .query_row(
            "SELECT unit_both_windows FROM hs_base_metrics WHERE hs_code = ?1
             ORDER BY as_of_month DESC LIMIT 1",
            [&hs],
            |r| r.get(0),
        )
        .optional()?
        .flatten();
    let out: Vec<Value> = rows
        .iter()
        .skip(offset)
        .take(limit)
        .map(|r| {
            let tags = tags_zh(r.tags.as_deref().unwrap_or(""));
            let (unit_value, price_volume) =
                crate::analytics::unit_value_json(unit.as_deref(), r.total, r.prev, r.q1, r.q0);
            let mut e = json!({
                "countryName": r.name,
                "countryCode": r.code,
                "continent": r.continent,
                "tradeTags": tags,
                "recent12mTotal": r.total,
                "monthlyAvg": r.avg,
                "threeYearCAGR": r.cagr,
                "prev12mTotal": r.prev,
                "unitValue": unit_value,
                "priceVolume": price_volume,
            });
            r.codes.add_codes(&mut e);
            e
        })
        .collect();
    Ok(Value::Array(out))
}

/// Comma-separated bloc keys -> their Chinese names, in the order section 4.6 of docs/contract.md
/// lists them (一带一路, 东盟, 欧盟, 美墨加, 中东).
pub fn tags_zh(keys: &str) -> Vec<&'static str> {
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
    .map(|b| b.name_zh())
    .collect()
}

fn order(params: &Params) -> Result<bool, ApiError> {
    match params.get("order").unwrap_or("desc") {
        "" | "desc" => Ok(false),
        "asc" => Ok(true),
        other => Err(bad_choice("order", other, "desc, asc")),
    }
}

fn bad_choice(name: &str, value: &str, allowed: &str) -> ApiError {
    ApiError::bad_request(format!(
        "参数 {name} 无效: {value:.40} ({name} must be one of: {allowed})"
    ))
}

/// GET /skill/topProducts
pub fn top_products(conn: &Connection, params: &Params) -> Result<Value, ApiError> {
    #[derive(PartialEq)]
    enum Sort {
        Growth,
        Amount,
        Breadth,
    }
    let sort = match params.get("sortBy").unwrap_or("growth") {
        "" | "growth" => Sort::Growth,
        "amount" => Sort::Amount,
        "marketBreadth" => Sort::Breadth,
        other => return Err(bad_choice("sortBy", other, "growth, amount, marketBreadth")),
    };
    let level = params.integer("level", 8, 2, 8)?;
    if ![2, 4, 6, 8].contains(&level) {
        return Err(bad_choice("level", &level.to_string(), "2, 4, 6, 8"));
    }
    let regions = region_columns();
    let region = match params.get("regionFilter") {
        None | Some("") => None,
        Some(v) => Some(
            regions
                .iter()
                .position(|(key, zh, _)| *key == v || *zh == v)
                .ok_or_else(|| {
                    let keys: Vec<&str> = regions.iter().map(|r| r.0).collect();
                    bad_choice("regionFilter", v, &keys.join(", "))
                })?,
        ),
    };
    let min_amount = params.integer("minAmount", 10_000_000, 0, i64::MAX)?;
    let threshold = crate::analytics::low_base_threshold(conn);
    // Growth rankings leave out bases below minBase (default: the low-base
    // threshold) so that tiny bases do not top them.
    let min_base = params.integer("minBase", threshold, 0, i64::MAX)?;
    let max_concentration = params.number("maxConcentration", 0.0, 100.0)?;
    let limit = params.integer("limit", 30, 1, 100)? as usize;
    let offset = params.integer("offset", 0, 0, 100_000)? as usize;
    let latest: Month = latest_month(conn)?;

    let sql = format!(
        "SELECT {} FROM hs_base_metrics WHERE as_of_month = ?1 AND level = ?2",
        select_columns()
    );
    let mut st = conn.prepare_cached(&sql)?;
    let all: Vec<Metrics> = st
        .query_map(params![latest.yyyymm(), level], read_metrics)?
        .collect::<Result<_, _>>()?;

    // (metrics, ranking total, ranking growth, its base)
    let mut candidates: Vec<(Metrics, i64, Option<f64>, i64)> = all
        .into_iter()
        .map(|m| {
            let (total, growth, base) = match region {
                Some(i) => {
                    let (r, p) = m.regions[i];
                    (r, growth_pct(r as i128, p as i128), p)
                }
                None => (m.recent12, m.yoy, m.prev12),
            };
            (m, total, growth, base)
        })
        .filter(|(m, total, growth, base)| {
            *total >= min_amount
                && (sort != Sort::Growth || (growth.is_some() && *base >= min_base))
                && max_concentration.is_none_or(|max| m.top3.is_some_and(|t| t <= max))
        })
        .collect();
    candidates.sort_by(|a, b| {
        let primary = match sort {
            Sort::Growth => b.2.unwrap_or(f64::MIN).total_cmp(&a.2.unwrap_or(f64::MIN)),
            Sort::Amount => b.1.cmp(&a.1),
            Sort::Breadth => b.0.active.cmp(&a.0.active).then(b.1.cmp(&a.1)),
        };
        primary.then_with(|| a.0.hs_code.cmp(&b.0.hs_code))
    });
    params.set_total(candidates.len());
    let mut names = conn.prepare_cached("SELECT name_zh FROM products WHERE hs_code = ?1")?;
    let mut out = Vec::new();
    for (i, (m, total, growth, base)) in candidates.iter().enumerate().skip(offset).take(limit) {
        let name: Option<String> = names
            .query_row([&m.hs_code], |r| r.get(0))
            .optional()?
            .flatten();
        let mut entry = json!({
            "rank": i + 1,
            "hsCode": m.hs_code,
            "productName": name,
            "recent12mGlobalTotal": m.recent12,
            "yoyGrowthRate": m.yoy,
            "activeCountriesCount": m.active,
            "top3ConcentrationPercent": m.top3,
            "bestRegion": best_region_json(m),
            "momentumScore": m.momentum,
            "lowBase": crate::analytics::low_base_12(*base, threshold),
            "momentumComponents": m.extra.momentum_components(),
        });
        if region.is_some() {
            if let Some(obj) = entry.as_object_mut() {
                obj.insert("regionTotal".into(), json!(total));
                obj.insert(
                    "regionPercent".into(),
                    json!(percent(*total as i128, m.recent12 as i128)),
                );
                obj.insert("regionYoyGrowthRate".into(), json!(growth));
            }
        }
        out.push(entry);
    }
    Ok(Value::Array(out))
}
