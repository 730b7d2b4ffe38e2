//! The endpoints. Each takes validated parameters and reads the database.

use crate::params::CountryParam;
use crate::{ApiError, Params, NO_RECORD_MESSAGE};
use cnexport_core::round::ratio_2dp;
use cnexport_core::Month;
use rusqlite::{params, Connection, OptionalExtension};
use serde_json::{json, Value};
use std::collections::BTreeMap;

pub fn dispatch(conn: &Connection, path: &str, params: &Params) -> Result<Value, ApiError> {
    match path.trim_end_matches('/') {
        "/skill/trend" => trend(conn, params),
        "/skill/history" => history(conn, params),
        "/skill/dashboard" => crate::metrics::dashboard(conn, params),
        "/skill/markets" => crate::metrics::markets(conn, params),
        "/skill/topProducts" => crate::metrics::top_products(conn, params),
        "/skill/search" => crate::search::search(conn, params),
        "/skill/meta" => crate::meta::meta(conn, params),
        "/skill/contributions" => crate::meta::contributions(conn, params),
        "/skill/countries" => crate::meta::countries(conn, params),
        "/skill/series" => crate::series::series(conn, params),
        other => Err(ApiError::not_found(format!(
            "未知接口 {other:.80} (unknown endpoint; available: {})",
            crate::ENDPOINTS.join(", ")
        ))),
    }
}

/// The latest data month of the database.
pub fn latest_month(conn: &Connection) -> Result<Month, ApiError> {
    let v: Option<String> = conn
        .prepare_cached("SELECT value FROM meta WHERE key = 'data_latest_month'")?
        .query_row([], |r| r.get(0))
        .optional()?;
    v.as_deref()
        .and_then(Month::parse_yyyymm)
        .ok_or_else(|| ApiError::not_found("数据库中没有数据 (the database holds no data)"))
}

/// The inclusive range of 8-digit codes under a 2-8 digit prefix.
pub fn code_range(prefix: &str) -> (String, String) {
    (format!("{prefix:0<8}"), format!("{prefix:9<8}"))
}

/// A country as every answer names it: Chinese and English names and the
/// codes other datasets use (ISO 3166 alpha-3 and alpha-2, UN M49).
#[derive(Debug, Clone, Default)]
pub struct CountryInfo {
    pub name_zh: String,
    pub name_en: Option<String>,
    pub iso3: Option<String>,
    pub iso2: Option<String>,
    pub m49: Option<String>,
}

impl CountryInfo {
    /// Adds `countryNameEn`, `iso3`, `iso2` and `m49` to an answer object.
    pub fn add_codes(&self, obj: &mut Value) {
        if let Some(o) = obj.as_object_mut() {
            o.insert("countryNameEn".into(), json!(self.name_en));
            o.insert("iso3".into(), json!(self.iso3));
            o.insert("iso2".into(), json!(self.iso2));
            o.insert("m49".into(), json!(self.m49));
        }
    }
}

/// The names and codes of a partner; its code as the name when unknown.
pub fn country_info(conn: &Connection, code: &str) -> Result<CountryInfo, ApiError> {
    let mut st = conn.prepare_cached(
        "SELECT name_zh, name_en, iso3, iso2, m49 FROM countries WHERE country_code = ?1",
    )?;
    Ok(st
        .query_row([code], |r| {
            Ok(CountryInfo {
                name_zh: r.get(0)?,
                name_en: r.get(1)?,
                iso3: r.get(2)?,
                iso2: r.get(3)?,
                m49: r.get(4)?,
            })
        })
        .optional()?
        .unwrap_or_else(|| CountryInfo {
            name_zh: code.to_string(),
            ..CountryInfo::default()
        }))
}

