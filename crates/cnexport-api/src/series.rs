//! GET /skill/series: the monthly exports of a product (or roll-up) to all
//! destinations (the web page's 24-month chart): the months M-23..M, oldest
//! first.
//! The last 12 add up to the dashboard's `recent12mGlobalTotal`, the first
//! 12 to its `prev12mGlobalTotal`.
//!
//! Each month is `hs_base_metrics.value_month` where the code has metrics at
//! that month (one index lookup), else the sum of that month's facts (a scan
//! of one month's rows of the code), so a 2-digit chapter stays cheap.

use crate::endpoints::{code_range, latest_month};
use crate::{ApiError, Params};
use cnexport_core::Month;
use rusqlite::{params, Connection, OptionalExtension};
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// GET /skill/series?hsCode=: {hsCode, productName, currentMonth,
/// currencyUnit, monthlyData: 24 x {month, amount}}, oldest first.
pub fn series(conn: &Connection, params: &Params) -> Result<Value, ApiError> {
    let hs = params.hs_code(&[2, 4, 6, 8])?;
    let (lo, hi) = code_range(&hs);
    let known: Option<i64> = conn
        .query_row(
            "SELECT 1 FROM monthly_facts WHERE hs_code BETWEEN ?1 AND ?2 LIMIT 1",
            params![lo, hi],
            |r| r.get(0),
        )
        .optional()?;
    if known.is_none() {
        return Err(crate::metrics::no_metrics(conn, &hs));
    }
    let latest = latest_month(conn)?;
    let first = latest.minus(23);
    let mut values: BTreeMap<Month, i64> = BTreeMap::new();
    let mut st = conn.prepare_cached(
        "SELECT as_of_month, value_month FROM hs_base_metrics
         WHERE hs_code = ?1 AND as_of_month BETWEEN ?2 AND ?3",
    )?;
    let rows = st.query_map(params![hs, first.yyyymm(), latest.yyyymm()], |r| {
        Ok((r.get::<_, u32>(0)?, r.get::<_, i64>(1)?))
    })?;
    for row in rows {
        let (m, v) = row?;
        if let Some(m) = Month::from_yyyymm(m) {
            values.insert(m, v);
        }
    }
    let mut month_sum = conn.prepare_cached(
        "SELECT SUM(value) FROM monthly_facts WHERE month = ?1 AND hs_code BETWEEN ?2 AND ?3",
    )?;
    let mut monthly = Vec::with_capacity(24);
    for i in 0..24 {
        let m = first.plus(i);
        let amount = match values.get(&m) {
            Some(v) => *v,
            None => month_sum
                .query_row(params![m.yyyymm(), lo, hi], |r| r.get::<_, Option<i64>>(0))?
                .unwrap_or(0),
        };
        monthly.push(json!({"month": m.to_string(), "amount": amount}));
    }
    let name: Option<String> = conn
        .query_row(
            "SELECT name_zh FROM products WHERE hs_code = ?1",
            [&hs],
            |r| r.get(0),
        )
        .optional()?
        .flatten();
    Ok(json!({
        "hsCode": hs,
        "productName": name,
        "currentMonth": latest.to_string(),
        "currencyUnit": "人民币",
        "monthlyData": monthly,
    }))
}
