//! An independent, deliberately naive re-implementation of docs/contract.md, section 3
//! (the aggregates) and of the dashboard / markets / topProducts answers of
//! section 4, written from the contract and not from the production code.
//!
//! It works from a plain list of facts (month, 8-digit code, partner,
//! value, quantities and units). Every figure is recomputed with plain
//! loops over dense monthly series; ratios of integers are rounded exactly
//! in hundredths (i128), and only CAGR and momentum go through f64.

pub mod bulletin;
pub mod compare;
pub mod extra;
pub mod next;
pub mod rng;

use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, BTreeSet};

/// Continents in the API's order (ties of bestRegion go to the first):
/// (API key, first digit of the partner code, Chinese name).
pub const CONTINENTS: [(&str, char, &str); 6] = [
    ("asia", '1', "亚洲"),
    ("europe", '3', "欧洲"),
    ("africa", '2', "非洲"),
    ("northAmerica", '5', "北美洲"),
    ("southAmerica", '4', "拉丁美洲"),
    ("oceania", '6', "大洋洲"),
];

/// Trade blocs: (API key = `country_tags.tag`, Chinese name).
pub const BLOCS: [(&str, &str); 5] = [
    ("middleEast", "中东"),
    ("beltRoad", "一带一路"),
    ("asean", "东盟"),
    ("eu", "欧盟"),
    ("usmca", "美墨加"),
];

/// Every region key accepted by `regionFilter`: continents then blocs.
pub fn region_keys() -> Vec<&'static str> {
    CONTINENTS
        .iter()
        .map(|c| c.0)
        .chain(BLOCS.iter().map(|b| b.0))
        .collect()
}

// ---------------------------------------------------------------- months

/// `YYYYMM` -> a month count (year * 12 + month - 1).
pub fn month_index(yyyymm: u32) -> i64 {
    let year = (yyyymm / 100) as i64;
    let month = (yyyymm % 100) as i64;
    year * 12 + month - 1
}

/// A month count -> `"YYYYMM"`.
pub fn month_text(index: i64) -> String {
    let year = index.div_euclid(12);
    let month = index.rem_euclid(12) + 1;
    format!("{year:04}{month:02}")
}

// -------------------------------------------------------------- rounding

/// `n / d` rounded half away from zero, by way of absolute values:
/// floor(|n|/|d| + 1/2) = floor((2|n| + |d|) / (2|d|)).
pub fn round_div(n: i128, d: i128) -> i128 {
    assert!(d != 0, "division by zero in the oracle");
    let negative = (n < 0) != (d < 0);
    let (a, b) = (n.abs(), d.abs());
    let q = (2 * a + b) / (2 * b);
    if negative {
        -q
    } else {
        q
    }
}

/// A figure in hundredths (2 decimals), exact.
pub type Cents = i128;

/// `part / whole * 100` in hundredths; `None` when `whole` is 0.
pub fn percent(part: i64, whole: i64) -> Option<Cents> {
    (whole != 0).then(|| round_div(part as i128 * 10_000, whole as i128))
}

/// `(new / base - 1) * 100` in hundredths; `None` when `base` is 0.
pub fn growth(new: i64, base: i64) -> Option<Cents> {
    (base != 0).then(|| round_div((new as i128 - base as i128) * 10_000, base as i128))
}

/// `a / b` in hundredths; `None` when `b` is 0.
pub fn ratio(a: i64, b: i64) -> Option<Cents> {
    (b != 0).then(|| round_div(a as i128 * 100, b as i128))
}

/// A float rounded to 2 decimals, half away from zero.
pub fn round2(x: f64) -> f64 {
    let r = ((x * 100.0).abs() + 0.5).floor() / 100.0;
    if x < 0.0 {
        -r
    } else {
        r
    }
}

/// Hundredths as the API's JSON number (or null).
pub fn cents_json(c: Option<Cents>) -> Value {
    match c {
        Some(c) => json!(c as f64 / 100.0),
        None => Value::Null,
    }
}

// ----------------------------------------------------------------- facts

/// One fact: a value (and quantities) of one month, code and partner.
#[derive(Debug, Clone)]
pub struct Fact {
    /// `YYYYMM`
    pub month: u32,
    /// 8 digits
    pub hs: String,
    /// 3 digits
    pub partner: String,
    pub value: i64,
    pub q1: i64,
    pub unit1: Option<String>,
    pub q2: i64,
    pub unit2: Option<String>,
}

