//! GET /skill/series: the monthly exports of a product (or roll-up) to all
//! destinations or to one, oldest first: by default the 24 months M-23..M
//! (the web page's chart), whose last 12 add up to the dashboard's
//! `recent12mGlobalTotal` and first 12 to its `prev12mGlobalTotal`; with
//! `from` and `to`, any range of the data's months.
//!
//! Each month is one pre-computed row (`lookup::monthly_rows`), so the
//! whole history of a 2-digit chapter is one indexed read.

use crate::handler::{Answered, Handler};
use crate::lookup::{first_month, latest_month, monthly_rows, product_scope};
use crate::metrics::product_name;
use crate::model::{CountryFields, MonthAmount, CURRENCY_UNIT};
use crate::params::SeriesParams;
use crate::ApiError;
use cnexport_core::Month;
use rusqlite::Connection;
use serde::Serialize;
use utoipa::ToSchema;

/// GET /skill/series: a product's monthly exports.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SeriesAnswer {
    pub hs_code: String,
    pub product_name: Option<String>,
    /// YYYYMM: the latest month M
    pub current_month: String,
    #[schema(value_type = String, example = "人民币")]
    pub currency_unit: &'static str,
    /// every month from..to (default M-23..M), oldest first, 0 where nothing was exported
    pub monthly_data: Vec<MonthAmount>,
    /// with countryCode only: the destination's customs code
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub country_code: Option<String>,
    /// with countryCode only
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub country_name: Option<String>,
    /// with countryCode only
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub country_name_en: Option<Option<String>>,
    /// with countryCode only: ISO 3166-1 alpha-3
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub iso3: Option<Option<String>>,
    /// with countryCode only: ISO 3166-1 alpha-2
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub iso2: Option<Option<String>>,
    /// with countryCode only: UN M49 numeric code
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub m49: Option<Option<String>>,
}

pub struct Series;

impl Handler for Series {
    type Params = SeriesParams;
    type Data = SeriesAnswer;

    fn answer(
        &self,
        conn: &Connection,
        p: &SeriesParams,
    ) -> Result<Answered<SeriesAnswer>, ApiError> {
        let hs = &p.hs_code.0;
        let latest = latest_month(conn)?;
        let first = first_month(conn)?;
        let in_data = |name: &str, m: Month| {
            if m < first || m > latest {
                Err(ApiError::bad_request(format!(
                    "参数 {name} 无效: {m} ({name} must be a month of the data, {first}..{latest})"
                )))
            } else {
                Ok(m)
            }
        };
        let from = p.from.map(|m| in_data("from", m)).transpose()?;
        let to =
            p.to.map(|m| in_data("to", m))
                .transpose()?
                .unwrap_or(latest);
        // The default window is M-23..M, as before ranges existed, even
        // when the data starts later (those months are 0).
        let from = from.unwrap_or_else(|| to.minus(23));
        if from > to {
            return Err(ApiError::bad_request(format!(
                "参数 from 无效: {from} (from must not be after to, {to})"
            )));
        }
        let country = product_scope(conn, hs, p.country_code.as_ref())?;
        let rows = monthly_rows(conn, hs, country.as_deref(), from, to)?;
        let months = (to.since(from) + 1) as usize;
        let monthly = (0..months)
            .map(|i| {
                let m = from.plus(i as i64);
                MonthAmount::new(m, rows.get(&m).map_or(0, |r| r.value))
            })
            .collect();
        let name = product_name(conn, hs)?;
        let fields = country
            .as_deref()
            .map(|c| CountryFields::of(conn, c))
            .transpose()?;
        Ok(Answered::data(SeriesAnswer {
            hs_code: hs.clone(),
            product_name: name,
            current_month: latest.to_string(),
            currency_unit: CURRENCY_UNIT,
            monthly_data: monthly,
            country_code: fields.as_ref().map(|f| f.country_code.clone()),
            country_name: fields.as_ref().map(|f| f.country_name.clone()),
            country_name_en: fields.as_ref().map(|f| f.country_name_en.clone()),
            iso3: fields.as_ref().map(|f| f.iso3.clone()),
            iso2: fields.as_ref().map(|f| f.iso2.clone()),
            m49: fields.as_ref().map(|f| f.m49.clone()),
        }))
    }
}
