//! The API's query layer: `answer` turns a request target
//! (`/skill/trend?hsCode=..&countryCode=..`) into the status and the exact
//! JSON body. `cnexport query` prints it; `cnexport serve` sends it over
//! HTTP; both call this one function, so they cannot disagree.
//!
//! Every body is the envelope `{"code": <status>, "message": <text>, "data": ...}`.
//! Each endpoint's parameters and `data` are Rust types ([`params`],
//! the answer types beside each handler); [`Endpoint`] lists the endpoints
//! with both, and the OpenAPI document is generated from the same types.

mod analytics;
mod chapter;
mod coverage;
mod endpoint;
mod error;
mod growth;
mod handler;
mod lookup;
mod meta;
mod metrics;
pub mod model;
mod pairs;
pub mod params;
mod priceband;
pub mod query;
mod search;
mod seasonality;
mod series;

use rusqlite::Connection;
use serde::Serialize;
use serde_json::Value;

pub use endpoint::Endpoint;
pub use error::ApiError;
pub use growth::{GrowthAnswer, GrowthMarket};
pub use handler::{Answered, Handler};
pub use meta::{ContributionMarket, ContributionsAnswer, CountryEntry, MetaAnswer, MonthStatus};
pub use metrics::{DashboardAnswer, MarketEntry, TopProduct};
pub use model::FieldKind;
pub use pairs::{HistoryAnswer, HistoryMonth, SummaryStats, TrendAnswer, YearTotal};
pub use params::CountryParam;
pub use query::Query;
pub use search::SearchHit;
pub use series::SeriesAnswer;

/// Message of a 200 answer.
pub const OK_MESSAGE: &str = "success";
/// Message of trend/history for a product-country pair with no record at all.
pub const NO_RECORD_MESSAGE: &str = "该商品对此国家暂无出口记录";

/// The body of every answer: `code` mirrors the HTTP status; `data` is
/// null on an error.
#[derive(Debug, Clone, Serialize)]
pub struct Envelope<'a, T> {
    pub code: u16,
    pub message: &'a str,
    pub data: T,
}

/// A status and a JSON body.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiResponse {
    pub status: u16,
    pub body: Value,
    /// For list endpoints: the number of items before `limit`/`offset`
    /// (the HTTP server sends it as `X-Total-Count`).
    pub total_count: Option<u64>,
}

impl ApiResponse {
    pub fn error(status: u16, message: impl Into<String>) -> ApiResponse {
        let message = message.into();
        let envelope = Envelope {
            code: status,
            message: &message,
            data: (),
        };
        ApiResponse {
            status,
            // A unit serializes as null; the envelope cannot fail to serialize.
            body: serde_json::to_value(envelope).unwrap_or(Value::Null),
            total_count: None,
        }
    }

    /// The body as sent: compact JSON.
    pub fn body_string(&self) -> String {
        self.body.to_string()
    }
}

/// The 404 for a path that is no endpoint.
pub fn unknown_endpoint(path: &str) -> ApiError {
    let available: Vec<&str> = Endpoint::ALL.iter().map(|e| e.path()).collect();
    ApiError::not_found(format!(
        "未知接口 {path:.80} (unknown endpoint; available: {})",
        available.join(", ")
    ))
}

/// Answers one request target (path and optional query string).
pub fn answer(conn: &Connection, target: &str) -> ApiResponse {
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let result = Query::parse(query).and_then(|query| {
        let endpoint = Endpoint::from_path(path)
            .ok_or_else(|| unknown_endpoint(path.trim_end_matches('/')))?;
        endpoint.answer(conn, &query)
    });
    match result {
        Ok((body, total_count)) => ApiResponse {
            status: 200,
            body,
            total_count,
        },
        Err(e) => ApiResponse::error(e.status, e.message),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A valid value of each parameter, from its example, default or first
    /// enum value.
    fn valid_query(e: Endpoint) -> String {
        let parts: Vec<String> = e
            .parameters()
            .iter()
            .map(|p| {
                let p = serde_json::to_value(p).unwrap();
                let v = [
                    &p["example"],
                    &p["schema"]["default"],
                    &p["schema"]["enum"][0],
                ]
                .into_iter()
                .find(|v| !v.is_null())
                .unwrap_or_else(|| panic!("{}: {p} has no example", e.path()))
                .clone();
                let v = v.as_str().map_or_else(|| v.to_string(), str::to_string);
                format!("{}={v}", p["name"].as_str().unwrap())
            })
            .collect();
        parts.join("&")
    }

    /// Each parameter type reads exactly the names it declares: a name read
    /// but not declared would be refused as unknown, one declared but not
    /// read would be accepted and ignored.
    #[test]
    fn parameter_types_read_what_they_declare() {
        for e in Endpoint::ALL {
            let q = Query::parse(&valid_query(e)).unwrap();
            e.parse(&q)
                .unwrap_or_else(|err| panic!("{}: {err}", e.path()));
            let mut read: Vec<String> = q.read_names().iter().map(|s| s.to_string()).collect();
            let mut declared = e.parameter_names();
            read.sort();
            declared.sort();
            assert_eq!(read, declared, "{}", e.path());
        }
    }

    #[test]
    fn parameters_as_one_json_schema() {
        let s = Endpoint::History.parameters_json_schema();
        assert_eq!(s["type"], "object");
        assert_eq!(s["required"], serde_json::json!(["hsCode", "countryCode"]));
        assert_eq!(s["properties"]["vintages"]["type"], "boolean");
        assert!(s["properties"]["hsCode"]["description"]
            .as_str()
            .unwrap()
            .contains("digits"));
        let s = Endpoint::TopProducts.parameters_json_schema();
        assert_eq!(s["properties"]["regionFilter"]["enum"][0], "asia");
        assert_eq!(s["properties"]["limit"]["maximum"], 100);
        assert!(Endpoint::Countries.parameters_json_schema()["properties"]
            .as_object()
            .unwrap()
            .is_empty());
    }

    #[test]
    fn envelope_of_an_error() {
        let r = ApiResponse::error(404, "x");
        assert_eq!(r.body_string(), r#"{"code":404,"message":"x","data":null}"#);
    }

    #[test]
    fn unknown_parameter_is_refused_naming_it() {
        let conn = Connection::open_in_memory().unwrap();
        let r = answer(&conn, "/skill/markets?hsCode=85171300&sortby=name");
        assert_eq!(r.status, 400);
        assert!(r.body_string().contains("did you mean sortBy?"));
        let r = answer(&conn, "/skill/nothing?a=1");
        assert_eq!(r.status, 404);
    }
}
