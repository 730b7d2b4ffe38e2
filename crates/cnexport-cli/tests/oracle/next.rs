//! The answers of issue 14, recomputed naively from the dense series of a
//! view: price bands (docs/contract.md 4.17), the chapter by heading
//! (4.18), seasonality (4.19, and the dashboard's `seasonality`), the
//! `chance` and `season` rankings and the new entry fields of topProducts
//! (4.8), and long series (4.14). Written from the issue and the contract,
//! not from the production code.
//!
//! Every comparison that decides something (a band, a peak month, a rank)
//! is exact: prices are fractions value / quantity compared by
//! cross-multiplication in i128, shares are compared as integer
//! inequalities, and only the figures served rounded go through
//! `round_div`.

use super::compare::NON_NULL;
use super::{cents_json, growth, month_text, percent, round_div, Cents, Oracle, View};
use serde_json::{json, Map, Value};
use std::cmp::Ordering;
use std::collections::BTreeMap;

/// `currencyUnit` of the answers (CNY builds).
pub const CURRENCY_UNIT: &str = "人民币";

/// `a * b` in i128, panicking on overflow (the oracle must never wrap).
fn mul(a: i128, b: i128) -> i128 {
    a.checked_mul(b)
        .unwrap_or_else(|| panic!("oracle overflow: {a} * {b}"))
}

/// The calendar month (1..=12) of a month count.
pub fn calendar_month(index: i64) -> usize {
    index.rem_euclid(12) as usize + 1
}

/// The calendar month after a month count's (January after December).
pub fn next_calendar_month(index: i64) -> usize {
    calendar_month(index + 1)
}

// ------------------------------------------------------------ seasonality

/// The seasonal profile of one series at an as-of month: the complete
/// calendar years used and the sums per calendar month.
#[derive(Debug, Clone)]
pub struct Season {
    /// Calendar years, ascending (at most 3).
    pub years: Vec<i64>,
    /// Sum per calendar month over `years`, January first.
    pub totals: [i64; 12],
    /// Sum of `totals`.
    pub total: i64,
}

impl Season {
    /// The profile at as-of month `m` of the series `value` (a month count
    /// -> amount) in data that starts at month `first`: the latest complete
    /// calendar years (January at or after `first`, December at or before
    /// `m`), at most 3.
    pub fn new(first: i64, m: i64, value: impl Fn(i64) -> i64) -> Season {
        let mut years = Vec::new();
        let mut year = m.div_euclid(12);
        loop {
            let january = year * 12;
            let december = january + 11;
            if years.len() == 3 || january < first {
                break;
            }
            if december <= m {
                years.push(year);
            }
            year -= 1;
        }
        years.reverse();
        let mut totals = [0i64; 12];
        for &y in &years {
            for (k, t) in totals.iter_mut().enumerate() {
                *t += value(y * 12 + k as i64);
            }
        }
        let total = totals.iter().sum();
        Season {
            years,
            totals,
            total,
        }
    }

    /// Whether there is a profile (a complete year with a non-zero total).
    pub fn defined(&self) -> bool {
        !self.years.is_empty() && self.total != 0
    }

    /// The share of calendar month `month` (1..=12) in hundredths.
    pub fn share(&self, month: usize) -> Option<Cents> {
        if !self.defined() {
            return None;
        }
        percent(self.totals[month - 1], self.total)
    }

    /// The months whose unrounded share is at least 1.25 x 100/12:
    /// t / T >= 1.25 / 12  <=>  48 t >= 5 T.
    pub fn peaks(&self) -> Vec<usize> {
        if !self.defined() {
            return Vec::new();
        }
        (1..=12)
            .filter(|&k| mul(48, self.totals[k - 1] as i128) >= mul(5, self.total as i128))
            .collect()
    }

    /// Whether some month is exactly on the peak edge (48 t = 5 T).
    pub fn peak_on_edge(&self) -> bool {
        self.defined()
            && self
                .totals
                .iter()
                .any(|&t| mul(48, t as i128) == mul(5, self.total as i128))
    }

    /// Half the sum of |share - 100/12| in hundredths:
    /// 100 * sum |12 t - T| / (24 T) percent.
    pub fn strength(&self) -> Option<Cents> {
        if !self.defined() {
            return None;
        }
        let t = self.total as i128;
        let s: i128 = self
            .totals
            .iter()
            .map(|&x| (12 * x as i128 - t).abs())
            .sum();
        Some(round_div(mul(s, 10_000), mul(24, t)))
    }

