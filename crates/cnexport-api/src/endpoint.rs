//! The one list of endpoints: each with its path, summary, parameter type
//! and answer type. The dispatcher, the HTTP server, the OpenAPI document,
//! the report crate and the fuzz target all take it from here.

use crate::handler::Handler;
use crate::params::FromQuery;
use crate::query::Query;
use crate::{ApiError, Envelope, OK_MESSAGE};
use rusqlite::Connection;
use serde_json::Value;
use utoipa::openapi::path::{Parameter, ParameterIn};
use utoipa::openapi::schema::Schema;
use utoipa::openapi::RefOr;
use utoipa::{IntoParams, ToSchema};

/// An endpoint of the API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Endpoint {
    Dashboard,
    Markets,
    Trend,
    TopProducts,
    History,
    Search,
    Meta,
    Contributions,
    Countries,
    Series,
    Growth,
    Priceband,
    Chapter,
    Seasonality,
    Coverage,
}

/// A handler with its types erased, so that `Endpoint` can pick one.
trait AnyHandler: Sync {
    fn answer(&self, conn: &Connection, query: &Query) -> Result<(Value, Option<u64>), ApiError>;
    fn parameters(&self) -> Vec<Parameter>;
    fn data_schema(&self) -> RefOr<Schema>;
    fn schemas(&self, out: &mut Vec<(String, RefOr<Schema>)>);
    fn parse_only(&self, query: &Query) -> Result<(), ApiError>;
}

impl<H: Handler> AnyHandler for H {
    fn answer(&self, conn: &Connection, query: &Query) -> Result<(Value, Option<u64>), ApiError> {
        let params = H::Params::from_query(query)?;
        let answered = Handler::answer(self, conn, &params)?;
        let body = serde_json::to_value(Envelope {
            code: 200,
            message: OK_MESSAGE,
            data: answered.data,
        })
        .map_err(ApiError::internal)?;
        Ok((body, answered.total_count))
    }

    fn parameters(&self) -> Vec<Parameter> {
        H::Params::into_params(|| Some(ParameterIn::Query))
    }

    fn data_schema(&self) -> RefOr<Schema> {
        <H::Data as utoipa::PartialSchema>::schema()
    }

    fn schemas(&self, out: &mut Vec<(String, RefOr<Schema>)>) {
        <H::Data as ToSchema>::schemas(out);
    }

    fn parse_only(&self, query: &Query) -> Result<(), ApiError> {
        H::Params::from_query(query).map(|_| ())
    }
}

impl Endpoint {
    pub const ALL: [Endpoint; 15] = [
        Endpoint::Dashboard,
        Endpoint::Markets,
        Endpoint::Trend,
        Endpoint::TopProducts,
        Endpoint::History,
        Endpoint::Search,
        Endpoint::Meta,
        Endpoint::Contributions,
        Endpoint::Countries,
        Endpoint::Series,
        Endpoint::Growth,
        Endpoint::Priceband,
        Endpoint::Chapter,
        Endpoint::Seasonality,
        Endpoint::Coverage,
    ];

