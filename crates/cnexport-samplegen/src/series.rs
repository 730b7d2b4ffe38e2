//! The monthly series: the final (correct) value of every
//! (month, product, destination), with seasonality, trends and sparsity.

use crate::catalog::{CountryDef, ProductDef};
use crate::rng::{powf, Rng};
use crate::{Key, TruthFact};
use cnexport_core::Month;
use std::collections::BTreeMap;

/// Month of the Chinese New Year and how early in it: 0 = in January,
/// 1 = first days of February, 2 = mid-February.
fn cny_kind(year: u32) -> u8 {
    match year {
        2017 | 2020 | 2023 | 2025 | 2028 | 2031 | 2034 => 0,
        2019 | 2022 | 2027 | 2030 | 2033 => 1,
        _ => 2,
    }
}

/// The common seasonal factor of a month: the Chinese New Year dip
/// (January/February, deepest in February unless the festival falls in
/// January), the spring recovery, the Golden Week pause in October and the
/// year-end rise.
pub fn base_season(m: Month) -> f64 {
    let cny = cny_kind(m.year());
    match (m.month(), cny) {
        (1, 0) => 0.80,
        (2, 0) => 0.78,
        (3, 0) => 0.96,
        (1, 1) => 0.90,
        (2, 1) => 0.68,
        (3, 1) => 0.97,
        (1, _) => 0.98,
        (2, _) => 0.60,
        (3, _) => 0.92,
        (4, _) => 0.98,
        (5, _) => 1.00,
        (6, _) => 1.03,
        (7, _) => 1.05,
        (8, _) => 1.06,
        (9, _) => 1.08,
        (10, _) => 1.00,
        (11, _) => 1.07,
        _ => 1.16,
    }
}

fn xmas_factor(month: u32) -> f64 {
    match month {
        7 => 1.25,
        8 | 9 => 1.35,
        10 => 1.2,
        12 | 1 => 0.85,
        _ => 1.0,
    }
}

/// Final values of every non-zero (month, product, destination).
pub fn simulate(
    products: &[ProductDef],
    countries: &[CountryDef],
    first: Month,
    months: u32,
    seed: u64,
) -> BTreeMap<Key, TruthFact> {
    let mut out = BTreeMap::new();
    let first_idx = first.index();
    for p in products {
        let mut rng = Rng::derive(seed, "series", p.code.0 as u64);
        for t in 0..months as i64 {
            let idx = first_idx + t;
            let m = Month::from_index(idx);
            // Draw the month's shocks even outside the lifetime, so that a
            // product's lifetime does not shift its other months.
            let shock = rng.noise(0.08);
            let price_noise = rng.noise(0.05);
            if idx < p.start || idx > p.end {
                continue;
            }
            let years = t as f64 / 12.0;
            let trend = powf(1.0 + p.growth, years);
            let mut season = powf(base_season(m), p.season_amp);
            if p.xmas {
                season *= xmas_factor(m.month());
            }
            let since_start = idx - p.start;
            let ramp = if p.start > first_idx && since_start < 5 {
                (since_start + 1) as f64 / 6.0
            } else {
                1.0
            };
            let month_total = p.base * trend * season * ramp * shock;
            let price = p.price * powf(1.03, years) * price_noise;
            for mk in &p.markets {
                let active = rng.chance(mk.p_active);
                let noise = rng.noise(mk.sigma);
                let n2 = rng.noise(0.04);
                if !active || idx < mk.start || idx > mk.end {
                    continue;
                }
                let value = (month_total * mk.share * noise).round();
                if value < 1.0 {
                    continue;
                }
                let value = value as i64;
                let q1 = ((value as f64 / price).round() as i64).max(1);
                let q2 = match p.unit2 {
                    Some(_) => ((q1 as f64 * p.ratio2 * n2).round() as i64).max(1),
                    None => 0,
                };
                out.insert(
                    (m, p.code, countries[mk.country].code),
                    TruthFact {
                        value,
                        quantity1: q1,
                        quantity2: q2,
                    },
                );
            }
        }
    }
    out
}