/// The continent key of a partner code (first digit), `None` for 7xx.
pub fn continent_of(partner: &str) -> Option<&'static (&'static str, char, &'static str)> {
    let first = partner.chars().next()?;
    CONTINENTS.iter().find(|c| c.1 == first)
}

/// The data, plus the reference data the answers need.
pub struct Oracle {
    /// 8-digit code -> its facts.
    by_code: BTreeMap<String, Vec<Fact>>,
    /// First and latest month of the data (month counts).
    pub first: i64,
    pub latest: i64,
    /// partner -> bloc keys.
    tags: BTreeMap<String, BTreeSet<String>>,
    /// 8-digit code -> expected productName.
    product_names: BTreeMap<String, String>,
    /// partner -> expected countryName.
    country_names: BTreeMap<String, String>,
}

/// One code (8-digit or roll-up) as dense monthly series over the data's
/// months.
pub struct View {
    pub code: String,
    first: i64,
    latest: i64,
    /// partner -> value per month (index 0 = the data's first month).
    partners: BTreeMap<String, Vec<i64>>,
    /// partner -> first quantity per month.
    partner_q1: BTreeMap<String, Vec<i64>>,
    /// partner -> second quantity per month.
    partner_q2: BTreeMap<String, Vec<i64>>,
    q1: Vec<i64>,
    q2: Vec<i64>,
    units1: Vec<BTreeSet<String>>,
    units2: Vec<BTreeSet<String>>,
}

