//! The normalized fact schema that flows from ingest to load.

use crate::month::Month;
use crate::sym::Sym;
use serde::{Deserialize, Serialize};
use std::fmt;

/// An 8-digit HS code, stored as its number (leading zeros are formatting).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct HsCode(pub u32);

impl HsCode {
    /// Accepts `85171200`, `8517.12.00`, `8517 12 00`, and a numeric cell that
    /// lost its leading zero (`1012100` -> `01012100`, `1012100.0`). Anything
    /// that does not give exactly 8 digits is `None`.
    pub fn parse(text: &str) -> Option<HsCode> {
        let t = text.trim();
        let t = t.strip_suffix(".0").unwrap_or(t);
        if t.len() == 8 && t.bytes().all(|b| b.is_ascii_digit()) {
            // The usual form, without the copy below.
            return t.parse().ok().map(HsCode);
        }
        let digits: String = t.chars().filter(|c| !matches!(c, '.' | ' ')).collect();
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let dotted = t.contains('.');
        match digits.len() {
            8 => digits.parse().ok().map(HsCode),
            // A numeric cell drops the leading zero of chapters 01-09.
            7 if !dotted => digits.parse().ok().map(HsCode),
            _ => None,
        }
    }
}

impl fmt::Display for HsCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:08}", self.0)
    }
}

/// A China customs 3-digit trading-partner code (first digit = continent).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct PartnerCode(pub u16);

impl PartnerCode {
    /// Exactly 3 digits (a numeric cell `101.0` is accepted).
    pub fn parse(text: &str) -> Option<PartnerCode> {
        let t = text.trim();
        let t = t.strip_suffix(".0").unwrap_or(t);
        if t.len() == 3 && t.bytes().all(|b| b.is_ascii_digit()) {
            t.parse().ok().map(PartnerCode)
        } else {
            None
        }
    }

    pub fn continent(self) -> Option<Continent> {
        Continent::from_digit((self.0 / 100) as u8)
    }
}

impl fmt::Display for PartnerCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:03}", self.0)
    }
}

/// The continents of the partner codes' first digit; 7xx has none.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Continent {
    Asia,
    Africa,
    Europe,
    LatinAmerica,
    NorthAmerica,
    Oceania,
}

impl Continent {
    pub const ALL: [Continent; 6] = [
        Continent::Asia,
        Continent::Europe,
        Continent::Africa,
        Continent::NorthAmerica,
        Continent::LatinAmerica,
        Continent::Oceania,
    ];

    pub fn from_digit(d: u8) -> Option<Continent> {
        Some(match d {
            1 => Continent::Asia,
            2 => Continent::Africa,
            3 => Continent::Europe,
            4 => Continent::LatinAmerica,
            5 => Continent::NorthAmerica,
            6 => Continent::Oceania,
            _ => return None,
        })
    }

    /// The API's key (`asia`, ..., `southAmerica` for Latin America).
    pub fn api_key(self) -> &'static str {
        match self {
            Continent::Asia => "asia",
            Continent::Africa => "africa",
            Continent::Europe => "europe",
            Continent::LatinAmerica => "southAmerica",
            Continent::NorthAmerica => "northAmerica",
            Continent::Oceania => "oceania",
        }
    }

    pub fn name_zh(self) -> &'static str {
        match self {
            Continent::Asia => "亚洲",
            Continent::Africa => "非洲",
            Continent::Europe => "欧洲",
            Continent::LatinAmerica => "拉丁美洲",
            Continent::NorthAmerica => "北美洲",
            Continent::Oceania => "大洋洲",
        }
    }

    pub fn name_en(self) -> &'static str {
        match self {
            Continent::Asia => "Asia",
            Continent::Africa => "Africa",
            Continent::Europe => "Europe",
            Continent::LatinAmerica => "Latin America",
            Continent::NorthAmerica => "North America",
            Continent::Oceania => "Oceania",
        }
    }

    /// The column prefix in `hs_base_metrics`.
    pub fn column(self) -> &'static str {
        match self {
            Continent::Asia => "asia",
            Continent::Africa => "africa",
            Continent::Europe => "europe",
            Continent::LatinAmerica => "south_america",
            Continent::NorthAmerica => "north_america",
            Continent::Oceania => "oceania",
        }
    }
}

