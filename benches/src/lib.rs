//! A deterministic national-scale generator of China customs export
//! bulletins, for the benchmarks (docs/performance.md).
//!
//! National scale is about 25,000 8-digit HS codes (the 8,957 of the HS 2023
//! reference table plus synthetic codes under real 6-digit headings, as the
//! national tariff's sub-items are) x 48 months x the destinations each
//! product actually reaches: about 22 million non-zero (month, code,
//! partner) facts. The rows are written as the platform's Chinese-header CSV
//! (UTF-8 here, every field quoted, thousands separators, `?` for no second
//! unit, a trailing comma), one file per month in a release folder
//! `<YYYY-MM-20 of the next month>/export_<YYYYMM>.csv`, the way a bulk user
//! splits queries that would overflow the platform's 10,000-row cap.
//!
//! Everything comes from one seed through splitmix64 streams derived per
//! (code) and per (code, month), so any month can be written on its own (in
//! parallel, or as the "new month" of an incremental run) and the same
//! arguments always give byte-identical files.
//!
//! The shape, per product:
//! - a monthly scale, log-normal (median ~1.5 million yuan, a few codes
//!   above 10 billion a month);
//! - a set of destinations (log-normal count, median 24, capped at 220)
//!   drawn without replacement from partner weights (the big markets first,
//!   a long tail, and 701), each with a share (heavy-tailed) and a
//!   probability of trading in a given month (high for the main markets,
//!   0.2-0.6 in the tail: the sparsity of the real data);
//! - a trend, a seasonal pattern (Chinese New Year dip, year-end rise) and
//!   monthly noise; 5% of the codes start during the period, 3% stop.

use cnexport_core::reference::Reference;
use cnexport_core::{HsCode, Month, PartnerCode};
use cnexport_testkit::rng::{mix, SplitMix64, GOLDEN};
use std::collections::{BTreeMap, BTreeSet};
use std::io::{self, Write};

/// The number of 8-digit codes at national scale.
pub const NATIONAL_CODES: usize = 25_000;
/// The number of months at national scale.
pub const NATIONAL_MONTHS: u32 = 48;

/// Draws on the shared splitmix64 stream.
#[derive(Debug, Clone)]
pub struct Rng(SplitMix64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(SplitMix64::new(seed))
    }

    /// An independent stream for (label, a, b).
    pub fn derive(seed: u64, label: u64, a: u64, b: u64) -> Rng {
        Rng::new(mix(
            mix(mix(seed ^ label.wrapping_mul(GOLDEN)) ^ a) ^ b.wrapping_add(GOLDEN)
        ))
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0.next_u64()
    }

    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        self.0.unit()
    }

    /// Uniform in [0, n).
    pub fn below(&mut self, n: u64) -> u64 {
        ((self.next_u64() as u128 * n as u128) >> 64) as u64
    }

    pub fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    /// Approximately standard normal (Irwin-Hall, 4 uniforms, rescaled).
    pub fn normal(&mut self) -> f64 {
        let s = self.unit() + self.unit() + self.unit() + self.unit();
        (s - 2.0) * 1.732_050_807_568_877_2
    }
}

/// One destination of a product.
#[derive(Debug, Clone)]
pub struct Market {
    pub partner: usize,
    pub share: f64,
    pub p_active: f64,
}

/// One 8-digit product.
#[derive(Debug, Clone)]
pub struct Product {
    pub code: HsCode,
    pub name: String,
    pub unit1: String,
    pub unit2: Option<String>,
    /// Median monthly value in yuan.
    pub scale: f64,
    /// Yuan per first unit.
    pub price: f64,
    /// Second quantity per first quantity.
    pub ratio2: f64,
    /// Yearly growth.
    pub growth: f64,
    /// How strongly the common seasonal pattern applies.
    pub season: f64,
    /// Active month indexes: [start, end].
    pub start: u32,
    pub end: u32,
    pub markets: Vec<Market>,
}

/// One destination.
#[derive(Debug, Clone)]
pub struct Partner {
    pub code: PartnerCode,
    pub name: String,
}

/// The generated world: products and partners.
#[derive(Debug, Clone)]
pub struct National {
    pub seed: u64,
    pub first: Month,
    pub months: u32,
    pub partners: Vec<Partner>,
    pub products: Vec<Product>,
}

