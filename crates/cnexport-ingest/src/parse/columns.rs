//! Header recognition: column names (Chinese or English) -> fields.

use super::{excerpt, IngestError, IngestErrorKind};
use cnexport_core::{Currency, HeaderLanguage};

/// How many non-blank rows at the top of a table are searched for the
/// header row (a title row may sit above it).
pub const HEADER_SCAN_ROWS: usize = 20;

/// The columns a bulletin can carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Field {
    Month,
    Hs,
    ProductName,
    Partner,
    PartnerName,
    RegCode,
    RegName,
    TradeCode,
    TradeName,
    Quantity1,
    Unit1,
    Quantity2,
    Unit2,
    Cny,
    Usd,
}

const FIELD_COUNT: usize = 15;

impl Field {
    fn index(self) -> usize {
        self as usize
    }

    /// The name used in messages: Chinese header (English header).
    pub(crate) fn label(self) -> &'static str {
        match self {
            Field::Month => "数据年月 (Date of data)",
            Field::Hs => "商品编码 (Commodity code)",
            Field::ProductName => "商品名称 (Commodity)",
            Field::Partner => "贸易伙伴编码 (Trading partner code)",
            Field::PartnerName => "贸易伙伴名称 (Trading partner)",
            Field::RegCode => "注册地编码 (Locations of importers and exporters code)",
            Field::RegName => "注册地名称 (Locations of importers and exporters)",
            Field::TradeCode => "贸易方式编码 (Customs Regime code)",
            Field::TradeName => "贸易方式名称 (Customs Regime)",
            Field::Quantity1 => "第一数量 (Quantity)",
            Field::Unit1 => "第一计量单位 (Unit)",
            Field::Quantity2 => "第二数量 (Supplementary Quantity)",
            Field::Unit2 => "第二计量单位 (Supplementary Unit)",
            Field::Cny => "人民币 (Renminbi Yuan)",
            Field::Usd => "美元 (US dollar)",
        }
    }
}

/// Normalizes a header cell: drops BOMs and all whitespace, folds
/// full-width parentheses and colons, lowercases ASCII.
fn normalize(header: &str) -> String {
    let mut out = String::with_capacity(header.len());
    for c in header.chars() {
        match c {
            '\u{feff}' | '\u{200b}' => {}
            c if c.is_whitespace() => {}
            '（' => out.push('('),
            '）' => out.push(')'),
            '：' => out.push(':'),
            c => out.push(c.to_ascii_lowercase()),
        }
    }
    let trimmed = out.trim_end_matches(':').len();
    out.truncate(trimmed);
    out
}

fn exact(n: &str) -> Option<Field> {
    Some(match n {
        "数据年月" | "年月" | "数据月份" | "月份" | "日期" | "dateofdata" | "date" | "month"
        | "yearmonth" | "period" => Field::Month,
        "商品编码" | "商品代码" | "hs编码" | "hs编码8位" | "税则号列" | "commoditycode"
        | "hscode" | "hs" | "productcode" => Field::Hs,
        "商品名称"
        | "commodity"
        | "commodityname"
        | "commoditydescription"
        | "productname"
        | "product"
        | "description" => Field::ProductName,
        "贸易伙伴编码" | "贸易伙伴代码" | "国别编码" | "国别代码" | "国家编码" | "国家代码"
        | "tradingpartnercode" | "partnercode" | "countrycode" => Field::Partner,
        "贸易伙伴名称" | "贸易伙伴" | "国别" | "国家" | "国别名称" | "国家名称"
        | "tradingpartner" | "tradingpartnername" | "partner" | "partnername" | "country"
        | "countryname" => Field::PartnerName,
        "注册地编码"
        | "注册地代码"
        | "收发货人注册地编码"
        | "收发货人注册地代码"
        | "locationsofimportersandexporterscode"
        | "locationofimportersandexporterscode"
        | "locationsofimportersandexporterscodes" => Field::RegCode,
        "注册地名称"
        | "注册地"
        | "收发货人注册地名称"
        | "收发货人注册地"
        | "locationsofimportersandexporters"
        | "locationofimportersandexporters" => Field::RegName,
        "贸易方式编码" | "贸易方式代码" | "监管方式编码" | "监管方式代码" | "customsregimecode"
        | "trademodecode" | "tradingmodecode" => Field::TradeCode,
        "贸易方式名称" | "贸易方式" | "监管方式名称" | "监管方式" | "customsregime"
        | "trademode" | "tradingmode" => Field::TradeName,
        "第一数量" | "数量" | "quantity" | "firstquantity" | "quantity1" => Field::Quantity1,
        "第一计量单位" | "第一单位" | "计量单位" | "单位" | "unit" | "firstunit" | "unit1" => {
            Field::Unit1
        }
        "第二数量"
        | "supplementaryquantity"
        | "supplimentaryquantity"
        | "secondquantity"
        | "quantity2" => Field::Quantity2,
        "第二计量单位" | "第二单位" | "supplementaryunit" | "supplimentaryunit" | "secondunit"
        | "unit2" => Field::Unit2,
        "人民币" | "人民币元" | "人民币值" | "金额人民币" | "renminbiyuan" | "renminbi" | "rmb"
        | "cny" | "yuan" | "valuermb" | "valuecny" => Field::Cny,
        "美元" | "美元值" | "金额美元" | "usdollar" | "usdollars" | "usd" | "valueusd" => {
            Field::Usd
        }
        _ => return None,
    })
}

