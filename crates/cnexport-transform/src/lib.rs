//! Transform: merged monthly facts -> the tables of a build.
//!
//! Input is the normalized facts (one per month, HS code and partner) with
//! the names the bulletins gave; output is a [`Database`] that load writes
//! as-is. Everything is computed with exact integer sums, so the result does
//! not depend on the order of the facts or the number of threads.

pub mod metrics;

use cnexport_core::reference::{Reference, REFERENCE_VERSION};
use cnexport_core::tables::{CountryRow, Database, FactSummary, ProductRow, SummaryFlags};
use cnexport_core::{Bloc, HsCode, Month, MonthlyFact, PartnerCode};
use rayon::prelude::*;
use std::collections::{BTreeMap, BTreeSet};

/// What transform needs from ingest.
#[derive(Debug, Clone, Default)]
pub struct TransformInput {
    /// Merged facts, any order.
    pub facts: Vec<MonthlyFact>,
    /// Chinese product names from the bulletins (latest release wins).
    pub product_names: BTreeMap<HsCode, String>,
    /// Partner names from the bulletins (latest release wins).
    pub partner_names: BTreeMap<PartnerCode, String>,
    /// Extra `meta` entries (input digest, currency...).
    pub meta: Vec<(String, String)>,
    /// The facts' summary, when the caller has it (the merge does); it must
    /// describe `facts` exactly. `None`: computed here.
    pub summary: Option<Summary>,
    /// The least 12-month base (yuan) of a destination's growth ranking
    /// (a code's fastest-growing market).
    pub low_base_threshold: i64,
}

/// [`transform`] without the four metric tables (`hs_base_metrics`,
/// `hs_count_month`, `hs_monthly`, `hs_country_monthly`), which are left
/// empty: [`Metrics::stream`] computes them chapter by chapter, for a load
/// that writes each chapter and frees it (the tables are about 1 GB at
/// national scale).
pub fn transform_without_metrics(input: TransformInput) -> (Database, Metrics) {
    let reference = Reference::get();
    let mut facts = input.facts;
    // The merge's summary when it gave one (facts in order by construction).
    let mut summary = match input.summary {
        Some(s) if s.sorted => s,
        _ => summarize(&facts),
    };
    if !summary.sorted {
        facts.par_sort_unstable_by_key(|f| (f.hs_code, f.partner, f.month));
        summary = summarize(&facts);
    }

    let mut meta = input.meta;
    if let (Some(first), Some(latest)) = (summary.months.first(), summary.months.last()) {
        meta.push(("data_first_month".into(), first.to_string()));
        meta.push(("data_latest_month".into(), latest.to_string()));
        let list: Vec<String> = summary.months.iter().map(Month::to_string).collect();
        meta.push(("data_months".into(), list.join(",")));
    }
    meta.push(("fact_count".into(), facts.len().to_string()));
    meta.push(("code_count".into(), summary.codes.len().to_string()));
    meta.push(("country_count".into(), summary.partners.len().to_string()));
    meta.push(("reference_version".into(), REFERENCE_VERSION.into()));

    let db = Database {
        meta,
        countries: country_rows(reference, &summary.partners, &input.partner_names),
        products: product_rows(reference, &summary.codes, &input.product_names),
        facts,
        ..Database::default()
    };
    let metrics = Metrics {
        summary,
        low_base_threshold: input.low_base_threshold,
    };
    (db, metrics)
}

/// What the metric tables are computed from, besides the facts: see
/// [`transform_without_metrics`].
#[derive(Debug, Clone)]
pub struct Metrics {
    pub summary: Summary,
    pub low_base_threshold: i64,
}

impl Metrics {
    /// The metric tables of `facts` (the database's, in key order), chapter
    /// by chapter in code order, computed as they are asked for.
    pub fn stream<'a>(&self, facts: &'a [MonthlyFact]) -> metrics::ChapterStream<'a> {
        metrics::stream(
            facts,
            &self.summary,
            Reference::get(),
            self.low_base_threshold,
        )
    }
}

/// Builds every table of the database except the per-file ones (source
/// files and quarantine), which the caller adds from the ingest results.
pub fn transform(input: TransformInput) -> Database {
    let (mut db, m) = transform_without_metrics(input);
    let tables = metrics::compute(
        &db.facts,
        &m.summary,
        Reference::get(),
        m.low_base_threshold,
    );
    db.base_metrics = tables.base;
    db.count_month = tables.counts;
    db.monthly = tables.monthly;
    db.country_monthly = tables.country_monthly;
    db
}

/// The summary transform works from (see [`FactSummary`]).
pub type Summary = FactSummary;