/// The big markets of China's exports and their relative weights.
const MAJORS: &[(u16, f64)] = &[
    (502, 10.0), // 美国
    (110, 7.0),  // 中国香港
    (116, 4.0),  // 日本
    (133, 3.8),  // 韩国
    (141, 3.6),  // 越南
    (111, 3.2),  // 印度
    (304, 3.0),  // 德国
    (344, 2.6),  // 俄罗斯联邦
    (309, 2.4),  // 荷兰
    (136, 2.2),  // 泰国
    (122, 2.2),  // 马来西亚
    (303, 2.1),  // 英国
    (112, 2.0),  // 印度尼西亚
    (132, 1.9),  // 新加坡
    (601, 1.8),  // 澳大利亚
    (429, 1.8),  // 墨西哥
    (129, 1.7),  // 菲律宾
    (143, 1.6),  // 中国台湾
    (305, 1.6),  // 法国
    (138, 1.5),  // 阿联酋
    (410, 1.5),  // 巴西
    (501, 1.4),  // 加拿大
    (131, 1.3),  // 沙特阿拉伯
    (307, 1.3),  // 意大利
    (137, 1.1),  // 土耳其
    (312, 1.1),  // 西班牙
    (327, 1.0),  // 波兰
    (127, 0.9),  // 巴基斯坦
    (106, 0.6),  // 缅甸
];

fn partners(seed: u64) -> (Vec<Partner>, Vec<f64>) {
    let r = Reference::get();
    let mut rng = Rng::derive(seed, 1, 0, 0);
    let mut out = Vec::new();
    let mut weights = Vec::new();
    let mut seen = BTreeSet::new();
    for &(code, w) in MAJORS {
        if let Some(c) = r.countries.get(&PartnerCode(code)) {
            out.push(Partner {
                code: c.code,
                name: c.name_zh.clone(),
            });
            weights.push(w);
            seen.insert(code);
        }
    }
    for c in r.countries.values() {
        let code = c.code.0;
        // Not China itself, not the special 7xx/x99 codes (701 is added below).
        if seen.contains(&code) || code == 142 || code >= 700 || code % 100 == 99 {
            continue;
        }
        out.push(Partner {
            code: c.code,
            name: c.name_zh.clone(),
        });
        // Long tail: log-uniform 0.005..0.6.
        weights.push(0.005 * (120f64).powf(rng.unit()));
    }
    if let Some(c) = r.countries.get(&PartnerCode(701)) {
        out.push(Partner {
            code: c.code,
            name: c.name_zh.clone(),
        });
        weights.push(0.05);
    }
    (out, weights)
}

/// The 8-digit codes: the reference table's, then synthetic codes under the
/// same 6-digit headings (free two-digit suffixes), `n` in all, sorted. When
/// `n` is below the full national count, an evenly spaced subset of the
/// national list is taken, so every chapter stays represented.
pub fn codes(n: usize, seed: u64) -> Vec<(HsCode, Option<HsCode>)> {
    let r = Reference::get();
    let real: Vec<HsCode> = r.products.keys().copied().collect();
    let total = NATIONAL_CODES.max(n).max(real.len());
    let mut used: BTreeSet<u32> = real.iter().map(|c| c.0).collect();
    // (code, the real sibling it copies names and units from)
    let mut all: Vec<(HsCode, Option<HsCode>)> = real.iter().map(|c| (*c, None)).collect();
    let mut rng = Rng::derive(seed, 2, 0, 0);
    let mut guard = 0u64;
    while all.len() < total {
        let sibling = real[rng.below(real.len() as u64) as usize];
        let prefix = sibling.0 / 100;
        let candidate = prefix * 100 + 1 + rng.below(98) as u32;
        if used.insert(candidate) {
            all.push((HsCode(candidate), Some(sibling)));
        }
        guard += 1;
        assert!(guard < 100_000_000, "cannot find free HS codes");
    }
    all.sort_by_key(|c| c.0);
    if n >= all.len() {
        return all;
    }
    (0..n).map(|i| all[i * all.len() / n]).collect()
}