/// The customs partner code of a `countryCode` parameter (ISO3 resolved).
pub fn resolve_country(conn: &Connection, params: &Params) -> Result<String, ApiError> {
    match params.country_code()? {
        CountryParam::Customs(code) => Ok(code),
        CountryParam::Iso3(iso3) => conn
            .query_row(
                "SELECT country_code FROM countries WHERE iso3 = ?1
                 ORDER BY in_reference DESC, country_code LIMIT 1",
                [&iso3],
                |r| r.get(0),
            )
            .optional()?
            .ok_or_else(|| {
                ApiError::bad_request(format!(
                    "参数 countryCode 无效: {iso3} (no partner with ISO3 code {iso3}; /skill/countries lists them)"
                ))
            }),
    }
}

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
        .query_row(
            "SELECT 1 FROM monthly_facts WHERE country_code = ?1 AND hs_code BETWEEN ?2 AND ?3 LIMIT 1",
            params![country, lo, hi],
            |r| r.get(0),
        )
        .optional()?;
    if exists.is_none() {
        return Ok(None);
    }
    let mut st = conn.prepare_cached(
        "SELECT month, SUM(value), SUM(first_value) FROM monthly_facts
         WHERE country_code = ?1 AND hs_code BETWEEN ?2 AND ?3 AND month BETWEEN ?4 AND ?5
         GROUP BY month",
    )?;
    let rows = st.query_map(params![country, lo, hi, from.yyyymm(), to.yyyymm()], |r| {
        Ok((
            r.get::<_, u32>(0)?,
            r.get::<_, i64>(1)?,
            r.get::<_, i64>(2)?,
        ))
    })?;
    let mut out = BTreeMap::new();
    for row in rows {
        let (m, v, first) = row?;
        if let Some(m) = Month::from_yyyymm(m) {
            out.insert(m, (v, first));
        }
    }
    Ok(Some(out))
}

fn month_entry(m: Month, amount: i64) -> Value {
    json!({"month": m.to_string(), "amount": amount})
}

/// GET /skill/trend: the 12 months M-11..M, oldest first.
fn trend(conn: &Connection, params: &Params) -> Result<Value, ApiError> {
    let hs = params.hs_code(&[2, 4, 6, 8])?;
    let country = resolve_country(conn, params)?;
    let latest = latest_month(conn)?;
    let first = latest.minus(11);
    let values = pair_monthly(conn, &hs, &country, first, latest)?
        .ok_or_else(|| ApiError::not_found(NO_RECORD_MESSAGE))?;
    let monthly: Vec<Value> = (0..12)
        .map(|i| {
            let m = first.plus(i);
            month_entry(m, values.get(&m).map_or(0, |v| v.0))
        })
        .collect();
    let info = country_info(conn, &country)?;
    let mut out = json!({
        "hsCode": hs,
        "countryName": info.name_zh,
        "countryCode": country,
        "currencyUnit": "人民币",
        "monthlyData": monthly,
    });
    info.add_codes(&mut out);
    Ok(out)
}

/// GET /skill/history: 24 months M..M-23 newest first, the two latest
/// complete calendar years, and summary statistics.
fn history(conn: &Connection, params: &Params) -> Result<Value, ApiError> {
    let hs = params.hs_code(&[2, 4, 6, 8])?;
    let country = resolve_country(conn, params)?;
    let vintages = params.flag("vintages")?;
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
    let values = pair_monthly(conn, &hs, &country, from, latest)?
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
    let yearly: Vec<Value> = years
        .iter()
        .map(|&y| {
            let total: i64 = values
                .iter()
                .filter(|(m, _)| m.year() == y)
                .map(|(_, v)| v.0)
                .sum();
            json!({"year": y, "totalAmount": total})
        })
        .collect();
    let entry = |x: Option<(Month, i64)>| x.map(|(m, v)| month_entry(m, v)).unwrap_or(Value::Null);
    let monthly_detail: Vec<Value> = detail
        .iter()
        .map(|&(m, v)| {
            let mut e = month_entry(m, v);
            if vintages {
                // The value first published for the month and the revision
                // since (latest - first); 0 and 0 for a month never published.
                let first = values.get(&m).map_or(0, |x| x.1);
                if let Some(o) = e.as_object_mut() {
                    o.insert("firstPublished".into(), json!(first));
                    o.insert("revision".into(), json!(v - first));
                }
            }
            e
        })
        .collect();
    let info = country_info(conn, &country)?;
    let mut out = json!({
        "hsCode": hs,
        "countryCode": country,
        "countryName": info.name_zh,
        "currentDataMonth": latest.to_string(),
        "yearlySummary": yearly,
        "monthlyDetail": monthly_detail,
        "summaryStats": {
            "total24MonthAmount": total,
            "monthlyAvg": ratio_2dp(total as i128, 24),
            "maxMonth": entry(max),
            "minMonth": entry(min),
            "activeMonthsCount": detail.iter().filter(|(_, v)| *v > 0).count(),
        },
    });
    info.add_codes(&mut out);
    Ok(out)
}