    /// The fields of the profile, as /skill/seasonality and the dashboard's
    /// `seasonality` send them.
    pub fn fields(&self) -> Map<String, Value> {
        let shares: Value = if self.defined() {
            Value::Array((1..=12).map(|k| cents_json(self.share(k))).collect())
        } else {
            Value::Null
        };
        let mut o = Map::new();
        o.insert("yearsUsed".into(), json!(self.years));
        o.insert("yearsTotal".into(), json!(self.total));
        o.insert("monthTotals".into(), json!(self.totals));
        o.insert("monthShare".into(), shares);
        o.insert("peakMonths".into(), json!(self.peaks()));
        o.insert("seasonalityStrength".into(), cents_json(self.strength()));
        o
    }

    /// The edge cases this profile exercises.
    pub fn notes(&self, notes: &mut Vec<&'static str>) {
        match self.years.len() {
            0 => notes.push("seasonality: no complete year"),
            1 => notes.push("seasonality: a single complete year"),
            2 => notes.push("seasonality: two complete years"),
            _ => notes.push("seasonality: three complete years"),
        }
        if !self.years.is_empty() && self.total == 0 {
            notes.push("seasonality: complete years with a zero total");
        }
        if self.peak_on_edge() {
            notes.push("seasonality: a month exactly on the peak edge");
        }
        if self.defined() {
            let mut shares: Vec<Cents> = (1..=12).filter_map(|k| self.share(k)).collect();
            shares.sort_unstable();
            if shares.windows(2).any(|w| w[0] == w[1]) {
                notes.push("seasonality: tie in shares");
            }
            if self.peaks().is_empty() {
                notes.push("seasonality: no peak month");
            }
        }
    }
}

impl View {
    /// The seasonal profile at as-of month `m`, to every destination or to
    /// one.
    pub fn season(&self, m: i64, partner: Option<&str>) -> Season {
        match partner {
            None => Season::new(self.first, m, |k| self.global(k)),
            Some(p) => {
                let series = self.partners.get(p);
                Season::new(self.first, m, |k| series.map_or(0, |s| self.at(s, k)))
            }
        }
    }
}

// ------------------------------------------------------------- priceband

/// A price as a fraction value / quantity (quantity > 0).
#[derive(Debug, Clone, Copy)]
struct Fraction {
    num: i128,
    den: i128,
}

impl Fraction {
    fn cmp(&self, other: &Fraction) -> Ordering {
        mul(self.num, other.den).cmp(&mul(other.num, self.den))
    }
}

/// The median of fractions (sorted in place): the middle one, or the mean
/// of the two middle ones, exact.
fn median(prices: &mut [Fraction]) -> Option<Fraction> {
    if prices.is_empty() {
        return None;
    }
    prices.sort_by(|a, b| a.cmp(b));
    let n = prices.len();
    if n % 2 == 1 {
        return Some(prices[n / 2]);
    }
    let (a, b) = (prices[n / 2 - 1], prices[n / 2]);
    // (a.num / a.den + b.num / b.den) / 2
    Some(Fraction {
        num: mul(a.num, b.den) + mul(b.num, a.den),
        den: mul(2, mul(a.den, b.den)),
    })
}

/// A served price, its band and the band's Chinese label.
type PricedRow = (Value, &'static str, &'static str);

/// premium (price > 1.2 median), value (price < 0.8 median) or mid, exactly:
/// 5 p > 6 med and 5 p < 4 med on the cross products.
fn band(p: Fraction, med: Fraction) -> (&'static str, &'static str, bool) {
    let left = mul(mul(5, p.num), med.den);
    let high = mul(mul(6, med.num), p.den);
    let low = mul(mul(4, med.num), p.den);
    let on_edge = left == high || left == low;
    if left > high {
        ("premium", "高端", on_edge)
    } else if left < low {
        ("value", "性价比", on_edge)
    } else {
        ("mid", "中端", on_edge)
    }
}

