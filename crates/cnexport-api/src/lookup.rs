//! The lookups the endpoints share: the latest data month, the code range
//! of a roll-up, a partner's names and codes, an ISO3 code resolved.

use crate::params::CountryParam;
use crate::ApiError;
use cnexport_core::Month;
use rusqlite::{params, Connection, OptionalExtension};

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

/// The names and codes of a partner; its code as the name when unknown.
pub fn country_info(conn: &Connection, code: &str) -> Result<CountryInfo, ApiError> {
    let mut st = conn.prepare_cached(
        "SELECT name_zh, name_en, iso3, iso2, m49 FROM countries WHERE country_code = ?1",
    )?;
    Ok(st
        .query_row([code], |r| {
            Ok(CountryInfo {
                name_zh: r.get("name_zh")?,
                name_en: r.get("name_en")?,
                iso3: r.get("iso3")?,
                iso2: r.get("iso2")?,
                m49: r.get("m49")?,
            })
        })
        .optional()?
        .unwrap_or_else(|| CountryInfo {
            name_zh: code.to_string(),
            ..CountryInfo::default()
        }))
}

/// The customs partner code of a `countryCode` parameter (ISO3 resolved).
pub fn resolve_country(conn: &Connection, country: &CountryParam) -> Result<String, ApiError> {
    match country {
        CountryParam::Customs(code) => Ok(code.clone()),
        CountryParam::Iso3(iso3) => conn
            .query_row(
                "SELECT country_code FROM countries WHERE iso3 = ?1
                 ORDER BY in_reference DESC, country_code LIMIT 1",
                [iso3],
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

/// The 404 for a code without metrics: either no export record at all, or
/// data too short for a 24-month window.
pub(crate) fn no_metrics(conn: &Connection, hs: &str) -> ApiError {
    let (lo, hi) = code_range(hs);
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

/// The 404 of [`no_metrics`] unless the code has rows in `hs_count_month`
/// (its destinations at the latest month).
pub fn require_markets(conn: &Connection, hs: &str) -> Result<(), ApiError> {
    let known: Option<i64> = conn
        .prepare_cached("SELECT 1 FROM hs_count_month WHERE hs_code = ?1 LIMIT 1")?
        .query_row([hs], |r| r.get(0))
        .optional()?;
    match known {
        Some(_) => Ok(()),
        None => Err(no_metrics(conn, hs)),
    }
}

/// A destination's two windows at the latest month.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MarketWindows {
    pub country_code: String,
    /// M-11..M, yuan
    pub recent12: i64,
    /// M-23..M-12, yuan
    pub prev12: i64,
}

/// The destinations of a code with exports in either window (one indexed
/// read of `hs_count_month`); the 404 of [`no_metrics`] for a code that has
/// none at all.
pub fn market_windows(conn: &Connection, hs: &str) -> Result<Vec<MarketWindows>, ApiError> {
    let rows: Vec<MarketWindows> = conn
        .prepare_cached(
            "SELECT country_code, recent12m_total, prev12m_total FROM hs_count_month
             WHERE hs_code = ?1 AND (recent12m_total <> 0 OR prev12m_total <> 0)",
        )?
        .query_map([hs], |r| {
            Ok(MarketWindows {
                country_code: r.get("country_code")?,
                recent12: r.get("recent12m_total")?,
                prev12: r.get("prev12m_total")?,
            })
        })?
        .collect::<Result<_, _>>()?;
    require_markets(conn, hs)?;
    Ok(rows)
}
