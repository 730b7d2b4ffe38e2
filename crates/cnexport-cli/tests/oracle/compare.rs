//! Field-by-field comparison of JSON answers, collecting every difference
//! with its context (request, field path, expected, actual).

use rusqlite::Connection;
use serde_json::Value;
use std::collections::BTreeMap;

/// Fields computed through f64 (CAGR, momentum): compared with a tolerance
/// of half a hundredth; everything else is compared exactly.
const FLOAT_FIELDS: &[&str] = &[
    "momentumScore",
    "threeYearCAGR",
    "g3",
    "g12",
    "gb",
    "valueChange",
    "priceEffect",
    "volumeEffect",
];
const TOLERANCE: f64 = 0.005 + 1e-9;

/// Unrounded figures (a median of fractions): compared with a relative
/// tolerance, the last bits depending on how the quotient is taken.
const RELATIVE_FIELDS: &[&str] = &["median"];
const RELATIVE_TOLERANCE: f64 = 1e-12;

/// An expected value that matches anything, the field absent included
/// (what the contract leaves open).
pub const ANY: &str = "<any>";
/// An expected value that matches any value but null (a text the contract
/// does not spell out, such as a `reason`).
pub const NON_NULL: &str = "<non-null>";

/// Differences found, and how much was compared.
#[derive(Debug, Default)]
pub struct Diffs {
    pub requests: usize,
    pub fields: usize,
    pub errors: Vec<String>,
    /// Edge cases seen in the expected answers (null growth, mixed units,
    /// CAGR, ties...), to show what a data set exercised.
    pub features: BTreeMap<&'static str, usize>,
    /// Requests per endpoint path.
    pub endpoints: BTreeMap<String, usize>,
}

impl Diffs {
    pub fn merge(&mut self, other: Diffs) {
        self.requests += other.requests;
        self.fields += other.fields;
        self.errors.extend(other.errors);
        for (k, v) in other.features {
            *self.features.entry(k).or_default() += v;
        }
        for (k, v) in other.endpoints {
            *self.endpoints.entry(k).or_default() += v;
        }
    }

    /// Counts one request.
    pub fn count(&mut self, target: &str) {
        self.requests += 1;
        let path = target.split('?').next().unwrap_or(target).to_string();
        *self.endpoints.entry(path).or_default() += 1;
    }

    pub fn note(&mut self, feature: &'static str) {
        *self.features.entry(feature).or_default() += 1;
    }

    /// Counts the edge cases an expected answer holds.
    fn scan(&mut self, v: &Value) {
        match v {
            Value::Object(o) => {
                let null = |k: &str| o.get(k).is_some_and(Value::is_null);
                let some = |k: &str| o.get(k).is_some_and(|x| !x.is_null());
                if null("firstQuantity") {
                    self.note("firstUnit/firstQuantity null (mixed units)");
                }
                if null("firstUnit") && some("firstQuantity") {
                    self.note("firstUnit null, firstQuantity a sum (no unit)");
                }
                if null("secondQuantity") {
                    self.note("secondUnit/secondQuantity null (mixed units)");
                }
                if some("secondUnit") {
                    self.note("secondUnit present");
                }
                if null("yoyGrowthRate") {
                    self.note("yoyGrowthRate null (prev12 = 0)");
                }
                if null("momGrowthRate") {
                    self.note("momGrowthRate null (M-1 = 0)");
                }
                if null("bestRegion") {
                    self.note("bestRegion null (recent12 = 0)");
                }
                if o.get("bestRegion")
                    .is_some_and(|b| b["percent"].as_f64() == Some(0.0))
                {
                    self.note("bestRegion at 0% (recent12 only from 7xx)");
                }
                if null("regionYoyGrowthRate") {
                    self.note("regionYoyGrowthRate null");
                }
                if some("threeYearCAGR") {
                    self.note("threeYearCAGR computed");
                }
                if o.get("continent").is_some_and(Value::is_null) {
                    self.note("markets row of a 7xx partner");
                }
                if o.get("tradeTags")
                    .and_then(Value::as_array)
                    .is_some_and(|t| t.len() >= 3)
                {
                    self.note("markets row with 3 blocs");
                }
                if let (Some(Value::Object(regions)), Some(total)) = (
                    o.get("regionBreakdown"),
                    o.get("recent12mGlobalTotal").and_then(Value::as_i64),
                ) {
                    let in_regions: i64 = regions.values().filter_map(Value::as_i64).sum();
                    if in_regions < total {
                        self.note("region totals < global total (7xx)");
                    }
                }
                for x in o.values() {
                    self.scan(x);
                }
            }
            Value::Array(a) => {
                for x in a {
                    self.scan(x);
                }
            }
            _ => {}
        }
    }