    pub fn path(self) -> &'static str {
        match self {
            Endpoint::Dashboard => "/skill/dashboard",
            Endpoint::Markets => "/skill/markets",
            Endpoint::Trend => "/skill/trend",
            Endpoint::TopProducts => "/skill/topProducts",
            Endpoint::History => "/skill/history",
            Endpoint::Search => "/skill/search",
            Endpoint::Meta => "/skill/meta",
            Endpoint::Contributions => "/skill/contributions",
            Endpoint::Growth => "/skill/growth",
            Endpoint::Countries => "/skill/countries",
            Endpoint::Series => "/skill/series",
            Endpoint::Priceband => "/skill/priceband",
            Endpoint::Chapter => "/skill/chapter",
            Endpoint::Seasonality => "/skill/seasonality",
            Endpoint::Coverage => "/skill/coverage",
        }
    }

    /// The short name (`topProducts`): the path without `/skill/`.
    pub fn name(self) -> &'static str {
        self.path().trim_start_matches("/skill/")
    }

    /// The endpoint of a request path (a trailing `/` is ignored).
    pub fn from_path(path: &str) -> Option<Endpoint> {
        let path = path.trim_end_matches('/');
        Endpoint::ALL.into_iter().find(|e| e.path() == path)
    }

    /// One line on what the endpoint answers.
    pub fn summary(self) -> &'static str {
        match self {
            Endpoint::Dashboard => "A product's (or roll-up's) 12-month figures at an as-of month",
            Endpoint::Markets => "The destinations of a product in the latest 12 months",
            Endpoint::Trend => "The 12 latest months of a product to one destination, oldest first",
            Endpoint::TopProducts => "A ranking of products at the latest month",
            Endpoint::History => "24 months of a product to one destination, newest first, with yearly totals and statistics",
            Endpoint::Search => "Find products by code prefix or by words of the Chinese or English name, best match first",
            Endpoint::Meta => "What the build holds: months (and whether a month is in), counts, currency, digest, build time",
            Endpoint::Contributions => "Which markets drove a product's year-on-year change: each market's change and its contribution in percentage points",
            Endpoint::Growth => "A product's destinations ranked by year-on-year growth of their 12-month totals, fastest first, leaving out (and counting) low bases and new markets",
            Endpoint::Countries => "Every partner with its Chinese and English names, continent, blocs, ISO 3166 and UN M49 codes",
            Endpoint::Series => "A product's (or roll-up's) monthly exports to all destinations or to one, oldest first: by default the 24 months M-23..M (the last 12 add up to recent12mGlobalTotal, the first 12 to prev12mGlobalTotal), or any range from..to of the data's months up to the whole history",
            Endpoint::Priceband => "What each destination pays per unit over the latest 12 months (yuan per unit), the median, and each destination's price tier (premium 高端, mid 中端, value 性价比), with the monthly unit value over the whole data",
            Endpoint::Chapter => "A product's chapter (first 2 digits) broken down by 4-digit heading: each heading's 12-month total, share, growth and active 8-digit codes, and where the product's heading ranks",
            Endpoint::Seasonality => "The months of the year a product sells in (to all destinations or one): each calendar month's share over the latest complete years (up to 3), the peak months and the strength of the seasonality",
            Endpoint::Coverage => "What the database covers, month x HS chapter (facts, value and the source files holding them), and what looks like a hole: a missing month, a chapter missing in a month between months that have it, a download cut off at the platform's 10,000-row cap (with the queries that would fit)",
        }
    }

    /// Whether the answer carries the number of items before
    /// `limit`/`offset` (sent as `X-Total-Count`).
    pub fn has_total_count(self) -> bool {
        matches!(
            self,
            Endpoint::Markets
                | Endpoint::TopProducts
                | Endpoint::Search
                | Endpoint::Contributions
                | Endpoint::Countries
                | Endpoint::Growth
                | Endpoint::Priceband
                | Endpoint::Chapter
        )
    }

    /// Whether `data` is a list (one row per element).
    pub fn is_list(self) -> bool {
        matches!(
            self,
            Endpoint::Markets | Endpoint::TopProducts | Endpoint::Search | Endpoint::Countries
        )
    }

    fn handler(self) -> &'static dyn AnyHandler {
        match self {
            Endpoint::Dashboard => &crate::metrics::Dashboard,
            Endpoint::Markets => &crate::metrics::Markets,
            Endpoint::Trend => &crate::pairs::Trend,
            Endpoint::TopProducts => &crate::metrics::TopProducts,
            Endpoint::History => &crate::pairs::History,
            Endpoint::Search => &crate::search::Search,
            Endpoint::Meta => &crate::meta::Meta,
            Endpoint::Contributions => &crate::meta::Contributions,
            Endpoint::Countries => &crate::meta::Countries,
            Endpoint::Series => &crate::series::Series,
            Endpoint::Growth => &crate::growth::Growth,
            Endpoint::Priceband => &crate::priceband::Priceband,
            Endpoint::Chapter => &crate::chapter::Chapter,
            Endpoint::Seasonality => &crate::seasonality::Seasonality,
            Endpoint::Coverage => &crate::coverage::Coverage,
        }
    }

    /// The OpenAPI parameters (all in the query string).
    pub fn parameters(self) -> Vec<Parameter> {
        self.handler().parameters()
    }

    /// The names of the parameters the endpoint takes.
    pub fn parameter_names(self) -> Vec<String> {
        self.parameters().into_iter().map(|p| p.name).collect()
    }

    /// A JSON Schema (2020-12) object of the parameters (`properties`,
    /// `required`), from the same parameter type, for clients that describe
    /// a call as one object (MCP tool input schemas are such a map).
    pub fn parameters_json_schema(self) -> serde_json::Map<String, Value> {
        let mut properties = serde_json::Map::new();
        let mut required = Vec::new();
        for p in self.parameters() {
            let mut schema = p
                .schema
                .as_ref()
                .and_then(|s| serde_json::to_value(s).ok())
                .unwrap_or_else(|| Value::Object(Default::default()));
            if let (Some(obj), Some(d)) = (schema.as_object_mut(), &p.description) {
                obj.insert("description".into(), Value::String(d.clone()));
            }
            if matches!(p.required, utoipa::openapi::Required::True) {
                required.push(Value::String(p.name.clone()));
            }
            properties.insert(p.name, schema);
        }
        let mut schema = serde_json::Map::new();
        schema.insert("type".into(), "object".into());
        schema.insert("properties".into(), Value::Object(properties));
        schema.insert("required".into(), Value::Array(required));
        // The API refuses a parameter it does not declare.
        schema.insert("additionalProperties".into(), false.into());
        schema
    }

    /// The schema of the answer's `data`.
    pub fn data_schema(self) -> RefOr<Schema> {
        self.handler().data_schema()
    }

    /// The named schemas the answer's schema refers to.
    pub fn schemas(self, out: &mut Vec<(String, RefOr<Schema>)>) {
        self.handler().schemas(out)
    }

    /// Answers a decoded query: checks the parameter names, parses them,
    /// asks the database. The body is the full envelope.
    pub fn answer(
        self,
        conn: &Connection,
        query: &Query,
    ) -> Result<(Value, Option<u64>), ApiError> {
        query.check_names(self.path(), &self.parameter_names())?;
        self.handler().answer(conn, query)
    }

    /// Parses a query with the endpoint's parameter type, without
    /// answering (for tests and fuzzing).
    pub fn parse(self, query: &Query) -> Result<(), ApiError> {
        query.check_names(self.path(), &self.parameter_names())?;
        self.handler().parse_only(query)
    }
}
