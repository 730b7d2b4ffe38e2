//! The parameters of each endpoint as types. The derive (`IntoParams`)
//! gives the OpenAPI parameter list and the set of names a request may use;
//! [`FromQuery`] parses a decoded query string into the type, with the 400
//! messages of the API.

use crate::query::{bad_choice, Choice, Query};
use crate::ApiError;
use cnexport_core::{Month, Region};
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
use utoipa::openapi::RefOr;
use utoipa::{IntoParams, PartialSchema, ToSchema};

/// Parsing of a parameter type from a query string.
pub trait FromQuery: Sized {
    fn from_query(query: &Query) -> Result<Self, ApiError>;
}

/// `limit`: how many rows of a list to return, from 1 to `MAX`, `DEFAULT`
/// when absent. The range is part of the type, so the parser and the
/// OpenAPI schema cannot disagree.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit<const DEFAULT: usize, const MAX: usize>(pub usize);

impl<const DEFAULT: usize, const MAX: usize> Limit<DEFAULT, MAX> {
    fn parse(query: &Query) -> Result<Self, ApiError> {
        Ok(Limit(query.count("limit", DEFAULT, 1, MAX)?))
    }
}

impl<const DEFAULT: usize, const MAX: usize> PartialSchema for Limit<DEFAULT, MAX> {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::Integer)
            .minimum(Some(1))
            .maximum(Some(MAX as f64))
            .default(Some(DEFAULT.into()))
            .examples([DEFAULT])
            .into()
    }
}
impl<const DEFAULT: usize, const MAX: usize> ToSchema for Limit<DEFAULT, MAX> {}

/// `offset`: how many rows of a list to skip (0 to 100,000).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Offset(pub usize);

impl Offset {
    const MAX: usize = 100_000;

    fn parse(query: &Query) -> Result<Self, ApiError> {
        Ok(Offset(query.count("offset", 0, 0, Offset::MAX)?))
    }
}

impl PartialSchema for Offset {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::Integer)
            .minimum(Some(0))
            .maximum(Some(Offset::MAX as f64))
            .default(Some(0.into()))
            .examples([0])
            .into()
    }
}
impl ToSchema for Offset {}

/// `hsCode`: 2, 4, 6 or 8 digits, dots dropped (`8517.13.00`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HsCode(pub String);

impl HsCode {
    const LENGTHS: [usize; 4] = [2, 4, 6, 8];
    const ALLOWED: &'static str = "a product code of 2, 4, 6, 8 digits";

    fn parse(query: &Query) -> Result<HsCode, ApiError> {
        let v = query.require("hsCode", HsCode::ALLOWED)?;
        let digits: String = v.chars().filter(|c| *c != '.').collect();
        if digits.bytes().all(|b| b.is_ascii_digit()) && HsCode::LENGTHS.contains(&digits.len()) {
            Ok(HsCode(digits))
        } else {
            Err(ApiError::bad_request(format!(
                "参数 hsCode 无效: {v:.40} (hsCode must be {})",
                HsCode::ALLOWED
            )))
        }
    }
}

impl PartialSchema for HsCode {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            // 2, 4, 6 or 8 digits; dots anywhere are dropped.
            .pattern(Some("^[.]*([0-9][.]*[0-9][.]*){1,4}$"))
            .into()
    }
}
impl ToSchema for HsCode {}

/// A `countryCode` as given: a China customs partner code or an ISO 3166
/// alpha-3 code (resolved against the database's `countries` table).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CountryParam {
    Customs(String),
    Iso3(String),
}

impl CountryParam {
    const ALLOWED: &'static str =
        "a 3-digit China customs partner code such as 502, or an ISO 3166 alpha-3 code such as USA";

    /// An optional `countryCode`.
    fn parse_optional(query: &Query) -> Result<Option<CountryParam>, ApiError> {
        match query.get("countryCode") {
            None => Ok(None),
            Some(_) => CountryParam::parse(query).map(Some),
        }
    }

