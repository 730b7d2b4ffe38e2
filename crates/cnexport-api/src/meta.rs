//! What a build holds, and the answers that go with it:
//! `/skill/meta` (is month X in?), `/skill/contributions` (which markets
//! drove a product's growth) and `/skill/countries` (every partner with the
//! codes other datasets use).

use crate::handler::{Answered, Handler};
use crate::lookup::{country_info, latest_month, market_windows};
use crate::params::{ContributionsParams, MetaParams, NoParams};
use crate::ApiError;
use cnexport_core::round::{growth_pct, percent};
use cnexport_core::Month;
use rusqlite::{params, Connection};
use serde::Serialize;
use std::collections::BTreeMap;
use utoipa::ToSchema;

fn meta_map(conn: &Connection) -> Result<BTreeMap<String, String>, ApiError> {
    let mut st = conn.prepare_cached("SELECT key, value FROM meta")?;
    let rows = st.query_map([], |r| Ok((r.get("key")?, r.get("value")?)))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The build time: the modification time of the database file (the load
/// stage renames the finished file into place, so this is when it landed).
fn build_time(conn: &Connection) -> Option<String> {
    let path = conn.path().filter(|p| !p.is_empty())?;
    let modified = std::fs::metadata(path).ok()?.modified().ok()?;
    let secs = modified
        .duration_since(std::time::UNIX_EPOCH)
        .ok()?
        .as_secs();
    Some(cnexport_core::time::rfc3339(secs as i64))
}

fn count_or(
    conn: &Connection,
    meta: &BTreeMap<String, String>,
    key: &str,
    sql: &str,
) -> Result<i64, ApiError> {
    match meta.get(key).and_then(|v| v.parse().ok()) {
        Some(n) => Ok(n),
        // Databases built before the count was recorded.
        None => Ok(conn.query_row(sql, [], |r| r.get(0))?),
    }
}

/// Where an asked month is relative to the data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub enum MonthStatus {
    Present,
    Missing,
    BeforeFirst,
    AfterLatest,
}

/// GET /skill/meta: what the build holds.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MetaAnswer {
    /// YYYYMM
    pub latest_month: String,
    /// YYYYMM
    pub first_month: String,
    /// the months with data, YYYYMM, oldest first
    pub months: Vec<String>,
    pub month_count: usize,
    /// months between firstMonth and latestMonth without data
    pub missing_months: Vec<String>,
    /// distinct 8-digit codes
    pub code_count: i64,
    /// distinct partners
    pub country_count: i64,
    /// rows of monthly facts
    pub fact_count: i64,
    /// CNY or USD
    pub currency: String,
    pub currency_name: Option<String>,
    /// 元 or 美元
    pub unit: &'static str,
    /// sha256 of the input files
    pub input_digest: Option<String>,
    /// when the database file was built (RFC 3339)
    #[schema(format = DateTime)]
    pub build_time: Option<String>,
    pub reference_version: Option<String>,
    pub schema_version: Option<String>,
    pub source_file_count: Option<i64>,
    /// yuan: a 12-month base below it is a low base
    #[schema(format = "yuan")]
    pub low_base_threshold: i64,
    /// with month= only: the month asked about
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub month: Option<String>,
    /// with month= only: the month is in the data
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub month_present: Option<bool>,
    /// with month= only
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub month_status: Option<MonthStatus>,
}

pub struct Meta;

impl Handler for Meta {
    type Params = MetaParams;
    type Data = MetaAnswer;