/// The section 3 figures of one code at one as-of month.
#[derive(Debug, Clone)]
pub struct Metrics {
    pub code: String,
    pub month: i64,
    pub recent12: i64,
    pub prev12: i64,
    pub yoy: Option<Cents>,
    pub mom: Option<Cents>,
    pub active: i64,
    pub activity: i64,
    pub top3: Option<Cents>,
    pub avg_active: Option<Cents>,
    pub unit1: Option<String>,
    pub quantity1: Option<i64>,
    pub unit2: Option<String>,
    pub quantity2: Option<i64>,
    /// (key, recent12, prev12): the 6 continents then the 5 blocs.
    pub regions: Vec<(&'static str, i64, i64)>,
    pub best: Option<(&'static str, Cents)>,
    pub momentum: f64,
    /// docs/metrics.md's figures (lowBase, monthYoyGrowthRate, momentumComponents,
    /// concentration, unitValue, priceVolume...), as the dashboard sends them.
    pub extra: Map<String, Value>,
    /// The seasonal profile at this month (all destinations).
    pub season: next::Season,
    /// topProducts' `fastestGrowingMarket` (set by `latest_metrics`).
    pub fastest: Value,
}

impl Metrics {
    pub fn region(&self, key: &str) -> (i64, i64) {
        let r = self
            .regions
            .iter()
            .find(|r| r.0 == key)
            .unwrap_or_else(|| panic!("unknown region {key}"));
        (r.1, r.2)
    }
}

/// A ratio for tanh: `num / base - 1`, +1 on a zero base with a positive
/// numerator, 0 when both are 0.
fn tanh_ratio(num: i64, base: i64) -> f64 {
    if base == 0 {
        if num > 0 {
            1.0
        } else {
            0.0
        }
    } else {
        num as f64 / base as f64 - 1.0
    }
}

impl View {
    /// The value of a series at a month; 0 outside the data.
    fn at(&self, series: &[i64], month: i64) -> i64 {
        if month < self.first || month > self.latest {
            0
        } else {
            series[(month - self.first) as usize]
        }
    }

    /// The sum of a series over months `from..=to`.
    fn sum(&self, series: &[i64], from: i64, to: i64) -> i64 {
        let mut s = 0;
        let mut m = from;
        while m <= to {
            s += self.at(series, m);
            m += 1;
        }
        s
    }

    /// The global value (all partners) of one month.
    fn global(&self, month: i64) -> i64 {
        let mut s = 0;
        for series in self.partners.values() {
            s += self.at(series, month);
        }
        s
    }

    fn global_sum(&self, from: i64, to: i64) -> i64 {
        let mut s = 0;
        for m in from..=to {
            s += self.global(m);
        }
        s
    }

    /// The units seen in months `from..=to` and the quantity sum:
    /// (unit, quantity), both `None` when the window mixes units.
    fn unit_window(
        &self,
        units: &[BTreeSet<String>],
        q: &[i64],
        from: i64,
        to: i64,
    ) -> (Option<String>, Option<i64>) {
        let mut seen: BTreeSet<String> = BTreeSet::new();
        for m in from..=to {
            if m >= self.first && m <= self.latest {
                for u in &units[(m - self.first) as usize] {
                    seen.insert(u.clone());
                }
            }
        }
        let quantity = self.sum(q, from, to);
        match seen.len() {
            0 => (None, Some(quantity)),
            1 => (seen.into_iter().next(), Some(quantity)),
            _ => (None, None),
        }
    }

    /// Whether `month` has a 24-month window inside the data.
    pub fn valid_month(&self, month: i64) -> bool {
        month - 23 >= self.first && month <= self.latest
    }

    /// The figures at as-of month `m` (which must be valid).
    pub fn metrics(&self, m: i64, tags: &BTreeMap<String, BTreeSet<String>>) -> Metrics {
        assert!(self.valid_month(m), "{} {}", self.code, month_text(m));
        let recent12 = self.global_sum(m - 11, m);
        let prev12 = self.global_sum(m - 23, m - 12);

        // Per partner: (partner, recent12, prev12, active months in recent12).
        let mut per: Vec<(String, i64, i64, i64)> = Vec::new();
        for (p, series) in &self.partners {
            let r = self.sum(series, m - 11, m);
            let pv = self.sum(series, m - 23, m - 12);
            let mut months = 0;
            for k in m - 11..=m {
                if self.at(series, k) > 0 {
                    months += 1;
                }
            }
            per.push((p.clone(), r, pv, months));
        }
        let active = per.iter().filter(|x| x.1 > 0).count() as i64;
        let active_prev = per.iter().filter(|x| x.2 > 0).count() as i64;
        let active_months: i64 = per.iter().filter(|x| x.1 > 0).map(|x| x.3).sum();
        let mut activity = 0;
        for k in m - 11..=m {
            if self.global(k) > 0 {
                activity += 1;
            }
        }
        let mut totals: Vec<i64> = per.iter().map(|x| x.1).collect();
        totals.sort_unstable_by(|a, b| b.cmp(a));
        let top3_sum: i64 = totals.iter().take(3).sum();

        let mut regions = Vec::new();
        for (key, digit, _) in CONTINENTS {
            let (mut r, mut pv) = (0, 0);
            for x in &per {
                if x.0.starts_with(digit) {
                    r += x.1;
                    pv += x.2;
                }
            }
            regions.push((key, r, pv));
        }
        for (key, _) in BLOCS {
            let (mut r, mut pv) = (0, 0);
            for x in &per {
                if tags.get(&x.0).is_some_and(|t| t.contains(key)) {
                    r += x.1;
                    pv += x.2;
                }
            }
            regions.push((key, r, pv));
        }
        let best = if recent12 == 0 {
            None
        } else {
            let mut best = regions[0];
            for r in &regions[..CONTINENTS.len()] {
                if r.1 > best.1 {
                    best = *r;
                }
            }
            // Everything went to 7xx partners: no continent (docs/decisions.md).
            if best.1 == 0 {
                None
            } else {
                Some((best.0, percent(best.1, recent12).expect("recent12 > 0")))
            }
        };

        let (unit1, quantity1) = self.unit_window(&self.units1, &self.q1, m - 11, m);
        let (unit2, quantity2) = self.unit_window(&self.units2, &self.q2, m - 11, m);

        let g3 = tanh_ratio(self.global_sum(m - 2, m), self.global_sum(m - 14, m - 12));
        let g12 = tanh_ratio(recent12, prev12);
        let gb = (active - active_prev) as f64 / active_prev.max(1) as f64;
        let momentum = round2(100.0 * (0.5 * g3.tanh() + 0.3 * g12.tanh() + 0.2 * gb.tanh()));

        let extra = extra::dashboard_extra(self, m, &per, (g3, g12, gb));
        Metrics {
            extra,
            season: self.season(m, None),
            fastest: Value::Null,
            code: self.code.clone(),
            month: m,
            recent12,
            prev12,
            yoy: growth(recent12, prev12),
            mom: growth(self.global(m), self.global(m - 1)),
            active,
            activity,
            top3: percent(top3_sum, recent12),
            avg_active: ratio(active_months, active),
            unit1,
            quantity1,
            unit2,
            quantity2,
            regions,
            best,
            momentum,
        }
    }
}

/// Sort orders of topProducts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortBy {
    Growth,
    Amount,
    Breadth,
    Chance,
    Season,
}

impl SortBy {
    pub const ALL: [SortBy; 5] = [
        SortBy::Growth,
        SortBy::Amount,
        SortBy::Breadth,
        SortBy::Chance,
        SortBy::Season,
    ];
    pub fn param(self) -> &'static str {
        match self {
            SortBy::Growth => "growth",
            SortBy::Amount => "amount",
            SortBy::Breadth => "marketBreadth",
            SortBy::Chance => "chance",
            SortBy::Season => "season",
        }
    }
}

