//! The packed storage of the facts: one row per code and destination that
//! holds the pair's months as JSON arrays, behind views that give back one
//! row per month (`docs/schema.md`, "How the facts are stored").
//!
//! A pair's row holds `first_month` (YYYYMM) and, in month order:
//!
//! - `months`: the months as offsets from `first_month`; NULL when they are
//!   `0, 1, 2, ...` (no gap);
//! - `value`: the values;
//! - `quantity1`, `quantity2`: the quantities; NULL when all are 0;
//! - `unit1`, `unit2`: the units when every month has the same, else NULL
//!   and `units` holds `[unit1, unit2]` per month;
//! - `first_value`: the first-published values; NULL when equal to `value`;
//! - `source_files`: the source file of each month; NULL when each is its
//!   month's usual source (table `fact_month_sources`: the file most of the
//!   month's facts come from, the lower release order on a tie).
//!
//! Numbers are written as JSON integers, so SQLite's `json_each` and
//! `json_extract` read them back as the INTEGER they were.
//!
//! ```
//! use cnexport_core::series::{int_array, parse_int_array};
//! assert_eq!(int_array([3, -1, 0]), "[3,-1,0]");
//! assert_eq!(parse_int_array("[3,-1,0]").unwrap(), vec![3, -1, 0]);
//! ```

use crate::model::MonthlyFact;
use crate::{HsCode, Month, PartnerCode, Sym};
use std::collections::BTreeMap;

/// A JSON array of integers, without spaces.
pub fn int_array(values: impl IntoIterator<Item = i64>) -> String {
    let values = values.into_iter();
    let mut out = String::with_capacity(2 + values.size_hint().0 * 8);
    out.push('[');
    let mut digits = itoa::Buffer::new();
    for (i, v) in values.enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(digits.format(v));
    }
    out.push(']');
    out
}

/// Reads a JSON array of integers (as [`int_array`] writes it).
pub fn parse_int_array(text: &str) -> Result<Vec<i64>, SeriesError> {
    serde_json::from_str(text).map_err(|e| SeriesError(format!("{e} in {text:.80}")))
}

/// A stored series that does not decode: the column's text is not what
/// this version writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeriesError(pub String);

impl std::fmt::Display for SeriesError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "a packed fact series does not decode: {}", self.0)
    }
}

impl std::error::Error for SeriesError {}

/// A pair's months as stored: the first and, unless they have no gap, the
/// offsets from it.
pub fn encode_months(months: &[Month]) -> (Month, Option<String>) {
    let first = months[0];
    let offsets: Vec<i64> = months.iter().map(|m| m.since(first)).collect();
    let dense = offsets.iter().enumerate().all(|(i, &o)| o == i as i64);
    (first, (!dense).then(|| int_array(offsets)))
}

/// The months of a stored series of `n` entries.
pub fn decode_months(
    first_month: u32,
    months: Option<&str>,
    n: usize,
) -> Result<Vec<Month>, SeriesError> {
    let first = Month::from_yyyymm(first_month)
        .ok_or_else(|| SeriesError(format!("first_month {first_month}")))?;
    let months = match months {
        None => (0..n as i64).map(|i| first.plus(i)).collect(),
        Some(text) => parse_int_array(text)?
            .into_iter()
            .map(|o| first.plus(o))
            .collect::<Vec<_>>(),
    };
    if months.len() != n {
        return Err(SeriesError(format!(
            "{} months for {n} values",
            months.len()
        )));
    }
    Ok(months)
}

/// A stored series' months and values: the columns `first_month`, `months`
/// and `value` of a packed row.
pub fn decode_values(
    first_month: u32,
    months: Option<&str>,
    value: &str,
) -> Result<(Vec<Month>, Vec<i64>), SeriesError> {
    let values = parse_int_array(value)?;
    let months = decode_months(first_month, months, values.len())?;
    Ok((months, values))
}

