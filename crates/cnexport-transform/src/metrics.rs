//! The aggregates of SPEC section 3, per code (8-digit and 2/4/6-digit
//! roll-ups) and as-of month, in parallel across codes.
//!
//! Each code's facts become dense monthly series per country over the
//! data's months; every figure is then an exact integer sum over a window,
//! so the results do not depend on thread count or order.

use cnexport_core::reference::Reference;
use cnexport_core::round::{growth_pct, percent, ratio_2dp, round_2dp};
use cnexport_core::tables::{BaseMetricsRow, CountMonthRow, WindowTotals};
use cnexport_core::{Bloc, Continent, Month, MonthlyFact, PartnerCode};
use rayon::prelude::*;
use std::collections::BTreeMap;

/// The unit(s) seen in a set of facts.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
enum Units {
    #[default]
    Nothing,
    One(String),
    Mixed,
}

impl Units {
    fn add(&mut self, unit: Option<&str>) {
        let Some(u) = unit else { return };
        *self = match std::mem::take(self) {
            Units::Nothing => Units::One(u.to_string()),
            Units::One(x) if x == u => Units::One(x),
            _ => Units::Mixed,
        };
    }
    fn merge(&mut self, other: &Units) {
        match other {
            Units::Nothing => {}
            Units::One(u) => self.add(Some(u)),
            Units::Mixed => *self = Units::Mixed,
        }
    }
}

/// One country's dense monthly series for a code.
#[derive(Debug, Clone)]
struct CountrySeries {
    partner: PartnerCode,
    values: Vec<i64>,
    quantity1: Vec<i64>,
}

/// A code's series: per country values, and per month quantities and units.
#[derive(Debug, Clone)]
struct CodeSeries {
    code: String,
    level: u8,
    countries: Vec<CountrySeries>,
    quantity1: Vec<i64>,
    quantity2: Vec<i64>,
    units1: Vec<Units>,
    units2: Vec<Units>,
}

impl CodeSeries {
    fn empty(code: String, level: u8, months: usize) -> CodeSeries {
        CodeSeries {
            code,
            level,
            countries: Vec::new(),
            quantity1: vec![0; months],
            quantity2: vec![0; months],
            units1: vec![Units::Nothing; months],
            units2: vec![Units::Nothing; months],
        }
    }

    /// Adds another code's series (for roll-ups). Countries stay sorted.
    fn absorb(&mut self, other: &CodeSeries) {
        let mut merged: BTreeMap<PartnerCode, CountrySeries> = std::mem::take(&mut self.countries)
            .into_iter()
            .map(|c| (c.partner, c))
            .collect();
        for c in &other.countries {
            let entry = merged.entry(c.partner).or_insert_with(|| CountrySeries {
                partner: c.partner,
                values: vec![0; c.values.len()],
                quantity1: vec![0; c.values.len()],
            });
            for (a, b) in entry.values.iter_mut().zip(&c.values) {
                *a += b;
            }
            for (a, b) in entry.quantity1.iter_mut().zip(&c.quantity1) {
                *a += b;
            }
        }
        self.countries = merged.into_values().collect();
        for i in 0..self.quantity1.len() {
            self.quantity1[i] += other.quantity1[i];
            self.quantity2[i] += other.quantity2[i];
            self.units1[i].merge(&other.units1[i]);
            self.units2[i].merge(&other.units2[i]);
        }
    }
}

/// Everything the metrics need to know about the data's months.
#[derive(Debug, Clone, Copy)]
pub struct Calendar {
    pub first: Month,
    pub latest: Month,
}

impl Calendar {
    pub fn months(&self) -> usize {
        (self.latest.since(self.first) + 1) as usize
    }
    fn index(&self, m: Month) -> usize {
        m.since(self.first) as usize
    }
}

/// Per-partner region and bloc membership, as indexes.
struct Membership {
    continent: BTreeMap<PartnerCode, usize>,
    blocs: BTreeMap<PartnerCode, Vec<usize>>,
}