    fn parse(query: &Query) -> Result<CountryParam, ApiError> {
        let v = query.require("countryCode", CountryParam::ALLOWED)?;
        if v.len() == 3 && v.bytes().all(|b| b.is_ascii_digit()) {
            Ok(CountryParam::Customs(v.to_string()))
        } else if v.len() == 3 && v.bytes().all(|b| b.is_ascii_alphabetic()) {
            Ok(CountryParam::Iso3(v.to_ascii_uppercase()))
        } else {
            Err(ApiError::bad_request(format!(
                "参数 countryCode 无效: {v:.40} (countryCode must be {})",
                CountryParam::ALLOWED
            )))
        }
    }
}

impl PartialSchema for CountryParam {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .pattern(Some("^([0-9]{3}|[A-Za-z]{3})$"))
            .into()
    }
}
impl ToSchema for CountryParam {}

/// `regionFilter`: a continent or trade bloc by its API key (`asean`) or
/// Chinese name (`东盟`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RegionFilter(pub Region);

impl PartialSchema for RegionFilter {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .enum_values(Some(Region::ALL.iter().map(|r| r.api_key())))
            .into()
    }
}
impl ToSchema for RegionFilter {}

/// `level`: the HS level ranked: 2, 4, 6 or 8 digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Level(pub u8);

impl Level {
    const ALL: [u8; 4] = [2, 4, 6, 8];
}

impl PartialSchema for Level {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::Integer)
            .enum_values(Some(Level::ALL))
            .default(Some(8.into()))
            .into()
    }
}
impl ToSchema for Level {}

/// The schema of a choice: its keys, and the default.
fn choice_schema<C: Choice>() -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(C::ALL.iter().map(|c| c.key())))
        .default(Some(C::DEFAULT.key().into()))
        .into()
}

/// Declares a parameter that takes one of a few keys: the enum, its keys
/// (in the order 400 messages list them), its default and its schema.
macro_rules! choice {
    ($(#[$doc:meta])* $name:ident { $($variant:ident => $key:literal),+ $(,)? } default $default:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum $name {
            $($variant),+
        }

        impl Choice for $name {
            const ALL: &'static [$name] = &[$($name::$variant),+];
            const DEFAULT: $name = $name::$default;
            fn key(self) -> &'static str {
                match self {
                    $($name::$variant => $key),+
                }
            }
        }

        impl PartialSchema for $name {
            fn schema() -> RefOr<Schema> {
                choice_schema::<$name>()
            }
        }
        impl ToSchema for $name {}
    };
}

choice! {
    /// Sort order of `/skill/markets`.
    MarketSort { Amount => "amount", Name => "name", Growth => "growth" } default Amount
}

choice! {
    /// Sort direction.
    SortOrder { Desc => "desc", Asc => "asc" } default Desc
}

choice! {
    /// Ranking of `/skill/topProducts`.
    ProductSort { Growth => "growth", Amount => "amount", MarketBreadth => "marketBreadth", Chance => "chance", Season => "season" } default Growth
}

/// `/skill/dashboard`
#[derive(Debug, Clone, IntoParams)]
#[into_params(parameter_in = Query, rename_all = "camelCase")]
pub struct DashboardParams {
    /// HS product code of 2, 4, 6 or 8 digits (dots allowed: 8517.13.00)
    #[param(inline, example = "85171300")]
    pub hs_code: HsCode,
    /// as-of month YYYYMM (default: the latest)
    #[param(value_type = Option<String>, pattern = "^(19|2[0-9])[0-9]{2}(0[1-9]|1[0-2])$", example = "202412")]
    pub current_month: Option<Month>,
}

impl FromQuery for DashboardParams {
    fn from_query(q: &Query) -> Result<Self, ApiError> {
        Ok(DashboardParams {
            hs_code: HsCode::parse(q)?,
            current_month: q.month("currentMonth")?,
        })
    }
}

