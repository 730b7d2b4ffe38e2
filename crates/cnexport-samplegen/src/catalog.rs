//! The products and destinations of a generated data set, with the
//! parameters of their series.

use crate::rng::{exp, ln, powf, Rng};
use cnexport_core::reference::Reference;
use cnexport_core::{HsCode, Month, PartnerCode};

/// A destination (some codes are missing from the reference table: customs
/// adds codes, and the pipeline must keep them).
#[derive(Debug, Clone)]
pub struct CountryDef {
    pub code: PartnerCode,
    pub name_zh: String,
    pub name_en: String,
    /// Relative size of the market.
    pub weight: f64,
}

/// One destination of one product.
#[derive(Debug, Clone)]
pub struct Market {
    /// Index into the country list.
    pub country: usize,
    /// Share of the product's value (shares of a product sum to 1).
    pub share: f64,
    /// Probability that a month has trade at all.
    pub p_active: f64,
    /// Month-to-month noise (lognormal sigma): small for big markets.
    pub sigma: f64,
    /// First and last month index (inclusive) of this market.
    pub start: i64,
    pub end: i64,
}

#[derive(Debug, Clone)]
pub struct ProductDef {
    pub code: HsCode,
    pub name_zh: String,
    pub name_en: String,
    pub unit1: String,
    pub unit2: Option<String>,
    /// Monthly value over all destinations at the first month (yuan).
    pub base: f64,
    /// Yearly growth rate (0.1 = +10% a year).
    pub growth: f64,
    /// First and last month index (inclusive) of any export.
    pub start: i64,
    pub end: i64,
    /// Strength of the seasonal pattern (1 = the common one).
    pub season_amp: f64,
    /// Christmas goods: a peak in July-October.
    pub xmas: bool,
    /// Yuan per first unit at the first month.
    pub price: f64,
    /// Second quantity per first quantity.
    pub ratio2: f64,
    pub markets: Vec<Market>,
    /// The name older releases wrote (ASCII punctuation), if it changed.
    pub old_name: Option<String>,
}

/// Partner codes that the reference table lacks, with the names a bulletin
/// gives them (continent = first digit).
pub const UNKNOWN_PARTNERS: &[(u16, &str, &str)] = &[
    (698, "美属萨摩亚", "American Samoa"),
    (348, "科索沃", "Kosovo"),
];

/// Big markets with a rough share of China's exports (percent).
const MAJORS: &[(u16, f64)] = &[
    (502, 15.0),
    (110, 8.5),
    (116, 4.8),
    (133, 4.5),
    (141, 4.6),
    (111, 3.4),
    (344, 3.2),
    (304, 3.2),
    (309, 3.0),
    (122, 2.6),
    (303, 2.5),
    (132, 2.3),
    (112, 2.2),
    (136, 2.2),
    (601, 2.2),
    (429, 2.2),
    (143, 2.0),
    (410, 2.0),
    (129, 1.8),
    (138, 1.6),
    (307, 1.4),
    (501, 1.3),
    (131, 1.3),
    (305, 1.3),
    (312, 1.3),
    (327, 1.3),
    (137, 1.2),
    (301, 0.9),
    (127, 0.8),
    (145, 0.8),
    (103, 0.7),
    (244, 0.7),
    (236, 0.6),
    (412, 0.6),
    (215, 0.5),
    (115, 0.5),
    (352, 0.5),
    (413, 0.5),
    (146, 0.45),
    (149, 0.4),
    (114, 0.4),
    (106, 0.4),
    (107, 0.4),
    (434, 0.4),
    (402, 0.4),
    (321, 0.4),
    (609, 0.35),
    (113, 0.3),
    (330, 0.3),
    (331, 0.3),
    (310, 0.3),
    (328, 0.3),
    (347, 0.3),
    (224, 0.3),
    (220, 0.3),
    (432, 0.3),
    (126, 0.25),
    (419, 0.25),
    (247, 0.25),
    (315, 0.2),
    (302, 0.2),
    (306, 0.2),
    (311, 0.2),
    (201, 0.2),
    (232, 0.2),
    (217, 0.2),
    (118, 0.2),
    (130, 0.2),
    (117, 0.2),
    (423, 0.2),
    (340, 0.2),
    (202, 0.15),
    (134, 0.15),
    (124, 0.15),
    (418, 0.15),
    (119, 0.15),
];