/// The usual source file of each month: the file most of the month's
/// facts come from (the lower release order on a tie).
pub fn month_sources(facts: &[MonthlyFact]) -> BTreeMap<Month, u32> {
    let (Some(first), Some(last), Some(files)) = (
        facts.iter().map(|f| f.month).min(),
        facts.iter().map(|f| f.month).max(),
        facts.iter().map(|f| f.source_file as usize + 1).max(),
    ) else {
        return BTreeMap::new();
    };
    // Facts per month and file, in a grid (months x files).
    let months = last.since(first) as usize + 1;
    let mut counts = vec![0u64; months * files];
    for f in facts {
        counts[f.month.since(first) as usize * files + f.source_file as usize] += 1;
    }
    let mut best = BTreeMap::new();
    for (i, row) in counts.chunks(files).enumerate() {
        // The most facts; the first (lowest) file on a tie.
        let (file, n) = row
            .iter()
            .enumerate()
            .fold((0, 0), |b, (f, &n)| if n > b.1 { (f, n) } else { b });
        if n > 0 {
            best.insert(first.plus(i as i64), file as u32);
        }
    }
    best
}

/// One row of `fact_series`: a pair's facts, packed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FactSeries {
    pub hs_code: HsCode,
    pub partner: PartnerCode,
    pub first_month: Month,
    pub months: Option<String>,
    pub value: String,
    pub quantity1: Option<String>,
    pub quantity2: Option<String>,
    pub unit1: Option<Sym>,
    pub unit2: Option<Sym>,
    pub units: Option<String>,
    pub first_value: Option<String>,
    pub source_files: Option<String>,
}

impl FactSeries {
    /// Packs the facts of one pair, in month order (at least one).
    pub fn encode(facts: &[MonthlyFact], month_sources: &BTreeMap<Month, u32>) -> FactSeries {
        let months: Vec<Month> = facts.iter().map(|f| f.month).collect();
        let (first_month, offsets) = encode_months(&months);
        let nonzero = |q: &dyn Fn(&MonthlyFact) -> i64| {
            facts
                .iter()
                .any(|f| q(f) != 0)
                .then(|| int_array(facts.iter().map(q)))
        };
        let same_units = facts
            .iter()
            .all(|f| (f.unit1, f.unit2) == (facts[0].unit1, facts[0].unit2));
        let units = (!same_units).then(|| {
            let list: Vec<[Option<&str>; 2]> = facts
                .iter()
                .map(|f| [f.unit1.as_deref(), f.unit2.as_deref()])
                .collect();
            serde_json::to_string(&list).expect("units serialize")
        });
        let usual = facts
            .iter()
            .all(|f| month_sources.get(&f.month) == Some(&f.source_file));
        FactSeries {
            hs_code: facts[0].hs_code,
            partner: facts[0].partner,
            first_month,
            months: offsets,
            value: int_array(facts.iter().map(|f| f.value)),
            quantity1: nonzero(&|f| f.quantity1),
            quantity2: nonzero(&|f| f.quantity2),
            unit1: if same_units { facts[0].unit1 } else { None },
            unit2: if same_units { facts[0].unit2 } else { None },
            units,
            first_value: facts
                .iter()
                .any(|f| f.first_value != f.value)
                .then(|| int_array(facts.iter().map(|f| f.first_value))),
            source_files: (!usual).then(|| int_array(facts.iter().map(|f| f.source_file as i64))),
        }
    }

    /// The facts back, in month order.
    pub fn decode(
        &self,
        month_sources: &BTreeMap<Month, u32>,
    ) -> Result<Vec<MonthlyFact>, SeriesError> {
        let (months, values) = decode_values(
            self.first_month.yyyymm(),
            self.months.as_deref(),
            &self.value,
        )?;
        let n = values.len();
        let column = |text: &Option<String>, name: &str| -> Result<Vec<i64>, SeriesError> {
            match text {
                None => Ok(vec![0; n]),
                Some(t) => {
                    let v = parse_int_array(t)?;
                    if v.len() == n {
                        Ok(v)
                    } else {
                        Err(SeriesError(format!("{} {name} for {n} values", v.len())))
                    }
                }
            }
        };
        let q1 = column(&self.quantity1, "quantity1")?;
        let q2 = column(&self.quantity2, "quantity2")?;
        let first_value = match &self.first_value {
            None => values.clone(),
            some => column(some, "first_value")?,
        };
        let sources: Vec<u32> = match &self.source_files {
            Some(_) => column(&self.source_files, "source_files")?
                .into_iter()
                .map(|s| s as u32)
                .collect(),
            None => months
                .iter()
                .map(|m| {
                    month_sources
                        .get(m)
                        .copied()
                        .ok_or_else(|| SeriesError(format!("no usual source for month {m}")))
                })
                .collect::<Result<_, _>>()?,
        };
        let units: Vec<(Option<Sym>, Option<Sym>)> = match &self.units {
            None => vec![(self.unit1, self.unit2); n],
            Some(t) => {
                let list: Vec<[Option<String>; 2]> =
                    serde_json::from_str(t).map_err(|e| SeriesError(format!("units: {e}")))?;
                if list.len() != n {
                    return Err(SeriesError(format!("{} units for {n} values", list.len())));
                }
                list.into_iter()
                    .map(|[a, b]| (a.as_deref().map(Sym::new), b.as_deref().map(Sym::new)))
                    .collect()
            }
        };
        Ok((0..n)
            .map(|i| MonthlyFact {
                month: months[i],
                hs_code: self.hs_code,
                partner: self.partner,
                value: values[i],
                quantity1: q1[i],
                unit1: units[i].0,
                quantity2: q2[i],
                unit2: units[i].1,
                first_value: first_value[i],
                source_file: sources[i],
            })
            .collect())
    }
}

