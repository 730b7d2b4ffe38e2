//! What a build holds, and the answers that go with it (docs/metrics.md):
//! `/skill/meta` (is month X in?), `/skill/contributions` (which markets
//! drove a product's growth) and `/skill/countries` (every partner with the
//! codes other datasets use).

use crate::endpoints::{country_info, latest_month};
use crate::{ApiError, Params};
use cnexport_core::round::{growth_pct, percent};
use cnexport_core::Month;
use rusqlite::{params, Connection, OptionalExtension};
use serde_json::{json, Value};
use std::collections::BTreeMap;

fn meta_map(conn: &Connection) -> Result<BTreeMap<String, String>, ApiError> {
    let mut st = conn.prepare_cached("SELECT key, value FROM meta")?;
    let rows = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
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

/// GET /skill/meta[?month=YYYYMM]
pub fn meta(conn: &Connection, params: &Params) -> Result<Value, ApiError> {
    let asked = params.month("month")?;
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
                conn.prepare_cached("SELECT DISTINCT month FROM monthly_facts ORDER BY month")?;
            let rows = st.query_map([], |r| r.get::<_, u32>(0))?;
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
    let mut out = json!({
        "latestMonth": latest.to_string(),
        "firstMonth": first.to_string(),
        "months": months.iter().map(|m| m.to_string()).collect::<Vec<_>>(),
        "monthCount": months.len(),
        "missingMonths": missing,
        "codeCount": count_or(conn, &meta, "code_count", "SELECT count(DISTINCT hs_code) FROM monthly_facts")?,
        "countryCount": count_or(conn, &meta, "country_count", "SELECT count(DISTINCT country_code) FROM monthly_facts")?,
        "factCount": count_or(conn, &meta, "fact_count", "SELECT count(*) FROM monthly_facts")?,
        "currency": currency,
        "currencyName": meta.get("currency_unit"),
        "unit": unit,
        "inputDigest": meta.get("input_digest"),
        "buildTime": build_time(conn),
        "referenceVersion": meta.get("reference_version"),
        "schemaVersion": meta.get("schema_version"),
        "sourceFileCount": meta.get("source_file_count").and_then(|v| v.parse::<i64>().ok()),
        "lowBaseThreshold": crate::analytics::low_base_threshold(conn),
    });
    if let (Some(month), Some(o)) = (asked, out.as_object_mut()) {
        // "Is month X in?": present, a gap inside the data, or outside it.
        let status = if present.contains(&month) {
            "present"
        } else if month > latest {
            "afterLatest"
        } else if month < first {
            "beforeFirst"
        } else {
            "missing"
        };
        o.insert("month".into(), json!(month.to_string()));
        o.insert("monthPresent".into(), json!(status == "present"));
        o.insert("monthStatus".into(), json!(status));
    }
    Ok(out)
}

/// GET /skill/contributions?hsCode=: each market's change (recent12 -
/// prev12) and its contribution to the product's YoY growth in percentage
/// points (change / product prev12 * 100), largest absolute first. Before
/// rounding, the contributions add up to yoyGrowthRate exactly.
pub fn contributions(conn: &Connection, params: &Params) -> Result<Value, ApiError> {
    let hs = params.hs_code(&[2, 4, 6, 8])?;
    let limit = params.integer("limit", 50, 1, 1000)? as usize;
    let offset = params.integer("offset", 0, 0, 100_000)? as usize;
    let latest = latest_month(conn)?;
    let mut st = conn.prepare_cached(
        "SELECT country_code, recent12m_total, prev12m_total FROM hs_count_month
         WHERE hs_code = ?1 AND (recent12m_total <> 0 OR prev12m_total <> 0)",
    )?;
    let rows: Vec<(String, i64, i64)> = st
        .query_map([&hs], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<Result<_, _>>()?;
    let exists: Option<i64> = conn
        .query_row(
            "SELECT 1 FROM hs_count_month WHERE hs_code = ?1 LIMIT 1",
            [&hs],
            |r| r.get(0),
        )
        .optional()?;
    if exists.is_none() {
        return Err(crate::metrics::no_metrics(conn, &hs));
    }
    let recent: i64 = rows.iter().map(|r| r.1).sum();
    let prev: i64 = rows.iter().map(|r| r.2).sum();
    let mut items: Vec<(String, i64, i64, i64)> = rows
        .into_iter()
        .map(|(c, r, p)| {
            let change = r - p;
            (c, r, p, change)
        })
        .collect();
    // Largest absolute contribution (= largest absolute change) first.
    items.sort_by(|a, b| {
        b.3.unsigned_abs()
            .cmp(&a.3.unsigned_abs())
            .then(b.3.cmp(&a.3))
            .then_with(|| a.0.cmp(&b.0))
    });
    params.set_total(items.len());
    let mut markets = Vec::new();
    for (code, r, p, change) in items.iter().skip(offset).take(limit) {
        let info = country_info(conn, code)?;
        let mut e = json!({
            "countryCode": code,
            "countryName": info.name_zh,
            "recent12mTotal": r,
            "prev12mTotal": p,
            "change": change,
            // change / prev12 * 100, rounded exactly (integer arithmetic).
            "contributionPp": percent(*change as i128, prev as i128),
            "yoyGrowthRate": growth_pct(*r as i128, *p as i128),
        });
        info.add_codes(&mut e);
        markets.push(e);
    }
    Ok(json!({
        "hsCode": hs,
        "currentMonth": latest.to_string(),
        "recent12mGlobalTotal": recent,
        "prev12mGlobalTotal": prev,
        "change": recent - prev,
        "yoyGrowthRate": growth_pct(recent as i128, prev as i128),
        "marketCount": items.len(),
        "markets": markets,
    }))
}

/// GET /skill/countries: every partner of the database with its names,
/// continent, blocs and the ISO 3166 and UN M49 codes.
pub fn countries(conn: &Connection, params: &Params) -> Result<Value, ApiError> {
    let mut st = conn.prepare_cached(
        "SELECT c.country_code, c.name_zh, c.name_en, c.iso3, c.iso2, c.m49, c.continent_zh,
                c.in_reference,
                (SELECT group_concat(tag, ',') FROM (SELECT tag FROM country_tags t
                   WHERE t.country_code = c.country_code ORDER BY tag))
         FROM countries c ORDER BY c.country_code",
    )?;
    let out: Vec<Value> = st
        .query_map(params![], |r| {
            let tags: Option<String> = r.get(8)?;
            Ok(json!({
                "countryCode": r.get::<_, String>(0)?,
                "countryName": r.get::<_, String>(1)?,
                "countryNameEn": r.get::<_, Option<String>>(2)?,
                "iso3": r.get::<_, Option<String>>(3)?,
                "iso2": r.get::<_, Option<String>>(4)?,
                "m49": r.get::<_, Option<String>>(5)?,
                "continent": r.get::<_, Option<String>>(6)?,
                "tradeTags": crate::metrics::tags_zh(tags.as_deref().unwrap_or("")),
                "inReference": r.get::<_, i64>(7)? != 0,
            }))
        })?
        .collect::<Result<_, _>>()?;
    params.set_total(out.len());
    Ok(Value::Array(out))
}
