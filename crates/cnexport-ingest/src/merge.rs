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
use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};

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

/// A cell: (code, partner, month), the order facts come out in, packed
/// into one integer that sorts the same way (code: 27 bits, partner: 16,
/// month as YYYYMM: 19), so that the k-way merge compares one number.
type CellKey = u64;

#[inline]
fn cell_of(f: &Fact) -> CellKey {
    pack(f.hs_code, f.partner, f.month)
}

#[inline]
fn pack(hs_code: HsCode, partner: PartnerCode, month: Month) -> CellKey {
    debug_assert!(hs_code.0 < 1 << 27 && month.yyyymm() < 1 << 19);
    (hs_code.0 as u64) << 35 | (partner.0 as u64) << 19 | month.yyyymm() as u64
}

#[inline]
fn unpack(key: CellKey) -> (HsCode, PartnerCode, Month) {
    let month = Month::from_yyyymm((key & ((1 << 19) - 1)) as u32).expect("a packed month");
    (
        HsCode((key >> 35) as u32),
        PartnerCode((key >> 19) as u16),
        month,
    )
}

/// Rows per chunk of a file's rows (about 450 KB): the unit that is freed
/// once the merge has passed it.
const CHUNK: usize = 1 << 13;

/// One file's rows, sorted by cell (stably: a cell's rows keep their order
/// in the file), in chunks of [`CHUNK`] rows that are freed as the merge
/// passes them.
struct FileRows {
    chunks: Vec<Option<Box<[Fact]>>>,
    len: usize,
    /// Whether the file carries registration place, trade mode.
    dims: (bool, bool),
}

impl FileRows {
    fn new(mut facts: Vec<Fact>, dims: (bool, bool)) -> FileRows {
        // Stable: the rows of a cell keep their order in the file (a later
        // row of the same key replaces an earlier one).
        if !facts.is_sorted_by_key(cell_of) {
            facts.sort_by_key(cell_of);
        }
        let len = facts.len();
        let chunks = if len <= CHUNK {
            vec![Some(facts.into_boxed_slice())]
        } else {
            let chunks = facts.chunks(CHUNK).map(|c| Some(c.into())).collect();
            drop(facts);
            chunks
        };
        FileRows { chunks, len, dims }
    }

    #[inline]
    fn get(&self, i: usize) -> &Fact {
        let chunk = self.chunks[i / CHUNK]
            .as_deref()
            .expect("a row the merge has not passed");
        &chunk[i % CHUNK]
    }