impl National {
    /// The products and partners of a national data set of `codes` codes
    /// over `months` months from `first`.
    pub fn new(seed: u64, codes_n: usize, first: Month, months: u32) -> National {
        let r = Reference::get();
        let (partners, weights) = partners(seed);
        let total_w: f64 = weights.iter().sum();
        let mut products = Vec::with_capacity(codes_n);
        for (code, sibling) in codes(codes_n, seed) {
            let mut rng = Rng::derive(seed, 3, code.0 as u64, 0);
            let known = r.products.get(&sibling.unwrap_or(code));
            let name = match (known, sibling) {
                (Some(p), None) => p.name_zh.clone(),
                (Some(p), Some(_)) => format!("{}（其他规格{:02}）", p.name_zh, code.0 % 100),
                (None, _) => format!("商品{code}"),
            };
            let unit1 = known
                .and_then(|p| p.unit1.clone())
                .unwrap_or_else(|| "千克".to_string());
            let unit2 = known.and_then(|p| p.unit2.clone()).filter(|u| *u != unit1);
            let scale = (14.2 + 2.3 * rng.normal()).exp();
            let price = (3.0 + 1.8 * rng.normal()).exp().max(0.05);
            let ratio2 = (0.5 * rng.normal()).exp();
            let growth = 0.04 + 0.12 * rng.normal();
            let season = 0.4 + 1.2 * rng.unit();
            let (mut start, mut end) = (0, months - 1);
            if rng.chance(0.05) {
                start = rng.below(months as u64) as u32;
            }
            if rng.chance(0.03) {
                end = (start + rng.below((months - start) as u64) as u32).min(months - 1);
            }
            // Destinations: a log-normal count, drawn by weight without
            // replacement (rejection on the cumulative weights).
            let want = ((24.5f64).ln() + 0.9 * rng.normal()).exp().round() as usize;
            let want = want.clamp(1, 220).min(partners.len());
            let mut chosen: Vec<usize> = Vec::with_capacity(want);
            let mut taken = vec![false; partners.len()];
            let mut tries = 0;
            while chosen.len() < want && tries < want * 50 {
                tries += 1;
                let mut x = rng.unit() * total_w;
                let mut i = 0;
                while i + 1 < weights.len() && x >= weights[i] {
                    x -= weights[i];
                    i += 1;
                }
                if !taken[i] {
                    taken[i] = true;
                    chosen.push(i);
                }
            }
            let mut markets: Vec<Market> = chosen
                .iter()
                .map(|&i| Market {
                    partner: i,
                    share: weights[i] * (1.1 * rng.normal()).exp(),
                    p_active: 0.0,
                })
                .collect();
            markets.sort_by(|a, b| b.share.total_cmp(&a.share));
            let sum: f64 = markets.iter().map(|m| m.share).sum();
            for (rank, m) in markets.iter_mut().enumerate() {
                m.share /= sum;
                m.p_active = if rank < 3 {
                    0.97
                } else {
                    0.2 + 0.4 * rng.unit() + 0.35 * (-(rank as f64) / 12.0).exp()
                };
            }
            // Partner order inside a code: by partner code (the file order).
            markets.sort_by_key(|m| partners[m.partner].code);
            products.push(Product {
                code,
                name,
                unit1,
                unit2,
                scale,
                price,
                ratio2,
                growth,
                season,
                start,
                end,
                markets,
            });
        }
        National {
            seed,
            first,
            months,
            partners,
            products,
        }
    }

    /// The month of index `t` (0-based).
    pub fn month(&self, t: u32) -> Month {
        self.first.plus(t as i64)
    }

    /// The rows of month `t`, in (code, partner) order, passed to `f`.
    pub fn for_each_row(&self, t: u32, mut f: impl FnMut(&Product, &Partner, &Values)) {
        let m = self.month(t);
        let season_base = base_season(m);
        for p in &self.products {
            let mut rng = Rng::derive(self.seed, 4, p.code.0 as u64, t as u64);
            let shock = (0.08 * rng.normal()).exp();
            if t < p.start || t > p.end {
                continue;
            }
            let years = t as f64 / 12.0;
            let trend = (1.0 + p.growth).max(0.2).powf(years);
            let season = season_base.powf(p.season);
            let total = p.scale * trend * season * shock;
            let price = p.price * 1.03f64.powf(years) * (0.05 * rng.normal()).exp();
            for mk in &p.markets {
                let active = rng.chance(mk.p_active);
                let noise = (0.45 * rng.normal()).exp();
                if !active {
                    continue;
                }
                let value = (total * mk.share * noise).round();
                if value < 1.0 {
                    continue;
                }
                let value = value as i64;
                let q1 = ((value as f64 / price).round() as i64).max(1);
                let q2 = if p.unit2.is_some() {
                    ((q1 as f64 * p.ratio2).round() as i64).max(1)
                } else {
                    0
                };
                f(p, &self.partners[mk.partner], &Values { value, q1, q2 });
            }
        }
    }

    /// The number of facts month `t` has.
    pub fn count_rows(&self, t: u32) -> u64 {
        let mut n = 0;
        self.for_each_row(t, |_, _, _| n += 1);
        n
    }

    /// The relative path of month `t`'s file: released around the 20th of
    /// the next month.
    pub fn file_name(&self, t: u32) -> String {
        let m = self.month(t);
        let r = m.plus(1);
        format!(
            "{:04}-{:02}-20/export_{}.csv",
            r.year(),
            r.month(),
            m.yyyymm()
        )
    }

    /// Writes month `t` as the platform's Chinese-header CSV (UTF-8).
    /// Returns the number of data rows.
    pub fn write_month_csv(&self, t: u32, out: &mut impl Write) -> io::Result<u64> {
        out.write_all(CSV_HEADER.as_bytes())?;
        let month = self.month(t).yyyymm().to_string();
        let mut line = String::with_capacity(256);
        let mut n = 0u64;
        let mut err = Ok(());
        self.for_each_row(t, |p, c, v| {
            if err.is_err() {
                return;
            }
            line.clear();
            csv_row(&mut line, &month, p, c, v);
            err = out.write_all(line.as_bytes());
            n += 1;
        });
        err?;
        Ok(n)
    }