/// Countries of the data set: the majors first, then the long tail, then
/// 701 (unknown) and the codes missing from the reference table.
pub fn countries(n: usize, seed: u64) -> Vec<CountryDef> {
    let r = Reference::get();
    let mut rng = Rng::derive(seed, "countries", 0);
    let unknown = if n >= 100 { 2 } else { 1 };
    let reserved = 1 + unknown;
    let n_known = n.saturating_sub(reserved).max(1);
    let mut out: Vec<CountryDef> = Vec::new();
    let from_ref = |code: u16, weight: f64| {
        let c = &r.countries[&PartnerCode(code)];
        CountryDef {
            code: c.code,
            name_zh: c.name_zh.clone(),
            name_en: c.name_en.clone(),
            weight,
        }
    };
    for &(code, w) in MAJORS.iter().take(n_known) {
        if r.countries.contains_key(&PartnerCode(code)) {
            out.push(from_ref(code, w));
        }
    }
    // The long tail: other real codes (not China itself, not the
    // "other"/unknown/special codes), drawn at random.
    let mut tail: Vec<u16> = r
        .countries
        .keys()
        .map(|c| c.0)
        .filter(|&c| !(c == 142 || c >= 700 || c % 100 == 99 || MAJORS.iter().any(|m| m.0 == c)))
        .collect();
    while out.len() < n_known && !tail.is_empty() {
        let i = rng.below(tail.len() as u64) as usize;
        let code = tail.swap_remove(i);
        let w = rng.log_uniform(0.01, 0.15);
        out.push(from_ref(code, w));
    }
    out.push(from_ref(701, 0.03));
    for &(code, zh, en) in UNKNOWN_PARTNERS.iter().take(unknown) {
        debug_assert!(!r.countries.contains_key(&PartnerCode(code)));
        out.push(CountryDef {
            code: PartnerCode(code),
            name_zh: zh.to_string(),
            name_en: en.to_string(),
            weight: 0.08,
        });
    }
    out
}

