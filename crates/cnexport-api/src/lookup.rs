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
            "SELECT 1 FROM fact_series WHERE hs_code BETWEEN ?1 AND ?2 LIMIT 1",
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

/// The first data month of the database.
pub fn first_month(conn: &Connection) -> Result<Month, ApiError> {
    let v: Option<String> = conn
        .prepare_cached("SELECT value FROM meta WHERE key = 'data_first_month'")?
        .query_row([], |r| r.get(0))
        .optional()?;
    v.as_deref()
        .and_then(Month::parse_yyyymm)
        .ok_or_else(|| ApiError::not_found("数据库中没有数据 (the database holds no data)"))
}

/// The 404 for a code without any fact (`no_metrics` otherwise reports a
/// code with too few months).
pub fn require_facts(conn: &Connection, hs: &str) -> Result<(), ApiError> {
    let (lo, hi) = code_range(hs);
    let known: Option<i64> = conn
        .prepare_cached("SELECT 1 FROM fact_series WHERE hs_code BETWEEN ?1 AND ?2 LIMIT 1")?
        .query_row(params![lo, hi], |r| r.get(0))
        .optional()?;
    match known {
        Some(_) => Ok(()),
        None => Err(ApiError::not_found(format!(
            "未找到商品编码 {hs} 的出口数据 (no export data for hsCode {hs})"
        ))),
    }
}

/// The 404 `该商品对此国家暂无出口记录` for a product-country pair with no
/// fact at all.
pub fn require_pair(conn: &Connection, hs: &str, country: &str) -> Result<(), ApiError> {
    let (lo, hi) = code_range(hs);
    let known: Option<i64> = conn
        .prepare_cached(
            "SELECT 1 FROM fact_series WHERE country_code = ?1 AND hs_code BETWEEN ?2 AND ?3 LIMIT 1",
        )?
        .query_row(params![country, lo, hi], |r| r.get(0))
        .optional()?;
    match known {
        Some(_) => Ok(()),
        None => Err(ApiError::not_found(crate::NO_RECORD_MESSAGE)),
    }
}

/// The destination of a request that may name one (`countryCode`), with
/// the 404 of a code without facts (no destination) or of a pair without
/// any (one destination).
pub fn product_scope(
    conn: &Connection,
    hs: &str,
    country: Option<&CountryParam>,
) -> Result<Option<String>, ApiError> {
    match country {
        None => {
            require_facts(conn, hs)?;
            Ok(None)
        }
        Some(c) => {
            let code = resolve_country(conn, c)?;
            require_pair(conn, hs, &code)?;
            Ok(Some(code))
        }
    }
}

/// One month of a code's pre-computed monthly row (all destinations, or
/// one).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MonthRow {
    pub value: i64,
    pub quantity1: i64,
    pub quantity2: i64,
    /// The month's one first / second unit (all destinations only).
    pub unit1: Option<String>,
    pub unit2: Option<String>,
    /// Several units in the month (all destinations only).
    pub units1_mixed: bool,
    pub units2_mixed: bool,
}

