//! docs/metrics.md's figures, recomputed naively from the dense series of a view:
//! low-base flags, same-month YoY, momentum components, concentration (HHI,
//! effective markets, entered/exited), unit values and the price/volume
//! split, per code and per market, and the contributions answer. Written
//! from docs/metrics.md, not from the production code.

use super::{cents_json, growth, month_text, ratio, round2, round_div, Oracle, View};
use serde_json::{json, Map, Value};
use std::collections::BTreeSet;

/// The default low-base threshold (yuan, 12-month base).
pub const LOW_BASE: i64 = 1_000_000;

fn round4(x: f64) -> f64 {
    let r = ((x * 10_000.0).abs() + 0.5).floor() / 10_000.0;
    if x < 0.0 {
        -r
    } else {
        r
    }
}

/// The one first unit of months `from..=to`, if exactly one is seen.
fn single_unit(v: &View, from: i64, to: i64) -> Option<String> {
    let mut seen = BTreeSet::new();
    for m in from..=to {
        if m >= v.first && m <= v.latest {
            seen.extend(v.units1[(m - v.first) as usize].iter().cloned());
        }
    }
    if seen.len() == 1 {
        seen.into_iter().next()
    } else {
        None
    }
}

/// `unitValue` and `priceVolume` from the values and first quantities of
/// the two windows, when one and the same unit covers both.
fn unit_value(unit: Option<String>, v1: i64, v0: i64, q1: i64, q0: i64) -> (Value, Value) {
    let Some(unit) = unit else {
        return (Value::Null, Value::Null);
    };
    let per = |v: i64, q: i64| {
        if q > 0 {
            cents_json(ratio(v, q))
        } else {
            Value::Null
        }
    };
    let uv = json!({"unit": unit, "recent12": per(v1, q1), "prev12": per(v0, q0)});
    if v1 <= 0 || v0 <= 0 || q1 <= 0 || q0 <= 0 {
        return (uv, Value::Null);
    }
    // ln(V1/V0) = ln(P1/P0) + ln(Q1/Q0), P = V/Q, in log points.
    let value = 100.0 * ((v1 as f64).ln() - (v0 as f64).ln());
    let price = 100.0 * (((v1 as f64) / (q1 as f64)).ln() - ((v0 as f64) / (q0 as f64)).ln());
    let volume = 100.0 * ((q1 as f64).ln() - (q0 as f64).ln());
    (
        uv,
        json!({"valueChange": round2(value), "priceEffect": round2(price), "volumeEffect": round2(volume)}),
    )
}

/// The dashboard's docs/metrics.md fields at as-of month `m`; `per` holds
/// (partner, recent12, prev12, active months) for every partner.
pub fn dashboard_extra(
    v: &View,
    m: i64,
    per: &[(String, i64, i64, i64)],
    g: (f64, f64, f64),
) -> Map<String, Value> {
    let recent12 = v.global_sum(m - 11, m);
    let prev12 = v.global_sum(m - 23, m - 12);
    let now = v.global(m);
    let last_month = v.global(m - 1);
    let year_ago = v.global(m - 12);
    // HHI = 10000 * sum(share^2); effective markets = 1 / sum(share^2).
    let conc = |idx: usize| -> (Value, Value) {
        let total: i64 = per.iter().map(|x| if idx == 1 { x.1 } else { x.2 }).sum();
        if total <= 0 {
            return (Value::Null, Value::Null);
        }
        let squares: i128 = per
            .iter()
            .map(|x| {
                let a = if idx == 1 { x.1 } else { x.2 } as i128;
                a * a
            })
            .sum();
        let t2 = (total as i128) * (total as i128);
        let hhi = round_div(squares * 10_000 * 100, t2);
        let eff = round_div(t2 * 100, squares);
        (json!(hhi as f64 / 100.0), json!(eff as f64 / 100.0))
    };
    let (hhi, eff) = conc(1);
    let (hhi_prev, eff_prev) = conc(2);
    let q1 = v.sum(&v.q1, m - 11, m);
    let q0 = v.sum(&v.q1, m - 23, m - 12);
    let (uv, pv) = unit_value(single_unit(v, m - 23, m), recent12, prev12, q1, q0);
    let mut o = Map::new();
    o.insert("lowBase".into(), json!(prev12 < LOW_BASE));
    o.insert("momLowBase".into(), json!(last_month * 12 < LOW_BASE));
    o.insert(
        "monthYoyGrowthRate".into(),
        cents_json(growth(now, year_ago)),
    );
    o.insert("monthYoyLowBase".into(), json!(year_ago * 12 < LOW_BASE));
    o.insert(
        "momentumComponents".into(),
        json!({"g3": round4(g.0), "g12": round4(g.1), "gb": round4(g.2),
               "weights": {"g3": 0.5, "g12": 0.3, "gb": 0.2}}),
    );
    o.insert(
        "concentration".into(),
        json!({
            "hhi": hhi, "hhiPrev": hhi_prev,
            "effectiveMarkets": eff, "effectiveMarketsPrev": eff_prev,
            "marketsEntered": per.iter().filter(|x| x.1 > 0 && x.2 <= 0).count(),
            "marketsExited": per.iter().filter(|x| x.1 <= 0 && x.2 > 0).count(),
        }),
    );
    o.insert("unitValue".into(), uv);
    o.insert("priceVolume".into(), pv);
    o
}