/// A topProducts request.
#[derive(Debug, Clone)]
pub struct TopQuery {
    pub level: usize,
    pub sort: SortBy,
    pub region: Option<&'static str>,
    pub min_amount: i64,
    pub max_concentration: Option<f64>,
    pub limit: usize,
    pub offset: usize,
    /// Growth rankings leave out bases below this (docs/metrics.md; default 1,000,000).
    pub min_base: i64,
}

impl TopQuery {
    /// The request with every parameter left at its default.
    pub fn defaults() -> TopQuery {
        TopQuery {
            level: 8,
            sort: SortBy::Growth,
            region: None,
            min_amount: 10_000_000,
            max_concentration: None,
            limit: 30,
            offset: 0,
            min_base: 1_000_000,
        }
    }

    /// The request target, every parameter spelled out.
    pub fn target(&self) -> String {
        let mut t = format!(
            "/skill/topProducts?level={}&sortBy={}&minAmount={}&limit={}&offset={}",
            self.level,
            self.sort.param(),
            self.min_amount,
            self.limit,
            self.offset
        );
        if let Some(r) = self.region {
            t.push_str(&format!("&regionFilter={r}"));
        }
        if let Some(c) = self.max_concentration {
            t.push_str(&format!("&maxConcentration={c}"));
        }
        if self.min_base != 1_000_000 {
            t.push_str(&format!("&minBase={}", self.min_base));
        }
        t
    }
}

impl Oracle {
    pub fn new(
        facts: Vec<Fact>,
        tags: BTreeMap<String, BTreeSet<String>>,
        product_names: BTreeMap<String, String>,
        country_names: BTreeMap<String, String>,
    ) -> Oracle {
        assert!(!facts.is_empty(), "no facts");
        let first = facts.iter().map(|f| month_index(f.month)).min().unwrap();
        let latest = facts.iter().map(|f| month_index(f.month)).max().unwrap();
        let mut by_code: BTreeMap<String, Vec<Fact>> = BTreeMap::new();
        for f in facts {
            assert_eq!(f.hs.len(), 8, "{f:?}");
            by_code.entry(f.hs.clone()).or_default().push(f);
        }
        Oracle {
            by_code,
            first,
            latest,
            tags,
            product_names,
            country_names,
        }
    }

    pub fn tags(&self) -> &BTreeMap<String, BTreeSet<String>> {
        &self.tags
    }

    /// The codes of one level (2, 4, 6 or 8 digits) that the data has.
    pub fn codes(&self, level: usize) -> Vec<String> {
        let set: BTreeSet<String> = self
            .by_code
            .keys()
            .map(|c| c[..level].to_string())
            .collect();
        set.into_iter().collect()
    }

    /// Every as-of month with a 24-month window inside the data.
    pub fn as_of_months(&self) -> Vec<i64> {
        (self.first + 23..=self.latest).collect()
    }

    /// A code (any level) as dense series: the sum of its 8-digit codes.
    pub fn view(&self, code: &str) -> View {
        let n = (self.latest - self.first + 1) as usize;
        let mut v = View {
            code: code.to_string(),
            first: self.first,
            latest: self.latest,
            partners: BTreeMap::new(),
            partner_q1: BTreeMap::new(),
            partner_q2: BTreeMap::new(),
            q1: vec![0; n],
            q2: vec![0; n],
            units1: vec![BTreeSet::new(); n],
            units2: vec![BTreeSet::new(); n],
        };
        for (hs, facts) in &self.by_code {
            if !hs.starts_with(code) {
                continue;
            }
            for f in facts {
                let i = (month_index(f.month) - self.first) as usize;
                v.partners
                    .entry(f.partner.clone())
                    .or_insert_with(|| vec![0; n])[i] += f.value;
                v.partner_q1
                    .entry(f.partner.clone())
                    .or_insert_with(|| vec![0; n])[i] += f.q1;
                v.partner_q2
                    .entry(f.partner.clone())
                    .or_insert_with(|| vec![0; n])[i] += f.q2;
                v.q1[i] += f.q1;
                v.q2[i] += f.q2;
                if let Some(u) = &f.unit1 {
                    v.units1[i].insert(u.clone());
                }
                if let Some(u) = &f.unit2 {
                    v.units2[i].insert(u.clone());
                }
            }
        }
        v
    }