/// Trade blocs ("trade tags"). A country can carry several.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Bloc {
    MiddleEast,
    BeltRoad,
    Asean,
    Eu,
    Usmca,
}

impl Bloc {
    pub const ALL: [Bloc; 5] = [
        Bloc::MiddleEast,
        Bloc::BeltRoad,
        Bloc::Asean,
        Bloc::Eu,
        Bloc::Usmca,
    ];

    pub fn api_key(self) -> &'static str {
        match self {
            Bloc::MiddleEast => "middleEast",
            Bloc::BeltRoad => "beltRoad",
            Bloc::Asean => "asean",
            Bloc::Eu => "eu",
            Bloc::Usmca => "usmca",
        }
    }

    pub fn name_zh(self) -> &'static str {
        match self {
            Bloc::MiddleEast => "中东",
            Bloc::BeltRoad => "一带一路",
            Bloc::Asean => "东盟",
            Bloc::Eu => "欧盟",
            Bloc::Usmca => "美墨加",
        }
    }

    pub fn name_en(self) -> &'static str {
        match self {
            Bloc::MiddleEast => "Middle East",
            Bloc::BeltRoad => "Belt and Road",
            Bloc::Asean => "ASEAN",
            Bloc::Eu => "EU",
            Bloc::Usmca => "USMCA",
        }
    }

    /// The column prefix in `hs_base_metrics`.
    pub fn column(self) -> &'static str {
        match self {
            Bloc::MiddleEast => "middle_east",
            Bloc::BeltRoad => "belt_road",
            Bloc::Asean => "asean",
            Bloc::Eu => "eu",
            Bloc::Usmca => "usmca",
        }
    }
}

/// A region of the breakdowns: a continent or a trade bloc, with every name
/// it goes by. The one list of regions for the metrics' columns, the API's
/// keys, the OpenAPI document, the charts and the terminal tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Region {
    Continent(Continent),
    Bloc(Bloc),
}

impl Region {
    /// Continents (in `Continent::ALL` order), then blocs (`Bloc::ALL`).
    pub const ALL: [Region; 11] = [
        Region::Continent(Continent::Asia),
        Region::Continent(Continent::Europe),
        Region::Continent(Continent::Africa),
        Region::Continent(Continent::NorthAmerica),
        Region::Continent(Continent::LatinAmerica),
        Region::Continent(Continent::Oceania),
        Region::Bloc(Bloc::MiddleEast),
        Region::Bloc(Bloc::BeltRoad),
        Region::Bloc(Bloc::Asean),
        Region::Bloc(Bloc::Eu),
        Region::Bloc(Bloc::Usmca),
    ];

    /// The API's key (`asia`, `southAmerica`, `beltRoad`...).
    pub fn api_key(self) -> &'static str {
        match self {
            Region::Continent(c) => c.api_key(),
            Region::Bloc(b) => b.api_key(),
        }
    }

    pub fn name_zh(self) -> &'static str {
        match self {
            Region::Continent(c) => c.name_zh(),
            Region::Bloc(b) => b.name_zh(),
        }
    }

    pub fn name_en(self) -> &'static str {
        match self {
            Region::Continent(c) => c.name_en(),
            Region::Bloc(b) => b.name_en(),
        }
    }

    /// The column prefix in `hs_base_metrics` (`asia` -> `asia_total`,
    /// `asia_prev_total`).
    pub fn column(self) -> &'static str {
        match self {
            Region::Continent(c) => c.column(),
            Region::Bloc(b) => b.column(),
        }
    }

    /// The region of an API key or a Chinese name.
    pub fn parse(s: &str) -> Option<Region> {
        Region::ALL
            .into_iter()
            .find(|r| r.api_key() == s || r.name_zh() == s)
    }
}

/// The currency of a file's value column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Currency {
    /// 人民币 / Renminbi Yuan
    Cny,
    /// 美元 / US dollar
    Usd,
}

impl Currency {
    pub fn name_zh(self) -> &'static str {
        match self {
            Currency::Cny => "人民币",
            Currency::Usd => "美元",
        }
    }
}

/// The form a bulletin file came in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum SourceFormat {
    Csv,
    Xlsx,
    Xls,
    Html,
}

/// The language of a file's headers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum HeaderLanguage {
    Chinese,
    English,
}