/// Well-known export codes, used first when the table has them (with a
/// monthly global value range in yuan).
const FAMOUS: &[(&str, f64, f64)] = &[
    ("85171300", 3.0e10, 6.0e10), // 智能手机
    ("84713010", 8.0e9, 1.5e10),  // 平板电脑
    ("84713090", 1.2e10, 2.5e10), // 笔记本电脑
    ("85076000", 1.0e10, 2.5e10), // 锂离子蓄电池
    ("09021090", 1.0e8, 3.0e8),   // 绿茶
    ("07032010", 2.0e8, 6.0e8),   // 蒜头
    ("85414300", 1.0e10, 2.0e10), // 光伏组件
    ("87038000", 4.0e9, 1.2e10),  // 纯电动乘用车
    ("85176299", 6.0e9, 1.2e10),
    ("84715040", 2.0e9, 5.0e9),
    ("94036090", 2.0e9, 4.0e9),
    ("94033000", 5.0e8, 1.5e9),
    ("94017100", 1.0e9, 3.0e9),
    ("61102000", 1.0e9, 3.0e9),
    ("61103000", 1.5e9, 3.5e9),
    ("62044300", 4.0e8, 1.0e9),
    ("95030089", 2.0e9, 5.0e9),
    ("95030021", 2.0e8, 6.0e8),
    ("64029910", 5.0e8, 1.5e9),
    ("42022200", 1.0e9, 2.5e9),
    ("39269090", 3.0e9, 6.0e9),
    ("73089000", 1.0e9, 3.0e9),
    ("84151021", 1.0e9, 3.0e9),
    ("84182110", 5.0e8, 1.5e9),
    ("85163200", 3.0e8, 8.0e8),
    ("85167100", 2.0e8, 6.0e8),
    ("94052100", 5.0e8, 1.5e9),
    ("87089990", 2.0e9, 5.0e9),
    ("87120030", 3.0e8, 9.0e8),
    ("40111000", 1.5e9, 3.5e9),
    ("76061220", 8.0e8, 2.0e9),
    ("72085100", 6.0e8, 1.8e9),
    ("30049090", 6.0e8, 1.5e9),
    ("29242990", 4.0e8, 1.0e9),
    ("08081000", 2.0e8, 5.0e8), // 苹果
    ("03061730", 1.0e8, 3.0e8),
    ("16041419", 1.0e8, 3.0e8),
    ("12019011", 2.0e6, 8.0e6), // 非转基因黄大豆 (the real sample's code)
    ("12019020", 2.0e6, 6.0e6), // 黑大豆，种用除外
    ("05040011", 5.0e7, 1.5e8),
    ("06031900", 1.0e7, 4.0e7),
    ("01061990", 2.0e6, 8.0e6),
    ("02071411", 3.0e7, 9.0e7),
    ("04090000", 4.0e7, 1.2e8),
];

/// Chapters that matter more in China's exports (drawn more often).
fn chapter_weight(ch: u32) -> f64 {
    match ch {
        84 | 85 => 8.0,
        39 | 61 | 62 | 63 | 73 | 87 | 90 | 94 | 95 => 4.0,
        3 | 7 | 16 | 20 | 28 | 29 | 40 | 42 | 44 | 48 | 54 | 55 | 60 | 64 | 69 | 70 | 72 | 76
        | 82 | 83 | 96 => 2.0,
        77 | 98 | 99 => 0.0,
        _ => 1.0,
    }
}

/// Yuan per first unit (log-uniform range) by unit.
fn price_range(unit1: &str, ch: u32) -> (f64, f64) {
    match unit1 {
        "千克" if ch <= 24 => (3.0, 120.0),
        "千克" if (84..=92).contains(&ch) => (20.0, 600.0),
        "千克" => (4.0, 200.0),
        "克" | "克拉" => (1.0, 400.0),
        "台" => (80.0, 20000.0),
        "辆" => (300.0, 200000.0),
        "艘" | "架" => (2.0e5, 5.0e7),
        "件" | "套" => (15.0, 600.0),
        "个" | "只" | "支" | "把" | "块" | "片" => (1.0, 300.0),
        "双" => (15.0, 300.0),
        "米" | "条" => (3.0, 200.0),
        "平方米" => (10.0, 300.0),
        "升" | "千升" => (5.0, 3000.0),
        "头" | "株" => (20.0, 20000.0),
        _ => (5.0, 2000.0),
    }
}

/// Unit price and second-quantity ratio ranges for well-known headings
/// (yuan per first unit; second unit per first unit).
type Ranges = ((f64, f64), (f64, f64));
fn heading_units(code: HsCode) -> Option<Ranges> {
    let heading = code.0 / 10_000;
    Some(match heading {
        8517 => ((300.0, 3000.0), (0.2, 0.6)),
        8471 => ((1000.0, 8000.0), (0.5, 3.0)),
        8703 => ((6.0e4, 2.5e5), (1200.0, 2300.0)),
        8702 | 8704 => ((1.0e5, 6.0e5), (3000.0, 12000.0)),
        8711 => ((2000.0, 15000.0), (80.0, 200.0)),
        8712 => ((150.0, 1500.0), (10.0, 20.0)),
        8415 => ((1000.0, 5000.0), (25.0, 80.0)),
        8418 => ((800.0, 5000.0), (30.0, 100.0)),
        8450 => ((600.0, 3000.0), (40.0, 80.0)),
        8528 => ((500.0, 4000.0), (5.0, 25.0)),
        8541 => ((2.0, 1200.0), (0.01, 25.0)),
        6101..=6117 | 6201..=6217 => ((15.0, 150.0), (0.15, 0.8)),
        6401..=6405 => ((30.0, 150.0), (1.0, 3.0)),
        9503 => ((2.0, 100.0), (0.05, 1.0)),
        9401 | 9403 => ((100.0, 1500.0), (5.0, 60.0)),
        _ => return None,
    })
}

