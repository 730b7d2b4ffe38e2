//! Which file holds which rows: release folders, chapter-range downloads
//! under the 10,000-row cap, the overlapping download, the restatements and
//! the files split by registration place or trade mode.

use crate::catalog::ProductDef;
use crate::rng::Rng;
use crate::{Key, TruthFact};
use cnexport_core::{HsCode, Month};
use std::collections::{BTreeMap, BTreeSet};

/// The platform's download cap.
pub const PLATFORM_ROW_CAP: usize = 10_000;
/// The size of a yearly chapter-range query (rows), well under the cap.
const QUERY_ROWS: usize = 3_000;

/// One data row of a file. `dim` indexes `REG_PLACES` or `TRADE_MODES`
/// according to the file's `Dim`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Row {
    pub month: Month,
    pub hs: HsCode,
    pub partner: cnexport_core::PartnerCode,
    pub dim: Option<usize>,
    pub value: i64,
    pub q1: i64,
    pub q2: i64,
}

/// A column group, in the order the user's grouping puts them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Group {
    Month,
    Partner,
    Product,
    Dim,
}

/// The form a file is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Form {
    /// GB18030, Chinese headers.
    ZhCsv {
        crlf: bool,
    },
    /// English headers, UTF-8 with BOM (re-saved by a user).
    EnCsvUtf8Bom,
    /// English headers, GB18030, with the platform's `Supplimentary` spelling.
    EnCsvGb18030,
    Xlsx,
    Xls,
    Html,
}

impl Form {
    pub fn extension(self) -> &'static str {
        match self {
            Form::ZhCsv { .. } | Form::EnCsvUtf8Bom | Form::EnCsvGb18030 => "csv",
            Form::Xlsx => "xlsx",
            Form::Xls => "xls",
            Form::Html => "html",
        }
    }

    /// Whether the headers (and so the product names) are Chinese.
    pub fn chinese(self) -> bool {
        !matches!(self, Form::EnCsvUtf8Bom | Form::EnCsvGb18030)
    }

    pub fn describe(self) -> &'static str {
        match self {
            Form::ZhCsv { crlf: false } => "CSV, Chinese headers, GB18030, LF",
            Form::ZhCsv { crlf: true } => "CSV, Chinese headers, GB18030, CRLF",
            Form::EnCsvUtf8Bom => "CSV, English headers, UTF-8 with BOM, CRLF",
            Form::EnCsvGb18030 => "CSV, English headers (`Supplimentary`), GB18030, LF",
            Form::Xlsx => "Excel .xlsx, numeric cells (HS codes lose the leading zero)",
            Form::Xls => "legacy Excel .xls (BIFF8), numeric cells",
            Form::Html => "saved HTML result page, UTF-8",
        }
    }
}

/// The optional dimension a file carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dim {
    None,
    RegPlace,
    TradeMode,
}

/// Domestic registration places (province codes) with their weight.
pub const REG_PLACES: &[(&str, &str, f64)] = &[
    ("11", "北京", 0.05),
    ("12", "天津", 0.03),
    ("13", "河北", 0.03),
    ("21", "辽宁", 0.02),
    ("31", "上海", 0.10),
    ("32", "江苏", 0.15),
    ("33", "浙江", 0.15),
    ("35", "福建", 0.07),
    ("37", "山东", 0.09),
    ("41", "河南", 0.02),
    ("42", "湖北", 0.02),
    ("44", "广东", 0.22),
    ("50", "重庆", 0.03),
    ("51", "四川", 0.03),
];

/// Trade modes with their weight.
pub const TRADE_MODES: &[(&str, &str, f64)] = &[
    ("10", "一般贸易", 0.60),
    ("14", "来料加工装配贸易", 0.10),
    ("15", "进料加工贸易", 0.30),
];

#[derive(Debug, Clone)]
pub struct FilePlan {
    /// Relative path, `<release date>/<name>`.
    pub path: String,
    pub form: Form,
    pub groups: Vec<Group>,
    pub dim: Dim,
    /// Older releases wrote some product names differently.
    pub old_names: bool,
    /// A readable description of the query.
    pub what: String,
    pub rows: Vec<Row>,
}

