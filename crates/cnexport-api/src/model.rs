//! Parts shared by several answers, and the kinds of figures.
//!
//! A field's kind is declared once, on the field, as its schema `format`
//! (`#[schema(format = "yuan")]`): the OpenAPI document carries it, and the
//! report crate formats the column by it (thousands separators for yuan,
//! two decimals and `%` for percentages).

use cnexport_core::round::percent;
use cnexport_core::{Month, Region};
use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};
use utoipa::openapi::schema::{ObjectBuilder, Schema, SchemaFormat, SchemaType, Type};
use utoipa::openapi::RefOr;
use utoipa::{PartialSchema, ToSchema};

/// What a number in an answer is, as declared by its schema `format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldKind {
    /// An amount in yuan (`format: yuan`).
    Yuan,
    /// A quantity in the product's unit (`format: quantity`).
    Quantity,
    /// A percentage: a share or a growth rate (`format: percent`).
    Percent,
    /// A score, an average or percentage points (`format: decimal`).
    Decimal,
}

impl FieldKind {
    /// The kind named by a schema `format`, if it names one.
    pub fn from_format(format: &str) -> Option<FieldKind> {
        match format {
            "yuan" => Some(FieldKind::Yuan),
            "quantity" => Some(FieldKind::Quantity),
            "percent" => Some(FieldKind::Percent),
            "decimal" => Some(FieldKind::Decimal),
            _ => None,
        }
    }

    pub fn format(self) -> &'static str {
        match self {
            FieldKind::Yuan => "yuan",
            FieldKind::Quantity => "quantity",
            FieldKind::Percent => "percent",
            FieldKind::Decimal => "decimal",
        }
    }
}

/// The currency unit trend and series name.
pub const CURRENCY_UNIT: &str = "人民币";

/// An amount of one month.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MonthAmount {
    /// YYYYMM
    #[schema(pattern = "^[0-9]{6}$", example = "202401")]
    pub month: String,
    /// yuan
    #[schema(format = "yuan")]
    pub amount: i64,
}

impl MonthAmount {
    pub fn new(month: Month, amount: i64) -> MonthAmount {
        MonthAmount {
            month: month.to_string(),
            amount,
        }
    }
}

/// The continent with the largest share of the recent 12 months.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct BestRegion {
    /// the continent's API key (asia, europe, africa, northAmerica, southAmerica, oceania)
    pub region_name: String,
    /// its share of the recent-12-month total, in percent
    #[schema(format = "percent")]
    pub percent: f64,
}

/// The parts of momentumScore: growth over 3 and 12 months and the breadth
/// of growth, each in [-1, 1], with their weights.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MomentumComponents {
    pub g3: f64,
    pub g12: f64,
    pub gb: f64,
    pub weights: MomentumWeights,
}

/// The weights of the momentum components.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MomentumWeights {
    pub g3: f64,
    pub g12: f64,
    pub gb: f64,
}

impl MomentumWeights {
    pub const SCORE: MomentumWeights = MomentumWeights {
        g3: 0.5,
        g12: 0.3,
        gb: 0.2,
    };
}

/// How concentrated the markets are, now and a year before.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Concentration {
    /// Herfindahl-Hirschman index of the market shares (0-10000)
    pub hhi: Option<f64>,
    pub hhi_prev: Option<f64>,
    /// 10000 / hhi: the number of equal markets with the same concentration
    pub effective_markets: Option<f64>,
    pub effective_markets_prev: Option<f64>,
    /// markets with exports in the recent 12 months and none in the 12 before
    pub markets_entered: i64,
    /// markets with exports in the 12 months before and none in the recent 12
    pub markets_exited: i64,
}

/// Yuan per first unit, when both windows use one and the same unit.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct UnitValue {
    pub unit: String,
    /// yuan per unit, recent 12 months
    pub recent12: Option<f64>,
    /// yuan per unit, the 12 months before
    pub prev12: Option<f64>,
}

/// 100 * ln(V1/V0) split into price (unit value) and volume (quantity)
/// parts, which add up.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PriceVolume {
    pub value_change: f64,
    pub price_effect: f64,
    pub volume_effect: f64,
}