    fn answer(&self, conn: &Connection, p: &MetaParams) -> Result<Answered<MetaAnswer>, ApiError> {
        let meta = meta_map(conn)?;
        let latest = latest_month(conn)?;
        let first = meta
            .get("data_first_month")
            .and_then(|m| Month::parse_yyyymm(m))
            .unwrap_or(latest);
        let months: Vec<Month> = match meta.get("data_months") {
            Some(list) => list.split(',').filter_map(Month::parse_yyyymm).collect(),
            None => {
                let mut st =
                    conn.prepare_cached("SELECT month FROM fact_month_sources ORDER BY month")?;
                let rows = st.query_map([], |r| r.get::<_, u32>("month"))?;
                rows.filter_map(|m| m.ok().and_then(Month::from_yyyymm))
                    .collect()
            }
        };
        let present: std::collections::BTreeSet<Month> = months.iter().copied().collect();
        let mut missing = Vec::new();
        let mut m = first;
        while m <= latest {
            if !present.contains(&m) {
                missing.push(m.to_string());
            }
            m = m.plus(1);
        }
        let currency = meta
            .get("currency")
            .cloned()
            .unwrap_or_else(|| "CNY".into());
        let unit = if currency == "USD" { "美元" } else { "元" };
        // "Is month X in?": present, a gap inside the data, or outside it.
        let status = p.month.map(|month| {
            if present.contains(&month) {
                MonthStatus::Present
            } else if month > latest {
                MonthStatus::AfterLatest
            } else if month < first {
                MonthStatus::BeforeFirst
            } else {
                MonthStatus::Missing
            }
        });
        Ok(Answered::data(MetaAnswer {
            latest_month: latest.to_string(),
            first_month: first.to_string(),
            months: months.iter().map(|m| m.to_string()).collect(),
            month_count: months.len(),
            missing_months: missing,
            code_count: count_or(
                conn,
                &meta,
                "code_count",
                "SELECT count(DISTINCT hs_code) FROM fact_series",
            )?,
            country_count: count_or(
                conn,
                &meta,
                "country_count",
                "SELECT count(DISTINCT country_code) FROM fact_series",
            )?,
            fact_count: count_or(
                conn,
                &meta,
                "fact_count",
                "SELECT coalesce(sum(json_array_length(value)), 0) FROM fact_series",
            )?,
            currency,
            currency_name: meta.get("currency_unit").cloned(),
            unit,
            input_digest: meta.get("input_digest").cloned(),
            build_time: build_time(conn),
            reference_version: meta.get("reference_version").cloned(),
            schema_version: meta.get("schema_version").cloned(),
            source_file_count: meta
                .get("source_file_count")
                .and_then(|v| v.parse::<i64>().ok()),
            low_base_threshold: crate::analytics::low_base_threshold(conn),
            month: p.month.map(|m| m.to_string()),
            month_present: status.map(|s| s == MonthStatus::Present),
            month_status: status,
        }))
    }
}

/// One market of /skill/contributions.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ContributionMarket {
    pub country_code: String,
    pub country_name: String,
    /// yuan
    #[schema(format = "yuan")]
    pub recent12m_total: i64,
    /// yuan
    #[schema(format = "yuan")]
    pub prev12m_total: i64,
    /// recent12mTotal - prev12mTotal (yuan)
    #[schema(format = "yuan")]
    pub change: i64,
    /// change / the product's prev12mGlobalTotal * 100, in percentage points
    #[schema(format = "decimal")]
    pub contribution_pp: Option<f64>,
    /// in percent
    #[schema(format = "percent")]
    pub yoy_growth_rate: Option<f64>,
    pub country_name_en: Option<String>,
    /// ISO 3166-1 alpha-3
    pub iso3: Option<String>,
    /// ISO 3166-1 alpha-2
    pub iso2: Option<String>,
    /// UN M49 numeric code
    pub m49: Option<String>,
}

/// GET /skill/contributions: a product's year-on-year change split by market.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ContributionsAnswer {
    pub hs_code: String,
    /// YYYYMM
    pub current_month: String,
    /// yuan
    #[schema(format = "yuan")]
    pub recent12m_global_total: i64,
    /// yuan
    #[schema(format = "yuan")]
    pub prev12m_global_total: i64,
    /// yuan
    #[schema(format = "yuan")]
    pub change: i64,
    /// in percent
    #[schema(format = "percent")]
    pub yoy_growth_rate: Option<f64>,
    /// markets with exports in either window (before limit and offset)
    pub market_count: usize,
    /// largest absolute contribution first
    pub markets: Vec<ContributionMarket>,
}

/// GET /skill/contributions?hsCode=: each market's change (recent12 -
/// prev12) and its contribution to the product's YoY growth in percentage
/// points (change / product prev12 * 100), largest absolute first. Before
/// rounding, the contributions add up to yoyGrowthRate exactly.
pub struct Contributions;

impl Handler for Contributions {
    type Params = ContributionsParams;
    type Data = ContributionsAnswer;

