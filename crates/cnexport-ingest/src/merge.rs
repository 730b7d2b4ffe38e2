//! The overlap rule: one fact per (month, HS code, country), nothing counted
//! twice, the later release winning.
//!
//! Files are applied in release order (the order given, by default the sort
//! order of their paths). Within a (month, code, country) cell, a file's rows
//! are keyed by the optional dimensions the file carries (registration place,
//! trade mode):
//!
//! - when a later file carries the same dimensions, it replaces the earlier
//!   rows key by key (so per-province downloads add up, and a restated
//!   province replaces only itself);
//! - when it carries different dimensions (a national total after a
//!   per-province file, or the reverse), the earlier rows of that cell cannot
//!   be matched key by key, so the later file replaces the whole cell.
//!
//! A key that arrives again in a later file is a *duplicate*; a duplicate
//! whose value differs is a *revision*. The optional dimensions are then
//! summed away.

use cnexport_core::tables::{FactSummary, SummaryFlags};
#[cfg(test)]
use cnexport_core::Sym;
use cnexport_core::{Fact, HeaderLanguage, HsCode, Month, MonthlyFact, ParsedFile, PartnerCode};
use rayon::prelude::*;
use std::collections::BTreeMap;

/// Per-file reconciliation of the merge.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FileMergeStats {
    /// Rows of this file later replaced by a later release.
    pub rows_superseded: u64,
    /// Their value.
    pub value_superseded: i128,
}

/// A cell whose value changed between releases.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revision {
    pub month: Month,
    pub hs_code: HsCode,
    pub partner: PartnerCode,
    pub old_value: i64,
    pub new_value: i64,
    pub old_file: usize,
    pub new_file: usize,
}

/// The merged facts and what the merge did.
#[derive(Debug, Clone, Default)]
pub struct Merged {
    /// Sorted by (HS code, partner, month).
    pub facts: Vec<MonthlyFact>,
    pub files: Vec<FileMergeStats>,
    /// Keys (rows) that arrived again in a later file.
    pub duplicate_keys: u64,
    /// Duplicates whose value changed.
    pub revised_keys: u64,
    /// Cells whose value changed, in (month, code, partner) order.
    pub revisions: Vec<Revision>,
    /// Chinese product names: from Chinese-header files, the latest release wins.
    pub product_names: BTreeMap<HsCode, String>,
    /// Partner names as the files give them, the latest release wins.
    pub partner_names: BTreeMap<PartnerCode, String>,
    /// Months, codes and partners of `facts`, gathered while writing them.
    pub summary: FactSummary,
}

/// A row's optional dimensions (registration place, trade mode), compared
/// as `(Option<String>, Option<String>)` would be.
type DimKey<'a> = (Option<&'a str>, Option<&'a str>);

fn dim_key(f: &Fact) -> DimKey<'_> {
    (f.reg_place.as_deref(), f.trade_mode.as_deref())
}

/// One row of a cell: the fact and the file it came from.
#[derive(Clone, Copy)]
struct Entry<'a> {
    fact: &'a Fact,
    file: usize,
}

/// A cell's current rows, sorted by dimension key (a cell almost always
/// holds one row, so a sorted vector beats a map).
struct Cell<'a> {
    dims: (bool, bool),
    entries: Vec<Entry<'a>>,
    first_value: i64,
}

impl<'a> Cell<'a> {
    fn total(&self) -> i64 {
        self.entries.iter().map(|e| e.fact.value).sum()
    }