/// One data row of a bulletin, normalized. The optional dimensions are
/// `None` when the file has no such column.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fact {
    pub month: Month,
    pub hs_code: HsCode,
    pub partner: PartnerCode,
    /// 注册地编码 (registration place), when the file carries it.
    pub reg_place: Option<Sym>,
    /// 贸易方式编码 (trade mode), when the file carries it.
    pub trade_mode: Option<Sym>,
    /// Value in the file's currency, whole units (yuan).
    pub value: i64,
    pub quantity1: i64,
    pub unit1: Option<Sym>,
    pub quantity2: i64,
    pub unit2: Option<Sym>,
    /// 1-based line (CSV/HTML row, spreadsheet row) in the source file.
    pub line: u32,
}

/// Stable reason codes for quarantined rows (they appear in reports).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QuarantineReason {
    BadMonth,
    BadHsCode,
    BadPartnerCode,
    BadValue,
    NegativeValue,
    BadQuantity,
    /// The same key twice in one file: the later row is quarantined.
    DuplicateKeyInFile,
    /// A row with fewer fields than the header, or otherwise unreadable.
    MalformedRow,
}

impl QuarantineReason {
    pub fn code(self) -> &'static str {
        match self {
            QuarantineReason::BadMonth => "bad_month",
            QuarantineReason::BadHsCode => "bad_hs_code",
            QuarantineReason::BadPartnerCode => "bad_partner_code",
            QuarantineReason::BadValue => "bad_value",
            QuarantineReason::NegativeValue => "negative_value",
            QuarantineReason::BadQuantity => "bad_quantity",
            QuarantineReason::DuplicateKeyInFile => "duplicate_key_in_file",
            QuarantineReason::MalformedRow => "malformed_row",
        }
    }
}

/// A row that was read but not loaded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuarantinedRow {
    pub line: u32,
    pub reason: QuarantineReason,
    /// A readable explanation (which field, what value).
    pub detail: String,
    /// The row's fields as read, joined with `,` (truncated to 500 chars).
    pub raw: String,
    /// The row's value when it could be read (for reconciliation).
    pub value: Option<i64>,
}

/// Everything ingest learned from one file. Staged as-is, keyed by the
/// file's sha256, so an unchanged file is never parsed twice.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ParsedFile {
    /// Path relative to the input directory, with `/` separators.
    pub path: String,
    pub sha256: String,
    pub size: u64,
    pub format: SourceFormat,
    pub language: HeaderLanguage,
    /// Text encoding found, for CSV/HTML (`GB18030`, `UTF-8`, `UTF-8 BOM`).
    pub encoding: Option<String>,
    pub currency: Currency,
    pub has_reg_place: bool,
    pub has_trade_mode: bool,
    /// Data rows read (blank lines excluded): `facts.len() + quarantined.len()`.
    pub rows_read: u64,
    /// Serialized compactly (the stage reads millions of them back).
    #[serde(with = "crate::compact::facts")]
    pub facts: Vec<Fact>,
    pub quarantined: Vec<QuarantinedRow>,
    /// Non-fatal remarks (for example the 10,000-row download cap).
    pub warnings: Vec<String>,
    /// Product names as the file gives them (first occurrence per code).
    pub product_names: Vec<(HsCode, String)>,
    /// Partner names as the file gives them (first occurrence per code).
    pub partner_names: Vec<(PartnerCode, String)>,
}

impl ParsedFile {
    /// Sum of the values of the loaded rows.
    pub fn value_loaded(&self) -> i128 {
        self.facts.iter().map(|f| f.value as i128).sum()
    }
    /// Sum of the values of quarantined rows whose value could be read.
    pub fn value_quarantined(&self) -> i128 {
        self.quarantined
            .iter()
            .filter_map(|q| q.value)
            .map(|v| v as i128)
            .sum()
    }
}

/// One fact of the merged data: a (month, HS code, partner) cell after the
/// overlap rule, optional dimensions summed away.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MonthlyFact {
    pub month: Month,
    pub hs_code: HsCode,
    pub partner: PartnerCode,
    pub value: i64,
    pub quantity1: i64,
    pub unit1: Option<Sym>,
    pub quantity2: i64,
    pub unit2: Option<Sym>,
    /// Value as first published (the earliest release that carried this cell).
    pub first_value: i64,
    /// Index of the latest source file that contributed (in release order).
    pub source_file: u32,
}
