//! GET /skill/series: the monthly exports of a product (or roll-up) to all
//! destinations (the web page's 24-month chart): the months M-23..M, oldest
//! first.
//! The last 12 add up to the dashboard's `recent12mGlobalTotal`, the first
//! 12 to its `prev12mGlobalTotal`.
//!
//! Each month is `hs_base_metrics.value_month` where the code has metrics at
//! that month (one index lookup), else the sum of that month's facts (a scan
//! of one month's rows of the code), so a 2-digit chapter stays cheap.

use crate::handler::{Answered, Handler};
use crate::lookup::{code_range, latest_month};
use crate::model::{MonthAmount, CURRENCY_UNIT};
use crate::params::ProductParams;
use crate::ApiError;
use cnexport_core::Month;
use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;
use std::collections::BTreeMap;
use utoipa::ToSchema;

/// GET /skill/series: a product's monthly exports to all destinations.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SeriesAnswer {
    pub hs_code: String,
    pub product_name: Option<String>,
    /// YYYYMM: the latest month M
    pub current_month: String,
    #[schema(value_type = String, example = "人民币")]
    pub currency_unit: &'static str,
    /// the 24 months M-23..M, oldest first
    #[schema(min_items = 24, max_items = 24)]
    pub monthly_data: Vec<MonthAmount>,
}

pub struct Series;

impl Handler for Series {
    type Params = ProductParams;
    type Data = SeriesAnswer;

    fn answer(
        &self,
        conn: &Connection,
        p: &ProductParams,
    ) -> Result<Answered<SeriesAnswer>, ApiError> {
        series(conn, &p.hs_code.0)
    }
}

fn series(conn: &Connection, hs: &str) -> Result<Answered<SeriesAnswer>, ApiError> {
    let (lo, hi) = code_range(hs);
    let known: Option<i64> = conn
        .query_row(
            "SELECT 1 FROM monthly_facts WHERE hs_code BETWEEN ?1 AND ?2 LIMIT 1",
            params![lo, hi],
            |r| r.get(0),
        )
        .optional()?;
    if known.is_none() {
        return Err(crate::lookup::no_metrics(conn, hs));
    }
    let latest = latest_month(conn)?;
    let first = latest.minus(23);
    let mut values: BTreeMap<Month, i64> = BTreeMap::new();
    let mut st = conn.prepare_cached(
        "SELECT as_of_month, value_month FROM hs_base_metrics
         WHERE hs_code = ?1 AND as_of_month BETWEEN ?2 AND ?3",
    )?;
    let rows = st.query_map(params![hs, first.yyyymm(), latest.yyyymm()], |r| {
        Ok((
            r.get::<_, u32>("as_of_month")?,
            r.get::<_, i64>("value_month")?,
        ))
    })?;
    for row in rows {
        let (m, v) = row?;
        if let Some(m) = Month::from_yyyymm(m) {
            values.insert(m, v);
        }
    }
    let mut month_sum = conn.prepare_cached(
        "SELECT SUM(value) AS total FROM monthly_facts WHERE month = ?1 AND hs_code BETWEEN ?2 AND ?3",
    )?;
    let mut monthly = Vec::with_capacity(24);
    for i in 0..24 {
        let m = first.plus(i);
        let amount = match values.get(&m) {
            Some(v) => *v,
            None => month_sum
                .query_row(params![m.yyyymm(), lo, hi], |r| {
                    r.get::<_, Option<i64>>("total")
                })?
                .unwrap_or(0),
        };
        monthly.push(MonthAmount::new(m, amount));
    }
    let name: Option<String> = conn
        .query_row(
            "SELECT name_zh FROM products WHERE hs_code = ?1",
            [hs],
            |r| r.get("name_zh"),
        )
        .optional()?
        .flatten();
    Ok(Answered::data(SeriesAnswer {
        hs_code: hs.to_string(),
        product_name: name,
        current_month: latest.to_string(),
        currency_unit: CURRENCY_UNIT,
        monthly_data: monthly,
    }))
}