    /// Inserts or replaces by dimension key; returns the replaced entry.
    fn insert(&mut self, entry: Entry<'a>) -> Option<Entry<'a>> {
        let key = dim_key(entry.fact);
        match self.entries.binary_search_by(|e| dim_key(e.fact).cmp(&key)) {
            Ok(i) => Some(std::mem::replace(&mut self.entries[i], entry)),
            Err(i) => {
                self.entries.insert(i, entry);
                None
            }
        }
    }

    /// The rows of one file for a new cell content (a later row with the
    /// same dimension key replaces an earlier one, uncounted).
    fn fresh(dims: (bool, bool), rows: &[Entry<'a>]) -> Cell<'a> {
        let mut cell = Cell {
            dims,
            entries: Vec::with_capacity(rows.len()),
            first_value: 0,
        };
        for e in rows {
            cell.insert(*e);
        }
        cell
    }
}

/// What one stretch of cells contributed (merged in order afterwards).
#[derive(Default)]
struct Part {
    facts: Vec<MonthlyFact>,
    flags: SummaryFlags,
    files: Vec<FileMergeStats>,
    duplicate_keys: u64,
    revised_keys: u64,
    revisions: Vec<Revision>,
}

/// A row's place: (code, partner, month, file, row in the file).
type RowKey = (HsCode, PartnerCode, Month, u32, u32);

/// Applies the overlap rule to files given in release order.
///
/// Every row is indexed by (code, partner, month, file, row) and the index
/// is sorted, so each cell's rows come together in release order and the
/// facts come out in their final order; cells are processed in parallel
/// stretches whose results are concatenated in order (the same result for
/// any thread count).
pub fn merge(files: &[ParsedFile]) -> Merged {
    let mut merged = Merged {
        files: vec![FileMergeStats::default(); files.len()],
        ..Merged::default()
    };
    let total: usize = files.iter().map(|f| f.facts.len()).sum();
    let mut index: Vec<RowKey> = Vec::with_capacity(total);
    for (fi, file) in files.iter().enumerate() {
        for (ri, f) in file.facts.iter().enumerate() {
            index.push((f.hs_code, f.partner, f.month, fi as u32, ri as u32));
        }
    }
    // Files are mostly sorted runs (a month each): the stable sort finds
    // and merges them; keys are unique, so the order is the same.
    index.par_sort();

    // Stretches of whole cells (about 4 per thread, at least 64k rows).
    let parts_wanted = (rayon::current_num_threads() * 4).max(1);
    let stretch = (index.len() / parts_wanted).max(1 << 16);
    let mut bounds = vec![0];
    let mut at = 0;
    while at < index.len() {
        let mut end = (at + stretch).min(index.len());
        while end < index.len() && cell_of(&index[end]) == cell_of(&index[end - 1]) {
            end += 1;
        }
        bounds.push(end);
        at = end;
    }
    let parts: Vec<Part> = bounds
        .par_windows(2)
        .map(|w| merge_stretch(files, &index[w[0]..w[1]]))
        .collect();
    drop(index);
    merged.facts = Vec::with_capacity(parts.iter().map(|p| p.facts.len()).sum());
    let mut flags = SummaryFlags::default();
    for part in parts {
        merged.facts.extend(part.facts);
        flags.absorb(part.flags);
        for (total, s) in merged.files.iter_mut().zip(&part.files) {
            total.rows_superseded += s.rows_superseded;
            total.value_superseded += s.value_superseded;
        }
        merged.duplicate_keys += part.duplicate_keys;
        merged.revised_keys += part.revised_keys;
        merged.revisions.extend(part.revisions);
    }
    for file in files {
        if file.language == HeaderLanguage::Chinese {
            for (code, name) in &file.product_names {
                merged.product_names.insert(*code, name.clone());
            }
        }
        for (code, name) in &file.partner_names {
            merged.partner_names.insert(*code, name.clone());
        }
    }
    // The index was sorted by (code, partner, month): so are the facts.
    merged.summary = flags.finish(true);
    // Stable: a cell's revisions stay in release order.
    merged
        .revisions
        .sort_by_key(|r| (r.month, r.hs_code, r.partner));
    merged
}

fn cell_of(k: &RowKey) -> (HsCode, PartnerCode, Month) {
    (k.0, k.1, k.2)
}

/// Merges the cells of a sorted stretch of the index.
fn merge_stretch<'a>(files: &'a [ParsedFile], index: &[RowKey]) -> Part {
    let mut part = Part {
        files: vec![FileMergeStats::default(); files.len()],
        ..Part::default()
    };
    let entry = |k: &RowKey| Entry {
        fact: &files[k.3 as usize].facts[k.4 as usize],
        file: k.3 as usize,
    };
    let mut rows: Vec<Entry<'a>> = Vec::new();
    let mut i = 0;
    while i < index.len() {
        let key = cell_of(&index[i]);
        let mut end = i + 1;
        while end < index.len() && cell_of(&index[end]) == key {
            end += 1;
        }
        let (hs_code, partner, month) = key;
        if end == i + 1 {
            // One row in one file: the common case.
            let f = entry(&index[i]);
            part.facts.push(MonthlyFact {
                month,
                hs_code,
                partner,
                value: f.fact.value,
                quantity1: f.fact.quantity1,
                unit1: f.fact.unit1,
                quantity2: f.fact.quantity2,
                unit2: f.fact.unit2,
                first_value: f.fact.value,
                source_file: f.file as u32,
            });
            part.flags.add(part.facts.last().expect("just pushed"));
            i = end;
            continue;
        }
        // The cell's rows, file by file in release order.
        let mut cell: Option<Cell<'a>> = None;
        let mut j = i;
        while j < end {
            let file_index = index[j].3 as usize;
            rows.clear();
            while j < end && index[j].3 as usize == file_index {
                rows.push(entry(&index[j]));
                j += 1;
            }
            let file = &files[file_index];
            let dims = (file.has_reg_place, file.has_trade_mode);
            match cell.as_mut() {
                None => {
                    let mut c = Cell::fresh(dims, &rows);
                    c.first_value = c.total();
                    cell = Some(c);
                }
                Some(c) => {
                    let old_total = c.total();
                    let old_file = c.entries.iter().map(|e| e.file).max().unwrap_or(0);
                    if c.dims == dims {
                        for e in &rows {
                            if let Some(old) = c.insert(*e) {
                                part.duplicate_keys += 1;
                                if old.fact.value != e.fact.value {
                                    part.revised_keys += 1;
                                }
                                let stats = &mut part.files[old.file];
                                stats.rows_superseded += 1;
                                stats.value_superseded += old.fact.value as i128;
                            }
                        }
                    } else {
                        part.duplicate_keys += rows.len() as u64;
                        for old in &c.entries {
                            let stats = &mut part.files[old.file];
                            stats.rows_superseded += 1;
                            stats.value_superseded += old.fact.value as i128;
                        }
                        let first_value = c.first_value;
                        *c = Cell::fresh(dims, &rows);
                        c.first_value = first_value;
                        if c.total() != old_total {
                            part.revised_keys += rows.len() as u64;
                        }
                    }
                    let new_total = c.total();
                    if new_total != old_total {
                        part.revisions.push(Revision {
                            month,
                            hs_code,
                            partner,
                            old_value: old_total,
                            new_value: new_total,
                            old_file,
                            new_file: file_index,
                        });
                    }
                }
            }
        }
        let Some(cell) = cell else {
            unreachable!("a cell has rows")
        };
        let mut f = MonthlyFact {
            month,
            hs_code,
            partner,
            value: 0,
            quantity1: 0,
            unit1: None,
            quantity2: 0,
            unit2: None,
            first_value: cell.first_value,
            source_file: 0,
        };
        for e in &cell.entries {
            f.value += e.fact.value;
            f.quantity1 += e.fact.quantity1;
            f.quantity2 += e.fact.quantity2;
            f.unit1 = f.unit1.or(e.fact.unit1);
            f.unit2 = f.unit2.or(e.fact.unit2);
            f.source_file = f.source_file.max(e.file as u32);
        }
        part.flags.add(&f);
        part.facts.push(f);
        i = end;
    }
    part
}

#[cfg(test)]
mod tests {
    use super::*;
    use cnexport_core::{Currency, SourceFormat};

    fn fact(month: u32, hs: u32, partner: u16, reg: Option<&str>, value: i64) -> Fact {
        Fact {
            month: Month::from_yyyymm(month).unwrap(),
            hs_code: HsCode(hs),
            partner: PartnerCode(partner),
            reg_place: reg.map(Sym::from),
            trade_mode: None,
            value,
            quantity1: value / 10,
            unit1: Some("千克".into()),
            quantity2: 0,
            unit2: None,
            line: 2,
        }
    }

    fn file(path: &str, facts: Vec<Fact>) -> ParsedFile {
        ParsedFile {
            path: path.into(),
            sha256: path.into(),
            size: 0,
            format: SourceFormat::Csv,
            language: HeaderLanguage::Chinese,
            encoding: None,
            currency: Currency::Cny,
            has_reg_place: facts.iter().any(|f| f.reg_place.is_some()),
            has_trade_mode: false,
            rows_read: facts.len() as u64,
            facts,
            quarantined: vec![],
            warnings: vec![],
            product_names: vec![],
            partner_names: vec![],
        }
    }

    fn value_of(m: &Merged, month: u32, hs: u32, partner: u16) -> Option<i64> {
        m.facts
            .iter()
            .find(|f| f.month.yyyymm() == month && f.hs_code.0 == hs && f.partner.0 == partner)
            .map(|f| f.value)
    }

    #[test]
    fn later_release_wins_and_nothing_counts_twice() {
        let a = file(
            "2024-02-20/a.csv",
            vec![
                fact(202401, 1, 502, None, 100),
                fact(202401, 1, 116, None, 7),
            ],
        );
        let b = file(
            "2024-03-20/b.csv",
            vec![
                fact(202401, 1, 502, None, 120),
                fact(202401, 1, 116, None, 7),
            ],
        );
        let m = merge(&[a, b]);
        assert_eq!(value_of(&m, 202401, 1, 502), Some(120));
        assert_eq!(value_of(&m, 202401, 1, 116), Some(7));
        assert_eq!(m.facts.len(), 2);
        assert_eq!(m.duplicate_keys, 2);
        assert_eq!(m.revised_keys, 1);
        assert_eq!(m.revisions.len(), 1);
        assert_eq!(m.revisions[0].old_value, 100);
        assert_eq!(m.files[0].rows_superseded, 2);
        assert_eq!(m.files[0].value_superseded, 107);
        let first = m.facts.iter().find(|f| f.partner.0 == 502).unwrap();
        assert_eq!(first.first_value, 100);
    }

    #[test]
    fn province_files_add_up_and_restate_key_by_key() {
        let p11 = file("r1/p11.csv", vec![fact(202401, 1, 502, Some("11"), 10)]);
        let p31 = file("r1/p31.csv", vec![fact(202401, 1, 502, Some("31"), 20)]);
        let p11b = file("r2/p11.csv", vec![fact(202401, 1, 502, Some("11"), 15)]);
        let m = merge(&[p11, p31, p11b]);
        assert_eq!(value_of(&m, 202401, 1, 502), Some(35));
        assert_eq!(m.duplicate_keys, 1);
        assert_eq!(m.revised_keys, 1);
    }

    #[test]
    fn a_later_file_of_other_dimensions_replaces_the_cell() {
        let provinces = file(
            "r1/p.csv",
            vec![
                fact(202401, 1, 502, Some("11"), 10),
                fact(202401, 1, 502, Some("31"), 20),
            ],
        );
        let national = file("r2/n.csv", vec![fact(202401, 1, 502, None, 31)]);
        let m = merge(&[provinces, national]);
        assert_eq!(value_of(&m, 202401, 1, 502), Some(31));
        assert_eq!(m.files[0].value_superseded, 30);
    }

    #[test]
    fn reconciles_per_file() {
        let a = file(
            "a",
            vec![
                fact(202401, 1, 502, None, 100),
                fact(202402, 1, 502, None, 5),
            ],
        );
        let b = file("b", vec![fact(202402, 1, 502, None, 6)]);
        let files = [a, b];
        let m = merge(&files);
        let effective: i128 = files
            .iter()
            .zip(&m.files)
            .map(|(f, s)| f.value_loaded() - s.value_superseded)
            .sum();
        let total: i128 = m.facts.iter().map(|f| f.value as i128).sum();
        assert_eq!(effective, total);
        assert_eq!(total, 106);
    }
}