/// Computes the summary of facts in one pass, in parallel chunks.
pub fn summarize(facts: &[MonthlyFact]) -> Summary {
    let key = |f: &MonthlyFact| (f.hs_code, f.partner, f.month);
    let chunk = (facts.len() / (rayon::current_num_threads() * 4).max(1)).max(1 << 16);
    let parts: Vec<(SummaryFlags, bool)> = facts
        .par_chunks(chunk)
        .map(|c| {
            let mut flags = SummaryFlags::default();
            let mut sorted = true;
            let mut prev: Option<&MonthlyFact> = None;
            for f in c {
                flags.add(f);
                if let Some(q) = prev {
                    sorted &= key(q) <= key(f);
                }
                prev = Some(f);
            }
            (flags, sorted)
        })
        .collect();
    let mut sorted = parts.iter().all(|p| p.1);
    // Chunk boundaries.
    let mut at = chunk;
    while sorted && at < facts.len() {
        sorted &= key(&facts[at - 1]) <= key(&facts[at]);
        at += chunk;
    }
    let mut all = SummaryFlags::default();
    for (flags, _) in parts {
        all.absorb(flags);
    }
    all.finish(sorted)
}

/// Every reference partner, plus the codes the bulletins use that the table
/// lacks (with the bulletin's name and the continent of the first digit).
fn country_rows(
    reference: &Reference,
    used: &[PartnerCode],
    names: &BTreeMap<PartnerCode, String>,
) -> Vec<CountryRow> {
    let codes: BTreeSet<PartnerCode> = reference
        .countries
        .keys()
        .copied()
        .chain(used.iter().copied())
        .collect();
    codes
        .into_iter()
        .map(|code| {
            let known = reference.countries.get(&code);
            let continent = code.continent();
            CountryRow {
                code: code.to_string(),
                name_zh: known
                    .map(|c| c.name_zh.clone())
                    .or_else(|| names.get(&code).map(|n| clip_name(n)))
                    .unwrap_or_else(|| code.to_string()),
                name_en: known.map(|c| c.name_en.clone()).unwrap_or_default(),
                name_pinyin: String::new(),
                continent_key: continent.map(|c| c.api_key().to_string()),
                continent_zh: continent.map(|c| c.name_zh().to_string()),
                iso3: known.and_then(|c| c.iso3.clone()),
                iso2: known.and_then(|c| c.iso2.clone()),
                m49: known.and_then(|c| c.m49.clone()),
                in_reference: known.is_some(),
                tags: Bloc::ALL
                    .iter()
                    .filter(|b| known.is_some_and(|c| c.blocs.contains(b)))
                    .map(|b| b.api_key().to_string())
                    .collect(),
            }
        })
        .map(|mut row: CountryRow| {
            row.name_pinyin = pinyin_key(&row.name_zh);
            row
        })
        .collect()
}

/// Longest name kept from a bulletin (a broken file can carry megabytes).
const MAX_NAME_CHARS: usize = 200;

fn clip_name(name: &str) -> String {
    if name.chars().count() <= MAX_NAME_CHARS {
        name.to_string()
    } else {
        name.chars()
            .take(MAX_NAME_CHARS - 1)
            .chain(std::iter::once('…'))
            .collect()
    }
}

/// A sort key that orders Chinese names as a pinyin dictionary does:
/// character by character, by syllable then tone; other characters after.
pub fn pinyin_key(name: &str) -> String {
    use pinyin::ToPinyin;
    let mut key = String::new();
    for c in name.chars() {
        match c.to_pinyin() {
            Some(p) => {
                key.push_str(p.plain());
                let tone = p
                    .with_tone_num_end()
                    .chars()
                    .last()
                    .filter(char::is_ascii_digit)
                    .unwrap_or('5');
                key.push(tone);
            }
            None => {
                key.push('~');
                key.push(c);
            }
        }
        key.push(' ');
    }
    key
}

/// The 8-digit codes of the data and of the reference table, and the 2-, 4-
/// and 6-digit roll-ups of the data's codes.
fn product_rows(
    reference: &Reference,
    used: &[HsCode],
    names: &BTreeMap<HsCode, String>,
) -> Vec<ProductRow> {
    let mut rows: BTreeMap<String, ProductRow> = BTreeMap::new();
    for code in reference
        .products
        .keys()
        .copied()
        .chain(used.iter().copied())
    {
        let known = reference.products.get(&code);
        let (name_zh, source) = match (names.get(&code), known) {
            (Some(n), _) => (Some(clip_name(n)), Some("bulletin")),
            (None, Some(p)) => (Some(p.name_zh.clone()), Some("reference")),
            (None, None) => (None, None),
        };
        rows.insert(
            code.to_string(),
            ProductRow {
                code: code.to_string(),
                level: 8,
                name_zh,
                name_en: known.map(|p| p.name_en.clone()),
                name_source: source.map(str::to_string),
            },
        );
    }
    for code in used {
        let text = code.to_string();
        for level in [2u8, 4, 6] {
            let prefix = &text[..level as usize];
            rows.entry(prefix.to_string())
                .or_insert_with(|| ProductRow {
                    code: prefix.to_string(),
                    level,
                    name_zh: None,
                    name_en: None,
                    name_source: None,
                });
        }
    }
    rows.into_values().collect()
}
