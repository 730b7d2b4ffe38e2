//! Data rows -> facts or quarantined rows, the same for every format.

use super::columns::Columns;
use super::fields::{self, Cell, NumError};
use cnexport_core::{Fact, HsCode, Month, PartnerCode, QuarantineReason, QuarantinedRow, Sym};
use std::collections::hash_map::Entry;
use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};

/// The longest `raw` kept for a quarantined row, in characters.
pub(crate) const RAW_MAX_CHARS: usize = 500;

/// Read access to one data row, whatever the format.
pub(crate) trait Row {
    fn len(&self) -> usize;
    fn cell(&self, i: usize) -> Cell<'_>;

    fn is_blank(&self) -> bool {
        (0..self.len()).all(|i| self.cell(i).is_blank())
    }

    /// The fields joined with `,` (trailing empty fields dropped), truncated.
    fn raw(&self) -> String {
        let mut n = self.len();
        while n > 0 && self.cell(n - 1).is_blank() {
            n -= 1;
        }
        let mut out = String::new();
        for i in 0..n {
            if i > 0 {
                out.push(',');
            }
            out.push_str(&self.cell(i).text());
            if out.len() > RAW_MAX_CHARS * 4 {
                break;
            }
        }
        match out.char_indices().nth(RAW_MAX_CHARS) {
            Some((cut, _)) => out[..cut].to_string(),
            None => out,
        }
    }
}

/// `None` marks "the file has no such column" in a key.
const NO_DIM: u32 = u32::MAX;

/// A fact key packed in two words: (month, HS code, partner) and the ids of
/// the optional dimensions.
type Key = (u64, u64);

fn key(month: Month, hs: HsCode, partner: PartnerCode, reg: u32, trade: u32) -> Key {
    let cell = (u64::from(month.yyyymm()) << 40) | (u64::from(hs.0) << 12) | u64::from(partner.0);
    (cell, (u64::from(reg) << 32) | u64::from(trade))
}

/// A fast multiplicative hasher for the packed keys (the keys come from the
/// user's own files, so no protection against crafted collisions is needed).
#[derive(Default)]
struct KeyHasher(u64);

impl Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.write_u64(u64::from(*b));
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

type KeyMap = HashMap<Key, u32, BuildHasherDefault<KeyHasher>>;

/// Collects the rows of one table.
pub(crate) struct RowSink {
    cols: Columns,
    /// Non-empty fields beyond the header's width make a row malformed (for
    /// delimited text, where they mean a shifted row; a spreadsheet or HTML
    /// table may have notes beside the table).
    strict_width: bool,
    pub rows_read: u64,
    pub facts: Vec<Fact>,
    pub quarantined: Vec<QuarantinedRow>,
    pub product_names: Vec<(HsCode, String)>,
    pub partner_names: Vec<(PartnerCode, String)>,
    /// The first line of each key seen, for the duplicate check: kept only
    /// once the keys stop rising (see [`RowSink::seen_before`]).
    first_line: KeyMap,
    /// The greatest key loaded so far, while every key has been greater
    /// than the one before (`None` once one was not). The platform writes
    /// its rows sorted by month, HS code and partner, which is this order,
    /// so a file keeps no map of its keys unless its rows are out of order.
    rising: Option<Key>,
    /// How many rows the file is expected to hold, for sizing the map.
    expected_rows: usize,
    dims: HashMap<String, u32, BuildHasherDefault<KeyHasher>>,
    named_products: HashSet<HsCode>,
    /// The code of the last row whose product is named already.
    last_named: Option<HsCode>,
    /// One bit per partner code: named already.
    named_partners: Vec<u64>,
}

struct Bad {
    reason: QuarantineReason,
    detail: String,
}

impl RowSink {
    pub(crate) fn new(cols: Columns, strict_width: bool) -> RowSink {
        RowSink {
            cols,
            strict_width,
            rows_read: 0,
            facts: Vec::new(),
            quarantined: Vec::new(),
            product_names: Vec::new(),
            partner_names: Vec::new(),
            first_line: KeyMap::default(),
            rising: Some((0, 0)),
            expected_rows: 0,
            dims: HashMap::default(),
            named_products: HashSet::new(),
            last_named: None,
            named_partners: vec![0; (usize::from(u16::MAX) + 1) / 64],
        }
    }