/// Adds a markets row's unit value and price/volume split (the code's unit
/// over the latest 24 months; none when the data is shorter).
pub fn market_extra(v: &View, partner: &str, row: &mut Value) {
    let m = v.latest;
    let unit = if v.valid_month(m) {
        single_unit(v, m - 23, m)
    } else {
        None
    };
    let values = &v.partners[partner];
    let q = &v.partner_q1[partner];
    let (v1, v0) = (v.sum(values, m - 11, m), v.sum(values, m - 23, m - 12));
    let (q1, q0) = (v.sum(q, m - 11, m), v.sum(q, m - 23, m - 12));
    let (uv, pv) = unit_value(unit, v1, v0, q1, q0);
    let o = row.as_object_mut().expect("object");
    o.insert("unitValue".into(), uv);
    o.insert("priceVolume".into(), pv);
}

impl Oracle {
    /// The expected `/skill/contributions?hsCode=..&limit=1000` data.
    pub fn contributions(&self, v: &View) -> Value {
        let m = self.latest;
        let mut rows: Vec<(String, i64, i64)> = Vec::new();
        for (p, series) in &v.partners {
            let r = v.sum(series, m - 11, m);
            let pv = v.sum(series, m - 23, m - 12);
            if r != 0 || pv != 0 {
                rows.push((p.clone(), r, pv));
            }
        }
        let recent: i64 = rows.iter().map(|r| r.1).sum();
        let prev: i64 = rows.iter().map(|r| r.2).sum();
        rows.sort_by(|a, b| {
            let (ca, cb) = (a.1 - a.2, b.1 - b.2);
            cb.abs()
                .cmp(&ca.abs())
                .then(cb.cmp(&ca))
                .then(a.0.cmp(&b.0))
        });
        let markets: Vec<Value> = rows
            .iter()
            .map(|(p, r, pv)| {
                let change = r - pv;
                json!({
                    "countryCode": p,
                    "countryName": self.country_names.get(p).cloned().unwrap_or_else(|| p.clone()),
                    "recent12mTotal": r,
                    "prev12mTotal": pv,
                    "change": change,
                    // change / prev * 100 in hundredths = change * 10000 / prev.
                    "contributionPp": if prev != 0 {
                        cents_json(Some(round_div(change as i128 * 10_000, prev as i128)))
                    } else {
                        Value::Null
                    },
                    "yoyGrowthRate": cents_json(growth(*r, *pv)),
                })
            })
            .collect();
        json!({
            "hsCode": v.code,
            "currentMonth": month_text(m),
            "recent12mGlobalTotal": recent,
            "prev12mGlobalTotal": prev,
            "change": recent - prev,
            "yoyGrowthRate": cents_json(growth(recent, prev)),
            "marketCount": rows.len(),
            "markets": markets,
        })
    }

    /// The destinations of a code at the latest month with their two
    /// windows: (partner, recent12, prev12), every partner with either > 0.
    fn windows(&self, v: &View) -> Vec<(String, i64, i64)> {
        let m = self.latest;
        v.partners
            .iter()
            .map(|(p, series)| {
                (
                    p.clone(),
                    v.sum(series, m - 11, m),
                    v.sum(series, m - 23, m - 12),
                )
            })
            .filter(|(_, r, pv)| *r != 0 || *pv != 0)
            .collect()
    }