    /// Compares two JSON values (contract fields; see `ADDITIVE_FIELDS`); `ctx` names the request.
    pub fn check(&mut self, ctx: &str, expected: &Value, actual: &Value) {
        self.walk(ctx, "data", "", expected, actual);
    }

    fn walk(&mut self, ctx: &str, path: &str, key: &str, e: &Value, a: &Value) {
        if e.as_str() == Some(ANY) {
            return;
        }
        if e.as_str() == Some(NON_NULL) {
            self.fields += 1;
            if a.is_null() {
                self.fail(ctx, path, e, "null");
            }
            return;
        }
        match (e, a) {
            (Value::Object(eo), Value::Object(ao)) => {
                for (k, ev) in eo {
                    let p = format!("{path}.{k}");
                    match ao.get(k) {
                        Some(av) => self.walk(ctx, &p, k, ev, av),
                        None if ev.as_str() == Some(ANY) => {}
                        None => self.fail(ctx, &p, e.get(k).unwrap_or(&Value::Null), "<missing>"),
                    }
                }
                for k in ao.keys() {
                    // docs/metrics.md's additive figures have their own checks.
                    if !eo.contains_key(k) && !ADDITIVE_FIELDS.contains(&k.as_str()) {
                        let p = format!("{path}.{k}");
                        self.fail(
                            ctx,
                            &p,
                            &Value::String("<absent>".into()),
                            &ao[k].to_string(),
                        );
                    }
                }
            }
            (Value::Array(ea), Value::Array(aa)) if key == "tradeTags" => {
                // Compare the tags as sets: the oracle does not order them.
                self.fields += 1;
                let mut es: Vec<String> = ea.iter().map(|v| v.to_string()).collect();
                let mut as_: Vec<String> = aa.iter().map(|v| v.to_string()).collect();
                es.sort();
                as_.sort();
                if es != as_ {
                    self.fail(ctx, path, e, &a.to_string());
                }
            }
            (Value::Array(ea), Value::Array(aa)) => {
                if ea.len() != aa.len() {
                    self.fail(
                        ctx,
                        &format!("{path}.len()"),
                        &Value::from(ea.len()),
                        &format!("{} (expected {e}, actual {a})", aa.len()),
                    );
                }
                for (i, (ev, av)) in ea.iter().zip(aa).enumerate() {
                    self.walk(ctx, &format!("{path}[{i}]"), key, ev, av);
                }
            }
            (Value::Number(en), Value::Number(an)) => {
                self.fields += 1;
                if let Some(ei) = en.as_i64() {
                    // An integer field: the answer must be the same integer.
                    if an.as_i64() != Some(ei) {
                        self.fail(ctx, path, e, &a.to_string());
                    }
                } else {
                    let ef = en.as_f64().unwrap_or(f64::NAN);
                    let af = an.as_f64().unwrap_or(f64::NAN);
                    let ok = if FLOAT_FIELDS.contains(&key) {
                        (ef - af).abs() <= TOLERANCE
                    } else if RELATIVE_FIELDS.contains(&key) {
                        (ef - af).abs() <= RELATIVE_TOLERANCE * ef.abs().max(af.abs())
                    } else {
                        ef == af
                    };
                    if !ok {
                        self.fail(ctx, path, e, &a.to_string());
                    }
                }
            }
            _ => {
                self.fields += 1;
                if e != a {
                    self.fail(ctx, path, e, &a.to_string());
                }
            }
        }
    }

    fn fail(&mut self, ctx: &str, path: &str, expected: &Value, actual: &str) {
        self.errors.push(format!(
            "{ctx}: {path}: expected {expected}, actual {actual}"
        ));
    }

    /// Asks `target` and compares the 200 answer's data with `expected`.
    pub fn expect_ok(&mut self, conn: &Connection, target: &str, expected: &Value) {
        self.expect_answer(conn, target, expected, None);
    }