    pub(crate) fn reserve(&mut self, rows: usize) {
        self.facts.reserve(rows);
        self.expected_rows = rows;
    }

    /// Gives back the memory reserved beyond the rows read.
    pub(crate) fn shrink(&mut self) {
        self.facts.shrink_to_fit();
    }

    /// Takes one row (blank rows are skipped and not counted).
    pub(crate) fn push<R: Row + ?Sized>(&mut self, line: u32, row: &R) {
        if row.is_blank() {
            return;
        }
        self.rows_read += 1;
        let value = fields::number(&row.cell(self.cols.value));
        match self.convert(line, row, value) {
            Ok(()) => {}
            Err(bad) => self.quarantined.push(QuarantinedRow {
                line,
                reason: bad.reason,
                detail: bad.detail,
                raw: row.raw(),
                // A malformed row's fields are not where the header says, so
                // its "value" cannot be trusted for reconciliation.
                value: match bad.reason {
                    QuarantineReason::MalformedRow => None,
                    _ => value.ok(),
                },
            }),
        }
    }

    fn bad_field(&self, reason: QuarantineReason, col: usize, cell: &Cell<'_>, why: &str) -> Bad {
        let text = cell.text();
        Bad {
            reason,
            detail: format!(
                "{} (column {}): \"{}\" {why}",
                self.cols.name(col),
                col + 1,
                super::truncate_chars(&text, 80)
            ),
        }
    }

    fn convert<R: Row + ?Sized>(
        &mut self,
        line: u32,
        row: &R,
        value: Result<i64, NumError>,
    ) -> Result<(), Bad> {
        let cols = &self.cols;
        let len = row.len();
        if len < cols.needed {
            return Err(Bad {
                reason: QuarantineReason::MalformedRow,
                detail: format!(
                    "the row has {len} fields but the header needs {} (truncated line?)",
                    cols.needed
                ),
            });
        }
        let extra = if self.strict_width {
            (cols.width..len).find(|&i| !row.cell(i).is_blank())
        } else {
            None
        };
        if let Some(extra) = extra {
            return Err(Bad {
                reason: QuarantineReason::MalformedRow,
                detail: format!(
                    "the row has a non-empty field {} beyond the header's {} columns (an unquoted comma in a name?)",
                    extra + 1,
                    cols.width
                ),
            });
        }

        let c = row.cell(cols.month);
        let Some(month) = fields::month(&c) else {
            return Err(self.bad_field(
                QuarantineReason::BadMonth,
                cols.month,
                &c,
                "is not a month (expected YYYYMM such as 202403)",
            ));
        };
        let c = row.cell(cols.hs);
        let Some(hs) = fields::hs_code(&c) else {
            return Err(self.bad_field(
                QuarantineReason::BadHsCode,
                cols.hs,
                &c,
                "is not an 8-digit HS code",
            ));
        };
        let c = row.cell(cols.partner);
        let Some(partner) = fields::partner_code(&c) else {
            return Err(self.bad_field(
                QuarantineReason::BadPartnerCode,
                cols.partner,
                &c,
                "is not a 3-digit trading-partner code",
            ));
        };
        let value = match value {
            Ok(v) if v >= 0 => v,
            Ok(_) => {
                let c = row.cell(cols.value);
                return Err(self.bad_field(
                    QuarantineReason::NegativeValue,
                    cols.value,
                    &c,
                    "is negative",
                ));
            }
            Err(e) => {
                let c = row.cell(cols.value);
                return Err(self.bad_field(
                    QuarantineReason::BadValue,
                    cols.value,
                    &c,
                    e.describe(),
                ));
            }
        };
        let quantity1 = self.quantity(row, cols.quantity1)?;
        let quantity2 = self.quantity(row, cols.quantity2)?;
        let unit1 = cols.unit1.and_then(|i| fields::unit(&row.cell(i)));
        let unit2 = cols.unit2.and_then(|i| fields::unit(&row.cell(i)));
        let reg_place = cols.reg_place.map(|i| Sym::new(&row.cell(i).text()));
        let trade_mode = cols.trade_mode.map(|i| Sym::new(&row.cell(i).text()));

        let reg_id = self.dim_id(reg_place.as_deref());
        let trade_id = self.dim_id(trade_mode.as_deref());
        let key = key(month, hs, partner, reg_id, trade_id);
        if let Some(first) = self.seen_before(key, line) {
            let mut detail = format!("the same key (month {month}, HS {hs}, partner {partner}");
            if let Some(r) = &reg_place {
                detail.push_str(&format!(", registration place {r}"));
            }
            if let Some(t) = &trade_mode {
                detail.push_str(&format!(", trade mode {t}"));
            }
            detail.push_str(&format!(") as line {first}; the first is kept"));
            return Err(Bad {
                reason: QuarantineReason::DuplicateKeyInFile,
                detail,
            });
        }

        let cols = &self.cols;
        // A file's rows come a code at a time: the code of the row before
        // is the likely one, and is checked before the set.
        if let Some(i) = cols.product_name {
            if self.last_named != Some(hs) {
                if self.named_products.contains(&hs) {
                    self.last_named = Some(hs);
                } else {
                    let name = row.cell(i).text().into_owned();
                    if !name.is_empty() {
                        self.named_products.insert(hs);
                        self.last_named = Some(hs);
                        self.product_names.push((hs, name));
                    }
                }
            }
        }
        if let Some(i) = cols.partner_name {
            let (word, bit) = (usize::from(partner.0) / 64, 1u64 << (partner.0 % 64));
            if self.named_partners[word] & bit == 0 {
                let name = row.cell(i).text().into_owned();
                if !name.is_empty() {
                    self.named_partners[word] |= bit;
                    self.partner_names.push((partner, name));
                }
            }
        }
        self.facts.push(Fact {
            month,
            hs_code: hs,
            partner,
            reg_place,
            trade_mode,
            value,
            quantity1,
            unit1,
            quantity2,
            unit2,
            line,
        });
        Ok(())
    }