/// One region's recent-12-month total and share.
#[derive(Debug, Clone, Copy)]
pub struct RegionShare {
    pub region: Region,
    pub total: i64,
    pub percent: Option<f64>,
}

impl RegionShare {
    pub fn new(region: Region, total: i64, whole: i64) -> RegionShare {
        RegionShare {
            region,
            total,
            percent: percent(total as i128, whole as i128),
        }
    }
}

/// `{"<key>Total": yuan, "<key>Percent": share, ...}` for each region, in
/// `Region::ALL` order.
fn serialize_shares<S: Serializer>(shares: &[RegionShare], s: S) -> Result<S::Ok, S::Error> {
    let mut map = s.serialize_map(Some(shares.len() * 2))?;
    for share in shares {
        let key = share.region.api_key();
        map.serialize_entry(&format!("{key}Total"), &share.total)?;
        map.serialize_entry(&format!("{key}Percent"), &share.percent)?;
    }
    map.end()
}

fn shares_schema(continents: bool) -> RefOr<Schema> {
    let mut object = ObjectBuilder::new().schema_type(Type::Object);
    for region in Region::ALL
        .iter()
        .filter(|r| matches!(r, Region::Continent(_)) == continents)
    {
        let key = region.api_key();
        object = object
            .property(
                format!("{key}Total"),
                ObjectBuilder::new()
                    .schema_type(Type::Integer)
                    .format(Some(SchemaFormat::Custom(FieldKind::Yuan.format().into())))
                    .description(Some(format!(
                        "{} ({}): yuan",
                        region.name_en(),
                        region.name_zh()
                    ))),
            )
            .required(format!("{key}Total"))
            .property(
                format!("{key}Percent"),
                ObjectBuilder::new()
                    .schema_type(SchemaType::from_iter([Type::Number, Type::Null]))
                    .format(Some(SchemaFormat::Custom(
                        FieldKind::Percent.format().into(),
                    )))
                    .description(Some("share of the recent-12-month total, in percent")),
            )
            .required(format!("{key}Percent"));
    }
    object.into()
}

/// The six continents' totals and shares.
#[derive(Debug, Clone)]
pub struct RegionBreakdown(pub Vec<RegionShare>);

impl Serialize for RegionBreakdown {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        serialize_shares(&self.0, s)
    }
}

impl PartialSchema for RegionBreakdown {
    fn schema() -> RefOr<Schema> {
        shares_schema(true)
    }
}
impl ToSchema for RegionBreakdown {}

/// The trade blocs' totals and shares (a partner may be in several).
#[derive(Debug, Clone)]
pub struct TradeBlocBreakdown(pub Vec<RegionShare>);

impl Serialize for TradeBlocBreakdown {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        serialize_shares(&self.0, s)
    }
}

impl PartialSchema for TradeBlocBreakdown {
    fn schema() -> RefOr<Schema> {
        shares_schema(false)
    }
}
impl ToSchema for TradeBlocBreakdown {}

/// A destination as every list names it: customs code, Chinese and English
/// names, ISO 3166 and UN M49 codes (flattened into the entry).
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CountryFields {
    /// China customs 3-digit partner code
    pub country_code: String,
    pub country_name: String,
    pub country_name_en: Option<String>,
    /// ISO 3166-1 alpha-3
    pub iso3: Option<String>,
    /// ISO 3166-1 alpha-2
    pub iso2: Option<String>,
    /// UN M49 numeric code
    pub m49: Option<String>,
}

impl CountryFields {
    pub fn new(code: &str, info: crate::lookup::CountryInfo) -> CountryFields {
        CountryFields {
            country_code: code.to_string(),
            country_name: info.name_zh,
            country_name_en: info.name_en,
            iso3: info.iso3,
            iso2: info.iso2,
            m49: info.m49,
        }
    }

    /// The fields of partner `code`, from `countries`.
    pub fn of(conn: &rusqlite::Connection, code: &str) -> Result<CountryFields, crate::ApiError> {
        Ok(CountryFields::new(
            code,
            crate::lookup::country_info(conn, code)?,
        ))
    }
}
