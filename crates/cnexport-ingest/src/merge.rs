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

use cnexport_core::{Fact, HeaderLanguage, HsCode, Month, MonthlyFact, ParsedFile, PartnerCode};
use std::collections::{BTreeMap, HashMap};

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
}

type DimKey = (Option<String>, Option<String>);

struct Entry {
    value: i64,
    quantity1: i64,
    unit1: Option<String>,
    quantity2: i64,
    unit2: Option<String>,
    file: usize,
}

struct Cell {
    dims: (bool, bool),
    entries: BTreeMap<DimKey, Entry>,
    first_value: i64,
}

impl Cell {
    fn total(&self) -> i64 {
        self.entries.values().map(|e| e.value).sum()
    }
}

/// Applies the overlap rule to files given in release order.
pub fn merge(files: &[ParsedFile]) -> Merged {
    let mut cells: HashMap<(Month, HsCode, PartnerCode), Cell> = HashMap::new();
    let mut merged = Merged {
        files: vec![FileMergeStats::default(); files.len()],
        ..Merged::default()
    };
    for (file_index, file) in files.iter().enumerate() {
        let dims = (file.has_reg_place, file.has_trade_mode);
        // Group this file's rows by cell first: a file replaces a cell as a whole
        // when its dimensions differ from what the cell holds.
        let mut by_cell: BTreeMap<(Month, HsCode, PartnerCode), Vec<&Fact>> = BTreeMap::new();
        for fact in &file.facts {
            by_cell
                .entry((fact.month, fact.hs_code, fact.partner))
                .or_default()
                .push(fact);
        }
        for (key, rows) in by_cell {
            let new_entries = || {
                rows.iter()
                    .map(|f| {
                        (
                            (f.reg_place.clone(), f.trade_mode.clone()),
                            Entry {
                                value: f.value,
                                quantity1: f.quantity1,
                                unit1: f.unit1.clone(),
                                quantity2: f.quantity2,
                                unit2: f.unit2.clone(),
                                file: file_index,
                            },
                        )
                    })
                    .collect::<Vec<_>>()
            };
            match cells.get_mut(&key) {
                None => {
                    let entries: BTreeMap<_, _> = new_entries().into_iter().collect();
                    let first_value = entries.values().map(|e| e.value).sum();
                    cells.insert(
                        key,
                        Cell {
                            dims,
                            entries,
                            first_value,
                        },
                    );
                }
                Some(cell) => {
                    let old_total = cell.total();
                    let old_file = cell.entries.values().map(|e| e.file).max().unwrap_or(0);
                    if cell.dims == dims {
                        for (dim_key, entry) in new_entries() {
                            let new_value = entry.value;
                            if let Some(old) = cell.entries.insert(dim_key, entry) {
                                merged.duplicate_keys += 1;
                                if old.value != new_value {
                                    merged.revised_keys += 1;
                                }
                                let stats = &mut merged.files[old.file];
                                stats.rows_superseded += 1;
                                stats.value_superseded += old.value as i128;
                            }
                        }
                    } else {
                        merged.duplicate_keys += rows.len() as u64;
                        for old in cell.entries.values() {
                            let stats = &mut merged.files[old.file];
                            stats.rows_superseded += 1;
                            stats.value_superseded += old.value as i128;
                        }
                        cell.entries = new_entries().into_iter().collect();
                        cell.dims = dims;
                        if cell.total() != old_total {
                            merged.revised_keys += rows.len() as u64;
                        }
                    }
                    let new_total = cell.total();
                    if new_total != old_total {
                        merged.revisions.push(Revision {
                            month: key.0,
                            hs_code: key.1,
                            partner: key.2,
                            old_value: old_total,
                            new_value: new_total,
                            old_file,
                            new_file: file_index,
                        });
                    }
                }
            }
        }
        if file.language == HeaderLanguage::Chinese {
            for (code, name) in &file.product_names {
                merged.product_names.insert(*code, name.clone());
            }
        }
        for (code, name) in &file.partner_names {
            merged.partner_names.insert(*code, name.clone());
        }
    }
    merged
        .revisions
        .sort_by_key(|r| (r.month, r.hs_code, r.partner));
    let mut facts: Vec<MonthlyFact> = cells
        .into_iter()
        .map(|((month, hs_code, partner), cell)| {
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
            for e in cell.entries.values() {
                f.value += e.value;
                f.quantity1 += e.quantity1;
                f.quantity2 += e.quantity2;
                f.unit1 = f.unit1.or_else(|| e.unit1.clone());
                f.unit2 = f.unit2.or_else(|| e.unit2.clone());
                f.source_file = f.source_file.max(e.file);
            }
            f
        })
        .collect();
    facts.sort_unstable_by_key(|f| (f.hs_code, f.partner, f.month));
    merged.facts = facts;
    merged
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
            reg_place: reg.map(str::to_string),
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