/// The whole arrangement, with what the README reports.
#[derive(Debug, Clone, Default)]
pub struct Layout {
    pub files: Vec<FilePlan>,
    pub reg_slice: Option<(u32, u32)>,
    pub mode_slice: Option<(u32, u32)>,
    pub overlap: Option<(Vec<u32>, u32)>,
    pub yearbook: Option<(u32, u32)>,
    pub restated_months: Vec<Month>,
    /// Keys whose earlier release differs: (changed, added late).
    pub revised_counts: (usize, usize),
    pub renamed: Vec<HsCode>,
}

fn chapter(hs: HsCode) -> u32 {
    hs.0 / 1_000_000
}

/// Release date of a month's official figures: around the 20th of the next
/// month, January and February together in March.
pub fn release_date(m: Month) -> String {
    match m.month() {
        1 | 2 => format!("{}-03-20", m.year()),
        12 => format!("{}-01-20", m.year() + 1),
        mm => format!("{}-{:02}-20", m.year(), mm + 1),
    }
}

/// A preliminary value for a key that a later release restates: `None` when
/// the key was reported late (absent from the earlier release).
type Prelim = Option<TruthFact>;

struct Revisions {
    /// key -> (path of the revising file, preliminary value)
    map: BTreeMap<Key, (String, Prelim)>,
    changed: usize,
    added: usize,
}

impl Revisions {
    fn add(&mut self, keys: &[Key], truth: &BTreeMap<Key, TruthFact>, path: &str, rng: &mut Rng) {
        for k in keys {
            let f = truth[k];
            let roll = rng.unit();
            let prelim = if roll < 0.03 {
                self.added += 1;
                None
            } else if roll < 0.16 {
                self.changed += 1;
                let delta = rng.range(0.005, 0.08) * if rng.chance(0.6) { -1.0 } else { 1.0 };
                let scale = |x: i64| -> i64 {
                    if x == 0 {
                        0
                    } else {
                        ((x as f64 * (1.0 + delta)).round() as i64).max(1)
                    }
                };
                let mut value = scale(f.value);
                if value == f.value {
                    value += 1;
                }
                Some(TruthFact {
                    value,
                    quantity1: scale(f.quantity1),
                    quantity2: scale(f.quantity2),
                })
            } else {
                continue;
            };
            self.map.insert(*k, (path.to_string(), prelim));
        }
    }

    /// The value a file at `path` writes for `k` (None: the row is absent).
    fn value_at(&self, k: &Key, truth: &BTreeMap<Key, TruthFact>, path: &str) -> Option<TruthFact> {
        match self.map.get(k) {
            Some((rev_path, prelim)) if path < rev_path.as_str() => *prelim,
            _ => Some(truth[k]),
        }
    }
}

/// Splits keys into chapter ranges (one query each) of at most `cap` rows;
/// a chapter larger than that is split into month ranges. Returns
/// (label, keys) with labels like `ch01-24` or `ch85_m01-06`.
fn chapter_queries(keys: &[Key], cap: usize) -> Vec<(String, Vec<Key>)> {
    let mut by_ch: BTreeMap<u32, Vec<Key>> = BTreeMap::new();
    for k in keys {
        by_ch.entry(chapter(k.1)).or_default().push(*k);
    }
    let mut out = Vec::new();
    let mut cur: Vec<Key> = Vec::new();
    let mut cur_first = 0;
    let mut cur_last = 0;
    let label = |a: u32, b: u32| {
        if a == b {
            format!("ch{a:02}")
        } else {
            format!("ch{a:02}-{b:02}")
        }
    };
    for (ch, ks) in by_ch {
        if ks.len() > cap {
            if !cur.is_empty() {
                out.push((label(cur_first, cur_last), std::mem::take(&mut cur)));
            }
            // Split by months.
            let months: BTreeSet<Month> = ks.iter().map(|k| k.0).collect();
            let months: Vec<Month> = months.into_iter().collect();
            let parts = ks.len().div_ceil(cap) + 1;
            let per = months.len().div_ceil(parts).max(1);
            for chunk in months.chunks(per) {
                let set: BTreeSet<Month> = chunk.iter().copied().collect();
                let part: Vec<Key> = ks.iter().filter(|k| set.contains(&k.0)).copied().collect();
                let (a, b) = (chunk[0], chunk[chunk.len() - 1]);
                out.push((
                    format!("ch{ch:02}_m{:02}-{:02}", a.month(), b.month()),
                    part,
                ));
            }
            continue;
        }
        if !cur.is_empty() && cur.len() + ks.len() > cap {
            out.push((label(cur_first, cur_last), std::mem::take(&mut cur)));
        }
        if cur.is_empty() {
            cur_first = ch;
        }
        cur_last = ch;
        cur.extend(ks);
    }
    if !cur.is_empty() {
        out.push((label(cur_first, cur_last), cur));
    }
    out
}