/// `/skill/markets`
#[derive(Debug, Clone, IntoParams)]
#[into_params(parameter_in = Query, rename_all = "camelCase")]
pub struct MarketsParams {
    /// HS product code of 2, 4, 6 or 8 digits (dots allowed: 8517.13.00)
    #[param(inline, example = "85171300")]
    pub hs_code: HsCode,
    /// amount, name (pinyin order), or growth (yoyGrowthRate, unrounded; zero bases last)
    #[param(inline, required = false)]
    pub sort_by: MarketSort,
    /// sort order
    #[param(inline, required = false)]
    pub order: SortOrder,
    /// least recent-12-month total (yuan)
    #[param(required = false, minimum = 0, default = 0, example = 0)]
    pub min_amount: i64,
    /// rows to return (1-1000)
    #[param(inline, required = false)]
    pub limit: Limit<50, 1000>,
    /// rows to skip
    #[param(inline, required = false)]
    pub offset: Offset,
}

impl FromQuery for MarketsParams {
    fn from_query(q: &Query) -> Result<Self, ApiError> {
        Ok(MarketsParams {
            hs_code: HsCode::parse(q)?,
            sort_by: q.choice("sortBy")?,
            order: q.choice("order")?,
            min_amount: q.integer("minAmount", 0, 0, i64::MAX)?,
            limit: Limit::parse(q)?,
            offset: Offset::parse(q)?,
        })
    }
}

/// `/skill/trend`
#[derive(Debug, Clone, IntoParams)]
#[into_params(parameter_in = Query, rename_all = "camelCase")]
pub struct PairParams {
    /// HS product code of 2, 4, 6 or 8 digits (dots allowed: 8517.13.00)
    #[param(inline, example = "85171300")]
    pub hs_code: HsCode,
    /// China customs 3-digit trading-partner code (502 = United States), or an ISO 3166 alpha-3 code (USA); /skill/countries lists both
    #[param(inline, example = "502")]
    pub country_code: CountryParam,
}

impl FromQuery for PairParams {
    fn from_query(q: &Query) -> Result<Self, ApiError> {
        Ok(PairParams {
            hs_code: HsCode::parse(q)?,
            country_code: CountryParam::parse(q)?,
        })
    }
}

/// `/skill/history`
#[derive(Debug, Clone, IntoParams)]
#[into_params(parameter_in = Query, rename_all = "camelCase")]
pub struct HistoryParams {
    /// HS product code of 2, 4, 6 or 8 digits (dots allowed: 8517.13.00)
    #[param(inline, example = "85171300")]
    pub hs_code: HsCode,
    /// China customs 3-digit trading-partner code (502 = United States), or an ISO 3166 alpha-3 code (USA); /skill/countries lists both
    #[param(inline, example = "502")]
    pub country_code: CountryParam,
    /// true: each month also carries the value first published and the revision since
    #[param(required = false, default = false, example = false)]
    pub vintages: bool,
}

impl FromQuery for HistoryParams {
    fn from_query(q: &Query) -> Result<Self, ApiError> {
        Ok(HistoryParams {
            hs_code: HsCode::parse(q)?,
            country_code: CountryParam::parse(q)?,
            vintages: q.flag("vintages")?,
        })
    }
}

/// `/skill/topProducts`
#[derive(Debug, Clone, IntoParams)]
#[into_params(parameter_in = Query, rename_all = "camelCase")]
pub struct TopProductsParams {
    /// growth (codes without growth are left out), amount or marketBreadth
    #[param(inline, required = false)]
    pub sort_by: ProductSort,
    /// rank 8-digit codes or the roll-ups of one level
    #[param(inline, required = false)]
    pub level: Level,
    /// rank by one region's or bloc's total and growth (Chinese names accepted too)
    #[param(inline, example = "asean")]
    pub region_filter: Option<RegionFilter>,
    /// least recent-12-month total (yuan) of the ranked figure
    #[param(required = false, minimum = 0, default = 10000000, example = 10000000)]
    pub min_amount: i64,
    /// growth rankings leave out codes whose base (prev12, or the region's) is below this (yuan); default: the low-base threshold of the database
    #[param(minimum = 0, example = 1000000)]
    pub min_base: Option<i64>,
    /// largest top3ConcentrationPercent
    #[param(minimum = 0, maximum = 100, example = 80)]
    pub max_concentration: Option<f64>,
    /// rows to return (1-100)
    #[param(inline, required = false)]
    pub limit: Limit<30, 100>,
    /// rows to skip
    #[param(inline, required = false)]
    pub offset: Offset,
}