    /// The expected `productName`: bulletin names for 8-digit codes, none
    /// for roll-ups.
    pub fn product_name(&self, code: &str) -> Value {
        match self.product_names.get(code) {
            Some(n) if code.len() == 8 => json!(n),
            _ => Value::Null,
        }
    }

    /// The expected dashboard `data`.
    pub fn dashboard(&self, m: &Metrics) -> Value {
        let mut regions = Map::new();
        let mut blocs = Map::new();
        for (i, (key, total, _)) in m.regions.iter().enumerate() {
            let target = if i < CONTINENTS.len() {
                &mut regions
            } else {
                &mut blocs
            };
            target.insert(format!("{key}Total"), json!(total));
            target.insert(
                format!("{key}Percent"),
                cents_json(percent(*total, m.recent12)),
            );
        }
        json!({
            "hsCode": m.code,
            "productName": self.product_name(&m.code),
            // An integer since issue 14, as the seed API documents it.
            "currentMonth": month_text(m.month).parse::<i64>().expect("month"),
            "recent12mGlobalTotal": m.recent12,
            "prev12mGlobalTotal": m.prev12,
            "yoyGrowthRate": cents_json(m.yoy),
            "momGrowthRate": cents_json(m.mom),
            "activeCountriesCount": m.active,
            "monthlyActivityCount": m.activity,
            "top3ConcentrationPercent": cents_json(m.top3),
            "avgCountryActiveMonths": cents_json(m.avg_active),
            "firstUnit": m.unit1,
            "firstQuantity": m.quantity1,
            "secondUnit": m.unit2,
            "secondQuantity": m.quantity2,
            "regionBreakdown": regions,
            "tradeBlocBreakdown": blocs,
            "bestRegion": best_region(m),
            "momentumScore": m.momentum,
        })
        .as_object()
        .cloned()
        .map(|mut o| {
            o.extend(m.extra.clone());
            // docs/contract.md 4.5: the object of 4.19 without the product and
            // country fields, at currentMonth (whether it repeats currentMonth
            // is not said).
            let mut season = m.season.fields();
            season.insert("currentMonth".into(), json!(compare::ANY));
            o.insert("seasonality".into(), Value::Object(season));
            Value::Object(o)
        })
        .expect("object")
    }

    /// The expected markets rows of a code at the latest month, in the
    /// default order (recent12 descending, then countryCode ascending), as
    /// (countryCode, recent12, JSON row).
    pub fn markets(&self, view: &View) -> Vec<(String, i64, Value)> {
        let m = self.latest;
        let mut rows = Vec::new();
        // The code's recent12, the base of each market's share.
        let code_recent: i64 = view
            .partners
            .values()
            .map(|series| view.sum(series, m - 11, m))
            .sum();
        for (p, series) in &view.partners {
            let recent = view.sum(series, m - 11, m);
            if recent <= 0 {
                continue;
            }
            let prev = if m - 23 >= self.first {
                view.sum(series, m - 23, m - 12)
            } else {
                0
            };
            let cagr = if m - 47 < self.first {
                None
            } else {
                let base = view.sum(series, m - 47, m - 36);
                (base != 0)
                    .then(|| round2(((recent as f64 / base as f64).powf(1.0 / 3.0) - 1.0) * 100.0))
            };
            let tags: Vec<&str> = BLOCS
                .iter()
                .filter(|b| self.tags.get(p).is_some_and(|t| t.contains(b.0)))
                .map(|b| b.1)
                .collect();
            let row = json!({
                "countryName": self.country_names.get(p).cloned().unwrap_or_else(|| p.clone()),
                "countryCode": p,
                "continent": continent_of(p).map(|c| c.2),
                "tradeTags": tags,
                "recent12mTotal": recent,
                "monthlyAvg": cents_json(ratio(recent, 12)),
                "threeYearCAGR": cagr,
                "prev12mTotal": prev,
                "yoyGrowthRate": cents_json(growth(recent, prev)),
                "lowBase": prev < extra::LOW_BASE,
                "share": cents_json(Some(round_div(recent as i128 * 10_000, code_recent as i128))),
            });
            let mut row = row;
            extra::market_extra(view, p, &mut row);
            rows.push((p.clone(), recent, row));
        }
        rows.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        rows
    }