/// One row of `country_series`: a 2- or 4-digit roll-up's monthly values to
/// one destination (`hs_country_monthly`), packed as the facts are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CountrySeries {
    pub hs_code: std::sync::Arc<str>,
    pub level: u8,
    pub partner: PartnerCode,
    pub first_month: Month,
    pub months: Option<String>,
    pub value: String,
}

impl CountrySeries {
    /// Packs the rows of one code and destination, in month order (at
    /// least one).
    pub fn encode(rows: &[crate::tables::CountryMonthlyRow]) -> CountrySeries {
        let months: Vec<Month> = rows.iter().map(|r| r.month).collect();
        let (first_month, offsets) = encode_months(&months);
        CountrySeries {
            hs_code: rows[0].hs_code.clone(),
            level: rows[0].level,
            partner: rows[0].country_code,
            first_month,
            months: offsets,
            value: int_array(rows.iter().map(|r| r.value)),
        }
    }

    /// The rows back, in month order.
    pub fn decode(&self) -> Result<Vec<crate::tables::CountryMonthlyRow>, SeriesError> {
        let (months, values) = decode_values(
            self.first_month.yyyymm(),
            self.months.as_deref(),
            &self.value,
        )?;
        Ok(months
            .into_iter()
            .zip(values)
            .map(|(month, value)| crate::tables::CountryMonthlyRow {
                hs_code: self.hs_code.clone(),
                level: self.level,
                country_code: self.partner,
                month,
                value,
            })
            .collect())
    }
}

/// Splits `hs_country_monthly` rows in key order into the runs of one code
/// and destination.
pub fn country_runs(
    rows: &[crate::tables::CountryMonthlyRow],
) -> impl Iterator<Item = &[crate::tables::CountryMonthlyRow]> {
    rows.chunk_by(|a, b| (&a.hs_code, a.country_code) == (&b.hs_code, b.country_code))
}

