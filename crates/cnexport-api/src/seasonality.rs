//! GET /skill/seasonality: the calendar months a product sells in, over
//! its latest complete years (docs/metrics.md, Seasonality), to all
//! destinations or to one; the dashboard carries the same profile.
//!
//! The profile is `cnexport_core::season`, the function the transform
//! pre-computes the peak months of `topProducts` with, over at most 36
//! pre-computed monthly rows.

use crate::handler::{Answered, Handler};
use crate::lookup::{first_month, latest_month, monthly_rows, product_scope};
use crate::model::CountryFields;
use crate::params::SeasonalityParams;
use crate::ApiError;
use cnexport_core::season::{complete_years, seasonality};
use cnexport_core::Month;
use rusqlite::Connection;
use serde::Serialize;
use utoipa::ToSchema;

/// The seasonality profile of a monthly series at an as-of month.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SeasonProfile {
    /// the complete calendar years used, ascending (at most 3, the latest ending by the as-of month)
    pub years_used: Vec<u32>,
    /// yuan, the total of those years
    #[schema(format = "yuan")]
    pub years_total: i64,
    /// yuan per calendar month over those years, January first
    #[schema(min_items = 12, max_items = 12)]
    pub month_totals: Vec<i64>,
    /// each calendar month's share of yearsTotal, in percent, January first; null without a complete year or with a zero total
    #[schema(min_items = 12, max_items = 12)]
    pub month_share: Option<Vec<f64>>,
    /// months (1-12) with a share of at least 1.25 x an even share (10.4167%), compared unrounded
    pub peak_months: Vec<u32>,
    /// half the sum of |monthShare - 100/12|: the share of the year that would have to move to make it flat (0 = flat)
    #[schema(format = "percent")]
    pub seasonality_strength: Option<f64>,
}

/// The profile of a code (to one destination, or all) at `as_of`.
pub fn profile(
    conn: &Connection,
    hs: &str,
    country: Option<&str>,
    as_of: Month,
) -> Result<SeasonProfile, ApiError> {
    let first = first_month(conn)?;
    let years = complete_years(first, as_of);
    let rows = match (years.first(), years.last()) {
        (Some(a), Some(b)) => {
            let from = Month::new(*a, 1).unwrap_or(first);
            let to = Month::new(*b, 12).unwrap_or(as_of);
            monthly_rows(conn, hs, country, from, to)?
        }
        _ => Default::default(),
    };
    let s = seasonality(first, as_of, |m| rows.get(&m).map_or(0, |r| r.value));
    Ok(SeasonProfile {
        years_used: s.years.clone(),
        years_total: s.total,
        month_totals: s.month_totals.to_vec(),
        month_share: s.month_share.map(|x| x.to_vec()),
        peak_months: s.peak_months.clone(),
        seasonality_strength: s.strength,
    })
}

/// GET /skill/seasonality
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SeasonalityAnswer {
    pub hs_code: String,
    pub product_name: Option<String>,
    /// YYYYMM: the as-of month
    pub current_month: String,
    /// the destination (null: all destinations)
    pub country_code: Option<String>,
    pub country_name: Option<String>,
    pub country_name_en: Option<String>,
    /// ISO 3166-1 alpha-3
    pub iso3: Option<String>,
    /// ISO 3166-1 alpha-2
    pub iso2: Option<String>,
    /// UN M49 numeric code
    pub m49: Option<String>,
    /// the complete calendar years used, ascending (at most 3, the latest ending by currentMonth)
    pub years_used: Vec<u32>,
    /// yuan, the total of those years
    #[schema(format = "yuan")]
    pub years_total: i64,
    /// yuan per calendar month over those years, January first
    #[schema(min_items = 12, max_items = 12)]
    pub month_totals: Vec<i64>,
    /// each calendar month's share of yearsTotal, in percent, January first; null without a complete year or with a zero total
    #[schema(min_items = 12, max_items = 12)]
    pub month_share: Option<Vec<f64>>,
    /// months (1-12) with a share of at least 1.25 x an even share (10.4167%), compared unrounded
    pub peak_months: Vec<u32>,
    /// half the sum of |monthShare - 100/12|: the share of the year that would have to move to make it flat (0 = flat)
    #[schema(format = "percent")]
    pub seasonality_strength: Option<f64>,
}

pub struct Seasonality;

impl Handler for Seasonality {
    type Params = SeasonalityParams;
    type Data = SeasonalityAnswer;

    fn answer(
        &self,
        conn: &Connection,
        p: &SeasonalityParams,
    ) -> Result<Answered<SeasonalityAnswer>, ApiError> {
        let hs = &p.hs_code.0;
        let latest = latest_month(conn)?;
        let first = first_month(conn)?;
        let as_of = p.current_month.unwrap_or(latest);
        if as_of < first || as_of > latest {
            return Err(ApiError::bad_request(format!(
                "参数 currentMonth 无效: {as_of} (currentMonth must be a month of the data, {first}..{latest})"
            )));
        }
        let country = product_scope(conn, hs, p.country_code.as_ref())?;
        let fields = country
            .as_deref()
            .map(|c| CountryFields::of(conn, c))
            .transpose()?;
        let product_name = crate::metrics::product_name(conn, hs)?;
        let profile = profile(conn, hs, country.as_deref(), as_of)?;
        let f = fields.as_ref();
        Ok(Answered::data(SeasonalityAnswer {
            hs_code: hs.clone(),
            product_name,
            current_month: as_of.to_string(),
            country_code: f.map(|f| f.country_code.clone()),
            country_name: f.map(|f| f.country_name.clone()),
            country_name_en: f.and_then(|f| f.country_name_en.clone()),
            iso3: f.and_then(|f| f.iso3.clone()),
            iso2: f.and_then(|f| f.iso2.clone()),
            m49: f.and_then(|f| f.m49.clone()),
            years_used: profile.years_used,
            years_total: profile.years_total,
            month_totals: profile.month_totals,
            month_share: profile.month_share,
            peak_months: profile.peak_months,
            seasonality_strength: profile.seasonality_strength,
        }))
    }
}