    /// The expected `/skill/growth` data: partners with prev12 >= minBase
    /// (and > 0) by recent12 / prev12 descending, ties by code; the counts of
    /// low bases (0 < prev12 < minBase) and new markets (prev12 = 0).
    pub fn growth(&self, v: &View, min_base: i64) -> Value {
        let rows = self.windows(v);
        let total: i64 = rows.iter().map(|r| r.1).sum();
        let mut ranked: Vec<&(String, i64, i64)> =
            rows.iter().filter(|r| r.2 > 0 && r.2 >= min_base).collect();
        // x/y > u/w  <=>  x*w > u*y for positive y, w.
        ranked.sort_by(|a, b| {
            let left = b.1 as i128 * a.2 as i128;
            let right = a.1 as i128 * b.2 as i128;
            left.cmp(&right).then_with(|| a.0.cmp(&b.0))
        });
        let markets: Vec<Value> = ranked
            .iter()
            .enumerate()
            .map(|(i, (p, r, pv))| {
                json!({
                    "rank": i + 1,
                    "countryCode": p,
                    "countryName": self.country_names.get(p).cloned().unwrap_or_else(|| p.clone()),
                    "recent12mTotal": r,
                    "prev12mTotal": pv,
                    "yoyGrowthRate": cents_json(growth(*r, *pv)),
                    "change": r - pv,
                    "share": share_json(*r, total),
                })
            })
            .collect();
        json!({
            "hsCode": v.code,
            "currentMonth": month_text(self.latest),
            "recent12mGlobalTotal": total,
            "minBase": min_base,
            "marketCount": ranked.len(),
            "excludedLowBase": rows.iter().filter(|r| r.2 > 0 && r.2 < min_base).count(),
            "newMarkets": rows.iter().filter(|r| r.2 == 0 && r.1 > 0).count(),
            "markets": markets,
        })
    }

    /// The expected `/skill/markets?sortBy=growth` rows: the markets
    /// answer's rows, defined growth first by recent12 / prev12 (descending,
    /// or ascending), zero bases last, ties by code.
    pub fn markets_by_growth(&self, v: &View, ascending: bool) -> Value {
        let mut rows = self.markets(v);
        let prev = |row: &Value| row["prev12mTotal"].as_i64().unwrap_or(0);
        rows.sort_by(|a, b| {
            let (pa, pb) = (prev(&a.2), prev(&b.2));
            let rank = match (pa > 0, pb > 0) {
                (true, true) => {
                    let ord = (b.1 as i128 * pa as i128).cmp(&(a.1 as i128 * pb as i128));
                    if ascending {
                        ord.reverse()
                    } else {
                        ord
                    }
                }
                (true, false) => std::cmp::Ordering::Less,
                (false, true) => std::cmp::Ordering::Greater,
                (false, false) => std::cmp::Ordering::Equal,
            };
            rank.then_with(|| a.0.cmp(&b.0))
        });
        Value::Array(rows.into_iter().map(|r| r.2).collect())
    }

    /// The expected `/skill/meta` data (the fields the facts determine).
    pub fn meta(&self) -> Value {
        let facts = self.by_code.values().flatten();
        let months: BTreeSet<i64> = facts.clone().map(|f| super::month_index(f.month)).collect();
        let partners: BTreeSet<&str> = facts.clone().map(|f| f.partner.as_str()).collect();
        let missing: Vec<String> = (self.first..=self.latest)
            .filter(|m| !months.contains(m))
            .map(month_text)
            .collect();
        json!({
            "latestMonth": month_text(self.latest),
            "firstMonth": month_text(self.first),
            "months": months.iter().map(|m| month_text(*m)).collect::<Vec<_>>(),
            "monthCount": months.len(),
            "missingMonths": missing,
            "codeCount": self.by_code.len(),
            "countryCount": partners.len(),
            "factCount": facts.count(),
            "currency": "CNY",
            "unit": "元",
            "lowBaseThreshold": LOW_BASE,
        })
    }

    /// "Is month X in?": the months around the data and one inside it,
    /// with the expected `monthStatus`.
    pub fn month_questions(&self) -> Vec<(String, &'static str)> {
        let months: BTreeSet<i64> = self
            .by_code
            .values()
            .flatten()
            .map(|f| super::month_index(f.month))
            .collect();
        let mut q = vec![
            (month_text(self.first - 1), "beforeFirst"),
            (month_text(self.first), "present"),
            (month_text(self.latest), "present"),
            (month_text(self.latest + 1), "afterLatest"),
        ];
        if let Some(gap) = (self.first..=self.latest).find(|m| !months.contains(m)) {
            q.push((month_text(gap), "missing"));
        }
        q
    }
}

/// part / whole * 100 to 2 decimals (half away from zero), null for a zero whole.
fn share_json(part: i64, whole: i64) -> Value {
    if whole == 0 {
        Value::Null
    } else {
        cents_json(Some(round_div(part as i128 * 10_000, whole as i128)))
    }
}