impl Membership {
    fn new(reference: &Reference, partners: impl Iterator<Item = PartnerCode>) -> Membership {
        let mut continent = BTreeMap::new();
        let mut blocs = BTreeMap::new();
        for p in partners {
            if let Some(c) = p.continent() {
                continent.insert(p, Continent::ALL.iter().position(|x| *x == c).unwrap_or(0));
            }
            let b: Vec<usize> = reference
                .blocs_of(p)
                .iter()
                .filter_map(|b| Bloc::ALL.iter().position(|x| x == b))
                .collect();
            blocs.insert(p, b);
        }
        Membership { continent, blocs }
    }
}

/// The metric tables: `hs_base_metrics` rows and `hs_count_month` rows.
pub fn compute(
    facts: &[MonthlyFact],
    reference: &Reference,
) -> (Vec<BaseMetricsRow>, Vec<CountMonthRow>) {
    let (Some(first), Some(latest)) = (
        facts.iter().map(|f| f.month).min(),
        facts.iter().map(|f| f.month).max(),
    ) else {
        return (Vec::new(), Vec::new());
    };
    let cal = Calendar { first, latest };
    let membership = Membership::new(reference, crate::partners_used(facts).into_iter());

    // Facts arrive sorted by (code, partner, month): split them by code.
    let mut by_code: Vec<&[MonthlyFact]> = Vec::new();
    let mut start = 0;
    for i in 1..=facts.len() {
        if i == facts.len() || facts[i].hs_code != facts[start].hs_code {
            by_code.push(&facts[start..i]);
            start = i;
        }
    }
    let level8: Vec<CodeSeries> = by_code
        .par_iter()
        .map(|chunk| series_of_code(chunk, &cal))
        .collect();

    // Roll-ups: 6, 4 and 2 digits, each the sum of the 8-digit codes under it.
    let mut all: Vec<CodeSeries> = Vec::new();
    for level in [2u8, 4, 6] {
        let mut groups: BTreeMap<&str, Vec<&CodeSeries>> = BTreeMap::new();
        for s in &level8 {
            groups.entry(&s.code[..level as usize]).or_default().push(s);
        }
        let groups: Vec<(&str, Vec<&CodeSeries>)> = groups.into_iter().collect();
        let rolled: Vec<CodeSeries> = groups
            .par_iter()
            .map(|(prefix, members)| {
                let mut s = CodeSeries::empty(prefix.to_string(), level, cal.months());
                for m in members {
                    s.absorb(m);
                }
                s
            })
            .collect();
        all.extend(rolled);
    }
    all.extend(level8);
    all.sort_by(|a, b| a.code.cmp(&b.code));

    let base: Vec<BaseMetricsRow> = all
        .par_iter()
        .flat_map_iter(|s| base_rows(s, &cal, &membership))
        .collect();
    let counts: Vec<CountMonthRow> = all
        .par_iter()
        .flat_map_iter(|s| count_rows(s, &cal))
        .collect();
    (base, counts)
}

fn series_of_code(facts: &[MonthlyFact], cal: &Calendar) -> CodeSeries {
    let months = cal.months();
    let mut s = CodeSeries::empty(facts[0].hs_code.to_string(), 8, months);
    for f in facts {
        if s.countries.last().map(|c| c.partner) != Some(f.partner) {
            s.countries.push(CountrySeries {
                partner: f.partner,
                values: vec![0; months],
                quantity1: vec![0; months],
            });
        }
        let i = cal.index(f.month);
        if let Some(c) = s.countries.last_mut() {
            c.values[i] += f.value;
            c.quantity1[i] += f.quantity1;
        }
        s.quantity1[i] += f.quantity1;
        s.quantity2[i] += f.quantity2;
        s.units1[i].add(f.unit1.as_deref());
        s.units2[i].add(f.unit2.as_deref());
    }
    s
}