/// Splits a fact across registration places or trade modes: distinct
/// entries, integer parts that add up exactly, every value part >= 1.
fn split_fact(f: TruthFact, table: &[(&str, &str, f64)], rng: &mut Rng) -> Vec<(usize, TruthFact)> {
    let max_parts = table.len().min(4) as u64;
    let want = match rng.unit() {
        x if x < 0.25 => 1,
        x if x < 0.6 => 2,
        x if x < 0.85 => 3,
        _ => 4,
    }
    .min(max_parts) as usize;
    let n = want.min(f.value.max(1) as usize).max(1);
    let weights: Vec<f64> = table.iter().map(|t| t.2).collect();
    let mut idx = rng.weighted_distinct(&weights, n);
    idx.sort_unstable();
    let fr: Vec<f64> = idx
        .iter()
        .map(|&i| weights[i] * rng.range(0.3, 1.7))
        .collect();
    let total: f64 = fr.iter().sum();
    let split = |x: i64, min_each: i64| -> Vec<i64> {
        let mut parts: Vec<i64> = fr
            .iter()
            .map(|w| ((x as f64 * w / total).floor() as i64).max(min_each))
            .collect();
        let mut sum: i64 = parts.iter().sum();
        // Settle the difference on the largest parts.
        while sum != x {
            let (i, _) = parts
                .iter()
                .enumerate()
                .max_by_key(|(i, p)| (**p, std::cmp::Reverse(*i)))
                .expect("parts");
            if sum > x {
                let room = (parts[i] - min_each).min(sum - x);
                parts[i] -= room;
                sum -= room;
                if room == 0 {
                    break;
                }
            } else {
                parts[i] += x - sum;
                sum = x;
            }
        }
        parts
    };
    let v = split(f.value, 1);
    let q1 = split(f.quantity1, 0);
    let q2 = split(f.quantity2, 0);
    idx.iter()
        .enumerate()
        .map(|(j, &i)| {
            (
                i,
                TruthFact {
                    value: v[j],
                    quantity1: q1[j],
                    quantity2: q2[j],
                },
            )
        })
        .collect()
}

/// Column orders (the platform follows the user's grouping order).
const ORDERS: [[Group; 3]; 4] = [
    [Group::Month, Group::Partner, Group::Product],
    [Group::Month, Group::Product, Group::Partner],
    [Group::Product, Group::Month, Group::Partner],
    [Group::Partner, Group::Product, Group::Month],
];

