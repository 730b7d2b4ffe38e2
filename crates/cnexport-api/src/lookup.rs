//! The lookups the endpoints share: the latest data month, the code range
//! of a roll-up, a partner's names and codes, an ISO3 code resolved.

use crate::params::CountryParam;
use crate::ApiError;
use cnexport_core::Month;
use rusqlite::{Connection, OptionalExtension};

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