    /// Month `t` as CSV bytes.
    pub fn month_csv(&self, t: u32) -> Vec<u8> {
        let mut v = Vec::new();
        self.write_month_csv(t, &mut v).expect("writing to memory");
        v
    }
}

/// The values of one row.
#[derive(Debug, Clone, Copy)]
pub struct Values {
    pub value: i64,
    pub q1: i64,
    pub q2: i64,
}

/// The header of a platform CSV (Chinese interface, RMB, 分月展示).
pub use cnexport_testkit::bulletin::CSV_HEADER;

fn csv_row(line: &mut String, month: &str, p: &Product, c: &Partner, v: &Values) {
    line.push('"');
    line.push_str(month);
    line.push_str("\",\"");
    push_padded(line, c.code.0 as u64, 3);
    line.push_str("\",\"");
    line.push_str(&c.name);
    line.push_str("\",\"");
    push_padded(line, p.code.0 as u64, 8);
    line.push_str("\",\"");
    line.push_str(&p.name);
    line.push_str("\",\"");
    push_thousands(line, v.q1);
    line.push_str("\",\"");
    line.push_str(&p.unit1);
    line.push_str("\",\"");
    push_thousands(line, v.q2);
    line.push_str("\",\"");
    line.push_str(p.unit2.as_deref().unwrap_or("?"));
    line.push_str("\",\"");
    push_thousands(line, v.value);
    line.push_str("\",\n");
}

fn push_padded(s: &mut String, n: u64, width: usize) {
    let digits = n.to_string();
    for _ in digits.len()..width {
        s.push('0');
    }
    s.push_str(&digits);
}

/// `16536067327` -> `16,536,067,327`.
pub fn push_thousands(s: &mut String, n: i64) {
    let digits = n.unsigned_abs().to_string();
    if n < 0 {
        s.push('-');
    }
    let len = digits.len();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (len - i).is_multiple_of(3) {
            s.push(',');
        }
        s.push(ch);
    }
}

/// The common seasonal factor of a month (Chinese New Year dip in
/// January-February, Golden Week in October, year-end rise).
pub fn base_season(m: Month) -> f64 {
    match m.month() {
        1 => 0.92,
        2 => 0.66,
        3 => 0.93,
        4 => 0.98,
        5 => 1.00,
        6 => 1.03,
        7 => 1.05,
        8 => 1.06,
        9 => 1.08,
        10 => 0.99,
        11 => 1.07,
        _ => 1.16,
    }
}

/// The merged facts of a data set, in (code, partner, month) order, as
/// transform takes them (for the criterion benches: no files involved).
pub fn monthly_facts(n: &National) -> Vec<cnexport_core::MonthlyFact> {
    let mut facts = Vec::new();
    for t in 0..n.months {
        let month = n.month(t);
        n.for_each_row(t, |p, c, v| {
            facts.push(cnexport_core::MonthlyFact {
                month,
                hs_code: p.code,
                partner: c.code,
                value: v.value,
                quantity1: v.q1,
                unit1: Some(cnexport_core::Sym::new(&p.unit1)),
                quantity2: v.q2,
                unit2: p.unit2.as_deref().map(cnexport_core::Sym::new),
                first_value: v.value,
                source_file: t,
            })
        });
    }
    facts.sort_unstable_by_key(|f| (f.hs_code, f.partner, f.month));
    facts
}

/// Product names as the bulletins give them.
pub fn product_names(n: &National) -> BTreeMap<HsCode, String> {
    n.products
        .iter()
        .map(|p| (p.code, p.name.clone()))
        .collect()
}

/// Partner names as the bulletins give them.
pub fn partner_names(n: &National) -> BTreeMap<PartnerCode, String> {
    n.partners
        .iter()
        .map(|p| (p.code, p.name.clone()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands() {
        let mut s = String::new();
        push_thousands(&mut s, 16536067327);
        assert_eq!(s, "16,536,067,327");
        s.clear();
        push_thousands(&mut s, 999);
        assert_eq!(s, "999");
        s.clear();
        push_thousands(&mut s, 1000);
        assert_eq!(s, "1,000");
    }

    #[test]
    fn deterministic_and_distinct_codes() {
        let first = Month::new(2022, 1).unwrap();
        let a = National::new(7, 300, first, 3);
        let b = National::new(7, 300, first, 3);
        assert_eq!(a.month_csv(2), b.month_csv(2));
        let codes: BTreeSet<_> = a.products.iter().map(|p| p.code).collect();
        assert_eq!(codes.len(), 300);
        assert!(a.count_rows(0) > 0);
    }
}
