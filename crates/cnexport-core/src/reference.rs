//! Reference tables compiled into the binary (see `data/SOURCES.md`).

use crate::model::{Bloc, Continent, HsCode, PartnerCode};
use std::collections::BTreeMap;
use std::sync::OnceLock;

const PARTNERS_CSV: &str = include_str!("../data/partners.csv");
const PARTNERS_ISO_CSV: &str = include_str!("../data/partners-iso.csv");
const BLOCS_CSV: &str = include_str!("../data/trade-blocs.csv");
const BELT_ROAD_CSV: &str = include_str!("../data/belt-and-road.csv");
const HS8_CSV: &str = include_str!("../data/hs8-2023.csv");

/// A version string for the reference tables, stored in every database.
pub const REFERENCE_VERSION: &str = "hs2023+partners2025+blocs2026-11";

/// One trading partner of the reference table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Country {
    pub code: PartnerCode,
    pub name_zh: String,
    pub name_en: String,
    pub continent: Option<Continent>,
    pub iso3: Option<String>,
    pub iso2: Option<String>,
    pub m49: Option<String>,
    pub blocs: Vec<Bloc>,
}

/// One 8-digit product of the reference table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Product {
    pub code: HsCode,
    pub name_zh: String,
    pub name_en: String,
    pub unit1: Option<String>,
    pub unit2: Option<String>,
}

/// The reference tables, parsed once.
#[derive(Debug)]
pub struct Reference {
    pub countries: BTreeMap<PartnerCode, Country>,
    pub products: BTreeMap<HsCode, Product>,
}

impl Reference {
    /// The embedded tables (parsed on first use).
    pub fn get() -> &'static Reference {
        static REF: OnceLock<Reference> = OnceLock::new();
        REF.get_or_init(Reference::parse_embedded)
    }

    fn parse_embedded() -> Reference {
        let mut countries = BTreeMap::new();
        for row in csv_rows(PARTNERS_CSV) {
            let Some(code) = row.first().and_then(|c| PartnerCode::parse(c)) else {
                continue;
            };
            countries.insert(
                code,
                Country {
                    code,
                    name_zh: row.get(1).cloned().unwrap_or_default(),
                    name_en: row.get(2).cloned().unwrap_or_default(),
                    continent: code.continent(),
                    iso3: None,
                    iso2: None,
                    m49: None,
                    blocs: Vec::new(),
                },
            );
        }
        for row in csv_rows(PARTNERS_ISO_CSV) {
            let Some(code) = row.first().and_then(|c| PartnerCode::parse(c)) else {
                continue;
            };
            if let Some(c) = countries.get_mut(&code) {
                let non_empty = |i: usize| row.get(i).filter(|s| !s.is_empty()).cloned();
                c.iso3 = non_empty(1);
                c.iso2 = non_empty(2);
                c.m49 = non_empty(3);
            }
        }
        let mut tag = |code: PartnerCode, bloc: Bloc| {
            if let Some(c) = countries.get_mut(&code) {
                if !c.blocs.contains(&bloc) {
                    c.blocs.push(bloc);
                    c.blocs.sort();
                }
            }
        };
        for row in csv_rows(BLOCS_CSV) {
            let bloc = match row.first().map(String::as_str) {
                Some("ASEAN10") => Bloc::Asean,
                Some("EU27") => Bloc::Eu,
                Some("USMCA") => Bloc::Usmca,
                Some("MiddleEast17_convention") => Bloc::MiddleEast,
                _ => continue,
            };
            if let Some(code) = row.get(1).and_then(|c| PartnerCode::parse(c)) {
                tag(code, bloc);
            }
        }
        for row in csv_rows(BELT_ROAD_CSV) {
            if let Some(code) = row.first().and_then(|c| PartnerCode::parse(c)) {
                tag(code, Bloc::BeltRoad);
            }
        }
        let mut products = BTreeMap::new();
        for row in csv_rows(HS8_CSV) {
            let Some(code) = row.first().and_then(|c| HsCode::parse(c)) else {
                continue;
            };
            let non_empty = |i: usize| row.get(i).filter(|s| !s.is_empty()).cloned();
            products.insert(
                code,
                Product {
                    code,
                    name_zh: row.get(1).cloned().unwrap_or_default(),
                    name_en: row.get(2).cloned().unwrap_or_default(),
                    unit1: non_empty(3),
                    unit2: non_empty(4),
                },
            );
        }
        Reference {
            countries,
            products,
        }
    }

    /// The blocs of a partner code (empty for codes not in the table).
    pub fn blocs_of(&self, code: PartnerCode) -> &[Bloc] {
        self.countries
            .get(&code)
            .map(|c| c.blocs.as_slice())
            .unwrap_or(&[])
    }
}

/// Rows of an embedded CSV, header and `#` comment lines skipped.
fn csv_rows(text: &str) -> Vec<Vec<String>> {
    let body: String = text
        .lines()
        .filter(|l| !l.starts_with('#'))
        .collect::<Vec<_>>()
        .join("\n");
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .from_reader(body.as_bytes());
    reader
        .records()
        .filter_map(Result::ok)
        .map(|r| {
            r.iter()
                .map(|f| f.split_whitespace().collect::<Vec<_>>().join(" "))
                .collect()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_load_with_expected_sizes() {
        let r = Reference::get();
        assert_eq!(r.countries.len(), 247);
        assert_eq!(r.products.len(), 8957);
        let count = |b: Bloc| {
            r.countries
                .values()
                .filter(|c| c.blocs.contains(&b))
                .count()
        };
        assert_eq!(count(Bloc::Asean), 10);
        assert_eq!(count(Bloc::Eu), 27);
        assert_eq!(count(Bloc::Usmca), 3);
        assert_eq!(count(Bloc::MiddleEast), 17);
        assert_eq!(count(Bloc::BeltRoad), 151);
        let us = &r.countries[&PartnerCode(502)];
        assert_eq!(us.name_zh, "美国");
        assert_eq!(us.iso3.as_deref(), Some("USA"));
        assert_eq!(us.continent, Some(Continent::NorthAmerica));
        // Cyprus: EU, Middle East convention and Belt and Road at once.
        assert_eq!(
            r.blocs_of(PartnerCode(108)),
            &[Bloc::MiddleEast, Bloc::BeltRoad, Bloc::Eu]
        );
        assert_eq!(r.products[&HsCode(12019020)].name_zh, "黑大豆，种用除外");
    }
}