/// The field a header cell names, if any.
pub(crate) fn classify(header: &str) -> Option<Field> {
    let n = normalize(header);
    if n.is_empty() {
        return None;
    }
    if let Some(f) = exact(&n) {
        return Some(f);
    }
    // `人民币(元)`, `Renminbi Yuan (RMB)`, `金额(美元)`, `Value (USD)`.
    if let Some((base, rest)) = n.split_once('(') {
        let inner = rest.trim_end_matches(')');
        if let Some(f) = exact(base) {
            return Some(f);
        }
        if matches!(
            base,
            "金额" | "value" | "amount" | "贸易额" | "出口额" | "进口额"
        ) {
            return match exact(inner) {
                Some(f @ (Field::Cny | Field::Usd)) => Some(f),
                _ if inner == "元" => Some(Field::Cny),
                _ => None,
            };
        }
    }
    None
}

/// How many of the required columns (month, HS, partner, value) a row names.
pub(crate) fn required_hits<'a>(cells: impl IntoIterator<Item = &'a str>) -> usize {
    let mut seen = [false; 4];
    for c in cells {
        match classify(c) {
            Some(Field::Month) => seen[0] = true,
            Some(Field::Hs) => seen[1] = true,
            Some(Field::Partner) => seen[2] = true,
            Some(Field::Cny | Field::Usd) => seen[3] = true,
            _ => {}
        }
    }
    seen.iter().filter(|s| **s).count()
}

/// True when a row looks like a header row (names at least two of the
/// required columns).
pub(crate) fn is_header_candidate<'a>(cells: impl IntoIterator<Item = &'a str>) -> bool {
    required_hits(cells) >= 2
}

/// A header row mapped to column indexes.
#[derive(Debug, Clone)]
pub(crate) struct Columns {
    pub month: usize,
    pub hs: usize,
    pub partner: usize,
    pub value: usize,
    pub product_name: Option<usize>,
    pub partner_name: Option<usize>,
    /// Code column, else name column.
    pub reg_place: Option<usize>,
    pub trade_mode: Option<usize>,
    pub quantity1: Option<usize>,
    pub unit1: Option<usize>,
    pub quantity2: Option<usize>,
    pub unit2: Option<usize>,
    pub currency: Currency,
    pub language: HeaderLanguage,
    /// The header texts, by column (for messages).
    pub names: Vec<String>,
    /// Fields a row must have: highest mapped index + 1.
    pub needed: usize,
    /// The header's width (trailing empty header cells excluded).
    pub width: usize,
}

impl Columns {
    /// The header text of a column, for messages.
    pub(crate) fn name(&self, col: usize) -> &str {
        self.names.get(col).map(String::as_str).unwrap_or("?")
    }