    fn quantity<R: Row + ?Sized>(&self, row: &R, col: Option<usize>) -> Result<i64, Bad> {
        let Some(col) = col else { return Ok(0) };
        let c = row.cell(col);
        match fields::quantity(&c) {
            Ok(q) if q >= 0 => Ok(q),
            Ok(_) => Err(self.bad_field(QuarantineReason::BadQuantity, col, &c, "is negative")),
            Err(e) => Err(self.bad_field(QuarantineReason::BadQuantity, col, &c, e.describe())),
        }
    }

    /// The line of an earlier loaded row with this key, if any; else the
    /// key is remembered as loaded at `line`. While the keys rise no map is
    /// needed: a key greater than every earlier one is new. At the first
    /// key that does not rise, the map is made from the facts loaded so far.
    fn seen_before(&mut self, key: Key, line: u32) -> Option<u32> {
        if let Some(greatest) = self.rising {
            if key > greatest {
                self.rising = Some(key);
                return None;
            }
            self.rising = None;
            self.first_line
                .reserve(self.expected_rows.max(self.facts.len() * 2));
            for f in &self.facts {
                let reg = self.dims_of(f.reg_place.as_deref());
                let trade = self.dims_of(f.trade_mode.as_deref());
                let k = self::key(f.month, f.hs_code, f.partner, reg, trade);
                self.first_line.insert(k, f.line);
            }
        }
        match self.first_line.entry(key) {
            Entry::Vacant(v) => {
                v.insert(line);
                None
            }
            Entry::Occupied(o) => Some(*o.get()),
        }
    }

    /// The id of an optional dimension's text already seen.
    fn dims_of(&self, text: Option<&str>) -> u32 {
        text.map_or(NO_DIM, |t| self.dims[t])
    }

    fn dim_id(&mut self, text: Option<&str>) -> u32 {
        let Some(text) = text else { return NO_DIM };
        if let Some(id) = self.dims.get(text) {
            return *id;
        }
        let id = self.dims.len() as u32;
        self.dims.insert(text.to_string(), id);
        id
    }
}
