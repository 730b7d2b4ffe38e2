//! A deterministic generator of realistic China customs export bulletins.
//!
//! It writes the files a user downloads from the customs statistics platform
//! (GB18030 CSV with Chinese headers, English-header CSV, .xlsx, legacy .xls,
//! saved HTML result pages) laid out as release folders
//! `<release date>/<file>`, with chapter-range queries under the 10,000-row
//! cap, an overlapping download, restated months, and files split by
//! registration place or trade mode. Next to the files it returns the ground
//! truth: the final value of every (month, HS code, destination).
//!
//! ```
//! use cnexport_samplegen::{generate, GenConfig};
//! let g = generate(&GenConfig::small(7));
//! assert!(!g.files.is_empty());
//! assert!(g.truth.values().all(|f| f.value > 0));
//! ```
//!
//! The same config always gives byte-identical files (own PRNG, own `exp`/`ln`,
//! fixed document properties in the Excel files).

mod catalog;
mod layout;
mod readme;
pub mod rng;
mod series;
mod write;
mod xls;

pub use layout::PLATFORM_ROW_CAP;

use cnexport_core::{HsCode, Month, PartnerCode};
use std::collections::BTreeMap;

/// (month, 8-digit HS code, destination).
pub type Key = (Month, HsCode, PartnerCode);

/// What to generate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GenConfig {
    pub seed: u64,
    pub first_month: Month,
    pub months: u32,
    /// Number of 8-digit products.
    pub products: usize,
    /// Number of destinations (including 701 and the codes the reference
    /// table lacks).
    pub countries: usize,
}

impl GenConfig {
    /// The committed `sample_data/`: 202101-202506, ~320 products, ~120
    /// destinations.
    pub fn sample() -> GenConfig {
        GenConfig {
            seed: 20250701,
            first_month: Month::new(2021, 1).expect("month"),
            months: 54,
            products: 320,
            countries: 120,
        }
    }

    /// A small, fast data set for tests: 202201-202504, 60 products, 40
    /// destinations. Other seeds give data the pipeline has never seen.
    pub fn small(seed: u64) -> GenConfig {
        GenConfig {
            seed,
            first_month: Month::new(2022, 1).expect("month"),
            months: 40,
            products: 60,
            countries: 40,
        }
    }

    pub fn last_month(&self) -> Month {
        self.first_month.plus(self.months as i64 - 1)
    }
}

/// The final value of one (month, code, destination), summed over
/// registration places and trade modes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TruthFact {
    pub value: i64,
    pub quantity1: i64,
    pub quantity2: i64,
}

/// One generated file, described.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileInfo {
    pub path: String,
    /// The form, e.g. `CSV, Chinese headers, GB18030, LF`.
    pub form: String,
    /// `csv`, `xlsx`, `xls` or `html`.
    pub extension: String,
    /// Whether the headers (and product names) are Chinese.
    pub chinese_headers: bool,
    /// The optional dimension the file carries: `注册地` or `贸易方式`.
    pub dimension: Option<String>,
    /// What the query was.
    pub what: String,
    pub data_rows: usize,
    pub bytes: usize,
}

/// The generated files and the ground truth.
#[derive(Debug, Clone)]
pub struct Generated {
    /// (relative path with `/` separators, bytes), in release (path) order.
    pub files: Vec<(String, Vec<u8>)>,
    /// The final correct value of every non-zero (month, code, destination),
    /// after all restatements, summed over registration places/trade modes.
    pub truth: BTreeMap<Key, TruthFact>,
    /// Chinese product names as the latest release (path order) that has the
    /// code in a Chinese-header file writes them.
    pub product_names: BTreeMap<HsCode, String>,
    /// Destination names as the Chinese files write them (includes the codes
    /// the reference table lacks).
    pub partner_names: BTreeMap<PartnerCode, String>,
    /// One entry per file, same order as `files`.
    pub manifest: Vec<FileInfo>,
    /// Notes on the arrangement (restated months, overlap, splits) for the
    /// README.
    pub notes: Vec<String>,
}

/// Generates the data set of `cfg`.
pub fn generate(cfg: &GenConfig) -> Generated {
    let countries = catalog::countries(cfg.countries, cfg.seed);
    let mut products = catalog::products(
        cfg.products,
        &countries,
        cfg.first_month,
        cfg.months,
        cfg.seed,
    );
    let truth = series::simulate(&products, &countries, cfg.first_month, cfg.months, cfg.seed);
    let layout = layout::plan(&truth, &mut products, cfg.first_month, cfg.months, cfg.seed);
    let names = write::Names::new(&products, &countries);

    let mut files = Vec::with_capacity(layout.files.len());
    let mut manifest = Vec::with_capacity(layout.files.len());
    let mut product_names = BTreeMap::new();
    let mut partner_names = BTreeMap::new();
    for plan in &layout.files {
        let bytes = write::encode(plan, &names);
        if plan.form.chinese() {
            for row in &plan.rows {
                product_names.insert(row.hs, names.product_name(row.hs, plan));
                partner_names
                    .entry(row.partner)
                    .or_insert_with(|| names.countries[&row.partner].name_zh.clone());
            }
        }
        manifest.push(FileInfo {
            path: plan.path.clone(),
            form: plan.form.describe().to_string(),
            extension: plan.form.extension().to_string(),
            chinese_headers: plan.form.chinese(),
            dimension: match plan.dim {
                layout::Dim::None => None,
                layout::Dim::RegPlace => Some("注册地".to_string()),
                layout::Dim::TradeMode => Some("贸易方式".to_string()),
            },
            what: plan.what.clone(),
            data_rows: plan.rows.len(),
            bytes: bytes.len(),
        });
        files.push((plan.path.clone(), bytes));
    }
    // A code only in English files still gets its Chinese name (reference).
    for k in truth.keys() {
        product_names
            .entry(k.1)
            .or_insert_with(|| names.products[&k.1].name_zh.clone());
        partner_names
            .entry(k.2)
            .or_insert_with(|| names.countries[&k.2].name_zh.clone());
    }
    let notes = readme::notes(&layout, &names);
    Generated {
        files,
        truth,
        product_names,
        partner_names,
        manifest,
        notes,
    }
}

/// The README of a generated directory (Markdown, deterministic).
pub fn readme(cfg: &GenConfig, generated: &Generated) -> String {
    readme::render(cfg, generated)
}