    fn answer(
        &self,
        conn: &Connection,
        p: &ContributionsParams,
    ) -> Result<Answered<ContributionsAnswer>, ApiError> {
        let hs = &p.hs_code.0;
        let latest = latest_month(conn)?;
        let rows = market_windows(conn, hs)?;
        let recent: i64 = rows.iter().map(|r| r.recent12).sum();
        let prev: i64 = rows.iter().map(|r| r.prev12).sum();
        let mut items: Vec<(String, i64, i64, i64)> = rows
            .into_iter()
            .map(|w| (w.country_code, w.recent12, w.prev12, w.recent12 - w.prev12))
            .collect();
        // Largest absolute contribution (= largest absolute change) first.
        items.sort_by(|a, b| {
            b.3.unsigned_abs()
                .cmp(&a.3.unsigned_abs())
                .then(b.3.cmp(&a.3))
                .then_with(|| a.0.cmp(&b.0))
        });
        let mut markets = Vec::new();
        for (code, r, p0, change) in items.iter().skip(p.offset.0).take(p.limit.0) {
            let info = country_info(conn, code)?;
            markets.push(ContributionMarket {
                country_code: code.clone(),
                country_name: info.name_zh,
                recent12m_total: *r,
                prev12m_total: *p0,
                change: *change,
                // change / prev12 * 100, rounded exactly (integer arithmetic).
                contribution_pp: percent(*change as i128, prev as i128),
                yoy_growth_rate: growth_pct(*r as i128, *p0 as i128),
                country_name_en: info.name_en,
                iso3: info.iso3,
                iso2: info.iso2,
                m49: info.m49,
            });
        }
        Ok(Answered::list(
            ContributionsAnswer {
                hs_code: hs.clone(),
                current_month: latest.to_string(),
                recent12m_global_total: recent,
                prev12m_global_total: prev,
                change: recent - prev,
                yoy_growth_rate: growth_pct(recent as i128, prev as i128),
                market_count: items.len(),
                markets,
            },
            items.len(),
        ))
    }
}

/// One partner of /skill/countries.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CountryEntry {
    pub country_code: String,
    pub country_name: String,
    pub country_name_en: Option<String>,
    /// ISO 3166-1 alpha-3
    pub iso3: Option<String>,
    /// ISO 3166-1 alpha-2
    pub iso2: Option<String>,
    /// UN M49 numeric code
    pub m49: Option<String>,
    pub continent: Option<String>,
    /// the trade blocs of the partner: 一带一路, 东盟, 欧盟, 美墨加, 中东
    pub trade_tags: Vec<String>,
    /// false for a partner code met in the data but not in the reference table
    pub in_reference: bool,
}

/// GET /skill/countries: every partner of the database with its names,
/// continent, blocs and the ISO 3166 and UN M49 codes.
pub struct Countries;

impl Handler for Countries {
    type Params = NoParams;
    type Data = Vec<CountryEntry>;

    fn answer(
        &self,
        conn: &Connection,
        _: &NoParams,
    ) -> Result<Answered<Vec<CountryEntry>>, ApiError> {
        let mut st = conn.prepare_cached(
            "SELECT c.country_code, c.name_zh, c.name_en, c.iso3, c.iso2, c.m49, c.continent_zh,
                    c.in_reference,
                    (SELECT group_concat(tag, ',') FROM (SELECT tag FROM country_tags t
                       WHERE t.country_code = c.country_code ORDER BY tag)) AS tags
             FROM countries c ORDER BY c.country_code",
        )?;
        let out: Vec<CountryEntry> = st
            .query_map(params![], |r| {
                let tags: Option<String> = r.get("tags")?;
                Ok(CountryEntry {
                    country_code: r.get("country_code")?,
                    country_name: r.get("name_zh")?,
                    country_name_en: r.get("name_en")?,
                    iso3: r.get("iso3")?,
                    iso2: r.get("iso2")?,
                    m49: r.get("m49")?,
                    continent: r.get("continent_zh")?,
                    trade_tags: crate::metrics::tags_zh(tags.as_deref().unwrap_or("")),
                    in_reference: r.get::<_, i64>("in_reference")? != 0,
                })
            })?
            .collect::<Result<_, _>>()?;
        let total = out.len();
        Ok(Answered::list(out, total))
    }
}