impl Oracle {
    /// The expected `/skill/priceband?hsCode=..&limit=1000` data at the
    /// latest month.
    pub fn priceband(&self, v: &View, notes: &mut Vec<&'static str>) -> Value {
        let m = self.latest;
        let (from, to) = (m - 11, m);
        // Destinations with recent12 > 0, largest first, ties by code.
        let mut rows: Vec<(String, i64, i64, i64)> = Vec::new();
        for (p, series) in &v.partners {
            let recent = v.sum(series, from, to);
            if recent <= 0 {
                continue;
            }
            let q1 = v.sum(&v.partner_q1[p], from, to);
            let q2 = v.sum(&v.partner_q2[p], from, to);
            rows.push((p.clone(), recent, q1, q2));
        }
        rows.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));

        let mut units = Vec::new();
        // Per unit N and row: (price, band, Chinese band), None without a price.
        let mut per_row: Vec<Vec<Option<PricedRow>>> = Vec::new();
        // Whether unit N is exactly one unit over recent12.
        let mut single = [false; 2];
        for (n, has_single) in single.iter_mut().enumerate() {
            let unit_sets = if n == 0 { &v.units1 } else { &v.units2 };
            let mut seen = std::collections::BTreeSet::new();
            for k in from.max(v.first)..=to {
                seen.extend(unit_sets[(k - v.first) as usize].iter().cloned());
            }
            let quantity = |r: &(String, i64, i64, i64)| if n == 0 { r.2 } else { r.3 };
            let one_unit = seen.len() == 1;
            *has_single = one_unit;
            let mut prices: Vec<Fraction> = Vec::new();
            if one_unit {
                for r in &rows {
                    if quantity(r) > 0 {
                        prices.push(Fraction {
                            num: r.1 as i128,
                            den: quantity(r) as i128,
                        });
                    }
                }
            }
            let mut sorted = prices.clone();
            let med = median(&mut sorted);
            if sorted
                .windows(2)
                .any(|w| w[0].cmp(&w[1]) == Ordering::Equal)
            {
                notes.push("priceband: tie on price");
            }
            let mut counts = [0usize; 3];
            let mut entries = Vec::new();
            for r in &rows {
                let q = quantity(r);
                let entry = match med {
                    Some(med) if q > 0 => {
                        let p = Fraction {
                            num: r.1 as i128,
                            den: q as i128,
                        };
                        let (b, zh, edge) = band(p, med);
                        if edge {
                            notes.push("priceband: a price exactly on a band edge");
                        }
                        counts[match b {
                            "premium" => 0,
                            "mid" => 1,
                            _ => 2,
                        }] += 1;
                        Some((
                            cents_json(Some(round_div(r.1 as i128 * 100, q as i128))),
                            b,
                            zh,
                        ))
                    }
                    _ => None,
                };
                entries.push(entry);
            }
            if seen.len() > 1 {
                notes.push("priceband: several units (no band)");
            } else if seen.is_empty() {
                notes.push("priceband: no unit (no band)");
            } else if med.is_none() {
                notes.push("priceband: one unit, no quantity (no band)");
            } else {
                notes.push(if prices.len().is_multiple_of(2) {
                    "priceband: median of an even count"
                } else {
                    "priceband: median of an odd count"
                });
                if prices.len() < rows.len() {
                    notes.push("priceband: a destination without quantity");
                }
                for (c, what) in counts.iter().zip([
                    "priceband: a premium destination",
                    "priceband: a mid destination",
                    "priceband: a value destination",
                ]) {
                    if *c > 0 {
                        notes.push(what);
                    }
                }
            }
            units.push(json!({
                "unit": if one_unit { json!(seen.iter().next()) } else { Value::Null },
                "median": med.map_or(Value::Null, |f| json!(f.num as f64 / f.den as f64)),
                "pricedMarkets": prices.len(),
                "premiumCount": counts[0],
                "midCount": counts[1],
                "valueCount": counts[2],
                "reason": if med.is_some() { Value::Null } else { json!(NON_NULL) },
            }));
            per_row.push(entries);
        }

        let markets: Vec<Value> = rows
            .iter()
            .enumerate()
            .map(|(i, r)| {
                let mut e = json!({
                    "rank": i + 1,
                    "countryCode": r.0,
                    "countryName": self.country_name(&r.0),
                    "recent12mTotal": r.1,
                });
                let o = e.as_object_mut().expect("object");
                for n in 0..2 {
                    let suffix = n + 1;
                    let q = if n == 0 { r.2 } else { r.3 };
                    // A quantity is a sum in one unit: null when the
                    // destinations' facts use several units or none.
                    o.insert(
                        format!("quantity{suffix}"),
                        if single[n] { json!(q) } else { Value::Null },
                    );
                    let (price, b, zh) = match &per_row[n][i] {
                        Some((p, b, zh)) => (p.clone(), json!(b), json!(zh)),
                        None => (Value::Null, Value::Null, Value::Null),
                    };
                    o.insert(format!("price{suffix}"), price);
                    o.insert(format!("band{suffix}"), b);
                    o.insert(format!("bandZh{suffix}"), zh);
                }
                e
            })
            .collect();

        // The code's unit value per month, every month of the data.
        let trend = |n: usize, notes: &mut Vec<&'static str>| -> Value {
            let (sets, q) = if n == 0 {
                (&v.units1, &v.q1)
            } else {
                (&v.units2, &v.q2)
            };
            let mut out = Vec::new();
            for k in v.first..=v.latest {
                let i = (k - v.first) as usize;
                let unit = (sets[i].len() == 1).then(|| sets[i].iter().next().cloned());
                // contract 4.17: null when the quantity is 0, or the month
                // has no unit or mixes units.
                let price = if sets[i].len() == 1 && q[i] > 0 {
                    cents_json(Some(round_div(v.global(k) as i128 * 100, q[i] as i128)))
                } else {
                    if sets[i].is_empty() && q[i] > 0 {
                        notes.push("priceTrend: a month with a quantity and no unit");
                    }
                    if sets[i].len() > 1 {
                        notes.push("priceTrend: a month mixing units");
                    } else if sets[i].len() == 1 {
                        notes.push("priceTrend: a month with one unit and no quantity");
                    }
                    Value::Null
                };
                out.push(json!({"month": month_text(k), "price": price, "unit": unit.flatten()}));
            }
            Value::Array(out)
        };
        let trend1 = trend(0, notes);
        let trend2 = trend(1, notes);
        json!({
            "hsCode": v.code,
            "productName": self.product_name(&v.code),
            "currentMonth": month_text(m),
            "currencyUnit": CURRENCY_UNIT,
            "unit1": units[0],
            "unit2": units[1],
            "marketCount": rows.len(),
            "markets": markets,
            "priceTrend1": trend1,
            "priceTrend2": trend2,
        })
    }

    /// Every partner of the data.
    pub fn partners(&self) -> std::collections::BTreeSet<String> {
        self.by_code
            .values()
            .flatten()
            .map(|f| f.partner.clone())
            .collect()
    }

    /// The expected countryName of a partner.
    pub fn country_name(&self, partner: &str) -> String {
        self.country_names
            .get(partner)
            .cloned()
            .unwrap_or_else(|| partner.to_string())
    }

    // -------------------------------------------------------------- chapter

    /// Every 8-digit code's value to all destinations, per month of the
    /// data (index 0 = the first month): the input of `chapter`.
    pub fn code_series(&self) -> BTreeMap<String, Vec<i64>> {
        let n = (self.latest - self.first + 1) as usize;
        let mut out = BTreeMap::new();
        for (hs, facts) in &self.by_code {
            let mut s = vec![0i64; n];
            for f in facts {
                s[(super::month_index(f.month) - self.first) as usize] += f.value;
            }
            out.insert(hs.clone(), s);
        }
        out
    }

    /// The expected `/skill/chapter?hsCode=..&currentMonth=..` data at as-of
    /// month `m` (which must have a 24-month window); `series` is
    /// `code_series()`.
    pub fn chapter(
        &self,
        series: &BTreeMap<String, Vec<i64>>,
        code: &str,
        m: i64,
        notes: &mut Vec<&'static str>,
    ) -> Value {
        assert!(m - 23 >= self.first && m <= self.latest);
        let window = |s: &Vec<i64>, from: i64, to: i64| -> i64 {
            (from..=to)
                .map(|k| s[(k - self.first) as usize])
                .sum::<i64>()
        };
        let chapter = &code[..2];
        // heading -> (recent12, prev12, active codes, codes)
        let mut headings: BTreeMap<String, (i64, i64, usize, usize)> = BTreeMap::new();
        for (hs, s) in series {
            if !hs.starts_with(chapter) {
                continue;
            }
            let r = window(s, m - 11, m);
            let p = window(s, m - 23, m - 12);
            let h = headings.entry(hs[..4].to_string()).or_default();
            h.0 += r;
            h.1 += p;
            if r > 0 {
                h.2 += 1;
            }
            h.3 += 1;
        }
        let mut listed: Vec<(String, (i64, i64, usize, usize))> = headings
            .into_iter()
            .filter(|(_, h)| h.0 > 0 || h.1 > 0)
            .collect();
        listed.sort_by(|a, b| b.1 .0.cmp(&a.1 .0).then(a.0.cmp(&b.0)));
        let total: i64 = listed.iter().map(|h| h.1 .0).sum();
        let prev: i64 = listed.iter().map(|h| h.1 .1).sum();
        let self_heading = (code.len() >= 4).then(|| code[..4].to_string());
        let self_rank = self_heading
            .as_ref()
            .and_then(|s| listed.iter().position(|h| &h.0 == s))
            .map(|i| i + 1);
        if listed.windows(2).any(|w| w[0].1 .0 == w[1].1 .0) {
            notes.push("chapter: tie on recent12");
        }
        for (_, h) in &listed {
            if h.3 == 1 {
                notes.push("chapter: a heading with one code");
            }
            if h.0 == 0 {
                notes.push("chapter: a heading with prev12 only");
            }
            if h.1 == 0 {
                notes.push("chapter: a heading with a zero base");
            }
            if h.2 < h.3 {
                notes.push("chapter: a heading with an inactive code");
            }
        }
        if code.len() == 2 {
            notes.push("chapter: a 2-digit query");
        } else if self_rank.is_none() {
            notes.push("chapter: the queried heading not listed");
        }
        let rows: Vec<Value> = listed
            .iter()
            .enumerate()
            .map(|(i, (heading, h))| {
                json!({
                    "rank": i + 1,
                    "hsCode": heading,
                    "productName": Value::Null,
                    "recent12mTotal": h.0,
                    "prev12mTotal": h.1,
                    "share": cents_json(percent(h.0, total)),
                    "yoyGrowthRate": cents_json(growth(h.0, h.1)),
                    "activeCodes": h.2,
                    "isSelf": self_heading.as_deref() == Some(heading.as_str()),
                })
            })
            .collect();
        json!({
            "hsCode": code,
            "currentMonth": month_text(m),
            "chapter": chapter,
            "chapterName": Value::Null,
            "chapterTotal": total,
            "chapterPrevTotal": prev,
            "chapterYoyGrowthRate": cents_json(growth(total, prev)),
            "selfHeading": self_heading,
            "selfRank": self_rank,
            "headingCount": listed.len(),
            "headings": rows,
        })
    }

    // ---------------------------------------------------------- seasonality

    /// The expected `/skill/seasonality?hsCode=..[&countryCode=..]
    /// [&currentMonth=..]` data at as-of month `m`.
    pub fn seasonality(
        &self,
        v: &View,
        m: i64,
        partner: Option<&str>,
        notes: &mut Vec<&'static str>,
    ) -> Value {
        let season = v.season(m, partner);
        season.notes(notes);
        let mut o = Map::new();
        o.insert("hsCode".into(), json!(v.code));
        o.insert("productName".into(), self.product_name(&v.code));
        o.insert("currentMonth".into(), json!(month_text(m)));
        o.insert("countryCode".into(), json!(partner));
        o.insert(
            "countryName".into(),
            json!(partner.map(|p| self.country_name(p))),
        );
        o.extend(season.fields());
        Value::Object(o)
    }

    // ------------------------------------------------------- topProducts

    /// topProducts' `fastestGrowingMarket` of a code: the first entry of
    /// its growth ranking with the default minBase, or null.
    pub fn fastest_market(&self, v: &View) -> Value {
        let g = self.growth(v, super::extra::LOW_BASE);
        match g["markets"].get(0) {
            Some(first) => json!({
                "countryCode": first["countryCode"],
                "countryName": first["countryName"],
                "yoyGrowthRate": first["yoyGrowthRate"],
            }),
            None => Value::Null,
        }
    }

    // -------------------------------------------------------------- series

    /// The expected `/skill/series` data of months `from..=to`, to every
    /// destination or to one.
    pub fn series(&self, v: &View, from: i64, to: i64, partner: Option<&str>) -> Value {
        let amounts: Vec<Value> = (from..=to)
            .map(|k| {
                let amount = match partner {
                    None => v.global(k),
                    Some(p) => v.partners.get(p).map_or(0, |s| v.at(s, k)),
                };
                json!({"month": month_text(k), "amount": amount})
            })
            .collect();
        let mut o = json!({
            "hsCode": v.code,
            "productName": self.product_name(&v.code),
            "currentMonth": month_text(self.latest),
            "currencyUnit": CURRENCY_UNIT,
            "monthlyData": amounts,
        });
        if let Some(p) = partner {
            let map = o.as_object_mut().expect("object");
            map.insert("countryCode".into(), json!(p));
            map.insert("countryName".into(), json!(self.country_name(p)));
        }
        o
    }
}

/// The partners of a view (any record, zero rows included), by recent12
/// at the latest month descending: the destinations the comparisons ask
/// about.
pub fn partners_by_recent(v: &View) -> Vec<(String, i64)> {
    let m = v.latest;
    let mut out: Vec<(String, i64)> = v
        .partners
        .iter()
        .map(|(p, s)| (p.clone(), v.sum(s, m - 11, m)))
        .collect();
    out.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    out
}