    /// The figures of every code of a level at the latest month (empty
    /// when the data is shorter than 24 months).
    pub fn latest_metrics(&self, level: usize) -> Vec<Metrics> {
        if self.latest - 23 < self.first {
            return Vec::new();
        }
        self.codes(level)
            .iter()
            .map(|c| {
                let view = self.view(c);
                let mut m = view.metrics(self.latest, &self.tags);
                m.fastest = self.fastest_market(&view);
                m
            })
            .collect()
    }

    /// The expected topProducts `data` (`all` = `latest_metrics(level)`),
    /// and the length of the full ranking.
    pub fn top_products(&self, all: &[Metrics], q: &TopQuery) -> (Value, usize) {
        // (metrics, ranking total, ranking growth)
        let mut ranked: Vec<(&Metrics, i64, Option<Cents>)> = Vec::new();
        for m in all {
            let (total, g, base) = match q.region {
                Some(r) => {
                    let (recent, prev) = m.region(r);
                    (recent, growth(recent, prev), prev)
                }
                None => (m.recent12, m.yoy, m.prev12),
            };
            if total < q.min_amount {
                continue;
            }
            if q.sort == SortBy::Growth && (g.is_none() || base < q.min_base) {
                continue;
            }
            // chance: growing (as served: > 0.00), not low-base.
            if q.sort == SortBy::Chance && (g.is_none_or(|g| g <= 0) || base < extra::LOW_BASE) {
                continue;
            }
            // season: the calendar month after M is a peak month.
            if q.sort == SortBy::Season
                && !m
                    .season
                    .peaks()
                    .contains(&next::next_calendar_month(m.month))
            {
                continue;
            }
            if let Some(max) = q.max_concentration {
                match m.top3 {
                    Some(t) if (t as f64 / 100.0) <= max => {}
                    _ => continue,
                }
            }
            ranked.push((m, total, g));
        }
        ranked.sort_by(|a, b| {
            let primary = match q.sort {
                SortBy::Growth => b.2.cmp(&a.2),
                SortBy::Amount => b.1.cmp(&a.1),
                SortBy::Breadth => b.0.active.cmp(&a.0.active).then(b.1.cmp(&a.1)),
                // Served figures (2 decimals); top3 is defined for a growing code.
                SortBy::Chance => a.0.top3.cmp(&b.0.top3).then(b.2.cmp(&a.2)),
                SortBy::Season => {
                    let next = |x: &Metrics| x.season.share(next::next_calendar_month(x.month));
                    next(b.0)
                        .cmp(&next(a.0))
                        .then(b.0.recent12.cmp(&a.0.recent12))
                }
            };
            primary.then(a.0.code.cmp(&b.0.code))
        });
        let n = ranked.len();
        let mut out = Vec::new();
        for (i, (m, total, g)) in ranked.into_iter().enumerate() {
            if i < q.offset || i >= q.offset + q.limit {
                continue;
            }
            let mut e = json!({
                "rank": i + 1,
                "hsCode": m.code,
                "productName": self.product_name(&m.code),
                "recent12mGlobalTotal": m.recent12,
                "yoyGrowthRate": cents_json(m.yoy),
                "activeCountriesCount": m.active,
                "top3ConcentrationPercent": cents_json(m.top3),
                "bestRegion": best_region(m),
                "momentumScore": m.momentum,
                "lowBase": base_of(m, q.region) < extra::LOW_BASE,
                "momentumComponents": m.extra["momentumComponents"].clone(),
                "momGrowthRate": cents_json(m.mom),
                "peakMonths": m.season.peaks(),
                "nextMonthShare": cents_json(m.season.share(next::next_calendar_month(m.month))),
                "fastestGrowingMarket": m.fastest.clone(),
            });
            if q.region.is_some() {
                let o = e.as_object_mut().expect("object");
                o.insert("regionTotal".into(), json!(total));
                o.insert(
                    "regionPercent".into(),
                    cents_json(percent(total, m.recent12)),
                );
                o.insert("regionYoyGrowthRate".into(), cents_json(g));
            }
            out.push(e);
        }
        (Value::Array(out), n)
    }
}

/// The base of the ranked growth: prev12, or the region's prev12.
fn base_of(m: &Metrics, region: Option<&str>) -> i64 {
    match region {
        Some(r) => m.region(r).1,
        None => m.prev12,
    }
}

fn best_region(m: &Metrics) -> Value {
    match m.best {
        Some((key, p)) => json!({"regionName": key, "percent": p as f64 / 100.0}),
        None => Value::Null,
    }
}