impl FromQuery for TopProductsParams {
    fn from_query(q: &Query) -> Result<Self, ApiError> {
        let sort_by = q.choice("sortBy")?;
        let level = q.integer("level", 8, 2, 8)?;
        let level = Level::ALL
            .into_iter()
            .find(|l| i64::from(*l) == level)
            .map(Level)
            .ok_or_else(|| bad_choice("level", &level.to_string(), "2, 4, 6, 8"))?;
        let region_filter = match q.get("regionFilter") {
            None | Some("") => None,
            Some(v) => Some(RegionFilter(Region::parse(v).ok_or_else(|| {
                let keys: Vec<&str> = Region::ALL.iter().map(|r| r.api_key()).collect();
                bad_choice("regionFilter", v, &keys.join(", "))
            })?)),
        };
        Ok(TopProductsParams {
            sort_by,
            level,
            region_filter,
            min_amount: q.integer("minAmount", 10_000_000, 0, i64::MAX)?,
            min_base: q.optional_integer("minBase", 0)?,
            max_concentration: q.number("maxConcentration", 0.0, 100.0)?,
            limit: Limit::parse(q)?,
            offset: Offset::parse(q)?,
        })
    }
}

/// `/skill/search`
#[derive(Debug, Clone, IntoParams)]
#[into_params(parameter_in = Query, rename_all = "camelCase")]
pub struct SearchParams {
    /// a code prefix (8517) or words of the name (手机, phone)
    #[param(max_length = 64, pattern = "\\S", example = "8517")]
    pub q: String,
    /// rows to return (1-100)
    #[param(inline, required = false)]
    pub limit: Limit<20, 100>,
}

impl SearchParams {
    /// Longest query text accepted.
    pub const MAX_CHARS: usize = 64;
}

impl FromQuery for SearchParams {
    fn from_query(q: &Query) -> Result<Self, ApiError> {
        let text = q.require(
            "q",
            "a product code prefix (e.g. 8517) or words of its name (e.g. 手机, phone)",
        )?;
        if text.chars().count() > SearchParams::MAX_CHARS {
            return Err(ApiError::bad_request(format!(
                "参数 q 过长 (q must be at most {} characters)",
                SearchParams::MAX_CHARS
            )));
        }
        Ok(SearchParams {
            q: text.to_string(),
            limit: Limit::parse(q)?,
        })
    }
}

/// `/skill/meta`
#[derive(Debug, Clone, IntoParams)]
#[into_params(parameter_in = Query, rename_all = "camelCase")]
pub struct MetaParams {
    /// a month YYYYMM to ask about: is it in the data?
    #[param(value_type = Option<String>, pattern = "^[0-9]{6}$", example = "202401")]
    pub month: Option<Month>,
}

impl FromQuery for MetaParams {
    fn from_query(q: &Query) -> Result<Self, ApiError> {
        Ok(MetaParams {
            month: q.month("month")?,
        })
    }
}

/// `/skill/contributions`
#[derive(Debug, Clone, IntoParams)]
#[into_params(parameter_in = Query, rename_all = "camelCase")]
pub struct ContributionsParams {
    /// HS product code of 2, 4, 6 or 8 digits (dots allowed: 8517.13.00)
    #[param(inline, example = "85171300")]
    pub hs_code: HsCode,
    /// rows to return (1-1000)
    #[param(inline, required = false)]
    pub limit: Limit<50, 1000>,
    /// rows to skip
    #[param(inline, required = false)]
    pub offset: Offset,
}

impl FromQuery for ContributionsParams {
    fn from_query(q: &Query) -> Result<Self, ApiError> {
        Ok(ContributionsParams {
            hs_code: HsCode::parse(q)?,
            limit: Limit::parse(q)?,
            offset: Offset::parse(q)?,
        })
    }
}