fn window_sum(values: &[i64], end: usize, len: usize) -> i64 {
    values[end + 1 - len..=end].iter().sum()
}

/// A ratio for momentum: `num / base - 1`; a zero base counts as +1 when
/// the numerator is positive, 0 when both are 0.
fn momentum_ratio(num: i64, base: i64) -> f64 {
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

fn base_rows(s: &CodeSeries, cal: &Calendar, membership: &Membership) -> Vec<BaseMetricsRow> {
    let months = cal.months();
    if months < 24 {
        return Vec::new();
    }
    let global: Vec<i64> = (0..months)
        .map(|i| s.countries.iter().map(|c| c.values[i]).sum())
        .collect();
    let mut rows = Vec::with_capacity(months - 23);
    for t in 23..months {
        let recent12 = window_sum(&global, t, 12);
        let prev12 = window_sum(&global, t - 12, 12);
        let mut per_country: Vec<(PartnerCode, i64, i64, u32)> = s
            .countries
            .iter()
            .map(|c| {
                let r = window_sum(&c.values, t, 12);
                let p = window_sum(&c.values, t - 12, 12);
                let active_months = c.values[t - 11..=t].iter().filter(|v| **v > 0).count() as u32;
                (c.partner, r, p, active_months)
            })
            .collect();
        let active: Vec<&(PartnerCode, i64, i64, u32)> =
            per_country.iter().filter(|c| c.1 > 0).collect();
        let active_countries = active.len() as u32;
        let active_countries_prev = per_country.iter().filter(|c| c.2 > 0).count() as u32;
        let avg_active_months = if active.is_empty() {
            None
        } else {
            ratio_2dp(
                active.iter().map(|c| c.3 as i128).sum(),
                active.len() as i128,
            )
        };
        per_country.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        let top3: i64 = per_country.iter().take(3).map(|c| c.1.max(0)).sum();

        let mut regions = [WindowTotals::default(); 6];
        let mut blocs = [WindowTotals::default(); 5];
        for (partner, r, p, _) in &per_country {
            if let Some(&ci) = membership.continent.get(partner) {
                regions[ci].recent12 += r;
                regions[ci].prev12 += p;
            }
            if let Some(bs) = membership.blocs.get(partner) {
                for &bi in bs {
                    blocs[bi].recent12 += r;
                    blocs[bi].prev12 += p;
                }
            }
        }
        // The largest continent; ties go to the first in Continent::ALL order.
        let best_region = if recent12 > 0 {
            let (i, best) = regions
                .iter()
                .enumerate()
                .fold((0, regions[0]), |acc, (i, r)| {
                    if r.recent12 > acc.1.recent12 {
                        (i, *r)
                    } else {
                        acc
                    }
                });
            // Everything went to 7xx partners: no continent at all.
            percent(best.recent12 as i128, recent12 as i128)
                .filter(|_| best.recent12 > 0)
                .map(|p| (Continent::ALL[i].api_key().to_string(), p))
        } else {
            None
        };

        let window_units = |units: &[Units]| {
            let mut u = Units::Nothing;
            for x in &units[t - 11..=t] {
                u.merge(x);
            }
            u
        };
        let (first_unit, first_quantity) = match window_units(&s.units1) {
            Units::One(u) => (Some(u), Some(window_sum(&s.quantity1, t, 12))),
            Units::Nothing => (None, Some(window_sum(&s.quantity1, t, 12))),
            Units::Mixed => (None, None),
        };
        let (second_unit, second_quantity) = match window_units(&s.units2) {
            Units::One(u) => (Some(u), Some(window_sum(&s.quantity2, t, 12))),
            Units::Nothing => (None, Some(window_sum(&s.quantity2, t, 12))),
            Units::Mixed => (None, None),
        };

        // Concentration of the markets in each window.
        let concentration =
            |total: i64, shares: &mut dyn Iterator<Item = i64>| -> (Option<f64>, Option<f64>) {
                if total <= 0 {
                    return (None, None);
                }
                // sum of squared shares, exactly: sum(v^2) / total^2.
                let squares: i128 = shares.map(|v| (v as i128) * (v as i128)).sum();
                let t2 = (total as i128) * (total as i128);
                (ratio_2dp(squares * 10_000, t2), ratio_2dp(t2, squares))
            };
        let (hhi, effective_markets) =
            concentration(recent12, &mut per_country.iter().map(|c| c.1));
        let (hhi_prev, effective_markets_prev) =
            concentration(prev12, &mut per_country.iter().map(|c| c.2));
        let markets_entered = per_country.iter().filter(|c| c.1 > 0 && c.2 <= 0).count() as u32;
        let markets_exited = per_country.iter().filter(|c| c.1 <= 0 && c.2 > 0).count() as u32;
        let unit_both_windows = {
            let mut u = Units::Nothing;
            for x in &s.units1[t - 23..=t] {
                u.merge(x);
            }
            match u {
                Units::One(unit) => Some(unit),
                _ => None,
            }
        };

        let g3 = momentum_ratio(window_sum(&global, t, 3), window_sum(&global, t - 12, 3));
        let g12 = momentum_ratio(recent12, prev12);
        let gb = (active_countries as f64 - active_countries_prev as f64)
            / (active_countries_prev.max(1) as f64);
        let momentum = round_2dp(100.0 * (0.5 * g3.tanh() + 0.3 * g12.tanh() + 0.2 * gb.tanh()));

        rows.push(BaseMetricsRow {
            hs_code: s.code.clone(),
            level: s.level,
            as_of: cal.first.plus(t as i64),
            recent12,
            prev12,
            yoy_growth: growth_pct(recent12 as i128, prev12 as i128),
            value_month: global[t],
            value_prev_month: global[t - 1],
            mom_growth: growth_pct(global[t] as i128, global[t - 1] as i128),
            active_countries,
            active_countries_prev,
            monthly_activity: global[t - 11..=t].iter().filter(|v| **v > 0).count() as u32,
            top3_concentration: percent(top3 as i128, recent12 as i128),
            avg_country_active_months: avg_active_months,
            first_unit,
            first_quantity,
            second_unit,
            second_quantity,
            regions,
            blocs,
            best_region,
            g3,
            g12,
            gb,
            momentum_score: momentum,
            value_year_ago_month: global[t - 12],
            hhi,
            hhi_prev,
            effective_markets,
            effective_markets_prev,
            markets_entered,
            markets_exited,
            first_quantity_prev: window_sum(&s.quantity1, t - 12, 12),
            unit_both_windows,
        });
    }
    rows
}

fn count_rows(s: &CodeSeries, cal: &Calendar) -> Vec<CountMonthRow> {
    let months = cal.months();
    let t = months - 1;
    s.countries
        .iter()
        .map(|c| {
            let recent12 = window_sum(&c.values, t, t.min(11) + 1);
            let prev12 = if t >= 23 {
                window_sum(&c.values, t - 12, 12)
            } else {
                0
            };
            // Base of the 3-year CAGR: the 12 months ending M-36.
            let cagr = if t >= 47 {
                let base = window_sum(&c.values, t - 36, 12);
                if base > 0 {
                    Some(round_2dp(
                        ((recent12 as f64 / base as f64).powf(1.0 / 3.0) - 1.0) * 100.0,
                    ))
                } else {
                    None
                }
            } else {
                None
            };
            CountMonthRow {
                hs_code: s.code.clone(),
                level: s.level,
                country_code: c.partner.to_string(),
                as_of: cal.latest,
                recent12,
                prev12,
                monthly_avg: ratio_2dp(recent12 as i128, 12).unwrap_or(0.0),
                three_year_cagr: cagr,
                quantity1: window_sum(&c.quantity1, t, t.min(11) + 1),
                quantity1_prev: if t >= 23 {
                    window_sum(&c.quantity1, t - 12, 12)
                } else {
                    0
                },
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use cnexport_core::HsCode;

    fn fact(month: Month, hs: u32, partner: u16, value: i64) -> MonthlyFact {
        MonthlyFact {
            month,
            hs_code: HsCode(hs),
            partner: PartnerCode(partner),
            value,
            quantity1: value,
            unit1: Some("千克".into()),
            quantity2: 0,
            unit2: None,
            first_value: value,
            source_file: 0,
        }
    }

    fn sorted(mut facts: Vec<MonthlyFact>) -> Vec<MonthlyFact> {
        facts.sort_by_key(|f| (f.hs_code, f.partner, f.month));
        facts
    }

    /// 24 months of data: one as-of month. Worked by hand:
    /// - 502 (US): 10 every month of prev12, 20 every month of recent12;
    /// - 108 (Cyprus: EU, Middle East, Belt and Road): 0 in prev12, 5 in the last month only;
    /// - 701 (unknown): 15 in the last month (in the total, in no region).
    #[test]
    fn a_hand_computed_code() {
        let first = Month::new(2023, 1).unwrap();
        let mut facts = Vec::new();
        for i in 0..24 {
            let m = first.plus(i);
            facts.push(fact(m, 85171300, 502, if i < 12 { 10 } else { 20 }));
        }
        facts.push(fact(first.plus(23), 85171300, 108, 5));
        facts.push(fact(first.plus(23), 85171300, 701, 15));
        let (base, counts) = compute(&sorted(facts), Reference::get());
        let row = base.iter().find(|r| r.hs_code == "85171300").unwrap();
        assert_eq!(row.as_of.to_string(), "202412");
        // recent12 = 12*20 + 5 + 15 = 260; prev12 = 120; yoy = 116.67
        assert_eq!((row.recent12, row.prev12), (260, 120));
        assert_eq!(row.yoy_growth, Some(116.67));
        // M = 20+5+15 = 40, M-1 = 20: mom = 100
        assert_eq!(row.mom_growth, Some(100.0));
        assert_eq!((row.active_countries, row.active_countries_prev), (3, 1));
        assert_eq!(row.monthly_activity, 12);
        // top3 = all three = 100%
        assert_eq!(row.top3_concentration, Some(100.0));
        // (12 + 1 + 1) / 3 = 4.67
        assert_eq!(row.avg_country_active_months, Some(4.67));
        // North America 240 (92.31%), Asia 5 (Cyprus is coded in Asia), 701 nowhere.
        assert_eq!(row.regions[3].recent12, 240);
        assert_eq!(row.regions[0].recent12, 5);
        let region_sum: i64 = row.regions.iter().map(|r| r.recent12).sum();
        assert_eq!(region_sum, 245);
        assert_eq!(row.best_region, Some(("northAmerica".to_string(), 92.31)));
        // Cyprus in three blocs, US in USMCA.
        assert_eq!(row.blocs[0].recent12, 5); // middleEast
        assert_eq!(row.blocs[1].recent12, 5); // beltRoad
        assert_eq!(row.blocs[3].recent12, 5); // eu
        assert_eq!(row.blocs[4].recent12, 240); // usmca
                                                // g3 = (20+20+40)/30 - 1 = 1.6667; g12 = 260/120 - 1; gb = (3-1)/1 = 2
        let expected = 100.0
            * (0.5 * (80.0f64 / 30.0 - 1.0).tanh()
                + 0.3 * (260.0f64 / 120.0 - 1.0).tanh()
                + 0.2 * 2.0f64.tanh());
        assert_eq!(row.momentum_score, round_2dp(expected));
        assert_eq!(row.first_unit.as_deref(), Some("千克"));
        assert_eq!(row.first_quantity, Some(260));
        // Roll-ups exist with the same totals.
        for code in ["85", "8517", "851713"] {
            let r = base.iter().find(|r| r.hs_code == code).unwrap();
            assert_eq!((r.recent12, r.prev12), (260, 120), "{code}");
        }
        // Only 24 months: no 3-year CAGR.
        let us = counts
            .iter()
            .find(|c| c.hs_code == "85171300" && c.country_code == "502")
            .unwrap();
        assert_eq!(us.recent12, 240);
        assert_eq!(us.monthly_avg, 20.0);
        assert_eq!(us.three_year_cagr, None);
    }

    #[test]
    fn zero_base_and_late_start() {
        let first = Month::new(2023, 1).unwrap();
        // Starts in the last 3 months: prev12 = 0.
        // Another code anchors the data's first month.
        let anchor = fact(first, 27090000, 502, 1);
        let facts = vec![
            anchor,
            fact(first.plus(21), 1012100, 502, 7),
            fact(first.plus(23), 1012100, 502, 3),
        ];
        let (base, _) = compute(&sorted(facts), Reference::get());
        let row = base.iter().find(|r| r.hs_code == "01012100").unwrap();
        assert_eq!(row.yoy_growth, None);
        // M = 3, M-1 = 0: mom null.
        assert_eq!(row.mom_growth, None);
        // g3 and g12 have a zero base with a positive numerator: +1 each; gb = 1.
        let expected =
            round_2dp(100.0 * (0.5 * 1f64.tanh() + 0.3 * 1f64.tanh() + 0.2 * 1f64.tanh()));
        assert_eq!(row.momentum_score, expected);
    }

    #[test]
    fn mixed_units_give_no_quantity() {
        let first = Month::new(2023, 1).unwrap();
        let mut a = fact(first.plus(23), 1012100, 502, 3);
        a.unit1 = Some("头".into());
        let b = fact(first, 1012900, 502, 3);
        let anchor = fact(first, 27090000, 502, 1);
        let (base, _) = compute(
            &sorted(vec![anchor.clone(), a.clone(), b]),
            Reference::get(),
        );
        // 8-digit: one unit each.
        assert_eq!(
            base.iter()
                .find(|r| r.hs_code == "01012100")
                .unwrap()
                .first_unit
                .as_deref(),
            Some("头")
        );
        // The roll-up 0101 in its window holds only the 头 row (the 千克 row is in prev12).
        let r = base.iter().find(|r| r.hs_code == "0101").unwrap();
        assert_eq!(r.first_unit.as_deref(), Some("头"));
        let mut c = fact(first.plus(23), 1012900, 502, 3);
        c.unit1 = Some("千克".into());
        let (base, _) = compute(&sorted(vec![anchor, a, c]), Reference::get());
        let r = base.iter().find(|r| r.hs_code == "0101").unwrap();
        assert_eq!((r.first_unit.clone(), r.first_quantity), (None, None));
    }

    #[test]
    fn the_thread_count_does_not_change_the_result() {
        let first = Month::new(2021, 1).unwrap();
        let mut facts = Vec::new();
        let mut x: u64 = 42;
        for hs in [85171300u32, 85176200, 84713010, 61102000, 94036090, 1012100] {
            for partner in [101u16, 108, 116, 133, 304, 410, 502, 601, 701] {
                for i in 0..50 {
                    x = x
                        .wrapping_mul(6364136223846793005)
                        .wrapping_add(1442695040888963407);
                    if x >> 62 != 0 {
                        facts.push(fact(first.plus(i), hs, partner, (x >> 40) as i64));
                    }
                }
            }
        }
        let facts = sorted(facts);
        let run = |threads| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap()
                .install(|| compute(&facts, Reference::get()))
        };
        let (b1, c1) = run(1);
        let (b2, c2) = run(2);
        assert_eq!(b1, b2);
        assert_eq!(c1, c2);
        assert!(c1.iter().any(|c| c.three_year_cagr.is_some()));
    }
}