/// Second quantity per first quantity (log-uniform range).
fn ratio2_range(unit1: &str, unit2: &str) -> (f64, f64) {
    match (unit1, unit2) {
        ("台", "千克") => (0.3, 400.0),
        ("辆", "千克") => (10.0, 2000.0),
        ("艘" | "架", "千克") => (1.0e3, 1.0e6),
        ("个" | "只" | "支" | "把" | "块" | "片", "千克") => (0.005, 3.0),
        ("件" | "套" | "双", "千克") => (0.1, 2.0),
        ("米" | "条", "千克") => (0.05, 5.0),
        ("千克", "头" | "株") => (0.002, 0.2),
        ("千克", "个" | "只" | "件" | "双" | "条" | "张" | "把") => (0.2, 20.0),
        ("千克", "平方米") => (0.5, 20.0),
        ("千克", "米") => (0.5, 50.0),
        ("千克", "升") => (0.8, 1.2),
        ("千克", "立方米") => (0.001, 0.003),
        _ => (0.05, 20.0),
    }
}

/// About `k` markets: each country is included independently with
/// probability `1 - exp(-lambda * w)`, `lambda` chosen so that the expected
/// count is `k`. Big markets are (nearly) always among a broad product's
/// destinations; a narrow product reaches a few, mostly big, markets.
fn pick_markets(weights: &[f64], k: usize, rng: &mut Rng) -> Vec<usize> {
    let expected = |lambda: f64| -> f64 { weights.iter().map(|w| 1.0 - exp(-lambda * w)).sum() };
    let (mut lo, mut hi) = (0.0, 1.0);
    while expected(hi) < k as f64 && hi < 1e6 {
        hi *= 2.0;
    }
    for _ in 0..60 {
        let mid = (lo + hi) / 2.0;
        if expected(mid) < k as f64 {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    let lambda = hi;
    let mut out: Vec<usize> = weights
        .iter()
        .enumerate()
        .filter(|(_, w)| rng.chance(1.0 - exp(-lambda * **w)))
        .map(|(i, _)| i)
        .collect();
    if out.is_empty() {
        out.push(rng.weighted(weights));
    }
    out
}

/// One line, single spaces (a few reference names hold line breaks).
fn clean(name: &str) -> String {
    name.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Products of the data set with their series parameters.
pub fn products(
    n: usize,
    countries: &[CountryDef],
    first: Month,
    months: u32,
    seed: u64,
) -> Vec<ProductDef> {
    let r = Reference::get();
    let mut rng = Rng::derive(seed, "products", 0);
    let usable = |code: &HsCode| {
        r.products
            .get(code)
            .is_some_and(|p| p.unit1.is_some() && !p.name_zh.is_empty())
    };
    // The famous codes first (as many as fit in a third of the set).
    let mut chosen: Vec<(HsCode, Option<(f64, f64)>)> = Vec::new();
    let famous_cap = (n / 3).max(8).min(n);
    for &(code, lo, hi) in FAMOUS {
        if chosen.len() >= famous_cap {
            break;
        }
        let code = HsCode::parse(code).expect("8-digit code");
        if usable(&code) {
            chosen.push((code, Some((lo, hi))));
        }
    }
    // Then codes drawn by chapter, favouring short names (files stay small).
    let mut by_chapter: std::collections::BTreeMap<u32, Vec<HsCode>> = Default::default();
    for code in r.products.keys() {
        if usable(code) && !chosen.iter().any(|c| c.0 == *code) {
            by_chapter
                .entry(code.0 / 1_000_000)
                .or_default()
                .push(*code);
        }
    }
    let chapters: Vec<u32> = by_chapter.keys().copied().collect();
    let weights: Vec<f64> = chapters.iter().map(|c| chapter_weight(*c)).collect();
    let mut guard = 0;
    while chosen.len() < n && guard < 100_000 {
        guard += 1;
        let ch = chapters[rng.weighted(&weights)];
        let list = by_chapter.get_mut(&ch).expect("chapter");
        if list.is_empty() {
            continue;
        }
        let i = rng.below(list.len() as u64) as usize;
        let code = list[i];
        let name_len = r.products[&code].name_zh.chars().count();
        if name_len > 18 && rng.chance(0.85) {
            continue;
        }
        list.swap_remove(i);
        chosen.push((code, None));
    }
    chosen.sort_by_key(|c| c.0);

    let first_idx = first.index();
    let last_idx = first_idx + months as i64 - 1;
    let country_weights: Vec<f64> = countries.iter().map(|c| c.weight).collect();
    // Markets are drawn with flattened weights, so the long tail gets some.
    let pick_weights: Vec<f64> = country_weights.iter().map(|w| powf(*w, 0.55)).collect();
    let max_markets = countries.len().min(24);

    let mut out = Vec::with_capacity(chosen.len());
    for (code, famous) in chosen {
        let p = &r.products[&code];
        let mut rng = Rng::derive(seed, "product", code.0 as u64);
        let ch = code.0 / 1_000_000;
        // Size: famous codes are large; others log-uniform with a heavy tail.
        let u = rng.unit();
        let base = match famous {
            Some((lo, hi)) => rng.log_uniform(lo, hi),
            None => 2.0e5 * exp(u * u * ln(2.0e9 / 2.0e5)),
        };
        // Number of markets grows with size.
        let size_pos = (ln(base) - ln(2.0e5)) / (ln(6.0e10) - ln(2.0e5));
        let k_f = 1.0
            + powf(size_pos.clamp(0.001, 1.0), 2.2)
                * (max_markets as f64 - 1.0)
                * if famous.is_some() {
                    rng.range(0.75, 1.0)
                } else {
                    rng.range(0.35, 1.0)
                };
        let k = (k_f.round() as usize).clamp(1, max_markets);
        let idx = pick_markets(&pick_weights, k, &mut rng);
        let raw: Vec<f64> = idx
            .iter()
            .map(|&c| country_weights[c] * rng.noise(0.8))
            .collect();
        let total: f64 = raw.iter().sum();
        let max_share = raw.iter().cloned().fold(0.0, f64::max) / total;
        let mut markets = Vec::with_capacity(k);
        for (&c, w) in idx.iter().zip(&raw) {
            let share = w / total;
            let rel = share / max_share;
            // Big flows trade every month, small ones now and then.
            let expected = (base * share).max(1.0);
            let mut p_active = (0.08 + 0.92 * (ln(expected) - ln(5.0e4)) / (ln(1.0e9) - ln(5.0e4)))
                .clamp(0.08, 1.0);
            if rel >= 1.0 {
                // A product's main market trades in most months.
                p_active = p_active.max(0.5);
            }
            let sigma = 0.1 + 0.3 * (1.0 - powf(rel, 0.4));
            // Some smaller markets open late or close early.
            let (mut s, mut e) = (first_idx, last_idx);
            let small = expected < 1.0e8 && rel < 1.0;
            let (open_late, close_early) = (rng.chance(0.12), rng.chance(0.06));
            let (at_open, at_close) = (rng.below(months as u64), rng.below(months as u64));
            if small && open_late {
                s = first_idx + at_open as i64;
            }
            if small && close_early {
                e = first_idx + at_close as i64;
            }
            if e < s {
                std::mem::swap(&mut s, &mut e);
            }
            markets.push(Market {
                country: c,
                share,
                p_active,
                sigma,
                start: s,
                end: e,
            });
        }
        // Lifetime: some products start late (after the first two years),
        // some stop; famous codes and chapters 01-09 run throughout.
        let (mut start, mut end) = (first_idx, last_idx);
        let steady = famous.is_some() || ch <= 9;
        let roll = rng.unit();
        if !steady && roll < 0.08 && months > 30 {
            let lo = first_idx + 24;
            let hi = last_idx - 6;
            start = lo + rng.below((hi - lo + 1).max(1) as u64) as i64;
        } else if !steady && roll < 0.14 && months > 24 {
            let lo = first_idx + 12;
            let hi = last_idx - 8;
            end = lo + rng.below((hi - lo + 1).max(1) as u64) as i64;
        }
        let hot = matches!(code.0 / 10000, 8507 | 8541 | 8703);
        let growth = if hot {
            rng.range(0.25, 0.6)
        } else if rng.chance(0.2) {
            rng.range(-0.35, -0.05)
        } else {
            rng.range(-0.08, 0.25)
        };
        let unit1 = p.unit1.clone().expect("usable");
        let unit2 = p.unit2.clone();
        let special = heading_units(code);
        let (plo, phi) = special.map_or_else(|| price_range(&unit1, ch), |s| s.0);
        let price = rng.log_uniform(plo, phi);
        let ratio2 = match (&unit2, special) {
            (Some(_), Some((_, (lo, hi)))) => rng.log_uniform(lo, hi),
            (Some(u2), None) if u2 == "千克" && unit1 != "千克" => {
                // Weight follows value: yuan per kilogram of the goods.
                (price / rng.log_uniform(15.0, 600.0)).max(0.001)
            }
            (Some(u2), None) => {
                let (lo, hi) = ratio2_range(&unit1, u2);
                rng.log_uniform(lo, hi)
            }
            (None, _) => 0.0,
        };
        let xmas = matches!(ch, 95) || code.0 / 10000 == 9405 || rng.chance(0.03);
        out.push(ProductDef {
            code,
            name_zh: clean(&p.name_zh),
            name_en: clean(&p.name_en),
            unit1,
            unit2,
            base,
            growth,
            start,
            end,
            season_amp: rng.range(0.6, 1.4),
            xmas,
            price,
            ratio2,
            markets,
            old_name: None,
        });
    }
    // Every destination gets at least one product (the long tail, 701 and
    // the unknown codes included), with a small share.
    for (c, country) in countries.iter().enumerate() {
        let covered = out.iter().any(|p| {
            p.markets
                .iter()
                .any(|m| m.country == c && m.end - m.start >= 12 && m.p_active >= 0.2)
        });
        if covered || out.is_empty() {
            continue;
        }
        let mut rng = Rng::derive(seed, "orphan", country.code.0 as u64);
        // Products that export throughout the period.
        let steady: Vec<usize> = (0..out.len())
            .filter(|&i| out[i].start == first_idx && out[i].end == last_idx)
            .collect();
        if steady.is_empty() {
            continue;
        }
        for _ in 0..2 {
            let i = steady[rng.below(steady.len() as u64) as usize];
            let p = &mut out[i];
            if let Some(m) = p.markets.iter_mut().find(|m| m.country == c) {
                m.start = first_idx;
                m.end = last_idx;
                m.p_active = m.p_active.max(0.4);
                continue;
            }
            p.markets.push(Market {
                country: c,
                share: rng.range(0.002, 0.02),
                p_active: rng.range(0.4, 0.7),
                sigma: 0.4,
                start: first_idx,
                end: last_idx,
            });
        }
    }
    out
}