/// `/skill/growth`
#[derive(Debug, Clone, IntoParams)]
#[into_params(parameter_in = Query, rename_all = "camelCase")]
pub struct GrowthParams {
    /// HS product code of 2, 4, 6 or 8 digits (dots allowed: 8517.13.00)
    #[param(inline, example = "85171300")]
    pub hs_code: HsCode,
    /// least prev12 (yuan) of a destination to be ranked; default: the low-base threshold of the database
    #[param(minimum = 0, example = 1000000)]
    pub min_base: Option<i64>,
    /// rows to return (1-1000)
    #[param(inline, required = false)]
    pub limit: Limit<50, 1000>,
    /// rows to skip
    #[param(inline, required = false)]
    pub offset: Offset,
}

impl FromQuery for GrowthParams {
    fn from_query(q: &Query) -> Result<Self, ApiError> {
        Ok(GrowthParams {
            hs_code: HsCode::parse(q)?,
            min_base: q.optional_integer("minBase", 0)?,
            limit: Limit::parse(q)?,
            offset: Offset::parse(q)?,
        })
    }
}

/// `/skill/series`
#[derive(Debug, Clone, IntoParams)]
#[into_params(parameter_in = Query, rename_all = "camelCase")]
pub struct SeriesParams {
    /// HS product code of 2, 4, 6 or 8 digits (dots allowed: 8517.13.00)
    #[param(inline, example = "85171300")]
    pub hs_code: HsCode,
    /// first month YYYYMM, a month of the data (default: 23 months before `to`)
    #[param(value_type = Option<String>, pattern = "^(19|2[0-9])[0-9]{2}(0[1-9]|1[0-2])$", example = "202301")]
    pub from: Option<Month>,
    /// last month YYYYMM, a month of the data (default: the latest)
    #[param(value_type = Option<String>, pattern = "^(19|2[0-9])[0-9]{2}(0[1-9]|1[0-2])$", example = "202412")]
    pub to: Option<Month>,
    /// one destination: a China customs 3-digit partner code (502) or an ISO 3166 alpha-3 code (USA); default: all destinations
    #[param(value_type = Option<String>, pattern = "^([0-9]{3}|[A-Za-z]{3})$", example = "502")]
    pub country_code: Option<CountryParam>,
}

impl FromQuery for SeriesParams {
    fn from_query(q: &Query) -> Result<Self, ApiError> {
        Ok(SeriesParams {
            hs_code: HsCode::parse(q)?,
            from: q.month("from")?,
            to: q.month("to")?,
            country_code: CountryParam::parse_optional(q)?,
        })
    }
}

/// `/skill/priceband`
#[derive(Debug, Clone, IntoParams)]
#[into_params(parameter_in = Query, rename_all = "camelCase")]
pub struct PricebandParams {
    /// HS product code of 2, 4, 6 or 8 digits (dots allowed: 8517.13.00)
    #[param(inline, example = "85171300")]
    pub hs_code: HsCode,
    /// rows to return (1-1000)
    #[param(inline, required = false)]
    pub limit: Limit<50, 1000>,
    /// rows to skip
    #[param(inline, required = false)]
    pub offset: Offset,
}

impl FromQuery for PricebandParams {
    fn from_query(q: &Query) -> Result<Self, ApiError> {
        Ok(PricebandParams {
            hs_code: HsCode::parse(q)?,
            limit: Limit::parse(q)?,
            offset: Offset::parse(q)?,
        })
    }
}

/// `/skill/chapter`
#[derive(Debug, Clone, IntoParams)]
#[into_params(parameter_in = Query, rename_all = "camelCase")]
pub struct ChapterParams {
    /// HS product code of 2, 4, 6 or 8 digits (dots allowed: 8517.13.00)
    #[param(inline, example = "85171300")]
    pub hs_code: HsCode,
    /// as-of month YYYYMM (default: the latest)
    #[param(value_type = Option<String>, pattern = "^(19|2[0-9])[0-9]{2}(0[1-9]|1[0-2])$", example = "202412")]
    pub current_month: Option<Month>,
    /// rows to return (1-100)
    #[param(inline, required = false)]
    pub limit: Limit<100, 100>,
    /// rows to skip
    #[param(inline, required = false)]
    pub offset: Offset,
}

