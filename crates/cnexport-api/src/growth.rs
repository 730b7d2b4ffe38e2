//! GET /skill/growth: a product's (or roll-up's) destinations ranked by
//! year-on-year growth (recent12 / prev12 - 1) * 100, fastest first, from
//! `hs_count_month` (one indexed read of the code's rows). Destinations
//! whose prev12 is below `minBase` are left out and counted, and so are new
//! markets (prev12 = 0, recent12 > 0), whose growth is not defined.

use crate::analytics::low_base_threshold;
use crate::handler::{Answered, Handler};
use crate::lookup::{country_info, latest_month, market_windows};
use crate::params::GrowthParams;
use crate::ApiError;
use cnexport_core::round::{growth_pct, percent};
use rusqlite::Connection;
use serde::Serialize;
use std::cmp::Ordering;
use utoipa::ToSchema;

/// One destination of /skill/growth.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct GrowthMarket {
    /// 1-based, before limit and offset
    pub rank: usize,
    pub country_code: String,
    pub country_name: String,
    /// yuan, M-11..M
    #[schema(format = "yuan")]
    pub recent12m_total: i64,
    /// yuan, M-23..M-12
    #[schema(format = "yuan")]
    pub prev12m_total: i64,
    /// (recent12 / prev12 - 1) * 100, in percent (ranked unrounded)
    #[schema(format = "percent")]
    pub yoy_growth_rate: Option<f64>,
    /// recent12mTotal - prev12mTotal (yuan)
    #[schema(format = "yuan")]
    pub change: i64,
    /// recent12mTotal / the product's recent12 * 100, in percent
    #[schema(format = "percent")]
    pub share: Option<f64>,
    pub country_name_en: Option<String>,
    /// ISO 3166-1 alpha-3
    pub iso3: Option<String>,
    /// ISO 3166-1 alpha-2
    pub iso2: Option<String>,
    /// UN M49 numeric code
    pub m49: Option<String>,
}

/// The answer of /skill/growth.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct GrowthAnswer {
    pub hs_code: String,
    /// YYYYMM: the as-of month M (the latest month of the data)
    pub current_month: String,
    /// the product's recent12, yuan (the base of `share`)
    #[schema(format = "yuan")]
    pub recent12m_global_total: i64,
    /// the least prev12 (yuan) a destination needs to be ranked
    #[schema(format = "yuan")]
    pub min_base: i64,
    /// destinations ranked (before limit and offset)
    pub market_count: usize,
    /// destinations left out because 0 < prev12 < minBase
    pub excluded_low_base: usize,
    /// destinations with prev12 = 0 and recent12 > 0 (growth not defined)
    pub new_markets: usize,
    /// fastest growth first (ties: countryCode ascending)
    pub markets: Vec<GrowthMarket>,
}

pub struct Growth;

impl Handler for Growth {
    type Params = GrowthParams;
    type Data = GrowthAnswer;

    fn answer(
        &self,
        conn: &Connection,
        p: &GrowthParams,
    ) -> Result<Answered<GrowthAnswer>, ApiError> {
        let hs = &p.hs_code.0;
        let latest = latest_month(conn)?;
        let rows: Vec<(String, i64, i64)> = market_windows(conn, hs)?
            .into_iter()
            .map(|w| (w.country_code, w.recent12, w.prev12))
            .collect();
        let min_base = p.min_base.unwrap_or_else(|| low_base_threshold(conn));
        let total: i64 = rows.iter().map(|r| r.1).sum();
        let new_markets = rows.iter().filter(|r| r.2 == 0 && r.1 > 0).count();
        let excluded_low_base = rows.iter().filter(|r| r.2 > 0 && r.2 < min_base).count();
        let mut ranked: Vec<(String, i64, i64)> = rows
            .into_iter()
            .filter(|r| r.2 > 0 && r.2 >= min_base)
            .collect();
        // recent / prev compared exactly: a.r * b.p against b.r * a.p (both
        // bases are positive), fastest first; ties by country code.
        ranked.sort_by(|a, b| {
            let lhs = a.1 as i128 * b.2 as i128;
            let rhs = b.1 as i128 * a.2 as i128;
            match rhs.cmp(&lhs) {
                Ordering::Equal => a.0.cmp(&b.0),
                other => other,
            }
        });
        let mut markets = Vec::new();
        for (i, (code, r, p0)) in ranked.iter().enumerate().skip(p.offset.0).take(p.limit.0) {
            let info = country_info(conn, code)?;
            markets.push(GrowthMarket {
                rank: i + 1,
                country_code: code.clone(),
                country_name: info.name_zh,
                recent12m_total: *r,
                prev12m_total: *p0,
                yoy_growth_rate: growth_pct(*r as i128, *p0 as i128),
                change: r - p0,
                share: percent(*r as i128, total as i128),
                country_name_en: info.name_en,
                iso3: info.iso3,
                iso2: info.iso2,
                m49: info.m49,
            });
        }
        Ok(Answered::list(
            GrowthAnswer {
                hs_code: hs.clone(),
                current_month: latest.to_string(),
                recent12m_global_total: total,
                min_base,
                market_count: ranked.len(),
                excluded_low_base,
                new_markets,
                markets,
            },
            ranked.len(),
        ))
    }
}