pub fn plan(
    truth: &BTreeMap<Key, TruthFact>,
    products: &mut [ProductDef],
    first: Month,
    months: u32,
    seed: u64,
) -> Layout {
    let last = first.plus(months as i64 - 1);
    let final_year = last.year();
    let complete_years: Vec<u32> = (first.year()..final_year).collect();
    let final_months: Vec<Month> = (0..months as i64)
        .map(|i| first.plus(i))
        .filter(|m| m.year() == final_year)
        .collect();
    let keys_all: Vec<Key> = truth.keys().copied().collect();
    let year_keys = |y: u32| -> Vec<Key> {
        keys_all
            .iter()
            .filter(|k| k.0.year() == y)
            .copied()
            .collect()
    };
    let rows_by_chapter = |ks: &[Key]| -> BTreeMap<u32, usize> {
        let mut m = BTreeMap::new();
        for k in ks {
            *m.entry(chapter(k.1)).or_insert(0) += 1;
        }
        m
    };
    let pick_chapter =
        |counts: &BTreeMap<u32, usize>, prefer: &[u32], exclude: &[u32], max: usize| {
            prefer
                .iter()
                .copied()
                .find(|c| !exclude.contains(c) && (40..=max).contains(counts.get(c).unwrap_or(&0)))
                .or_else(|| {
                    counts
                        .iter()
                        .filter(|(c, n)| !exclude.contains(c) && **n <= max)
                        .max_by_key(|(c, n)| (**n, std::cmp::Reverse(**c)))
                        .map(|(c, _)| *c)
                })
        };

    let mut layout = Layout::default();

    // --- Slices that only a split file covers.
    let reg_year = complete_years.get(1).or(complete_years.first()).copied();
    let mode_year = complete_years.get(2).or(complete_years.last()).copied();
    let reg_slice = reg_year.and_then(|y| {
        let counts = rows_by_chapter(&year_keys(y));
        pick_chapter(&counts, &[61, 62, 64, 42, 63, 95, 39], &[], 2_400).map(|c| (y, c))
    });
    let mode_slice = mode_year.and_then(|y| {
        let counts = rows_by_chapter(&year_keys(y));
        let ex: Vec<u32> = reg_slice.iter().map(|s| s.1).collect();
        pick_chapter(&counts, &[94, 95, 73, 39, 96, 83, 40], &ex, 3_300).map(|c| (y, c))
    });
    let split_chapters: Vec<u32> = reg_slice
        .iter()
        .chain(mode_slice.iter())
        .map(|s| s.1)
        .collect();
    let in_split = |k: &Key| {
        reg_slice.is_some_and(|(y, c)| k.0.year() == y && chapter(k.1) == c)
            || mode_slice.is_some_and(|(y, c)| k.0.year() == y && chapter(k.1) == c)
    };
    layout.reg_slice = reg_slice;
    layout.mode_slice = mode_slice;

    // --- Restatements.
    let mut revisions = Revisions {
        map: BTreeMap::new(),
        changed: 0,
        added: 0,
    };
    let mut rng = Rng::derive(seed, "layout", 0);
    // The release of the last month restates the three months before it.
    let restated: Vec<Month> = (1..=3)
        .rev()
        .map(|i| last.minus(i))
        .filter(|m| *m >= first)
        .collect();
    let last_release = release_date(last);
    let revised_path = match (restated.first(), restated.last()) {
        (Some(a), Some(b)) => Some(format!("{last_release}/export_{a}-{b}_revised.csv")),
        _ => None,
    };
    let restated_keys: Vec<Key> = keys_all
        .iter()
        .filter(|k| restated.contains(&k.0) && !in_split(k))
        .copied()
        .collect();
    if let Some(p) = &revised_path {
        revisions.add(&restated_keys, truth, p, &mut rng);
    }
    layout.restated_months = restated.clone();
    // The yearbook restates one chapter of the last complete year.
    let yearbook = complete_years.last().and_then(|&y| {
        let ks: Vec<Key> = year_keys(y)
            .into_iter()
            .filter(|k| !restated.contains(&k.0))
            .collect();
        let counts = rows_by_chapter(&ks);
        pick_chapter(&counts, &[85, 84], &split_chapters, 3_000).map(|c| (y, c))
    });
    let yearbook_path =
        yearbook.map(|(y, c)| format!("{}-06-28/export_{y}_ch{c:02}_yearbook.csv", y + 1));
    let yearbook_keys: Vec<Key> = match yearbook {
        Some((y, c)) => keys_all
            .iter()
            .filter(|k| {
                k.0.year() == y && chapter(k.1) == c && !restated.contains(&k.0) && !in_split(k)
            })
            .copied()
            .collect(),
        None => Vec::new(),
    };
    if let Some(p) = &yearbook_path {
        revisions.add(&yearbook_keys, truth, p, &mut rng);
    }
    layout.yearbook = yearbook;
    layout.revised_counts = (revisions.changed, revisions.added);

    // --- Renamed products: older releases wrote ASCII punctuation.
    let first_monthly_release = final_months.first().map(|m| release_date(*m));
    if first_monthly_release.is_some() {
        let mut active_final: BTreeSet<HsCode> = BTreeSet::new();
        let mut active_before: BTreeSet<HsCode> = BTreeSet::new();
        for k in &keys_all {
            if k.0.year() == final_year {
                active_final.insert(k.1);
            } else {
                active_before.insert(k.1);
            }
        }
        for p in products.iter_mut() {
            if layout.renamed.len() >= 8 {
                break;
            }
            if p.name_zh.contains('，')
                && active_final.contains(&p.code)
                && active_before.contains(&p.code)
            {
                let old = p
                    .name_zh
                    .replace('，', ",")
                    .replace('（', "(")
                    .replace('）', ")");
                p.old_name = Some(old);
                layout.renamed.push(p.code);
            }
        }
    }
    let old_names_for = |path: &str| first_monthly_release.as_deref().is_some_and(|r| path < r);

    let mut files: Vec<FilePlan> = Vec::new();
    let make_rows = |ks: &[Key], path: &str| -> Vec<Row> {
        ks.iter()
            .filter_map(|k| {
                revisions.value_at(k, truth, path).map(|f| Row {
                    month: k.0,
                    hs: k.1,
                    partner: k.2,
                    dim: None,
                    value: f.value,
                    q1: f.quantity1,
                    q2: f.quantity2,
                })
            })
            .collect()
    };
    let mut order_counter = 0usize;
    let mut next_zh = |crlf: Option<bool>| -> (Form, Vec<Group>) {
        order_counter += 1;
        let groups = ORDERS[order_counter % ORDERS.len()].to_vec();
        let crlf = crlf.unwrap_or(order_counter % 3 == 1);
        (Form::ZhCsv { crlf }, groups)
    };

    // --- Annual downloads, one chapter-range query per file.
    let mut annual_idx: Vec<(u32, usize)> = Vec::new();
    for &y in &complete_years {
        let ks: Vec<Key> = year_keys(y).into_iter().filter(|k| !in_split(k)).collect();
        for (label, part) in chapter_queries(&ks, QUERY_ROWS) {
            let path_stem = format!("{}-01-20/export_{y}_{label}", y + 1);
            let (form, groups) = next_zh(None);
            let rows = make_rows(&part, &path_stem);
            annual_idx.push((y, files.len()));
            files.push(FilePlan {
                path: path_stem,
                form,
                groups,
                dim: Dim::None,
                old_names: false,
                what: format!("year {y}, chapters {}", label.trim_start_matches("ch")),
                rows,
            });
        }
    }

    // --- Split files.
    for (slice, dim, table, suffix, groups) in [
        (
            reg_slice,
            Dim::RegPlace,
            REG_PLACES,
            "by_province",
            vec![Group::Month, Group::Product, Group::Partner, Group::Dim],
        ),
        (
            mode_slice,
            Dim::TradeMode,
            TRADE_MODES,
            "by_trade_mode",
            vec![Group::Month, Group::Dim, Group::Product, Group::Partner],
        ),
    ] {
        let Some((y, c)) = slice else { continue };
        let mut rng = Rng::derive(seed, suffix, y as u64 * 100 + c as u64);
        let mut rows = Vec::new();
        for k in keys_all
            .iter()
            .filter(|k| k.0.year() == y && chapter(k.1) == c)
        {
            for (i, f) in split_fact(truth[k], table, &mut rng) {
                rows.push(Row {
                    month: k.0,
                    hs: k.1,
                    partner: k.2,
                    dim: Some(i),
                    value: f.value,
                    q1: f.quantity1,
                    q2: f.quantity2,
                });
            }
        }
        let what = match dim {
            Dim::RegPlace => format!("year {y}, chapter {c:02}, by registration place (注册地)"),
            _ => format!("year {y}, chapter {c:02}, by trade mode (贸易方式)"),
        };
        files.push(FilePlan {
            path: format!("{}-01-20/export_{y}_ch{c:02}_{suffix}", y + 1),
            form: Form::ZhCsv {
                crlf: dim == Dim::TradeMode,
            },
            groups,
            dim,
            old_names: false,
            what,
            rows,
        });
    }

    // --- An overlapping download: one chapter over two years that the
    // annual files already hold (same keys, same values).
    let overlap_years: Vec<u32> = match complete_years.len() {
        0 | 1 => Vec::new(),
        2 => vec![complete_years[0]],
        n => complete_years[1..n - 1].iter().take(2).copied().collect(),
    };
    if let (Some(&y0), Some(&y1)) = (overlap_years.first(), overlap_years.last()) {
        let ks: Vec<Key> = keys_all
            .iter()
            .filter(|k| overlap_years.contains(&k.0.year()) && !in_split(k))
            .copied()
            .collect();
        let counts = rows_by_chapter(&ks);
        if let Some(c) = pick_chapter(&counts, &[84, 85, 87], &split_chapters, 6_000) {
            let ks: Vec<Key> = ks.into_iter().filter(|k| chapter(k.1) == c).collect();
            let years = if y0 == y1 {
                format!("{y0}")
            } else {
                format!("{y0}-{y1}")
            };
            let path = format!("{}-02-15/export_{years}_ch{c:02}", y1 + 1);
            let rows = make_rows(&ks, &path);
            layout.overlap = Some((overlap_years.clone(), c));
            files.push(FilePlan {
                path,
                form: Form::ZhCsv { crlf: false },
                groups: ORDERS[1].to_vec(),
                dim: Dim::None,
                old_names: false,
                what: format!(
                    "{} {years}, chapter {c:02}: a second query over data already downloaded",
                    if y0 == y1 { "year" } else { "years" }
                ),
                rows,
            });
        }
    }

    // --- Monthly releases of the final year.
    let mut releases: BTreeMap<String, Vec<Month>> = BTreeMap::new();
    for m in &final_months {
        releases.entry(release_date(*m)).or_default().push(*m);
    }
    let mut monthly_idx: Vec<usize> = Vec::new();
    for (date, ms) in &releases {
        let ks: Vec<Key> = keys_all
            .iter()
            .filter(|k| ms.contains(&k.0))
            .copied()
            .collect();
        let span = match (ms.first(), ms.last()) {
            (Some(a), Some(b)) if a != b => format!("{a}-{b}"),
            (Some(a), _) => format!("{a}"),
            _ => continue,
        };
        let queries = if ks.len() > 9_000 {
            chapter_queries(&ks, 9_000)
        } else {
            vec![(String::new(), ks)]
        };
        for (label, part) in queries {
            let stem = if label.is_empty() {
                format!("{date}/export_{span}")
            } else {
                format!("{date}/export_{span}_{label}")
            };
            let (form, groups) = next_zh(None);
            let rows = make_rows(&part, &stem);
            monthly_idx.push(files.len());
            files.push(FilePlan {
                path: stem,
                form,
                groups,
                dim: Dim::None,
                old_names: false,
                what: format!(
                    "months {span} (monthly release){}",
                    if label.is_empty() {
                        String::new()
                    } else {
                        format!(", {label}")
                    }
                ),
                rows,
            });
        }
    }

    // --- The restating files.
    if let Some(p) = &revised_path {
        let rows = make_rows(&restated_keys, p);
        files.push(FilePlan {
            path: p.trim_end_matches(".csv").to_string(),
            form: Form::ZhCsv { crlf: false },
            groups: ORDERS[0].to_vec(),
            dim: Dim::None,
            old_names: false,
            what: format!(
                "months {}-{} again, restated with the release of {last}",
                restated[0],
                restated[restated.len() - 1]
            ),
            rows,
        });
    }
    if let (Some(p), Some((y, c))) = (&yearbook_path, yearbook) {
        let rows = make_rows(&yearbook_keys, p);
        files.push(FilePlan {
            path: p.trim_end_matches(".csv").to_string(),
            form: Form::ZhCsv { crlf: true },
            groups: ORDERS[1].to_vec(),
            dim: Dim::None,
            old_names: false,
            what: format!("year {y}, chapter {c:02} again, final yearbook figures"),
            rows,
        });
    }

    // --- Forms: every form at least once.
    let mut taken: BTreeSet<usize> = BTreeSet::new();
    fn assign(
        files: &mut [FilePlan],
        taken: &mut BTreeSet<usize>,
        candidates: &[usize],
        form: Form,
        groups: Option<[Group; 3]>,
    ) {
        if let Some(&i) = candidates.iter().find(|i| !taken.contains(i)) {
            taken.insert(i);
            files[i].form = form;
            if let Some(g) = groups {
                files[i].groups = g.to_vec();
            }
        }
    }
    let annual_of = |y: Option<u32>| -> Vec<usize> {
        annual_idx
            .iter()
            .filter(|(yy, _)| Some(*yy) == y)
            .map(|(_, i)| *i)
            .collect()
    };
    let mut fallback: Vec<usize> = annual_of(complete_years.last().copied());
    fallback.reverse();
    // .xlsx: the first chapter range of the first year (chapters 01-09 lose
    // their leading zero there).
    let mut c = annual_of(complete_years.first().copied());
    c.extend(&fallback);
    assign(&mut files, &mut taken, &c, Form::Xlsx, Some(ORDERS[0]));
    // English headers (longer names): the smallest chapter range of the
    // second year (GB18030, misspelt) and of the third year (UTF-8 BOM).
    let sizes: Vec<usize> = files.iter().map(|f| f.rows.len()).collect();
    let smallest_first = |mut v: Vec<usize>| -> Vec<usize> {
        v.sort_by_key(|i| (sizes[*i], *i));
        v
    };
    let mut c = smallest_first(annual_of(complete_years.get(1).copied()));
    c.extend(&fallback);
    assign(
        &mut files,
        &mut taken,
        &c,
        Form::EnCsvGb18030,
        Some(ORDERS[1]),
    );
    let mut c = smallest_first(annual_of(
        complete_years.get(2).or(complete_years.last()).copied(),
    ));
    c.extend(&fallback);
    assign(
        &mut files,
        &mut taken,
        &c,
        Form::EnCsvUtf8Bom,
        Some(ORDERS[1]),
    );
    // The monthly releases: CSV (CRLF), then .xls, then HTML.
    if let Some(&i) = monthly_idx.first() {
        files[i].form = Form::ZhCsv { crlf: true };
        taken.insert(i);
    }
    let mut c: Vec<usize> = monthly_idx.iter().skip(1).copied().collect();
    c.extend(&fallback);
    assign(&mut files, &mut taken, &c, Form::Xls, Some(ORDERS[1]));
    let mut c: Vec<usize> = monthly_idx.iter().skip(2).copied().collect();
    c.extend(&fallback);
    assign(&mut files, &mut taken, &c, Form::Html, Some(ORDERS[0]));

    // --- Final touches: extensions, names, row order.
    for f in &mut files {
        f.path = format!("{}.{}", f.path, f.form.extension());
        f.old_names = old_names_for(&f.path);
        if !f.form.chinese() {
            // The English interface has its own fixed order.
            f.groups = ORDERS[1].to_vec();
        }
        let groups = f.groups.clone();
        f.rows.sort_by(|a, b| {
            let key = |r: &Row| -> Vec<u64> {
                let mut v = Vec::with_capacity(4);
                // Like the real files: month first, then product, then partner.
                let order: Vec<Group> = if groups[0] == Group::Month {
                    vec![Group::Month, Group::Product, Group::Partner, Group::Dim]
                } else {
                    let mut g = groups.clone();
                    if !g.contains(&Group::Dim) {
                        g.push(Group::Dim);
                    }
                    g
                };
                for g in order {
                    v.push(match g {
                        Group::Month => r.month.yyyymm() as u64,
                        Group::Product => r.hs.0 as u64,
                        Group::Partner => r.partner.0 as u64,
                        Group::Dim => r.dim.map_or(0, |d| d as u64 + 1),
                    });
                }
                v
            };
            key(a).cmp(&key(b))
        });
        assert!(
            f.rows.len() <= PLATFORM_ROW_CAP,
            "{} has {} rows",
            f.path,
            f.rows.len()
        );
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    layout.files = files;
    layout
}