impl FromQuery for ChapterParams {
    fn from_query(q: &Query) -> Result<Self, ApiError> {
        Ok(ChapterParams {
            hs_code: HsCode::parse(q)?,
            current_month: q.month("currentMonth")?,
            limit: Limit::parse(q)?,
            offset: Offset::parse(q)?,
        })
    }
}

/// `/skill/seasonality`
#[derive(Debug, Clone, IntoParams)]
#[into_params(parameter_in = Query, rename_all = "camelCase")]
pub struct SeasonalityParams {
    /// HS product code of 2, 4, 6 or 8 digits (dots allowed: 8517.13.00)
    #[param(inline, example = "85171300")]
    pub hs_code: HsCode,
    /// one destination: a China customs 3-digit partner code (502) or an ISO 3166 alpha-3 code (USA); default: all destinations
    #[param(value_type = Option<String>, pattern = "^([0-9]{3}|[A-Za-z]{3})$", example = "502")]
    pub country_code: Option<CountryParam>,
    /// as-of month YYYYMM, a month of the data (default: the latest)
    #[param(value_type = Option<String>, pattern = "^(19|2[0-9])[0-9]{2}(0[1-9]|1[0-2])$", example = "202412")]
    pub current_month: Option<Month>,
}

impl FromQuery for SeasonalityParams {
    fn from_query(q: &Query) -> Result<Self, ApiError> {
        Ok(SeasonalityParams {
            hs_code: HsCode::parse(q)?,
            country_code: CountryParam::parse_optional(q)?,
            current_month: q.month("currentMonth")?,
        })
    }
}

/// `/skill/coverage`
#[derive(Debug, Clone, IntoParams)]
#[into_params(parameter_in = Query, rename_all = "camelCase")]
pub struct CoverageParams {
    /// one HS chapter, 2 digits (default: all chapters)
    #[param(value_type = Option<String>, pattern = "^[0-9]{2}$", example = "85")]
    pub chapter: Option<u8>,
    /// first month YYYYMM (default: the data's first)
    #[param(value_type = Option<String>, pattern = "^(19|2[0-9])[0-9]{2}(0[1-9]|1[0-2])$", example = "202401")]
    pub from: Option<Month>,
    /// last month YYYYMM (default: the data's latest)
    #[param(value_type = Option<String>, pattern = "^(19|2[0-9])[0-9]{2}(0[1-9]|1[0-2])$", example = "202412")]
    pub to: Option<Month>,
}

impl FromQuery for CoverageParams {
    fn from_query(q: &Query) -> Result<Self, ApiError> {
        let chapter = match q.get("chapter").filter(|v| !v.is_empty()) {
            None => None,
            Some(v) => match v.parse::<u8>() {
                Ok(c) if v.len() == 2 && (1..=99).contains(&c) => Some(c),
                _ => {
                    return Err(ApiError::bad_request(format!(
                    "参数 chapter 无效: {v:.40} (chapter must be a 2-digit HS chapter, 01 to 99)"
                )))
                }
            },
        };
        let (from, to) = (q.month("from")?, q.month("to")?);
        if let (Some(a), Some(b)) = (from, to) {
            if a > b {
                return Err(ApiError::bad_request(format!(
                    "参数 from 晚于 to: {a} > {b} (from must not be after to)"
                )));
            }
        }
        Ok(CoverageParams { chapter, from, to })
    }
}

/// `/skill/countries` takes none.
#[derive(Debug, Clone, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct NoParams {}

impl FromQuery for NoParams {
    fn from_query(_: &Query) -> Result<Self, ApiError> {
        Ok(NoParams {})
    }
}