/// Splits facts in (code, partner, month) order into the runs of one pair.
pub fn pairs(facts: &[MonthlyFact]) -> impl Iterator<Item = &[MonthlyFact]> {
    facts.chunk_by(|a, b| (a.hs_code, a.partner) == (b.hs_code, b.partner))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fact(month: u32, value: i64) -> MonthlyFact {
        MonthlyFact {
            month: Month::from_yyyymm(month).unwrap(),
            hs_code: HsCode(85171300),
            partner: PartnerCode(502),
            value,
            quantity1: 0,
            unit1: Some(Sym::new("台")),
            quantity2: 0,
            unit2: None,
            first_value: value,
            source_file: 0,
        }
    }

    fn round_trip(facts: &[MonthlyFact]) -> FactSeries {
        let sources = month_sources(facts);
        let s = FactSeries::encode(facts, &sources);
        assert_eq!(s.decode(&sources).unwrap(), facts);
        s
    }

    #[test]
    fn a_dense_plain_series_stores_only_its_values() {
        let facts = [fact(202311, 5), fact(202312, 7), fact(202401, 0)];
        let s = round_trip(&facts);
        assert_eq!(s.first_month.yyyymm(), 202311);
        assert_eq!(s.months, None);
        assert_eq!(s.value, "[5,7,0]");
        assert_eq!(
            (s.quantity1, s.quantity2, s.first_value, s.source_files),
            (None, None, None, None)
        );
        assert_eq!((s.unit1.as_deref(), s.units), (Some("台"), None));
    }

    #[test]
    fn gaps_quantities_units_revisions_and_sources_are_kept() {
        let mut facts = vec![fact(202312, 5), fact(202402, 9), fact(202405, 11)];
        facts[0].quantity2 = 3;
        facts[1].unit1 = None;
        facts[1].unit2 = Some(Sym::new("千克"));
        facts[2].first_value = 10;
        facts[2].source_file = 4;
        let mut sources = month_sources(&facts);
        let s = FactSeries::encode(&facts, &sources);
        assert_eq!(s.decode(&sources).unwrap(), facts);
        assert_eq!(s.months.as_deref(), Some("[0,2,5]"));
        assert_eq!(s.quantity1, None);
        assert_eq!(s.quantity2.as_deref(), Some("[3,0,0]"));
        assert_eq!(
            s.units.as_deref(),
            Some(r#"[["台",null],[null,"千克"],["台",null]]"#)
        );
        assert_eq!(s.first_value.as_deref(), Some("[5,9,10]"));
        // Each month's usual source is its own here; another usual source
        // for one month makes the pair store its sources.
        assert_eq!(s.source_files, None);
        sources.insert(facts[2].month, 3);
        let s = FactSeries::encode(&facts, &sources);
        assert_eq!(s.source_files.as_deref(), Some("[0,0,4]"));
        assert_eq!(s.decode(&sources).unwrap(), facts);
    }

    #[test]
    fn the_usual_source_is_the_most_common_then_the_earliest() {
        let mut facts = vec![
            fact(202401, 1),
            fact(202401, 2),
            fact(202401, 3),
            fact(202402, 4),
            fact(202402, 5),
        ];
        facts[0].source_file = 2;
        facts[1].source_file = 2;
        facts[2].source_file = 1;
        facts[3].source_file = 5;
        facts[4].source_file = 3;
        let s = month_sources(&facts);
        assert_eq!(s[&Month::from_yyyymm(202401).unwrap()], 2);
        assert_eq!(s[&Month::from_yyyymm(202402).unwrap()], 3);
    }

    #[test]
    fn damaged_columns_are_errors_not_panics() {
        let facts = [fact(202311, 5), fact(202312, 7)];
        let sources = month_sources(&facts);
        let mut s = FactSeries::encode(&facts, &sources);
        s.quantity1 = Some("[1]".into());
        assert!(s.decode(&sources).is_err());
        s.quantity1 = None;
        s.value = "[5,".into();
        assert!(s.decode(&sources).is_err());
        s.value = "[5,7]".into();
        assert!(s.decode(&BTreeMap::new()).is_err());
    }

    #[test]
    fn country_series_round_trip() {
        use crate::tables::CountryMonthlyRow;
        let row = |code: &str, p: u16, m: u32, value: i64| CountryMonthlyRow {
            hs_code: code.into(),
            level: code.len() as u8,
            country_code: PartnerCode(p),
            month: Month::from_yyyymm(m).unwrap(),
            value,
        };
        let rows = vec![
            row("85", 116, 202312, 4),
            row("85", 116, 202401, 6),
            row("85", 502, 202401, 1),
            row("85", 502, 202403, 2),
        ];
        let runs: Vec<&[CountryMonthlyRow]> = country_runs(&rows).collect();
        assert_eq!(runs.len(), 2);
        let a = CountrySeries::encode(runs[0]);
        assert_eq!((a.months.as_deref(), a.value.as_str()), (None, "[4,6]"));
        let b = CountrySeries::encode(runs[1]);
        assert_eq!(
            (b.months.as_deref(), b.value.as_str()),
            (Some("[0,2]"), "[1,2]")
        );
        assert_eq!(a.decode().unwrap(), runs[0]);
        assert_eq!(b.decode().unwrap(), runs[1]);
    }

    #[test]
    fn pairs_split_runs() {
        let mut facts = vec![fact(202401, 1), fact(202402, 2), fact(202401, 3)];
        facts[2].partner = PartnerCode(503);
        let runs: Vec<usize> = pairs(&facts).map(|r| r.len()).collect();
        assert_eq!(runs, vec![2, 1]);
    }
}