    /// Maps a header row. Fails with the error the file deserves when
    /// required columns are missing. Warnings (repeated columns, both
    /// currencies) are appended to `warnings`.
    pub(crate) fn from_header(
        cells: &[&str],
        rel_path: &str,
        warnings: &mut Vec<String>,
    ) -> Result<Columns, IngestError> {
        let mut at: [Option<usize>; FIELD_COUNT] = [None; FIELD_COUNT];
        let mut any_chinese = false;
        let mut any_known = false;
        for (i, cell) in cells.iter().enumerate() {
            let Some(f) = classify(cell) else { continue };
            any_known = true;
            if !cell.is_ascii() {
                any_chinese = true;
            }
            match at[f.index()] {
                None => at[f.index()] = Some(i),
                Some(first) => warnings.push(format!(
                    "{rel_path}: column {} appears twice (columns {} and {}); the first is used",
                    f.label(),
                    first + 1,
                    i + 1
                )),
            }
        }
        let get = |f: Field| at[f.index()];
        let language = if any_chinese || !any_known {
            HeaderLanguage::Chinese
        } else {
            HeaderLanguage::English
        };

        let (value, currency) = match (get(Field::Cny), get(Field::Usd)) {
            (Some(c), Some(_)) => {
                warnings.push(format!(
                    "{rel_path}: both 人民币 and 美元 value columns; the 人民币 (yuan) column is used and 美元 ignored"
                ));
                (Some(c), Currency::Cny)
            }
            (Some(c), None) => (Some(c), Currency::Cny),
            (None, Some(u)) => (Some(u), Currency::Usd),
            (None, None) => (None, Currency::Cny),
        };

        let headers_found = excerpt(cells.iter().copied().filter(|c| !c.trim().is_empty()));
        let mut missing: Vec<&str> = Vec::new();
        if get(Field::Hs).is_none() {
            missing.push(Field::Hs.label());
        }
        if get(Field::Partner).is_none() {
            missing.push(Field::Partner.label());
        }
        if value.is_none() {
            missing.push("人民币 or 美元 (Renminbi Yuan or US dollar)");
        }
        let no_month = get(Field::Month).is_none();
        if no_month && missing.is_empty() {
            return Err(IngestError::new(
                rel_path,
                IngestErrorKind::NoMonthColumn,
                format!(
                    "no 数据年月 (Date of data) column: the file was downloaded without 分月展示 (monthly breakdown), so its values are totals over the whole queried period and cannot be placed in months (headers found: {headers_found})"
                ),
                "tick 分月展示 on the query page of stats.customs.gov.cn and download the file again",
            ));
        }
        if !missing.is_empty() {
            if no_month {
                missing.insert(0, Field::Month.label());
            }
            let how = if no_month {
                "select these fields on the query page (and tick 分月展示 for the month) and download the file again"
            } else {
                "select these fields on the query page of stats.customs.gov.cn and download the file again"
            };
            return Err(IngestError::new(
                rel_path,
                IngestErrorKind::MissingColumns,
                format!(
                    "missing required column(s) {} (headers found: {headers_found})",
                    missing.join(", ")
                ),
                how,
            ));
        }
        // Both checked above; the fallbacks are unreachable.
        let month = get(Field::Month).unwrap_or(0);
        let hs = get(Field::Hs).unwrap_or(0);
        let partner = get(Field::Partner).unwrap_or(0);
        let value = value.unwrap_or(0);

        let mut cols = Columns {
            month,
            hs,
            partner,
            value,
            product_name: get(Field::ProductName),
            partner_name: get(Field::PartnerName),
            reg_place: get(Field::RegCode).or(get(Field::RegName)),
            trade_mode: get(Field::TradeCode).or(get(Field::TradeName)),
            quantity1: get(Field::Quantity1),
            unit1: get(Field::Unit1),
            quantity2: get(Field::Quantity2),
            unit2: get(Field::Unit2),
            currency,
            language,
            names: cells.iter().map(|c| c.trim().to_string()).collect(),
            needed: 0,
            width: cells
                .iter()
                .rposition(|c| !c.trim().is_empty())
                .map_or(0, |i| i + 1),
        };
        cols.needed = [
            Some(cols.month),
            Some(cols.hs),
            Some(cols.partner),
            Some(cols.value),
            cols.product_name,
            cols.partner_name,
            cols.reg_place,
            cols.trade_mode,
            cols.quantity1,
            cols.unit1,
            cols.quantity2,
            cols.unit2,
        ]
        .into_iter()
        .flatten()
        .max()
        .map_or(0, |m| m + 1);
        Ok(cols)
    }
}

/// The columns a header row is recognized by, for messages.
pub(crate) const HEADER_HINT: &str = "数据年月, 商品编码, 贸易伙伴编码, 人民币/美元, or Date of data, Commodity code, Trading partner code, Renminbi Yuan/US dollar";

/// The error for a table without any recognizable header row. `what` says
/// where no header was found.
pub(crate) fn not_a_table(rel_path: &str, what: &str, first_row: Option<String>) -> IngestError {
    let seen = match first_row {
        Some(r) if !r.is_empty() => format!(" (first row: {r})"),
        _ => String::new(),
    };
    IngestError::new(
        rel_path,
        IngestErrorKind::NotATable,
        format!("not a bulletin table: {what}{seen}"),
        "check that this is a query result downloaded from stats.customs.gov.cn (CSV, Excel, or the saved result page) and download it again",
    )
}
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_variants() {
        assert_eq!(classify(" 数据年月 "), Some(Field::Month));
        assert_eq!(classify("\u{feff}数据年月"), Some(Field::Month));
        assert_eq!(classify("商品 编码"), Some(Field::Hs));
        assert_eq!(classify("人民币(元)"), Some(Field::Cny));
        assert_eq!(classify("人民币（元）"), Some(Field::Cny));
        assert_eq!(classify("Renminbi Yuan"), Some(Field::Cny));
        assert_eq!(classify("RMB"), Some(Field::Cny));
        assert_eq!(classify("US dollar"), Some(Field::Usd));
        assert_eq!(classify("USD"), Some(Field::Usd));
        assert_eq!(classify("金额(美元)"), Some(Field::Usd));
        assert_eq!(classify("Supplimentary Quantity"), Some(Field::Quantity2));
        assert_eq!(classify("DATE OF DATA"), Some(Field::Month));
        assert_eq!(
            classify("Locations of importers and exporters code"),
            Some(Field::RegCode)
        );
        assert_eq!(classify("Customs Regime"), Some(Field::TradeName));
        assert_eq!(classify(""), None);
        assert_eq!(classify("2024年大豆出口"), None);
    }
}