    /// `expect_ok`, and the list's total (`X-Total-Count`) too.
    pub fn expect_ok_total(
        &mut self,
        conn: &Connection,
        target: &str,
        expected: &Value,
        total: usize,
    ) {
        self.expect_answer(conn, target, expected, Some(total));
    }

    fn expect_answer(
        &mut self,
        conn: &Connection,
        target: &str,
        expected: &Value,
        total: Option<usize>,
    ) {
        self.count(target);
        let r = cnexport_api::answer(conn, target);
        if r.status != 200 || r.body["code"] != 200 || r.body["message"] != "success" {
            self.errors.push(format!(
                "{target}: expected status 200, got {} {}",
                r.status, r.body
            ));
            return;
        }
        self.scan(expected);
        self.check(target, expected, &r.body["data"]);
        if let Some(total) = total {
            self.fields += 1;
            if r.total_count != Some(total as u64) {
                self.errors.push(format!(
                    "{target}: X-Total-Count: expected {total}, actual {:?}",
                    r.total_count
                ));
            }
        }
    }

    /// Asks `target` and checks that it is refused with one of `statuses`
    /// (null data), where the contract leaves the status open.
    pub fn expect_refused(&mut self, conn: &Connection, target: &str, statuses: &[u16]) {
        self.count(target);
        self.fields += 1;
        let r = cnexport_api::answer(conn, target);
        if !statuses.contains(&r.status) || r.body["code"] != r.status || !r.body["data"].is_null()
        {
            self.errors.push(format!(
                "{target}: expected one of the statuses {statuses:?}, got {} {}",
                r.status, r.body
            ));
        }
    }

    /// Asks `target` and checks an error answer: its status, null data, and
    /// (if given) a text its message must contain.
    pub fn expect_error(&mut self, conn: &Connection, target: &str, status: u16, needle: &str) {
        self.count(target);
        self.fields += 1;
        let r = cnexport_api::answer(conn, target);
        let message = r.body["message"].as_str().unwrap_or("");
        if r.status != status
            || r.body["code"] != status
            || r.body["data"] != Value::Null
            || !message.contains(needle)
        {
            self.errors.push(format!(
                "{target}: expected status {status} with a message containing {needle:?}, got {} {}",
                r.status, r.body
            ));
        }
    }

    /// Panics with the differences, if any.
    pub fn finish(&self, what: &str) {
        if self.errors.is_empty() {
            eprintln!(
                "{what}: {} requests {:?}, {} fields compared, no difference; edge cases seen: {:?}",
                self.requests, self.endpoints, self.fields, self.features
            );
            return;
        }
        let shown: Vec<&String> = self.errors.iter().take(40).collect();
        let mut text = String::new();
        for e in shown {
            text.push_str(e);
            text.push('\n');
        }
        panic!(
            "{what}: {} differences in {} requests ({} fields compared); the first ones:\n{text}",
            self.errors.len(),
            self.requests,
            self.fields
        );
    }
}

/// Fields of docs/metrics.md beyond the contract's: compared when the expected answer
/// has them (the oracle's do), tolerated when it does not (hand-written
/// fixtures that spell out only the contract's fields; ISO codes are lookups).
pub const ADDITIVE_FIELDS: &[&str] = &[
    "prev12mTotal",
    // Added to each market; the core answers (dashboard, topProducts) carry
    // yoyGrowthRate in every expectation, so it is still compared there.
    "share",
    "yoyGrowthRate",
    // /skill/meta's facts about the build rather than the data.
    "currencyName",
    "inputDigest",
    "buildTime",
    "referenceVersion",
    "schemaVersion",
    "sourceFileCount",
    "lowBase",
    "momLowBase",
    "monthYoyGrowthRate",
    "monthYoyLowBase",
    "momentumComponents",
    "concentration",
    "unitValue",
    "priceVolume",
    "iso3",
    "iso2",
    "m49",
    "countryNameEn",
    // Issue 14: the dashboard's seasonality (compared in the oracle's
    // dashboards) and topProducts' new entry fields (compared in the
    // oracle's rankings), tolerated in hand-written fixtures.
    "seasonality",
    "momGrowthRate",
    "peakMonths",
    "nextMonthShare",
    "fastestGrowingMarket",
];