    /// The first row at or after `from` whose cell is not below `bound`.
    fn position(&self, from: usize, bound: &CellKey) -> usize {
        let (mut lo, mut hi) = (from, self.len);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if cell_of(self.get(mid)) < *bound {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        lo
    }

    /// Frees the chunks wholly before row `at`.
    fn free_before(&mut self, at: usize) {
        for chunk in &mut self.chunks[..at / CHUNK] {
            *chunk = None;
        }
    }
}

/// Applies the overlap rule to files given in release order.
///
/// Each file's rows are sorted by cell and merged k-way, so each cell's
/// rows come together in release order and the facts come out in their
/// final order. The cells are cut into stretches that are merged in
/// parallel (the same result for any thread count); the stretches are
/// taken in waves, in order, and after each wave the rows it passed are
/// freed.
pub fn merge(files: &[ParsedFile]) -> Merged {
    let rows = files
        .par_iter()
        .map(|f| FileRows::new(f.facts.clone(), (f.has_reg_place, f.has_trade_mode)))
        .collect();
    merge_rows(files, rows, MIN_STRETCH)
}

/// [`merge`], taking each file's rows out of `files` (left empty) and
/// freeing them as they are merged: at any moment the rows not yet merged
/// and the facts merged so far are held, not both in full.
pub fn merge_draining(files: &mut [ParsedFile]) -> Merged {
    let rows = files
        .par_iter_mut()
        .map(|f| {
            FileRows::new(
                std::mem::take(&mut f.facts),
                (f.has_reg_place, f.has_trade_mode),
            )
        })
        .collect();
    merge_rows(files, rows, MIN_STRETCH)
}

/// The fewest rows of a stretch (below it the threads cost more than they
/// save).
const MIN_STRETCH: usize = 1 << 16;

fn merge_rows(files: &[ParsedFile], mut rows: Vec<FileRows>, min_stretch: usize) -> Merged {
    let mut merged = Merged {
        files: vec![FileMergeStats::default(); files.len()],
        ..Merged::default()
    };
    let total: usize = rows.iter().map(|r| r.len).sum();
    let bounds = stretch_bounds(&rows, total, min_stretch);
    let wave = (rayon::current_num_threads() * 4).max(1);
    merged.facts = Vec::with_capacity(total);
    let mut flags = SummaryFlags::default();
    let mut cursor = vec![0usize; rows.len()];
    for wave_bounds in bounds.chunks(wave) {
        // Each stretch's row range in every file: up to its bound.
        let mut ranges = Vec::with_capacity(wave_bounds.len());
        for bound in wave_bounds {
            let range: Vec<(usize, usize)> = rows
                .iter()
                .zip(&mut cursor)
                .map(|(r, at)| {
                    let start = *at;
                    *at = match bound {
                        Some(b) => r.position(start, b),
                        None => r.len,
                    };
                    (start, *at)
                })
                .collect();
            ranges.push(range);
        }
        let parts: Vec<Part> = ranges
            .par_iter()
            .map(|range| merge_stretch(&rows, range))
            .collect();
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
        for (r, at) in rows.iter_mut().zip(&cursor) {
            r.free_before(*at);
        }
    }
    drop(rows);
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
    // Stretches were merged in cell order: so are the facts.
    merged.summary = flags.finish(true);
    // Stable: a cell's revisions stay in release order.
    merged
        .revisions
        .sort_by_key(|r| (r.month, r.hs_code, r.partner));
    merged
}

/// The stretches' upper bounds (exclusive; `None`: the end), about 16 waves
/// of 4 stretches per thread, from the cells at every chunk's start: a
/// bound is a cell, so a cell is never cut.
fn stretch_bounds(rows: &[FileRows], total: usize, min_stretch: usize) -> Vec<Option<CellKey>> {
    let wanted = (rayon::current_num_threads() * 4 * 16).max(1);
    let stretch = (total / wanted).max(min_stretch);
    if total <= stretch {
        return vec![None];
    }
    let mut samples: Vec<CellKey> = rows
        .iter()
        .flat_map(|r| (0..r.len).step_by(CHUNK).map(|i| cell_of(r.get(i))))
        .collect();
    samples.sort_unstable();
    samples.dedup();
    // Samples are about CHUNK rows apart across all files.
    let step = (stretch * samples.len() / total).max(1);
    let mut bounds: Vec<Option<CellKey>> = samples
        .iter()
        .skip(step)
        .step_by(step)
        .map(|k| Some(*k))
        .collect();
    bounds.push(None);
    bounds
}

/// Merges the cells of one stretch: `range[f]` is file `f`'s rows in it.
fn merge_stretch<'a>(files: &'a [FileRows], range: &[(usize, usize)]) -> Part {
    let rows_in: usize = range.iter().map(|(a, b)| b - a).sum();
    let mut part = Part {
        facts: Vec::with_capacity(rows_in),
        files: vec![FileMergeStats::default(); files.len()],
        ..Part::default()
    };
    // The next row of every file with rows left, smallest cell (then file:
    // release order) first.
    let mut heads: BinaryHeap<Reverse<(CellKey, u32)>> = range
        .iter()
        .enumerate()
        .filter(|(_, (a, b))| a < b)
        .map(|(f, (a, _))| Reverse((cell_of(files[f].get(*a)), f as u32)))
        .collect();
    let mut at: Vec<usize> = range.iter().map(|(a, _)| *a).collect();
    let mut rows: Vec<Entry<'a>> = Vec::new();
    let mut cell_files: Vec<usize> = Vec::new();
    while let Some(Reverse((key, first))) = heads.pop() {
        cell_files.clear();
        cell_files.push(first as usize);
        while let Some(Reverse((k, f))) = heads.peek() {
            if *k != key {
                break;
            }
            cell_files.push(*f as usize);
            heads.pop();
        }
        // Takes file f's rows of this cell; puts its next row back.
        let mut take = |f: usize, rows: &mut Vec<Entry<'a>>| {
            let (file, end) = (&files[f], range[f].1);
            rows.clear();
            while at[f] < end {
                let fact = file.get(at[f]);
                if cell_of(fact) != key {
                    heads.push(Reverse((cell_of(fact), f as u32)));
                    break;
                }
                rows.push(Entry { fact, file: f });
                at[f] += 1;
            }
        };
        let (hs_code, partner, month) = unpack(key);
        if cell_files.len() == 1 {
            take(first as usize, &mut rows);
            if rows.len() == 1 {
                // One row in one file: the common case.
                let f = rows[0];
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
                continue;
            }
        }
        // The cell's rows, file by file in release order.
        let mut cell: Option<Cell<'a>> = None;
        for (n, &file_index) in cell_files.iter().enumerate() {
            if n > 0 || cell_files.len() > 1 {
                take(file_index, &mut rows);
            }
            let dims = files[file_index].dims;
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

    /// Many files of overlapping cells (restated values, rows repeated in a
    /// file, per-province files beside national ones), larger than a chunk.
    fn overlapping_files(seed: u64) -> Vec<ParsedFile> {
        let mut state = seed;
        let mut next = move |n: u64| {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (state >> 33) % n
        };
        (0..7)
            .map(|f| {
                let provinces = f % 3 == 2;
                let rows = 3_000 + next(20_000) as usize;
                let mut facts: Vec<Fact> = (0..rows)
                    .map(|_| {
                        let reg = provinces.then(|| ["11", "31", "44"][next(3) as usize]);
                        fact(
                            [202401, 202402, 202403][next(3) as usize],
                            1_000 + next(400) as u32,
                            [101, 116, 133, 502][next(4) as usize],
                            reg,
                            1 + next(1_000) as i64,
                        )
                    })
                    .collect();
                if f % 2 == 1 {
                    facts.sort_by_key(|x| (x.hs_code, x.partner, x.month));
                }
                file(&format!("r{f}/f.csv"), facts)
            })
            .collect()
    }

    fn rows_of(files: &[ParsedFile]) -> Vec<FileRows> {
        files
            .iter()
            .map(|f| FileRows::new(f.facts.clone(), (f.has_reg_place, f.has_trade_mode)))
            .collect()
    }

    #[test]
    fn stretches_and_waves_do_not_change_the_result() {
        for seed in 1..4 {
            let files = overlapping_files(seed);
            let whole = merge_rows(&files, rows_of(&files), usize::MAX);
            // Stretches of a few rows: dozens of waves, chunks freed between.
            for min_stretch in [1, 7, 1_000] {
                let cut = merge_rows(&files, rows_of(&files), min_stretch);
                assert_eq!(cut.facts, whole.facts, "seed {seed}, {min_stretch}");
                assert_eq!(cut.files, whole.files);
                assert_eq!(cut.revisions, whole.revisions);
                assert_eq!(
                    (cut.duplicate_keys, cut.revised_keys),
                    (whole.duplicate_keys, whole.revised_keys)
                );
                assert_eq!(cut.summary, whole.summary);
            }
            let mut owned = files.clone();
            let drained = merge_draining(&mut owned);
            assert_eq!(drained.facts, whole.facts);
            assert!(owned.iter().all(|f| f.facts.is_empty()));
        }
    }

    /// The overlap rule written directly (a map per cell, files in order),
    /// apart from the k-way merge.
    #[test]
    fn agrees_with_a_direct_reading_of_the_overlap_rule() {
        for seed in 5..8 {
            let files = overlapping_files(seed);
            let merged = merge_rows(&files, rows_of(&files), 500);
            type Key = (HsCode, PartnerCode, Month);
            /// Values by registration place.
            type Rows = BTreeMap<Option<String>, i64>;
            // cell -> (dims of the file that set it, its rows)
            let mut cells: BTreeMap<Key, ((bool, bool), Rows)> = BTreeMap::new();
            for f in &files {
                let dims = (f.has_reg_place, f.has_trade_mode);
                let mut this_file: BTreeMap<Key, Rows> = BTreeMap::new();
                for x in &f.facts {
                    let reg = x.reg_place.as_deref().map(str::to_string);
                    this_file
                        .entry((x.hs_code, x.partner, x.month))
                        .or_default()
                        .insert(reg, x.value);
                }
                for (key, rows) in this_file {
                    let cell = cells.entry(key).or_insert((dims, BTreeMap::new()));
                    if cell.0 != dims {
                        *cell = (dims, BTreeMap::new());
                    }
                    cell.1.extend(rows);
                }
            }
            let expected: Vec<(Key, i64)> = cells
                .into_iter()
                .map(|(k, (_, rows))| (k, rows.values().sum()))
                .collect();
            let got: Vec<(Key, i64)> = merged
                .facts
                .iter()
                .map(|f| ((f.hs_code, f.partner, f.month), f.value))
                .collect();
            assert_eq!(got, expected, "seed {seed}");
        }
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