/// The monthly rows of a code in `from..=to`, one indexed read of
/// pre-computed rows: `hs_monthly` for all destinations; for one,
/// the packed facts (8 digits: one row; 6 digits: its few 8-digit codes'
/// rows, by the by-country index), or `hs_country_monthly` (2 and 4
/// digits, packed as the facts are). Months without a row are absent; to one destination, only the
/// value is read.
pub fn monthly_rows(
    conn: &Connection,
    hs: &str,
    country: Option<&str>,
    from: Month,
    to: Month,
) -> Result<std::collections::BTreeMap<Month, MonthRow>, ApiError> {
    let mut out = std::collections::BTreeMap::new();
    let range = (from.yyyymm(), to.yyyymm());
    let mut push = |m: u32, row: MonthRow| {
        if let Some(m) = Month::from_yyyymm(m) {
            out.insert(m, row);
        }
    };
    match country {
        None => {
            let mut st = conn.prepare_cached(
                "SELECT month, value, quantity1, unit1, units1_mixed, quantity2, unit2, units2_mixed
                 FROM hs_monthly WHERE hs_code = ?1 AND month BETWEEN ?2 AND ?3",
            )?;
            let rows = st.query_map(params![hs, range.0, range.1], |r| {
                Ok((
                    r.get::<_, u32>(0)?,
                    MonthRow {
                        value: r.get(1)?,
                        quantity1: r.get(2)?,
                        unit1: r.get(3)?,
                        units1_mixed: r.get::<_, i64>(4)? != 0,
                        quantity2: r.get(5)?,
                        unit2: r.get(6)?,
                        units2_mixed: r.get::<_, i64>(7)? != 0,
                    },
                ))
            })?;
            for row in rows {
                let (m, row) = row?;
                push(m, row);
            }
        }
        Some(country) => {
            if hs.len() >= 6 {
                // An 8-digit code's pair is one row of the packed facts; a
                // 6-digit code's are the rows of its few 8-digit codes.
                let (lo, hi) = code_range(hs);
                let mut sum: std::collections::BTreeMap<u32, i64> = Default::default();
                pair_series(conn, country, &lo, &hi, false, &mut |m, v, _| {
                    if (range.0..=range.1).contains(&m.yyyymm()) {
                        *sum.entry(m.yyyymm()).or_default() += v;
                    }
                })?;
                for (m, value) in sum {
                    push(
                        m,
                        MonthRow {
                            value,
                            ..MonthRow::default()
                        },
                    );
                }
            } else {
                // A chapter's or heading's series to one destination: one
                // packed row of `hs_country_monthly`.
                let mut st = conn.prepare_cached(
                    "SELECT first_month, months, value FROM country_series
                     WHERE hs_code = ?1 AND country_code = ?2",
                )?;
                let mut rows = st.query(params![hs, country])?;
                while let Some(r) = rows.next()? {
                    let (months, values) = packed_series(r)?;
                    for (m, value) in months.into_iter().zip(values) {
                        if (range.0..=range.1).contains(&m.yyyymm()) {
                            push(
                                m.yyyymm(),
                                MonthRow {
                                    value,
                                    ..MonthRow::default()
                                },
                            );
                        }
                    }
                }
            }
        }
    }
    Ok(out)
}

/// Reads the packed facts of destination `country` and the 8-digit codes in
/// `lo..=hi` (the by-country index; one row for one code), handing each
/// month's value and first-published value to `each` (the first value is
/// the value unless `first` is asked for).
pub fn pair_series(
    conn: &Connection,
    country: &str,
    lo: &str,
    hi: &str,
    first: bool,
    each: &mut dyn FnMut(Month, i64, i64),
) -> Result<(), ApiError> {
    use cnexport_core::series::parse_int_array;
    let mut st = conn.prepare_cached(
        "SELECT first_month, months, value, first_value FROM fact_series
         WHERE country_code = ?1 AND hs_code BETWEEN ?2 AND ?3",
    )?;
    let mut rows = st.query(params![country, lo, hi])?;
    while let Some(r) = rows.next()? {
        let (months, values) = packed_series(r)?;
        let firsts = match (
            first,
            r.get_ref(3)?.as_str_or_null().map_err(ApiError::internal)?,
        ) {
            (true, Some(text)) => {
                let f = parse_int_array(text).map_err(ApiError::internal)?;
                if f.len() != values.len() {
                    return Err(ApiError::internal(
                        "a packed fact series does not decode: first_value",
                    ));
                }
                Some(f)
            }
            _ => None,
        };
        for (i, (&m, &v)) in months.iter().zip(&values).enumerate() {
            each(m, v, firsts.as_ref().map_or(v, |f| f[i]));
        }
    }
    Ok(())
}

/// The months and values of a packed row whose first three columns are
/// `first_month`, `months` and `value` (`fact_series`, `country_series`).
fn packed_series(r: &rusqlite::Row<'_>) -> Result<(Vec<Month>, Vec<i64>), ApiError> {
    let text = |i| r.get_ref(i)?.as_str_or_null().map_err(ApiError::internal);
    cnexport_core::series::decode_values(r.get(0)?, text(1)?, text(2)?.unwrap_or_default())
        .map_err(ApiError::internal)
}
